#!/usr/bin/env bash
# Install the Debian packages jigsaw needs, only those missing; quiet when none are.
# Sourced by scripts/run.sh and scripts/test.sh. Needs root (or sudo) only when
# something is missing.
set -euo pipefail

JS_PACKAGES_BUILD=(meson ninja-build pkg-config gcc libc6-dev libglpk-dev libcjson-dev
                   libgsl-dev libbz2-dev libopenmpi-dev openmpi-bin)
JS_PACKAGES_TEST=(libcriterion-dev valgrind)
JS_PACKAGES_PLOT=(gnuplot-nox)

js_missing_packages() {
    local p missing=()
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    printf '%s\n' "${missing[@]}"
}

js_install_packages() {
    local missing
    mapfile -t missing < <(js_missing_packages "$@" | sed '/^$/d')
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "jigsaw: need root to install: ${missing[*]}" >&2; return 1; }
        sudo=(sudo)
    fi
    echo "jigsaw: installing ${missing[*]}" >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}
