/* dag: graph queries over a task DAG (js_task_graph); the contract is in
 * include/jigsaw/dag.h. Graphs are tiny (<= JS_MAX_TASKS tasks), so plain O(n^2) and
 * O(n * edges) loops suffice. */
#include "jigsaw/dag.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

double js_edge_fanout(const js_edge *e, int parent_variant)
{
    if (parent_variant >= 0 && parent_variant < JS_MAX_VARIANTS &&
        !isnan(e->fanout_by_variant[parent_variant]))
        return e->fanout_by_variant[parent_variant];
    return e->fanout;
}

const char *js_fanout_dist_name(js_fanout_dist d)
{
    switch (d) {
    case JS_FANOUT_FIXED:
        return "fixed";
    case JS_FANOUT_EMPIRICAL:
        return "empirical";
    case JS_FANOUT_POISSON:
    default:
        return "poisson";
    }
}

int js_fanout_dist_from_name(const char *name)
{
    for (int d = JS_FANOUT_POISSON; d <= JS_FANOUT_EMPIRICAL; d++)
        if (strcmp(name, js_fanout_dist_name((js_fanout_dist)d)) == 0)
            return d;
    return -1;
}

static const double *edge_hist(const js_edge *e, int v, int *len)
{
    if (e->dist != JS_FANOUT_EMPIRICAL || v < 0 || v >= JS_MAX_VARIANTS || e->hist[v] == NULL)
        return NULL;
    *len = e->hist_len[v];
    return e->hist[v];
}

double js_edge_count_pgf(const js_edge *e, int parent_variant, double g)
{
    double f = js_edge_fanout(e, parent_variant);
    int n = 0;
    const double *h = edge_hist(e, parent_variant, &n);
    if (h != NULL) {
        double sum = 0.0; /* Horner: p0 + g (p1 + g (p2 + ...)) */
        for (int k = n - 1; k >= 0; k--)
            sum = h[k] + g * sum;
        return sum;
    }
    if (e->dist == JS_FANOUT_FIXED) {
        double fl = floor(f), r = f - fl;
        return pow(g, fl) * (1.0 - r + r * g);
    }
    return exp(-f * (1.0 - g));
}

double js_edge_count_ex2(const js_edge *e, int parent_variant)
{
    double f = js_edge_fanout(e, parent_variant);
    int n = 0;
    const double *h = edge_hist(e, parent_variant, &n);
    if (h != NULL) {
        double ex2 = 0.0;
        for (int k = 0; k < n; k++)
            ex2 += h[k] * (double)k * (double)k;
        return ex2;
    }
    if (e->dist == JS_FANOUT_FIXED) {
        double fl = floor(f), r = f - fl;
        return (1.0 - r) * fl * fl + r * (fl + 1.0) * (fl + 1.0);
    }
    return f + f * f;
}

int js_edge_count_min(const js_edge *e, int parent_variant)
{
    int n = 0;
    const double *h = edge_hist(e, parent_variant, &n);
    if (h != NULL) {
        for (int k = 0; k < n; k++)
            if (h[k] > 0)
                return k;
        return 0;
    }
    if (e->dist == JS_FANOUT_FIXED)
        return (int)floor(js_edge_fanout(e, parent_variant));
    return 0;
}

int js_graph_topo_order(const js_task_graph *g, int *order, int *on_cycle)
{
    int n = g->ntasks, indeg[JS_MAX_TASKS] = {0};
    bool done[JS_MAX_TASKS] = {false};
    for (int e = 0; e < g->nedges; e++)
        indeg[g->edges[e].to]++;
    for (int k = 0; k < n; k++) {
        int pick = -1;
        for (int t = 0; t < n && pick < 0; t++) /* ties by index: smallest ready task */
            if (!done[t] && indeg[t] == 0)
                pick = t;
        if (pick < 0) {
            /* Walk parents among the remaining tasks n times: we must end on a cycle. */
            int t = 0;
            while (done[t])
                t++;
            for (int step = 0; step < n; step++)
                for (int e = 0; e < g->nedges; e++)
                    if (g->edges[e].to == t && !done[g->edges[e].from]) {
                        t = g->edges[e].from;
                        break;
                    }
            if (on_cycle)
                *on_cycle = t;
            return -1;
        }
        order[k] = pick;
        done[pick] = true;
        for (int e = 0; e < g->nedges; e++)
            if (g->edges[e].from == pick)
                indeg[g->edges[e].to]--;
    }
    return 0;
}

