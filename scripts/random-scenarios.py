#!/usr/bin/env python3
"""Write N random but valid jigsaw scenarios, built from the shipped profiles.

Each scenario holds one application: a random task graph of 1-4 tasks (a chain, a tree
with fan-out, or -- sometimes -- a forest with two entry tasks fed by the same request,
listed in "sources" like the Social Media app), each task with 1-4 variants drawn from
the profiles that exist for the chosen GPU type (a100-80gb or h100-80gb), on 2-16 GPUs.

  - Variants of one task share one accuracy metric (ImageNet top-1, COCO mAP, CIDEr, ...).
    Accuracy, metric and accuracy_source come from the paper scenarios' variant entries
    when one of them uses the same profile, else from <profiles>/models.json, else a
    plausible invented value (marked "[synthetic]" in accuracy_source).
  - Edges carry a fan-out in [0.5, 6] (sometimes also fanout_by_variant).
  - Accuracy SLO in [0.8, 1.0]. Latency SLO = F x the critical path of the fastest
    variant combination meeting the accuracy SLO, where a task's time is its fastest
    batch-1 p95 over the profile's entries (p95 derived from the mean by the format's
    lognormal assumption, sigma 0.10, when absent) and F is drawn from
    [--slo-min-factor, --slo-max-factor] (default 2.5-5).
  - Demand rate: a load factor in [--load-min, --load-max] of a rough estimate of what the
    cluster serves with the cheapest accuracy-feasible combination (so most, not all,
    scenarios are feasible).
  - "profiles" is written as the path of --profiles-dir relative to the output directory.

Deterministic given --seed (same arguments, same files). Standard library only.
Prints one line per scenario: file, GPU, GPUs, tasks, shape, SLOs, rate.

Usage:
  scripts/random-scenarios.py --out DIR [-n N] [--seed S] [--profiles-dir profiles]
                              [--paper-scenarios DIR] [--check path/to/jigsaw]
With --check, every written file is validated with `jigsaw check` (exit 1 if one fails).
"""

import argparse
import glob
import itertools
import json
import math
import os
import random
import subprocess
import sys

GPU_TYPES = ["a100-80gb", "h100-80gb"]
P95_FACTOR = math.exp(1.6449 * 0.10 - 0.10 * 0.10 / 2)  # README: derived p95 from the mean
DEFAULT_RULE = {"stat": "p95", "slo_fraction": 0.5}

# Task names by metric, so the graphs read like pipelines.
TASK_NAMES = {
    "ImageNet top-1 (%)": "classify",
    "COCO val2017 mAP50-95": "detect",
    "COCO Karpathy test CIDEr": "caption",
    "SQuAD v1.1 F1 (%)": "answer",
}


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def accuracy_facts(profiles_dir, paper_dir):
    """profile name -> (accuracy, metric, accuracy_source); paper scenarios first."""
    facts = {}
    for path in sorted(glob.glob(os.path.join(paper_dir, "*.json"))):
        try:
            scen = load_json(path)
        except (OSError, ValueError):
            continue
        if scen.get("kind") != "scenario":
            continue
        for app in scen.get("apps", []):
            for task in app.get("tasks", []):
                for v in task.get("variants", []):
                    if "accuracy" in v and "metric" in v and v["profile"] not in facts:
                        facts[v["profile"]] = (v["accuracy"], v["metric"],
                                               v.get("accuracy_source",
                                                     "as in " + os.path.basename(path)))
    models = os.path.join(profiles_dir, "models.json")
    if os.path.exists(models):
        for m in load_json(models).get("models", []):
            if m["name"] not in facts and m.get("accuracy") and m.get("metric"):
                facts[m["name"]] = (m["accuracy"], m["metric"],
                                    m.get("accuracy_source", "profiles/models.json"))
    return facts


def profile_summary(path):
    """Fastest batch-1 p95 (ms) and best items/s per whole GPU-equivalent (7 compute
    slices) for a given per-task latency allowance, from a profile file."""
    prof = load_json(path)
    rows = []
    for e in prof.get("entries", []):
        if e.get("available", True) is False or "throughput" not in e:
            continue
        p95 = e.get("lat_p95_ms", e["lat_mean_ms"] * P95_FACTOR)
        rows.append((e["mig"], e["batch"], e["workers"], e["throughput"], p95))
    b1 = [r[4] for r in rows if r[1] == 1]
    if not b1:
        return None
    return {"fast_p95": min(b1), "rows": rows}


def capacity_per_gpu(summary, allowance_ms, compute_slices):
    """Best items/s per full GPU among entries whose batch p95 fits the allowance."""
    best = 0.0
    for mig, _b, w, thr, p95 in summary["rows"]:
        if p95 <= allowance_ms:
            best = max(best, thr * w * compute_slices / mig)
    return best


