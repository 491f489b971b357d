/* Solving variant combination by combination (why this is exact: combos.c): fixing one
 * combination in the joint MILP, the cuts its fixed demand allows, and each
 * combination's lower (min-slices) or upper (max-demand) bound, by which min_slices.c
 * and max_demand.c order and prune the combinations. */
#include <assert.h>
#include <glpk.h>
#include <math.h>
#include <stdlib.h>

#include "milp.h"

/* Fix the variables of one combination: z to 0/1 and the instance counts of the other
 * variants' configurations to 0. var == NULL restores the joint problem. */
void pl_apply_combo(const pl_model *m, lp_build *b, const int *var)
{
    int off = 0;
    for (int i = 0; i < m->napps; i++) {
        const pl_app *pa = &m->apps[i];
        for (int t = 0; t < pa->a->ntasks; t++) {
            const pl_task *pt = &pa->t[t];
            int pick = var ? var[off + t] : -1;
            assert(!var || (pick >= 0 && pick < pa->a->tasks[t].nvariants && pt->col_z[pick]));
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

/* Min-slices only, after pl_apply_combo: with the variants fixed, each task's demand is
 * exact, so rewrite its knapsack row (fewest slices reaching that demand, per latency
 * level) and bound each count by the instances that demand can use (a plan with no
 * redundant instance, which every minimum-slices plan is, never has more). */
int pl_combo_cuts(const pl_model *m, lp_build *b, const int *var)
{
    int off = 0;
    int max_slices = m->gpus * m->cost_per_gpu;
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
            assert(pt->row_lb <= b->nrows);
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
                val[len] = (double)pt->cfg[c].cost;
            }
            double rhs;
            if (pt->nlev > 0) {
                int prev = pl_knapsack_min_slices(pt, v, pt->lev[0], dem, max_slices);
                rhs = prev;
                for (int k = 1; k < pt->nlev; k++) {
                    int cur = pl_knapsack_min_slices(pt, v, pt->lev[k], dem, max_slices);
                    assert(cur <= prev); /* a higher level allows more configurations */
                    if (cur != prev) {
                        ind[++len] = pt->col_lev[k];
                        val[len] = (double)(prev - cur);
                    }
                    prev = cur;
                }
            } else {
                rhs = pl_knapsack_min_slices(pt, v, INFINITY, dem, max_slices);
            }
            /* The rewritten row: the task's counts and at most one step per level
             * above the first, within ind/val. */
            assert(len <= pt->ncfg + (pt->nlev > 0 ? pt->nlev - 1 : 0));
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
    int max_slices = m->gpus * m->cost_per_gpu;
    double sum = 0.0;
    for (int i = 0; i < m->napps; i++) {
        const pl_app *pa = &m->apps[i];
        double items[JS_MAX_TASKS];
        js_dag_items_per_request(pa->a, var + off, items);
        for (int t = 0; t < pa->a->ntasks; t++) {
            double dem = pa->rate * m->scale * items[t];
            sum += pl_knapsack_min_slices(&pa->t[t], var[off + t], INFINITY, dem, max_slices);
        }
        off += pa->a->ntasks;
    }
    return sum > max_slices ? NAN : sum;
}

/* LP relaxation value with the current objective: NAN when the LP is infeasible. */
double pl_lp_relaxation(lp_build *b, const js_plan_request *r)
{
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = r->verbose ? GLP_MSG_ON : GLP_MSG_OFF;
    sp.presolve = GLP_OFF;
    sp.meth = GLP_DUALP;
    double deadline = pl_request_deadline(r); /* the call's: an LP can take a while too */
    if (deadline > 0.0) {
        double left = deadline - js_now_s();
        sp.tm_lim = left > 0.001 ? (int)(left * 1000.0) : 1;
    }
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

static int cmp_key_min(const void *x, const void *y)
{
    const combo_key *a = x, *b = y;
    if (a->bound != b->bound)
        return a->bound < b->bound ? -1 : 1;
    if (a->logpas != b->logpas)
        return a->logpas > b->logpas ? -1 : 1;
    return a->idx - b->idx;
}

int pl_combo_key_cmp_max(const void *x, const void *y)
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
int pl_combo_bounds(const pl_model *m, lp_build *b, const pl_combos *cb,
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
            pl_apply_combo(m, b, var);
            v = pl_lp_relaxation(b, r);
        }
        if (isnan(v))
            continue;
        keys[nk].idx = k;
        keys[nk].bound = minimise && isfinite(v) ? ceil(v - 1e-6) : v;
        keys[nk].logpas = cb->logpas[k];
        nk++;
    }
    qsort(keys, (size_t)nk, sizeof *keys, minimise ? cmp_key_min : pl_combo_key_cmp_max);
    *keys_out = keys;
    return nk;
}


bool pl_combo_of_plan(const pl_model *m, const js_plan *p, int width, int *var)
{
    if (p->napps != m->napps)
        return false;
    int k = 0;
    for (int i = 0; i < m->napps; i++) {
        const js_app *a = m->apps[i].a;
        if (p->apps[i].ntasks != a->ntasks)
            return false;
        for (int t = 0; t < a->ntasks; t++) {
            const js_task_plan *tp = &p->apps[i].tasks[t];
            if (k >= width || tp->task != t || tp->variant < 0 ||
                tp->variant >= a->tasks[t].nvariants || !m->apps[i].t[t].col_z[tp->variant])
                return false;
            var[k++] = tp->variant;
        }
    }
    return k == width;
}
