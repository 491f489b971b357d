#!/usr/bin/env bash
# bench-simulator.sh: simulator throughput and memory figures (a benchmark, not a test).
#
#   scripts/bench-simulator.sh [BUILD_DIR]      (default build-bench, configured if absent)
#
# 1. Events/s and requests/s of the Traffic Analysis application (A+S+T plan for 500 req/s
#    on the 120-GPU A100 scenario) with Poisson arrivals at 80% of the plan's capacity,
#    against a bare pop/push loop over the same 4-ary-heap event queue (CPU time, one core).
# 2. Dispatch cost: the Traffic Analysis maximum-demand plan on the same 120 GPUs under the
#    paper's rule (about 590 workers on the car classifier), at its planned demand, run
#    once with each dispatcher (jsed, the default; rr; shared) with the same arrivals and
#    seed: events/s of each and its ratio to rr's (the goal: jsed >= 0.5). Written to
#    results/bench/simulator.txt as well (BENCH_NO_RESULTS=1 to skip).
# 3. A full day of the NASA trace (Jul 1 1995) rescaled to a mean of 200 req/s, 60 s
#    smoothing, through the same plan, against one hour of it: wall and CPU time, and peak
#    memory (/usr/bin/time -v), which must not grow with the trace length.
# Environment: BENCH_RATE (planned demand, default 500), BENCH_REQUESTS (default 2e6),
# BENCH_DISPATCH_REQUESTS (requests per dispatcher in 2., default 1e6).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-bench}
RATE=${BENCH_RATE:-500}
REQS=${BENCH_REQUESTS:-2e6}
SCEN=scenarios/traffic-analysis-a100-120.json
TRACE=scenarios/traces/nasa-http-1995/workload.tbz2

if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" >/dev/null   # the project's default: debugoptimized (-O2 -g)
fi
ninja -C "$BUILD" src/cli/jigsaw src/sim/jigsaw-bench-sim | grep -E "error|FAILED" || true
test -x "$BUILD/src/sim/jigsaw-bench-sim" || { echo "build failed" >&2; exit 1; }
JIGSAW="$BUILD/src/cli/jigsaw"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "== plan: $SCEN, A+S+T at $RATE req/s"
"$JIGSAW" plan "$SCEN" --system A+S+T --rate "$RATE" --json -o "$TMP/plan.json"

echo "== engine vs bare event queue (Poisson, 80% load, $REQS requests)"
"$BUILD/src/sim/jigsaw-bench-sim" "$SCEN" "$TMP/plan.json" 0.8 "$REQS" 1

DREQS=${BENCH_DISPATCH_REQUESTS:-1e6}
echo "== dispatch: $SCEN, A+S+T maximum-demand plan (paper's rule), planned demand, $DREQS requests"
"$JIGSAW" plan "$SCEN" --system A+S+T --max-demand --rule paper --json -o "$TMP/maxplan.json"
{
    echo "# scripts/bench-simulator.sh, part 2: $(date -u +%Y-%m-%d), $(nproc) cores, CPU time"
    echo "# plan: jigsaw plan $SCEN --system A+S+T --max-demand --rule paper"
    echo "# run: jigsaw-bench-sim SCEN PLAN 1.0 $DREQS 1 all (Poisson at the planned demand)"
    "$BUILD/src/sim/jigsaw-bench-sim" "$SCEN" "$TMP/maxplan.json" 1.0 "$DREQS" 1 all |
        sed 's|^plan=.*|plan=the maximum-demand plan above (a temporary file)|'
} | tee "$TMP/dispatch.txt"
if [ -z "${BENCH_NO_RESULTS:-}" ]; then
    mkdir -p results/bench
    cp "$TMP/dispatch.txt" results/bench/simulator.txt.tmp
    mv results/bench/simulator.txt.tmp results/bench/simulator.txt
fi

if [ ! -x /usr/bin/time ]; then
    echo "(/usr/bin/time missing: skipping the memory comparison)"
    exit 0
fi
for dur in 3600 86400; do
    echo "== NASA trace, first $dur s, mean 200 req/s, 60 s smoothing"
    /usr/bin/time -v "$JIGSAW" simulate "$SCEN" --plan "$TMP/plan.json" --trace "$TRACE" \
        --trace-duration "$dur" --trace-mean 200 --trace-smooth 60 --json \
        >"$TMP/nasa.json" 2>"$TMP/time.txt"
    python3 - "$TMP/nasa.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print("requests=%d completed=%d dropped=%d violation_rate=%.6f p99_ms=%.1f events=%d" % (
    r["requests"], r["completed"], r["dropped"], r["violation_rate"],
    r["latency_ms"]["p99"] or 0, r["events"]))
EOF
    grep -E "User time|System time|Elapsed|Maximum resident" "$TMP/time.txt" | sed 's/^\s*/  /'
done