def random_graph(rng, ntasks):
    """parents[i] (None for an entry task) for tasks 0..n-1 in topological order."""
    parents = [None] * ntasks
    two_sources = ntasks >= 2 and rng.random() < 0.25
    for i in range(1, ntasks):
        if two_sources and i == 1:
            parents[i] = None
            continue
        shape = rng.random()
        if shape < 0.5:
            parents[i] = i - 1  # chain-like
        else:
            parents[i] = rng.randrange(0, i)  # tree / fan-out
    return parents


def paths_of(parents):
    children = {i: [j for j, p in enumerate(parents) if p == i] for i in range(len(parents))}
    out = []

    def walk(i, acc):
        acc = acc + [i]
        if not children[i]:
            out.append(acc)
        for c in children[i]:
            walk(c, acc)

    for i, p in enumerate(parents):
        if p is None:
            walk(i, [])
    return out


def make_scenario(rng, idx, args, facts, prof_cache):
    gpu = rng.choice(GPU_TYPES)
    gpu_facts = load_json(os.path.join(args.profiles_dir, "gpus", gpu + ".json"))
    compute_slices = gpu_facts["compute_slices"]
    avail = sorted(os.path.basename(p)[:-5]
                   for p in glob.glob(os.path.join(args.profiles_dir, gpu, "*.json")))

    # Group the available profiles by metric; invent facts for unknown ones.
    groups = {}
    for name in avail:
        key = (gpu, name)
        if key not in prof_cache:
            prof_cache[key] = profile_summary(os.path.join(args.profiles_dir, gpu, name + ".json"))
        if prof_cache[key] is None:
            continue
        if name in facts:
            acc, metric, src = facts[name]
        else:
            h = sum(ord(c) for c in name)
            acc, metric, src = (round(60 + h % 30 + 0.5, 3), "synthetic score (%)",
                                "[synthetic] plausible value, no published figure used")
        groups.setdefault(metric, []).append((name, acc, src))
    metrics = sorted(groups)

    ntasks = rng.choices([1, 2, 3, 4], weights=[15, 30, 30, 25])[0]
    parents = random_graph(rng, ntasks)
    tasks = []
    used = {}
    for i in range(ntasks):
        metric = rng.choice(metrics)
        pool = groups[metric]
        k = rng.randint(1, min(4, len(pool)))
        chosen = sorted(rng.sample(pool, k), key=lambda t: (t[1], t[0]))
        base = TASK_NAMES.get(metric, "speak" if "proxy" in metric else "infer")
        used[base] = used.get(base, 0) + 1
        tname = base if used[base] == 1 else "%s%d" % (base, used[base])
        variants = []
        for name, acc, src in chosen:
            variants.append({"name": name, "profile": name, "accuracy": acc,
                             "metric": metric, "accuracy_source": src})
        tasks.append({"name": tname, "variants": variants})

    edges = []
    fanout = {}
    for i, p in enumerate(parents):
        if p is None:
            continue
        f = round(rng.uniform(0.5, 6.0), 2)
        e = {"from": tasks[p]["name"], "to": tasks[i]["name"], "fanout": f}
        fanout[i] = [f] * len(tasks[p]["variants"])
        if len(tasks[p]["variants"]) > 1 and rng.random() < 0.25:
            byv = sorted(round(min(6.0, max(0.5, f * rng.uniform(0.7, 1.3))), 2)
                         for _ in tasks[p]["variants"])
            e["fanout_by_variant"] = byv
            fanout[i] = byv
        edges.append(e)

    acc_slo = round(rng.uniform(0.8, 1.0), 3)
    paths = paths_of(parents)

    # Fastest accuracy-feasible combination (critical path of batch-1 p95) and, for the
    # demand, the cheapest such combination.
    best_crit, best_combo = math.inf, None
    combos = itertools.product(*[range(len(t["variants"])) for t in tasks])
    for combo in combos:
        pas = 1.0
        for t, v in zip(tasks, combo):
            top = max(x["accuracy"] for x in t["variants"])
            pas *= t["variants"][v]["accuracy"] / top
        if pas + 1e-12 < acc_slo:
            continue
        crit = max(sum(prof_cache[(gpu, tasks[i]["variants"][combo[i]]["profile"])]["fast_p95"]
                       for i in path) for path in paths)
        if crit < best_crit:
            best_crit, best_combo = crit, combo
    factor = rng.uniform(args.slo_min_factor, args.slo_max_factor)
    slo_ms = round(factor * best_crit, 1)

    # Items per request of each task along its (unique) path from an entry task.
    items = []
    for i in range(ntasks):
        n, j = 1.0, i
        while parents[j] is not None:
            n *= fanout[j][best_combo[parents[j]]]
            j = parents[j]
        items.append(n)
    longest = max(len(p) for p in paths)
    allowance = slo_ms / (2.0 * longest)
    gpu_per_rate = 0.0
    for i in range(ntasks):
        s = prof_cache[(gpu, tasks[i]["variants"][best_combo[i]]["profile"])]
        cap = capacity_per_gpu(s, allowance, compute_slices) or \
            capacity_per_gpu(s, math.inf, compute_slices) * 0.2
        gpu_per_rate += items[i] / cap
    ngpus = rng.randint(2, 16)
    load = rng.uniform(args.load_min, args.load_max)
    rate = load * ngpus / gpu_per_rate
    digits = max(0, 2 - int(math.floor(math.log10(rate))))
    rate = round(rate, digits) if rate >= 1 else round(rate, 3)
    rate = max(rate, 0.01)

    name = "random-%03d" % idx
    shape = "single" if ntasks == 1 else ("two-source" if parents.count(None) == 2 else
                                          ("chain" if len(paths) == 1 else "tree"))
    app = {"name": "app", "description": "random %s of %d task(s)" % (shape, ntasks),
           "tasks": tasks}
    if edges:
        app["edges"] = edges
    srcs = [tasks[i]["name"] for i, p in enumerate(parents) if p is None]
    if len(srcs) > 1:
        app["sources"] = srcs
    app["slo"] = {"latency_ms": slo_ms, "accuracy": acc_slo, "rule": dict(DEFAULT_RULE)}
    app["demand"] = {"rate": rate}
    scen = {
        "kind": "scenario", "format_version": 1, "name": name,
        "description": ("Random scenario %d (scripts/random-scenarios.py --seed %d): %s, "
                        "latency SLO %.2f x the fastest accuracy-feasible critical path "
                        "(%.2f ms of batch-1 p95), load factor %.2f of a rough capacity "
                        "estimate." % (idx, args.seed, shape, factor, best_crit, load)),
        "profiles": os.path.relpath(args.profiles_dir, args.out),
        "cluster": {"gpu": gpu, "gpus": ngpus, "max_workers": 4},
        "apps": [app],
    }
    info = "%s gpu=%s gpus=%d tasks=%d shape=%s slo_ms=%g acc_slo=%g rate=%g" % (
        name + ".json", gpu, ngpus, ntasks, shape, slo_ms, acc_slo, rate)
    return name, scen, info


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("-n", type=int, default=60, help="number of scenarios (default 60)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--profiles-dir", default=os.path.join(repo, "profiles"),
                    help="the repository's profiles directory (default: ../profiles "
                         "from this script)")
    ap.add_argument("--paper-scenarios", default=os.path.join(repo, "scenarios"),
                    help="where to read the paper scenarios' variant accuracies")
    ap.add_argument("--slo-min-factor", type=float, default=2.5)
    ap.add_argument("--slo-max-factor", type=float, default=5.0)
    ap.add_argument("--load-min", type=float, default=0.1)
    ap.add_argument("--load-max", type=float, default=0.5)
    ap.add_argument("--check", metavar="JIGSAW", help="validate each file with JIGSAW check")
    args = ap.parse_args()
    if args.n < 0 or not (0 < args.slo_min_factor <= args.slo_max_factor) or \
            not (0 < args.load_min <= args.load_max):
        ap.error("bad -n, SLO factor or load range")
    args.profiles_dir = os.path.abspath(args.profiles_dir)
    args.out = os.path.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)

    facts = accuracy_facts(args.profiles_dir, args.paper_scenarios)
    prof_cache = {}
    rng = random.Random(args.seed)
    failed = 0
    for idx in range(args.n):
        # One generator per scenario, so scenario i does not depend on how many
        # random numbers scenario i-1 drew.
        srng = random.Random(rng.getrandbits(64))
        name, scen, info = make_scenario(srng, idx, args, facts, prof_cache)
        path = os.path.join(args.out, name + ".json")
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(scen, f, indent=1)
            f.write("\n")
        os.replace(tmp, path)
        if args.check:
            r = subprocess.run([args.check, "check", path], capture_output=True, text=True)
            if r.returncode != 0:
                failed += 1
                info += " CHECK-FAILED(rc=%d): %s" % (r.returncode, r.stderr.strip())
        print(info, flush=True)
    if failed:
        print("%d scenario(s) failed jigsaw check" % failed, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
