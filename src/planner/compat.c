/* Small graph and GPU helpers on top of the core dag and gpu modules. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner_internal.h"

bool pl_is_source(const js_app *a, int t)
{
    if (a->nsources <= 0)
        return t == a->source;
    for (int k = 0; k < a->nsources; k++)
        if (a->sources[k] == t)
            return true;
    return false;
}

static bool counts_le(const js_gpu_layout *a, const js_gpu_layout *b, int np)
{
    for (int p = 0; p < np; p++)
        if (a->count[p] > b->count[p])
            return false;
    return true;
}

/* Every valid layout whose per-profile counts no other layout's counts dominate: any
 * valid layout's counts are covered by one of these, which is all exact packing needs. */
int pl_enumerate_layouts(const js_gpu_type *g, js_gpu_layout **out, int *n)
{
    js_gpu_layout *v = NULL;
    int nv = 0;
    if (js_gpu_enumerate_layouts(g, 0, &v, &nv) != 0)
        return -1;
    int k = 0;
    for (int i = 0; i < nv; i++) {
        /* Segments use the primary profile of their compute size (gpu.h): a layout with
         * another one (1g.20gb) holds nothing the plan can use that its primary twin does
         * not, and would only add columns. */
        bool dominated = false;
        for (int p = 0; p < g->nprofiles && !dominated; p++)
            dominated = v[i].count[p] > 0 &&
                        js_gpu_profile_by_slices(g, g->profiles[p].compute_slices) != p;
        for (int j = 0; j < nv && !dominated; j++)
            if (j != i && counts_le(&v[i], &v[j], g->nprofiles) &&
                memcmp(v[i].count, v[j].count, sizeof v[i].count) != 0)
                dominated = true;
        for (int j = 0; j < k && !dominated; j++) /* same counts: keep the first */
            if (memcmp(v[i].count, v[j].count, sizeof v[i].count) == 0)
                dominated = true;
        if (!dominated)
            v[k++] = v[i];
    }
    *out = v;
    *n = k;
    return 0;
}
