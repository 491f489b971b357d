/* dag: graph utilities over an application's task DAG. */
#ifndef JIGSAW_DAG_H
#define JIGSAW_DAG_H

#include "jigsaw/diag.h"
#include "jigsaw/scenario.h"

#define JS_MAX_PATHS 256

typedef struct js_path {
    int len;
    int tasks[JS_MAX_TASKS]; /* source first */
} js_path;

/* Topological order of the tasks (sources first, ties by index). Returns 0, or
 * JS_EXIT_DATAERR naming a task on a cycle. */
int js_dag_topo_order(const js_app *a, int *order, js_diag *d);

/* Every source->sink path (from every entry task in a->sources). Returns the number of paths (>= 0), or -1 when more than
 * max_paths exist. */
int js_dag_paths(const js_app *a, js_path *paths, int max_paths);

/* Expected items per request reaching each task, given the variant of every task:
 * items[s] = 1 for every entry task s in a->sources; items[t] = sum over in-edges e of items[e.from] * fanout(e, v[e.from]).
 * `variant_of_task` may be NULL (then each edge's default fanout is used). */
void js_dag_items_per_request(const js_app *a, const int *variant_of_task, double *items);

/* Length (in tasks) of the longest source->sink path through each task. */
void js_dag_longest_path_through(const js_app *a, int *len_through);

/* Sinks: tasks without children. Returns their count, indices in `sinks`. */
int js_dag_sinks(const js_app *a, int *sinks);

#endif
