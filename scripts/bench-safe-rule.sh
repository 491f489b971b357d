#!/usr/bin/env bash
# bench-safe-rule.sh -- does the safe latency rule keep its promise?
#
# Plans every case with `jigsaw plan --rule safe` (the default: queueing-aware, target p99)
# and with `--rule paper` (the paper's sum of 2 x p95), then replays every feasible plan in
# the discrete-event simulator at its planned demand (Poisson arrivals, seed 1, duration
# 1.01 x 100000 / planned rate, so at least ~100,000 requests) and compares the planner's
# prediction (predicted p99, predicted violation rate) with what the simulator measures.
# Each feasible plan is simulated twice with the same arrivals: as served (the simulator's
# default early dropping of requests that cannot meet their deadline: the headline figures)
# and with --no-drop (every request completes, so the p99 is not censored at the SLO: the
# like-for-like check of the queueing model's prediction).
#
# Cases (scenario x system x rule):
#   - the 12 paper scenarios scenarios/{social-media,traffic-analysis,ar-assistant}-
#     {a100,h100}-{4,120}.json x the 8 systems x 2 rules (192 cases);
#   - --random N (default 60) random scenarios written by scripts/random-scenarios.py
#     (--seed 1) into OUT/random-scenarios/, each x {A+S+T, S+T} x 2 rules (240 cases).
#
# Outputs (in OUT, default results/safe-rule/):
#   bench.csv           one row per case (paths relative to the repository root)
#   summary.md          goal met (violations < 1% and measured p99 <= SLO), prediction
#                       error |predicted - measured| / measured p99, worst cases, per rule
#   random-scenarios/   the generated scenarios (reproducible from the seed)
# Per-case plan/simulation JSON goes to a temporary work directory (kept with --keep).
#
# Usage:
#   scripts/bench-safe-rule.sh [--quick] [--out DIR] [--jigsaw PATH] [-j N]
#                              [--random N] [--keep]
#   --quick    ~10 cases (2 paper scenarios + 3 random, A+S+T, both rules), < 2 minutes;
#              writes to a new temporary directory unless --out is given
#   --out DIR  output directory (default results/safe-rule, or a temp dir with --quick)
#   --jigsaw   the binary (default $JIGSAW, else build/src/cli/jigsaw, else
#              build-release/src/cli/jigsaw under the repository root)
#   -j N       cases run in parallel (default 2)
#   --random N number of random scenarios (default 60; 3 with --quick)
#   --keep     keep the per-case plans, simulations and stderr in OUT/cases/
# Needs bash, python3 (standard library), coreutils (timeout, date, mktemp), xargs.
# The full run (432 cases) takes ~7-11 minutes with -j 2. Plan wall times are measured
# with date +%s.%N around `jigsaw plan` (the plan JSON's solver section has no time) and
# include the contention of -j parallel cases; solver_s is the solver time `--stats`
# prints (for the safe rule apparently only its final MILP pass).
# Scenario paths must not contain spaces (cases are passed through xargs).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
SEED=1
SIM_REQUESTS=100000
PLAN_TIMEOUT_S=600
SIM_TIMEOUT_S=600
SYSTEMS_PAPER="unopt A S T A+T S+T A+S A+S+T"
SYSTEMS_RANDOM="A+S+T S+T"
RULES="safe paper"

