#!/bin/sh
# Regenerate results/ with one command: the analytical and trace-driven studies, the
# tail check, every CSV/JSON table, results/REPORT.md and the gnuplot plots.
#
#   scripts/reproduce.sh                 # the full study (jigsaw compare)
#   scripts/reproduce.sh --quick         # the reduced run (A100, 6-hour window), into
#                                        # results-quick/ (never results/)
#   scripts/reproduce.sh --plots-only    # re-render every plot under results/ from its tables
#                                        # (the comparisons and the sweeps), no solving
#
# Any other arguments are passed to `jigsaw compare` (see `jigsaw compare --help`).
# The full run (no --quick, no --out) then reruns the analytical study in every host
# regime (scripts/host-regime-study.sh, about 10 minutes) and makes it section 4 of
# results/REPORT.md.
# BUILD_DIR selects the build directory (default: build).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-build}
out=results

# The plots of one results directory from its tables.
plots() {
    dir=$1 gpus="" traces=""
    for g in a100 h100; do
        [ -f "$dir/capacity-gains-$g.csv" ] && gpus="$gpus $g"
        for a in social-media traffic-analysis ar-assistant; do
            [ -f "$dir/timeline-$g-$a.csv" ] && traces="$traces $g:$a"
        done
    done
    gnuplot -c scripts/plot-results.gnuplot "$dir" "${gpus# }" "${traces# }"
}

if [ "${1:-}" = "--plots-only" ]; then
    # Every comparison under results/ (results/, results/batch-2/, ...) and the sweeps.
    for d in "$out" "$out"/*/; do
        d=${d%/}
        ls "$d"/capacity-gains-*.csv >/dev/null 2>&1 && plots "$d"
    done
    exec scripts/run-sweeps.sh --plots-only
fi

[ -d "$build" ] || meson setup "$build"
ninja -C "$build" src/cli/jigsaw
# compare writes results/ (the full run) or results-quick/ (--quick) unless --out says.
full=yes
for a in "$@"; do
    case $a in --quick|--out|--out=*) full=no ;; esac
done
"$build/src/cli/jigsaw" compare "$@"
[ "$full" = yes ] || exit 0
BUILD_DIR=$build exec scripts/host-regime-study.sh --into "$out/REPORT.md"
