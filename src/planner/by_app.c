/* Planning application by application: how the planner scales to fleets of many
 * applications (docs/design.md section 2, "Fleets"). This file: the parts (one
 * application alone on the cluster), the packing of their union, and minimum slices;
 * demand_by_app.c searches the maximum demand, prices_by_app.c its bound.
 *
 * Applications share a cluster only through the GPUs their MIG instances are packed on:
 * each has its own tasks, configurations, latency rule and PAS floor, and (MIG isolates
 * instances) its own queueing. So
 *   - every application's minimum slices alone on the cluster is a lower bound on its
 *     slices in any joint plan (its instances in a joint plan fit the cluster alone), and
 *     their sum bounds the joint optimum;
 *   - when the union of the applications' own plans packs into the cluster, that union is
 *     a joint plan with the summed slices, so it is optimal, and its PAS is the sum of the
 *     per-application maxima, which is the joint tie-break's optimum too.
 * The packing is a covering MILP over the GPU type's count-maximal layouts (a handful of
 * columns, whatever the cluster's size), solved to optimality: the plan's instances on
 * the fewest GPUs. Minimum slices falls back to the joint MILP only when the union does
 * not pack (a nearly full cluster) or when the cluster's CPU cores couple the
 * applications (a cluster-wide row the parts cannot see).
 */
#include <glpk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "by_app.h"
#include "milp.h"
#include "jigsaw/util.h"

/* Branch-and-bound nodes the joint MILP over the parts' variants may spend on a union
 * that does not pack, before the joint MILP over every combination takes over. */
#define BA_REPACK_NODES 2000

bool pl_by_app_applies(const js_scenario *s, const js_plan_request *r)
{
    int gpus = r->gpus > 0 ? r->gpus : s->cluster.gpus;
    return s->napps > 1 && !r->joint && !r->layout_in_force &&
           js_cluster_cpu_cores(&s->cluster, gpus) <= 0;
}

/* The joint search is exact and fast while the applications' variant combinations can
 * be enumerated (every product of at most PL_MAX_COMBOS is, whatever the pruning); past
 * that it falls back to one MILP that does not close on fleets. On a nearly full
 * cluster the union of the applications' own plans packs worse than a joint plan, so
 * the common scale is searched by application only past that limit (one application's
 * scale always is: the joint MILP has one scale). */
bool pl_by_app_for_max_demand(const js_scenario *s, const js_plan_request *r)
{
    if (!pl_by_app_applies(s, r))
        return false;
    if (r->scale_app >= 0)
        return true;
    double combos = 1.0;
    for (int i = 0; i < s->napps; i++)
        for (int t = 0; t < s->apps[i].ntasks; t++)
            if (r->features & JS_FEAT_A)
                combos *= s->apps[i].tasks[t].nvariants;
    return combos > PL_MAX_COMBOS;
}

/* ---- The parts: one application alone on the cluster ---- */

static js_scenario one_app(const js_scenario *s, int i)
{
    js_scenario sub = *s; /* shares every array: nothing is freed through it */
    sub.napps = 1;
    sub.apps = &s->apps[i];
    return sub;
}

/* Application i's minimum-slices plan alone at `scale`, without the GPU tie-break (the
 * union is packed afresh), to c->part_gap. Its app index is rewritten to i. */
int pl_ba_plan_part(ba_ctx *c, int i, double scale, js_plan *out, js_diag *d)
{
    js_scenario sub = one_app(c->s, i);
    js_plan_request rr = *c->r;
    rr.rate_app = c->r->rate_app == i ? 0 : -1;
    rr.demand_scale = scale;
    rr.skip_gpu_tiebreak = true;
    rr.known_feasible = NULL;
    rr.scale_app = -1;
    rr.mip_gap = c->part_gap;
    rr.profile_cost = c->cost;
    rr.cost_per_gpu = c->cost_per_gpu;
    js_plan_init(out);
    int rc = c->min_pass(&sub, &rr, out, d);
    c->effort.solves += out->stats.solves;
    c->effort.nodes += out->stats.nodes;
    c->effort.configs += out->stats.configs;
    c->effort.configs_raw += out->stats.configs_raw;
    if (out->stats.rows > c->effort.rows) {
        c->effort.rows = out->stats.rows;
        c->effort.cols = out->stats.cols;
        c->effort.int_cols = out->stats.int_cols;
    }
    if (rc == 0 && out->napps == 1) {
        out->apps[0].app = i;
        for (int g = 0; g < out->ngpus; g++)
            for (int k = 0; k < out->gpus[g].ninstances; k++)
                out->gpus[g].inst[k].app = i;
    }
    return rc;
}

