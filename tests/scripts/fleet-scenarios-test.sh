#!/bin/sh
# usage: fleet-scenarios-test.sh SOURCE_ROOT JIGSAW_EXE PYTHON3
# Regenerates the fleet benchmark set into a temporary directory, validating each file with
# `jigsaw check`, and compares it with the committed scenarios/fleet/ (without the
# "profiles" line, relative to the output directory).
set -eu
src=$1 exe=$2 py=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fleet-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
"$py" "$src/scripts/fleet-scenarios.py" --bench-set --out "$tmp/fleet" --check "$exe" \
    >"$tmp/out.txt" || { cat "$tmp/out.txt"; exit 1; }
set -- "$tmp/fleet"/*
[ $# -eq 9 ] || { echo "expected 9 files, got $#: $*"; exit 1; }
set -- "$src/scenarios/fleet"/*.json
[ $# -eq 9 ] || { echo "scenarios/fleet holds $# scenarios, not 9"; exit 1; }
for f in "$tmp/fleet"/*.json; do
    b=$(basename "$f")
    [ -f "$src/scenarios/fleet/$b" ] || { echo "scenarios/fleet/$b is missing"; exit 1; }
    sed '/^ "profiles": /d' "$f" >"$tmp/new"
    sed '/^ "profiles": /d' "$src/scenarios/fleet/$b" >"$tmp/old"
    cmp -s "$tmp/new" "$tmp/old" || {
        echo "scenarios/fleet/$b differs from what scripts/fleet-scenarios.py --bench-set writes"
        exit 1; }
    grep -qx ' "profiles": "../../profiles",' "$src/scenarios/fleet/$b" ||
        { echo "scenarios/fleet/$b: \"profiles\" is not ../../profiles"; exit 1; }
done
echo "9 fleet scenarios current and valid"
