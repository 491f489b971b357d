#!/usr/bin/env bash
# Module dependency graph from #include lines; exits 1 on a cycle between modules.
#
# A module is a directory under src/. A file depends on the module owning each header it
# includes:
#   - "jigsaw/<name>.h" (include/jigsaw/) belongs to the module whose src/ directory
#     defines most of the functions the header declares (OWNER below overrides);
#   - a private header ("x.h") belongs to the directory under src/ that holds it
#     (generated headers such as js_config.h belong to none).
# Files scanned: src/<module>/* (C, CUDA and headers) and include/jigsaw/*.h, the latter
# counted for their owner: a public header's includes are its module's dependencies.
# Dependencies inside a module are not edges.
#
# Usage: scripts/check-deps.sh [ROOT] [-q]   (ROOT: the repository, default: this one)
#   -q: print only problems (cycles), not the graph.
# Exit: 0 no cycle, 1 a cycle (printed with the include lines that make it), 2 usage or
# a header with no owner.
set -euo pipefail

root=
quiet=0
for arg in "$@"; do
    case $arg in
    -q) quiet=1 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "check-deps: unknown option $arg" >&2; exit 2 ;;
    *) root=$arg ;;
    esac
done
[ -n "$root" ] || root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
[ -d src ] && [ -d include/jigsaw ] || { echo "check-deps: $root has no src/ or include/jigsaw/" >&2; exit 2; }

# Headers whose owner cannot be found from function definitions (limits.h: macros only).
declare -A OWNER=([jigsaw/limits.h]=core)

shopt -s nullglob
modules=()
for d in src/*/; do
    d=${d%/}
    modules+=("${d#src/}")
done

# Function definitions: defined_in[name] = the modules whose src/<module>/*.c / *.cu define
# it at the start of a line (a line that opens a definition does not end with ';').
declare -A defined_in=()
def_re='^src/([^/]+)/[^:]+:[A-Za-z_][A-Za-z0-9_ ]*[ *]\**([A-Za-z_][A-Za-z0-9_]*)\('
srcs=()
for m in "${modules[@]}"; do
    srcs+=(src/"$m"/*.c src/"$m"/*.cu)
done
while IFS= read -r line; do
    [[ ! $line =~ \;[[:space:]]*$ ]] && [[ $line =~ $def_re ]] || continue
    defined_in[${BASH_REMATCH[2]}]+="${BASH_REMATCH[1]} "
done < <(grep -HE '^[A-Za-z_][A-Za-z0-9_ ]*[ *]\**[A-Za-z_][A-Za-z0-9_]*\(' "${srcs[@]}")

# Owner of each public header: the module defining most of its declared js_ functions.
declare -A header_owner=()
for h in include/jigsaw/*.h; do
    name=${h#include/}
    if [ -n "${OWNER[$name]:-}" ]; then
        header_owner[$name]=${OWNER[$name]}
        continue
    fi
    declare -A votes=()
    # declarations: js_... followed by '(' (comments mention names without parentheses)
    for fn in $(sed -E 's|/\*.*\*/||g' "$h" | grep -oE '\bjs_[a-z0-9_]+[[:space:]]*\(' |
                tr -d ' (' | sort -u); do
        for m in ${defined_in[$fn]:-}; do
            votes[$m]=$(( ${votes[$m]:-0} + 1 ))
        done
    done
    best= bestn=0
    for m in "${!votes[@]}"; do
        if [ "${votes[$m]}" -gt "$bestn" ] || { [ "${votes[$m]}" -eq "$bestn" ] && [[ $m < $best ]]; }; then
            best=$m bestn=${votes[$m]}
        fi
    done
    unset votes
    if [ -z "$best" ]; then
        echo "check-deps: no module under src/ defines a function of $h (add it to OWNER)" >&2
        exit 2
    fi
    header_owner[$name]=$best
done

