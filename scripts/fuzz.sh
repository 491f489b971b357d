#!/bin/sh
# Build (clang, libFuzzer + ASan + UBSan, separate build dir) and run one fuzz target.
# usage: scripts/fuzz.sh TARGET SECONDS     TARGET: gpu | profile | scenario | plan | trace | sweep
# The corpus lives in fuzz-corpus-TARGET/ (git-ignored), seeded from the shipped files and
# the malformed-input corpus; crashes are written there as crash-* and make this script fail.
# (-timeout=30: on a loaded machine a slow unit is not a hang; rerun the artifact to check.)
set -eu
if [ $# -ne 2 ]; then
    echo "usage: $0 gpu|profile|scenario|plan|trace|sweep SECONDS" >&2
    exit 2
fi
target=$1
seconds=$2
case $target in gpu|profile|scenario|plan|trace|sweep) ;; *) echo "$0: unknown target '$target'" >&2; exit 2;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
if [ ! -f "$build/build.ninja" ]; then
    CC=clang CFLAGS="-fsanitize=fuzzer-no-link" meson setup "$build" "$root" -Dfuzz=true \
        -Db_sanitize=address,undefined -Db_lundef=false -Dtests=disabled -Dmpi=disabled \
        --buildtype=debugoptimized >/dev/null
fi
ninja -C "$build" "fuzz/fuzz_$target" >/dev/null
corpus="$root/fuzz-corpus-$target"
mkdir -p "$corpus"
seed() { for f in "$@"; do [ -f "$f" ] && cp "$f" "$corpus/seed-$(basename "$(dirname "$f")")-$(basename "$f")"; done; return 0; }
case $target in
    gpu)      seed "$root"/profiles/gpus/*.json "$root"/tests/core/bad/g-*.json "$root"/tests/core/bad/x-*.json ;;
    profile)  seed "$root"/profiles/*/*.json "$root"/tests/core/bad/p-*.json ;;
    scenario) seed "$root"/scenarios/*.json "$root"/tests/core/bad/s-*.json ;;
    plan)     seed "$root"/fuzz/seeds/plan/*.json "$root"/tests/hardening/plans/*.json ;;
    trace)    seed "$root"/fuzz/seeds/trace/* "$root"/tests/hardening/traces/*[!V] ;;
    sweep)    seed "$root"/fuzz/seeds/sweep/*.json "$root"/scripts/sweeps/*.json ;;
esac
# Profiles are ~40 kB; allow inputs of that size.
exec "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -timeout=30 \
    -rss_limit_mb=2048 -artifact_prefix="$corpus/" -print_final_stats=1 "$corpus"
