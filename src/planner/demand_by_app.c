/* Maximum demand application by application (by_app.h): the scale searched with every
 * application planned alone at each scale tested (the scaled ones at the scale, the
 * others at their rates) and the union packed (by_app.c). First by compute slices: up
 * from the scenario's scale (or down) until a fit and a miss bracket the answer; a scale
 * whose summed slice bounds exceed the cluster, or at which an application alone has no
 * plan, is out of reach. Under the paper's rule the search then goes on by prices
 * (prices_by_app.c): parts planned for the cheapest price pack better, and their priced
 * bounds prove the bound. A union that does not pack is left open (the joint problem
 * might still fit it), after a repair by the joint MILP over the parts' variants.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "by_app.h"
#include "milp.h"
#include "jigsaw/util.h"

/* Branch-and-bound nodes the repair of a union that does not pack may spend. */
#define BA_REPAIR_NODES 300

/* ---- Maximum demand ---- */

/* Multiply application i's demand in p by f (rate, task demands). */
static void scale_app_demand(js_app_plan *ap, double f)
{
    ap->rate *= f;
    for (int t = 0; t < ap->ntasks; t++)
        ap->tasks[t].demand *= f;
}

/* The factor by which the scaled applications' demand can grow on their own instances
 * (paper rule: load-independent statistics), 1 otherwise. */
static double spare_factor(const ba_search *bs, const js_plan *merged)
{
    if (bs->c.r->rule != JS_RULE_PAPER)
        return 1.0;
    double f = INFINITY;
    for (int i = 0; i < merged->napps; i++)
        if (bs->target < 0 || bs->target == i) {
            js_plan one = *merged;
            one.napps = 1;
            one.apps = &merged->apps[i];
            f = fmin(f, js_plan_capacity_factor(&one, bs->max_util));
        }
    return isfinite(f) && f > 1.0 ? f * (1.0 - 1e-9) : 1.0;
}

/* A union that does not pack, repaired: the joint minimum-slices MILP over the parts'
 * variant combination alone (its configurations chosen for the shared packing), capped
 * at BA_REPAIR_NODES nodes. Paper rule only: the safe rule's acceptance is a search of
 * its own per application. 0 with *out a plan, else no plan (out freed). */
static int repair_union(ba_search *bs, double x, js_plan *const *pp, js_plan *out)
{
    const js_scenario *s = bs->c.s;
    const js_plan_request *r = bs->c.r;
    if (r->rule != JS_RULE_PAPER || (r->rate_app >= 0 && r->rate_app != bs->target))
        return 1;
    js_plan_request rr = *r;
    rr.skip_gpu_tiebreak = true;
    rr.node_limit = BA_REPAIR_NODES;
    rr.scale_app = -1;
    if (bs->target >= 0) {
        rr.demand_scale = 1.0;
        rr.rate_app = bs->target;
        rr.rate_override = (r->rate_app == bs->target ? r->rate_override
                                                      : s->apps[bs->target].rate) * x;
    } else {
        rr.demand_scale = x;
    }
    int rc = pl_ba_joint_over_parts(&bs->c, &rr, pp, BA_PART_GAP, out);
    if (rc != 0)
        return 1;
    bs->c.effort.solves += out->stats.solves;
    bs->c.effort.nodes += out->stats.nodes;
    out->demand_scale = x;
    out->scaled_app = bs->target;
    return 0;
}

/* Keep `merged` (serving x times the scaled demand) as the best fit when it serves more. */
void pl_ba_keep_fit(ba_search *bs, double x, js_plan *merged)
{
    double f = spare_factor(bs, merged);
    for (int i = 0; i < merged->napps; i++)
        if (bs->target < 0 || bs->target == i)
            scale_app_demand(&merged->apps[i], f);
    merged->demand_scale = x * f;
    if (merged->demand_scale > bs->best_scale) {
        js_plan_free(&bs->best);
        bs->best = *merged;
        bs->best_scale = merged->demand_scale;
    } else {
        js_plan_free(merged);
    }
}

/* Every application at its scale (x for the scaled ones), the union packed. A fit
 * replaces bs->best when it serves more. */
