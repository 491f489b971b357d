#!/bin/sh
# Write the man page of `jigsaw` or one subcommand from its --help, the one source of both:
#   scripts/gen-man.sh JIGSAW [COMMAND] OUT
# The first paragraph of --help (the usage lines) becomes SYNOPSIS, the rest DESCRIPTION,
# kept verbatim (no fill) so the tables of options read as they do on a terminal. The
# one-line summary of a subcommand comes from `jigsaw --help`. No date: same build, same
# bytes.
set -eu
exe=$1
if [ $# -eq 3 ]; then cmd=$2; out=$3; else cmd=""; out=$2; fi
version=$("$exe" --version | sed 's/^jigsaw //')
if [ -n "$cmd" ]; then
    name="jigsaw-$cmd"
    summary=$("$exe" --help | sed -n "s/^  $cmd  *//p" | head -n 1)
    help=$("$exe" "$cmd" --help)
    see="jigsaw(1)"
else
    name="jigsaw"
    summary="capacity planner and simulator for compound inference on MIG/MPS GPUs"
    help=$("$exe" --help)
    see=$("$exe" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/jigsaw-\1(1)/p' | paste -sd, - |
          sed 's/,/, /g')
fi
upper=$(printf '%s' "$name" | tr 'a-z' 'A-Z')
# roff: a backslash is \e; a line starting with . or ' would be a request.
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
tmp="$out.tmp"
{
    printf '.TH %s 1 "" "jigsaw %s" "User Commands"\n' "$upper" "$version"
    printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
    printf '.SH SYNOPSIS\n.nf\n'
    printf '%s\n' "$help" | sed '/^$/q' | sed '/^$/d' | esc
    printf '.fi\n.SH DESCRIPTION\n.nf\n'
    printf '%s\n' "$help" | sed '1,/^$/d' | esc
    printf '.fi\n'
    printf '.SH ENVIRONMENT\n.TP\n.B JIGSAW_DATA\n'
    printf 'Colon-separated directories searched for shipped data (profiles/, scenarios/,\n'
    printf 'scripts/) after paths relative to the working directory or the scenario file,\n'
    printf 'before the installed data directory.\n'
    printf '.SH SEE ALSO\n%s\n' "$see"
} > "$tmp"
mv "$tmp" "$out"
