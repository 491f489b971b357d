/* The MILP's builder: columns and rows from the planning model (model.c), and the
 * knapsack lower bounds some rows carry. The solves live in milp_solve.c, the per-
 * combination rewriting of rows and bounds in milp_combos.c (types in milp.h).
 *
 * Variables per task t of each application:
 *   z[t,v]  binary, variant v chosen (sum_v z = 1)
 *   D[t]    continuous, items/s the task must serve
 *   W[t,v]  continuous = D[t] * z[t,v], only when t's out-edge fan-outs depend on its
 *           variant (exact linearisation: sum_v W = D, W <= Dmax z)
 *   n[c]    integer, instances of configuration c (sum_c thr_c n_c >= D[t])
 *   u[c]    binary, configuration c used (only when the latency rule may bind):
 *           n <= maxn u, u <= z[variant], L[t] >= stat_c u
 *   L[t]    the task's latency statistic; E[t] >= E[p] + L[t] on every edge and E <= the
 *           rule's bound: every source->sink path sum is within the rule
 * PAS floor: sum z log(acc) >= log(accuracy SLO). Packing: y[L] integer GPUs with
 * full-GPU layout L, sum y <= GPUs, per MIG profile sum_L y count(L,p) >= sum n of p.
 * CPU cores (only when the cluster states them; docs/host-model.md): sum over
 * configurations of workers_c n_c <= the cluster's cores, every worker process of the plan
 * holding a core for its host phases.
 *
 * Debug builds assert the builder's bookkeeping: every column and row it adds is
 * counted (lp_build.ncols/nrows) and must match GLPK's; a row's terms name existing
 * columns, at most one term per column; each task adds exactly the columns and rows
 * its shape (variants, fan-out, latency levels) calls for. */
#include <assert.h>
#include <glpk.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "milp.h"

static int add_col(lp_build *b, int kind, double lb, double ub)
{
    glp_prob *lp = b->lp;
    int j = glp_add_cols(lp, 1);
    assert(j == b->ncols + 1 && !isnan(lb) && !isnan(ub));
    b->ncols = j;
    glp_set_col_kind(lp, j, kind);
    if (kind == GLP_BV) {
        if (ub < 0.5)
            glp_set_col_bnds(lp, j, GLP_FX, 0.0, 0.0);
        return j;
    }
    if (ub <= lb)
        glp_set_col_bnds(lp, j, GLP_FX, lb, lb);
    else if (isinf(ub))
        glp_set_col_bnds(lp, j, GLP_LO, lb, 0.0);
    else
        glp_set_col_bnds(lp, j, GLP_DB, lb, ub);
    return j;
}

/* Rows are assembled term by term in b->ind/val. */
static int row_begin(lp_build *b)
{
    (void)b;
    return 0;
}

static int row_term(lp_build *b, int n, int col, double coef)
{
    /* A term names a column already added, with a finite coefficient. */
    assert(n >= 0 && n < b->ncols);
    assert(col >= 1 && col <= b->ncols && isfinite(coef));
    if (n + 2 > b->cap) {
        int cap = b->cap ? 2 * b->cap : 256;
        int *ind = realloc(b->ind, (size_t)cap * sizeof *ind);
        if (!ind)
            return -1;
        b->ind = ind;
        double *val = realloc(b->val, (size_t)cap * sizeof *val);
        if (!val)
            return -1;
        b->val = val;
        b->cap = cap;
    }
    b->ind[n + 1] = col;
    b->val[n + 1] = coef;
    return n + 1;
}

static int row_end(lp_build *b, int n, int type, double lb, double ub)
{
    /* At most one term per column (GLPK rejects duplicates), all in b->ind/val. */
    assert(n >= 0 && n <= b->ncols && (n == 0 || n < b->cap));
    int i = glp_add_rows(b->lp, 1);
    assert(i == b->nrows + 1);
    b->nrows = i;
    glp_set_row_bnds(b->lp, i, type, lb, ub);
    if (n > 0)
        glp_set_mat_row(b->lp, i, n, b->ind, b->val);
    return i;
}

#define TERM(col, coef)                                                                    \
    do {                                                                                   \
        n = row_term(b, n, (col), (coef));                                                 \
        if (n < 0)                                                                         \
            return -1;                                                                     \
    } while (0)

