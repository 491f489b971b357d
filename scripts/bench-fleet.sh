#!/bin/sh
# bench-fleet.sh: solve time, status, size and optimality gap of `jigsaw plan` on fleets.
#
# usage: [RULE=paper|safe] scripts/bench-fleet.sh [JIGSAW_EXE] [TIME_LIMIT_S]
#   JIGSAW_EXE   the jigsaw executable (default: $JIGSAW, else build/src/cli/jigsaw)
#   TIME_LIMIT_S per-case solver limit (default 60); a case that hits it says so (status
#                `feasible` with its gap, or exit-75 when no plan was found in time).
#   RULE         the latency rule planned with (default paper).
# Cases: the nine scenarios of scenarios/fleet/ (written by scripts/fleet-scenarios.py
# --bench-set): the paper's three applications on one cluster of 120, 500 and 1000 A100
# and H100 GPUs, and a random fleet of 10 apps (seed 1) on 120, 500 and 1000 A100s; system
# A+S+T, each as a min-slices plan and as --max-demand. status, wall_s, cpu_s, slices and
# gpus come from the `--stats` line on stderr; objective (slices, or the demand scale of
# --max-demand), bound and gap from the plan's JSON on stdout. Wall time depends on
# machine load; the CPU column is this process's processor time as the planner measures it.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
exe=${1:-${JIGSAW:-$root/build/src/cli/jigsaw}}
limit=${2:-60}
rule=${RULE:-paper}
sys=A+S+T
[ -x "$exe" ] || { echo "bench-fleet: no executable at $exe (build first, or pass it)" >&2; exit 66; }
command -v python3 >/dev/null || { echo "bench-fleet: python3 is needed to read the plans" >&2; exit 69; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-fleet.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

printf '%-32s %-10s %-11s %9s %9s %7s %6s %12s %12s %9s\n' scenario mode status wall_s cpu_s \
    slices gpus objective bound gap
run_case() { # scenario mode
    sc=$1 mode=$2
    extra=
    [ "$mode" = max-demand ] && extra=--max-demand
    file=$root/scenarios/fleet/$sc.json
    if [ ! -f "$file" ]; then
        printf '%-32s %-10s %-11s %s\n' "$sc" "$mode" missing \
            "(scripts/fleet-scenarios.py --bench-set writes it)"
        return 0
    fi
    err=$("$exe" plan "$file" --system "$sys" $extra --stats --rule "$rule" \
          --time-limit "$limit" --format json 2>&1 >"$tmp/plan.json") && rc=0 || rc=$?
    line=$(printf '%s\n' "$err" | grep 'jigsaw plan: system' | tail -n 1)
    if [ "$rc" -eq 0 ] && [ -n "$line" ]; then
        status=$(printf '%s' "$line" | sed -n 's/.*: \([a-z-]*\), [0-9.]* s (.*/\1/p')
        wall=$(printf '%s' "$line" | sed -n 's/.*, \([0-9.]*\) s (\([0-9.]*\) s CPU).*/\1/p')
        cpu=$(printf '%s' "$line" | sed -n 's/.* s (\([0-9.]*\) s CPU).*/\1/p')
        sl=$(printf '%s' "$line" | sed -n 's/.* slices \([0-9]*\) on \([0-9]*\) GPUs.*/\1/p')
        gp=$(printf '%s' "$line" | sed -n 's/.* slices \([0-9]*\) on \([0-9]*\) GPUs.*/\2/p')
        obg=$(python3 - "$tmp/plan.json" <<'EOF'
import json, sys
def fmt(v):
    return "-" if v is None else ("%.6g" % v if isinstance(v, (int, float)) else str(v))
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        d = json.load(f)
    print(" ".join(fmt(d.get(k)) for k in ("objective", "bound", "gap")))
except (OSError, ValueError):
    print("- - -")
EOF
)
        read -r obj bnd gap <<EOT
$obg
EOT
        printf '%-32s %-10s %-11s %9s %9s %7s %6s %12s %12s %9s\n' "$sc" "$mode" "$status" \
            "$wall" "$cpu" "$sl" "$gp" "$obj" "$bnd" "$gap"
    else
        why=$(printf '%s\n' "$err" | grep 'error' | head -n 1 | cut -c1-90)
        printf '%-32s %-10s %-11s %s\n' "$sc" "$mode" "exit-$rc" "$why"
    fi
}
for sc in paper-trio-a100-120 paper-trio-a100-500 paper-trio-a100-1000 \
          paper-trio-h100-120 paper-trio-h100-500 paper-trio-h100-1000 \
          random-fleet-a100-120-k10-s1 random-fleet-a100-500-k10-s1 \
          random-fleet-a100-1000-k10-s1; do
    run_case "$sc" min-slices
    run_case "$sc" max-demand
done
