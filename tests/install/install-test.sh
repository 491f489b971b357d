#!/bin/sh
# The installed jigsaw, as a user gets it: `meson install --destdir` of this build into a
# staging directory, then from an empty working directory the installed binary's check,
# plan and compare --quick (data found through the installed data directory, which
# JIGSAW_DATA points at inside the staging directory since the prefix is not real there),
# the man pages and completion in place, and a C program compiled against the installed
# shared library with pkg-config (PKG_CONFIG_SYSROOT_DIR maps the .pc file's paths into
# the staging directory).
#   install-test.sh BUILD_DIR PREFIX BINDIR LIBDIR DATADIR MANDIR SOURCE_DIR SANITIZE
# SANITIZE is the build's b_sanitize: a sanitized library needs a sanitized program.
set -eu
build=$1 prefix=$2 bindir=$3 libdir=$4 datadir=$5 mandir=$6 src=$7 san=${8:-none}
san_flags=""
[ "$san" = none ] || san_flags="-fsanitize=$san"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
fail() { echo "install-test: FAIL: $*" >&2; exit 1; }

meson install -C "$build" --destdir "$stage" --no-rebuild --quiet >/dev/null ||
    fail "meson install --destdir failed"
root=$stage$prefix
exe=$root/$bindir/jigsaw
data=$root/$datadir/jigsaw
[ -x "$exe" ] || fail "no installed binary $exe"
for f in "$root/include/jigsaw/planner.h" "$root/$libdir/pkgconfig/jigsaw.pc" \
         "$data/profiles/gpus/a100-80gb.json" "$data/profiles/models.json" \
         "$data/scenarios/example.json" "$data/scenarios/traces/nasa-http-1995/NOTICE" \
         "$data/scripts/plot-results.gnuplot" "$data/scripts/sweeps.gnuplot" \
         "$root/$mandir/man1/jigsaw.1" "$root/$mandir/man1/jigsaw-plan.1" \
         "$root/share/bash-completion/completions/jigsaw" \
         "$root/share/zsh/site-functions/_jigsaw"; do
    [ -f "$f" ] || fail "not installed: ${f#$stage}"
done
ls "$root/$libdir"/libjigsaw.so.* >/dev/null 2>&1 || fail "no shared library libjigsaw.so.*"

work=$stage/empty
mkdir "$work"
cd "$work"
export JIGSAW_DATA=$data
"$exe" check scenarios/example.json profiles/gpus/a100-80gb.json >check.out ||
    fail "installed check failed"
grep -q 'ok' check.out || fail "check printed no ok line"
"$exe" plan scenarios/example.json --rule paper --json -o plan.json ||
    fail "installed plan failed"
grep -Eq '"feasible":[[:space:]]*true' plan.json || fail "plan.json is not a feasible plan"
# A result file of an earlier run with other settings: named as stale, left alone.
mkdir D2
echo old > D2/capacity-h100.csv
touch -d '2000-01-01' D2/capacity-h100.csv
"$exe" compare --quick --out D2 --no-tail --no-safe-rule --batch-caps none --no-plots \
    >compare.out 2>compare.err || { cat compare.err >&2; fail "installed compare --quick failed"; }
[ -f D2/REPORT.md ] && [ -f D2/capacity.csv ] || fail "compare --quick wrote no D2/REPORT.md"
grep -q 'not written by this run (stale.*capacity-h100.csv' compare.err ||
    fail "no stale-file warning for D2/capacity-h100.csv: $(cat compare.err)"
grep -q 'capacity.csv' compare.err && fail "a file this run wrote was called stale"
[ "$(cat D2/capacity-h100.csv)" = old ] || fail "the stale file was touched"
[ ! -e results ] && [ ! -e results-quick ] || fail "compare --out D2 wrote elsewhere too"
[ "$(ls | sort | tr '\n' ' ')" = "D2 check.out compare.err compare.out plan.json " ] ||
    fail "unexpected files in the working directory: $(ls)"
# A user's own profile folder without GPU types relies on the shipped ones.
mkdir -p mine/scenarios mine/profiles/a100-80gb
cp "$data/profiles/a100-80gb/resnet50.json" "$data/profiles/a100-80gb/resnet101.json" \
   "$data/profiles/a100-80gb/resnet152.json" "$data/profiles/a100-80gb/vgg16.json" \
   "$data/profiles/a100-80gb/vgg19.json" mine/profiles/a100-80gb/
cp "$data/scenarios/example.json" mine/scenarios/
"$exe" plan mine/scenarios/example.json --rule paper >/dev/null ||
    fail "a profile folder without gpus/ did not find the shipped GPU type"
unset JIGSAW_DATA
[ -d "$prefix/$datadir/jigsaw" ] || ! "$exe" check scenarios/example.json >/dev/null 2>&1 ||
    fail "without JIGSAW_DATA a staged (not installed) data directory was found"

# The library, found with pkg-config in the staging directory.
export PKG_CONFIG_PATH=$root/$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
cflags=$(pkg-config --cflags jigsaw) || fail "pkg-config --cflags jigsaw"
libs=$(pkg-config --libs jigsaw) || fail "pkg-config --libs jigsaw"
pkg-config --static --libs jigsaw | grep -q -- '-lglpk' || fail "Libs.private lacks -lglpk"
pkg-config --print-requires jigsaw | grep -q libcjson || fail "Requires lacks libcjson"
pkg-config --print-requires-private jigsaw | grep -q gsl || fail "Requires.private lacks gsl"
${CC:-cc} -std=c17 -Wall -Werror $san_flags $cflags -o use_library "$src/tests/install/use_library.c" \
    $libs || fail "compiling against the installed library"
want=$(sed -n 's/^[[:space:]]*"slices_used":[[:space:]]*\([0-9]*\).*/\1/p' plan.json)
got=$(JIGSAW_DATA=$data LD_LIBRARY_PATH=$root/$libdir ./use_library) ||
    fail "the program linked to the installed library failed"
[ "$got" = "slices $want gpus $(sed -n 's/^[[:space:]]*"gpus_used":[[:space:]]*\([0-9]*\).*/\1/p' plan.json)" ] ||
    fail "library plan '$got' differs from the binary's ($want slices)"
echo "install-test: ok ($got)"
