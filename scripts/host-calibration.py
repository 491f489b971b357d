#!/usr/bin/env python3
"""Calibrate the host model's per-family defaults against the public anchors and write
the calibration table (anchor figure, our model's figure, error).

The host model (include/jigsaw/host.h, docs/host-model.md): a worker's batch cycle is
host(b) + 1000 b / X_gpu, host(b) = ms_per_batch + b * ms_per_item. X_gpu is the
per-worker throughput of our A100-80GB profiles (profiles/a100-80gb: ParvaGPU's measured
tables, or the pm-1 performance model where marked modelled).

Anchors (docs/host-model.md, "Anchors", where each figure comes from):
  Loki (HPDC'24, UMass-LIDS/Loki profiling/profiled/runtimes_all.csv, GTX 1080 Ti, ONNX
    Runtime fed from numpy): per-batch runtimes of YOLOv5 n-x and EfficientNet b0-b6 at
    batch 1-64 (the figures below, with the row of the file each comes from).
  MIGPerf (HuaizhengZhang/MIGProfiler, A100, bert-base, eager PyTorch): 7 x 1g against
    7g per compute slice, from the bar heights of
    assets/pictures/infer/bert-base/bert-base_throughput_bsz_compare.svg: 6.95 (b1),
    5.26 (b8), 2.86 (b16), 1.42 (b32), 0.91 (b64).
  ParvaGPU (MunQ-Lee/ParvaGPU_SC24 prof_data, A100-80GB): ResNet-50 batch 1: 196/s on
    7g, 197/s on 1g; five MPS workers on 7g 1014/s = 5.2 x one worker.

Fits (one parameter per family, the rest of the rows are checks, not fitted):
  detector (yolov5*):       ms_per_item so that yolov5n's time per image at batch 64 on
                            7g equals Loki's 9.43 ms.
  image classifiers (CNN):  ms_per_item minimising the squared log error of the b1->b64
                            gain of efficientnet b0-b4 on 7g against Loki's b0-b4.
  transformer (bert):       ms_per_batch minimising the squared log error of the
                            per-slice ratio against MIGPerf's five figures.

Usage: scripts/host-calibration.py [PROFILES_DIR] [OUT_DIR]   (defaults: profiles results)
Writes OUT_DIR/host-calibration.csv and OUT_DIR/host-calibration.md.
"""
import json
import math
import os
import statistics
import sys

PROFILES = sys.argv[1] if len(sys.argv) > 1 else "profiles"

# Loki's measured runtimes (UMass-LIDS/Loki, profiling/profiled/runtimes_all.csv, GTX
# 1080 Ti, avg_runtime in seconds per batch): throughput gain from batch 1 to batch 64,
# 64 / t(64) over 1 / t(1), and yolov5n's time per image at batch 64.
LOKI_YOLOV5N_B64_MS = 602.787 / 64           # t(64) = 0.6027870 s
LOKI_YOLO = [("yolov5n", 64 * 0.0086799 / 0.6027870),
             ("yolov5s", 64 * 0.0130638 / 0.7274004),
             ("yolov5m", 64 * 0.0185980 / 1.0030788),
             ("yolov5l", 64 * 0.0265512 / 1.3650525),
             ("yolov5x", 64 * 0.0406135 / 2.0127383)]
LOKI_EFF = [64 * 0.0030919 / 0.0787293,      # eb0_checkpoint_150epochs
            64 * 0.0044197 / 0.1081517,      # eb1
            64 * 0.0044115 / 0.1140529,      # eb2
            64 * 0.0052951 / 0.1484635,      # eb3
            64 * 0.0068739 / 0.1998804]      # eb4
OUT = sys.argv[2] if len(sys.argv) > 2 else "results"


def load(model, gpu="a100-80gb"):
    with open(os.path.join(PROFILES, gpu, model + ".json")) as f:
        d = json.load(f)
    return {(e["mig"], e["batch"], e["workers"]): e for e in d["entries"]
            if e.get("available", True)}


def thr(p, mig, b, k=1, item=0.0, batch=0.0):
    """Per-worker items/s with host time: the cycle rule of js_host_config."""
    e = p[(mig, b, k)]
    cycle = 1000.0 * b / e["throughput"] + batch + b * item
    return 1000.0 * b / cycle


def largest_batch(p, mig, cap):
    return max(b for (m, b, k) in p if m == mig and k == 1 and b <= cap)


def gain(p, item=0.0, batch=0.0):
    """Whole GPU, one worker: throughput at batch 64 (or the largest that fits) over b1."""
    b = largest_batch(p, 7, 64)
    return thr(p, 7, b, 1, item, batch) / thr(p, 7, 1, 1, item, batch)


def per_slice(p, b, item=0.0, batch=0.0):
    return 7.0 * thr(p, 1, b, 1, item, batch) / thr(p, 7, b, 1, item, batch)


def bisect(f, lo, hi, target, increasing, it=200):
    for _ in range(it):
        mid = 0.5 * (lo + hi)
        if (f(mid) < target) == increasing:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def golden(f, lo, hi, it=200):
    g = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    for _ in range(it):
        c, d = b - g * (b - a), a + g * (b - a)
        if f(c) < f(d):
            b = d
        else:
            a = c
    return 0.5 * (a + b)


