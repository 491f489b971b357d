/* Maximum common demand scale (js_plan_max_demand), within PL_DEMAND_GAP of the
 * model's optimum (README.md, "The planner"). Per variant combination, best upper bound
 * first: a bisection of min-slices feasibility tests at fixed scales, each on its own
 * MILP; with too many combinations, the joint MILP with the scale as a variable. Then
 * the minimum-slices plan at the scale found (min_slices.c). */
#include <glpk.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milp.h"

#define PL_DEMAND_GAP 0.0049 /* relative; the report promises 0.5 % */
/* Node cap on one feasibility test of the demand search once any scale of a window settles
 * it: a scale that hard to decide is left open and another one tried
 * (see max_demand_by_combos). Counted in nodes, not seconds, so that the answer does not
 * depend on the machine's load (about a CPU second on the paper's applications). */
#define PL_FEAS_CAP_NODES 300
/* Node cap on a test before the window: a scale that hard to decide (a plan may exist
 * that branch and bound cannot find) is left open, and the search goes on below it,
 * reporting the open range as the bound's gap instead of spending the time limit there. */
#define PL_FEAS_OPEN_NODES 2000

/* The search for the largest scale over the variant combinations: what it works on and
 * what it finds (max_demand_by_combos, combo_feasible). */
typedef struct demand_search {
    /* in */
    pl_model *m;              /* the demand MILP's model */
    pl_model *m2;             /* a second model for the feasibility tests' own MILPs, so
                                 that m's column indices stay those of b */
    lp_build *b;              /* the demand MILP (scale as a variable: LP bounds) */
    const pl_combos *cb;
    const js_plan_request *r;
    double deadline;          /* absolute (js_now_s), 0 = none */
    double ub;                /* upper bound on the scale (scale_upper_bound) */
    int *win;                 /* out: the winning combination, cb->width ints (the
                                 caller's array) */
    double floor;             /* a scale known plannable with the combination in win
                                 (0 = none): the search starts from it */
    /* out: set when max_demand_by_combos returns 0 */
    double lambda;            /* largest scale found plannable, > 0 */
    double bound;             /* upper bound on the optimum scale */
    bool proven;              /* every combination settled: lambda within the gap */
    /* out: accumulated by every feasibility test */
    long nodes;               /* branch-and-bound nodes */
    int solves;               /* MILP solves */
} demand_search;

/* Upper bound on the common scale: every application's source task alone, on the whole
 * cluster at the best throughput per slice it has. */
static double scale_upper_bound(const pl_model *m)
{
    double ub = INFINITY;
    for (int i = 0; i < m->napps; i++) {
        const pl_app *pa = &m->apps[i];
        if (!(pa->rate > 0.0))
            continue;
        const pl_task *src = &pa->t[pa->a->source];
        double best = 0.0;
        for (int c = 0; c < src->ncfg; c++)
            best = fmax(best, src->cfg[c].thr / src->cfg[c].slices);
        double cap = best * m->g->compute_slices * m->gpus / pa->rate;
        ub = fmin(ub, cap);
    }
    return ub;
}


/* A feasible start for the maximum-demand MILP: the min-slices solution at some scale
 * (the scenario's own demand first, then smaller ones), found in the same problem with
 * the scale fixed. GLPK searches much better from an incumbent. NULL if none found. */
static double *demand_start(pl_model *m, lp_build *b, const js_plan_request *r, double ub,
                            double deadline)
{
    double lam = fmin(1.0, ub / 2.0);
    double *x0 = NULL;
    pl_lp_objective_from_row(b, b->row_slices, GLP_MIN);
    for (int attempt = 0; attempt < 3 && !x0; attempt++, lam /= 16.0) {
        solve_info si;
        double sub =
            deadline > 0.0 ? fmin(deadline, js_now_s() + 0.25 * (deadline - js_now_s())) : 0.0;
        glp_set_col_bnds(b->lp, b->col_lambda, GLP_FX, lam, lam);
        pl_lp_solve(b, r, sub, 0.01, &si);
        if (pl_has_solution(&si))
            x0 = pl_lp_incumbent(b->lp);
    }
    glp_set_col_bnds(b->lp, b->col_lambda, GLP_DB, 0.0, ub);
    (void)m;
    return x0;
}

/* Largest scale at which the per-task knapsack bounds of a combination still fit the
 * cluster's compute slices: an upper bound on the combination's maximum scale, often
 * much tighter than the LP's (it respects each task's integrality). */
