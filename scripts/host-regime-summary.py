#!/usr/bin/env python3
"""Side-by-side summary of the analytical study in each host regime
(scripts/host-regime-study.sh): results/host-regime/REPORT.md.

Reads <dir>/<regime>/capacity.csv (written by `jigsaw compare`), recomputes each
application's per-slice efficiency (best items/s per compute slice on a 1g instance, up to
4 MPS workers, against the whole GPU with one worker) from the profiles and the host
model's cycle rule (include/jigsaw/host.h), and checks the paper's ordering claims per
regime from the data.

Usage: scripts/host-regime-summary.py RESULTS_DIR PROFILES_DIR SCENARIOS_DIR [--into REPORT]

With --into, the same study (less the planning times, which vary from run to run) also
becomes section 4 of REPORT (the top-level results/REPORT.md that `jigsaw compare`
writes), between the markers below: replaced if there, else inserted before "## Files".
The file is rewritten atomically, and the same inputs give the same bytes.
"""
import csv
import json
import math
import os
import statistics
import sys

OUT, PROFILES, SCENARIOS = sys.argv[1], sys.argv[2], sys.argv[3]
INTO = sys.argv[5] if len(sys.argv) == 6 and sys.argv[4] == "--into" else None
if len(sys.argv) not in (4, 6) or (len(sys.argv) == 6 and INTO is None):
    sys.exit("usage: host-regime-summary.py RESULTS_DIR PROFILES_DIR SCENARIOS_DIR "
             "[--into REPORT]")
BEGIN, END = "<!-- host-regime: begin -->", "<!-- host-regime: end -->"

# (directory, label, per-item host ms for every variant or None, calibrated, batch cap)
REGIMES = [
    ("gpu-bound", "GPU-bound (host 0)", 0.0, False, 0),
    ("host-1ms", "1 ms/item", 1.0, False, 0),
    ("host-2ms", "2 ms/item", 2.0, False, 0),
    ("host-5ms", "5 ms/item", 5.0, False, 0),
    ("calibrated", "calibrated", None, True, 0),
    ("calibrated-cores", "calibrated, 24 cores/GPU", None, True, 0),
    ("batch-cap-2", "batch <= 2 (proxy)", 0.0, False, 2),
]
SYSTEMS = ["A", "S", "T", "A+T", "S+T", "A+S", "A+S+T"]
# The paper's analytical gains over Unopt (arXiv 2603.08797; A+T derived as
# A+S+T / (A+S+T / A+T) = 21.6 / 11.3).
PAPER = {"A": 1.6, "S": 5.25, "T": 1.1, "A+T": 21.6 / 11.3, "S+T": 7.8, "A+S": 12.1,
         "A+S+T": 21.6, "A+S+T/A+T": 11.3}
APPS = ["social-media", "traffic-analysis", "ar-assistant"]
GPUS = [("a100", "a100-80gb"), ("h100", "h100-80gb")]


def read_capacity(regime):
    path = os.path.join(OUT, regime, "capacity.csv")
    rows = {}
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for r in csv.DictReader(f):
            rows[(r["gpu"], r["app"], r["system"])] = r
    return rows


def num(x):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return float("nan")
    return v


def scale(rows, gpu, app, system):
    r = rows.get((gpu, app, system))
    if r is None or r["feasible"] != "1":
        return 0.0
    return num(r["max_demand_scale"])


def geo(values):
    vs = [v for v in values if v > 0 and math.isfinite(v)]
    return math.exp(sum(math.log(v) for v in vs) / len(vs)) if vs else float("nan")


def gains(rows, gpu):
    """Geo-mean over applications (those where Unopt serves something) of each system's
    gain over Unopt, and of A+S+T / A+T over every application where A+T serves."""
    out = {}
    for s in SYSTEMS:
        out[s] = geo([scale(rows, gpu, a, s) / scale(rows, gpu, a, "unopt")
                      for a in APPS if scale(rows, gpu, a, "unopt") > 0])
    out["A+S+T/A+T"] = geo([scale(rows, gpu, a, "A+S+T") / scale(rows, gpu, a, "A+T")
                           for a in APPS if scale(rows, gpu, a, "A+T") > 0])
    return out


