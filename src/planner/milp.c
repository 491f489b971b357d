/* The exact MILP (GLPK): minimum slices with lexicographic tie-breaks, and maximum
 * common demand scale.
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
 * full-GPU layout L, sum y <= GPUs, per MIG profile sum_L y count(L,p) >= sum n of p. */
#include <float.h>
#include <limits.h>
#include <glpk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define PL_DEMAND_GAP 0.0049 /* relative; the report promises 0.5 % */
/* CPU cap on one feasibility test of the demand search once any scale of a window settles
 * it: a scale that hard to decide is left open and another one tried
 * (see max_demand_by_combos). */
#define PL_FEAS_CAP_S 1.0
/* The plan shown at the maximum demand: fewest slices with the winning combination to
 * within this relative gap (the scale, not the slices, is what max-demand optimises;
 * proving the last slice near a full cluster can take long). */
#define PL_FINAL_GAP 0.01
/* ... and past this much CPU time per solve, the first plan found. */
#define PL_FINAL_SOFT_S 1.0

typedef struct lp_build {
    glp_prob *lp;
    int row_slices, row_logpas, row_gpus;
    int col_lambda;
    int col_y0;       /* first layout column */
    int *ind;
    double *val;
    int cap;
    bool stop_at_first; /* feasibility test: stop at the first integer solution */
    double cpu_limit;   /* > 0: stop once this process's CPU time passes it */
    double soft_cpu_s;  /* > 0: after this much CPU time, stop at the first plan found */
    bool per_combo;     /* rows are rewritten per combination: skip the joint bounds */
    double mip_gap;     /* per-combination solves: relative gap (0 = prove optimality) */
} lp_build;