/* A part's proven lower bound on its slices. */
double pl_ba_part_bound(const js_plan *p)
{
    return isfinite(p->bound) ? fmin(p->bound, p->objective) : 0.0;
}

/* ---- Packing the union ---- */

static int count_instances(js_plan *const *parts, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        for (int g = 0; g < parts[i]->ngpus; g++)
            k += parts[i]->gpus[g].ninstances;
    return k;
}

/* Fewest GPUs, at most c->gpus, whose layouts hold need[p] instances of every profile p:
 * min sum y_l subject to sum_l count_l[p] y_l >= need[p]. 0 with y filled, 1 when more
 * than c->gpus are needed, -1 when GLPK fails. */
static int pack_counts(const ba_ctx *c, const int *need, int *y)
{
    const js_gpu_type *g = &c->s->cluster.gpu;
    long slices = 0;
    for (int p = 0; p < g->nprofiles; p++)
        slices += (long)need[p] * g->profiles[p].compute_slices;
    if (slices > (long)c->gpus * g->compute_slices)
        return 1;
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_rows(lp, g->nprofiles + 1);
    glp_add_cols(lp, c->nlayouts);
    for (int p = 0; p < g->nprofiles; p++)
        glp_set_row_bnds(lp, p + 1, need[p] > 0 ? GLP_LO : GLP_FR, need[p], 0.0);
    glp_set_row_bnds(lp, g->nprofiles + 1, GLP_UP, 0.0, c->gpus);
    int ind[JS_MAX_MIG_PROFILES + 2];
    double val[JS_MAX_MIG_PROFILES + 2];
    for (int l = 0; l < c->nlayouts; l++) {
        int n = 0;
        for (int p = 0; p < g->nprofiles; p++)
            if (c->layouts[l].count[p] > 0) {
                ind[++n] = p + 1;
                val[n] = c->layouts[l].count[p];
            }
        ind[++n] = g->nprofiles + 1;
        val[n] = 1.0;
        glp_set_mat_col(lp, l + 1, n, ind, val);
        glp_set_col_kind(lp, l + 1, GLP_IV);
        glp_set_col_bnds(lp, l + 1, GLP_LO, 0.0, 0.0);
        glp_set_obj_coef(lp, l + 1, 1.0);
    }
    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.presolve = GLP_ON;
    parm.msg_lev = GLP_MSG_OFF;
    int ret = glp_intopt(lp, &parm), st = glp_mip_status(lp);
    int rc = -1;
    if ((ret == 0 || ret == GLP_ENOPFS) && (st == GLP_NOFEAS || ret == GLP_ENOPFS)) {
        rc = 1;
    } else if (ret == 0 && st == GLP_OPT) {
        for (int l = 0; l < c->nlayouts; l++)
            y[l] = (int)lround(glp_mip_col_val(lp, l + 1));
        rc = 0;
    }
    glp_delete_prob(lp);
    return rc;
}

typedef struct slot_gpu {
    int layout;
    bool used[JS_MAX_INSTANCES_PER_GPU];
    js_gpu_plan plan;
} slot_gpu;

/* Larger instances first (fewest places to go), then in application and task order. */
static int cmp_size_first(const void *x, const void *y)
{
    const js_instance *a = x, *b = y;
    if (a->profile != b->profile)
        return b->profile - a->profile;
    if (a->app != b->app)
        return a->app - b->app;
    if (a->task != b->task)
        return a->task - b->task;
    if (a->batch != b->batch)
        return a->batch - b->batch;
    return a->workers - b->workers;
}

static int cmp_start(const void *x, const void *y)
{
    const js_instance *a = x, *b = y;
    return (a->start > b->start) - (a->start < b->start);
}

/* Each instance into the first free slot of its profile, GPUs already in use first. The
 * covering solution has a slot of every profile for every instance, so none is left. */
static int fill_slots(const ba_ctx *c, slot_gpu *gp, int ng, const js_instance *in)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < ng; i++) {
            if ((pass == 0) != (gp[i].plan.ninstances > 0))
                continue;
            const js_gpu_layout *L = &c->layouts[gp[i].layout];
            for (int k = 0; k < L->ninstances; k++) {
                if (gp[i].used[k] || L->inst[k].profile != in->profile)
                    continue;
                gp[i].used[k] = true;
                js_instance *dst = &gp[i].plan.inst[gp[i].plan.ninstances++];
                *dst = *in;
                dst->start = L->inst[k].start;
                return 0;
            }
        }
    return -1;
}

