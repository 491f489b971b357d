#!/usr/bin/env bash
# The main job: install what is missing, build, and run `jigsaw compare` on the shipped
# default (the paper's study reproduced; writes results/, or results-quick/ with --quick,
# which never touches the committed results). Extra arguments go to compare.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/deps.sh
js_install_packages "${JS_PACKAGES_BUILD[@]}" "${JS_PACKAGES_PLOT[@]}"
if [ ! -f build-release/build.ninja ]; then
    meson setup build-release --buildtype=release -Dtests=disabled >/dev/null
fi
ninja -C build-release >/dev/null
exec build-release/src/cli/jigsaw compare "$@"
