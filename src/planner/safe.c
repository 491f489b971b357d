/* The public planning entry points: one MILP pass for the paper's rule; for the safe rule
 * a predict-and-tighten loop. The MILP holds, per task, the model's quantile of the
 * slowest of a request's items within the SLO along every path; the whole plan is then
 * predicted end to end (qpredict.c), and the per-task tail is searched for the cheapest
 * plan whose predicted violation rate meets the target's budget (plan_safe).
 * Every plan leaves with its rule, its per-task utilisation and its prediction. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "planner_internal.h"
#include "jigsaw/qmodel.h"
#include "jigsaw/util.h"

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
    return js_qm_annotate_plan(s, p, d);
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
/* The MILP's request of the pass with the per-task tail at budget x 2^j. */
static js_plan_request pass_request(const js_plan_request *r, int j)
{
    js_plan_request rr = *r;
    double tail = fmin(SAFE_MAX_TAIL, (1.0 - r->target_quantile) * ldexp(1.0, j));
    rr.target_quantile = 1.0 - tail; /* steers the MILP; the plan reports the user's */
    return rr;
}

static int safe_pass(const js_scenario *s, const js_plan_request *r, int j, js_plan *out,
                     double *worst, js_plan_stats *effort, js_diag *d, plan_pass pass)
{
    js_plan_request rr = pass_request(r, j);
    js_plan_init(out);
    int rc = pass(s, &rr, out, d);
    add_stats(effort, &out->stats);
    if (rc == 0)
        rc = finish(s, r, out, d);
    *worst = rc == 0 ? worst_violation(out) : INFINITY;
    return rc;
}

/* Demand of every application and task of a plan times f. */
static void scale_demand(js_plan *p, double f)
{
    p->demand_scale *= f;
    p->objective = p->demand_scale;
    for (int i = 0; i < p->napps; i++) {
        p->apps[i].rate *= f;
        for (int t = 0; t < p->apps[i].ntasks; t++)
            p->apps[i].tasks[t].demand *= f;
    }
}

/* log(worst predicted violation rate / limit) of a plan at fraction f of its demand:
 * increasing in f (violations rise with the load). */
typedef struct fraction_fn {
    const js_scenario *s;
    const js_plan *p;
    double limit;
    bool failed;            /* a prediction failed: no fraction is trusted */
    double best;            /* the largest fraction evaluated that meets the limit */
} fraction_fn;

static double log_excess(double f, void *arg)
{
    fraction_fn *fn = arg;
    js_plan q;
    js_diag local;
    js_diag_init(&local);
    if (js_plan_copy(fn->p, &q) != 0) {
        fn->failed = true;
        return 0.0;
    }
    scale_demand(&q, f);
    double w = js_qm_annotate_plan(fn->s, &q, &local) == 0 ? worst_violation(&q) : NAN;
    js_plan_free(&q);
    if (isnan(w))
        fn->failed = true;
    double g = log(fmax(w, 1e-300) / (fn->limit * (1.0 + 1e-9))); /* <= 0: meets the limit */
    if (g <= 0.0 && f > fn->best)
        fn->best = f;
    return g;
}

/* The largest fraction f in [lowest, 1] of a plan's demand at which its prediction meets
 * `limit`, to within SAFE_FRACTION_TOL (inside the demand search's 0.5 % gap): Brent's
 * method on log_excess until its bracket or its steps are that small, and the largest
 * fraction it evaluated that meets the limit (Brent may close in on the root from one
 * side only); 0 when not even `lowest` does. */
#define SAFE_FRACTION_TOL 2e-3
static double largest_fraction_meeting(const js_scenario *s, const js_plan *p, double limit,
                                       double lowest)
{
    fraction_fn fn = {s, p, limit, false, 0.0};
    gsl_function F = {log_excess, &fn};
    gsl_error_handler_t *old = gsl_set_error_handler_off(); /* codes, not abort() */
    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    int set = solver ? gsl_root_fsolver_set(solver, &F, lowest, 1.0) : GSL_ENOMEM;
    if (set == GSL_SUCCESS) {
        double prev = NAN;
        for (int it = 0; it < 50 && !fn.failed; it++) {
            if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS)
                break;
            double root = gsl_root_fsolver_root(solver);
            if (gsl_root_test_interval(gsl_root_fsolver_x_lower(solver),
                                       gsl_root_fsolver_x_upper(solver), SAFE_FRACTION_TOL,
                                       0.0) == GSL_SUCCESS ||
                fabs(root - prev) < SAFE_FRACTION_TOL)
                break;
            prev = root;
        }
    }
    if (solver)
        gsl_root_fsolver_free(solver);
    gsl_set_error_handler(old);
    if (set == GSL_EINVAL && !fn.failed) /* no bracket: both ends meet, or neither */
        return log_excess(1.0, &fn) <= 0.0 && !fn.failed ? 1.0 : 0.0;
    if (set != GSL_SUCCESS || !(fn.best > 0.0))
        return 0.0;
    return fn.failed ? 0.0 : fn.best;
}

