/* The safe rule's second family (docs/queueing-model.md): the MILP's per-path sum of
 * per-task quantiles is conservative where a request's items fan out, so the safe rule
 * also considers the plans of the paper's rule whose segments are capped at a utilisation
 * U, and accepts one when the same end-to-end prediction meets the target's budget. The
 * cheaper of the two families wins (ties: the queueing-aware MILP's plan). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "safe_internal.h"

static const double cap_grid[] = {0.98, 0.95, 0.92, 0.9, 0.87, 0.85, 0.82, 0.8, 0.77, 0.75,
                                  0.72, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3};
#define CAP_GRID_N ((int)(sizeof cap_grid / sizeof cap_grid[0]))

/* The paper rule's pass at cap U, predicted; 1 when it meets `limit`, 0 when not, else an
 * error code (infeasible at that cap counts as not meeting it). *slices: the plan's
 * slices (INT_MAX when there is none). */
static int capped_pass(const js_scenario *s, const js_plan_request *r, double u, double limit,
                       js_plan *out, int *slices, js_plan_stats *effort, pl_pass_fn pass)
{
    js_plan_request rr = *r;
    rr.rule = JS_RULE_PAPER;
    rr.max_utilisation = u;
    rr.known_feasible = NULL;
    rr.layout_in_force = NULL;
    js_diag local;
    js_diag_init(&local);
    js_plan_init(out);
    int rc = pass(s, &rr, out, &local);
    pl_safe_add_stats(effort, &out->stats);
    if (rc == 0)
        rc = pl_safe_finish(s, r, out, &local);
    *slices = rc == 0 ? out->slices_used : INT_MAX;
    bool misses = rc == 0 && !(pl_safe_within(pl_safe_worst_violation(out), limit));
    if (rc == JS_EXIT_INFEASIBLE || misses) {
        js_plan_free(out);
        return 0;
    }
    if (rc != 0) {
        js_plan_free(out);
        return rc;
    }
    return 1;
}

/* Minimum slices: the highest cap on the grid whose plan meets the budget (the predicted
 * violations fall as the cap falls: a binary search), if it needs fewer slices. A lower
 * cap never needs fewer slices (its feasible set is a subset), so once a plan that misses
 * the budget needs as many slices as the other family's, no lower cap can win. */
static int capped_min_slices(const js_scenario *s, const js_plan_request *r, double limit,
                             js_plan *out, bool have_out, safe_choice *choice,
                             js_plan_stats *effort, pl_pass_fn pass)
{
    int lo = 0, hi = CAP_GRID_N - 1;
    if (cap_grid[hi] > r->max_utilisation + 1e-12)
        hi = -1; /* a user cap below the grid: the family adds nothing */
    while (lo <= hi && cap_grid[lo] > r->max_utilisation + 1e-12)
        lo++;
    js_plan best, cand;
    js_plan_init(&best);
    bool have = false;
    double best_u = NAN;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, slices;
        int ok = capped_pass(s, r, cap_grid[mid], limit, &cand, &slices, effort, pass);
        if (ok < 0 || ok > 1) {
            js_plan_free(&best);
            return ok;
        }
        if (ok == 0 && have_out && slices >= out->slices_used)
            break;
        if (ok == 1) {
            js_plan_free(&best);
            best = cand;
            best_u = cap_grid[mid];
            have = true;
            hi = mid - 1;
        } else {
            lo = mid + 1;
        }
    }
    if (have && (!have_out || best.slices_used < out->slices_used)) {
        if (have_out)
            js_plan_free(out);
        *out = best;
        choice->made = true;
        choice->request = *r;
        choice->request.rule = JS_RULE_PAPER;
        choice->request.max_utilisation = best_u;
        choice->limit = limit;
        return 0;
    }
    js_plan_free(&best);
    return 0;
}

/* Maximum demand: at cap U the paper rule's plan is its uncapped maximum-demand plan
 * serving U x that demand (the segments must cover rate / U), so one MILP pass and a
 * bisection of predictions find the largest U whose plan meets the budget. */
static int capped_max_demand(const js_scenario *s, const js_plan_request *r, double limit,
                             js_plan *out, bool have_out, js_plan_stats *effort,
                             pl_pass_fn pass)
{
    js_plan full;
    int slices;
    int ok = capped_pass(s, r, r->max_utilisation, INFINITY, &full, &slices, effort, pass);
    if (ok != 1)
        return ok == 0 ? 0 : ok;
    if (pl_safe_rescue_by_scaling(s, r, &full, limit) == 0 &&
        (!have_out || full.demand_scale > out->demand_scale)) {
        if (have_out)
            js_plan_free(out);
        *out = full;
        return 0;
    }
    js_plan_free(&full);
    return 0;
}

/* The safe rule's second family (above) after its MILP's: rc is the MILP family's
 * outcome; a capped plan may replace its plan or stand in for its infeasibility. */
int pl_with_capped_family(const js_scenario *s, const js_plan_request *r, int rc,
                              js_plan *out, js_diag *d, pl_pass_fn pass, safe_choice *choice,
                              bool max_demand)
{
    if (r->rule != JS_RULE_SAFE || (rc != 0 && rc != JS_EXIT_INFEASIBLE))
        return rc;
    bool have_out = rc == 0;
    js_plan_stats effort;
    memset(&effort, 0, sizeof effort);
    if (have_out)
        effort = out->stats;
    double limit = 1.0 - r->target_quantile;
    int crc = max_demand ? capped_max_demand(s, r, limit, out, have_out, &effort, pass)
                         : capped_min_slices(s, r, limit, out, have_out, choice, &effort, pass);
    if (crc == JS_EXIT_TIMELIMIT) /* out of time: what the MILP family found stands */
        crc = 0;
    if (crc != 0)
        return have_out ? (js_plan_free(out), js_diag_set(d, crc, "safe rule: capped plans "
                                                              "failed")) : rc;
    bool have_now = have_out || out->feasible;
    if (!have_now)
        return rc;
    pl_safe_keep_effort(out, &effort);
    if (!have_out) {
        js_diag_init(d); /* the capped family found what the MILP family could not */
        snprintf(out->rule, sizeof out->rule, "%s", js_rule_name(r->rule));
    }
    return 0;
}