static int test_scale(ba_search *bs, double x, int *verdict, js_diag *d)
{
    int n = bs->c.s->napps;
    js_plan *own = calloc((size_t)n, sizeof *own);
    js_plan **pp = calloc((size_t)n, sizeof *pp);
    int rc = own && pp ? 0 : js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    double lower = 0.0;
    *verdict = BA_OPEN;
    bs->tests++;
    for (int i = 0; rc == 0 && i < n; i++) {
        if (bs->target >= 0 && i != bs->target) {
            pp[i] = &bs->fixed[i];
            lower += pl_ba_part_bound(pp[i]);
            continue;
        }
        pp[i] = &own[i];
        js_diag local;
        js_diag_init(&local);
        int prc = pl_ba_plan_part(&bs->c, i, x, &own[i], &local);
        if (prc == JS_EXIT_INFEASIBLE) { /* this application alone does not fit */
            *verdict = BA_OUT_OF_REACH;
            break;
        }
        if (prc == JS_EXIT_TIMELIMIT)
            break; /* open */
        if (prc != 0) {
            rc = js_diag_forward(d, &local);
            break;
        }
        lower += pl_ba_part_bound(&own[i]);
    }
    bool all = rc == 0 && *verdict == BA_OPEN;
    for (int i = 0; all && i < n; i++)
        all = pp[i] && pp[i]->feasible;
    if (all && lower > bs->c.cap_slices + 0.5) {
        *verdict = BA_OUT_OF_REACH;
    } else if (all) {
        js_plan merged;
        js_diag local;
        js_diag_init(&local);
        int mrc = pl_ba_merge_parts(&bs->c, pp, &merged, &local);
        if (mrc == 1) {
            js_plan_free(&merged);
            mrc = repair_union(bs, x, pp, &merged) == 0 ? 0 : 1;
        }
        if (mrc == 0) {
            *verdict = BA_FITS;
            pl_ba_keep_fit(bs, x, &merged);
        } else {
            js_plan_free(&merged);
            if (mrc != 1)
                rc = js_diag_forward(d, &local);
        }
    }
    if (*verdict == BA_OUT_OF_REACH)
        bs->hi_bound = fmin(bs->hi_bound, x);
    for (int i = 0; own && i < n; i++)
        js_plan_free(&own[i]);
    free(own);
    free(pp);
    return rc;
}

/* Total slices the scaled applications' plans at the best scale hold, and those of all. */
static void slices_of(const ba_search *bs, const js_plan *p, double *scaled, double *all)
{
    *scaled = 0.0;
    *all = 0.0;
    for (int i = 0; i < p->napps; i++)
        for (int t = 0; t < p->apps[i].ntasks; t++)
            for (int k = 0; k < p->apps[i].tasks[t].nsegments; k++) {
                const js_segment *sg = &p->apps[i].tasks[t].segments[k];
                double v = (double)sg->mig * sg->count;
                *all += v;
                if (bs->target < 0 || bs->target == i)
                    *scaled += v;
            }
}

/* The next scale to try above a fit: the scaled applications' slices stretched to the
 * cluster's free compute slices (slices grow about linearly with demand), at least a
 * step of the search's precision, at most x 4. */
static double grow_from(const ba_search *bs)
{
    double scaled, all;
    slices_of(bs, &bs->best, &scaled, &all);
    double x = bs->best_scale;
    double room = bs->c.cap_slices - (all - scaled);
    double f = scaled > 0.0 ? room / scaled : 4.0;
    f = fmin(4.0, fmax(1.0 + 2.0 * BA_DEMAND_GAP, f));
    return x * f;
}

