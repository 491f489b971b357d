#!/usr/bin/env bash
# Regenerate results/sweeps/: run every sweep in scripts/sweeps/ and plot it.
#
#   scripts/run-sweeps.sh [NAME...]        (default: every scripts/sweeps/*.json)
#   scripts/run-sweeps.sh --plots-only     re-plot the CSVs in results/sweeps/ only
#
# Environment: JIGSAW  the jigsaw executable (default: build/src/cli/jigsaw)
#              JOBS    local worker processes (default: all cores)
#              MPI_NP  run each sweep under `mpirun -np $MPI_NP` instead (MPI builds)
# Sweeps are resumable: after an interruption, run this again and finished points are
# kept (results/sweeps/NAME.csv.journal). A finished CSV is not recomputed unless its
# sweep file is newer; delete the CSV to force it.
set -euo pipefail
plots_only=0
if [ "${1:-}" = "--plots-only" ]; then plots_only=1; shift; fi

root=$(cd "$(dirname "$0")/.." && pwd)
jigsaw=${JIGSAW:-$root/build/src/cli/jigsaw}
jobs=${JOBS:-$(nproc)}
outdir=$root/results/sweeps
mkdir -p "$outdir"

if [ "$plots_only" = 0 ] && [ ! -x "$jigsaw" ]; then
    echo "run-sweeps.sh: no jigsaw executable at $jigsaw (build first, or set JIGSAW)" >&2
    exit 66
fi

if [ $# -gt 0 ]; then
    files=()
    for name in "$@"; do files+=("$root/scripts/sweeps/${name%.json}.json"); done
else
    files=("$root"/scripts/sweeps/*.json)
fi

for sweep in "${files[@]}"; do
    name=$(basename "$sweep" .json)
    csv=$outdir/$name.csv
    if [ "$plots_only" = 1 ]; then
        [ -f "$csv" ] || continue
        echo "== $name: plot only"
    elif [ -f "$csv" ] && [ "$csv" -nt "$sweep" ]; then
        echo "== $name: up to date"
    else
        echo "== $name"
        start=$(date +%s)
        if [ -n "${MPI_NP:-}" ]; then
            mpirun -np "$MPI_NP" --oversubscribe ${MPI_ARGS:-} "$jigsaw" sweep "$sweep" -o "$csv"
        else
            "$jigsaw" sweep "$sweep" -o "$csv" -j "$jobs"
        fi
        echo "   $(( $(date +%s) - start )) s"
    fi
    # The systems in row order (the first repeat ends the list) and the plot kind.
    systems=$(awk -F, 'NR > 1 { if ($2 in seen) exit; seen[$2] = 1; printf "%s ", $2 }' "$csv")
    case "$name" in
        gain-latency-*) kind=latency ;;
        gain-accuracy-*) kind=accuracy ;;
        capacity-gpus-*) kind=gpus ;;
        *) echo "   (no plot for $name)"; continue ;;
    esac
    scenario=$(sed -n 's/^ *"scenario": *"\([^"]*\)".*/\1/p' "$sweep")
    # Column 14 (gain over Unopt) is empty everywhere when Unopt serves nothing.
    hasgain=$(awk -F, 'NR > 1 && $14 != "" { print 1; exit } END { if (NR) print 0 }' "$csv" | head -n 1)
    gnuplot -c "$root/scripts/sweeps.gnuplot" "$csv" "$outdir/$name.png" "$kind" "${systems% }" \
        "$name ($(basename "$scenario"))" "$hasgain"
    echo "   $outdir/$name.png"
done
