/* Re-layout-aware re-planning: a controller that re-plans every few minutes should not
 * re-lay its GPUs out for a plan that is barely cheaper. Among the plans with the
 * variants of the minimum-slices plan and at most (1 + tolerance) x its slices, this
 * MILP stage picks the one that keeps the most GPUs of the layout in force in their MIG
 * layout, then the fewest slices. Destroying and recreating MIG instances is downtime
 * (the controller charges it per GPU changed); keeping a layout and leaving some of its
 * instances idle is free.
 *
 * The layout in force is read back into the model's layouts: each of its GPUs counts for
 * the first count-maximal layout that contains all of its instances at their start
 * positions (the GPU can run that layout without touching the instances it has). */
#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "milp.h"

/* Nodes the stage may spend (no cuts: it improves a plan, milp.h) before its best plan
 * stands. */
#define PL_KEEP_SOFT_NODES 200

static bool layout_holds(const js_gpu_layout *lay, const js_gpu_plan *g)
{
    for (int i = 0; i < g->ninstances; i++) {
        bool found = false;
        for (int k = 0; k < lay->ninstances && !found; k++)
            found = lay->inst[k].profile == g->inst[i].profile &&
                    lay->inst[k].start == g->inst[i].start;
        if (!found)
            return false;
    }
    return true;
}

/* keep[l]: GPUs of the layout in force that hold layout l. */
static void layouts_in_force(const pl_model *m, const js_plan *p, int *keep)
{
    memset(keep, 0, (size_t)m->nlayouts * sizeof *keep);
    for (int i = 0; i < p->ngpus; i++) {
        if (p->gpus[i].ninstances == 0)
            continue;
        for (int l = 0; l < m->nlayouts; l++)
            if (layout_holds(&m->layouts[l], &p->gpus[i])) {
                keep[l]++;
                break;
            }
    }
}

/* Objective: fewest slices, with each GPU kept worth more than every slice allowed. */
static void set_keep_objective(lp_build *b, const pl_model *m, int kcol, double max_slices)
{
    pl_lp_objective_from_row(b, b->row_slices, GLP_MIN);
    double w = max_slices + 1.0;
    for (int l = 0; l < m->nlayouts; l++)
        glp_set_obj_coef(b->lp, kcol + l, -w);
}

int pl_min_slices_keep_layout(const js_scenario *s, const js_plan_request *r,
                              const js_plan *min_plan, js_plan *out, js_diag *d)
{
    if (!r->layout_in_force || !(r->relayout_tolerance >= 0.0) || !min_plan->feasible)
        return 1;
    pl_model m;
    lp_build b;
    memset(&b, 0, sizeof b);
    int width = 0, *var = NULL, *keep = NULL, *y = NULL;
    double scale = r->demand_scale >= 0.0 ? r->demand_scale : 1.0;
    int rc = pl_model_build(&m, s, r, scale, d);
    if (rc != 0)
        return rc;
    for (int i = 0; i < m.napps; i++)
        width += m.apps[i].a->ntasks;
    var = calloc((size_t)width + 1, sizeof *var);
    keep = calloc((size_t)m.nlayouts + 1, sizeof *keep);
    y = calloc((size_t)m.nlayouts + 1, sizeof *y);
    int kcol = -1;
    if (var && keep && y && pl_lp_build(&m, &b, false) == 0) {
        layouts_in_force(&m, r->layout_in_force, keep);
        kcol = pl_lp_add_keep_columns(&b, &m, keep);
    }
    if (kcol < 0) {
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory building the MILP");
        goto out;
    }
    rc = 1;
    if (!pl_combo_of_plan(&m, min_plan, width, var))
        goto out;
    pl_apply_combo(&m, &b, var);
    if (pl_combo_cuts(&m, &b, var) != 0) {
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        goto out;
    }
    double max_slices = floor(min_plan->slices_used * (1.0 + r->relayout_tolerance) + 1e-9);
    glp_set_row_bnds(b.lp, b.row_slices, GLP_UP, 0.0, max_slices + 0.5);
    set_keep_objective(&b, &m, kcol, max_slices);
    b.soft_nodes = PL_KEEP_SOFT_NODES;
    b.no_cuts = true;
    double deadline = pl_request_deadline(r);
    solve_info si;
    pl_lp_solve(&b, r, deadline, 0.0, &si);
    if (!pl_has_solution(&si))
        goto out;
    pl_lp_read_solution(&m, &b, NULL, y);
    *out = *min_plan; /* header, status, bound and statistics of the minimum */
    out->apps = NULL;
    out->gpus = NULL;
    out->napps = out->ngpus = 0;
    rc = pl_fill_plan(&m, y, out, d);
    if (rc == 0) {
        /* The minimum's bound stands; the plan's own slices are its objective. */
        out->feasible = true;
        out->objective = out->slices_used;
        out->gap = out->slices_used > 0 && isfinite(out->bound)
                       ? fmax(0.0, (out->slices_used - out->bound) / out->slices_used)
                       : out->gap;
        out->stats.solves += 1;
        out->stats.nodes += si.nodes;
    } else {
        js_plan_free(out);
    }
out:
    free(var);
    free(keep);
    free(y);
    pl_lp_free(&b);
    pl_model_free(&m);
    return rc;
}
