#!/usr/bin/env python3
"""Write fleet scenarios for jigsaw: many applications sharing one large cluster.

Three modes (exactly one):

  --paper-trio --gpu a100-80gb|h100-80gb --gpus N
      The paper's three applications (social-media, traffic-analysis, ar-assistant) on one
      cluster of N GPUs. Each app object is taken verbatim from
      <paper-scenarios>/<app>-<a100|h100>-120.json, its demand rate multiplied by N/120 (on
      120 GPUs the rates are those of the 120-GPU scenarios); the cluster is that of those
      files with "gpus" set to N. Name: paper-trio-<a100|h100>-<N>.

  --random-fleet [--apps K] --gpu TYPE --gpus N [--seed S]
      K applications (default 10), app01..appK, each a random task graph of 3-4 tasks
      (chains, trees with fan-out, sometimes two entry tasks fed by the same request) as
      scripts/random-scenarios.py draws them, each task with 3-5 variants of one metric
      drawn from the profiles that exist for TYPE, with the same accuracy facts, fan-outs
      and rough capacity estimate (helpers shared in scripts/scengen.py).
        - Accuracy SLO: the PAS of a random combination between the 30% and 70% quantiles
          of all of the app's combinations (rounded down to 0.001), so it excludes some
          variant combinations and leaves others: accuracy scaling is a real choice.
        - Latency SLO: a factor in [--slo-min-factor, --slo-max-factor] (default 2.5-5) of
          the critical path of the fastest accuracy-feasible combination (batch-1 p95).
        - Rates: a fleet load factor in [--load-min, --load-max] (default 0.5-0.7) of the N
          GPUs is split among the apps by random weights; each app's rate is its share of
          GPUs divided by the rough GPUs per request/s of its cheapest accuracy-feasible
          combination (the estimate of random-scenarios.py). The scenario is meant to be
          feasible with room to spare, so that --max-demand is a real question.
      Every draw is independent of N: the same seed on 120, 500 and 1000 GPUs gives the
      same apps with rates in proportion to N (up to rounding). The fleet must hold at
      least --min-tasks tasks (default 30) and --min-variants variants (default 100); a
      draw short of that is redrawn from the same seeded stream (at most 1000 times).
      Name: random-fleet-<a100|h100>-<N>-k<K>-s<S>.

  --bench-set
      Exactly the nine files of scripts/bench-fleet.sh: paper-trio on a100-80gb and
      h100-80gb at 120, 500 and 1000 GPUs, and random fleets of 10 apps, seed 1, on 120,
      500 and 1000 a100-80gb GPUs. --out defaults to scenarios/fleet/ of the repository.

"profiles" is written as the path of --profiles-dir relative to the output directory. Files
are written atomically (temporary file, then rename). Deterministic given the arguments.
With --check JIGSAW, every written file is validated with `JIGSAW check` (exit 1 if one
fails). Prints one line per file. Standard library only.

Usage:
  scripts/fleet-scenarios.py --paper-trio --gpu a100-80gb --gpus 500 --out DIR
  scripts/fleet-scenarios.py --random-fleet --apps 10 --gpu a100-80gb --gpus 500 --seed 1 --out DIR
  scripts/fleet-scenarios.py --bench-set [--out DIR] [--check path/to/jigsaw]
"""

import argparse
import copy
import math
import os
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from scengen import (DEFAULT_RULE, GPU_TYPES, accuracy_facts, all_combos,  # noqa: E402
                     combo_pas, critical_path_ms, fastest_feasible, gpu_compute_slices,
                     gpus_per_rate, graph_shape, items_per_request, jigsaw_check, load_json,
                     metric_groups, paths_of, random_edges, random_graph, random_task,
                     round_rate, write_json_atomic)

PAPER_APPS = ["social-media", "traffic-analysis", "ar-assistant"]
PAPER_GPUS = 120
BENCH_SIZES = [120, 500, 1000]
BENCH_APPS, BENCH_SEED, BENCH_GPU = 10, 1, "a100-80gb"


def short_gpu(gpu):
    return gpu.split("-")[0]


def scaled_rate(rate, n):
    r = round(rate * n / PAPER_GPUS, 6)
    return int(r) if r == int(r) else r


