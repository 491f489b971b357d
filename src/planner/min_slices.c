/* Minimum-slices planning (js_plan_min_slices): fewest compute slices, then higher PAS,
 * then fewer GPUs. Per variant combination when there are at most PL_MAX_COMBOS of
 * them (best bound first, one objective weighting slices and GPUs), else the joint
 * MILP with the tie-breaks as two further warm-started solves. When nothing fits, the
 * reason in GPUs. max_demand.c plans its final scale through pl_min_slices_impl. */
#include <glpk.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milp.h"

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
    if (pl_model_build(&m, s, &r2, scale, &d) == 0 && pl_lp_build(&m, &b, false) == 0 &&
        pl_lp_objective_from_row(&b, b.row_gpus, GLP_MIN) == 0) {
        solve_info si;
        js_plan_request r3 = r2;
        r3.verbose = 0;
        double deadline = pl_request_deadline(r); /* within the call's limit */
        double own = js_now_s() + 20.0;
        pl_lp_solve(&b, &r3, deadline > 0.0 && deadline < own ? deadline : own, 0.0, &si);
        if (pl_has_solution(&si)) {
            *needed = (int)lround(si.obj);
            rc = si.status == GLP_OPT && si.ret == 0 ? 0 : 1;
        }
    }
    pl_lp_free(&b);
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

/* Stages 2 and 3: higher PAS, then fewer GPUs, each with the earlier objectives fixed. */
static void tie_breaks(pl_model *m, lp_build *b, const js_plan_request *r, double deadline,
                       double slices, int *y, js_plan *out)
{
    solve_info si;
    glp_set_row_bnds(b->lp, b->row_slices, GLP_UP, 0.0, slices + 0.5);
    double *x0 = pl_lp_incumbent(b->lp);
    if (!x0)
        return;
    if (pas_can_vary(m)) {
        pl_lp_objective_from_row(b, b->row_logpas, GLP_MAX);
        pl_lp_solve_from(b, r, deadline, 0.0, x0, &si);
        pl_note_stage(out, &si, 2);
        if (!pl_has_solution(&si)) {
            free(x0);
            return; /* the stage-1 plan stands */
        }
        pl_lp_read_solution(m, b, NULL, y);
        glp_set_row_bnds(b->lp, b->row_logpas, GLP_LO, si.obj - PL_LOG_EPS, 0.0);
        free(x0);
        if (!(x0 = pl_lp_incumbent(b->lp)))
            return;
    }
    int lb = (int)ceil(slices / m->cost_per_gpu - 1e-9);
    if (!r->skip_gpu_tiebreak && gpus_after_placement(m, y) > lb) {
        pl_lp_objective_from_row(b, b->row_gpus, GLP_MIN);
        pl_lp_solve_from(b, r, deadline, 0.0, x0, &si);
        pl_note_stage(out, &si, 3);
        if (pl_has_solution(&si))
            pl_lp_read_solution(m, b, NULL, y);
    }
    free(x0);
}

/* ---- Variant combination by combination (milp_combos.c) ---- */

typedef struct combo_best {
    double slices;     /* INFINITY: none yet */
    double logpas;
    int gpus;          /* GPUs its placement occupies */
    int idx;           /* combination (index into the pl_combos) */
    double *x;         /* its solution, 1-based column values */
    double bound;      /* proven lower bound on the optimum slices */
    bool complete;     /* every combination resolved */
} combo_best;

/* Fewest GPUs for the instances of plan x (1-based column values): every column before
 * the layouts fixed at its value in x, which leaves a small covering problem over the
 * layout counts, solved to optimality. x gets the packing found. */
static void repack_instances(lp_build *b, const js_plan_request *r, double deadline,
                             double *x, js_plan *out)
{
    int n = b->col_y0 - 1;
    if (n <= 0)
        return;
    int *type = malloc((size_t)n * sizeof *type);
    double *lb = malloc((size_t)n * sizeof *lb), *ub = malloc((size_t)n * sizeof *ub);
    if (type && lb && ub) {
        for (int j = 1; j <= n; j++) {
            type[j - 1] = glp_get_col_type(b->lp, j);
            lb[j - 1] = glp_get_col_lb(b->lp, j);
            ub[j - 1] = glp_get_col_ub(b->lp, j);
            glp_set_col_bnds(b->lp, j, GLP_FX, x[j], x[j]);
        }
        solve_info si;
        pl_lp_solve_from(b, r, deadline, 0.0, x, &si);
        pl_note_stage(out, &si, 3);
        double *nx = pl_has_solution(&si) ? pl_lp_incumbent(b->lp) : NULL;
        if (nx) {
            for (int j = b->col_y0; j <= b->ncols; j++)
                x[j] = nx[j];
            free(nx);
        }
        for (int j = 1; j <= n; j++)
            glp_set_col_bnds(b->lp, j, type[j - 1], lb[j - 1], ub[j - 1]);
    }
    free(type);
    free(lb);
    free(ub);
}

