#!/bin/sh
# bench-planner.sh: solve time, branch-and-bound nodes and status of `jigsaw plan` per case.
#
# usage: [RULE=paper|safe] scripts/bench-planner.sh [JIGSAW_EXE] [TIME_LIMIT_S]
#   JIGSAW_EXE   the jigsaw executable (default: $JIGSAW, else build/src/cli/jigsaw)
#   TIME_LIMIT_S per-case solver limit (default 60); a case that hits it says so.
#   RULE         the latency rule planned with (default paper; results/bench/planner.txt
#                is the paper's rule, results/bench/planner-safe.txt the safe rule, whose
#                times add up every pass of its tail search).
# Cases: the six ParvaGPU scenarios (system S, and A+S+T), and the paper's three
# applications on 4 and 120 A100 and H100 GPUs for all eight systems, each as a
# min-slices plan and as --max-demand. Wall time depends on machine load; the CPU column is this process's
# processor time as the planner measures it.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
exe=${1:-${JIGSAW:-$root/build/src/cli/jigsaw}}
limit=${2:-60}
rule=${RULE:-paper}
[ -x "$exe" ] || { echo "bench-planner: no executable at $exe (build first, or pass it)" >&2; exit 66; }

printf '%-28s %-6s %-10s %-11s %9s %9s %8s %7s %s\n' scenario system mode status wall_s cpu_s nodes slices gpus
run_case() { # scenario system mode
    sc=$1 sys=$2 mode=$3
    extra=
    [ "$mode" = max-demand ] && extra=--max-demand
    err=$("$exe" plan "$root/scenarios/$sc.json" --system "$sys" $extra --stats \
          --rule "$rule" --time-limit "$limit" --format json 2>&1 >/dev/null) && rc=0 || rc=$?
    line=$(printf '%s\n' "$err" | grep 'jigsaw plan: system' | tail -n 1)
    if [ "$rc" -eq 0 ] && [ -n "$line" ]; then
        status=$(printf '%s' "$line" | sed -n 's/.*: \([a-z-]*\), [0-9.]* s (.*/\1/p')
        wall=$(printf '%s' "$line" | sed -n 's/.*, \([0-9.]*\) s (\([0-9.]*\) s CPU).*/\1/p')
        cpu=$(printf '%s' "$line" | sed -n 's/.* s (\([0-9.]*\) s CPU).*/\1/p')
        nodes=$(printf '%s' "$line" | sed -n 's/.*CPU), \([0-9]*\) nodes.*/\1/p')
        sl=$(printf '%s' "$line" | sed -n 's/.* slices \([0-9]*\) on \([0-9]*\) GPUs.*/\1/p')
        gp=$(printf '%s' "$line" | sed -n 's/.* slices \([0-9]*\) on \([0-9]*\) GPUs.*/\2/p')
        printf '%-28s %-6s %-10s %-11s %9s %9s %8s %7s %s\n' "$sc" "$sys" "$mode" "$status" \
            "$wall" "$cpu" "$nodes" "$sl" "$gp"
    else
        why=$(printf '%s\n' "$err" | grep 'error' | head -n 1 | cut -c1-90)
        printf '%-28s %-6s %-10s %-11s %s\n' "$sc" "$sys" "$mode" "exit-$rc" "$why"
    fi
}
for i in 1 2 3 4 5 6; do
    for sys in S A+S+T; do run_case "parvagpu-slo$i" "$sys" min-slices; done
done
for gpu in a100 h100; do
    for app in ar-assistant traffic-analysis social-media; do
        for n in 4 120; do
            for sys in unopt A S T A+T S+T A+S A+S+T; do
                run_case "$app-$gpu-$n" "$sys" min-slices
                run_case "$app-$gpu-$n" "$sys" max-demand
            done
        done
    done
done
