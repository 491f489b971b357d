/* The public planning entry points: one MILP pass for the paper's rule; for the safe rule
 * a predict-and-tighten loop. The MILP holds, per task, the model's quantile of the
 * slowest of a request's items within the SLO along every path; the whole plan is then
 * predicted end to end (qpredict.c), and the per-task tail is searched for the cheapest
 * plan whose predicted violation rate meets the target's budget (plan_safe).
 * Every plan leaves with its rule, its per-task utilisation and its prediction. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "planner_internal.h"
#include "jigsaw/qmodel.h"

/* The per-task tail the MILP plans for is budget x 2^j, j from SAFE_START up to
 * SAFE_LOOSEST (never above SAFE_MAX_TAIL) while the prediction stays within
 * SAFE_MARGIN x budget, else down to SAFE_TIGHTEST until it is within the budget. */
#define SAFE_START 1
#define SAFE_LOOSEST 2
#define SAFE_TIGHTEST (-1)
#define SAFE_MARGIN 0.5
#define SAFE_MAX_TAIL 0.2
/* Then utilisation caps, the last resort (the plan keeps reporting the user's options). */
static const double safe_caps[] = {0.9, 0.8, 0.7, 0.6, 0.5};
#define SAFE_NCAPS ((int)(sizeof safe_caps / sizeof safe_caps[0]))

typedef int (*plan_pass)(const js_scenario *, const js_plan_request *, js_plan *, js_diag *);

/* The MILP may choose one configuration at several utilisation levels: the plan lists
 * each (MIG size, workers, batch) once. */
static void merge_segments(js_plan *p)
{
    for (int i = 0; i < p->napps; i++)
        for (int t = 0; t < p->apps[i].ntasks; t++) {
            js_task_plan *tp = &p->apps[i].tasks[t];
            int n = 0;
            for (int k = 0; k < tp->nsegments; k++) {
                js_segment *sg = &tp->segments[k];
                int j = 0;
                while (j < n && !(tp->segments[j].mig == sg->mig &&
                                  tp->segments[j].workers == sg->workers &&
                                  tp->segments[j].batch == sg->batch))
                    j++;
                if (j < n)
                    tp->segments[j].count += sg->count;
                else
                    tp->segments[n++] = *sg;
            }
            tp->nsegments = n;
        }
}

static double worst_violation(const js_plan *p)
{
    double w = 0.0;
    for (int i = 0; i < p->napps; i++)
        if (p->apps[i].predicted_violation_rate > w)
            w = p->apps[i].predicted_violation_rate;
    return w;
}

static int finish(const js_scenario *s, const js_plan_request *r, js_plan *p, js_diag *d)
{
    merge_segments(p);
    snprintf(p->rule, sizeof p->rule, "%s", js_rule_name(r->rule));
    p->target_quantile = r->rule == JS_RULE_SAFE ? r->target_quantile : NAN;
    return js_qm_annotate_plan(s, p, true, d);
}

/* Solver effort over every pass, reported on the plan returned. */
static void add_stats(js_plan_stats *sum, const js_plan_stats *one)
{
    sum->solves += one->solves;
    sum->nodes += one->nodes;
    sum->seconds += one->seconds;
    sum->cpu_seconds += one->cpu_seconds;
}

/* The plan returned reports the effort of every pass (its MILP size stays its own). */
static void keep_effort(js_plan *p, const js_plan_stats *effort)
{
    p->stats.solves = effort->solves;
    p->stats.nodes = effort->nodes;
    p->stats.seconds = effort->seconds;
    p->stats.cpu_seconds = effort->cpu_seconds;
}

/* One pass of the safe rule with the MILP's per-task tail at budget x 2^j; *worst gets
 * the plan's worst predicted violation rate. */
static int safe_pass(const js_scenario *s, const js_plan_request *r, int j, js_plan *out,
                     double *worst, js_plan_stats *effort, js_diag *d, plan_pass pass)
{
    js_plan_request rr = *r;
    double tail = fmin(SAFE_MAX_TAIL, (1.0 - r->target_quantile) * ldexp(1.0, j));
    rr.target_quantile = 1.0 - tail; /* steers the MILP; the plan reports the user's */
    js_plan_init(out);
    int rc = pass(s, &rr, out, d);
    add_stats(effort, &out->stats);
    if (rc == 0)
        rc = finish(s, r, out, d);
    *worst = rc == 0 ? worst_violation(out) : INFINITY;
    return rc;
}