static int search_scale(ba_search *bs, double x0, js_diag *d)
{
    double deadline = pl_request_deadline(bs->c.r);
    double lo = 0.0, hi = INFINITY, x = x0;
    int verdict = BA_OPEN, rc = 0;
    /* Up from a fit, or down from a miss, until the fits and misses are bracketed. */
    while (rc == 0 && !pl_past_deadline(deadline) && bs->tests < 200) {
        rc = test_scale(bs, x, &verdict, d);
        if (rc != 0)
            break;
        if (verdict == BA_FITS) {
            lo = bs->best_scale;
            if (isfinite(hi))
                break;
            x = fmin(grow_from(bs), bs->hi_bound);
            if (!(x > lo * (1.0 + BA_DEMAND_GAP)))
                break;
        } else {
            hi = fmin(hi, x);
            if (lo > 0.0)
                break;
            x /= 2.0;
            if (!(x > 1e-9))
                break;
        }
    }
    /* Bisection in log scale between the largest fit and the smallest miss (by slices
     * only where the search by prices does not follow). */
    bool priced = bs->c.r->rule == JS_RULE_PAPER && bs->c.s->napps <= BA_MAX_PRICED_APPS;
    while (rc == 0 && !priced && lo > 0.0 && isfinite(hi) && hi > lo * (1.0 + BA_DEMAND_GAP) &&
           !pl_past_deadline(deadline)) {
        x = sqrt(lo * hi);
        rc = test_scale(bs, x, &verdict, d);
        if (verdict == BA_FITS)
            lo = fmax(lo, bs->best_scale);
        else
            hi = x;
    }
    /* A first bound by compute slices (cheap tests): up from the smallest miss in
     * doubling log steps until a scale is out of reach. */
    double probe = isfinite(hi) ? hi : lo, step = 1.0 + BA_DEMAND_GAP;
    for (int k = 0; rc == 0 && lo > 0.0 && k < BA_BOUND_PROBES && !pl_past_deadline(deadline) &&
                    !isfinite(bs->hi_bound);
         k++) {
        probe *= step;
        step *= step;
        rc = test_scale(bs, probe, &verdict, d);
    }
    lo = fmax(lo, bs->best_scale);
    return rc == 0 && lo > 0.0 ? pl_ba_search_priced(bs, lo, hi, d) : rc;
}

/* Target mode: the other applications' minimum-slices plans at their rates. */
static int plan_fixed(ba_search *bs, js_diag *d)
{
    int n = bs->c.s->napps;
    bs->fixed = calloc((size_t)n, sizeof *bs->fixed);
    if (!bs->fixed)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    for (int i = 0; i < n; i++) {
        js_plan_init(&bs->fixed[i]);
        if (i == bs->target)
            continue;
        int rc = pl_ba_plan_part(&bs->c, i, 1.0, &bs->fixed[i], d);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int pl_by_app_max_demand(const js_scenario *s, const js_plan_request *r, js_plan *out,
                         js_diag *d, pl_pass_fn min_pass)
{
    ba_search bs;
    memset(&bs, 0, sizeof bs);
    js_plan_init(&bs.best);
    bs.target = r->scale_app;
    bs.hi_bound = INFINITY;
    bs.max_util = r->max_utilisation > 0.0 && r->max_utilisation <= 1.0 ? r->max_utilisation
                                                                        : 1.0;
    int rc = pl_ba_ctx_init(&bs.c, s, r, min_pass, d);
    bs.c.part_gap = BA_PART_GAP;
    if (rc == 0 && bs.target >= 0)
        rc = plan_fixed(&bs, d);
    double x0 = r->demand_scale > 0.0 ? r->demand_scale : 1.0;
    if (rc == 0)
        rc = search_scale(&bs, x0, d);
    if (rc == 0 && !(bs.best_scale > 0.0))
        rc = pl_past_deadline(pl_request_deadline(r))
                 ? js_diag_set(d, JS_EXIT_TIMELIMIT,
                               "maximum demand: no plan found within the time limit of %g s "
                               "on %d GPUs (nothing proven: a larger --time-limit may find one)",
                               r->time_limit_s, bs.c.gpus)
                 : js_diag_set(d, JS_EXIT_INFEASIBLE,
                               "no positive demand fits the cluster of %d GPUs", bs.c.gpus);
    if (rc == 0) {
        *out = bs.best;
        js_plan_init(&bs.best);
        /* The safe rule's parts come from a search, not a proof: no bound is claimed. */
        double bound = r->rule == JS_RULE_PAPER ? fmax(bs.hi_bound, out->demand_scale) : NAN;
        snprintf(out->objective_kind, sizeof out->objective_kind, "demand_scale");
        out->objective = out->demand_scale;
        out->bound = bound;
        out->demand_scale_bound = bound;
        out->gap = isfinite(bound) ? (bound - out->demand_scale) / out->demand_scale : NAN;
        bool proven = out->gap <= BA_DEMAND_GAP + 1e-12;
        snprintf(out->status, sizeof out->status, "%s", proven ? "optimal" : "feasible");
        out->scaled_app = bs.target;
        out->stats = bs.c.effort;
    }
    js_plan_free(&bs.best);
    for (int i = 0; bs.fixed && i < s->napps; i++)
        js_plan_free(&bs.fixed[i]);
    free(bs.fixed);
    free(bs.c.layouts);
    return rc;
}

