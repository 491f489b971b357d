/* The public planning entry points: one MILP pass for the paper's rule; for the safe rule
 * a predict-and-tighten loop. The MILP holds, per task, the model's quantile of the
 * slowest of a request's items within the SLO along every path; the whole plan is then
 * predicted end to end (qpredict.c), and while some application's predicted violation
 * rate exceeds the target's budget the per-task tail is halved and the plan made again.
 * Every plan leaves with its rule, its per-task utilisation and its prediction. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "jigsaw/qmodel.h"

#define SAFE_ROUNDS 6

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

static int plan_with_rule(const js_scenario *s, const js_plan_request *r, js_plan *out,
                          js_diag *d, plan_pass pass)
{
    if (r->rule != JS_RULE_SAFE) {
        int rc = pass(s, r, out, d);
        return rc == 0 ? finish(s, r, out, d) : rc;
    }
    if (!(r->target_quantile > 0.5 && r->target_quantile < 1.0))
        return js_diag_set(d, JS_EXIT_USAGE, "target quantile must be in (0.5, 1), got %g",
                           r->target_quantile);
    double budget = 1.0 - r->target_quantile;
    js_plan_request rr = *r;
    int rc = 0;
    for (int round = 0; round < SAFE_ROUNDS; round++) {
        rc = pass(s, &rr, out, d);
        if (rc == 0)
            rc = finish(s, r, out, d);
        if (rc != 0)
            return rc;
        double worst = worst_violation(out);
        if (worst <= budget * (1.0 + 1e-9))
            return 0;
        if (round + 1 == SAFE_ROUNDS) {
            js_diag_warn(d, "safe rule: the plan's predicted violation rate %.3f%% exceeds the "
                            "target's %.3f%% after %d rounds of tightening", 100.0 * worst,
                         100.0 * budget, SAFE_ROUNDS);
            return 0;
        }
        /* Halve the per-task tail the MILP plans for: rr's target only steers the model;
         * the plan keeps reporting the user's target. */
        rr.target_quantile = 1.0 - 0.5 * (1.0 - rr.target_quantile);
        js_plan_free(out);
    }
    return rc;
}

int js_plan_min_slices(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d)
{
    return plan_with_rule(s, r, out, d, pl_min_slices_once);
}

int js_plan_max_demand(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d)
{
    return plan_with_rule(s, r, out, d, pl_max_demand_once);
}