# Module of a private header included from directory $2: relative to that directory
# first (as the compiler looks), else the one directory under src/ that holds it.
private_owner() {
    local inc=$1 dir=$2 hit=() f
    if [ -f "$dir/$inc" ]; then
        f=$(realpath -m --relative-to=. "$dir/$inc")
        [[ $f == src/*/* ]] || return 0
        f=${f#src/}
        echo "${f%%/*}"
        return
    fi
    for f in src/*/"$inc"; do
        hit+=("$f")
    done
    if [ ${#hit[@]} -eq 1 ]; then
        f=${hit[0]#src/}
        echo "${f%%/*}"
    fi
}

# Edges: deps["a b"] = first include line that makes module a depend on module b.
declare -A deps=()
include_re='^([^:]+):([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)"'
add_edge() { # from to where
    [ -n "$2" ] && [ "$1" != "$2" ] && [ -z "${deps["$1 $2"]:-}" ] && deps["$1 $2"]=$3
    return 0
}
files=()
for m in "${modules[@]}"; do
    files+=(src/"$m"/*.c src/"$m"/*.cu src/"$m"/*.h)
done
files+=(include/jigsaw/*.h)
while IFS= read -r line; do
    [[ $line =~ $include_re ]] || continue
    file=${BASH_REMATCH[1]} lineno=${BASH_REMATCH[2]} inc=${BASH_REMATCH[3]}
    if [[ $file == include/* ]]; then
        mod=${header_owner[${file#include/}]}
    else
        mod=${file#src/}
        mod=${mod%%/*}
    fi
    case $inc in
    jigsaw/*) to=${header_owner[$inc]:-} ;;
    *) to=$(private_owner "$inc" "${file%/*}") ;;
    esac
    add_edge "$mod" "$to" "$file:$lineno: #include \"$inc\""
done < <(grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${files[@]}" || true)

# Adjacency lists, sorted.
declare -A adj=()
for e in "${!deps[@]}"; do
    adj[${e% *}]+="${e#* } "
done
for m in "${modules[@]}"; do
    adj[$m]=$(tr ' ' '\n' <<<"${adj[$m]:-}" | sed '/^$/d' | sort | tr '\n' ' ')
done

if [ $quiet -eq 0 ]; then
    echo "header owners:"
    for h in $(printf '%s\n' "${!header_owner[@]}" | sort); do
        printf '  %-22s %s\n' "$h" "${header_owner[$h]}"
    done
    echo "module dependencies (module -> modules it includes):"
    for m in "${modules[@]}"; do
        printf '  %-10s -> %s\n' "$m" "${adj[$m]:-}"
    done
fi

# Depth-first search; a grey successor closes a cycle.
declare -A color=()
stack=()
cycles=0
dfs() {
    local u=$1 v i
    color[$u]=grey
    stack+=("$u")
    for v in ${adj[$u]:-}; do
        if [ "${color[$v]:-white}" = grey ]; then
            cycles=$((cycles + 1))
            local cyc=() start=0
            for i in "${!stack[@]}"; do
                [ "${stack[$i]}" = "$v" ] && start=$i
            done
            cyc=("${stack[@]:$start}" "$v")
            local text="${cyc[*]}"
            echo "cycle: ${text// / -> }"
            for ((i = 0; i + 1 < ${#cyc[@]}; i++)); do
                echo "  ${cyc[$i]} -> ${cyc[$((i + 1))]}: ${deps["${cyc[$i]} ${cyc[$((i + 1))]}"]}"
            done
        elif [ "${color[$v]:-white}" = white ]; then
            dfs "$v"
        fi
    done
    unset 'stack[${#stack[@]}-1]'
    color[$u]=black
}
for m in "${modules[@]}"; do
    [ "${color[$m]:-white}" = white ] && dfs "$m"
done

if [ $cycles -gt 0 ]; then
    echo "check-deps: $cycles cycle(s) between modules" >&2
    exit 1
fi
[ $quiet -eq 1 ] || echo "no cycles between modules"
