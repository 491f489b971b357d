/* dag: graph queries over a task DAG -- topological order, source->sink paths, items per
 * request, longest paths, sinks.
 *
 * The contract is js_task_graph: a task count, the edges (js_edge, with fan-outs per
 * parent variant) and the entry tasks, all borrowed from the caller. dag knows nothing of
 * scenarios: jigsaw/scenario.h builds its applications from js_edge, hands their graph
 * over with js_app_graph(), and keeps the js_dag_* queries on a js_app. Dependencies run
 * one way, scenario -> dag (scripts/check-deps.sh checks it). No allocation, no messages:
 * graphs are tiny (<= JS_MAX_TASKS tasks), so plain O(n^2) and O(n * edges) loops suffice. */
#ifndef JIGSAW_DAG_H
#define JIGSAW_DAG_H

#define JS_MAX_TASKS 32
#define JS_MAX_VARIANTS 16
#define JS_MAX_PATHS 256

/* The law of the number of child items one parent item spawns on an edge; its mean is
 * always the edge's fan-out (js_edge_fanout), which is all the planner's demand uses.
 * POISSON: Poisson with that mean (independent objects: the default, and the law before
 * edges had one). FIXED: the mean when it is an integer, else randomised rounding
 * (floor(m) + Bernoulli(m - floor(m))): a chain's one item per parent. EMPIRICAL: a
 * histogram of counts 0, 1, .., n-1, one for every parent variant or one per variant. */
typedef enum js_fanout_dist {
    JS_FANOUT_POISSON = 0,
    JS_FANOUT_FIXED = 1,
    JS_FANOUT_EMPIRICAL = 2,
} js_fanout_dist;

#define JS_FANOUT_HIST_MAX 1024 /* counts 0..1023 in one histogram */

typedef struct js_edge {
    int from, to;       /* task indices */
    double fanout;      /* mean child items per parent item (>= 0); when the file gives
                         * only fanout_by_variant, their maximum (never underestimates) */
    /* Per parent variant fan-out, or all NAN to use `fanout` for every variant. */
    double fanout_by_variant[JS_MAX_VARIANTS];
    js_fanout_dist dist;
    /* EMPIRICAL: probabilities (normalised, summing to 1) of 0..hist_len[v]-1 children when
     * the parent runs variant v; the arrays are owned by whoever built the edge (a loaded
     * scenario frees them). The means above are the histograms' means. */
    const double *hist[JS_MAX_VARIANTS];
    int hist_len[JS_MAX_VARIANTS];
} js_edge;

/* Fan-out (mean) of edge e when its parent runs variant v. */
double js_edge_fanout(const js_edge *e, int parent_variant);
/* "poisson", "fixed", "empirical"; js_fanout_dist_from_name: -1 when unknown. */
const char *js_fanout_dist_name(js_fanout_dist d);
int js_fanout_dist_from_name(const char *name);
/* E[g^N] (probability generating function) of the edge's count N for parent variant v, g
 * in [0, 1]; and E[N^2]. */
double js_edge_count_pgf(const js_edge *e, int parent_variant, double g);
double js_edge_count_ex2(const js_edge *e, int parent_variant);
/* The fewest children the edge can spawn for parent variant v (0 for Poisson). */
int js_edge_count_min(const js_edge *e, int parent_variant);

/* A task graph: tasks 0..ntasks-1, edges[0..nedges), entry tasks sources[0..nsources)
 * (tasks without parents, each receiving one item per request; nsources >= 1 when
 * ntasks > 0). */
typedef struct js_task_graph {
    int ntasks;
    int nedges;
    const js_edge *edges;
    int nsources;
    const int *sources;
} js_task_graph;

typedef struct js_path {
    int len;
    int tasks[JS_MAX_TASKS]; /* source first */
} js_path;

/* Topological order of the tasks (sources first, ties by index). Returns 0, or -1 when
 * the graph has a cycle; then *on_cycle (when not NULL) is a task on one. */
int js_graph_topo_order(const js_task_graph *g, int *order, int *on_cycle);

/* Every source->sink path (from every entry task). Returns the number of paths (>= 0), or
 * -1 when more than max_paths exist. */
int js_graph_paths(const js_task_graph *g, js_path *paths, int max_paths);

/* Expected items per request reaching each task, given the variant of every task:
 * items[s] = 1 for every entry task s; items[t] = sum over in-edges e of
 * items[e.from] * fanout(e, v[e.from]). `variant_of_task` may be NULL (then each edge's
 * default fanout is used). All NAN on a cyclic graph. */
void js_graph_items_per_request(const js_task_graph *g, const int *variant_of_task,
                                double *items);

/* Length (in tasks) of the longest source->sink path through each task (all 0 on a
 * cyclic graph). */
void js_graph_longest_path_through(const js_task_graph *g, int *len_through);

/* Sinks: tasks without children. Returns their count, indices in `sinks`. */
int js_graph_sinks(const js_task_graph *g, int *sinks);

#endif
