#!/bin/sh
# Regenerate results/ with one command: the analytical and trace-driven studies, the
# tail check, every CSV/JSON table, results/REPORT.md and the gnuplot plots.
#
#   scripts/reproduce.sh                 # the full study (jigsaw compare)
#   scripts/reproduce.sh --quick         # the reduced run (A100, 6-hour window)
#   scripts/reproduce.sh --plots-only    # re-render the plots from the tables in results/
#
# Any other arguments are passed to `jigsaw compare` (see `jigsaw compare --help`).
# BUILD_DIR selects the build directory (default: build).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-build}
out=results

if [ "${1:-}" = "--plots-only" ]; then
    gpus="" traces=""
    for g in a100 h100; do
        [ -f "$out/capacity-gains-$g.csv" ] && gpus="$gpus $g"
        for a in social-media traffic-analysis ar-assistant; do
            [ -f "$out/timeline-$g-$a.csv" ] && traces="$traces $g:$a"
        done
    done
    exec gnuplot -c scripts/plot-results.gnuplot "$out" "${gpus# }" "${traces# }"
fi

[ -d "$build" ] || meson setup "$build"
ninja -C "$build" src/cli/jigsaw
exec "$build/src/cli/jigsaw" compare --out "$out" "$@"