def main():
    rows = []  # (anchor source, quantity, anchor figure, model at host 0, model calibrated)
    yn = load("yolov5n")
    b64 = largest_batch(yn, 7, 64)
    ms_img = lambda h: 1000.0 / thr(yn, 7, b64, 1, h)
    det_item = bisect(ms_img, 0.0, 100.0, LOKI_YOLOV5N_B64_MS, True)
    rows.append(("Loki, yolov5n, GTX 1080 Ti", "ms per image at batch 64 (fitted)",
                 LOKI_YOLOV5N_B64_MS, ms_img(0.0), ms_img(det_item)))
    for m, anchor in LOKI_YOLO:
        p = load(m)
        b = largest_batch(p, 7, 64)
        rows.append(("Loki, %s, GTX 1080 Ti" % m,
                     "gain batch 1 -> 64" + ("" if b == 64 else
                                             " (ours: 1 -> %d, the largest that fits)" % b),
                     anchor, gain(p), gain(p, det_item)))
    effs = [load("efficientnet-b%d" % i) for i in range(5)]
    eloss = lambda h: sum(math.log(gain(p, h) / a) ** 2 for p, a in zip(effs, LOKI_EFF))
    cls_item = golden(eloss, 0.0, 100.0)
    for i, p in enumerate(effs):
        rows.append(("Loki, EfficientNet-B%d, GTX 1080 Ti" % i,
                     "gain batch 1 -> 64 (fitted jointly, b0-b4)", LOKI_EFF[i], gain(p),
                     gain(p, cls_item)))
    bert = load("bert")
    migperf = {1: 6.95, 8: 5.26, 16: 2.86, 32: 1.42, 64: 0.91}
    loss = lambda h: sum(math.log(per_slice(bert, b, 0.0, h) / a) ** 2 for b, a in migperf.items())
    tr_batch = golden(loss, 0.0, 200.0)
    for b, a in migperf.items():
        rows.append(("MIGPerf, bert-base, A100", "7 x 1g / 7g per slice, batch %d (fitted jointly)" % b,
                     a, per_slice(bert, b), per_slice(bert, b, 0.0, tr_batch)))
    r50 = load("resnet50")
    r = lambda h: thr(r50, 7, 1, 1, h) / thr(r50, 1, 1, 1, h)
    # ParvaGPU's measured figures (prof_data/resnet50.csv, as profiles/a100-80gb/resnet50.json
    # holds them): 195.826 items/s on 7g and 196.762 on 1g at batch 1, one worker; 202.809
    # per worker with 5 MPS workers on 7g.
    rows.append(("ParvaGPU, ResNet-50, A100", "7g / 1g throughput at batch 1", 195.826 / 196.762,
                 r(0.0), r(cls_item)))
    k5 = lambda h: 5 * thr(r50, 7, 1, 5, h) / thr(r50, 7, 1, 1, h)
    rows.append(("ParvaGPU, ResNet-50, A100", "5 MPS workers / 1 worker on 7g, batch 1",
                 5 * 202.809 / 195.826,
                 k5(0.0), k5(cls_item)))

    os.makedirs(OUT, exist_ok=True)
    fit = {"detector ms_per_item": det_item, "image classifier ms_per_item": cls_item,
           "transformer ms_per_batch": tr_batch}
    with open(os.path.join(OUT, "host-calibration.csv"), "w") as f:
        f.write("anchor,quantity,anchor_figure,model_host0,model_calibrated,error_pct\n")
        for src, q, a, m0, m1 in rows:
            err = "" if a is None else "%.1f" % (100.0 * (m1 - a) / a)
            f.write('"%s","%s",%s,%.3f,%.3f,%s\n' % (src, q, "" if a is None else "%.3f" % a, m0, m1, err))
    with open(os.path.join(OUT, "host-calibration.md"), "w") as f:
        f.write("# Host model calibration\n\n")
        f.write("Written by `scripts/host-calibration.py` from `profiles/a100-80gb` (ParvaGPU's "
                "measured tables; pm-1 modelled where the profile says so). Anchors and their "
                "sources: `docs/host-model.md`. Model figures: the host model's cycle rule "
                "(`include/jigsaw/host.h`) on our profiles, at host time 0 (today's GPU-bound "
                "model) and with the calibrated defaults. Error = (calibrated - anchor) / anchor.\n\n")
        f.write("Fitted defaults: " + ", ".join("%s = %.2f ms" % kv for kv in fit.items()) + ".\n\n")
        f.write("| anchor | quantity | anchor figure | ours, host 0 | ours, calibrated | error |\n")
        f.write("|---|---|---:|---:|---:|---:|\n")
        for src, q, a, m0, m1 in rows:
            f.write("| %s | %s | %s | %.2f | %.2f | %s |\n" % (
                src, q, "-" if a is None else "%.2f" % a, m0, m1,
                "-" if a is None else "%+.0f%%" % (100.0 * (m1 - a) / a)))
    for k, v in fit.items():
        print("%s = %.3f" % (k, v))
    # The shipped defaults are these fits rounded to 0.01 ms: say so when they drift apart.
    with open(os.path.join(PROFILES, "host-defaults.json")) as f:
        shipped = {fam["match"]: fam for fam in json.load(f)["families"]}
    for match, key, value in (("yolov5", "ms_per_item", det_item),
                              ("efficientnet-", "ms_per_item", cls_item),
                              ("bert", "ms_per_batch", tr_batch)):
        if abs(shipped[match][key] - value) > 0.006:
            print("host-calibration: %s %s: shipped %g, fitted %.3f: update %s" % (
                match, key, shipped[match][key], value,
                os.path.join(PROFILES, "host-defaults.json")), file=sys.stderr)


if __name__ == "__main__":
    main()
