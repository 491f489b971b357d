#!/usr/bin/env bash
# gpu-validate.sh: the prepared real-GPU check (about 6-9 minutes on one NVIDIA GPU).
#
#  1. builds jigsaw with the CUDA backend (build-gpu/, or $BUILD) unless already built;
#  2. probes the GPU (results/gpu/probe-<gpu>.json);
#  3. starts an MPS daemon for the run (unless one runs; stopped at exit);
#  4. profiles the ResNet-50, YOLOv5s and EfficientNet-B0 proxies over MPS shares
#     1,2,3,7 of 7 slices, batch sizes 1..16 and 1-2 co-located workers (or over the MIG
#     instances when MIG is enabled) -> profiles/<gpu>/<model>.json (measured) and
#     results/gpu/profile-<gpu>-<model>.json (with p99);
#  5. compares each measured table with our modelled H100 one
#     (results/gpu/diff-<gpu>-vs-h100-<model>.json);
#  6. plans a small detect -> classify app (YOLOv5s -> EfficientNet-B0) on the measured
#     profiles, runs it on the GPU for 60 s of Poisson arrivals and compares with the
#     simulator (results/gpu/validate-<gpu>.json/.md).
# Everything it ran is logged to results/gpu/run-<gpu>.log.
#
# Rehearsal without a GPU: EMULATE=DIR runs every step on the emulated device (workers sleep
# for the modelled H100 latencies; no CUDA build, probe or MPS) and writes everything under
# DIR instead of profiles/ and results/gpu/, so committed files are untouched. The test
# suite runs it (tests/cuda), so the plumbing is known to work before a GPU is lent.
#
# On a GPU machine without this project's build dependencies, use the bundle made here by
# scripts/gpu-bundle.sh:  . .gpu-bundle/env.sh && BUILD=.gpu-bundle scripts/gpu-validate.sh
#
# Usage: scripts/gpu-validate.sh            (from anywhere; works in the repository root)
# Env:   BUILD=dir  RATE=req/s (20)  DURATION=s (60)  REPS=n (30)  SHARES=1,2,3,7
#        BATCHES=1,2,4,8,16  EMULATE=dir
#        ARCHIVE=file.tgz  on exit, also when a step failed, pack everything written
#                          (profiles, results, the log) into one file
# Exit:  0 ok; 4 when there is no GPU or no CUDA toolkit; other codes from jigsaw.
set -euo pipefail
cd "$(dirname "$0")/.."

EMULATE=${EMULATE:-}
if [ -n "$EMULATE" ]; then BUILD=${BUILD:-build}; else BUILD=${BUILD:-build-gpu}; fi
RATE=${RATE:-20}
DURATION=${DURATION:-60}
REPS=${REPS:-30}
SHARES=${SHARES:-1,2,3,7}
BATCHES=${BATCHES:-1,2,4,8,16}
MODELS="resnet50 yolov5s efficientnet-b0"
J="$BUILD/src/cli/jigsaw"
PROFILES=profiles
RESULTS=results/gpu

step() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

if [ ! -x "$J" ]; then
    if [ -n "$EMULATE" ]; then
        step "build (rehearsal: no CUDA)"
        [ -d "$BUILD" ] || meson setup "$BUILD" >/dev/null
    else
        step "build with -Dcuda=enabled"
        command -v nvcc >/dev/null || { echo "gpu-validate: nvcc not found" >&2; exit 4; }
        meson setup "$BUILD" -Dcuda=enabled -Dtests=disabled --buildtype=release >/dev/null
    fi
    ninja -C "$BUILD" src/cli/jigsaw
fi

started_mps=0
gpu=
finish() {
    if [ "$started_mps" = 1 ]; then echo quit | nvidia-cuda-mps-control || true; fi
    if [ -n "${ARCHIVE:-}" ]; then
        local what=("$RESULTS")
        [ -n "$gpu" ] && [ -d "$PROFILES/$gpu" ] && what+=("$PROFILES/$gpu")
        tar czf "$ARCHIVE" "${what[@]}" && echo "packed ${what[*]} into $ARCHIVE" >&2
    fi
}
trap finish EXIT

if [ -n "$EMULATE" ]; then
    gpu=emulated-h100
    PROFILES=$EMULATE/profiles
    RESULTS=$EMULATE/results
    mkdir -p "$RESULTS"
    LOG="$RESULTS/run-$gpu.log"
    exec > >(tee "$LOG") 2>&1
    echo "gpu-validate.sh rehearsal on the emulated device, jigsaw $("$J" --version)"