# ---------------------------------------------------------------------------------------
# Internal mode: run one case. Arguments: JIGSAW WORK ID SCENARIO SYSTEM RULE
# Writes WORK/ID.rec.json (the record the aggregator reads).
if [[ "${1:-}" == "--one-case" ]]; then
    shift
    J=$1 WORK=$2 ID=$3 SCEN=$4 SYS=$5 RULE=$6
    PLAN="$WORK/$ID.plan.json" SIM="$WORK/$ID.sim.json" SIMND="$WORK/$ID.simnd.json"
    PY=${BENCH_PYTHON:-python3}
    t0=$(date +%s.%N)
    set +e
    timeout "$PLAN_TIMEOUT_S" "$J" plan "$SCEN" --system "$SYS" --rule "$RULE" --json \
        -o "$PLAN" --stats 2>"$WORK/$ID.plan.err"
    prc=$?
    set -e
    t1=$(date +%s.%N)
    src=0 ndrc=0 dur="" sim_wall=""
    if [[ $prc -eq 0 ]]; then
        dur=$("$PY" -c '
import json, sys
p = json.load(open(sys.argv[1]))
rates = [a["rate"] for a in p["apps"] if a.get("rate", 0) > 0]
print("%.6f" % (1.01 * float(sys.argv[2]) / min(rates)) if rates else "")
' "$PLAN" "$SIM_REQUESTS")
        if [[ -n "$dur" ]]; then
            s0=$(date +%s.%N)
            set +e
            timeout "$SIM_TIMEOUT_S" "$J" simulate "$SCEN" --plan "$PLAN" --arrivals poisson \
                --duration "$dur" --seed "$SEED" --json >"$SIM" 2>"$WORK/$ID.sim.err"
            src=$?
            s1=$(date +%s.%N)
            timeout "$SIM_TIMEOUT_S" "$J" simulate "$SCEN" --plan "$PLAN" --arrivals poisson \
                --duration "$dur" --seed "$SEED" --no-drop --json >"$SIMND" 2>"$WORK/$ID.simnd.err"
            ndrc=$?
            set -e
            sim_wall="$s0 $s1"
        fi
    fi
    "$PY" - "$WORK" "$ID" "$SCEN" "$SYS" "$RULE" "$prc" "$t0" "$t1" "$src" "$dur" "$sim_wall" "$ndrc" <<'PY'
import json, os, re, sys
work, cid, scen, system, rule, prc, t0, t1, src, dur, sim_wall, ndrc = sys.argv[1:13]
rec = {"id": cid, "scenario_path": scen, "system": system, "rule": rule,
       "plan_rc": int(prc), "plan_wall_s": float(t1) - float(t0), "sim_rc": int(src),
       "simnd_rc": int(ndrc), "sim_duration_s": float(dur) if dur else None,
       "sim_wall_s": (lambda a, b: float(b) - float(a))(*sim_wall.split()) if sim_wall
                     else None}
err = open(os.path.join(work, cid + ".plan.err"), errors="replace").read()
m = re.search(r"(optimal|feasible|[a-z_]+), ([0-9.]+) s \(", err)
rec["solver_s"] = float(m.group(2)) if m else None
msgs = [l for l in err.splitlines() if l.startswith("jigsaw") and ": system " not in l]
rec["plan_message"] = msgs[-1] if msgs else ""
rec["plan_warnings"] = [l for l in msgs if "warning:" in l]
if rec["plan_rc"] == 0:
    rec["plan"] = json.load(open(os.path.join(work, cid + ".plan.json")))
if rec["plan_rc"] == 0 and rec["sim_rc"] == 0 and dur:
    try:
        rec["sim"] = json.load(open(os.path.join(work, cid + ".sim.json")))
    except ValueError as e:
        rec["sim_error"] = "unparsable simulate output: %s" % e
    if rec["simnd_rc"] == 0:
        try:
            rec["simnd"] = json.load(open(os.path.join(work, cid + ".simnd.json")))
        except ValueError as e:
            rec["sim_error"] = "unparsable simulate --no-drop output: %s" % e
    else:
        p = os.path.join(work, cid + ".simnd.err")
        rec["sim_error"] = ("simulate --no-drop rc %d: " % rec["simnd_rc"] +
                            open(p, errors="replace").read().strip()[-300:])
elif rec["plan_rc"] == 0:
    p = os.path.join(work, cid + ".sim.err")
    rec["sim_error"] = open(p, errors="replace").read().strip()[-300:] if os.path.exists(p) else ""
tmp = os.path.join(work, cid + ".rec.json.tmp")
with open(tmp, "w") as f:
    json.dump(rec, f)
os.replace(tmp, os.path.join(work, cid + ".rec.json"))
r = rec
s = r.get("sim")
print("%-58s " % cid, end="")
if r["plan_rc"] != 0:
    print("plan rc=%d (%.1fs) %s" % (r["plan_rc"], r["plan_wall_s"], r["plan_message"][:90]))
elif s is None:
    print("feasible, simulate rc=%d %s" % (r["sim_rc"], r.get("sim_error", "")[:90]))
else:
    a = r["plan"]["apps"][0]
    nd = r.get("simnd")
    print("slices=%s plan %.1fs  p99 pred %s meas %.1f (no-drop %s)  viol pred %s meas %.4f" % (
        r["plan"].get("slices_used"), r["plan_wall_s"],
        "%.1f" % a["predicted_p99_ms"] if "predicted_p99_ms" in a else "-",
        s["latency_ms"]["p99"], "%.1f" % nd["latency_ms"]["p99"] if nd else "-",
        "%.4f" % a["predicted_violation_rate"] if "predicted_violation_rate" in a else "-",
        s["violation_rate"]))
PY
    exit 0
fi

# ---------------------------------------------------------------------------------------
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

QUICK=0 OUT="" J="${JIGSAW:-}" JOBS=2 NRANDOM="" KEEP=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --quick) QUICK=1 ;;
        --out) OUT=${2:?--out needs a directory}; shift ;;
        --jigsaw) J=${2:?--jigsaw needs a path}; shift ;;
        -j) JOBS=${2:?-j needs a number}; shift ;;
        --random) NRANDOM=${2:?--random needs a number}; shift ;;
        --keep) KEEP=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench-safe-rule.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-safe-rule.sh: -j needs a positive integer" >&2; exit 2; }