def paper_trio(args, gpu, n):
    tag = short_gpu(gpu)
    apps, cluster, sources, first = [], None, [], None
    for app in PAPER_APPS:
        fname = "%s-%s-%d.json" % (app, tag, PAPER_GPUS)
        scen = load_json(os.path.join(args.paper_scenarios, fname))
        if first is None:
            first = scen
        if cluster is None:
            cluster = copy.deepcopy(scen["cluster"])
        elif scen["cluster"] != cluster:
            raise SystemExit("fleet-scenarios: %s: cluster differs from %s-%s-%d.json"
                             % (fname, PAPER_APPS[0], tag, PAPER_GPUS))
        if scen["cluster"]["gpu"] != gpu:
            raise SystemExit("fleet-scenarios: %s is not on %s" % (fname, gpu))
        for a in scen["apps"]:
            a = copy.deepcopy(a)
            a["demand"]["rate"] = scaled_rate(a["demand"]["rate"], n)
            apps.append(a)
        sources.append(fname)
    cluster["gpus"] = n
    name = "paper-trio-%s-%d" % (tag, n)
    scen = {
        "kind": first["kind"], "format_version": first["format_version"], "name": name,
        "description": ("The paper's three applications on one cluster of %d x %s "
                        "(scripts/fleet-scenarios.py --paper-trio): app objects verbatim "
                        "from %s, each demand rate x %d/%d." % (
                            n, gpu, ", ".join("scenarios/" + s for s in sources), n,
                            PAPER_GPUS)),
        "profiles": os.path.relpath(args.profiles_dir, args.out),
        "cluster": cluster,
        "apps": apps,
    }
    ntasks = sum(len(a["tasks"]) for a in apps)
    nvar = sum(len(t["variants"]) for a in apps for t in a["tasks"])
    info = "%s gpu=%s gpus=%d apps=%d tasks=%d variants=%d rates=%s" % (
        name + ".json", gpu, n, len(apps), ntasks, nvar,
        ",".join("%g" % a["demand"]["rate"] for a in apps))
    return name, scen, info


def random_app(rng, name, gpu, groups, args, prof_cache, compute_slices):
    """One app (without its rate) and the rough GPUs per request/s of its cheapest
    accuracy-feasible combination."""
    ntasks = 4 if rng.random() < 0.5 else 3
    parents = random_graph(rng, ntasks)
    used = {}
    tasks = [random_task(rng, groups, used, 3, 5) for _ in range(ntasks)]
    edges, fanout = random_edges(rng, parents, tasks)
    paths = paths_of(parents)

    # Accuracy SLO: the PAS at a random quantile in [0.3, 0.7] of all combinations.
    pas = sorted(combo_pas(tasks, c) for c in all_combos(tasks))
    q = rng.uniform(0.3, 0.7)
    acc_slo = math.floor(pas[int(q * (len(pas) - 1))] * 1000 + 1e-9) / 1000

    best_crit, _ = fastest_feasible(tasks, paths, acc_slo, gpu, prof_cache)
    factor = rng.uniform(args.slo_min_factor, args.slo_max_factor)
    slo_ms = round(factor * best_crit, 1)

    # Cheapest accuracy-feasible combination whose batch-1 p95 meets the paper's rule.
    longest = max(len(p) for p in paths)
    allowance = slo_ms / (2.0 * longest)
    cheapest, nfeasible = math.inf, 0
    for combo in all_combos(tasks):
        if combo_pas(tasks, combo) + 1e-12 < acc_slo:
            continue
        nfeasible += 1
        if 2.0 * critical_path_ms(tasks, paths, combo, gpu, prof_cache) > slo_ms:
            continue
        items = items_per_request(parents, fanout, combo)
        cheapest = min(cheapest, gpus_per_rate(tasks, items, combo, allowance, gpu,
                                               prof_cache, compute_slices))
    if cheapest == math.inf:  # only with --slo-min-factor < 2: size by the fastest one
        combo = fastest_feasible(tasks, paths, acc_slo, gpu, prof_cache)[1]
        cheapest = gpus_per_rate(tasks, items_per_request(parents, fanout, combo), combo,
                                 allowance, gpu, prof_cache, compute_slices)
    shape = graph_shape(parents)
    nvar = sum(len(t["variants"]) for t in tasks)
    app = {"name": name,
           "description": ("random %s of %d tasks, %d variants; accuracy SLO leaves %d of "
                           "%d variant combinations; latency SLO %.2f x the fastest "
                           "accuracy-feasible critical path (%.2f ms of batch-1 p95)"
                           % (shape, ntasks, nvar, nfeasible, len(pas), factor, best_crit)),
           "tasks": tasks}
    if edges:
        app["edges"] = edges
    srcs = [tasks[i]["name"] for i, p in enumerate(parents) if p is None]
    if len(srcs) > 1:
        app["sources"] = srcs
    app["slo"] = {"latency_ms": slo_ms, "accuracy": acc_slo, "rule": dict(DEFAULT_RULE)}
    return app, cheapest


