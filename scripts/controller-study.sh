#!/bin/sh
# controller-study.sh -- the trace-driven controller under the safe rule, on its own.
#
# Replays day 4 of the NASA trace (5-minute means as Poisson arrivals, compressed 24x,
# scaled so that the busiest interval is 95% of A+S+T's safe-rule capacity: the settings
# of `jigsaw compare`'s trace-driven study) through `jigsaw run` for the three paper
# applications on 4 A100s and 4 H100s, A+S+T, safe rule, no headroom, with
#   - ewma, re-layout-aware (the default controller of `jigsaw run --rule safe`:
#     tolerance 0.1, the default keep fraction and reactive checks),
#   - last5, re-layout-aware (the paper's predictor, same settings),
#   - oracle (perfect foresight: the true next-interval rate, plain minimum-slices
#     re-plans for that rate itself, no rate levels, nothing to react to, the same keep
#     fraction): the reference, the cost of knowing the future with the same hysteresis,
#   - oracle-every (the same, re-planning every interval: keep fraction 0): the lower
#     bound of slices of any controller, with its own violations and re-layouts,
# and with --all-predictors also quantile (the 0.9 quantile of the last 12 intervals,
# re-layout-aware). It writes
#   OUT/runs/<gpu>-<app>-<predictor>.json   each run's `jigsaw run --json`
#   OUT/summary.csv, OUT/summary.md         mean slice share, its ratio to perfect
#                                           foresight, violations, p99, re-layouts per
#                                           day, beside the paper's 43.3% / < 0.6%
# `jigsaw compare` runs the same controllers inside the full study (results/REPORT.md);
# this script reruns just them, in about 20-40 minutes on two cores.
#
# usage: scripts/controller-study.sh [--out DIR] [--all-predictors] [-j N]
#   JIGSAW    the executable (default build/src/cli/jigsaw)
#   --out     output directory (default results/controller)
#   -j N      runs in parallel (default 2)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=results/controller
predictors="ewma last5 oracle oracle-every"
jobs=2
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=$2; shift 2 ;;
        --all-predictors) predictors="ewma last5 quantile oracle oracle-every"; shift ;;
        -j) jobs=$2; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "controller-study.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
J=${JIGSAW:-build/src/cli/jigsaw}
[ -x "$J" ] || { echo "controller-study.sh: no executable at $J (set JIGSAW)" >&2; exit 66; }
trace=scenarios/traces/nasa-http-1995/workload.tbz2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/runs"
start=$(date +%s)
# One run: gpu app predictor.
run_one() {
    tol="" pred=$3
    [ "$3" = oracle ] && tol="--relayout-tolerance off --rate-levels 0"
    [ "$3" = oracle-every ] && pred=oracle tol="--relayout-tolerance off --rate-levels 0 --keep-fraction 0"
    # shellcheck disable=SC2086
    "$J" run "scenarios/$2-$1-4.json" --trace "$trace" --trace-day 4 \
        --trace-smooth 300 --time-compression 24 --scale-to-capacity 0.95 \
        --predictor "$pred" $tol --time-limit 0 --json > "$tmp/runs/$1-$2-$3.json" || return 1
    echo "controller-study: $1 $2 $3 done ($(($(date +%s) - start)) s)" >&2
}
for gpu in a100 h100; do
    for app in social-media traffic-analysis ar-assistant; do
        for pred in $predictors; do
            echo "$gpu $app $pred"
        done
    done
done > "$tmp/jobs"
pids=""
n=0
while read -r gpu app pred; do
    run_one "$gpu" "$app" "$pred" &
    pids="$pids $!"
    n=$((n + 1))
    if [ "$n" -ge "$jobs" ]; then
        for p in $pids; do wait "$p" || { echo "controller-study: a run failed" >&2; exit 1; }; done
        pids="" n=0
    fi
