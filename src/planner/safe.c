/* The safe rule's search (docs/queueing-model.md): the MILP holds, per task, the queueing
 * model's quantile of the slowest of a request's items within the SLO along every path, a
 * conservative stand-in for the end-to-end quantile; the whole plan is then predicted end
 * to end (qpredict.c) and the per-task tail searched for the cheapest plan whose predicted
 * violation rate meets the target's budget (pl_plan_safe): from SAFE_START x the budget,
 * looser while the prediction stays within the budget with a margin (the loosest such plan
 * is the cheapest: the feasible set only grows), else tighter until it is within the
 * budget. A maximum-demand plan that misses the budget is rescued by scaling its demand
 * down. Every plan leaves with its rule, its per-task utilisation and its prediction. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "safe_internal.h"
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

double pl_safe_worst_violation(const js_plan *p)
{
    double w = 0.0;
    for (int i = 0; i < p->napps; i++)
        if (p->apps[i].predicted_violation_rate > w)
            w = p->apps[i].predicted_violation_rate;
    return w;
}

int pl_safe_finish(const js_scenario *s, const js_plan_request *r, js_plan *p, js_diag *d)
{
    merge_segments(p);
    snprintf(p->rule, sizeof p->rule, "%s", js_rule_name(r->rule));
    p->target_quantile = r->rule == JS_RULE_SAFE ? r->target_quantile : NAN;
    return js_qm_annotate_plan(s, p, d);
}

/* Solver effort over every pass, reported on the plan returned. */
void pl_safe_add_stats(js_plan_stats *sum, const js_plan_stats *one)
{
    sum->solves += one->solves;
    sum->nodes += one->nodes;
    sum->seconds += one->seconds;
    sum->cpu_seconds += one->cpu_seconds;
}

/* The plan returned reports the effort of every pass (its MILP size stays its own). */
void pl_safe_keep_effort(js_plan *p, const js_plan_stats *effort)
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
                     double *worst, js_plan_stats *effort, js_diag *d, pl_pass_fn pass)
{
    js_plan_request rr = pass_request(r, j);
    js_plan_init(out);
    int rc = pass(s, &rr, out, d);
    pl_safe_add_stats(effort, &out->stats);
    if (rc == 0)
        rc = pl_safe_finish(s, r, out, d);
    *worst = rc == 0 ? pl_safe_worst_violation(out) : INFINITY;
    return rc;
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
    js_plan_scale_demand(&q, f);
    double w = js_qm_annotate_plan(fn->s, &q, &local) == 0 ? pl_safe_worst_violation(&q) : NAN;
    js_plan_free(&q);
    if (isnan(w))
        fn->failed = true;
    double g = log(fmax(w, 1e-300) / (fn->limit * (1.0 + PL_SAFE_REL_TOL))); /* <= 0: meets the limit */
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
int pl_safe_rescue_by_scaling(const js_scenario *s, const js_plan_request *r, js_plan *p,
                             double limit)
{
    double f = largest_fraction_meeting(s, p, limit, SAFE_RESCUE_LOWEST);
    if (!(f > 0.0))
        return 1;
    js_plan_scale_demand(p, f);
    js_diag local;
    js_diag_init(&local);
    if (pl_safe_finish(s, r, p, &local) != 0)
        return 1;
    snprintf(p->status, sizeof p->status, "feasible");
    p->bound = p->demand_scale_bound = p->gap = NAN;
    return 0;
}

static void choose(safe_choice *c, const js_plan_request *r, int j, double limit)
{
    c->made = true;
    c->request = pass_request(r, j);
    c->limit = limit;
}

int pl_plan_safe(const js_scenario *s, const js_plan_request *r, js_plan *out, js_diag *d,
                     pl_pass_fn pass, bool max_demand, safe_choice *choice)
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
        bool ok = rc == 0 && pl_safe_within(worst, accept);
        /* Maximum demand: a plan that misses the budget serves a fraction of its demand
         * that meets it, found from predictions alone; the tighter passes' own demand
         * searches would cost a MILP search each. */
        bool rescued = !ok && max_demand && rc == 0 && !have &&
                       pl_safe_rescue_by_scaling(s, r, &cand, budget) == 0;
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
        pl_safe_keep_effort(out, &effort);
        return 0;
    }
    if (rc != 0 && rc != JS_EXIT_INFEASIBLE)
        return rc;
    for (int j = SAFE_START - 1; j >= SAFE_TIGHTEST; j--) {
        js_diag_init(d);
        rc = safe_pass(s, &base, j, out, &worst, &effort, d, pass);
        if (rc != 0)
            return rc;
        pl_safe_keep_effort(out, &effort);
        if (pl_safe_within(worst, budget)) {
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
        pl_safe_keep_effort(out, &effort);
        if (pl_safe_within(worst, budget)) {
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
