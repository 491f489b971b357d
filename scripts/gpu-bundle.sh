#!/usr/bin/env bash
# gpu-bundle.sh: build jigsaw with the CUDA backend here and pack it, with the small shared
# libraries it needs, into .gpu-bundle/ for a GPU machine that has the NVIDIA driver, the
# CUDA 13 runtime, cuBLAS and cuDNN 9 but not this project's build dependencies (GLPK,
# cJSON, GSL) and no package manager access.
#
#   scripts/gpu-bundle.sh            -> .gpu-bundle/ (git-ignored, about 10 MB)
#
# On the GPU machine, from a copy of the repository holding .gpu-bundle/:
#
#   . .gpu-bundle/env.sh && BUILD=.gpu-bundle bash scripts/gpu-validate.sh
#
# env.sh puts the bundled libraries first on LD_LIBRARY_PATH, then the machine's CUDA
# libraries and, when cuDNN is not installed system-wide, the cuDNN of the nvidia-cudnn
# Python wheel if there is one. What is not bundled: the C and C++ runtimes and the loader,
# the CUDA runtime, cuBLAS, cuDNN and NVML (they must match the machine's driver). The
# binary is built without MPI (sweeps across machines are not needed there).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=build-gpu-bundle
OUT=.gpu-bundle
command -v nvcc >/dev/null || { echo "gpu-bundle: nvcc not found" >&2; exit 4; }
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    meson setup "$BUILD_DIR" -Dcuda=enabled -Dmpi=disabled -Dtests=disabled \
        --buildtype=release >/dev/null
fi
ninja -C "$BUILD_DIR" src/cli/jigsaw >/dev/null
rm -rf "$OUT"
mkdir -p "$OUT/src/cli" "$OUT/lib"
cp "$BUILD_DIR/src/cli/jigsaw" "$OUT/src/cli/jigsaw"

# Every resolved dependency except the C library, the loader and the CUDA/driver
# libraries, which must come from the machine that runs it.
ldd "$OUT/src/cli/jigsaw" | awk '$3 ~ /^\// {print $1, $3}' | while read -r name path; do
    case $name in
        libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|ld-linux*) continue ;;
        libstdc++.so.*|libgcc_s.so.*) continue ;; # the machine's own (its CUDA libraries need them)
        libcuda.so.*|libcudart.so.*|libcublas*.so.*|libcudnn*.so.*|libnvidia-ml.so.*) continue ;;
    esac
    cp -L "$path" "$OUT/lib/$name"
done

cat > "$OUT/env.sh" <<'ENV'
# Source me: library paths for the bundled jigsaw (see scripts/gpu-bundle.sh).
_jb=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)
_jp="$_jb/lib"
for _d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib; do
    [ -d "$_d" ] && _jp="$_jp:$_d"
done
if ! ldconfig -p 2>/dev/null | grep -q 'libcudnn\.so\.9'; then
    _cudnn=$(python3 -c 'import os, nvidia.cudnn as m; print(os.path.join(list(m.__path__)[0], "lib"))' 2>/dev/null || true)
    [ -n "$_cudnn" ] && [ -d "$_cudnn" ] && _jp="$_jp:$_cudnn"
    _cublas=$(python3 -c 'import os, nvidia.cublas as m; print(os.path.join(list(m.__path__)[0], "lib"))' 2>/dev/null || true)
    [ -n "$_cublas" ] && [ -d "$_cublas" ] && _jp="$_jp:$_cublas"
fi
export LD_LIBRARY_PATH="$_jp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
unset _jb _jp _d _cudnn _cublas
ENV

du -sh "$OUT"
# The bundle must at least start here (no GPU needed for --version and planning).
( . "$OUT/env.sh" && "$OUT/src/cli/jigsaw" --version )
