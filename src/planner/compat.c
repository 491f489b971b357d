/* Graph and GPU helpers the planner needs. Private (pl_ prefix) so that they never clash
 * with the core module's versions; they follow the contracts in dag.h, gpu.h, profile.h
 * and scenario.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool pl_is_source(const js_app *a, int t)
{
    if (a->nsources <= 0)
        return t == a->source;
    for (int k = 0; k < a->nsources; k++)
        if (a->sources[k] == t)
            return true;
    return false;
}

static int paths_from(const js_app *a, int t, js_path *cur, js_path *paths, int max_paths,
                      int n)
{
    if (n < 0)
        return n;
    cur->tasks[cur->len++] = t;
    bool sink = true;
    for (int e = 0; e < a->nedges && n >= 0; e++) {
        if (a->edges[e].from != t)
            continue;
        sink = false;
        n = paths_from(a, a->edges[e].to, cur, paths, max_paths, n);
    }
    if (sink && n >= 0) {
        if (n >= max_paths)
            n = -1;
        else
            paths[n++] = *cur;
    }
    cur->len--;
    return n;
}

int pl_paths(const js_app *a, js_path *paths, int max_paths)
{
    js_path cur;
    int n = 0;
    cur.len = 0;
    for (int t = 0; t < a->ntasks && n >= 0; t++)
        if (pl_is_source(a, t))
            n = paths_from(a, t, &cur, paths, max_paths, n);
    return n;
}

void pl_items_per_request(const js_app *a, const int *order, const int *variant,
                          double *items)
{
    for (int t = 0; t < a->ntasks; t++)
        items[t] = pl_is_source(a, t) ? 1.0 : 0.0;
    for (int k = 0; k < a->ntasks; k++) {
        int t = order[k];
        for (int e = 0; e < a->nedges; e++)
            if (a->edges[e].to == t)
                items[t] += items[a->edges[e].from] *
                            js_edge_fanout(&a->edges[e], variant ? variant[a->edges[e].from] : -1);
    }
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
        bool dominated = false;
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