/* A maximum-demand plan whose prediction misses `limit`, served at the largest fraction
 * of its demand that meets it: proven only for its own rule, so no bound is claimed. 0
 * when it was rescued, 1 when not even at SAFE_RESCUE_LOWEST. */
#define SAFE_RESCUE_LOWEST 0.3
static int rescue_by_scaling(const js_scenario *s, const js_plan_request *r, js_plan *p,
                             double limit)
{
    double f = largest_fraction_meeting(s, p, limit, SAFE_RESCUE_LOWEST);
    if (!(f > 0.0))
        return 1;
    scale_demand(p, f);
    js_diag local;
    js_diag_init(&local);
    if (finish(s, r, p, &local) != 0)
        return 1;
    snprintf(p->status, sizeof p->status, "feasible");
    p->bound = p->demand_scale_bound = p->gap = NAN;
    return 0;
}

/* The safe rule: the MILP bounds each path's sum of per-task quantiles, a conservative
 * stand-in for the end-to-end quantile, so the per-task tail it plans for is searched:
 * from SAFE_START x the budget, looser while the plan's prediction stays within the
 * budget with a margin (the loosest such plan is the cheapest: the feasible set only
 * grows), else tighter until the prediction is within the budget. */
typedef struct safe_choice {
    bool made;               /* a pass met its acceptance limit */
    js_plan_request request; /* the MILP request of that pass */
    double limit;            /* the predicted violation rate it had to stay within */
} safe_choice;

static void choose(safe_choice *c, const js_plan_request *r, int j, double limit)
{
    c->made = true;
    c->request = pass_request(r, j);
    c->limit = limit;
}

static int plan_safe(const js_scenario *s, const js_plan_request *r, js_plan *out, js_diag *d,
                     plan_pass pass, bool max_demand, safe_choice *choice)
{
    choice->made = false;
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
    js_plan_request base = *r, looser = *r;
    base.known_feasible = NULL; /* the safe rule's passes are not the caller's request */
    for (int j = SAFE_START; j <= SAFE_LOOSEST; j++) {
        double accept = budget * (j > 0 ? SAFE_MARGIN : 1.0);
        /* A looser tail only grows the feasible set: the plan just accepted starts the
         * next maximum-demand search. */
        looser.known_feasible = have ? out : NULL;
        rc = safe_pass(s, &looser, j, &cand, &worst, &effort, d, pass);
        if (rc != 0 && rc != JS_EXIT_INFEASIBLE) {
            js_plan_free(&cand);
            break;
        }
        bool ok = rc == 0 && worst <= accept * (1.0 + 1e-9);
        /* Maximum demand: a plan that misses the budget serves a fraction of its demand
         * that meets it, found from predictions alone; the tighter passes' own demand
         * searches would cost a MILP search each. */
        bool rescued = !ok && max_demand && rc == 0 && !have &&
                       rescue_by_scaling(s, r, &cand, budget) == 0;
        if (!ok && !rescued) {
            js_plan_free(&cand);
            break;
        }
        js_plan_free(out);
        *out = cand;
        have = true;
        choose(choice, &looser, j, rescued ? budget : accept);
        if (rescued)
            break;
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
        rc = safe_pass(s, &base, j, out, &worst, &effort, d, pass);
        if (rc != 0)
            return rc;
        keep_effort(out, &effort);
        if (worst <= budget * (1.0 + 1e-9)) {
            choose(choice, &base, j, budget);
            return 0;
        }
        js_plan_free(out);
    }
    /* The per-task statistics cannot see what the end-to-end prediction does (the
     * groups a parent batch releases, mixed segment kinds): cap the utilisation instead,
     * step by step, with the base per-task tail. */
    js_plan_request capped = base;
    for (int k = 0; k < SAFE_NCAPS; k++) {
        if (safe_caps[k] >= r->max_utilisation)
            continue;
        capped.max_utilisation = safe_caps[k];
        js_diag_init(d);
        rc = safe_pass(s, &capped, 0, out, &worst, &effort, d, pass);
        if (rc != 0)
            return rc;
        keep_effort(out, &effort);
        if (worst <= budget * (1.0 + 1e-9)) {
            choose(choice, &capped, 0, budget);
            return 0;
        }
        if (k + 1 == SAFE_NCAPS)
            break;
        js_plan_free(out);
    }
    js_diag_warn(d, "safe rule: the plan's predicted violation rate %.3f%% exceeds the "
                    "target's %.3f%% with the tightest per-task tail and utilisation cap tried",
                 100.0 * worst, 100.0 * budget);
    return 0;
}

