/* The bound of the maximum-demand search by application (demand_by_app.c). */
#include <glpk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "by_app.h"
#include "milp.h"
#include "jigsaw/util.h"

/* Profile prices are integers: dual prices x BA_COST_SCALE, rounded. */
#define BA_COST_SCALE 840
/* Column generation: rounds per scale tested, the GPUs a round must add to the bound to
 * go on, mixes kept per application. */
#define BA_CG_ROUNDS 4
#define BA_CG_PROGRESS 0.25
#define BA_MAX_COLUMNS 48

/* ---- The bound: a Lagrangian relaxation of the GPUs, priced by column generation ----
 *
 * Any profile prices pi >= 0 under which every GPU layout costs at most one GPU
 * (sum_p pi_p count_l[p] <= 1) turn "the applications' instances fit N GPUs" into
 * "sum over applications of the cheapest plan's price <= N": each application's cheapest
 * price at scale x is a minimum-"slices" MILP with pi as its costs (the request's
 * profile_cost), and its proven bound is a valid lower bound. Compute slices / 7 is one
 * such pi; the best is found by column generation: a master LP over the layouts and,
 * per application, convex combinations of instance mixes seen so far (min GPUs), whose
 * profile-row duals are valid prices by LP duality; each application's cheapest plan
 * under them is a new mix. A scale is out of reach once the priced bounds exceed the
 * cluster, and cannot be shown so once the master fits it. */

typedef struct ba_column {
    double n[JS_MAX_MIG_PROFILES]; /* instances per profile */
    double scale;                  /* the scale the mix was planned at (scaled apps) */
} ba_column;

typedef struct ba_columns {
    int n[BA_MAX_PRICED_APPS];
    ba_column col[BA_MAX_PRICED_APPS][BA_MAX_COLUMNS];
} ba_columns;

static void column_of(const js_plan *p, int app, double scale, ba_column *c)
{
    memset(c, 0, sizeof *c);
    c->scale = scale;
    for (int g = 0; g < p->ngpus; g++)
        for (int k = 0; k < p->gpus[g].ninstances; k++)
            if (p->gpus[g].inst[k].app == app)
                c->n[p->gpus[g].inst[k].profile] += 1.0;
}

static void add_column(ba_columns *cs, int app, const ba_column *c)
{
    if (cs->n[app] < BA_MAX_COLUMNS)
        cs->col[app][cs->n[app]++] = *c;
}

/* The master LP at scale x: its value (fractional GPUs; INFINITY when infeasible) and
 * the prices: its profile rows' duals x BA_COST_SCALE, rounded, with *per_gpu the
 * dearest layout's price (the duals make it about BA_COST_SCALE). 0 ok, -1 no prices. */
static int master_prices(const ba_search *bs, const ba_columns *cs, double x, double *value,
                         int *cost, int *per_gpu)
{
    const js_gpu_type *g = &bs->c.s->cluster.gpu;
    int napps = bs->c.s->napps, np = g->nprofiles;
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_rows(lp, np + napps);
    for (int p = 0; p < np; p++)
        glp_set_row_bnds(lp, p + 1, GLP_LO, 0.0, 0.0);
    for (int i = 0; i < napps; i++)
        glp_set_row_bnds(lp, np + i + 1, GLP_FX, 1.0, 1.0);
    int ind[JS_MAX_MIG_PROFILES + 2];
    double val[JS_MAX_MIG_PROFILES + 2];
    for (int l = 0; l < bs->c.nlayouts; l++) {
        int n = 0;
        for (int p = 0; p < np; p++)
            if (bs->c.layouts[l].count[p] > 0) {
                ind[++n] = p + 1;
                val[n] = bs->c.layouts[l].count[p];
            }
        int col = glp_add_cols(lp, 1);
        glp_set_mat_col(lp, col, n, ind, val);
        glp_set_col_bnds(lp, col, GLP_LO, 0.0, 0.0);
        glp_set_obj_coef(lp, col, 1.0);
    }
    for (int i = 0; i < napps; i++)
        for (int j = 0; j < cs->n[i]; j++) {
            const ba_column *c = &cs->col[i][j];
            double f = bs->target < 0 || bs->target == i ? x / c->scale : 1.0;
            int n = 0;
            for (int p = 0; p < np; p++)
                if (c->n[p] > 0.0) {
                    ind[++n] = p + 1;
                    val[n] = -c->n[p] * f;
                }
            ind[++n] = np + i + 1;
            val[n] = 1.0;
            int col = glp_add_cols(lp, 1);
            glp_set_mat_col(lp, col, n, ind, val);
            glp_set_col_bnds(lp, col, GLP_LO, 0.0, 0.0);
        }
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = GLP_MSG_OFF;
    sp.presolve = GLP_ON;
    int ret = glp_simplex(lp, &sp);
    int rc = -1;
    *value = INFINITY;
    if (ret == 0 && glp_get_status(lp) == GLP_OPT) {
        *value = glp_get_obj_val(lp);
        for (int p = 0; p < np; p++) /* at least 1: a free profile would cut nothing */
            cost[p] = (int)fmax(1.0, round(fmax(0.0, glp_get_row_dual(lp, p + 1)) *
                                           BA_COST_SCALE));
        rc = 0;
    }
    glp_delete_prob(lp);
    /* Rounded prices: a GPU's capacity is its dearest layout under them. */
    *per_gpu = 0;
    for (int l = 0; rc == 0 && l < bs->c.nlayouts; l++) {
        long sum = 0;
        for (int p = 0; p < np; p++)
            sum += (long)cost[p] * bs->c.layouts[l].count[p];
        *per_gpu = sum > *per_gpu ? (int)sum : *per_gpu;
    }
    return *per_gpu > 0 ? rc : -1;
}