else
    mkdir -p "$RESULTS"
    step "probe"
    set +e
    "$J" gpu probe
    rc=$?
    set -e
    [ $rc -eq 0 ] || exit $rc
    "$J" gpu probe --json > "$RESULTS/probe.json"
    gpu=$(sed -n 's/.*"profile_dir":[[:space:]]*"\([^"]*\)".*/\1/p' "$RESULTS/probe.json")
    [ -n "$gpu" ] || { echo "gpu-validate: cannot read the GPU name" >&2; exit 1; }
    mv "$RESULTS/probe.json" "$RESULTS/probe-$gpu.json"
    LOG="$RESULTS/run-$gpu.log"
    exec > >(tee "$LOG") 2>&1
    echo "gpu-validate.sh on $gpu, $(date -u +%Y-%m-%dT%H:%M:%SZ), jigsaw $("$J" --version)"

    # MPS: our own daemon in private pipe/log directories unless one is already running.
    export CUDA_MPS_PIPE_DIRECTORY=${CUDA_MPS_PIPE_DIRECTORY:-$PWD/$BUILD/mps-pipe}
    export CUDA_MPS_LOG_DIRECTORY=${CUDA_MPS_LOG_DIRECTORY:-$PWD/$BUILD/mps-log}
    if [ ! -p "$CUDA_MPS_PIPE_DIRECTORY/control" ] &&
        command -v nvidia-cuda-mps-control >/dev/null; then
        step "start MPS daemon"
        mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
        if nvidia-cuda-mps-control -d; then started_mps=1; sleep 1; else
            echo "gpu-validate: warning: MPS daemon did not start; shares will time-slice"; fi
    fi
    "$J" gpu probe --json > "$RESULTS/probe-$gpu.json"
fi

step "profile $MODELS (shares $SHARES of 7, batches $BATCHES, workers 1-2, $REPS reps)"
for m in $MODELS; do
    emu=()
    [ -z "$EMULATE" ] || emu=(--emulate "profiles/h100-80gb/$m.json")
    "$J" gpu profile --model "$m" --shares "$SHARES" --batches "$BATCHES" --workers 1,2 \
        --warmup 5 --reps "$REPS" --gpu-name "$gpu" --profiles-dir "$PROFILES" \
        --results-dir "$RESULTS" "${emu[@]}"
done

step "measured $gpu vs modelled h100-80gb"
for m in $MODELS; do
    "$J" gpu diff "$PROFILES/$gpu/$m.json" "profiles/h100-80gb/$m.json" | tail -1
    "$J" gpu diff "$PROFILES/$gpu/$m.json" "profiles/h100-80gb/$m.json" --json \
        > "$RESULTS/diff-$gpu-vs-h100-$m.json"
done

step "validate a small plan on the measured profiles"
V=$RESULTS/validate
mkdir -p "$V/profiles/gpus" "$V/profiles/$gpu"
sed -e "s/\"name\": *\"h100-80gb\"/\"name\": \"$gpu\"/" \
    -e "s/\"description\": *\"[^\"]*\"/\"description\": \"$gpu run in MPS shares; MIG geometry copied from h100-80gb for planning (slices only)\"/" \
    -e '/"price_per_gpu_hour": {/,/^  },$/d' \
    profiles/gpus/h100-80gb.json > "$V/profiles/gpus/$gpu.json"
cp "$PROFILES/$gpu/yolov5s.json" "$PROFILES/$gpu/efficientnet-b0.json" "$V/profiles/$gpu/"
cat > "$V/scenario.json" <<SCENARIO
{
  "kind": "scenario",
  "format_version": 1,
  "name": "gpu-validate-$gpu",
  "description": "Real-GPU validation: YOLOv5s -> EfficientNet-B0 proxies with the profiles just measured on $gpu. Fan-out 2 is illustrative.",
  "profiles": "profiles",
  "cluster": {"gpu": "$gpu", "gpus": 1, "max_workers": 2},
  "apps": [
    {
      "name": "detect-classify",
      "description": "detect (YOLOv5s proxy) -> classify (EfficientNet-B0 proxy)",
      "tasks": [
        {"name": "detect", "variants": [{"name": "yolov5s", "profile": "yolov5s", "accuracy": 37.4, "metric": "COCO mAP50-95", "accuracy_source": "Ultralytics YOLOv5 README"}]},
        {"name": "classify", "variants": [{"name": "efficientnet-b0", "profile": "efficientnet-b0", "accuracy": 77.1, "metric": "ImageNet top-1 (%)", "accuracy_source": "Tan & Le 2019, Table 2"}]}
      ],
      "edges": [{"from": "detect", "to": "classify", "fanout": 2.0}],
      "slo": {"latency_ms": 200, "accuracy": 0.5, "rule": {"stat": "p95", "slo_fraction": 0.5}},
      "demand": {"rate": $RATE}
    }
  ]
}
SCENARIO
"$J" plan "$V/scenario.json" --system S --json -o "$V/plan.json"
emu=()
[ -z "$EMULATE" ] || emu=(--emulate)
"$J" gpu validate "$V/plan.json" --scenario "$V/scenario.json" --rate "$RATE" \
    --duration "$DURATION" --seed 1 --name "validate-$gpu" --out "$RESULTS" "${emu[@]}"

step "done"
ls -l "$PROFILES/$gpu" "$RESULTS"
