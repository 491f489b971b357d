#!/bin/sh
# The analytical study (jigsaw compare, 120 GPUs, the paper's rule) in each host regime
# of docs/host-model.md, into results/host-regime/<regime>/, and the side-by-side
# summary results/host-regime/REPORT.md (scripts/host-regime-summary.py).
#
#   scripts/host-regime-study.sh                 # every regime, A100 and H100
#   scripts/host-regime-study.sh calibrated ...  # only these regimes (then the summary)
#   scripts/host-regime-study.sh --into results/REPORT.md   # also section 4 of that report
#
# Regimes: gpu-bound (host 0: today's model), host-1ms / host-2ms / host-5ms (that host
# time per item for every variant), calibrated (per-family defaults,
# profiles/host-defaults.json), calibrated-cores (the same with 24 CPU cores per GPU, the
# paper's 96 cores per 4 GPUs: 192 per node of 8 GPUs), batch-cap-2 (GPU-bound with
# batches <= 2: the proxy of earlier reports, kept for comparison). It never writes the
# top-level results/ files. BUILD_DIR selects the build directory (default: build).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-build}
out=results/host-regime
common="--no-trace --no-tail --no-safe-rule --no-binding --batch-caps none --no-plots"

into=""
if [ "${1:-}" = "--into" ]; then
    into=$2
    shift 2
fi
only=" $* "
run() {
    name=$1
    shift
    if [ "$only" != "  " ] && [ "${only#* "$name" }" = "$only" ]; then
        return 0
    fi
    rm -rf "$out/$name"
    mkdir -p "$out/$name"
    echo "host-regime-study: $name: jigsaw compare $common $*" >&2
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086 # $common is a list of options
    "$build/src/cli/jigsaw" compare $common --out "$out/$name" "$@" >/dev/null
    t1=$(date +%s.%N)
    # Wall time of the whole analytical study (every plan of every system, app and GPU).
    echo "$t0 $t1" | awk '{printf "%.1f\n", $2 - $1}' >"$out/$name/planning-seconds.txt"
}

run gpu-bound
run host-1ms --host-ms 1
run host-2ms --host-ms 2
run host-5ms --host-ms 5
run calibrated --host-regime calibrated
run calibrated-cores --host-regime calibrated --cpu-cores 192
run batch-cap-2 --max-batch 2
if [ -n "$into" ]; then
    python3 scripts/host-regime-summary.py "$out" profiles scenarios --into "$into"
    echo "host-regime-study: wrote $out/REPORT.md and section 4 of $into" >&2
else
    python3 scripts/host-regime-summary.py "$out" profiles scenarios
    echo "host-regime-study: wrote $out/REPORT.md" >&2
fi