static double knapsack_scale_bound(const pl_model *m, const int *var, double hi)
{
    int max_slices = m->gpus * m->g->compute_slices;
    int nt = 0;
    for (int i = 0; i < m->napps; i++)
        nt += m->apps[i].a->ntasks;
    double *best = calloc((size_t)nt * ((size_t)max_slices + 1) + 1, sizeof *best);
    double *per = calloc((size_t)nt + 1, sizeof *per); /* items/s per unit scale */
    if (!best || !per) {
        free(best);
        free(per);
        return hi;
    }
    int off = 0;
    for (int i = 0; i < m->napps; i++) {
        const pl_app *pa = &m->apps[i];
        double items[JS_MAX_TASKS];
        js_dag_items_per_request(pa->a, var + off, items);
        for (int t = 0; t < pa->a->ntasks; t++) {
            const pl_task *pt = &pa->t[t];
            double *bt = best + (size_t)(off + t) * ((size_t)max_slices + 1);
            per[off + t] = pa->rate * items[t];
            for (int s = 1; s <= max_slices; s++) {
                bt[s] = bt[s - 1];
                for (int c = 0; c < pt->ncfg; c++) {
                    const pl_cfg *cf = &pt->cfg[c];
                    if (cf->variant == var[off + t] && cf->slices <= s &&
                        bt[s - cf->slices] + cf->thr > bt[s])
                        bt[s] = bt[s - cf->slices] + cf->thr;
                }
            }
        }
        off += pa->a->ntasks;
    }
    /* Slices needed at scale lam; monotone in lam. */
    double lo = 0.0;
    for (int it = 0; it < 60 && hi > lo * (1.0 + 1e-7); it++) {
        double mid = 0.5 * (lo + hi);
        long need = 0;
        for (int k = 0; k < nt && need <= max_slices; k++) {
            double dem = per[k] * mid;
            if (!(dem > 0.0))
                continue;
            const double *bt = best + (size_t)k * ((size_t)max_slices + 1);
            int a = 1, z = max_slices + 1; /* first s with bt[s] >= dem, or max + 1 */
            while (a < z) {
                int h = (a + z) / 2;
                if (bt[h] >= dem * (1.0 - 1e-9))
                    z = h;
                else
                    a = h + 1;
            }
            need += a;
        }
        if (need <= max_slices)
            lo = mid;
        else
            hi = mid;
    }
    free(best);
    free(per);
    return hi;
}

/* Is scale lam plannable with combination var? A min-slices MILP (with the exact
 * per-task knapsack rows) stopped at its first plan. 1 yes, 0 no, 2 unknown (time
 * limit), -1 out of memory. */
static int combo_feasible(demand_search *ds, const int *var, double lam, int node_cap)
{
    pl_model *m = ds->m2;
    lp_build b2;
    memset(&b2, 0, sizeof b2);
    b2.node_limit = node_cap;
    pl_model_set_scale(m, lam);
    int rc = -1;
    b2.per_combo = true;
    if (pl_lp_build(m, &b2, false) == 0 &&
        pl_lp_objective_from_row(&b2, b2.row_slices, GLP_MIN) == 0) {
        pl_apply_combo(m, &b2, var);
        if (pl_combo_cuts(m, &b2, var) == 0) {
            solve_info si;
            b2.stop_at_first = true;
            pl_lp_solve(&b2, ds->r, ds->deadline, 0.0, &si);
            ds->solves++;
            ds->nodes += si.nodes;
            if (pl_has_solution(&si))
                rc = 1;
            else if (si.status == GLP_NOFEAS || si.ret == GLP_ENOPFS)
                rc = 0;
            else
                rc = 2;
        }
    }
    pl_lp_free(&b2);
    return rc;
}

/* Maximum demand by combinations, best upper bound first. Per combination the bound is
 * min(LP relaxation, knapsack bound); a geometric bisection of feasibility tests at
 * fixed scales finds its maximum to the relative gap PL_DEMAND_GAP; a combination is
 * skipped once its bound cannot beat the incumbent by more than the gap. Returns 0 with
 * ds->lambda > 0 (and ds->bound, ds->proven, ds->win), 1 when none has a plan (proven), 2
 * when none was found before the deadline (nothing proven), -1 out of memory. */