/* The union of the parts' instances packed on the fewest GPUs into out->gpus. 0, 1 when
 * it does not fit the cluster, or an error code with d set. */
static int pack_union(const ba_ctx *c, js_plan *const *parts, int n, js_plan *out, js_diag *d)
{
    const js_gpu_type *g = &c->s->cluster.gpu;
    int ni = count_instances(parts, n);
    js_instance *all = calloc((size_t)ni + 1, sizeof *all);
    int *y = calloc((size_t)c->nlayouts + 1, sizeof *y);
    int need[JS_MAX_MIG_PROFILES] = {0};
    int rc = all && y ? 0 : js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    for (int i = 0, k = 0; rc == 0 && i < n; i++)
        for (int q = 0; q < parts[i]->ngpus; q++)
            for (int j = 0; j < parts[i]->gpus[q].ninstances; j++) {
                all[k] = parts[i]->gpus[q].inst[j];
                need[all[k].profile]++;
                k++;
            }
    if (rc == 0) {
        int pk = pack_counts(c, need, y);
        if (pk < 0)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "the packing MILP failed");
        else if (pk == 1)
            rc = 1;
    }
    int ng = 0;
    for (int l = 0; rc == 0 && l < c->nlayouts; l++)
        ng += y[l];
    slot_gpu *gp = rc == 0 ? calloc((size_t)ng + 1, sizeof *gp) : NULL;
    if (rc == 0 && !gp)
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    for (int l = 0, k = 0; rc == 0 && l < c->nlayouts; l++)
        for (int q = 0; q < y[l]; q++)
            gp[k++].layout = l;
    if (rc == 0)
        qsort(all, (size_t)ni, sizeof *all, cmp_size_first);
    for (int k = 0; rc == 0 && k < ni; k++)
        if (fill_slots(c, gp, ng, &all[k]) != 0)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "packing: no slot of profile %s left",
                             g->profiles[all[k].profile].name);
    if (rc == 0) {
        free(out->gpus);
        out->gpus = calloc((size_t)ng + 1, sizeof *out->gpus);
        out->ngpus = 0;
        if (!out->gpus)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    for (int i = 0; rc == 0 && i < ng; i++) {
        if (gp[i].plan.ninstances == 0)
            continue;
        qsort(gp[i].plan.inst, (size_t)gp[i].plan.ninstances, sizeof gp[i].plan.inst[0],
              cmp_start);
        out->gpus[out->ngpus++] = gp[i].plan;
    }
    if (rc == 0)
        out->gpus_used = out->ngpus;
    free(gp);
    free(all);
    free(y);
    return rc;
}

/* The parts merged into one plan over the scenario (applications in scenario order):
 * slices, bound and status summed over the parts, the union packed. 0, 1 when the union
 * does not pack, or an error code. */
int pl_ba_merge_parts(const ba_ctx *c, js_plan *const *parts, js_plan *out, js_diag *d)
{
    int n = c->s->napps;
    js_plan_init(out);
    *out = *parts[0]; /* header: system, rule, target, scale */
    out->gpus = NULL;
    out->ngpus = 0;
    out->napps = 0;
    out->apps = calloc((size_t)n, sizeof *out->apps);
    if (!out->apps)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    out->napps = n;
    out->objective = 0.0;
    out->bound = 0.0;
    out->slices_used = 0;
    bool proven = true;
    for (int i = 0; i < n; i++) {
        out->apps[i] = parts[i]->apps[0];
        out->objective += parts[i]->objective;
        out->slices_used += parts[i]->slices_used;
        out->bound += pl_ba_part_bound(parts[i]);
        proven = proven && strcmp(parts[i]->status, "optimal") == 0;
    }
    out->gap = out->objective > 0.0 ? (out->objective - out->bound) / out->objective : 0.0;
    snprintf(out->status, sizeof out->status, "%s", proven ? "optimal" : "feasible");
    out->gpus_total = c->gpus;
    out->stats = c->effort;
    return pack_union(c, parts, n, out, d);
}

int pl_ba_ctx_init(ba_ctx *c, const js_scenario *s, const js_plan_request *r,
                    pl_pass_fn min_pass, js_diag *d)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->r = r;
    c->min_pass = min_pass;
    c->gpus = r->gpus > 0 ? r->gpus : s->cluster.gpus;
    c->cap_slices = (double)c->gpus * s->cluster.gpu.compute_slices;
    if (pl_enumerate_layouts(&s->cluster.gpu, &c->layouts, &c->nlayouts) != 0)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    return 0;
}