if [[ -z "$J" ]]; then
    for c in "$REPO/build/src/cli/jigsaw" "$REPO/build-release/src/cli/jigsaw"; do
        if [[ -x "$c" ]]; then J=$c; break; fi
    done
fi
[[ -n "$J" && -x "$J" ]] || { echo "bench-safe-rule.sh: no jigsaw binary (build it, or pass --jigsaw PATH)" >&2; exit 2; }
J=$(cd "$(dirname "$J")" && pwd)/$(basename "$J")

if [[ $QUICK -eq 1 ]]; then
    NRANDOM=${NRANDOM:-3}
    PAPER_SCENARIOS="social-media-a100-4 ar-assistant-h100-4"
    SYSTEMS_PAPER="A+S+T"
    SYSTEMS_RANDOM="A+S+T"
    [[ -n "$OUT" ]] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/bench-safe-rule.XXXXXX")
else
    NRANDOM=${NRANDOM:-60}
    PAPER_SCENARIOS=""
    for app in social-media traffic-analysis ar-assistant; do
        for gpu in a100 h100; do
            for n in 4 120; do PAPER_SCENARIOS+=" $app-$gpu-$n"; done
        done
    done
    OUT=${OUT:-$REPO/results/safe-rule}
fi
[[ "$NRANDOM" =~ ^[0-9]+$ ]] || { echo "bench-safe-rule.sh: --random needs a number" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-safe-rule-work.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

START=$(date +%s)
REV="$("$J" --version 2>/dev/null | head -n 1), tree $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo 'not a git checkout')"
export BENCH_JIGSAW_REV=${BENCH_JIGSAW_REV:-$REV} BENCH_JOBS=$JOBS
# The interpreter itself, not a version-manager shim: it runs 3 times per case.
BENCH_PYTHON=$(python3 -c 'import sys; print(sys.executable)')
export BENCH_PYTHON
echo "jigsaw: $J ($BENCH_JIGSAW_REV)"
echo "output: $OUT"

# Random scenarios, regenerated from the seed every run (the directory is replaced).
RDIR="$OUT/random-scenarios"
rm -rf "$RDIR"
if [[ $NRANDOM -gt 0 ]]; then
    "$BENCH_PYTHON" "$SCRIPT_DIR/random-scenarios.py" --out "$RDIR" -n "$NRANDOM" --seed "$SEED" \
        --profiles-dir "$REPO/profiles" --paper-scenarios "$REPO/scenarios" --check "$J" \
        >"$WORK/random-scenarios.txt"
    echo "random scenarios: $NRANDOM in $RDIR (all pass jigsaw check)"
fi

# The case list: ID SCENARIO SYSTEM RULE, longest (120-GPU) plans first.
CASES="$WORK/cases.txt"
: >"$CASES"
add_case() { # scenario-file system rule
    local name sysid
    name=$(basename "$1" .json)
    sysid=${2//+/}
    printf '%s %s %s %s\n' "${name}__${sysid}__$3" "$1" "$2" "$3" >>"$CASES"
}
for sc in $PAPER_SCENARIOS; do
    for sys in $SYSTEMS_PAPER; do
        for rule in $RULES; do add_case "$REPO/scenarios/$sc.json" "$sys" "$rule"; done
    done
done
if [[ $NRANDOM -gt 0 ]]; then
    for f in "$RDIR"/random-*.json; do
        for sys in $SYSTEMS_RANDOM; do
            for rule in $RULES; do add_case "$f" "$sys" "$rule"; done
        done
    done
fi
sort -t' ' -k1,1 "$CASES" | awk '{ big = ($1 ~ /-120__/) ? 0 : 1; print big, $0 }' |
    sort -s -k1,1n | cut -d' ' -f2- >"$CASES.sorted"
mv "$CASES.sorted" "$CASES"
echo "cases: $(wc -l <"$CASES"), $JOBS in parallel"

# Run them. One failing case never stops the others (its record says what happened).
xargs -P "$JOBS" -L 1 bash "$0" --one-case "$J" "$WORK" <"$CASES"

END=$(date +%s)
# Aggregate: bench.csv and summary.md.
"$BENCH_PYTHON" - "$REPO" "$OUT" "$WORK" "$CASES" "$((END - START))" "$J" "$QUICK" <<'PY'
import csv, json, math, os, statistics, sys, datetime

repo, out, work, cases_file, elapsed, jig, quick = sys.argv[1:8]
elapsed = int(elapsed)

def rel(p):
    """Path relative to the repository root when inside it, else relative to OUT."""
    p = os.path.abspath(p)
    r = os.path.relpath(p, repo)
    if not r.startswith(".."):
        return r
    return os.path.join("<out>", os.path.relpath(p, out))

def fmt(x, nd=6):
    if x is None:
        return ""
    if isinstance(x, bool):
        return "1" if x else "0"
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return ""
        return ("%%.%dg" % nd) % x
    return str(x)

rows = []
for line in open(cases_file):
    cid, scen, system, rule = line.split()
    try:
        rec = json.load(open(os.path.join(work, cid + ".rec.json")))
    except (OSError, ValueError):
        rec = {"plan_rc": -1, "plan_message": "case did not finish (no record)",
               "plan_wall_s": None, "sim_rc": -1}
    sc = json.load(open(scen))
    p, s = rec.get("plan"), rec.get("sim")
    app_names = [a["name"] for a in sc["apps"]]
    # One row per case; with several applications the one with the worst measured
    # violation rate (all benchmarked scenarios have one application).
    pick = app_names[0]
    if s and len(s.get("apps", [])) > 1:
        pick = max(s["apps"], key=lambda a: a["violation_rate"])["name"]
    sapp = next((a for a in sc["apps"] if a["name"] == pick), sc["apps"][0])
    papp = next((a for a in (p or {}).get("apps", []) if a["name"] == pick), None)
    mapp = next((a for a in (s or {}).get("apps", []) if a["name"] == pick), None)
    napp = next((a for a in (rec.get("simnd") or {}).get("apps", []) if a["name"] == pick),
                None)
    prc = rec["plan_rc"]
    status = ("feasible" if prc == 0 else "infeasible" if prc == 3 else
              "timeout" if prc in (124, 137) else "error")
    r = {
        "scenario": sc["name"],
        "scenario_file": rel(scen),
        "source": "random" if os.path.basename(scen).startswith("random-") else "paper",
        "gpu": sc["cluster"]["gpu"], "gpus": sc["cluster"]["gpus"],
        "ntasks": len(sapp["tasks"]),
        "system": system, "rule": rule,
        "feasible": prc == 0, "status": status, "plan_rc": prc,
        "plan_status": (p or {}).get("status", ""),
        "slices": (p or {}).get("slices_used"), "gpus_used": (p or {}).get("gpus_used"),
        "plan_wall_s": rec.get("plan_wall_s"), "solver_s": rec.get("solver_s"),
        "app": pick,
        "slo_ms": sapp["slo"]["latency_ms"], "accuracy_slo": sapp["slo"]["accuracy"],
        "demand_rate": sapp["demand"].get("rate"),
        "planned_rate": papp.get("rate") if papp else None,
        "pas": papp.get("pas") if papp else None,
        "max_utilisation": max((t.get("utilisation", float("nan")) for t in papp["tasks"]),
                               default=None) if papp else None,
        "predicted_p99_ms": papp.get("predicted_p99_ms") if papp else None,
        "measured_p99_ms": mapp["latency_ms"]["p99"] if mapp else None,
        "predicted_violation_rate": papp.get("predicted_violation_rate") if papp else None,
        "measured_violation_rate": mapp["violation_rate"] if mapp else None,
        "measured_p50_ms": mapp["latency_ms"]["p50"] if mapp else None,
        "nodrop_p99_ms": napp["latency_ms"]["p99"] if napp else None,
        "nodrop_violation_rate": napp["violation_rate"] if napp else None,
        "predicted_p50_ms": papp.get("predicted_p50_ms") if papp else None,
        "requests": mapp["requests"] if mapp else None,
        "late": mapp["late"] if mapp else None,
        "dropped": mapp["dropped"] if mapp else None,
        "sim_duration_s": rec.get("sim_duration_s"), "sim_wall_s": rec.get("sim_wall_s"),
        "sim_rc": rec.get("sim_rc") if prc == 0 else None,
        "message": (rec.get("plan_message", "") if prc != 0 else
                    " / ".join([rec.get("sim_error", "")] + rec.get("plan_warnings", []))
                    ).replace(repo + "/", "").replace(",", ";").strip(" /"),
    }
    if mapp:
        r["meets_goal"] = (r["measured_violation_rate"] < 0.01 and
                           r["measured_p99_ms"] <= r["slo_ms"])
    else:
        r["meets_goal"] = None
    if mapp and r["predicted_p99_ms"] is not None and r["measured_p99_ms"] > 0:
        r["p99_rel_err"] = abs(r["predicted_p99_ms"] - r["measured_p99_ms"]) / r["measured_p99_ms"]
    else:
        r["p99_rel_err"] = None
    if napp and r["predicted_p99_ms"] is not None and r["nodrop_p99_ms"] > 0:
        r["p99_rel_err_nodrop"] = abs(r["predicted_p99_ms"] - r["nodrop_p99_ms"]) / r["nodrop_p99_ms"]
    else:
        r["p99_rel_err_nodrop"] = None
    rows.append(r)

cols = ["scenario", "scenario_file", "source", "gpu", "gpus", "ntasks", "system", "rule",
        "feasible", "status", "plan_rc", "plan_status", "slices", "gpus_used", "plan_wall_s",
        "solver_s", "app", "slo_ms", "accuracy_slo", "demand_rate", "planned_rate", "pas",
        "max_utilisation", "predicted_p50_ms", "measured_p50_ms", "predicted_p99_ms",
        "measured_p99_ms", "p99_rel_err", "predicted_violation_rate",
        "measured_violation_rate", "meets_goal", "nodrop_p99_ms", "p99_rel_err_nodrop",
        "nodrop_violation_rate", "requests", "late", "dropped",
        "sim_duration_s", "sim_wall_s", "sim_rc", "message"]
tmp = os.path.join(out, "bench.csv.tmp")
with open(tmp, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([fmt(r[c]) for c in cols])
os.replace(tmp, os.path.join(out, "bench.csv"))

# ---- summary ----------------------------------------------------------------------------
def pct(a, b):
    return "%d/%d (%.1f%%)" % (a, b, 100.0 * a / b) if b else "0/0"

def quant(xs, q):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)

def f2(x, spec="%.1f"):
    return "-" if x is None else spec % x

def case_name(r):
    return "%s %s %s" % (r["scenario"], r["system"], r["rule"])

def repro(r):
    return ("jigsaw plan %s --system %s --rule %s --json -o P.json && jigsaw simulate %s "
            "--plan P.json --arrivals poisson --duration %.6g --seed 1 --json" % (
                r["scenario_file"], r["system"], r["rule"], r["scenario_file"],
                r["sim_duration_s"] or 0))

L = []
L.append("# Safe rule vs paper rule: predicted vs simulated tail latency\n")
L.append("Generated by `scripts/bench-safe-rule.sh%s` on %s UTC with `%s`; %d cases "
         "in %d s (%.1f min)." % (" --quick" if quick == "1" else "",
                                  datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"),
                                  os.environ.get("BENCH_JIGSAW_REV", "?"),
                                  len(rows), elapsed, elapsed / 60.0))
L.append("")
L.append("Every feasible plan is simulated at its planned rate (Poisson, seed 1, "
         "duration 1.01 x 100000 / rate). *Goal met* = measured violation rate < 1% and "
         "measured p99 <= latency SLO. *Prediction error* = |predicted p99 - measured p99| "
         "/ measured p99, over plans that carry a prediction (the planner omits it when a "
         "task is loaded to its full capacity). The simulator's p99 is over completed "
         "requests; requests it drops early (deadline unreachable) count as violations "
         "but not in p99, so under heavy overload the measured p99 is censored near the "
         "SLO and the violation rate is the better signal.\n")

def block(title, sel):
    feas = [r for r in sel if r["feasible"]]
    sim = [r for r in feas if r["measured_p99_ms"] is not None]
    goal = [r for r in sim if r["meets_goal"]]
    v1 = [r for r in sim if r["measured_violation_rate"] < 0.01]
    p99ok = [r for r in sim if r["measured_p99_ms"] <= r["slo_ms"]]
    errs = [r["p99_rel_err"] for r in sim if r["p99_rel_err"] is not None]
    errs_nd = [r["p99_rel_err_nodrop"] for r in sim if r["p99_rel_err_nodrop"] is not None]
    under = [r for r in sim if r["predicted_violation_rate"] is not None and
             r["predicted_violation_rate"] < 0.01 <= r["measured_violation_rate"]]
    L.append("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d |" % (
        title, len(sel), len(feas), pct(len(goal), len(sim)), pct(len(v1), len(sim)),
        pct(len(p99ok), len(sim)),
        f2(quant(errs, 0.5), "%.3f"), f2(quant(errs, 0.9), "%.3f"),
        f2(quant(errs_nd, 0.5), "%.3f"), f2(quant(errs_nd, 0.9), "%.3f"),
        "%d" % len(errs) + ("" if len(errs) == len(sim) else " of %d" % len(sim)),
        len(under)))

hdr = ("| rule / cases | cases | feasible | goal met | viol < 1% | p99 <= SLO | "
       "median p99 err | p90 p99 err | median err, no-drop | p90 err, no-drop | "
       "with prediction | pred viol < 1% but meas >= 1% |")
L.append("## Headline\n")
L.append("Goal, violations and p99 columns: fractions of the simulated feasible plans. "
         "Errors: |predicted - measured| / measured p99, against the default simulation "
         "and against the --no-drop one.\n")
L.append(hdr)
L.append("|" + "---|" * 12)
for rule in ("safe", "paper"):
    for src, lab in (("all", "all"), ("paper", "paper scenarios"), ("random", "random")):
        sel = [r for r in rows if r["rule"] == rule and (src == "all" or r["source"] == src)]
        if sel:
            block("**%s** %s" % (rule, lab), sel)
L.append("")

# Cost of safety: slices of the safe plan vs the paper plan for the same scenario/system.
by = {}
for r in rows:
    by.setdefault((r["scenario_file"], r["system"]), {})[r["rule"]] = r
ratios, safe_only_infeasible = [], []
for (sf, system), d in sorted(by.items()):
    s, pp = d.get("safe"), d.get("paper")
    if s and pp and s["feasible"] and pp["feasible"] and pp["slices"]:
        ratios.append(s["slices"] / pp["slices"])
    if s and pp and not s["feasible"] and pp["feasible"]:
        safe_only_infeasible.append((s, pp))
L.append("## Cost of the safe rule\n")
if ratios:
    L.append("Slices of the safe plan / slices of the paper plan, same scenario and system, "
             "both feasible (%d pairs): median %.2f, p90 %.2f, max %.2f." % (
                 len(ratios), quant(ratios, 0.5), quant(ratios, 0.9), max(ratios)))
L.append("")
L.append("Safe rule infeasible where the paper rule plans (%d), with the paper plan's "
         "measured violation rate:" % len(safe_only_infeasible))
L.append("")
if safe_only_infeasible:
    L.append("| scenario | system | paper slices | paper measured violations | safe message |")
    L.append("|---|---|---|---|---|")
    for s, pp in safe_only_infeasible:
        L.append("| %s | %s | %s | %s | %s |" % (
            s["scenario"], s["system"], pp["slices"],
            f2(pp["measured_violation_rate"], "%.4f"), s["message"][:140].replace("|", "/")))
    L.append("")
L.append("## Safe plans by number of tasks\n")
L.append("| tasks | simulated safe plans | goal met | median p99 err | p90 p99 err |")
L.append("|---|---|---|---|---|")
for n in sorted({r["ntasks"] for r in rows}):
    sim = [r for r in rows if r["rule"] == "safe" and r["ntasks"] == n and
           r["measured_p99_ms"] is not None]
    errs = [r["p99_rel_err"] for r in sim if r["p99_rel_err"] is not None]
    L.append("| %d | %d | %s | %s | %s |" % (n, len(sim), pct(sum(1 for r in sim if r["meets_goal"]),
             len(sim)), f2(quant(errs, .5), "%.3f"), f2(quant(errs, .9), "%.3f")))
L.append("")
flag = [r for r in rows if r["rule"] == "safe" and r["feasible"] and
        ((r["predicted_violation_rate"] or 0) > 0.01 or
         (r["predicted_p99_ms"] or 0) > r["slo_ms"] or "warning" in r["message"])]
L.append("Safe plans returned (exit 0) that the planner itself predicts to miss the target, "
         "or that carry a planner warning (%d):\n" % len(flag))
for r in flag:
    L.append("- %s: predicted p99 %s ms (SLO %g), predicted violations %s, measured %s; %s" % (
        case_name(r), f2(r["predicted_p99_ms"]), r["slo_ms"],
        f2(r["predicted_violation_rate"], "%.4f"), f2(r["measured_violation_rate"], "%.4f"),
        r["message"][:220]))
L.append("")
walls = {}
for r in rows:
    if r["plan_wall_s"] is not None:
        walls.setdefault(r["rule"], []).append(r["plan_wall_s"])
L.append("Planning wall time (s, date around `jigsaw plan`, %s cases in parallel on a shared "
         "machine; `solver_s` in the CSV is the time `--stats` prints, which for the safe rule is "
         "far below the wall time: it appears to count only the final MILP pass): %s." % (os.environ.get("BENCH_JOBS", "?"), "; ".join(
             "%s median %.2f, p90 %.2f, max %.2f" % (k, quant(v, .5), quant(v, .9), max(v))
             for k, v in sorted(walls.items()))))
L.append("")

def worst_table(title, sel, key, n=10):
    sel = sorted(sel, key=key, reverse=True)[:n]
    L.append("### " + title + "\n")
    if not sel:
        L.append("(none)\n")
        return
    L.append("| case | tasks | slices | max util | SLO ms | p99 pred | p99 meas | rel err | "
             "p99 no-drop | viol pred | viol meas | viol no-drop |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in sel:
        L.append("| %s | %s | %s | %s | %g | %s | %s | %s | %s | %s | %s | %s |" % (
            case_name(r), r["ntasks"], r["slices"], f2(r["max_utilisation"], "%.2f"),
            r["slo_ms"], f2(r["predicted_p99_ms"]), f2(r["measured_p99_ms"]),
            f2(r["p99_rel_err"], "%.3f"), f2(r["nodrop_p99_ms"]),
            f2(r["predicted_violation_rate"], "%.4f"), f2(r["measured_violation_rate"], "%.4f"),
            f2(r["nodrop_violation_rate"], "%.4f")))
    L.append("")

for rule in ("safe", "paper"):
    sim = [r for r in rows if r["rule"] == rule and r["measured_p99_ms"] is not None]
    L.append("## Worst cases, %s rule\n" % rule)
    failed = [r for r in sim if not r["meets_goal"]]
    worst_table("Goal missed (%d), by measured violation rate" % len(failed), failed,
                key=lambda r: (r["measured_violation_rate"], r["measured_p99_ms"] / r["slo_ms"]))
    worst_table("Largest p99 prediction error", [r for r in sim if r["p99_rel_err"] is not None],
                key=lambda r: r["p99_rel_err"], n=8)
    if rule == "safe" and failed:
        L.append("Reproduce (from the repository root; `jigsaw` = the binary):\n")
        for r in sorted(failed, key=lambda r: -r["measured_violation_rate"])[:5]:
            L.append("    " + repro(r))
        L.append("")

bad = [r for r in rows if r["status"] in ("error", "timeout") or
       (r["feasible"] and (r["measured_p99_ms"] is None or r["nodrop_p99_ms"] is None))]
L.append("## Errors\n")
if bad:
    for r in bad:
        L.append("- %s: %s (plan rc %s, simulate rc %s) %s" % (
            case_name(r), r["status"], r["plan_rc"], r["sim_rc"], r["message"][:200]))
else:
    L.append("No planner or simulator errors or timeouts (every plan exit was 0 or 3, "
             "every simulation exit 0).")
L.append("")
inf = {}
for r in rows:
    if r["status"] == "infeasible":
        inf.setdefault(r["rule"], []).append(r)
L.append("## Infeasible cases\n")
for rule in ("safe", "paper"):
    sel = inf.get(rule, [])
    L.append("%s rule: %d. " % (rule, len(sel)) + "; ".join(
        "%s %s" % (r["scenario"], r["system"]) for r in sel))
    L.append("")
L.append("Columns of bench.csv: " + ", ".join("`%s`" % c for c in cols) + ".")
tmp = os.path.join(out, "summary.md.tmp")
with open(tmp, "w") as f:
    f.write("\n".join(L) + "\n")
os.replace(tmp, os.path.join(out, "summary.md"))
print("wrote %s and %s (%d cases, %d s)" % (os.path.join(out, "bench.csv"),
                                            os.path.join(out, "summary.md"), len(rows), elapsed))
PY
if [[ $KEEP -eq 1 ]]; then
    rm -rf "$OUT/cases"
    mkdir -p "$OUT/cases"
    mv "$WORK"/* "$OUT/cases/"
    echo "per-case files: $OUT/cases/"
fi