done < "$tmp/jobs"
for p in $pids; do wait "$p" || { echo "controller-study: a run failed" >&2; exit 1; }; done
python3 - "$tmp" "$predictors" "$(($(date +%s) - start))" "$("$J" --version 2>/dev/null || echo jigsaw)" <<'EOF'
import csv, json, os, sys
tmp, predictors, seconds, version = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4]
rows = []
for gpu in ("a100", "h100"):
    for app in ("social-media", "traffic-analysis", "ar-assistant"):
        runs = {}
        for p in predictors:
            with open(os.path.join(tmp, "runs", f"{gpu}-{app}-{p}.json")) as f:
                runs[p] = json.load(f)
        ref = runs["oracle"]["mean_slice_share"]
        low = runs["oracle-every"]["mean_slice_share"] if "oracle-every" in runs else 0
        for p in predictors:
            r = runs[p]
            days = r["intervals"] * 300 / 86400
            rows.append({
                "gpu": gpu, "app": app, "predictor": p,
                "capacity_req_s": f'{r["capacity_rate"]:.4g}',
                "mean_slice_share": f'{r["mean_slice_share"]:.4f}',
                "vs_perfect_foresight": f'{r["mean_slice_share"] / ref:.3f}' if ref > 0 else "",
                "vs_every_interval": f'{r["mean_slice_share"] / low:.3f}' if low > 0 else "",
                "violation_rate": f'{r["violation_rate"]:.5f}',
                "p99_ms": f'{r["p99_ms"]:.4g}',
                "served_accuracy": f'{r["accuracy"]:.4f}',
                "relayouts_per_day": f'{r["relayouts"] / days:.1f}',
                "plan_changes": r["plan_changes"],
                "reactive_scale_ups": r["reactions"],
                "intervals_over_capacity": r["capped_intervals"],
            })
with open(os.path.join(tmp, "summary.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
L = ["# The controller under the safe rule: A+S+T over a day of the NASA trace", "",
     f"Generated by `scripts/controller-study.sh` with `{version}` in {seconds} s. "
     "Day 4 (1995-07-05) of the NASA-HTTP trace, 5-minute means replayed as Poisson arrivals, "
     "compressed 24x, scaled so that the busiest interval is 95% of A+S+T's capacity under the "
     "safe rule; 4 GPUs; re-planning every 5 minutes with the safe rule and no headroom "
     "(re-layout-aware re-plans for the predicted rate itself, the default keep fraction "
     "and reactive checks of `jigsaw run`: see `jigsaw run --help`; 5 s re-layout downtime "
     "per changed GPU). *Perfect foresight* (oracle) plans each interval for its own true "
     "rate with the same keep fraction (the cost of not knowing the future); *oracle-every* "
     "re-plans every interval for its own true rate (keep fraction 0): the lower bound of "
     "slices of any controller, with the violations and re-layouts that costs. The paper: "
     "A+S+T used 43.3% of the slices with < 0.6% violations.", "",
     "| gpu | app | predictor | capacity req/s | mean slices | x perfect foresight | x every-interval foresight | violations | p99 ms | served accuracy | re-layouts / day | reactive scale-ups | intervals over capacity |",
     "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    L.append(f'| {r["gpu"]} | {r["app"]} | {r["predictor"]} | {r["capacity_req_s"]} | '
             f'{100 * float(r["mean_slice_share"]):.1f}% | {r["vs_perfect_foresight"]} | '
             f'{r["vs_every_interval"]} | '
             f'{100 * float(r["violation_rate"]):.2f}% | {r["p99_ms"]} | {r["served_accuracy"]} | '
             f'{r["relayouts_per_day"]} | {r["reactive_scale_ups"]} | '
             f'{r["intervals_over_capacity"]} |')
L.append("")
for p in predictors:
    ctl = [r for r in rows if r["predictor"] == p]
    worst_viol = max(float(r["violation_rate"]) for r in ctl)
    if p == "oracle":
        continue
    if p == "oracle-every":
        L.append(f"- oracle-every: violations up to {100 * worst_viol:.2f}% "
                 "(re-layout downtime and plans sized to the exact rate).")
        continue
    worst_ratio = max(float(r["vs_perfect_foresight"]) for r in ctl)
    low = [float(r["vs_every_interval"]) for r in ctl if r["vs_every_interval"]]
    L.append(f"- {p}: at most {worst_ratio:.3f}x the slices of perfect foresight"
             + (f" ({max(low):.3f}x every-interval foresight)" if low else "")
             + f", violations at most {100 * worst_viol:.2f}%, over the six runs.")
with open(os.path.join(tmp, "summary.md"), "w") as f:
    f.write("\n".join(L) + "\n")
EOF
# Publish only a complete study.
mkdir -p "$out"
rm -rf "$out/runs"
mv "$tmp/runs" "$out/runs"
mv "$tmp/summary.csv" "$tmp/summary.md" "$out/"
echo "controller-study: wrote $out/summary.md" >&2