/* ---- The paper's rule with a utilisation cap, verified end to end ----------------
 * The MILP's per-path sum of per-task quantiles is conservative where a request's items
 * fan out (docs/queueing-model.md), so the safe rule also considers the plans of the
 * paper's rule whose segments are capped at a utilisation U, and accepts one when the same
 * end-to-end prediction meets the target's budget. The cheaper of the two families wins
 * (ties: the queueing-aware MILP's plan). */

static const double cap_grid[] = {0.98, 0.95, 0.92, 0.9, 0.87, 0.85, 0.82, 0.8, 0.77, 0.75,
                                  0.72, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3};
#define CAP_GRID_N ((int)(sizeof cap_grid / sizeof cap_grid[0]))

/* The paper rule's pass at cap U, predicted; 1 when it meets `limit`, 0 when not, else an
 * error code (infeasible at that cap counts as not meeting it). *slices: the plan's
 * slices (INT_MAX when there is none). */
static int capped_pass(const js_scenario *s, const js_plan_request *r, double u, double limit,
                       js_plan *out, int *slices, js_plan_stats *effort, plan_pass pass)
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
    add_stats(effort, &out->stats);
    if (rc == 0)
        rc = finish(s, r, out, &local);
    *slices = rc == 0 ? out->slices_used : INT_MAX;
    if (rc == JS_EXIT_INFEASIBLE || (rc == 0 && !(worst_violation(out) <= limit * (1.0 + 1e-9)))) {
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
                             js_plan_stats *effort, plan_pass pass)
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
                             plan_pass pass)
{
    js_plan full;
    int slices;
    int ok = capped_pass(s, r, r->max_utilisation, INFINITY, &full, &slices, effort, pass);
    if (ok != 1)
        return ok == 0 ? 0 : ok;
    if (rescue_by_scaling(s, r, &full, limit) == 0 &&
        (!have_out || full.demand_scale > out->demand_scale)) {
        if (have_out)
            js_plan_free(out);
        *out = full;
        return 0;
    }
    js_plan_free(&full);
    return 0;
}

static int plan_with_rule(const js_scenario *s, const js_plan_request *r, js_plan *out,
                          js_diag *d, plan_pass pass, bool max_demand, safe_choice *choice)
{
    if (r->rule == JS_RULE_SAFE)
        return plan_safe(s, r, out, d, pass, max_demand, choice);
    int rc = pass(s, r, out, d);
    if (rc == 0) {
        choice->made = true;
        choice->request = *r;
        choice->limit = INFINITY;
    }
    return rc == 0 ? finish(s, r, out, d) : rc;
}

/* Re-layout awareness (relayout.c) on the chosen pass's request: the plan that keeps more
 * of the layout in force replaces the minimum when it meets the same acceptance limit. */
static int keep_layout(const js_scenario *s, const js_plan_request *r,
                       const safe_choice *choice, js_plan *out, js_diag *d)
{
    js_plan cand;
    js_diag local;
    js_diag_init(&local);
    int rc = pl_min_slices_keep_layout(s, &choice->request, out, &cand, &local);
    if (rc == 1)
        return 0;
    if (rc != 0) {
        js_diag_forward(d, &local);
        return rc;
    }
    rc = finish(s, r, &cand, &local);
    if (rc == 0 && worst_violation(&cand) <= choice->limit * (1.0 + 1e-9)) {
        keep_effort(&cand, &cand.stats);
        js_plan_free(out);
        *out = cand;
        return 0;
    }
    js_plan_free(&cand);
    if (rc == JS_EXIT_INTERNAL)
        return js_diag_forward(d, &local);
    return 0;
}