/* Fewest compute slices (the configurations' costs: planner.h profile_cost) whose
 * instances of one variant's configurations reach `demand` items/s: an unbounded
 * knapsack over the cost (exact). A large range is solved in units of q = the range /
 * PL_KNAPSACK_MAX, each cost rounded down to whole units: q times that optimum is still
 * a lower bound, and what is unreachable there is unreachable at full resolution.
 * Returns 0 when out of range or a cost rounds to nothing (no cut). */
#define PL_KNAPSACK_MAX 20000
#define PL_KNAPSACK_STEPS 16
int pl_knapsack_min_slices(const pl_task *pt, int variant, double stat_cap, double demand,
                           int max_slices)
{
    if (!(demand > 0.0) || max_slices <= 0)
        return 0; /* no cut */
    /* Units: at least 1/PL_KNAPSACK_STEPS of the variant's cheapest configuration (a fine enough
     * bound at a fraction of the work when costs are prices), and the range within
     * PL_KNAPSACK_MAX units. */
    int cheapest = INT_MAX; /* over the variant's configurations at any statistic, so
                               that a higher cap never gives a higher bound */
    for (int c = 0; c < pt->ncfg; c++)
        if (pt->cfg[c].variant == variant && pt->cfg[c].cost < cheapest)
            cheapest = pt->cfg[c].cost;
    if (cheapest == INT_MAX)
        cheapest = 1;
    int q = cheapest / PL_KNAPSACK_STEPS > 1 ? cheapest / PL_KNAPSACK_STEPS : 1;
    if (max_slices / q > PL_KNAPSACK_MAX)
        q = (max_slices + PL_KNAPSACK_MAX - 1) / PL_KNAPSACK_MAX;
    int range = max_slices / q;
    for (int c = 0; c < pt->ncfg; c++)
        if (pt->cfg[c].variant == variant && pt->cfg[c].stat <= stat_cap && pt->cfg[c].cost / q < 1)
            return 0;
    double *best = calloc((size_t)range + 1, sizeof *best);
    if (!best)
        return 0;
    int res = 0;
    for (int s = 1; s <= range && res == 0; s++) {
        best[s] = best[s - 1];
        for (int c = 0; c < pt->ncfg; c++) {
            const pl_cfg *cf = &pt->cfg[c];
            int w = cf->cost / q;
            if (cf->variant == variant && cf->stat <= stat_cap && w <= s &&
                best[s - w] + cf->thr > best[s])
                best[s] = best[s - w] + cf->thr;
        }
        if (best[s] >= demand * (1.0 - 1e-9))
            res = s;
    }
    free(best);
    return res == 0 ? max_slices + 1 : res * q;
}

/* A valid lower bound on the task's slices over its configurations with statistic
 * <= stat_cap: the cheapest variant's knapsack optimum at the smallest demand the task
 * can receive. 0: no bound (out of range); max_slices + 1: unreachable. */