/* Every application's cheapest plan at its scale under `cost`: their proven bounds
 * summed, in GPUs (*lower), and their mixes added as columns. 1 when an application does
 * not fit alone, 0 otherwise, or an error code. */
static int priced_parts(ba_search *bs, ba_columns *cs, double x, const int *cost,
                        int per_gpu, js_plan *own, double *lower, js_diag *d)
{
    *lower = 0.0;
    bs->c.cost = cost;
    bs->c.cost_per_gpu = per_gpu;
    int rc = 0;
    for (int i = 0; rc == 0 && i < bs->c.s->napps; i++) {
        bool scaled = bs->target < 0 || bs->target == i;
        js_diag local;
        js_diag_init(&local);
        int prc = pl_ba_plan_part(&bs->c, i, scaled ? x : 1.0, &own[i], &local);
        if (prc == 0) {
            *lower += pl_ba_part_bound(&own[i]) / per_gpu;
            ba_column c;
            column_of(&own[i], i, scaled ? x : 1.0, &c);
            add_column(cs, i, &c);
        } else if (prc == JS_EXIT_INFEASIBLE) {
            rc = 1;
        } else if (prc == JS_EXIT_TIMELIMIT) {
            *lower = -INFINITY; /* nothing shown */
        } else {
            rc = js_diag_forward(d, &local);
        }
    }
    bs->c.cost = NULL;
    bs->c.cost_per_gpu = 0;
    return rc;
}

/* A test at scale x by prices: per round, the master's prices, every application's
 * cheapest plan under them; out of reach when their bounds exceed the cluster, a fit when
 * their union packs (the prices steer the parts to mixes that pack), open when the mixes
 * seen fit the master but not the cluster, or after BA_CG_ROUNDS rounds. */
