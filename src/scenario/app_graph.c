/* scenario: an application's task graph, and the DAG queries of include/jigsaw/dag.h on a
 * js_app. The graph algorithms live in src/dag/dag.c and know only js_task_graph; this file
 * is the one-way bridge (scenario -> dag), and the only place that turns a cycle into a
 * message naming the task. */
#include "jigsaw/scenario.h"

#include <math.h>

js_task_graph js_app_graph(const js_app *a)
{
    js_task_graph g = {
        .ntasks = a->ntasks,
        .nedges = a->nedges,
        .edges = a->edges,
        /* Apps built in memory may leave nsources 0: then `source` is the only entry task. */
        .nsources = a->nsources > 0 ? a->nsources : 1,
        .sources = a->nsources > 0 ? a->sources : &a->source,
    };
    return g;
}

int js_dag_topo_order(const js_app *a, int *order, js_diag *d)
{
    js_task_graph g = js_app_graph(a);
    int t = 0;
    if (js_graph_topo_order(&g, order, &t) == 0)
        return 0;
    return js_diag_set(d, JS_EXIT_DATAERR, "task \"%s\" is on a cycle", a->tasks[t].name);
}

int js_dag_paths(const js_app *a, js_path *paths, int max_paths)
{
    js_task_graph g = js_app_graph(a);
    return js_graph_paths(&g, paths, max_paths);
}

void js_dag_items_per_request(const js_app *a, const int *variant_of_task, double *items)
{
    js_task_graph g = js_app_graph(a);
    js_graph_items_per_request(&g, variant_of_task, items);
}

void js_dag_longest_path_through(const js_app *a, int *len_through)
{
    js_task_graph g = js_app_graph(a);
    js_graph_longest_path_through(&g, len_through);
}

int js_dag_sinks(const js_app *a, int *sinks)
{
    js_task_graph g = js_app_graph(a);
    return js_graph_sinks(&g, sinks);
}

double js_dag_max_items_per_request(const js_app *a)
{
    /* Every edge at its largest fan-out over the parent's variants: an upper bound on the
     * items any choice of variants can make. */
    js_edge worst[JS_MAX_TASKS * 4];
    int ne = a->nedges < JS_MAX_TASKS * 4 ? a->nedges : JS_MAX_TASKS * 4;
    for (int e = 0; e < ne; e++) {
        worst[e] = a->edges[e];
        for (int v = 0; v < JS_MAX_VARIANTS; v++)
            if (!isnan(a->edges[e].fanout_by_variant[v]) &&
                a->edges[e].fanout_by_variant[v] > worst[e].fanout)
                worst[e].fanout = a->edges[e].fanout_by_variant[v];
    }
    js_task_graph g = js_app_graph(a);
    g.edges = worst;
    g.nedges = ne;
    double items[JS_MAX_TASKS], most = 0;
    js_graph_items_per_request(&g, NULL, items);
    for (int t = 0; t < a->ntasks; t++)
        if (!(items[t] <= most)) /* NAN (a cycle) is the most of all */
            most = items[t];
    return most;
}