static int task_slices_bound(const pl_model *m, const pl_app *pa, int t, double stat_cap)
{
    const pl_task *pt = &pa->t[t];
    double dem = pa->rate * m->scale * pt->items_min;
    int max_slices = m->gpus * m->cost_per_gpu;
    int lb = -1;
    for (int v = 0; v < pa->a->tasks[t].nvariants; v++) {
        if (!pt->allowed[v])
            continue;
        int k = pl_knapsack_min_slices(pt, v, stat_cap, dem, max_slices);
        if (k == 0)
            return 0;
        if (lb < 0 || k < lb)
            lb = k;
    }
    return lb < 0 ? 0 : lb;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The task's latency statistic L as a monotone staircase over its distinct
 * configuration statistics lev_1 < ... < lev_K: binary b_k = "L >= lev_k" with
 * b_k >= b_{k+1}, L >= sum_k (lev_k - lev_{k-1}) b_k, and instances of configurations
 * with statistic >= lev_k only when b_k = 1 (their capacity <= cap * b_k). */
static int build_levels(const pl_model *m, pl_app *pa, int t, lp_build *b, double cap,
                        bool max_demand)
{
    pl_task *pt = &pa->t[t];
    double *lev = malloc(((size_t)pt->ncfg + 1) * sizeof *lev);
    int *col = malloc(((size_t)pt->ncfg + 1) * sizeof *col);
    if (!lev || !col) {
        free(lev);
        free(col);
        return -1;
    }
    int nl = 0, n;
    for (int c = 0; c < pt->ncfg; c++)
        lev[nl++] = pt->cfg[c].stat;
    qsort(lev, (size_t)nl, sizeof *lev, cmp_double);
    int k = 0;
    for (int i = 0; i < nl; i++)
        if (k == 0 || lev[i] != lev[k - 1])
            lev[k++] = lev[i];
    nl = k;
    for (int i = 1; i < nl; i++)
        assert(lev[i - 1] < lev[i]); /* the staircase's steps are positive */
    int rc = 0;
    for (int i = 0; i < nl; i++)
        col[i] = add_col(b, GLP_BV, 0.0, 1.0);
    for (int i = 0; i + 1 < nl && rc == 0; i++) {
        n = row_begin(b);
        if ((n = row_term(b, n, col[i + 1], 1.0)) < 0 || (n = row_term(b, n, col[i], -1.0)) < 0)
            rc = -1;
        else
            row_end(b, n, GLP_UP, 0.0, 0.0);
    }
    n = row_begin(b);
    if (rc == 0 && (n = row_term(b, n, pt->col_l, 1.0)) < 0)
        rc = -1;
    for (int i = 0; i < nl && rc == 0; i++)
        if ((n = row_term(b, n, col[i], -(lev[i] - (i ? lev[i - 1] : 0.0)))) < 0)
            rc = -1;
    if (rc == 0)
        row_end(b, n, GLP_LO, 0.0, 0.0);
    for (int i = 0; i < nl && rc == 0; i++) {
        n = row_begin(b);
        for (int c = 0; c < pt->ncfg && n >= 0; c++)
            if (pt->cfg[c].stat >= lev[i])
                n = row_term(b, n, pt->cfg[c].col_n, pt->cfg[c].thr);
        if (n < 0 || (n = row_term(b, n, col[i], -cap)) < 0)
            rc = -1;
        else
            row_end(b, n, GLP_UP, 0.0, 0.0);
    }
    /* Slices of the task >= LB(top level): LB_1 - sum_{k>=2} (LB_{k-1} - LB_k) b_k. */
    int *lb = max_demand || rc ? NULL : malloc(((size_t)nl + 1) * sizeof *lb);
    bool ok = lb != NULL && !b->per_combo;
    for (int i = 0; i < nl && ok; i++) {
        lb[i] = task_slices_bound(m, pa, t, lev[i]);
        ok = lb[i] > 0;
    }
    if (!ok && lb && rc == 0) { /* an empty row, rewritten per variant combination */
        for (int i = 0; i < nl; i++)
            lb[i] = 0;
        ok = true;
    }
    if (ok) {
        n = row_begin(b);
        for (int c = 0; c < pt->ncfg && n >= 0; c++)
            n = row_term(b, n, pt->cfg[c].col_n, (double)pt->cfg[c].cost);
        for (int i = 1; i < nl && n >= 0; i++) {
            assert(lb[i] <= lb[i - 1]); /* a higher level allows more configurations */
            if (lb[i - 1] != lb[i])
                n = row_term(b, n, col[i], (double)(lb[i - 1] - lb[i]));
        }
        if (n < 0)
            rc = -1;
        else
            pt->row_lb = row_end(b, n, GLP_LO, (double)lb[0], 0.0);
    }
    free(lb);
    free(pt->lev);
    free(pt->col_lev);
    pt->lev = lev;
    pt->col_lev = col;
    pt->nlev = nl;
    return rc;
}

#ifndef NDEBUG
/* Did build_task_cols add exactly the columns and rows the task's shape calls for? */
static bool task_shape_ok(const pl_task *pt, bool max_demand, int cols, int rows)
{
    int na = pt->nallowed, nl = pt->nlev;
    int want_cols = na + 1 + (pt->var_fanout ? na : 0) + pt->ncfg + (pt->need_u ? 2 + nl : 0);
    int want_rows = 1                              /* one variant */
                    + (pt->var_fanout ? 1 + na : 0) /* W linearisation */
                    + (na > 1 ? na : 0)             /* capacity per variant */
                    + (pt->need_u ? (nl > 0 ? nl - 1 : 0) + 1 + nl + (pt->row_lb != 0) : 0)
                    + 1                             /* demand covered */
                    + (!max_demand && !pt->need_u); /* knapsack row */
    return nl <= pt->ncfg && cols == want_cols && rows == want_rows;
}
#endif

static int build_task_cols(const pl_model *m, lp_build *b, pl_app *pa, int t, bool max_demand)
{
    const js_app *a = pa->a;
    pl_task *pt = &pa->t[t];
    glp_prob *lp = b->lp;
    int n;
    const int cols0 = b->ncols, rows0 = b->nrows; /* for the shape check at the end */
    double dmax = pl_task_demand_max(m, pa, t);
    for (int v = 0; v < a->tasks[t].nvariants; v++) {
        pt->col_z[v] = 0;
        pt->col_w[v] = 0;
        if (!pt->allowed[v])
            continue;
        pt->col_z[v] = add_col(b, GLP_BV, 0.0, 1.0);
        if (pt->nallowed == 1)
            glp_set_col_bnds(lp, pt->col_z[v], GLP_FX, 1.0, 1.0);
    }
    n = row_begin(b);
    for (int v = 0; v < a->tasks[t].nvariants; v++)
        if (pt->col_z[v])
            TERM(pt->col_z[v], 1.0);
    row_end(b, n, GLP_FX, 1.0, 1.0);
    pt->col_d = add_col(b, GLP_CV, 0.0, dmax);
    if (pt->var_fanout) {
        n = row_begin(b);
        for (int v = 0; v < a->tasks[t].nvariants; v++) {
            if (!pt->col_z[v])
                continue;
            pt->col_w[v] = add_col(b, GLP_CV, 0.0, dmax);
            TERM(pt->col_w[v], 1.0);
        }
        TERM(pt->col_d, -1.0);
        row_end(b, n, GLP_FX, 0.0, 0.0);
        for (int v = 0; v < a->tasks[t].nvariants; v++) {
            if (!pt->col_w[v])
                continue;
            n = row_begin(b);
            TERM(pt->col_w[v], 1.0);
            TERM(pt->col_z[v], -dmax);
            row_end(b, n, GLP_UP, 0.0, 0.0);
        }
    }
    pt->row_lb = 0;
    pt->nlev = 0;
    pt->col_l = pt->need_u ? add_col(b, GLP_CV, 0.0, pt->budget_ms) : 0;
    pt->col_e = pt->need_u ? add_col(b, GLP_CV, 0.0, pa->bound_ms) : 0;
    double thrmax = 0.0;
    for (int c = 0; c < pt->ncfg; c++) {
        pl_cfg *cf = &pt->cfg[c];
        cf->col_n = add_col(b, GLP_IV, 0.0, (double)cf->maxn);
        cf->col_u = 0;
        thrmax = fmax(thrmax, cf->thr);
    }
    /* In a plan with no redundant instance (every optimum of every stage), the capacity
     * of any subset of a task's instances is below demand + one instance. */
    double cap = dmax + thrmax;
    if (pt->nallowed > 1)
        for (int v = 0; v < a->tasks[t].nvariants; v++) {
            if (!pt->col_z[v])
                continue;
            n = row_begin(b);
            for (int c = 0; c < pt->ncfg; c++)
                if (pt->cfg[c].variant == v)
                    TERM(pt->cfg[c].col_n, pt->cfg[c].thr);
            TERM(pt->col_z[v], -cap);
            row_end(b, n, GLP_UP, 0.0, 0.0);
        }
    if (pt->need_u && build_levels(m, pa, t, b, cap, max_demand) != 0)
        return -1;
    n = row_begin(b);
    for (int c = 0; c < pt->ncfg; c++)
        TERM(pt->cfg[c].col_n, pt->cfg[c].thr);
    TERM(pt->col_d, -1.0);
    row_end(b, n, GLP_LO, 0.0, 0.0);
    int cut = max_demand || pt->need_u || b->per_combo ? 0 : task_slices_bound(m, pa, t, INFINITY);
    if (!max_demand && !pt->need_u) { /* rewritten per variant combination */
        n = row_begin(b);
        for (int c = 0; c < pt->ncfg; c++)
            TERM(pt->cfg[c].col_n, (double)pt->cfg[c].cost);
        pt->row_lb = row_end(b, n, GLP_LO, (double)(cut > 0 ? cut : 0), 0.0);
    }
    assert(task_shape_ok(pt, max_demand, b->ncols - cols0, b->nrows - rows0));
    (void)cols0;
    (void)rows0;
    return 0;
}

/* Demand flow, latency paths and the PAS floor of one application. */
static int build_app_rows(const pl_model *m, lp_build *b, pl_app *pa, bool max_demand)
{
    const js_app *a = pa->a;
    int n;
    for (int t = 0; t < a->ntasks; t++) {
        pl_task *pt = &pa->t[t];
        if (pl_is_source(a, t)) {
            if (max_demand) {
                n = row_begin(b);
                TERM(pt->col_d, 1.0);
                TERM(b->col_lambda, -pa->rate);
                row_end(b, n, GLP_FX, 0.0, 0.0);
            } else {
                double dem = pa->rate * m->scale;
                glp_set_col_bnds(b->lp, pt->col_d, GLP_FX, dem, dem);
            }
            continue;
        }
        n = row_begin(b);
        TERM(pt->col_d, 1.0);
        for (int e = 0; e < a->nedges; e++) {
            if (a->edges[e].to != t)
                continue;
            int p = a->edges[e].from;
            const pl_task *pp = &pa->t[p];
            if (pp->var_fanout) {
                for (int v = 0; v < a->tasks[p].nvariants; v++)
                    if (pp->col_w[v])
                        TERM(pp->col_w[v], -js_edge_fanout(&a->edges[e], v));
            } else {
                int v0 = 0;
                while (v0 < a->tasks[p].nvariants - 1 && !pp->allowed[v0])
                    v0++;
                TERM(pp->col_d, -js_edge_fanout(&a->edges[e], v0));
            }
        }
        row_end(b, n, GLP_FX, 0.0, 0.0);
    }
    if (pa->latency_active)
        for (int t = 0; t < a->ntasks; t++) {
            pl_task *pt = &pa->t[t];
            n = row_begin(b);
            TERM(pt->col_e, 1.0);
            TERM(pt->col_l, -1.0);
            row_end(b, n, GLP_LO, 0.0, 0.0);
            for (int e = 0; e < a->nedges; e++) {
                if (a->edges[e].to != t)
                    continue;
                n = row_begin(b);
                TERM(pt->col_e, 1.0);
                TERM(pa->t[a->edges[e].from].col_e, -1.0);
                TERM(pt->col_l, -1.0);
                row_end(b, n, GLP_LO, 0.0, 0.0);
            }
        }
    if (pa->pas_active && (m->feat & JS_FEAT_T)) {
        n = row_begin(b);
        for (int t = 0; t < a->ntasks; t++)
            for (int v = 0; v < a->tasks[t].nvariants; v++)
                if (pa->t[t].col_z[v] && pa->t[t].logacc[v] != 0.0)
                    TERM(pa->t[t].col_z[v], pa->t[t].logacc[v]);
        row_end(b, n, GLP_LO, pa->log_floor - PL_LOG_EPS, 0.0);
    }
    return 0;
}

static int build_global_rows(const pl_model *m, lp_build *b)
{
    int n;
    b->col_y0 = 0;
    for (int l = 0; l < m->nlayouts; l++) {
        int j = add_col(b, GLP_IV, 0.0, (double)m->gpus);
        if (l == 0)
            b->col_y0 = j;
    }
    /* Layout l is column col_y0 + l (pl_lp_read_solution, the GPU objective). */
    assert(m->nlayouts == 0 || b->col_y0 + m->nlayouts - 1 == b->ncols);
    n = row_begin(b);
    for (int l = 0; l < m->nlayouts; l++)
        TERM(b->col_y0 + l, 1.0);
    b->row_gpus = row_end(b, n, GLP_UP, 0.0, (double)m->gpus);
    for (int p = 0; p < m->g->nprofiles; p++) {
        n = row_begin(b);
        for (int l = 0; l < m->nlayouts; l++)
            if (m->layouts[l].count[p])
                TERM(b->col_y0 + l, (double)m->layouts[l].count[p]);
        int terms = 0;
        for (int i = 0; i < m->napps; i++)
            for (int t = 0; t < m->apps[i].a->ntasks; t++)
                for (int c = 0; c < m->apps[i].t[t].ncfg; c++)
                    if (m->apps[i].t[t].cfg[c].prof == p) {
                        TERM(m->apps[i].t[t].cfg[c].col_n, -1.0);
                        terms++;
                    }
        if (terms)
            row_end(b, n, GLP_LO, 0.0, 0.0);
    }
    long cores = js_cluster_cpu_cores(&m->s->cluster, m->gpus);
    if (cores > 0) {
        /* Every worker process may be in its host phase at once: with no more processes
         * than cores none waits for one, so the configurations' throughputs hold. */
        n = row_begin(b);
        for (int i = 0; i < m->napps; i++)
            for (int t = 0; t < m->apps[i].a->ntasks; t++)
                for (int c = 0; c < m->apps[i].t[t].ncfg; c++)
                    TERM(m->apps[i].t[t].cfg[c].col_n, (double)m->apps[i].t[t].cfg[c].workers);
        row_end(b, n, GLP_UP, 0.0, (double)cores);
    }
    n = row_begin(b);
    for (int i = 0; i < m->napps; i++)
        for (int t = 0; t < m->apps[i].a->ntasks; t++)
            for (int c = 0; c < m->apps[i].t[t].ncfg; c++)
                TERM(m->apps[i].t[t].cfg[c].col_n, (double)m->apps[i].t[t].cfg[c].cost);
    b->row_slices = row_end(b, n, GLP_FR, 0.0, 0.0);
    n = row_begin(b);
    for (int i = 0; i < m->napps; i++) {
        const pl_app *pa = &m->apps[i];
        for (int t = 0; t < pa->a->ntasks; t++)
            for (int v = 0; v < pa->a->tasks[t].nvariants; v++)
                if (pa->t[t].col_z[v] && pa->t[t].logacc[v] != 0.0)
                    TERM(pa->t[t].col_z[v], pa->t[t].logacc[v]);
    }
    b->row_logpas = row_end(b, n, GLP_FR, 0.0, 0.0);
    return 0;
}

int pl_lp_build(pl_model *m, lp_build *b, bool max_demand)
{
    b->lp = glp_create_prob();
    b->nrows = b->ncols = 0;
    b->col_lambda = 0;
    if (max_demand)
        b->col_lambda = add_col(b, GLP_CV, 0.0, m->scale);
    for (int i = 0; i < m->napps; i++)
        for (int t = 0; t < m->apps[i].a->ntasks; t++)
            if (build_task_cols(m, b, &m->apps[i], t, max_demand) != 0)
                return -1;
    for (int i = 0; i < m->napps; i++)
        if (build_app_rows(m, b, &m->apps[i], max_demand) != 0)
            return -1;
    if (build_global_rows(m, b) != 0)
        return -1;
    /* GLPK holds exactly what the builder counted; the two objective rows come last. */
    assert(glp_get_num_rows(b->lp) == b->nrows && glp_get_num_cols(b->lp) == b->ncols);
    assert(b->row_slices == b->nrows - 1 && b->row_logpas == b->nrows);
    assert(b->row_gpus > 0 && b->row_gpus < b->row_slices);
    return 0;
}

void pl_lp_free(lp_build *b)
{
    if (b->lp)
        glp_delete_prob(b->lp);
    free(b->ind);
    free(b->val);
    memset(b, 0, sizeof *b);
}

int pl_lp_add_keep_columns(lp_build *b, const pl_model *m, const int *keep)
{
    int first = -1;
    for (int l = 0; l < m->nlayouts; l++) {
        int k = add_col(b, GLP_CV, 0.0, keep[l]);
        if (first < 0)
            first = k;
        int n = row_begin(b);
        TERM(k, 1.0);
        TERM(b->col_y0 + l, -1.0);
        row_end(b, n, GLP_UP, 0.0, 0.0);
    }
    return first;
}
