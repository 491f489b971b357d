#!/usr/bin/env bash
# Install what is missing, build, and run every test -- once with the normal build and
# once under AddressSanitizer + UndefinedBehaviorSanitizer. `--quick` skips the
# sanitizer pass (for development only; CI runs the full command).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/deps.sh
js_install_packages "${JS_PACKAGES_BUILD[@]}" "${JS_PACKAGES_TEST[@]}" "${JS_PACKAGES_PLOT[@]}"

sanitize=1
[ "${1:-}" = "--quick" ] && sanitize=0
jobs=$(nproc)

run_suite() { # build-dir, extra meson options...
    local dir=$1; shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" -Dtests=enabled "$@" >/dev/null
    fi
    ninja -C "$dir" >/dev/null
    meson test -C "$dir" --num-processes "$jobs" --print-errorlogs
}

echo "== tests (debugoptimized build)"
run_suite build
if [ $sanitize -eq 1 ]; then
    echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
    # OpenMPI's runtime keeps allocations until exit by design: leak checking stays on for
    # our code through the tests' own valgrind/LSan runs, not for mpirun children.
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
    export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
    run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false
fi
echo "jigsaw: all test passes succeeded"