static int priced_test(ba_search *bs, ba_columns *cs, double x, int *verdict, js_diag *d)
{
    int n = bs->c.s->napps;
    bs->tests++;
    *verdict = BA_OPEN;
    js_plan *own = calloc((size_t)n, sizeof *own);
    js_plan **pp = calloc((size_t)n, sizeof *pp);
    int rc = own && pp ? 0 : js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    double last_lower = -INFINITY;
    for (int round = 0; rc == 0 && round < BA_CG_ROUNDS; round++) {
        int cost[JS_MAX_MIG_PROFILES], per_gpu;
        double value, lower;
        if (master_prices(bs, cs, x, &value, cost, &per_gpu) != 0)
            break;
        for (int i = 0; i < n; i++)
            js_plan_free(&own[i]);
        int prc = priced_parts(bs, cs, x, cost, per_gpu, own, &lower, d);
        if (prc < 0 || prc > 1) {
            rc = prc;
            break;
        }
        if (prc == 1 || lower > bs->c.gpus + 1e-9) {
            *verdict = BA_OUT_OF_REACH;
            bs->hi_bound = fmin(bs->hi_bound, x);
            break;
        }
        bool all = isfinite(lower);
        for (int i = 0; i < n; i++) {
            pp[i] = &own[i];
            all = all && own[i].feasible;
        }
        js_plan merged;
        js_diag local;
        js_diag_init(&local);
        int mrc = all ? pl_ba_merge_parts(&bs->c, pp, &merged, &local) : 1;
        if (mrc == 0) {
            *verdict = BA_FITS;
            pl_ba_keep_fit(bs, x, &merged);
            break;
        }
        if (all)
            js_plan_free(&merged);
        if (mrc != 1) {
            rc = js_diag_forward(d, &local);
            break;
        }
        if (value <= bs->c.gpus + 1e-6 || !(lower > last_lower + BA_CG_PROGRESS))
            break; /* these prices cannot show more, or the rounds have stalled */
        last_lower = lower;
    }
    for (int i = 0; own && i < n; i++)
        js_plan_free(&own[i]);
    free(own);
    free(pp);
    return rc;
}

/* The search by prices after the one by slices (paper rule: the parts' bounds are the
 * exact MILP's; the safe rule's search proves none): fits between `lo` and the smallest
 * miss `hi` by bisection, then the bound: up from the largest scale left open in
 * doubling log steps until one is out of reach, then bisection. Columns start from the
 * best plan's mixes. */
int pl_ba_search_priced(ba_search *bs, double lo, double hi, js_diag *d)
{
    if (bs->c.r->rule != JS_RULE_PAPER || bs->c.s->napps > BA_MAX_PRICED_APPS)
        return 0;
    double deadline = pl_request_deadline(bs->c.r);
    ba_columns *cs = calloc(1, sizeof *cs);
    if (!cs)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    for (int i = 0; i < bs->c.s->napps; i++) {
        ba_column c;
        column_of(&bs->best, i, bs->best_scale, &c);
        add_column(cs, i, &c);
    }
    int rc = 0, v;
    double fit_hi = fmin(isfinite(hi) ? hi : lo * 1.05, bs->hi_bound), open = lo;
    if (fit_hi > lo * (1.0 + BA_DEMAND_GAP) && !pl_past_deadline(deadline)) { /* the miss itself first */
        rc = priced_test(bs, cs, fit_hi, &v, d);
        if (v == BA_FITS)
            lo = bs->best_scale, fit_hi = fmin(bs->hi_bound, lo * 1.05);
        else
            open = v == BA_OPEN ? fit_hi : open;
    }
    while (rc == 0 && fit_hi > lo * (1.0 + BA_DEMAND_GAP) && !pl_past_deadline(deadline) &&
           bs->tests < BA_MAX_TESTS) {
        double x = sqrt(lo * fit_hi);
        rc = priced_test(bs, cs, x, &v, d);
        if (v == BA_FITS) {
            lo = bs->best_scale;
        } else {
            fit_hi = x;
            open = v == BA_OPEN ? fmax(open, x) : open;
        }
    }
    open = fmax(open, lo);
    double step = 1.0 + BA_DEMAND_GAP;
    for (int k = 0; rc == 0 && k < BA_BOUND_PROBES && !pl_past_deadline(deadline) &&
                    bs->hi_bound > open * (1.0 + 0.5 * BA_DEMAND_GAP) && bs->tests < BA_MAX_TESTS;
         k++) {
        double x = open * step;
        step *= step;
        if (x >= bs->hi_bound)
            break;
        rc = priced_test(bs, cs, x, &v, d);
        if (v == BA_OUT_OF_REACH)
            break;
        open = fmax(x, bs->best_scale);
    }
    while (rc == 0 && isfinite(bs->hi_bound) && !pl_past_deadline(deadline) &&
           bs->hi_bound > open * (1.0 + 0.5 * BA_DEMAND_GAP) && bs->tests < BA_MAX_TESTS) {
        double x = sqrt(open * bs->hi_bound);
        rc = priced_test(bs, cs, x, &v, d);
        if (v != BA_OUT_OF_REACH)
            open = fmax(x, bs->best_scale);
    }
    free(cs);
    return rc;
}