# ---- per-slice efficiency from the profiles and the host model ----------------------

def load_defaults():
    with open(os.path.join(PROFILES, "host-defaults.json")) as f:
        return json.load(f)["families"]


DEFAULTS = load_defaults()


def family_cost(profile):
    best, any_ = None, None
    for fam in DEFAULTS:
        m = fam["match"]
        if m == "*":
            any_ = any_ or fam
        elif profile.startswith(m) and (best is None or len(m) > len(best["match"])):
            best = fam
    f = best or any_
    return (f["ms_per_item"], f["ms_per_batch"],
            f.get("ms_per_token", 0.0) * f.get("tokens_per_item", 0.0))


def host_ms(profile, regime, batch):
    _, _, item, calibrated, _ = regime
    if calibrated:
        per_item, per_batch, per_tokens = family_cost(profile)
        return per_batch + batch * (per_item + per_tokens)
    return batch * item


def per_slice(gpu_dir, profile, regime):
    cap = regime[4]
    with open(os.path.join(PROFILES, gpu_dir, profile + ".json")) as f:
        entries = [e for e in json.load(f)["entries"] if e.get("available", True)]
    best = {1: 0.0, 7: 0.0}
    for e in entries:
        b, k, mig = e["batch"], e["workers"], e["mig"]
        if mig not in best or (cap and b > cap) or k > 4 or (mig == 7 and k != 1):
            continue
        cycle = 1000.0 * b / e["throughput"] + host_ms(profile, regime, b)
        best[mig] = max(best[mig], k * 1000.0 * b / cycle / mig)
    return best[1] / best[7] if best[7] > 0 else float("nan")


def best_variants(gpu):
    """Each paper application's tasks' most accurate variant (Unopt and S use it); gpu is
    the scenario files' infix ("a100")."""
    out = []
    for app in APPS:
        with open(os.path.join(SCENARIOS, "%s-%s-120.json" % (app, gpu))) as f:
            sc = json.load(f)
        for t in sc["apps"][0]["tasks"]:
            v = max(t["variants"], key=lambda v: v.get("accuracy", 0.0))
            if v["profile"] not in out:
                out.append(v["profile"])
    return out


# ---- claims ---------------------------------------------------------------------------

def claims(g):
    """The paper's orderings between its figures, each checked on our gains."""
    pairs = [("S", "A"), ("A", "T"), ("S+T", "S"), ("A+S", "S+T"), ("A+S+T", "A+S"),
             ("A+S+T/A+T", "S")]
    out = []
    for hi, lo in pairs:
        ok = g[hi] > g[lo]
        out.append(("%s > %s (paper %.2f > %.2f)" % (hi, lo, PAPER[hi], PAPER[lo]),
                    ok, "%.2f vs %.2f" % (g[hi], g[lo])))
    return out


def per_app_claims(rows, gpu):
    out = []
    for app in APPS:
        best = scale(rows, gpu, app, "A+S+T")
        others = max(scale(rows, gpu, app, s) for s in ["unopt"] + SYSTEMS[:-1])
        with_s = [scale(rows, gpu, app, s) for s in ("S", "S+T", "A+S", "A+S+T")]
        without = [scale(rows, gpu, app, s) for s in ("unopt", "A", "T", "A+T")]
        out.append((app, best >= others * (1 - 1e-9),
                    min(with_s) >= max(without) * (1 - 1e-9) and max(with_s) > 0,
                    min(with_s), max(without)))
    return out


def closeness(g):
    """Mean absolute log error of the eight figures against the paper's (lower: closer)."""
    errs = [abs(math.log(g[k] / PAPER[k])) for k in PAPER if g[k] > 0 and math.isfinite(g[k])]
    return math.exp(sum(errs) / len(errs)) if errs else float("nan")


def fmt(x):
    return "-" if not math.isfinite(x) else "%.2fx" % x