/* The safe rule's second family (above) after its MILP's: rc is the MILP family's
 * outcome; a capped plan may replace its plan or stand in for its infeasibility. */
static int with_capped_family(const js_scenario *s, const js_plan_request *r, int rc,
                              js_plan *out, js_diag *d, plan_pass pass, safe_choice *choice,
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
    keep_effort(out, &effort);
    if (!have_out) {
        js_diag_init(d); /* the capped family found what the MILP family could not */
        snprintf(out->rule, sizeof out->rule, "%s", js_rule_name(r->rule));
    }
    return 0;
}

/* The fewest-GPUs tie-break, skipped by the search's passes, on the plan chosen: it
 * replaces the plan when it needs fewer GPUs and meets the same acceptance limit. */
static int fewest_gpus(const js_scenario *s, const js_plan_request *r,
                       const safe_choice *choice, js_plan *out, js_diag *d)
{
    js_plan cand;
    js_diag local;
    js_diag_init(&local);
    js_plan_init(&cand);
    int rc = pl_min_slices_fewest_gpus(s, &choice->request, out, &cand, &local);
    if (rc == 1)
        return 0;
    js_plan_stats effort = out->stats;
    add_stats(&effort, &cand.stats);
    keep_effort(out, &effort);
    if (rc == 0)
        rc = finish(s, r, &cand, &local);
    bool better = rc == 0 && cand.slices_used <= out->slices_used &&
                  cand.gpus_used < out->gpus_used &&
                  worst_violation(&cand) <= choice->limit * (1.0 + 1e-9);
    if (better) {
        keep_effort(&cand, &effort);
        js_plan_free(out);
        *out = cand;
        return 0;
    }
    js_plan_free(&cand);
    if (rc == JS_EXIT_INTERNAL)
        return js_diag_forward(d, &local);
    return 0; /* out of time or no better packing: the plan chosen stands */
}

static int min_slices_entry(const js_scenario *s, const js_plan_request *r, js_plan *out,
                            js_diag *d)
{
    js_plan_request started; /* one deadline for every pass (planner_internal.h) */
    pl_request_start(r, &started);
    /* The safe rule's search compares its passes by slices and predictions: the
     * fewest-GPUs tie-break runs once, on the plan it returns. */
    started.skip_gpu_tiebreak = started.rule == JS_RULE_SAFE && !started.layout_in_force;
    safe_choice choice = {0};
    int rc = plan_with_rule(s, &started, out, d, pl_min_slices_once, false, &choice);
    rc = with_capped_family(s, &started, rc, out, d, pl_min_slices_once, &choice, false);
    if (rc == 0 && choice.made && started.layout_in_force)
        rc = keep_layout(s, &started, &choice, out, d);
    else if (rc == 0 && choice.made && started.skip_gpu_tiebreak)
        rc = fewest_gpus(s, &started, &choice, out, d);
    return rc;
}

static int max_demand_entry(const js_scenario *s, const js_plan_request *r, js_plan *out,
                            js_diag *d)
{
    js_plan_request started;
    pl_request_start(r, &started);
    /* At the maximum demand the cluster is (nearly) full: the safe rule's passes skip the
     * fewest-GPUs tie-break of the plan they show. */
    started.skip_gpu_tiebreak = started.rule == JS_RULE_SAFE;
    safe_choice choice = {0};
    int rc = plan_with_rule(s, &started, out, d, pl_max_demand_once, true, &choice);
    return with_capped_family(s, &started, rc, out, d, pl_max_demand_once, &choice, true);
}

/* Each entry point runs under one GLPK guard (milp_solve.c): its passes and the stages
 * after them (re-layout, fewest GPUs) alike. The plan reports the time of the whole call
 * (predictions and the rescue by scaling included), its solves and nodes those of every
 * pass. */
static int timed_entry(pl_pass_fn entry, const js_scenario *s, const js_plan_request *r,
                       js_plan *out, js_diag *d)
{
    double t0 = js_now_s(), c0 = js_cpu_s();
    int rc = pl_glpk_guarded(entry, s, r, out, d);
    if (rc == 0) {
        out->stats.seconds = js_now_s() - t0;
        out->stats.cpu_seconds = js_cpu_s() - c0;
    }
    return rc;
}

int js_plan_min_slices(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d)
{
    return timed_entry(min_slices_entry, s, r, out, d);
}

int js_plan_max_demand(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d)
{
    return timed_entry(max_demand_entry, s, r, out, d);
}
