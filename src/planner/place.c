/* Placement: turn per-layout GPU counts and per-configuration instance counts into an
 * explicit GPU-by-GPU MIG layout. The MILP's packing rows guarantee that every instance
 * finds a slot of its profile. */
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
    return 0;
}
