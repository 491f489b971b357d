/* One GLPK solve of the MILP (milp_build.c) and what is read back from it: the branch-
 * and-bound callback with its time caps and warm start, objectives set from the
 * builder's objective rows, the solution read into the model, the plan filled from it,
 * solver statistics. Shared by min_slices.c and max_demand.c through milp.h. */
#include <assert.h>
#include <float.h>
#include <glpk.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <time.h>

#include "milp.h"

/* ---- GLPK's fatal errors (planner_internal.h, pl_glpk_guarded) ---- */

static jmp_buf *glpk_jmp;  /* the armed guard's jump target, NULL when none is armed */
static bool glpk_dead;     /* a fatal error happened: GLPK's environment is gone */

static void on_glpk_error(void *info)
{
    (void)info;
    longjmp(*glpk_jmp, 1); /* returning would let GLPK abort() */
}

static int glpk_dead_error(js_diag *d)
{
    return js_diag_set(d, JS_EXIT_INTERNAL,
                       "the MILP solver (GLPK) stopped on a fatal error (out of memory, or an "
                       "internal error); it cannot be used again in this process");
}

int pl_glpk_guarded(pl_pass_fn pass, const js_scenario *s, const js_plan_request *r,
                    js_plan *out, js_diag *d)
{
    if (glpk_dead)
        return glpk_dead_error(d);
    if (glpk_jmp != NULL) /* an outer guard is armed: it catches */
        return pass(s, r, out, d);
    jmp_buf env;
    if (setjmp(env) != 0) {
        glpk_jmp = NULL;
        glpk_dead = true;
        glp_error_hook(NULL, NULL);
        glp_free_env();
        return glpk_dead_error(d);
    }
    glpk_jmp = &env;
    glp_error_hook(on_glpk_error, NULL);
    int rc = pass(s, r, out, d);
    glp_error_hook(NULL, NULL);
    glpk_jmp = NULL;
    return rc;
}

bool pl_past_deadline(double deadline)
{
    return deadline > 0.0 && js_now_s() >= deadline;
}

typedef struct cb_data {
    int nodes;
    double bound;
    bool have_bound;
    const double *x0;   /* known feasible solution (1-based), offered once */
    bool offered;
    bool stop_at_first;
    int node_limit;
    int soft_nodes;     /* > 0: nodes after which the best plan found stands */
    double deadline;    /* absolute wall time (js_now_s), 0 = none: GLPK checks tm_lim
                           only between nodes, the root's cut rounds can run long past it */
} cb_data;

static void ios_callback(glp_tree *tree, void *info)
{
    cb_data *cb = info;
    int a_cnt, n_cnt, t_cnt;
    glp_ios_tree_size(tree, &a_cnt, &n_cnt, &t_cnt);
    cb->nodes = t_cnt;
    if (glp_ios_reason(tree) == GLP_IBINGO && cb->stop_at_first)
        glp_ios_terminate(tree);
    if (cb->node_limit > 0 && t_cnt > cb->node_limit)
        glp_ios_terminate(tree);
    if (pl_past_deadline(cb->deadline))
        glp_ios_terminate(tree);
    if (cb->soft_nodes > 0) {
        if (t_cnt > cb->soft_nodes && glp_ios_mip_gap(tree) < DBL_MAX)
            glp_ios_terminate(tree); /* good enough: a plan exists and the effort is spent */
    }
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

/* Column values of the incumbent (1-based), integer columns rounded: a warm start for
 * the next stage, which it satisfies by construction. */
double *pl_lp_incumbent(glp_prob *lp)
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
void pl_lp_solve_from(lp_build *b, const js_plan_request *r, double deadline, double mip_gap,
                      const double *x0, solve_info *si)
{
    /* The LP is solved as built: per-combination changes rewrite bounds and rows, never
     * add or delete any (GLPK's cuts live in its search tree and go with it). */
    assert(glp_get_num_rows(b->lp) == b->nrows && glp_get_num_cols(b->lp) == b->ncols);
    glp_iocp parm;
    cb_data cb = {0, 0.0, false, x0, false, b->stop_at_first, b->node_limit, b->soft_nodes,
                  deadline};
    glp_init_iocp(&parm);
    parm.presolve = GLP_ON;
    parm.msg_lev = r->verbose ? GLP_MSG_ON : GLP_MSG_OFF;
    /* Cuts tighten bounds; a solve that only improves a plan (no_cuts) skips their root
     * rounds, which can cost seconds on their own. */
    parm.gmi_cuts = b->no_cuts ? GLP_OFF : GLP_ON;
    parm.mir_cuts = b->no_cuts ? GLP_OFF : GLP_ON;
    parm.cov_cuts = b->no_cuts ? GLP_OFF : GLP_ON;
    /* Measured on the paper's applications (per-combination MILPs): Driebeck-Tomlin
     * branching and no clique cuts solve them fastest. */
    parm.clq_cuts = GLP_OFF;
    parm.br_tech = GLP_BR_DTH;
    if (b->no_cuts) /* Driebeck-Tomlin evaluates tableau rows at every node: a search for
                       a better plan wants many cheap nodes */
        parm.br_tech = GLP_BR_MFV;
    parm.bt_tech = GLP_BT_BLB;
    parm.mip_gap = mip_gap;
    parm.cb_func = ios_callback;
    parm.cb_info = &cb;
    double t0 = js_now_s();
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
        if (deadline > 0.0) { /* the branch and bound gets what the simplex left */
            double left = deadline - js_now_s();
            parm.tm_lim = left > 0.001 ? (int)(left * 1000.0) : 1;
        }
    }
    if (si->ret == 0)
        si->ret = glp_intopt(b->lp, &parm);
    glp_term_out(old_term);
    si->seconds = js_now_s() - t0;
    si->status = si->ret == GLP_ENOPFS || (x0 && si->ret != 0 && si->ret != GLP_ETMLIM)
                     ? GLP_UNDEF
                     : glp_mip_status(b->lp);
    si->obj = glp_mip_obj_val(b->lp);
    si->nodes = cb.nodes;
    assert(glp_get_num_rows(b->lp) == b->nrows && glp_get_num_cols(b->lp) == b->ncols);
    if (si->status == GLP_OPT && si->ret == 0)
        si->bound = si->obj;
    else
        si->bound = cb.have_bound ? cb.bound : NAN;
}

void pl_lp_solve(lp_build *b, const js_plan_request *r, double deadline, double mip_gap,
                 solve_info *si)
{
    pl_lp_solve_from(b, r, deadline, mip_gap, NULL, si);
}

void pl_lp_set_objective(lp_build *b, int dir, const int *cols, const double *coefs, int n)
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
int pl_lp_objective_from_row(lp_build *b, int row, int dir)
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
    pl_lp_set_objective(b, dir, ind + 1, val + 1, len);
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
void pl_lp_read_solution(pl_model *m, lp_build *b, const double *x, int *y)
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

const char *pl_status_word(const solve_info *si)
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

bool pl_has_solution(const solve_info *si)
{
    return si->status == GLP_OPT || si->status == GLP_FEAS;
}

/* Fill the plan from the model's solution (variants, segments, budgets, placement). */
int pl_fill_plan(pl_model *m, const int *y, js_plan *p, js_diag *d)
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

void pl_note_stage(js_plan *p, const solve_info *si, int stage)
{
    (void)stage;
    p->stats.solves++;
    p->stats.nodes += si->nodes;
}

void pl_lp_stats(const pl_model *m, const lp_build *b, js_plan *p)
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