static int max_demand_by_combos(demand_search *ds)
{
    pl_model *m = ds->m;
    lp_build *b = ds->b;
    const pl_combos *cb = ds->cb;
    const js_plan_request *r = ds->r;
    const double g1 = 1.0 + PL_DEMAND_GAP;
    pl_lp_set_objective(b, GLP_MAX, &b->col_lambda, (const double[]){1.0}, 1);
    combo_key *keys = calloc((size_t)cb->n + 1, sizeof *keys);
    if (!keys)
        return -1;
    int nk = cb->n;
    bool complete = true;
    for (int q = 0; q < nk; q++) {
        if (pl_past_deadline(ds->deadline)) { /* bounds of the rest unknown: none searched */
            nk = q;
            complete = false;
            break;
        }
        keys[q].idx = q;
        keys[q].logpas = cb->logpas[q];
        keys[q].bound = knapsack_scale_bound(m, cb->var + (size_t)q * (size_t)cb->width, ds->ub);
    }
    qsort(keys, (size_t)nk, sizeof *keys, pl_combo_key_cmp_max);
    double best = ds->floor, bnd = complete ? 0.0 : ds->ub;
    int rc = 0;
    for (int q = 0; q < nk && rc == 0; q++) {
        if (pl_past_deadline(ds->deadline)) { /* the rest stay open: their bounds count */
            complete = false;
            for (int r2 = q; r2 < nk; r2++)
                bnd = fmax(bnd, keys[r2].bound);
            break;
        }
        const int *var = cb->var + (size_t)keys[q].idx * (size_t)cb->width;
        double hi = keys[q].bound;
        if (!(hi > best * g1)) {
            bnd = fmax(bnd, fmin(hi, best * g1));
            break; /* sorted: no later one can beat the incumbent by more than the gap */
        }
        /* The LP relaxation (latency levels included) only when the combination is
         * about to be searched: it may prove it infeasible or bound it lower. */
        pl_apply_combo(m, b, var);
        double lpb = pl_lp_relaxation(b, r);
        if (isnan(lpb))
            continue;
        hi = fmin(hi, lpb);
        if (!(hi > best * g1)) {
            bnd = fmax(bnd, fmin(hi, best * g1));
            continue;
        }
        double lo = best, step = g1;
        double hi_bound = hi; /* hi less the scales left open: what is proven */
        bool unknown = false, open = false;
        int undecided = 0; /* tests in a row the time cap left open */
        while (hi > lo * g1 && rc == 0) {
            if (lo == 0.0 && step > 1e12) {
                hi = 0.0; /* no positive demand below 1e-12 of the bound fits either */
                break;
            }
            if (pl_past_deadline(ds->deadline)) {
                unknown = true;
                break;
            }
            double t = lo > 0.0 ? fmax(sqrt(lo * hi), hi / step) : hi / step;
            if (undecided > 0) {
                /* Any scale in [hi / g1, lo * g1] settles the combination either way:
                 * try both ends of that window before giving up. */
                if (!(lo > 0.0 && hi <= lo * g1 * g1) || undecided > 2) {
                    unknown = true;
                    break;
                }
                t = undecided == 1 ? hi / g1 : lo * g1;
            }
            /* Inside the window a test may be left open (another point can settle it). */
            bool window = lo > 0.0 && hi <= lo * g1 * g1;
            int f = combo_feasible(ds, var, t, window ? PL_FEAS_CAP_NODES : PL_FEAS_OPEN_NODES);
            if (f < 0) {
                rc = -1;
            } else if (f == 1) {
                lo = t;
                undecided = 0;
            } else if (f == 0) {
                hi = t;
                hi_bound = fmin(hi_bound, t);
                undecided = 0;
            } else if (!window && !pl_past_deadline(ds->deadline)) {
                hi = t; /* open: search below it; the bound keeps hi_bound */
                open = true;
            } else {
                undecided++;
            }
            step *= step; /* from the top down, doubling the log step until one fits */
        }
        if (unknown || open)
            complete = false;
        bnd = fmax(bnd, unknown || open ? hi_bound : fmin(hi, lo * g1));
        if (lo > best) {
            best = lo;
            memcpy(ds->win, var, (size_t)cb->width * sizeof *ds->win);
        }
    }
    free(keys);
    pl_apply_combo(m, b, NULL);
    if (rc < 0)
        return -1;
    if (!(best > 0.0))
        return complete ? 1 : 2;
    ds->lambda = best;
    ds->bound = fmax(best, bnd);
    ds->proven = complete;
    return 0;
}

/* The scale the plan serves, not the search's lower end: under the paper's rule the
 * latency statistics do not depend on the load, so the plan's instances serve its demand
 * times their spare capacity (slightly inside it, as the plan was made slightly inside
 * the scale found), never past the bound. (The safe rule's levels do depend on the load:
 * its plans are held to their predictions instead, safe.c.) */