def random_fleet(args, gpu, n, k, seed, facts, prof_cache):
    compute_slices = gpu_compute_slices(args.profiles_dir, gpu)
    groups = metric_groups(args.profiles_dir, gpu, facts, prof_cache)
    if 4 * k < args.min_tasks or 4 * 5 * k < args.min_variants:
        raise SystemExit("fleet-scenarios: %d apps of at most 4 tasks of at most 5 variants "
                         "cannot reach %d tasks and %d variants (lower --min-tasks / "
                         "--min-variants)" % (k, args.min_tasks, args.min_variants))
    rng = random.Random(seed)
    for _attempt in range(1000):
        # One generator per app, so app i does not depend on what app i-1 drew.
        drawn = [random_app(random.Random(rng.getrandbits(64)), "app%02d" % (i + 1), gpu,
                            groups, args, prof_cache, compute_slices) for i in range(k)]
        ntasks = sum(len(a["tasks"]) for a, _ in drawn)
        nvar = sum(len(t["variants"]) for a, _ in drawn for t in a["tasks"])
        if ntasks >= args.min_tasks and nvar >= args.min_variants:
            break
    else:
        raise SystemExit("fleet-scenarios: no draw of %d apps reaches %d tasks and %d "
                         "variants (lower --min-tasks / --min-variants)"
                         % (k, args.min_tasks, args.min_variants))
    assert ntasks >= args.min_tasks and nvar >= args.min_variants
    weights = [rng.uniform(0.5, 1.5) for _ in drawn]
    load = rng.uniform(args.load_min, args.load_max)
    apps, est = [], 0.0
    for (app, gpr), w in zip(drawn, weights):
        rate = round_rate(load * n * (w / sum(weights)) / gpr)
        app["demand"] = {"rate": rate}
        est += rate * gpr
        apps.append(app)
    name = "random-fleet-%s-%d-k%d-s%d" % (short_gpu(gpu), n, k, seed)
    scen = {
        "kind": "scenario", "format_version": 1, "name": name,
        "description": ("Random fleet of %d apps, %d tasks, %d variants on %d x %s "
                        "(scripts/fleet-scenarios.py --random-fleet --apps %d --seed %d): "
                        "rates sized for a load factor of %.2f of the cluster by a rough "
                        "capacity estimate of each app's cheapest accuracy-feasible "
                        "combination." % (k, ntasks, nvar, n, gpu, k, seed, load)),
        "profiles": os.path.relpath(args.profiles_dir, args.out),
        "cluster": {"gpu": gpu, "gpus": n, "max_workers": 4},
        "apps": apps,
    }
    info = "%s gpu=%s gpus=%d apps=%d tasks=%d variants=%d load=%.2f est_gpus=%.1f" % (
        name + ".json", gpu, n, k, ntasks, nvar, load, est)
    return name, scen, info


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="See the header of this script for the details.")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--paper-trio", action="store_true",
                      help="the paper's three applications on one cluster of --gpus GPUs")
    mode.add_argument("--random-fleet", action="store_true",
                      help="--apps random applications on one cluster of --gpus GPUs")
    mode.add_argument("--bench-set", action="store_true",
                      help="the nine files of scripts/bench-fleet.sh (default --out: "
                           "scenarios/fleet of the repository)")
    ap.add_argument("--gpu", choices=GPU_TYPES, help="GPU type of the cluster")
    ap.add_argument("--gpus", type=int, help="GPUs in the cluster")
    ap.add_argument("--apps", type=int, default=10, help="random fleet: apps (default 10)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--out", help="output directory (created)")
    ap.add_argument("--profiles-dir", default=os.path.join(repo, "profiles"),
                    help="the repository's profiles directory (default: ../profiles "
                         "from this script)")
    ap.add_argument("--paper-scenarios", default=os.path.join(repo, "scenarios"),
                    help="where the paper's 120-GPU scenarios (and the variant accuracies) "
                         "are read")
    ap.add_argument("--min-tasks", type=int, default=30)
    ap.add_argument("--min-variants", type=int, default=100)
    ap.add_argument("--slo-min-factor", type=float, default=2.5)
    ap.add_argument("--slo-max-factor", type=float, default=5.0)
    ap.add_argument("--load-min", type=float, default=0.5)
    ap.add_argument("--load-max", type=float, default=0.7)
    ap.add_argument("--check", metavar="JIGSAW", help="validate each file with JIGSAW check")
    args = ap.parse_args()
    if args.bench_set:
        if args.out is None:
            args.out = os.path.join(repo, "scenarios", "fleet")
    else:
        if args.out is None or args.gpu is None or args.gpus is None:
            ap.error("--paper-trio and --random-fleet need --gpu, --gpus and --out")
        if args.gpus < 1 or args.apps < 1:
            ap.error("--gpus and --apps must be >= 1")
    if not (0 < args.slo_min_factor <= args.slo_max_factor) or \
            not (0 < args.load_min <= args.load_max):
        ap.error("bad SLO factor or load range")
    args.profiles_dir = os.path.abspath(args.profiles_dir)
    args.paper_scenarios = os.path.abspath(args.paper_scenarios)
    args.out = os.path.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)

    facts = accuracy_facts(args.profiles_dir, args.paper_scenarios)
    prof_cache = {}
    jobs = []
    if args.bench_set:
        jobs += [("trio", g, n) for g in GPU_TYPES for n in BENCH_SIZES]
        jobs += [("random", BENCH_GPU, n, BENCH_APPS, BENCH_SEED) for n in BENCH_SIZES]
    elif args.paper_trio:
        jobs.append(("trio", args.gpu, args.gpus))
    else:
        jobs.append(("random", args.gpu, args.gpus, args.apps, args.seed))
    failed = 0
    for job in jobs:
        if job[0] == "trio":
            name, scen, info = paper_trio(args, job[1], job[2])
        else:
            name, scen, info = random_fleet(args, *job[1:], facts, prof_cache)
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
