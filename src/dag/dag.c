/* dag: graph utilities over an application's task DAG; see include/jigsaw/dag.h.
 * Graphs are tiny (<= JS_MAX_TASKS tasks), so plain O(n^2) and O(n * edges) loops suffice. */
#include "jigsaw/dag.h"

#include <math.h>
#include <string.h>

int js_dag_topo_order(const js_app *a, int *order, js_diag *d)
{
    int n = a->ntasks, indeg[JS_MAX_TASKS] = {0};
    bool done[JS_MAX_TASKS] = {false};
    for (int e = 0; e < a->nedges; e++)
        indeg[a->edges[e].to]++;
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
                for (int e = 0; e < a->nedges; e++)
                    if (a->edges[e].to == t && !done[a->edges[e].from]) {
                        t = a->edges[e].from;
                        break;
                    }
            return js_diag_set(d, JS_EXIT_DATAERR, "task \"%s\" is on a cycle",
                               a->tasks[t].name);
        }
        order[k] = pick;
        done[pick] = true;
        for (int e = 0; e < a->nedges; e++)
            if (a->edges[e].from == pick)
                indeg[a->edges[e].to]--;
    }
    return 0;
}

static bool has_children(const js_app *a, int t)
{
    for (int e = 0; e < a->nedges; e++)
        if (a->edges[e].from == t)
            return true;
    return false;
}

typedef struct path_walk {
    const js_app *a;
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
    if (!has_children(w->a, t)) {
        if (w->n >= w->max_paths)
            ok = false;
        else
            w->paths[w->n++] = w->cur;
    } else {
        for (int e = 0; e < w->a->nedges && ok; e++)
            if (w->a->edges[e].from == t)
                ok = walk(w, w->a->edges[e].to);
    }
    w->cur.len--;
    return ok;
}

int js_dag_paths(const js_app *a, js_path *paths, int max_paths)
{
    if (a->ntasks == 0)
        return 0;
    path_walk w;
    memset(&w, 0, sizeof w);
    w.a = a;
    w.paths = paths;
    w.max_paths = max_paths;
    /* Apps built in memory may leave nsources 0: then `source` is the only entry task. */
    int nsrc = a->nsources > 0 ? a->nsources : 1;
    for (int i = 0; i < nsrc; i++)
        if (!walk(&w, a->nsources > 0 ? a->sources[i] : a->source))
            return -1;
    return w.n;
}

void js_dag_items_per_request(const js_app *a, const int *variant_of_task, double *items)
{
    int order[JS_MAX_TASKS];
    for (int t = 0; t < a->ntasks; t++)
        items[t] = 0.0;
    if (js_dag_topo_order(a, order, NULL) != 0) {
        for (int t = 0; t < a->ntasks; t++)
            items[t] = NAN;
        return;
    }
    if (a->nsources > 0)
        for (int i = 0; i < a->nsources; i++)
            items[a->sources[i]] = 1.0;
    else
        items[a->source] = 1.0;
    for (int k = 0; k < a->ntasks; k++) {
        int t = order[k];
        for (int e = 0; e < a->nedges; e++) {
            const js_edge *ed = &a->edges[e];
            if (ed->from != t)
                continue;
            double f = variant_of_task != NULL ? js_edge_fanout(ed, variant_of_task[t])
                                               : ed->fanout;
            items[ed->to] += items[t] * f;
        }
    }
}

void js_dag_longest_path_through(const js_app *a, int *len_through)
{
    int order[JS_MAX_TASKS], down[JS_MAX_TASKS], up[JS_MAX_TASKS];
    if (js_dag_topo_order(a, order, NULL) != 0) {
        for (int t = 0; t < a->ntasks; t++)
            len_through[t] = 0;
        return;
    }
    /* up[t]: most tasks on a path from a source to t (inclusive); down[t]: from t to a sink. */
    for (int t = 0; t < a->ntasks; t++)
        up[t] = down[t] = 1;
    for (int k = 0; k < a->ntasks; k++) {
        int t = order[k];
        for (int e = 0; e < a->nedges; e++)
            if (a->edges[e].from == t && up[t] + 1 > up[a->edges[e].to])
                up[a->edges[e].to] = up[t] + 1;
    }
    for (int k = a->ntasks - 1; k >= 0; k--) {
        int t = order[k];
        for (int e = 0; e < a->nedges; e++)
            if (a->edges[e].from == t && down[a->edges[e].to] + 1 > down[t])
                down[t] = down[a->edges[e].to] + 1;
    }
    for (int t = 0; t < a->ntasks; t++)
        len_through[t] = up[t] + down[t] - 1;
}

int js_dag_sinks(const js_app *a, int *sinks)
{
    int n = 0;
    for (int t = 0; t < a->ntasks; t++)
        if (!has_children(a, t))
            sinks[n++] = t;
    return n;
}