static void free_parts(js_plan *parts, int n)
{
    for (int i = 0; parts && i < n; i++)
        js_plan_free(&parts[i]);
    free(parts);
}

/* The parts' variants, every application's tasks in order (the joint model's layout of
 * a combination); false when a part does not name one for every task. */
bool pl_ba_parts_combo(const js_scenario *s, js_plan *const *pp, int *var)
{
    for (int i = 0, k = 0; i < s->napps; i++) {
        const js_app_plan *ap = &pp[i]->apps[0];
        if (pp[i]->napps != 1 || ap->ntasks != s->apps[i].ntasks)
            return false;
        for (int t = 0; t < ap->ntasks; t++, k++) {
            if (ap->tasks[t].task != t || ap->tasks[t].variant < 0)
                return false;
            var[k] = ap->tasks[t].variant;
        }
    }
    return true;
}

/* ---- Minimum slices ---- */

/* The joint minimum-slices MILP over the parts' variant combination alone (request rr,
 * relative gap `gap`): 0 with a plan, 1 none (out freed). */
int pl_ba_joint_over_parts(const ba_ctx *c, const js_plan_request *rr, js_plan *const *pp,
                           double gap, js_plan *out)
{
    const js_scenario *s = c->s;
    int width = 0;
    for (int i = 0; i < s->napps; i++)
        width += s->apps[i].ntasks;
    int *var = calloc((size_t)width + 1, sizeof *var);
    js_diag local;
    js_diag_init(&local);
    js_plan_init(out);
    int rc = var && pl_ba_parts_combo(s, pp, var)
                 ? pl_min_slices_impl(s, rr, out, &local, var, gap) : 1;
    free(var);
    if (rc != 0 || !out->feasible) {
        js_plan_free(out);
        return 1;
    }
    return 0;
}

/* A union that does not pack (paper rule): the joint MILP over the parts' variants,
 * whose configurations are chosen for the shared packing. Optimal when it needs no more
 * than the parts' summed bounds (a bound on every combination), else its bound is only
 * that sum. 0 with a plan, 1 none (out freed). */
static int repack_jointly(const ba_ctx *c, js_plan *const *pp, js_plan *out)
{
    if (c->r->rule != JS_RULE_PAPER)
        return 1;
    double bound = 0.0;
    for (int i = 0; i < c->s->napps; i++)
        bound += pl_ba_part_bound(pp[i]);
    js_plan_request rr = *c->r;
    rr.node_limit = BA_REPACK_NODES;
    if (pl_ba_joint_over_parts(c, &rr, pp, 0.0, out) != 0)
        return 1;
    out->bound = fmin(out->objective, ceil(bound - 1e-9));
    out->gap = out->objective > 0.0 ? (out->objective - out->bound) / out->objective : 0.0;
    snprintf(out->status, sizeof out->status, "%s", out->gap > 0.0 ? "feasible" : "optimal");
    return 0;
}

int pl_by_app_min_slices(const js_scenario *s, const js_plan_request *r, js_plan *out,
                         js_diag *d, pl_pass_fn min_pass)
{
    ba_ctx c;
    int rc = pl_ba_ctx_init(&c, s, r, min_pass, d);
    int n = s->napps;
    js_plan *parts = rc == 0 ? calloc((size_t)n, sizeof *parts) : NULL;
    js_plan **pp = rc == 0 ? calloc((size_t)n, sizeof *pp) : NULL;
    if (rc == 0 && (!parts || !pp))
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    double scale = r->demand_scale >= 0.0 ? r->demand_scale : 1.0;
    for (int i = 0; rc == 0 && i < n; i++) {
        pp[i] = &parts[i];
        rc = pl_ba_plan_part(&c, i, scale, &parts[i], d);
    }
    if (rc == 0) {
        js_diag local;
        js_diag_init(&local);
        rc = pl_ba_merge_parts(&c, pp, out, &local);
        if (rc == 1) { /* the union does not pack: the joint MILP over its variants */
            js_plan_free(out);
            rc = repack_jointly(&c, pp, out);
        }
        if (rc == 1) { /* still none: the joint MILP over every combination decides */
            js_plan_free(out);
            js_plan_init(out);
            rc = min_pass(s, r, out, d);
        } else if (rc != 0) {
            js_diag_forward(d, &local);
        }
    }
    free_parts(parts, n);
    free(pp);
    free(c.layouts);
    return rc;
}

