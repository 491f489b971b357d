#!/usr/bin/env bash
# Speed-up of `jigsaw sweep` with 2 local processes (-j 2) and 2 MPI ranks
# (mpirun -np 2) over a serial run, on a sweep of >= 200 points; checks that the three
# outputs are byte-identical. Not a test: timings depend on the machine and its load.
#
#   scripts/bench-sweep.sh [planner|synthetic]   (default: both)
#
# planner:   scripts/bench-sweep.json, 216 real planner points (GLPK) of uneven cost
# synthetic: the same grid with the synthetic evaluator, 20-40 ms of CPU per point
# Environment: JIGSAW (default build/src/cli/jigsaw), REPEAT (default 1).
# Reports wall-clock speed-up and CPU seconds (user+sys of all processes), plus the load
# average: on a shared machine, compare runs made under similar load.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
jigsaw=${JIGSAW:-$root/build/src/cli/jigsaw}
repeat=${REPEAT:-1}
modes=${1:-planner synthetic}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

have_mpi=0
if command -v mpirun >/dev/null 2>&1 && "$jigsaw" sweep --help | grep -q MPI; then
    have_mpi=1
fi

# run LABEL OUT CMD...: prints "wall cpu" seconds of CMD (children included).
run() {
    local label=$1 out=$2
    shift 2
    rm -f "$out" "$out.journal"
    /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$@" >/dev/null
    awk -v l="$label" '{ printf "%s %.2f %.2f\n", l, $1, $2 + $3 }' "$tmp/time"
}

for mode in $modes; do
    extra=()
    [ "$mode" = synthetic ] && extra=(--synthetic 20)
    points=$("$jigsaw" sweep "$root/scripts/bench-sweep.json" --dry-run "${extra[@]}" |
             awk '{ print $2 }')
    echo "== $mode evaluator, $points points, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    for r in $(seq "$repeat"); do
        run serial "$tmp/serial.csv" "$jigsaw" sweep "$root/scripts/bench-sweep.json" \
            -o "$tmp/serial.csv" -j 1 --no-progress "${extra[@]}" > "$tmp/t.serial"
        run j2 "$tmp/j2.csv" "$jigsaw" sweep "$root/scripts/bench-sweep.json" \
            -o "$tmp/j2.csv" -j 2 --no-progress "${extra[@]}" > "$tmp/t.j2"
        cmp "$tmp/serial.csv" "$tmp/j2.csv"
        labels="serial j2"
        if [ "$have_mpi" = 1 ]; then
            run mpi2 "$tmp/mpi.csv" mpirun -np 2 --allow-run-as-root --oversubscribe \
                "$jigsaw" sweep "$root/scripts/bench-sweep.json" -o "$tmp/mpi.csv" \
                "${extra[@]}" > "$tmp/t.mpi2"
            cmp "$tmp/serial.csv" "$tmp/mpi.csv"
            labels="serial j2 mpi2"
        fi
        read -r _ ws cs < "$tmp/t.serial"
        for l in $labels; do
            read -r _ w c < "$tmp/t.$l"
            awk -v l="$l" -v w="$w" -v c="$c" -v ws="$ws" -v cs="$cs" 'BEGIN {
                printf "  %-6s wall %7.2f s  cpu %7.2f s  speed-up %.2fx  cpu/serial %.2f\n",
                       l, w, c, ws / w, c / cs }'
        done
        echo "  outputs byte-identical; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
    done
done