/* The GPU tie-break of the winning combination: fewest GPUs with its slices, PAS and
 * variants fixed, warm-started from its plan. First the plan's own instances repacked
 * (exact and fast); then other configurations of the same slices may pack tighter, but
 * proving the fewest GPUs over them is a bin-packing proof that can take minutes on 100+
 * GPUs while the slices were proven in well under a second (measured: AR assistant,
 * 120 A100s: 469 s against 0.6 s), so past PL_TIEBREAK_SOFT_NODES nodes the best
 * packing found stands. */
static void combo_gpu_tie_break(pl_model *m, lp_build *b, const pl_combos *cb,
                                const js_plan_request *r, double deadline, combo_best *best,
                                int *y, js_plan *out)
{
    int lb = (int)ceil(best->slices / m->cost_per_gpu - 1e-9);
    if (r->skip_gpu_tiebreak || best->gpus <= lb || pl_past_deadline(deadline))
        return;
    const int *var = cb->var + (size_t)best->idx * (size_t)cb->width;
    pl_apply_combo(m, b, var);
    if (pl_combo_cuts(m, b, var) != 0)
        return;
    glp_set_row_bnds(b->lp, b->row_slices, GLP_UP, 0.0, best->slices + 0.5);
    pl_lp_objective_from_row(b, b->row_gpus, GLP_MIN);
    repack_instances(b, r, deadline, best->x, out);
    pl_lp_read_solution(m, b, best->x, y);
    best->gpus = gpus_after_placement(m, y);
    if (best->gpus <= lb)
        return;
    int soft = b->soft_nodes;
    b->soft_nodes = PL_TIEBREAK_SOFT_NODES;
    b->no_cuts = true;
    solve_info si;
    pl_lp_solve_from(b, r, deadline, 0.0, best->x, &si);
    b->soft_nodes = soft;
    b->no_cuts = false;
    pl_note_stage(out, &si, 3);
    if (!pl_has_solution(&si))
        return;
    double *x = pl_lp_incumbent(b->lp);
    if (!x)
        return;
    pl_lp_read_solution(m, b, x, y);
    int gpus = gpus_after_placement(m, y);
    if (gpus < best->gpus) {
        free(best->x);
        best->x = x;
        best->gpus = gpus;
    } else {
        free(x);
    }
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
    if (pl_lp_objective_from_row(b, b->row_slices, GLP_MIN) != 0)
        return -1;
    glp_set_row_bnds(b->lp, b->row_slices, GLP_FR, 0.0, 0.0);
    int nk = pl_combo_bounds(m, b, cb, r, true, &keys);
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
        if (pl_past_deadline(deadline)) {
            best->complete = false;
            best->bound = fmin(best->bound, ck->bound);
            continue;
        }
        const int *var = cb->var + (size_t)ck->idx * (size_t)cb->width;
        pl_apply_combo(m, b, var);
        if (pl_combo_cuts(m, b, var) != 0) {
            rc = -1;
            break;
        }
        if (isfinite(best->slices))
            glp_set_row_bnds(b->lp, b->row_slices, GLP_UP, 0.0,
                             better_pas || same_pas ? best->slices + 0.5 : best->slices - 0.5);
        solve_info si;
        pl_lp_solve(b, r, deadline, b->mip_gap, &si);
        pl_note_stage(out, &si, 1);
        bool proven = si.status == GLP_OPT && si.ret == 0;
        if (!proven && si.status != GLP_NOFEAS && si.ret != GLP_ENOPFS) {
            double sb = isnan(si.bound) ? ck->bound : ceil(si.bound - 1e-6);
            best->complete = false;
            best->bound = fmin(best->bound, fmax(ck->bound, sb));
        }
        if (!pl_has_solution(&si))
            continue;
        double slices = round(glp_mip_row_val(b->lp, b->row_slices));
        double *x = pl_lp_incumbent(b->lp);
        if (!x) {
            rc = -1;
            break;
        }
        pl_lp_read_solution(m, b, x, y);
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
    if (rc == 0 && best->x)
        combo_gpu_tie_break(m, b, cb, r, deadline, best, y, out);
    glp_set_row_bnds(b->lp, b->row_slices, GLP_FR, 0.0, 0.0);
    if (best->x)
        pl_lp_read_solution(m, b, best->x, y);
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

/* The one combination `only` (the model's layout: every application's tasks in order),
 * without enumerating the others: a fleet's cross product can be far past the
 * enumeration's limit while one of its combinations is a small MILP. None when a task's
 * variant there is not allowed (the enumeration would not have it either). 0, or -1 out
 * of memory. */
static int single_combo(const pl_model *m, const int *only, pl_combos *cb)
{
    memset(cb, 0, sizeof *cb);
    for (int i = 0; i < m->napps; i++)
        cb->width += m->apps[i].a->ntasks;
    cb->var = calloc((size_t)cb->width + 1, sizeof *cb->var);
    cb->logpas = calloc(2, sizeof *cb->logpas);
    if (!cb->var || !cb->logpas)
        return -1;
    memcpy(cb->var, only, (size_t)cb->width * sizeof *only);
    cb->n = 1;
    for (int i = 0, k = 0; i < m->napps; i++)
        for (int t = 0; t < m->apps[i].a->ntasks; t++, k++) {
            const pl_task *pt = &m->apps[i].t[t];
            int v = only[k];
            if (v < 0 || v >= m->apps[i].a->tasks[t].nvariants || !pt->allowed[v])
                cb->n = 0;
            else
                cb->logpas[0] += pt->logacc[v];
        }
    return 0;
}

/* Min-slices planning; only != NULL: over that one variant combination. */
int pl_min_slices_impl(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d, const int *only, double mip_gap)
{
    double t0 = js_now_s(), c0 = js_cpu_s();
    double deadline = pl_request_deadline(r);
    pl_model m;
    lp_build b;
    solve_info si;
    int *y = NULL;
    memset(&b, 0, sizeof b);
    js_plan_init(out);
    if (pl_past_deadline(deadline)) { /* the model alone can take a second: not past it */
        snprintf(out->status, sizeof out->status, "time-limit");
        return js_diag_set(d, JS_EXIT_TIMELIMIT,
                           "no plan found within the time limit of %g s (nothing proven: a "
                           "larger --time-limit may find one)",
                           r->time_limit_s);
    }
    double scale = r->demand_scale >= 0.0 ? r->demand_scale : 1.0;
    int rc = pl_model_build(&m, s, r, scale, d);
    if (rc == 0)
        plan_header(out, &m, r);
    if (rc == 0)
        rc = pl_diagnose_slos(&m, d);
    pl_combos cmb = {0};
    int crc = 1;
    if (rc == 0) {
        crc = only ? single_combo(&m, only, &cmb) : pl_combos_enumerate(&m, PL_MAX_COMBOS, &cmb);
        if (crc < 0)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        b.per_combo = crc == 0;
        b.mip_gap = mip_gap;
        b.soft_nodes = mip_gap > 0.0 ? PL_FINAL_SOFT_NODES : 0;
        b.node_limit = r->node_limit > 0 ? r->node_limit : 0;
    }
    if (rc == 0 && pl_lp_build(&m, &b, false) != 0)
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory building the MILP");
    if (rc == 0 && !(y = calloc((size_t)m.nlayouts + 1, sizeof *y)))
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    if (rc == 0)
        pl_lp_stats(&m, &b, out);
    if (rc == 0 && crc == 0) {
        /* Combination by combination: smaller, tighter MILPs; exact (see combos.c). */
        int k = min_slices_by_combos(&m, &b, &cmb, r, deadline, y, out);
        if (k < 0) {
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        } else if (k == 1 && strcmp(out->status, "infeasible") == 0) {
            pl_apply_combo(&m, &b, NULL);
            rc = capacity_reason(&m, s, r, d);
        } else if (k == 1) {
            rc = js_diag_set(d, JS_EXIT_TIMELIMIT,
                             "no plan found within the time limit of %g s (nothing proven: a "
                             "larger --time-limit may find one)",
                             r->time_limit_s);
        } else {
            rc = pl_fill_plan(&m, y, out, d);
            out->feasible = rc == 0;
        }
    }
    pl_combos_free(&cmb);
    if (rc == 0 && crc != 0) {
        pl_lp_objective_from_row(&b, b.row_slices, GLP_MIN);
        pl_lp_solve(&b, r, deadline, 0.0, &si);
        pl_note_stage(out, &si, 1);
        snprintf(out->status, sizeof out->status, "%s", pl_status_word(&si));
        if (!pl_has_solution(&si)) {
            if (si.status == GLP_NOFEAS || si.ret == GLP_ENOPFS)
                rc = capacity_reason(&m, s, r, d);
            else if (si.ret == GLP_ETMLIM || pl_past_deadline(deadline))
                rc = js_diag_set(d, JS_EXIT_TIMELIMIT,
                                 "no plan found within the time limit of %g s (nothing proven: "
                                 "a larger --time-limit may find one)",
                                 r->time_limit_s);
            else
                rc = js_diag_set(d, JS_EXIT_INTERNAL, "the MILP solver failed (GLPK status %d)",
                                 si.ret);
        }
    }
    if (rc == 0 && crc != 0) {
        double slices = round(si.obj);
        out->objective = slices;
        out->bound = isnan(si.bound) ? NAN : ceil(si.bound - 1e-6);
        out->gap = slices > 0 ? (slices - out->bound) / slices : 0.0;
        if (strcmp(out->status, "optimal") == 0)
            out->gap = 0.0, out->bound = slices;
        pl_lp_read_solution(&m, &b, NULL, y);
        if (strcmp(out->status, "optimal") == 0)
            tie_breaks(&m, &b, r, deadline, slices, y, out);
        rc = pl_fill_plan(&m, y, out, d);
        out->feasible = rc == 0;
    }
    if (rc == JS_EXIT_TIMELIMIT)
        snprintf(out->status, sizeof out->status, "time-limit");
    else if (rc != 0 && rc != JS_EXIT_INTERNAL && strcmp(out->status, "time-limit") != 0)
        snprintf(out->status, sizeof out->status, "infeasible");
    out->stats.seconds = js_now_s() - t0;
    out->stats.cpu_seconds = js_cpu_s() - c0;
    free(y);
    pl_lp_free(&b);
    pl_model_free(&m);
    return rc;
}

static int min_slices_pass(const js_scenario *s, const js_plan_request *r, js_plan *out,
                           js_diag *d)
{
    return pl_min_slices_impl(s, r, out, d, NULL, r->mip_gap > 0.0 ? r->mip_gap : 0.0);
}

int pl_min_slices_once(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d)
{
    return pl_glpk_guarded(min_slices_pass, s, r, out, d);
}


int pl_min_slices_fewest_gpus(const js_scenario *s, const js_plan_request *r,
                              const js_plan *chosen, js_plan *out, js_diag *d)
{
    int per_gpu = s->cluster.gpu.compute_slices;
    if (!chosen->feasible || per_gpu <= 0 ||
        chosen->gpus_used <= (chosen->slices_used + per_gpu - 1) / per_gpu)
        return 1;
    js_plan_request rr = *r;
    rr.skip_gpu_tiebreak = false;
    rr.demand_scale = chosen->demand_scale;
    /* The chosen plan's variant combination, task by task in the model's order (every
     * application of the scenario, pl_combo_of_plan's layout). */
    int width = 0;
    for (int i = 0; i < s->napps; i++)
        width += s->apps[i].ntasks;
    int *var = calloc((size_t)width + 1, sizeof *var);
    if (!var)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    bool known = chosen->napps == s->napps;
    for (int i = 0, k = 0; known && i < s->napps; i++) {
        known = chosen->apps[i].ntasks == s->apps[i].ntasks;
        for (int t = 0; known && t < s->apps[i].ntasks; t++) {
            const js_task_plan *tp = &chosen->apps[i].tasks[t];
            known = tp->task == t && tp->variant >= 0 &&
                    tp->variant < s->apps[i].tasks[t].nvariants;
            var[k++] = tp->variant;
        }
    }
    int rc = pl_min_slices_impl(s, &rr, out, d, known ? var : NULL, 0.0);
    free(var);
    return rc;
}