static bool has_children(const js_task_graph *g, int t)
{
    for (int e = 0; e < g->nedges; e++)
        if (g->edges[e].from == t)
            return true;
    return false;
}

typedef struct path_walk {
    const js_task_graph *g;
    js_path *paths;
    int max_paths, n;
    js_path cur;
} path_walk;

/* Depth-first in edge order; returns false once more than max_paths exist. */
static bool walk(path_walk *w, int t)
{
    if (w->cur.len >= JS_MAX_TASKS) /* only a cyclic graph gets here */
        return false;
    w->cur.tasks[w->cur.len++] = t;
    bool ok = true;
    if (!has_children(w->g, t)) {
        if (w->n >= w->max_paths)
            ok = false;
        else
            w->paths[w->n++] = w->cur;
    } else {
        for (int e = 0; e < w->g->nedges && ok; e++)
            if (w->g->edges[e].from == t)
                ok = walk(w, w->g->edges[e].to);
    }
    w->cur.len--;
    return ok;
}

int js_graph_paths(const js_task_graph *g, js_path *paths, int max_paths)
{
    if (g->ntasks == 0)
        return 0;
    path_walk w;
    memset(&w, 0, sizeof w);
    w.g = g;
    w.paths = paths;
    w.max_paths = max_paths;
    for (int i = 0; i < g->nsources; i++)
        if (!walk(&w, g->sources[i]))
            return -1;
    return w.n;
}

void js_graph_items_per_request(const js_task_graph *g, const int *variant_of_task,
                                double *items)
{
    int order[JS_MAX_TASKS];
    for (int t = 0; t < g->ntasks; t++)
        items[t] = 0.0;
    if (js_graph_topo_order(g, order, NULL) != 0) {
        for (int t = 0; t < g->ntasks; t++)
            items[t] = NAN;
        return;
    }
    for (int i = 0; i < g->nsources; i++)
        items[g->sources[i]] = 1.0;
    for (int k = 0; k < g->ntasks; k++) {
        int t = order[k];
        for (int e = 0; e < g->nedges; e++) {
            const js_edge *ed = &g->edges[e];
            if (ed->from != t)
                continue;
            double f = variant_of_task != NULL ? js_edge_fanout(ed, variant_of_task[t])
                                               : ed->fanout;
            items[ed->to] += items[t] * f;
        }
    }
}

void js_graph_longest_path_through(const js_task_graph *g, int *len_through)
{
    int order[JS_MAX_TASKS], down[JS_MAX_TASKS], up[JS_MAX_TASKS];
    if (js_graph_topo_order(g, order, NULL) != 0) {
        for (int t = 0; t < g->ntasks; t++)
            len_through[t] = 0;
        return;
    }
    /* up[t]: most tasks on a path from a source to t (inclusive); down[t]: from t to a sink. */
    for (int t = 0; t < g->ntasks; t++)
        up[t] = down[t] = 1;
    for (int k = 0; k < g->ntasks; k++) {
        int t = order[k];
        for (int e = 0; e < g->nedges; e++)
            if (g->edges[e].from == t && up[t] + 1 > up[g->edges[e].to])
                up[g->edges[e].to] = up[t] + 1;
    }
    for (int k = g->ntasks - 1; k >= 0; k--) {
        int t = order[k];
        for (int e = 0; e < g->nedges; e++)
            if (g->edges[e].from == t && down[g->edges[e].to] + 1 > down[t])
                down[t] = down[g->edges[e].to] + 1;
    }
    for (int t = 0; t < g->ntasks; t++)
        len_through[t] = up[t] + down[t] - 1;
}

int js_graph_sinks(const js_task_graph *g, int *sinks)
{
    int n = 0;
    for (int t = 0; t < g->ntasks; t++)
        if (!has_children(g, t))
            sinks[n++] = t;
    return n;
}