/* The safe rule: the MILP bounds each path's sum of per-task quantiles, a conservative
 * stand-in for the end-to-end quantile, so the per-task tail it plans for is searched:
 * from SAFE_START x the budget, looser while the plan's prediction stays within the
 * budget with a margin (the loosest such plan is the cheapest: the feasible set only
 * grows), else tighter until the prediction is within the budget. */
static int plan_safe(const js_scenario *s, const js_plan_request *r, js_plan *out, js_diag *d,
                     plan_pass pass)
{
    if (!(r->target_quantile > 0.5 && r->target_quantile < 1.0))
        return js_diag_set(d, JS_EXIT_USAGE, "target quantile must be in (0.5, 1), got %g",
                           r->target_quantile);
    double budget = 1.0 - r->target_quantile, worst;
    js_plan cand;
    js_plan_init(out);
    js_plan_stats effort;
    memset(&effort, 0, sizeof effort);
    bool have = false;
    int rc = 0;
    for (int j = SAFE_START; j <= SAFE_LOOSEST; j++) {
        double accept = budget * (j > 0 ? SAFE_MARGIN : 1.0);
        rc = safe_pass(s, r, j, &cand, &worst, &effort, d, pass);
        if (rc != 0 && rc != JS_EXIT_INFEASIBLE) {
            js_plan_free(&cand);
            break;
        }
        bool ok = rc == 0 && worst <= accept * (1.0 + 1e-9);
        if (!ok) {
            js_plan_free(&cand);
            break;
        }
        js_plan_free(out);
        *out = cand;
        have = true;
    }
    if (have) {
        d->code = 0;
        d->msg[0] = '\0';
        keep_effort(out, &effort);
        return 0;
    }
    if (rc != 0 && rc != JS_EXIT_INFEASIBLE)
        return rc;
    for (int j = SAFE_START - 1; j >= SAFE_TIGHTEST; j--) {
        js_diag_init(d);
        rc = safe_pass(s, r, j, out, &worst, &effort, d, pass);
        if (rc != 0)
            return rc;
        keep_effort(out, &effort);
        if (worst <= budget * (1.0 + 1e-9))
            return 0;
        js_plan_free(out);
    }
    /* The per-task statistics cannot see what the end-to-end prediction does (the
     * groups a parent batch releases, mixed segment kinds): cap the utilisation instead,
     * step by step, with the base per-task tail. */
    js_plan_request capped = *r;
    for (int k = 0; k < SAFE_NCAPS; k++) {
        if (safe_caps[k] >= r->max_utilisation)
            continue;
        capped.max_utilisation = safe_caps[k];
        js_diag_init(d);
        rc = safe_pass(s, &capped, 0, out, &worst, &effort, d, pass);
        if (rc != 0)
            return rc;
        keep_effort(out, &effort);
        if (worst <= budget * (1.0 + 1e-9))
            return 0;
        if (k + 1 == SAFE_NCAPS)
            break;
        js_plan_free(out);
    }
    js_diag_warn(d, "safe rule: the plan's predicted violation rate %.3f%% exceeds the "
                    "target's %.3f%% with the tightest per-task tail and utilisation cap tried",
                 100.0 * worst, 100.0 * budget);
    return 0;
}

static int plan_with_rule(const js_scenario *s, const js_plan_request *r, js_plan *out,
                          js_diag *d, plan_pass pass)
{
    if (r->rule == JS_RULE_SAFE)
        return plan_safe(s, r, out, d, pass);
    int rc = pass(s, r, out, d);
    return rc == 0 ? finish(s, r, out, d) : rc;
}

int js_plan_min_slices(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d)
{
    js_plan_request started; /* one deadline for every pass (planner_internal.h) */
    pl_request_start(r, &started);
    return plan_with_rule(s, &started, out, d, pl_min_slices_once);
}

int js_plan_max_demand(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d)
{
    js_plan_request started;
    pl_request_start(r, &started);
    return plan_with_rule(s, &started, out, d, pl_max_demand_once);
}