static void served_scale(const js_plan_request *r, double bound, js_plan *out)
{
    if (r->rule != JS_RULE_PAPER)
        return;
    double u = r->max_utilisation > 0.0 && r->max_utilisation <= 1.0 ? r->max_utilisation : 1.0;
    double f = js_plan_capacity_factor(out, u) * (1.0 - 1e-9);
    if (isfinite(bound))
        f = fmin(f, bound / out->demand_scale);
    if (isfinite(f) && f > 1.0)
        js_plan_scale_demand(out, f);
}

static int time_limit_error(js_diag *d, const js_plan_request *r, int gpus)
{
    return js_diag_set(d, JS_EXIT_TIMELIMIT,
                       "maximum demand: no plan found within the time limit of %g s on %d GPUs "
                       "(nothing proven: a larger --time-limit may find one)",
                       r->time_limit_s, gpus);
}

static int max_demand_pass(const js_scenario *s, const js_plan_request *r, js_plan *out,
                           js_diag *d)
{
    double t0 = js_now_s(), c0 = js_cpu_s();
    double deadline = pl_request_deadline(r);
    pl_model m;
    lp_build b;
    solve_info si = {0, GLP_UNDEF, 0.0, NAN, 0, 0.0};
    memset(&b, 0, sizeof b);
    js_plan_init(out);
    if (pl_past_deadline(deadline)) { /* another pass of the call used the time up */
        snprintf(out->status, sizeof out->status, "time-limit");
        return time_limit_error(d, r, r->gpus > 0 ? r->gpus : s->cluster.gpus);
    }
    int rc = pl_model_build(&m, s, r, 1.0, d);
    if (rc == 0)
        rc = pl_diagnose_slos(&m, d);
    double ub = rc == 0 ? scale_upper_bound(&m) : NAN;
    if (rc == 0 && isinf(ub))
        rc = js_diag_set(d, JS_EXIT_USAGE,
                         "maximum demand: every application has a rate of 0 req/s, so there is "
                         "nothing to scale (give --rate)");
    if (rc == 0 && !(ub > 0.0))
        rc = js_diag_set(d, JS_EXIT_INFEASIBLE, "no demand at all fits the cluster");
    if (rc == 0) {
        pl_model_set_scale(&m, ub);
        if (pl_lp_build(&m, &b, true) != 0)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory building the MILP");
    }
    pl_combos cmb = {0};
    int crc = 1;
    demand_search ds = {.m = &m, .b = &b, .cb = &cmb, .r = r, .deadline = deadline, .ub = ub,
                        .win = NULL, .lambda = 0.0, .bound = NAN, .proven = false};
    bool have_win = false;
    if (rc == 0) {
        crc = pl_combos_enumerate(&m, PL_MAX_COMBOS, &cmb);
        if (crc < 0)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    if (rc == 0 && crc == 0) {
        /* Feasibility tests build their own MILPs: on a second model, so that this one's
         * column indices stay those of the demand MILP. */
        pl_model m2;
        js_diag d2;
        memset(&m2, 0, sizeof m2);
        js_diag_init(&d2);
        ds.m2 = &m2;
        ds.win = calloc((size_t)cmb.width + 1, sizeof *ds.win);
        if (ds.win && r->known_feasible && pl_combo_of_plan(&m, r->known_feasible, cmb.width, ds.win))
            ds.floor = r->known_feasible->demand_scale;
        int mrc = ds.win ? pl_model_build(&m2, s, r, ub, &d2) : JS_EXIT_INTERNAL;
        int k = mrc == 0 ? max_demand_by_combos(&ds) : mrc == JS_EXIT_TIMELIMIT ? 2 : -1;
        have_win = k == 0;
        pl_model_free(&m2);
        ds.m2 = NULL;
        if (k < 0)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        else if (k == 1)
            rc = js_diag_set(d, JS_EXIT_INFEASIBLE, "no positive demand fits the cluster of %d GPUs",
                             m.gpus);
        else if (k == 2)
            rc = time_limit_error(d, r, m.gpus);
    }
    pl_combos_free(&cmb);
    double *x0 = NULL;
    if (rc == 0 && crc != 0)
        x0 = demand_start(&m, &b, r, ub, deadline);
    if (rc == 0 && crc != 0) {
        pl_lp_set_objective(&b, GLP_MAX, &b.col_lambda, (const double[]){1.0}, 1);
        pl_lp_solve_from(&b, r, deadline, PL_DEMAND_GAP, x0, &si);
        if (x0 && !pl_has_solution(&si) && si.ret != GLP_ETMLIM) /* fall back: a cold start */
            pl_lp_solve(&b, r, deadline, PL_DEMAND_GAP, &si);
        free(x0);
        /* Proven only by GLPK's own word: no feasible solution, or an optimum of 0. */
        if (si.status == GLP_NOFEAS || (si.status == GLP_OPT && !(si.obj > 0.0)))
            rc = js_diag_set(d, JS_EXIT_INFEASIBLE,
                             "no positive demand fits the cluster of %d GPUs", m.gpus);
        else if (!pl_has_solution(&si) || !(si.obj > 0.0))
            rc = time_limit_error(d, r, m.gpus);
    }
    js_plan_stats st = {0};
    if (rc == 0 && crc == 0) {
        si.obj = ds.lambda;
        si.bound = ds.bound;
        si.ret = ds.proven ? 0 : GLP_ETMLIM;
        si.status = GLP_FEAS;
    }
    if (rc == 0) {
        st.solves = crc == 0 ? ds.solves : 1;
        st.nodes = crc == 0 ? ds.nodes : si.nodes;
        st.rows = glp_get_num_rows(b.lp);
        st.cols = glp_get_num_cols(b.lp);
        st.int_cols = glp_get_num_int(b.lp);
    }
    double lambda = rc == 0 ? si.obj : 0.0;
    double bound = rc == 0 ? (isnan(si.bound) ? ub : fmin(si.bound, ub)) : NAN;
    /* Stopped by the relative gap (GLP_FEAS) or optimal: proven within PL_DEMAND_GAP. */
    bool proven = rc == 0 && (si.ret == 0 || si.ret == GLP_EMIPGAP) && pl_has_solution(&si);
    pl_lp_free(&b);
    pl_model_free(&m);
    if (rc != 0) {
        free(ds.win);
        snprintf(out->status, sizeof out->status, "%s",
                 rc == JS_EXIT_TIMELIMIT ? "time-limit" : "infeasible");
        return rc;
    }
    if (proven)
        bound = fmax(lambda, fmin(bound, lambda * (1.0 + PL_DEMAND_GAP)));
    /* The plan at that scale: slightly inside it so solver tolerances cannot flip it. */
    js_plan_request r2 = *r; /* the same deadline: the final plan is part of the call */
    r2.deadline_s = deadline;
    for (int attempt = 0; attempt < 4; attempt++) {
        r2.demand_scale = lambda * (1.0 - 1e-9 * pow(100.0, attempt));
        js_diag d2;
        js_diag_init(&d2);
        js_plan_free(out);
        /* The plan: fewest slices at that scale with the winning combination. */
        rc = pl_min_slices_impl(s, &r2, out, &d2, have_win ? ds.win : NULL, PL_FINAL_GAP);
        if (rc == JS_EXIT_TIMELIMIT) { /* no retry can have more time */
            js_diag_forward(d, &d2);
            break;
        }
        if (rc != 0 && rc != JS_EXIT_INTERNAL && have_win) {
            /* Not expected (the combination was proven feasible): every combination. */
            js_plan_free(out);
            js_diag_init(&d2);
            rc = pl_min_slices_impl(s, &r2, out, &d2, NULL, PL_FINAL_GAP);
        }
        if (rc == 0 || rc == JS_EXIT_INTERNAL || rc == JS_EXIT_TIMELIMIT || attempt == 3) {
            if (rc != 0)
                js_diag_forward(d, &d2);
            else /* the final plan's own (placement: a node over its CPU cores) */
                js_diag_forward_warnings(d, &d2);
            break;
        }
    }
    free(ds.win);
    if (rc != 0)
        return rc;
    snprintf(out->objective_kind, sizeof out->objective_kind, "demand_scale");
    out->objective = out->demand_scale;
    served_scale(r, bound, out);
    out->demand_scale_bound = bound;
    out->bound = bound;
    out->gap = (bound - out->demand_scale) / out->demand_scale;
    if (out->gap < 0.0)
        out->gap = 0.0;
    snprintf(out->status, sizeof out->status, "%s", proven ? "optimal" : "feasible");
    st.solves += out->stats.solves;
    st.nodes += out->stats.nodes;
    st.configs = out->stats.configs;
    st.configs_raw = out->stats.configs_raw;
    st.seconds = js_now_s() - t0;
    st.cpu_seconds = js_cpu_s() - c0;
    out->stats = st;
    return 0;
}

int pl_max_demand_once(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d)
{
    return pl_glpk_guarded(max_demand_pass, s, r, out, d);
}
