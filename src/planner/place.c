/* Placement: turn per-layout GPU counts and per-configuration instance counts into an
 * explicit GPU-by-GPU MIG layout. The MILP's packing rows guarantee that every instance
 * finds a slot of its profile. With stated CPU cores the GPUs are then spread over the
 * cluster's nodes so that no node runs more worker processes than it has cores, where
 * the cluster-wide core row of the MILP leaves that possible (docs/host-model.md). */
#include <stdlib.h>
#include <string.h>

#include "planner_internal.h"

typedef struct slot_gpu {
    int layout;
    bool used[JS_MAX_INSTANCES_PER_GPU];
    int nused;
    js_instance inst[JS_MAX_INSTANCES_PER_GPU];
} slot_gpu;

static int cmp_inst(const void *x, const void *y)
{
    const js_instance *a = x, *b = y;
    return (a->start > b->start) - (a->start < b->start);
}

/* Take the first free slot of profile `prof`, preferring GPUs already in use so that the
 * instances gather on as few GPUs as possible. */
static int take_slot(const pl_model *m, slot_gpu *gp, int ng, int prof, const js_instance *proto)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < ng; i++) {
            if ((pass == 0) != (gp[i].nused > 0))
                continue;
            const js_gpu_layout *L = &m->layouts[gp[i].layout];
            for (int k = 0; k < L->ninstances; k++) {
                if (gp[i].used[k] || L->inst[k].profile != prof)
                    continue;
                gp[i].used[k] = true;
                js_instance *in = &gp[i].inst[gp[i].nused++];
                *in = *proto;
                in->profile = prof;
                in->start = L->inst[k].start;
                return 0;
            }
        }
    return -1;
}

static int gpu_workers(const js_gpu_plan *g)
{
    int w = 0;
    for (int j = 0; j < g->ninstances; j++)
        w += g->inst[j].workers;
    return w;
}

/* Worker processes of the busiest node when plan GPU i is on node i / gpn. */
static int busiest_node(const js_plan *p, int gpn)
{
    int best = 0;
    for (int i = 0; i < p->ngpus; i += gpn) {
        int w = 0;
        for (int k = i; k < i + gpn && k < p->ngpus; k++)
            w += gpu_workers(&p->gpus[k]);
        best = w > best ? w : best;
    }
    return best;
}

/* The GPUs of a plan whose compact order overloads a node, spread over all the
 * cluster's nodes: the GPU with the most workers first, into the node with the fewest
 * workers that has a free position (empty GPUs fill the gaps). Warns when the busiest
 * node still has more worker processes than cores. 0, or -1 out of memory. */
static int spread_over_nodes(const pl_model *m, js_plan *p, js_diag *d)
{
    const js_cluster *cl = &m->s->cluster;
    int cores = cl->cpu_cores_per_node;
    int gpn = cl->gpus_per_node > 0 ? cl->gpus_per_node : 1;
    if (cores <= 0 || busiest_node(p, gpn) <= cores)
        return 0;
    int total = m->gpus, nodes = (total + gpn - 1) / gpn;
    js_gpu_plan *out = calloc((size_t)total + 1, sizeof *out);
    int *order = calloc((size_t)p->ngpus + 1, sizeof *order);
    int *load = calloc((size_t)nodes + 1, sizeof *load), *fill = calloc((size_t)nodes + 1,
                                                                          sizeof *fill);
    if (!out || !order || !load || !fill) {
        free(out);
        free(order);
        free(load);
        free(fill);
        return -1;
    }
    for (int i = 0; i < p->ngpus; i++)
        order[i] = i;
    for (int i = 1; i < p->ngpus; i++) /* insertion sort, stable: most workers first */
        for (int k = i; k > 0 && gpu_workers(&p->gpus[order[k]]) >
                                     gpu_workers(&p->gpus[order[k - 1]]); k--) {
            int t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    int last = -1;
    for (int i = 0; i < p->ngpus; i++) {
        int best = -1;
        for (int n = 0; n < nodes; n++) {
            int cap = total - n * gpn < gpn ? total - n * gpn : gpn;
            if (fill[n] < cap && (best < 0 || load[n] < load[best]))
                best = n;
        }
        int pos = best * gpn + fill[best]++;
        out[pos] = p->gpus[order[i]];
        load[best] += gpu_workers(&out[pos]);
        last = pos > last ? pos : last;
    }
    free(p->gpus);
    p->gpus = out;
    p->ngpus = last + 1;
    int worst = 0;
    for (int n = 0; n < nodes; n++)
        worst = load[n] > worst ? load[n] : worst;
    if (worst > cores)
        js_diag_warn(d, "a node runs %d worker processes on %d CPU cores: their host phases "
                     "wait for cores (the planner bounds the processes of the whole cluster)",
                     worst, cores);
    free(order);
    free(load);
    free(fill);
    return 0;
}

int pl_place(const pl_model *m, const int *y_layout, js_plan *p, js_diag *d)
{
    int ng = 0;
    for (int l = 0; l < m->nlayouts; l++)
        ng += y_layout[l];
    slot_gpu *gp = calloc((size_t)ng + 1, sizeof *gp);
    if (!gp)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    int k = 0;
    for (int l = 0; l < m->nlayouts; l++)
        for (int i = 0; i < y_layout[l]; i++)
            gp[k++].layout = l;
    /* Larger instances first: they have the fewest places to go. */
    for (int prof = m->g->nprofiles - 1; prof >= 0; prof--)
        for (int ai = 0; ai < m->napps; ai++) {
            const pl_app *pa = &m->apps[ai];
            for (int t = 0; t < pa->a->ntasks; t++)
                for (int c = 0; c < pa->t[t].ncfg; c++) {
                    const pl_cfg *cf = &pa->t[t].cfg[c];
                    if (cf->prof != prof)
                        continue;
                    js_instance proto = {prof, 0, ai, t, cf->variant, cf->batch, cf->workers};
                    for (int n = 0; n < cf->nsol; n++)
                        if (take_slot(m, gp, ng, prof, &proto) != 0) {
                            free(gp);
                            return js_diag_set(d, JS_EXIT_INTERNAL,
                                               "placement: no free %s slot (solver counts inconsistent)",
                                               m->g->profiles[prof].name);
                        }
                }
        }
    int used = 0;
    for (int i = 0; i < ng; i++)
        used += gp[i].nused > 0;
    p->gpus = calloc((size_t)used + 1, sizeof *p->gpus);
    if (!p->gpus) {
        free(gp);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    p->ngpus = 0;
    p->slices_used = 0;
    for (int i = 0; i < ng; i++) {
        if (gp[i].nused == 0)
            continue;
        js_gpu_plan *g = &p->gpus[p->ngpus++];
        g->ninstances = gp[i].nused;
        memcpy(g->inst, gp[i].inst, sizeof g->inst);
        qsort(g->inst, (size_t)g->ninstances, sizeof g->inst[0], cmp_inst);
        for (int j = 0; j < g->ninstances; j++)
            p->slices_used += m->g->profiles[g->inst[j].profile].compute_slices;
    }
    p->gpus_used = p->ngpus;
    free(gp);
    if (spread_over_nodes(m, p, d) != 0)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    return 0;
}