typedef struct solve_info {
    int ret;          /* glp_intopt return */
    int status;       /* glp_mip_status */
    double obj, bound;
    int nodes;
    double seconds;
} solve_info;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int add_col(glp_prob *lp, int kind, double lb, double ub)
{
    int j = glp_add_cols(lp, 1);
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
    int i = glp_add_rows(b->lp, 1);
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

/* Fewest compute slices whose instances of one variant's configurations reach `demand`
 * items/s: an unbounded knapsack over slices (exact). Returns 0 when out of range. */
static int knapsack_min_slices(const pl_task *pt, int variant, double stat_cap, double demand,
                               int max_slices)
{
    if (!(demand > 0.0) || max_slices <= 0 || max_slices > 20000)
        return 0; /* no cut */
    double *best = calloc((size_t)max_slices + 1, sizeof *best);
    if (!best)
        return 0;
    int res = 0;
    for (int s = 1; s <= max_slices && res == 0; s++) {
        best[s] = best[s - 1];
        for (int c = 0; c < pt->ncfg; c++) {
            const pl_cfg *cf = &pt->cfg[c];
            if (cf->variant == variant && cf->stat <= stat_cap && cf->slices <= s &&
                best[s - cf->slices] + cf->thr > best[s])
                best[s] = best[s - cf->slices] + cf->thr;
        }
        if (best[s] >= demand * (1.0 - 1e-9))
            res = s;
    }
    free(best);
    return res == 0 ? max_slices + 1 : res;
}

/* A valid lower bound on the task's slices over its configurations with statistic
 * <= stat_cap: the cheapest variant's knapsack optimum at the smallest demand the task
 * can receive. 0: no bound (out of range); max_slices + 1: unreachable. */
static int task_slices_bound(const pl_model *m, const pl_app *pa, int t, double stat_cap)
{
    const pl_task *pt = &pa->t[t];
    double dem = pa->rate * m->scale * pt->items_min;
    int max_slices = m->gpus * m->g->compute_slices;
    int lb = -1;
    for (int v = 0; v < pa->a->tasks[t].nvariants; v++) {
        if (!pt->allowed[v])
            continue;
        int k = knapsack_min_slices(pt, v, stat_cap, dem, max_slices);
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
    int rc = 0;
    for (int i = 0; i < nl; i++)
        col[i] = add_col(b->lp, GLP_BV, 0.0, 1.0);
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
            n = row_term(b, n, pt->cfg[c].col_n, (double)pt->cfg[c].slices);
        for (int i = 1; i < nl && n >= 0; i++)
            if (lb[i - 1] != lb[i])
                n = row_term(b, n, col[i], (double)(lb[i - 1] - lb[i]));
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

static int build_task_cols(const pl_model *m, lp_build *b, pl_app *pa, int t, bool max_demand)
{
    const js_app *a = pa->a;
    pl_task *pt = &pa->t[t];
    glp_prob *lp = b->lp;
    int n;
    double dmax = pl_task_demand_max(m, pa, t);
    for (int v = 0; v < a->tasks[t].nvariants; v++) {
        pt->col_z[v] = 0;
        pt->col_w[v] = 0;
        if (!pt->allowed[v])
            continue;
        pt->col_z[v] = add_col(lp, GLP_BV, 0.0, 1.0);
        if (pt->nallowed == 1)
            glp_set_col_bnds(lp, pt->col_z[v], GLP_FX, 1.0, 1.0);
    }
    n = row_begin(b);
    for (int v = 0; v < a->tasks[t].nvariants; v++)
        if (pt->col_z[v])
            TERM(pt->col_z[v], 1.0);
    row_end(b, n, GLP_FX, 1.0, 1.0);
    pt->col_d = add_col(lp, GLP_CV, 0.0, dmax);
    if (pt->var_fanout) {
        n = row_begin(b);
        for (int v = 0; v < a->tasks[t].nvariants; v++) {
            if (!pt->col_z[v])
                continue;
            pt->col_w[v] = add_col(lp, GLP_CV, 0.0, dmax);
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
    pt->col_l = pt->need_u ? add_col(lp, GLP_CV, 0.0, pt->budget_ms) : 0;
    pt->col_e = pt->need_u ? add_col(lp, GLP_CV, 0.0, pa->bound_ms) : 0;
    double thrmax = 0.0;
    for (int c = 0; c < pt->ncfg; c++) {
        pl_cfg *cf = &pt->cfg[c];
        cf->col_n = add_col(lp, GLP_IV, 0.0, (double)cf->maxn);
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
            TERM(pt->cfg[c].col_n, (double)pt->cfg[c].slices);
        pt->row_lb = row_end(b, n, GLP_LO, (double)(cut > 0 ? cut : 0), 0.0);
    }
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
        int j = add_col(b->lp, GLP_IV, 0.0, (double)m->gpus);
        if (l == 0)
            b->col_y0 = j;
    }
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
    n = row_begin(b);
    for (int i = 0; i < m->napps; i++)
        for (int t = 0; t < m->apps[i].a->ntasks; t++)
            for (int c = 0; c < m->apps[i].t[t].ncfg; c++)
                TERM(m->apps[i].t[t].cfg[c].col_n, (double)m->apps[i].t[t].cfg[c].slices);
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

static int build_lp(pl_model *m, lp_build *b, bool max_demand)
{
    b->lp = glp_create_prob();
    b->col_lambda = 0;
    if (max_demand)
        b->col_lambda = add_col(b->lp, GLP_CV, 0.0, m->scale);
    for (int i = 0; i < m->napps; i++)
        for (int t = 0; t < m->apps[i].a->ntasks; t++)
            if (build_task_cols(m, b, &m->apps[i], t, max_demand) != 0)
                return -1;
    for (int i = 0; i < m->napps; i++)
        if (build_app_rows(m, b, &m->apps[i], max_demand) != 0)
            return -1;
    return build_global_rows(m, b);
}

static void free_lp(lp_build *b)
{
    if (b->lp)
        glp_delete_prob(b->lp);
    free(b->ind);
    free(b->val);
    memset(b, 0, sizeof *b);
}

typedef struct cb_data {
    int nodes;
    double bound;
    bool have_bound;
    const double *x0;   /* known feasible solution (1-based), offered once */
    bool offered;
    bool stop_at_first;
    double cpu_limit;
    double soft_limit;
} cb_data;

static void ios_callback(glp_tree *tree, void *info)
{
    cb_data *cb = info;
    int a_cnt, n_cnt, t_cnt;
    glp_ios_tree_size(tree, &a_cnt, &n_cnt, &t_cnt);
    cb->nodes = t_cnt;
    if (glp_ios_reason(tree) == GLP_IBINGO && cb->stop_at_first)
        glp_ios_terminate(tree);
    if (cb->cpu_limit > 0.0 && cpu_s() > cb->cpu_limit)
        glp_ios_terminate(tree);
    if (cb->soft_limit > 0.0 && cpu_s() > cb->soft_limit && glp_ios_mip_gap(tree) < DBL_MAX)
        glp_ios_terminate(tree); /* good enough: a plan exists and time is up */
    if (glp_ios_reason(tree) == GLP_IHEUR && cb->x0 && !cb->offered) {
        cb->offered = true;
        glp_ios_heur_sol(tree, cb->x0);
    }
    int best = glp_ios_best_node(tree);
    if (best > 0) {
        cb->bound = glp_ios_node_bound(tree, best);
        cb->have_bound = true;
    }
}

/* One MILP solve with the objective already set. deadline: absolute time or 0. */
/* Column values of the incumbent (1-based), integer columns rounded: a warm start for
 * the next stage, which it satisfies by construction. */
static double *incumbent(glp_prob *lp)
{
    int nc = glp_get_num_cols(lp);
    double *x = malloc(((size_t)nc + 1) * sizeof *x);
    if (!x)
        return NULL;
    x[0] = 0.0;
    for (int j = 1; j <= nc; j++) {
        x[j] = glp_mip_col_val(lp, j);
        if (glp_get_col_kind(lp, j) != GLP_CV)
            x[j] = round(x[j]);
    }
    return x;
}

/* One MILP solve with the objective already set. deadline: absolute time or 0. x0: a
 * feasible solution to start from (then GLPK's presolver is off: the incumbent is
 * offered in the original columns), or NULL. */
static void solve_from(lp_build *b, const js_plan_request *r, double deadline, double mip_gap,
                       const double *x0, solve_info *si)
{
    glp_iocp parm;
    cb_data cb = {0, 0.0, false, x0, false, b->stop_at_first, b->cpu_limit,
                  b->soft_cpu_s > 0.0 ? cpu_s() + b->soft_cpu_s : 0.0};
    glp_init_iocp(&parm);
    parm.presolve = GLP_ON;
    parm.msg_lev = r->verbose ? GLP_MSG_ON : GLP_MSG_OFF;
    parm.gmi_cuts = GLP_ON;
    parm.mir_cuts = GLP_ON;
    parm.cov_cuts = GLP_ON;
    /* Measured on the paper's applications (per-combination MILPs): Driebeck-Tomlin
     * branching and no clique cuts solve them fastest. */
    parm.clq_cuts = GLP_OFF;
    parm.br_tech = GLP_BR_DTH;
    parm.bt_tech = GLP_BT_BLB;
    parm.mip_gap = mip_gap;
    parm.cb_func = ios_callback;
    parm.cb_info = &cb;
    double t0 = now_s();
    if (deadline > 0.0) {
        double left = deadline - t0;
        parm.tm_lim = left > 0.001 ? (int)(left * 1000.0) : 1;
    }
    /* GLPK's clique-cut code prints even at GLP_MSG_OFF: silence the terminal. */
    int old_term = glp_term_out(r->verbose ? GLP_ON : GLP_OFF);
    si->ret = 0;
    if (x0) {
        glp_smcp sp;
        glp_init_smcp(&sp);
        sp.msg_lev = parm.msg_lev;
        sp.presolve = GLP_OFF;
        if (parm.tm_lim < INT_MAX)
            sp.tm_lim = parm.tm_lim;
        parm.presolve = GLP_OFF;
        si->ret = glp_simplex(b->lp, &sp);
        if (si->ret == 0 && glp_get_status(b->lp) != GLP_OPT)
            si->ret = GLP_ENOPFS;
    }
    if (si->ret == 0)
        si->ret = glp_intopt(b->lp, &parm);
    glp_term_out(old_term);
    si->seconds = now_s() - t0;
    si->status = si->ret == GLP_ENOPFS || (x0 && si->ret != 0 && si->ret != GLP_ETMLIM)
                     ? GLP_UNDEF
                     : glp_mip_status(b->lp);
    si->obj = glp_mip_obj_val(b->lp);
    si->nodes = cb.nodes;
    if (si->status == GLP_OPT && si->ret == 0)
        si->bound = si->obj;
    else
        si->bound = cb.have_bound ? cb.bound : NAN;
}

static void solve(lp_build *b, const js_plan_request *r, double deadline, double mip_gap,
                  solve_info *si)
{
    solve_from(b, r, deadline, mip_gap, NULL, si);
}

static void set_objective(lp_build *b, int dir, const int *cols, const double *coefs, int n)
{
    glp_prob *lp = b->lp;
    int nc = glp_get_num_cols(lp);
    for (int j = 1; j <= nc; j++)
        glp_set_obj_coef(lp, j, 0.0);
    for (int k = 0; k < n; k++)
        glp_set_obj_coef(lp, cols[k], coefs[k]);
    glp_set_obj_dir(lp, dir);
}

/* Objective from a row's coefficients (slices, log PAS or GPUs). */
static int objective_from_row(lp_build *b, int row, int dir)
{
    int len = glp_get_mat_row(b->lp, row, NULL, NULL);
    int *ind = malloc(((size_t)len + 1) * sizeof *ind);
    double *val = malloc(((size_t)len + 1) * sizeof *val);
    if (!ind || !val) {
        free(ind);
        free(val);
        return -1;
    }
    glp_get_mat_row(b->lp, row, ind, val);
    set_objective(b, dir, ind + 1, val + 1, len);
    free(ind);
    free(val);
    return 0;
}

/* Column j's value in the solution: the stored vector x, or GLPK's incumbent (x NULL). */
static double sol_val(const lp_build *b, const double *x, int j)
{
    return x ? x[j] : glp_mip_col_val(b->lp, j);
}

/* Read a solution (x, or the incumbent when x is NULL) into the model (nsol, vsol) and y. */
static void read_solution(pl_model *m, lp_build *b, const double *x, int *y)
{
    for (int i = 0; i < m->napps; i++) {
        pl_app *pa = &m->apps[i];
        for (int t = 0; t < pa->a->ntasks; t++) {
            pl_task *pt = &pa->t[t];
            double best = -1.0;
            pt->vsol = -1;
            for (int v = 0; v < pa->a->tasks[t].nvariants; v++)
                if (pt->col_z[v] && sol_val(b, x, pt->col_z[v]) > best) {
                    best = sol_val(b, x, pt->col_z[v]);
                    pt->vsol = v;
                }
            for (int c = 0; c < pt->ncfg; c++)
                pt->cfg[c].nsol = (int)lround(sol_val(b, x, pt->cfg[c].col_n));
        }
    }
    for (int l = 0; l < m->nlayouts; l++)
        y[l] = (int)lround(sol_val(b, x, b->col_y0 + l));
}

static const char *status_word(const solve_info *si)
{
    if (si->status == GLP_OPT && si->ret == 0)
        return "optimal";
    if (si->status == GLP_FEAS || si->status == GLP_OPT)
        return "feasible";
    if (si->status == GLP_NOFEAS || si->ret == GLP_ENOPFS)
        return "infeasible";
    if (si->ret == GLP_ETMLIM)
        return "time-limit";
    return "undefined";
}

static bool has_solution(const solve_info *si)
{
    return si->status == GLP_OPT || si->status == GLP_FEAS;
}

/* Fill the plan from the model's solution (variants, segments, budgets, placement). */
static int fill_plan(pl_model *m, const int *y, js_plan *p, js_diag *d)
{
    p->napps = m->napps;
    p->apps = calloc((size_t)m->napps + 1, sizeof *p->apps);
    if (!p->apps)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    for (int i = 0; i < m->napps; i++) {
        pl_app *pa = &m->apps[i];
        const js_app *a = pa->a;
        js_app_plan *ap = &p->apps[i];
        int var[JS_MAX_TASKS];
        double items[JS_MAX_TASKS];
        ap->app = i;
        ap->rate = pa->rate * m->scale;
        ap->ntasks = a->ntasks;
        double logpas = 0.0;
        for (int t = 0; t < a->ntasks; t++) {
            var[t] = m->apps[i].t[t].vsol;
            logpas += pa->t[t].logacc[var[t]];
        }
        ap->pas = exp(logpas);
        js_dag_items_per_request(a, var, items);
        for (int t = 0; t < a->ntasks; t++) {
            pl_task *pt = &pa->t[t];
            js_task_plan *tp = &ap->tasks[t];
            tp->task = t;
            tp->variant = var[t];
            tp->demand = ap->rate * items[t];
            tp->latency_budget_ms = 0.0;
            tp->nsegments = 0;
            for (int c = 0; c < pt->ncfg; c++) {
                const pl_cfg *cf = &pt->cfg[c];
                if (cf->nsol <= 0)
                    continue;
                if (cf->variant != var[t] || tp->nsegments >= JS_MAX_SEGMENT_KINDS)
                    return js_diag_set(d, JS_EXIT_INTERNAL,
                                       "solution uses an inconsistent configuration");
                js_segment *sg = &tp->segments[tp->nsegments++];
                sg->mig = cf->slices;
                sg->workers = cf->workers;
                sg->batch = cf->batch;
                sg->count = cf->nsol;
                sg->throughput = cf->thr_profiled;
                sg->lat_mean_ms = cf->lat_mean;
                sg->lat_p95_ms = cf->lat_p95;
                if (cf->stat > tp->latency_budget_ms)
                    tp->latency_budget_ms = cf->stat;
            }
        }
        js_path paths[JS_MAX_PATHS];
        int np = js_dag_paths(a, paths, JS_MAX_PATHS);
        ap->npaths = np < 0 ? 0 : np;
        for (int k = 0; k < ap->npaths; k++) {
            double sum = 0.0;
            for (int j = 0; j < paths[k].len; j++)
                sum += ap->tasks[paths[k].tasks[j]].latency_budget_ms;
            ap->path_latency_ms[k] = sum;
        }
    }
    return pl_place(m, y, p, d);
}

static bool pas_can_vary(const pl_model *m)
{
    for (int i = 0; i < m->napps; i++)
        for (int t = 0; t < m->apps[i].a->ntasks; t++) {
            const pl_task *pt = &m->apps[i].t[t];
            double first = NAN;
            for (int v = 0; v < m->apps[i].a->tasks[t].nvariants; v++) {
                if (!pt->allowed[v])
                    continue;
                if (isnan(first))
                    first = pt->logacc[v];
                else if (pt->logacc[v] != first)
                    return true;
            }
        }
    return false;
}

static void note_stage(js_plan *p, const solve_info *si, int stage)
{
    (void)stage;
    p->stats.solves++;
    p->stats.nodes += si->nodes;
}

static void model_stats(const pl_model *m, const lp_build *b, js_plan *p)
{
    p->stats.rows = glp_get_num_rows(b->lp);
    p->stats.cols = glp_get_num_cols(b->lp);
    p->stats.int_cols = glp_get_num_int(b->lp);
    p->stats.configs = p->stats.configs_raw = 0;
    for (int i = 0; i < m->napps; i++)
        for (int t = 0; t < m->apps[i].a->ntasks; t++) {
            p->stats.configs += m->apps[i].t[t].ncfg;
            p->stats.configs_raw += m->apps[i].t[t].ncfg_raw;
        }
}

static int sum_ints(const int *v, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s;
}

/* Exact number of GPUs the demand needs with an unbounded cluster (for the message). */
static int gpus_needed(const js_scenario *s, const js_plan_request *r, double scale,
                       int big, int *needed)
{
    js_plan_request r2 = *r;
    r2.gpus = big;
    pl_model m;
    lp_build b;
    js_diag d;
    int rc = -1;
    memset(&b, 0, sizeof b);
    js_diag_init(&d);
    if (pl_model_build(&m, s, &r2, scale, &d) == 0 && build_lp(&m, &b, false) == 0 &&
        objective_from_row(&b, b.row_gpus, GLP_MIN) == 0) {
        solve_info si;
        js_plan_request r3 = r2;
        r3.verbose = 0;
        solve(&b, &r3, now_s() + 20.0, 0.0, &si);
        if (has_solution(&si)) {
            *needed = (int)lround(si.obj);
            rc = si.status == GLP_OPT && si.ret == 0 ? 0 : 1;
        }
    }
    free_lp(&b);
    pl_model_free(&m);
    return rc;
}

static int capacity_reason(const pl_model *m, const js_scenario *s, const js_plan_request *r,
                           js_diag *d)
{
    double lb_slices = pl_slices_lower_bound(m);
    int per_gpu = m->g->compute_slices;
    int lb_gpus = (int)ceil(lb_slices / per_gpu - 1e-9);
    if (lb_gpus > m->gpus)
        return js_diag_set(d, JS_EXIT_INFEASIBLE,
                           "demand needs at least %d GPUs (%.0f compute slices at the best "
                           "throughput per slice any allowed configuration offers), cluster has %d",
                           lb_gpus, lb_slices, m->gpus);
    int big = 0;
    for (int i = 0; i < m->napps; i++)
        for (int t = 0; t < m->apps[i].a->ntasks; t++) {
            int worst = 0;
            const pl_task *pt = &m->apps[i].t[t];
            for (int c = 0; c < pt->ncfg; c++) {
                double need = ceil(pl_task_demand_max(m, &m->apps[i], t) / pt->cfg[c].thr);
                if (need > worst)
                    worst = need > 1e6 ? 1000000 : (int)need;
            }
            big += worst;
        }
    if (big < m->gpus + 1)
        big = m->gpus + 1;
    if (big > 100000)
        big = 100000;
    int needed = 0;
    int rc = gpus_needed(s, r, m->scale, big, &needed);
    if (rc >= 0 && needed > m->gpus)
        return js_diag_set(d, JS_EXIT_INFEASIBLE, "demand needs %s%d GPUs, cluster has %d",
                           rc == 0 ? "" : "about ", needed, m->gpus);
    return js_diag_set(d, JS_EXIT_INFEASIBLE,
                       "no plan fits the cluster of %d GPUs at this demand", m->gpus);
}

static void plan_header(js_plan *p, const pl_model *m, const js_plan_request *r)
{
    snprintf(p->system, sizeof p->system, "%s", js_system_name(r->features));
    snprintf(p->objective_kind, sizeof p->objective_kind, "slices");
    p->demand_scale = m->scale;
    p->gpus_total = m->gpus;
    p->demand_scale_bound = NAN;
}

/* Stages 2 and 3: higher PAS, then fewer GPUs, each with the earlier objectives fixed. */
/* GPUs the placement of the current solution occupies (layouts the solver left empty
 * are not counted). */
static int gpus_after_placement(const pl_model *m, const int *y)
{
    js_plan tmp;
    js_diag d;
    js_plan_init(&tmp);
    js_diag_init(&d);
    int used = pl_place(m, y, &tmp, &d) == 0 ? tmp.gpus_used : sum_ints(y, m->nlayouts);
    js_plan_free(&tmp);
    return used;
}

static void tie_breaks(pl_model *m, lp_build *b, const js_plan_request *r, double deadline,
                       double slices, int *y, js_plan *out)
{
    solve_info si;
    glp_set_row_bnds(b->lp, b->row_slices, GLP_UP, 0.0, slices + 0.5);
    double *x0 = incumbent(b->lp);
    if (!x0)
        return;
    if (pas_can_vary(m)) {
        objective_from_row(b, b->row_logpas, GLP_MAX);
        solve_from(b, r, deadline, 0.0, x0, &si);
        note_stage(out, &si, 2);
        if (!has_solution(&si)) {
            free(x0);
            return; /* the stage-1 plan stands */
        }
        read_solution(m, b, NULL, y);
        glp_set_row_bnds(b->lp, b->row_logpas, GLP_LO, si.obj - PL_LOG_EPS, 0.0);
        free(x0);
        if (!(x0 = incumbent(b->lp)))
            return;
    }
    int lb = (int)ceil(slices / m->g->compute_slices - 1e-9);
    if (gpus_after_placement(m, y) > lb) {
        objective_from_row(b, b->row_gpus, GLP_MIN);
        solve_from(b, r, deadline, 0.0, x0, &si);
        note_stage(out, &si, 3);
        if (has_solution(&si))
            read_solution(m, b, NULL, y);
    }
    free(x0);
}

/* ---- Solving variant combination by combination (see combos.c) ---- */

#define PL_MAX_COMBOS 4096

/* Fix the variables of one combination: z to 0/1 and the instance counts of the other
 * variants' configurations to 0. var == NULL restores the joint problem. */
static void apply_combo(const pl_model *m, lp_build *b, const int *var)
{
    int off = 0;
    for (int i = 0; i < m->napps; i++) {
        const pl_app *pa = &m->apps[i];
        for (int t = 0; t < pa->a->ntasks; t++) {
            const pl_task *pt = &pa->t[t];
            int pick = var ? var[off + t] : -1;
            for (int v = 0; v < pa->a->tasks[t].nvariants; v++) {
                if (!pt->col_z[v])
                    continue;
                if (var)
                    glp_set_col_bnds(b->lp, pt->col_z[v], GLP_FX, v == pick, v == pick);
                else if (pt->nallowed == 1)
                    glp_set_col_bnds(b->lp, pt->col_z[v], GLP_FX, 1.0, 1.0);
                else
                    glp_set_col_bnds(b->lp, pt->col_z[v], GLP_DB, 0.0, 1.0);
            }
            for (int c = 0; c < pt->ncfg; c++) {
                const pl_cfg *cf = &pt->cfg[c];
                if ((var && cf->variant != pick) || cf->maxn <= 0)
                    glp_set_col_bnds(b->lp, cf->col_n, GLP_FX, 0.0, 0.0);
                else
                    glp_set_col_bnds(b->lp, cf->col_n, GLP_DB, 0.0, (double)cf->maxn);
            }
        }
        off += pa->a->ntasks;
    }
}

/* Min-slices only, after apply_combo: with the variants fixed, each task's demand is
 * exact, so rewrite its knapsack row (fewest slices reaching that demand, per latency
 * level) and bound each count by the instances that demand can use (a plan with no
 * redundant instance, which every minimum-slices plan is, never has more). */
static int combo_cuts(const pl_model *m, lp_build *b, const int *var)
{
    int off = 0;
    int max_slices = m->gpus * m->g->compute_slices;
    for (int i = 0; i < m->napps; i++) {
        const pl_app *pa = &m->apps[i];
        double items[JS_MAX_TASKS];
        js_dag_items_per_request(pa->a, var + off, items);
        for (int t = 0; t < pa->a->ntasks; t++) {
            const pl_task *pt = &pa->t[t];
            int v = var[off + t];
            double dem = pa->rate * m->scale * items[t];
            for (int c = 0; c < pt->ncfg; c++) {
                const pl_cfg *cf = &pt->cfg[c];
                if (cf->variant != v || cf->maxn <= 0)
                    continue;
                double need = dem > 0.0 ? ceil(dem / cf->thr * (1.0 - 1e-12)) : 0.0;
                double ub = fmin((double)cf->maxn, need);
                glp_set_col_bnds(b->lp, cf->col_n, ub > 0.0 ? GLP_DB : GLP_FX, 0.0, ub);
            }
            if (!pt->row_lb)
                continue;
            int len = 0;
            int *ind = malloc(((size_t)pt->ncfg + (size_t)pt->nlev + 2) * sizeof *ind);
            double *val = malloc(((size_t)pt->ncfg + (size_t)pt->nlev + 2) * sizeof *val);
            if (!ind || !val) {
                free(ind);
                free(val);
                return -1;
            }
            for (int c = 0; c < pt->ncfg; c++) {
                ind[++len] = pt->cfg[c].col_n;
                val[len] = (double)pt->cfg[c].slices;
            }
            double rhs;
            if (pt->nlev > 0) {
                int prev = knapsack_min_slices(pt, v, pt->lev[0], dem, max_slices);
                rhs = prev;
                for (int k = 1; k < pt->nlev; k++) {
                    int cur = knapsack_min_slices(pt, v, pt->lev[k], dem, max_slices);
                    if (cur != prev) {
                        ind[++len] = pt->col_lev[k];
                        val[len] = (double)(prev - cur);
                    }
                    prev = cur;
                }
            } else {
                rhs = knapsack_min_slices(pt, v, INFINITY, dem, max_slices);
            }
            glp_set_mat_row(b->lp, pt->row_lb, len, ind, val);
            glp_set_row_bnds(b->lp, pt->row_lb, GLP_LO, rhs, 0.0);
            free(ind);
            free(val);
        }
        off += pa->a->ntasks;
    }
    return 0;
}

/* Min-slices lower bound of a combination: the sum over tasks of the fewest slices
 * reaching the task's exact demand (packing and latency ignored). NAN: cannot fit. */
static double knapsack_bound(const pl_model *m, const int *var)
{
    int off = 0;
    int max_slices = m->gpus * m->g->compute_slices;
    double sum = 0.0;
    for (int i = 0; i < m->napps; i++) {
        const pl_app *pa = &m->apps[i];
        double items[JS_MAX_TASKS];
        js_dag_items_per_request(pa->a, var + off, items);
        for (int t = 0; t < pa->a->ntasks; t++) {
            double dem = pa->rate * m->scale * items[t];
            sum += knapsack_min_slices(&pa->t[t], var[off + t], INFINITY, dem, max_slices);
        }
        off += pa->a->ntasks;
    }
    return sum > max_slices ? NAN : sum;
}

/* LP relaxation value with the current objective: NAN when the LP is infeasible. */
static double lp_relaxation(lp_build *b, const js_plan_request *r)
{
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = r->verbose ? GLP_MSG_ON : GLP_MSG_OFF;
    sp.presolve = GLP_OFF;
    sp.meth = GLP_DUALP;
    int old_term = glp_term_out(r->verbose ? GLP_ON : GLP_OFF);
    int ret = glp_simplex(b->lp, &sp);
    if (ret != 0) { /* rewritten rows can make the warm basis singular: start afresh */
        glp_adv_basis(b->lp, 0);
        ret = glp_simplex(b->lp, &sp);
    }
    if (ret == 0 && glp_get_status(b->lp) == GLP_NOFEAS) {
        glp_term_out(old_term);
        return NAN;
    }
    glp_term_out(old_term);
    if (ret == GLP_ENOPFS || ret == GLP_ENODFS)
        return NAN;
    if (ret != 0 || glp_get_status(b->lp) != GLP_OPT) {
        /* Solver trouble: no bound, never pruned. */
        return glp_get_obj_dir(b->lp) == GLP_MIN ? -INFINITY : INFINITY;
    }
    return glp_get_obj_val(b->lp);
}

typedef struct combo_key {
    int idx;
    double bound;   /* LP bound (min: rounded up; max: as is) */
    double logpas;
} combo_key;

static int cmp_key_min(const void *x, const void *y)
{
    const combo_key *a = x, *b = y;
    if (a->bound != b->bound)
        return a->bound < b->bound ? -1 : 1;
    if (a->logpas != b->logpas)
        return a->logpas > b->logpas ? -1 : 1;
    return a->idx - b->idx;
}

static int cmp_key_max(const void *x, const void *y)
{
    const combo_key *a = x, *b = y;
    if (a->bound != b->bound)
        return a->bound > b->bound ? -1 : 1;
    if (a->logpas != b->logpas)
        return a->logpas > b->logpas ? -1 : 1;
    return a->idx - b->idx;
}

/* LP bounds of every combination with the current objective; infeasible ones dropped.
 * Returns the number kept in keys (sorted best bound first), -1 out of memory. */
static int combo_bounds(const pl_model *m, lp_build *b, const pl_combos *cb,
                        const js_plan_request *r, bool minimise, combo_key **keys_out)
{
    combo_key *keys = calloc((size_t)cb->n + 1, sizeof *keys);
    if (!keys)
        return -1;
    int nk = 0;
    for (int k = 0; k < cb->n; k++) {
        const int *var = cb->var + (size_t)k * (size_t)cb->width;
        double v;
        if (minimise) {
            v = knapsack_bound(m, var);
        } else {
            apply_combo(m, b, var);
            v = lp_relaxation(b, r);
        }
        if (isnan(v))
            continue;
        keys[nk].idx = k;
        keys[nk].bound = minimise && isfinite(v) ? ceil(v - 1e-6) : v;
        keys[nk].logpas = cb->logpas[k];
        nk++;
    }
    qsort(keys, (size_t)nk, sizeof *keys, minimise ? cmp_key_min : cmp_key_max);
    *keys_out = keys;
    return nk;
}

static bool past(double deadline)
{
    return deadline > 0.0 && now_s() >= deadline;
}

typedef struct combo_best {
    double slices;     /* INFINITY: none yet */
    double logpas;
    int gpus;          /* GPUs its placement occupies */
    int idx;           /* combination (index into the pl_combos) */
    double *x;         /* its solution, 1-based column values */
    double bound;      /* proven lower bound on the optimum slices */
    bool complete;     /* every combination resolved */
} combo_best;

/* Objective (GPUs + 1) x slices + GPUs: with the variants (so PAS) fixed, minimum slices
 * and then fewest GPUs in one solve, with integer coefficients (GLPK rounds bounds). */
static int set_lexicographic_objective(const pl_model *m, lp_build *b)
{
    if (objective_from_row(b, b->row_slices, GLP_MIN) != 0)
        return -1;
    double w = (double)m->gpus + 1.0;
    int nc = glp_get_num_cols(b->lp);
    for (int j = 1; j <= nc; j++) {
        double c = glp_get_obj_coef(b->lp, j);
        if (c != 0.0)
            glp_set_obj_coef(b->lp, j, c * w);
    }
    for (int l = 0; l < m->nlayouts; l++)
        glp_set_obj_coef(b->lp, b->col_y0 + l, 1.0);
    return 0;
}

/* Minimum slices, then highest PAS, then fewest GPUs, over all combinations, best
 * lower bound first; a combination is skipped only when its bound proves it cannot
 * beat the incumbent in that order. */
static int combos_min_slices(pl_model *m, lp_build *b, const pl_combos *cb,
                             const js_plan_request *r, double deadline, int *y, js_plan *out,
                             combo_best *best)
{
    combo_key *keys = NULL;
    best->slices = INFINITY;
    best->logpas = -INFINITY;
    best->gpus = INT_MAX;
    best->idx = -1;
    best->x = NULL;
    best->bound = INFINITY;
    best->complete = true;
    if (set_lexicographic_objective(m, b) != 0)
        return -1;
    glp_set_row_bnds(b->lp, b->row_slices, GLP_FR, 0.0, 0.0);
    int nk = combo_bounds(m, b, cb, r, true, &keys);
    if (nk < 0)
        return -1;
    int rc = 0;
    for (int q = 0; q < nk && rc == 0; q++) {
        const combo_key *ck = &keys[q];
        if (ck->bound > best->slices)
            break;
        bool better_pas = ck->logpas > best->logpas + PL_LOG_EPS;
        bool same_pas = !better_pas && ck->logpas >= best->logpas - PL_LOG_EPS;
        if (ck->bound == best->slices && !better_pas && !same_pas)
            continue;
        if (past(deadline)) {
            best->complete = false;
            best->bound = fmin(best->bound, ck->bound);
            continue;
        }
        const int *var = cb->var + (size_t)ck->idx * (size_t)cb->width;
        apply_combo(m, b, var);
        if (combo_cuts(m, b, var) != 0) {
            rc = -1;
            break;
        }
        if (isfinite(best->slices))
            glp_set_row_bnds(b->lp, b->row_slices, GLP_UP, 0.0,
                             better_pas || same_pas ? best->slices + 0.5 : best->slices - 0.5);
        solve_info si;
        solve(b, r, deadline, b->mip_gap, &si);
        note_stage(out, &si, 1);
        bool proven = si.status == GLP_OPT && si.ret == 0;
        if (!proven && si.status != GLP_NOFEAS && si.ret != GLP_ENOPFS) {
            double w = (double)m->gpus + 1.0;
            double sb = isnan(si.bound) ? ck->bound : floor((si.bound + 1e-6) / w);
            best->complete = false;
            best->bound = fmin(best->bound, fmax(ck->bound, sb));
        }
        if (!has_solution(&si))
            continue;
        double slices = round(glp_mip_row_val(b->lp, b->row_slices));
        double *x = incumbent(b->lp);
        if (!x) {
            rc = -1;
            break;
        }
        read_solution(m, b, x, y);
        int gpus = gpus_after_placement(m, y);
        bool better = slices < best->slices ||
                      (slices == best->slices && (better_pas || (same_pas && gpus < best->gpus)));
        if (better) {
            free(best->x);
            best->x = x;
            best->slices = slices;
            best->logpas = ck->logpas;
            best->gpus = gpus;
            best->idx = ck->idx;
        } else {
            free(x);
        }
    }
    best->bound = fmin(best->bound, best->slices);
    glp_set_row_bnds(b->lp, b->row_slices, GLP_FR, 0.0, 0.0);
    if (best->x)
        read_solution(m, b, best->x, y);
    free(keys);
    return rc;
}

/* Min-slices by combinations. Returns 0 with a solution in the model and y, 1 when no
 * combination has a plan (status set in out), -1 out of memory. */
static int min_slices_by_combos(pl_model *m, lp_build *b, const pl_combos *cb,
                                const js_plan_request *r, double deadline, int *y, js_plan *out)
{
    combo_best best;
    if (combos_min_slices(m, b, cb, r, deadline, y, out, &best) != 0) {
        free(best.x);
        return -1;
    }
    if (!best.x) {
        snprintf(out->status, sizeof out->status, "%s",
                 best.complete ? "infeasible" : "time-limit");
        return 1;
    }
    out->objective = best.slices;
    out->bound = best.bound;
    out->gap = best.slices > 0 ? (best.slices - best.bound) / best.slices : 0.0;
    snprintf(out->status, sizeof out->status, "%s", best.complete ? "optimal" : "feasible");
    if (best.complete)
        out->gap = 0.0, out->bound = best.slices;
    free(best.x);
    return 0;
}

/* Keep only the combination equal to `only` (width ints); none kept if it is absent. */
static void restrict_combos(pl_combos *cb, const int *only)
{
    int k = 0;
    for (int q = 0; q < cb->n; q++)
        if (memcmp(cb->var + (size_t)q * (size_t)cb->width, only,
                   (size_t)cb->width * sizeof *only) == 0) {
            memmove(cb->var + (size_t)k * (size_t)cb->width, cb->var + (size_t)q * (size_t)cb->width,
                    (size_t)cb->width * sizeof *only);
            cb->logpas[k++] = cb->logpas[q];
        }
    cb->n = k;
}

/* Min-slices planning; only != NULL: over that one variant combination. */
static int min_slices_impl(const js_scenario *s, const js_plan_request *r, js_plan *out,
                           js_diag *d, const int *only, double mip_gap)
{
    double t0 = now_s(), c0 = cpu_s();
    double deadline = r->time_limit_s > 0.0 ? t0 + r->time_limit_s : 0.0;
    pl_model m;
    lp_build b;
    solve_info si;
    int *y = NULL;
    memset(&b, 0, sizeof b);
    js_plan_init(out);
    double scale = r->demand_scale >= 0.0 ? r->demand_scale : 1.0;
    int rc = pl_model_build(&m, s, r, scale, d);
    if (rc == 0)
        plan_header(out, &m, r);
    if (rc == 0)
        rc = pl_diagnose_slos(&m, d);
    pl_combos cmb = {0};
    int crc = 1;
    if (rc == 0) {
        crc = pl_combos_enumerate(&m, PL_MAX_COMBOS, &cmb);
        if (crc < 0)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        if (crc == 0 && only)
            restrict_combos(&cmb, only);
        b.per_combo = crc == 0;
        b.mip_gap = mip_gap;
        b.soft_cpu_s = mip_gap > 0.0 ? PL_FINAL_SOFT_S : 0.0;
    }
    if (rc == 0 && build_lp(&m, &b, false) != 0)
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory building the MILP");
    if (rc == 0 && !(y = calloc((size_t)m.nlayouts + 1, sizeof *y)))
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    if (rc == 0)
        model_stats(&m, &b, out);
    if (rc == 0 && crc == 0) {
        /* Combination by combination: smaller, tighter MILPs; exact (see combos.c). */
        int k = min_slices_by_combos(&m, &b, &cmb, r, deadline, y, out);
        if (k < 0) {
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        } else if (k == 1 && strcmp(out->status, "infeasible") == 0) {
            apply_combo(&m, &b, NULL);
            rc = capacity_reason(&m, s, r, d);
        } else if (k == 1) {
            rc = js_diag_set(d, JS_EXIT_INFEASIBLE,
                             "no plan found within the time limit of %g s", r->time_limit_s);
        } else {
            rc = fill_plan(&m, y, out, d);
            out->feasible = rc == 0;
        }
    }
    pl_combos_free(&cmb);
    if (rc == 0 && crc != 0) {
        objective_from_row(&b, b.row_slices, GLP_MIN);
        solve(&b, r, deadline, 0.0, &si);
        note_stage(out, &si, 1);
        snprintf(out->status, sizeof out->status, "%s", status_word(&si));
        if (!has_solution(&si)) {
            if (si.status == GLP_NOFEAS || si.ret == GLP_ENOPFS)
                rc = capacity_reason(&m, s, r, d);
            else
                rc = js_diag_set(d, JS_EXIT_INFEASIBLE,
                                 "no plan found within the time limit of %g s (solver status %d)",
                                 r->time_limit_s, si.ret);
        }
    }
    if (rc == 0 && crc != 0) {
        double slices = round(si.obj);
        out->objective = slices;
        out->bound = isnan(si.bound) ? NAN : ceil(si.bound - 1e-6);
        out->gap = slices > 0 ? (slices - out->bound) / slices : 0.0;
        if (strcmp(out->status, "optimal") == 0)
            out->gap = 0.0, out->bound = slices;
        read_solution(&m, &b, NULL, y);
        if (strcmp(out->status, "optimal") == 0)
            tie_breaks(&m, &b, r, deadline, slices, y, out);
        rc = fill_plan(&m, y, out, d);
        out->feasible = rc == 0;
    }
    if (rc != 0 && rc != JS_EXIT_INTERNAL && strcmp(out->status, "time-limit") != 0)
        snprintf(out->status, sizeof out->status, "infeasible");
    out->stats.seconds = now_s() - t0;
    out->stats.cpu_seconds = cpu_s() - c0;
    free(y);
    free_lp(&b);
    pl_model_free(&m);
    return rc;
}

int pl_min_slices_once(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d)
{
    return min_slices_impl(s, r, out, d, NULL, 0.0);
}

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
    objective_from_row(b, b->row_slices, GLP_MIN);
    for (int attempt = 0; attempt < 3 && !x0; attempt++, lam /= 16.0) {
        solve_info si;
        double sub = deadline > 0.0 ? fmin(deadline, now_s() + 0.25 * (deadline - now_s())) : 0.0;
        glp_set_col_bnds(b->lp, b->col_lambda, GLP_FX, lam, lam);
        solve(b, r, sub, 0.01, &si);
        if (has_solution(&si))
            x0 = incumbent(b->lp);
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
static int combo_feasible(pl_model *m, const int *var, double lam, const js_plan_request *r,
                          double deadline, double cpu_cap, long *nodes, int *solves)
{
    lp_build b2;
    memset(&b2, 0, sizeof b2);
    b2.cpu_limit = cpu_cap > 0.0 ? cpu_s() + cpu_cap : 0.0;
    pl_model_set_scale(m, lam);
    int rc = -1;
    b2.per_combo = true;
    if (build_lp(m, &b2, false) == 0 && objective_from_row(&b2, b2.row_slices, GLP_MIN) == 0) {
        apply_combo(m, &b2, var);
        if (combo_cuts(m, &b2, var) == 0) {
            solve_info si;
            b2.stop_at_first = true;
            solve(&b2, r, deadline, 0.0, &si);
            (*solves)++;
            *nodes += si.nodes;
            if (has_solution(&si))
                rc = 1;
            else if (si.status == GLP_NOFEAS || si.ret == GLP_ENOPFS)
                rc = 0;
            else
                rc = 2;
        }
    }
    free_lp(&b2);
    return rc;
}

/* Maximum demand by combinations, best upper bound first. Per combination the bound is
 * min(LP relaxation, knapsack bound); a geometric bisection of feasibility tests at
 * fixed scales finds its maximum to the relative gap PL_DEMAND_GAP; a combination is
 * skipped once its bound cannot beat the incumbent by more than the gap. Returns 0 with
 * *lambda > 0 (and *bound, *proven), 1 when none has a plan, -1 out of memory. */
static int max_demand_by_combos(pl_model *m, pl_model *m2, lp_build *b, const pl_combos *cb,
                                const js_plan_request *r, double deadline, double ub,
                                double *lambda, double *bound, bool *proven, long *nodes,
                                int *solves, int *win)
{
    const double g1 = 1.0 + PL_DEMAND_GAP;
    set_objective(b, GLP_MAX, &b->col_lambda, (const double[]){1.0}, 1);
    combo_key *keys = calloc((size_t)cb->n + 1, sizeof *keys);
    if (!keys)
        return -1;
    int nk = cb->n;
    for (int q = 0; q < nk; q++) {
        keys[q].idx = q;
        keys[q].logpas = cb->logpas[q];
        keys[q].bound = knapsack_scale_bound(m, cb->var + (size_t)q * (size_t)cb->width, ub);
    }
    qsort(keys, (size_t)nk, sizeof *keys, cmp_key_max);
    double best = 0.0, bnd = 0.0;
    bool complete = true;
    int rc = 0;
    for (int q = 0; q < nk && rc == 0; q++) {
        const int *var = cb->var + (size_t)keys[q].idx * (size_t)cb->width;
        double hi = keys[q].bound;
        if (!(hi > best * g1)) {
            bnd = fmax(bnd, fmin(hi, best * g1));
            break; /* sorted: no later one can beat the incumbent by more than the gap */
        }
        /* The LP relaxation (latency levels included) only when the combination is
         * about to be searched: it may prove it infeasible or bound it lower. */
        apply_combo(m, b, var);
        double lpb = lp_relaxation(b, r);
        if (isnan(lpb))
            continue;
        hi = fmin(hi, lpb);
        if (!(hi > best * g1)) {
            bnd = fmax(bnd, fmin(hi, best * g1));
            continue;
        }
        double lo = best, step = g1;
        bool unknown = false;
        int undecided = 0; /* tests in a row the time cap left open */
        while (hi > lo * g1 && rc == 0) {
            if (lo == 0.0 && step > 1e12) {
                hi = 0.0; /* no positive demand below 1e-12 of the bound fits either */
                break;
            }
            if (past(deadline)) {
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
            int f = combo_feasible(m2, var, t, r, deadline, window ? PL_FEAS_CAP_S : 0.0, nodes,
                                   solves);
            if (f < 0) {
                rc = -1;
            } else if (f == 1) {
                lo = t;
                undecided = 0;
            } else if (f == 0) {
                hi = t;
                undecided = 0;
            } else {
                undecided++;
            }
            step *= step; /* from the top down, doubling the log step until one fits */
        }
        if (unknown)
            complete = false;
        bnd = fmax(bnd, unknown ? hi : fmin(hi, lo * g1));
        if (lo > best) {
            best = lo;
            memcpy(win, var, (size_t)cb->width * sizeof *win);
        }
    }
    free(keys);
    apply_combo(m, b, NULL);
    if (rc < 0)
        return -1;
    if (!(best > 0.0))
        return 1;
    *lambda = best;
    *bound = fmax(best, bnd);
    *proven = complete;
    return 0;
}

int pl_max_demand_once(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d)
{
    double t0 = now_s(), c0 = cpu_s();
    double deadline = r->time_limit_s > 0.0 ? t0 + r->time_limit_s : 0.0;
    pl_model m;
    lp_build b;
    solve_info si = {0, GLP_UNDEF, 0.0, NAN, 0, 0.0};
    memset(&b, 0, sizeof b);
    js_plan_init(out);
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
        if (build_lp(&m, &b, true) != 0)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory building the MILP");
    }
    pl_combos cmb = {0};
    int crc = 1;
    int *win = NULL; /* the winning combination */
    bool have_win = false;
    double c_lambda = 0.0, c_bound = NAN;
    bool c_proven = false;
    long c_nodes = 0;
    int c_solves = 0;
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
        win = calloc((size_t)cmb.width + 1, sizeof *win);
        int k = win && pl_model_build(&m2, s, r, ub, &d2) == 0
                    ? max_demand_by_combos(&m, &m2, &b, &cmb, r, deadline, ub, &c_lambda,
                                           &c_bound, &c_proven, &c_nodes, &c_solves, win)
                    : -1;
        have_win = k == 0;
        pl_model_free(&m2);
        if (k < 0)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        else if (k == 1)
            rc = js_diag_set(d, JS_EXIT_INFEASIBLE, "no positive demand fits the cluster of %d GPUs",
                             m.gpus);
    }
    pl_combos_free(&cmb);
    double *x0 = NULL;
    if (rc == 0 && crc != 0)
        x0 = demand_start(&m, &b, r, ub, deadline);
    if (rc == 0 && crc != 0) {
        set_objective(&b, GLP_MAX, &b.col_lambda, (const double[]){1.0}, 1);
        solve_from(&b, r, deadline, PL_DEMAND_GAP, x0, &si);
        if (x0 && !has_solution(&si) && si.ret != GLP_ETMLIM) /* fall back: a cold start */
            solve(&b, r, deadline, PL_DEMAND_GAP, &si);
        free(x0);
        if (!has_solution(&si) || !(si.obj > 0.0))
            rc = js_diag_set(d, JS_EXIT_INFEASIBLE,
                             si.status == GLP_NOFEAS || has_solution(&si)
                                 ? "no positive demand fits the cluster of %d GPUs"
                                 : "maximum demand: no plan found within the time limit (%d GPUs)",
                             m.gpus);
    }
    js_plan_stats st = {0};
    if (rc == 0 && crc == 0) {
        si.obj = c_lambda;
        si.bound = c_bound;
        si.ret = c_proven ? 0 : GLP_ETMLIM;
        si.status = GLP_FEAS;
    }
    if (rc == 0) {
        st.solves = crc == 0 ? c_solves : 1;
        st.nodes = crc == 0 ? c_nodes : si.nodes;
        st.rows = glp_get_num_rows(b.lp);
        st.cols = glp_get_num_cols(b.lp);
        st.int_cols = glp_get_num_int(b.lp);
    }
    double lambda = rc == 0 ? si.obj : 0.0;
    double bound = rc == 0 ? (isnan(si.bound) ? ub : fmin(si.bound, ub)) : NAN;
    /* Stopped by the relative gap (GLP_FEAS) or optimal: proven within PL_DEMAND_GAP. */
    bool proven = rc == 0 && (si.ret == 0 || si.ret == GLP_EMIPGAP) && has_solution(&si);
    free_lp(&b);
    pl_model_free(&m);
    if (rc != 0) {
        free(win);
        snprintf(out->status, sizeof out->status, "infeasible");
        return rc;
    }
    if (proven)
        bound = fmax(lambda, fmin(bound, lambda * (1.0 + PL_DEMAND_GAP)));
    /* The plan at that scale: slightly inside it so solver tolerances cannot flip it. */
    js_plan_request r2 = *r;
    if (deadline > 0.0)
        r2.time_limit_s = fmax(0.5, deadline - now_s());
    for (int attempt = 0; attempt < 4; attempt++) {
        r2.demand_scale = lambda * (1.0 - 1e-9 * pow(100.0, attempt));
        js_diag d2;
        js_diag_init(&d2);
        js_plan_free(out);
        /* The plan: fewest slices at that scale with the winning combination. */
        rc = min_slices_impl(s, &r2, out, &d2, have_win ? win : NULL, PL_FINAL_GAP);
        if (rc != 0 && rc != JS_EXIT_INTERNAL && have_win) {
            /* Not expected (the combination was proven feasible): every combination. */
            js_plan_free(out);
            js_diag_init(&d2);
            rc = min_slices_impl(s, &r2, out, &d2, NULL, PL_FINAL_GAP);
        }
        if (rc == 0 || rc == JS_EXIT_INTERNAL || attempt == 3) {
            if (rc != 0)
                js_diag_set(d, rc, "%s", d2.msg);
            break;
        }
    }
    free(win);
    if (rc != 0)
        return rc;
    snprintf(out->objective_kind, sizeof out->objective_kind, "demand_scale");
    out->objective = out->demand_scale;
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
    st.seconds = now_s() - t0;
    st.cpu_seconds = cpu_s() - c0;
    out->stats = st;
    return 0;
}