def main():
    data = {r[0]: read_capacity(r[0]) for r in REGIMES}
    regimes = [r for r in REGIMES if data[r[0]]]
    L = []
    w = L.append
    w("# The analytical study by host regime\n")
    w("Written by `scripts/host-regime-summary.py` from the runs of "
      "`scripts/host-regime-study.sh`: `jigsaw compare` (analytical study only: 120 GPUs, "
      "the paper's rule, eight systems, three applications) once per host regime, each in "
      "its own directory here with its own REPORT.md. The host model and its calibration: "
      "`docs/host-model.md`; the calibration table (anchor figure, ours, error): "
      "`results/host-calibration.md`. The regimes: GPU-bound (host time 0: the model of the "
      "top-level results/), a uniform host time per item for every variant (1, 2, 5 ms: the "
      "sensitivity), the calibrated per-family defaults (`profiles/host-defaults.json`), the "
      "same with the paper's CPU budget (96 cores per 4 GPUs = 24 per GPU, as 192 per node of "
      "8 GPUs), and the batch cap of 2 (GPU-bound), the proxy used before the mechanism, "
      "labelled as such. Which regime comes closest to the paper is a finding: nothing was "
      "tuned to it (the calibration fits public anchors only).\n")
    for key, gdir in GPUS:
        if not any((key, APPS[0], "unopt") in data[r[0]] for r in regimes):
            continue
        gs = {r[0]: gains(data[r[0]], key) for r in regimes}
        w("\n## %s, 120 GPUs\n" % gdir)
        w("\n### Gains over Unopt (geometric mean over the applications Unopt serves)\n")
        w("| system | " + " | ".join(r[1] for r in regimes) + " | paper |")
        w("|---|" + "---:|" * (len(regimes) + 1))
        for s in SYSTEMS + ["A+S+T/A+T"]:
            label = "**A+S+T / A+T**" if s == "A+S+T/A+T" else s
            w("| %s | " % label + " | ".join(fmt(gs[r[0]][s]) for r in regimes) +
              " | %.2fx%s |" % (PAPER[s], " (derived)" if s == "A+T" else ""))
        w("| distance to the paper (geometric mean of ours/paper or paper/ours) | " +
          " | ".join(fmt(closeness(gs[r[0]])) for r in regimes) + " | 1.00x |")
        missing = []
        for r in regimes:
            gone = [a for a in APPS if (key, a, "unopt") not in data[r[0]]]
            if gone:
                missing.append("%s: %s" % (r[1], ", ".join(gone)))
        if missing:
            w("\n**Missing** (the planner found no plan for some system within its 120 s "
              "time limit, so the whole application is left out of that regime's figures; "
              "docs/host-model.md, \"Open problems\"): " + "; ".join(missing) + ".\n")
        order = sorted((closeness(gs[r[0]]), r[1]) for r in regimes if r[0] != "batch-cap-2")
        w("\nClosest to the paper among the mechanisms (the proxy aside): **%s** (%.2fx on "
          "average from the paper's figures); farthest: %s (%.2fx).\n"
          % (order[0][1], order[0][0], order[-1][1], order[-1][0]))
        w("\n### The paper's orderings, per regime\n")
        w("| claim | " + " | ".join(r[1] for r in regimes) + " |")
        w("|---|" + "---|" * len(regimes))
        per = {r[0]: claims(gs[r[0]]) for r in regimes}
        for i, (text, _, _) in enumerate(per[regimes[0][0]]):
            w("| %s | " % text + " | ".join(
                ("holds (%s)" if per[r[0]][i][1] else "**fails** (%s)") % per[r[0]][i][2]
                for r in regimes) + " |")
        apc = {r[0]: per_app_claims(data[r[0]], key) for r in regimes}
        for j, app in enumerate(APPS):
            w("| %s: A+S+T >= every other system | " % app + " | ".join(
                "holds" if apc[r[0]][j][1] else "**fails**" for r in regimes) + " |")
            w("| %s: every system with S >= every system without | " % app + " | ".join(
                ("holds" if apc[r[0]][j][2] else "**fails**") +
                " (%.3g vs %.3g)" % (apc[r[0]][j][3], apc[r[0]][j][4]) for r in regimes) + " |")
        w("\nFigures in parentheses: ours (gain against gain; for the per-application rows "
          "the lowest maximum demand scale with S against the highest without, 0 where a "
          "system serves nothing: on ar-assistant, S and A+S keep the most accurate captioner, "
          "whose batch latency alone exceeds its local budget, see each regime's REPORT.md). "
          "Equal figures fail a strict claim: where S+T = S or A+S+T = A+S, the graph-aware "
          "budget bought nothing at that host time.\n")
        w("\n### Per-slice efficiency: why S gains what it gains\n")
        w("Best items/s per compute slice of each task's most accurate variant on a 1g "
          "instance (any batch, up to 4 MPS workers) over the whole GPU with one worker "
          "(any batch): Unopt's only configuration against S's best. Recomputed here from "
          "the profiles and the host model's cycle rule, independently of the planner. A "
          "ratio r means a slice of small instances serves r times what a slice of a whole "
          "GPU does: S alone can gain about r where that task binds, and nothing where r "
          "is near 1.\n")
        variants = best_variants(key)
        w("| variant | " + " | ".join(r[1] for r in regimes) + " |")
        w("|---|" + "---:|" * len(regimes))
        ratios = {r[0]: [] for r in regimes}
        for v in variants:
            cells = []
            for r in regimes:
                x = per_slice(gdir, v, r)
                ratios[r[0]].append(x)
                cells.append(fmt(x))
            w("| %s | " % v + " | ".join(cells) + " |")
        w("| **median** | " + " | ".join(
            fmt(statistics.median([x for x in ratios[r[0]] if math.isfinite(x)]))
            for r in regimes) + " |")
        w("\nThe paper's S = 5.25x needs a per-slice ratio of about 5 on the tasks that bind "
          "its capacity. GPU-bound, our profiles give a median of %s: a whole GPU at a large "
          "batch is already well used. With serial host time per item the whole GPU's single "
          "worker is bound by its host phase, which MPS workers on small instances run in "
          "parallel: the median rises to %s at 5 ms/item and %s in the calibrated regime.\n"
          % (fmt(statistics.median([x for x in ratios["gpu-bound"] if math.isfinite(x)])),
             fmt(statistics.median([x for x in ratios.get("host-5ms", [float("nan")])
                                    if math.isfinite(x)] or [float("nan")])),
             fmt(statistics.median([x for x in ratios.get("calibrated", [float("nan")])
                                    if math.isfinite(x)] or [float("nan")]))))
    timing_at = len(L)
    w("\n### Planning time per regime (wall seconds of the whole analytical study, both GPU "
      "types, on a shared machine)\n")
    w("| " + " | ".join(r[1] for r in regimes) + " |")
    w("|" + "---:|" * len(regimes))
    cells = []
    for r in regimes:
        p = os.path.join(OUT, r[0], "planning-seconds.txt")
        cells.append(open(p).read().strip() if os.path.exists(p) else "-")
    w("| " + " | ".join(cells) + " |")
    write_atomic(os.path.join(OUT, "REPORT.md"), "\n".join(L) + "\n")
    if INTO:
        embed(INTO, L[2:timing_at])


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def embed(report, body):
    """Section 4 of the top-level report: this study, headings one level down."""
    sec = [BEGIN, "## 4. Host regimes: the analytical study by mechanism\n",
           "The analytical study of section 1 (the paper's rule, 120 GPUs) rerun in each "
           "host regime of `docs/host-model.md` by `scripts/host-regime-study.sh`; each "
           "regime's full report is in `host-regime/<regime>/REPORT.md`, this summary also "
           "in `host-regime/REPORT.md` (with the planning time per regime). Section 1 is the "
           "GPU-bound regime (host time 0).\n"]
    for line in body:
        bare = line.lstrip("\n")
        sec.append(line[:len(line) - len(bare)] + "#" + bare if bare.startswith("#") else line)
    sec.append(END)
    block = "\n".join(sec) + "\n"
    with open(report) as f:
        text = f.read()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + block + "\n" + tail
    elif "\n## Files" in text:
        head, tail = text.split("\n## Files", 1)
        text = head.rstrip("\n") + "\n\n" + block + "\n## Files" + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block
    if "`host-regime/`" not in text:
        text = text.rstrip("\n") + ("\n- `host-regime/`: the analytical study per host "
                                    "regime (section 4), one directory per regime.\n")
    write_atomic(report, text)


if __name__ == "__main__":
    main()
