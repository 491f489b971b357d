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
    cluster serves with the fastest accuracy-feasible combination, the one the latency
    SLO is drawn from (so most, not all, scenarios are feasible). The helpers are shared
    with scripts/fleet-scenarios.py in scripts/scengen.py.
  - "profiles" is written as the path of --profiles-dir relative to the output directory.

Deterministic given --seed (same arguments, same files). Standard library only.
Prints one line per scenario: file, GPU, GPUs, tasks, shape, SLOs, rate.

Usage:
  scripts/random-scenarios.py --out DIR [-n N] [--seed S] [--profiles-dir profiles]
                              [--paper-scenarios DIR] [--check path/to/jigsaw]
With --check, every written file is validated with `jigsaw check` (exit 1 if one fails).
"""

import argparse
import os
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from scengen import (DEFAULT_RULE, GPU_TYPES, accuracy_facts, fastest_feasible,  # noqa: E402
                     gpu_compute_slices, gpus_per_rate, graph_shape, items_per_request,
                     jigsaw_check, metric_groups, paths_of, random_edges, random_graph,
                     random_task, round_rate, write_json_atomic)


def make_scenario(rng, idx, args, facts, prof_cache):
    gpu = rng.choice(GPU_TYPES)
    compute_slices = gpu_compute_slices(args.profiles_dir, gpu)
    groups = metric_groups(args.profiles_dir, gpu, facts, prof_cache)

    ntasks = rng.choices([1, 2, 3, 4], weights=[15, 30, 30, 25])[0]
    parents = random_graph(rng, ntasks)
    used = {}
    tasks = [random_task(rng, groups, used, 1, 4) for _ in range(ntasks)]
    edges, fanout = random_edges(rng, parents, tasks)

    acc_slo = round(rng.uniform(0.8, 1.0), 3)
    paths = paths_of(parents)

    # Fastest accuracy-feasible combination (critical path of batch-1 p95); the demand is
    # sized with the same combination.
    best_crit, best_combo = fastest_feasible(tasks, paths, acc_slo, gpu, prof_cache)
    factor = rng.uniform(args.slo_min_factor, args.slo_max_factor)
    slo_ms = round(factor * best_crit, 1)

    items = items_per_request(parents, fanout, best_combo)
    longest = max(len(p) for p in paths)
    allowance = slo_ms / (2.0 * longest)
    gpu_per_rate = gpus_per_rate(tasks, items, best_combo, allowance, gpu, prof_cache,
                                 compute_slices)
    ngpus = rng.randint(2, 16)
    load = rng.uniform(args.load_min, args.load_max)
    rate = round_rate(load * ngpus / gpu_per_rate)

    name = "random-%03d" % idx
    shape = graph_shape(parents)
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
        write_json_atomic(path, scen)
        if args.check:
            why = jigsaw_check(args.check, path)
            if why:
                failed += 1
                info += " " + why
        print(info, flush=True)
    if failed:
        print("%d scenario(s) failed jigsaw check" % failed, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
