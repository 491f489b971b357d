"""Shared helpers of the scenario generators (scripts/random-scenarios.py,
scripts/fleet-scenarios.py): accuracy facts, profile summaries, the rough capacity
estimate, random task graphs, tasks and edges, atomic writes and `jigsaw check`.

Standard library only. Every function that draws from `rng` does so in a fixed order, so
a generator stays deterministic given its seed.
"""

import glob
import itertools
import json
import math
import os
import subprocess

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


def write_json_atomic(path, obj):
    """Write obj as indented JSON to a temporary file beside path, then rename it."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def jigsaw_check(exe, path):
    """Run `exe check path`; return None when it passes, else a one-line reason."""
    r = subprocess.run([exe, "check", path], capture_output=True, text=True)
    if r.returncode == 0:
        return None
    return "CHECK-FAILED(rc=%d): %s" % (r.returncode, r.stderr.strip())


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


def gpu_compute_slices(profiles_dir, gpu):
    return load_json(os.path.join(profiles_dir, "gpus", gpu + ".json"))["compute_slices"]


def metric_groups(profiles_dir, gpu, facts, prof_cache):
    """metric -> [(profile, accuracy, accuracy_source)] of the profiles available for gpu
    (those with a batch-1 entry), in profile-name order; facts invented for unknown ones.
    Fills prof_cache[(gpu, profile)] with profile_summary()."""
    avail = sorted(os.path.basename(p)[:-5]
                   for p in glob.glob(os.path.join(profiles_dir, gpu, "*.json")))
    groups = {}
    for name in avail:
        key = (gpu, name)
        if key not in prof_cache:
            prof_cache[key] = profile_summary(os.path.join(profiles_dir, gpu, name + ".json"))
        if prof_cache[key] is None:
            continue
        if name in facts:
            acc, metric, src = facts[name]
        else:
            h = sum(ord(c) for c in name)
            acc, metric, src = (round(60 + h % 30 + 0.5, 3), "synthetic score (%)",
                                "[synthetic] plausible value, no published figure used")
        groups.setdefault(metric, []).append((name, acc, src))
    return groups


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


def graph_shape(parents):
    """single, two-source, chain or tree."""
    if len(parents) == 1:
        return "single"
    if parents.count(None) == 2:
        return "two-source"
    return "chain" if len(paths_of(parents)) == 1 else "tree"


def random_task(rng, groups, used, kmin=1, kmax=4):
    """A task of kmin..kmax variants of one metric whose pool holds at least kmin
    profiles; its name is unique among `used` (a dict base name -> count, updated)."""
    metrics = sorted(m for m in groups if len(groups[m]) >= kmin)
    if not metrics:
        raise ValueError("no metric has %d profiles" % kmin)
    metric = rng.choice(metrics)
    pool = groups[metric]
    k = rng.randint(kmin, min(kmax, len(pool)))
    chosen = sorted(rng.sample(pool, k), key=lambda t: (t[1], t[0]))
    base = TASK_NAMES.get(metric, "speak" if "proxy" in metric else "infer")
    used[base] = used.get(base, 0) + 1
    tname = base if used[base] == 1 else "%s%d" % (base, used[base])
    variants = []
    for name, acc, src in chosen:
        variants.append({"name": name, "profile": name, "accuracy": acc,
                         "metric": metric, "accuracy_source": src})
    return {"name": tname, "variants": variants}


def random_edges(rng, parents, tasks):
    """Edges with a fan-out in [0.5, 6] (sometimes fanout_by_variant), and fanout[i]: the
    fan-out into task i per variant of its parent."""
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
    return edges, fanout


def combo_pas(tasks, combo):
    """Product of normalised accuracies of one variant per task."""
    pas = 1.0
    for t, v in zip(tasks, combo):
        top = max(x["accuracy"] for x in t["variants"])
        pas *= t["variants"][v]["accuracy"] / top
    return pas


def all_combos(tasks):
    return itertools.product(*[range(len(t["variants"])) for t in tasks])


def critical_path_ms(tasks, paths, combo, gpu, prof_cache):
    """Critical path of the combination's fastest batch-1 p95 per task."""
    return max(sum(prof_cache[(gpu, tasks[i]["variants"][combo[i]]["profile"])]["fast_p95"]
                   for i in path) for path in paths)


def fastest_feasible(tasks, paths, acc_slo, gpu, prof_cache):
    """(critical path ms, combination) of the fastest combination meeting acc_slo."""
    best_crit, best_combo = math.inf, None
    for combo in all_combos(tasks):
        if combo_pas(tasks, combo) + 1e-12 < acc_slo:
            continue
        crit = critical_path_ms(tasks, paths, combo, gpu, prof_cache)
        if crit < best_crit:
            best_crit, best_combo = crit, combo
    return best_crit, best_combo


def items_per_request(parents, fanout, combo):
    """Items per request of each task along its (unique) path from an entry task."""
    items = []
    for i in range(len(parents)):
        n, j = 1.0, i
        while parents[j] is not None:
            n *= fanout[j][combo[parents[j]]]
            j = parents[j]
        items.append(n)
    return items


def gpus_per_rate(tasks, items, combo, allowance, gpu, prof_cache, compute_slices):
    """Rough GPUs per request/s of one combination: each task at its best items/s per GPU
    within the per-task latency allowance (a fifth of its best when nothing fits)."""
    total = 0.0
    for i in range(len(tasks)):
        s = prof_cache[(gpu, tasks[i]["variants"][combo[i]]["profile"])]
        cap = capacity_per_gpu(s, allowance, compute_slices) or \
            capacity_per_gpu(s, math.inf, compute_slices) * 0.2
        total += items[i] / cap
    return total


def round_rate(rate):
    """Three significant digits (at least 0.01)."""
    digits = max(0, 2 - int(math.floor(math.log10(rate))))
    rate = round(rate, digits) if rate >= 1 else round(rate, 3)
    return max(rate, 0.01)
