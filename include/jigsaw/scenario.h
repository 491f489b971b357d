/* scenario: applications (task DAGs with variants, fan-outs and SLOs) on one cluster.
 *
 * A scenario file holds one or more applications that share one cluster. Profiles are
 * found at <profiles>/<gpu>/<variant.profile>.json and the GPU type at
 * <profiles>/gpus/<gpu>.json, where <profiles> is the scenario's "profiles" member
 * (default "../profiles"), relative to the scenario file's directory, and <gpu> is
 * cluster.gpu. Switching cluster.gpu switches every profile with it. A GPU type missing
 * there, or a missing profiles directory, is looked up on the data search path (util.h;
 * docs/design.md section 1). cluster.gpus_per_node (default 8) sizes the nodes of the
 * deployment exports and the nodes whose CPU cores worker processes share.
 * cluster.price_per_gpu_hour (USD, > 0) replaces the GPU type's price for the file's own
 * GPU type; a GPU type given instead on the command line keeps its own price (a warning
 * says so), since the file's figure was for another GPU.
 *
 * Host-side costs (jigsaw/host.h, docs/host-model.md): an optional top-level "host"
 * object {"regime": "none" | "calibrated", "ms_per_item", "ms_per_batch", "ms_per_token"}
 * (default: regime none, no host time, the GPU-bound results) and cluster
 * "cpu_cores_per_node" or "cpu_cores_per_gpu" (default: unlimited). The cost resolved
 * for each variant is applied to its profile's entries when the scenario loads, so every
 * consumer of the scenario sees configurations with host time included.
 */
#ifndef JIGSAW_SCENARIO_H
#define JIGSAW_SCENARIO_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "jigsaw/dag.h"
#include "jigsaw/diag.h"
#include "jigsaw/gpu.h"
#include "jigsaw/host.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/profile.h"

typedef struct js_variant {
    char name[JS_NAME_MAX];
    char profile_name[JS_NAME_MAX]; /* profile file stem */
    double accuracy;                /* as published, in `metric`'s unit (> 0); NAN when
                                     * omitted (allowed only for a task's single variant) */
    double accuracy_norm;           /* accuracy / best accuracy in the task, in (0, 1] */
    char metric[JS_NAME_MAX];       /* e.g. "ImageNet top-1 (%)" */
    char accuracy_source[256];
    const js_profile *profile;      /* resolved; owned by the scenario's profile set */
    js_host_cost host;              /* host cost included in the profile's entries (all 0:
                                     * GPU-bound); the simulator splits it off again */
} js_variant;

typedef struct js_task {
    char name[JS_NAME_MAX];
    int nvariants;
    js_variant variants[JS_MAX_VARIANTS];
} js_task;

typedef enum js_latency_stat { JS_LAT_P95 = 0, JS_LAT_MEAN = 1 } js_latency_stat;

/* The latency rule: for every source->sink path, sum over its tasks of
 * stat(batch latency of the chosen configuration) <= slo_fraction * latency SLO.
 * The paper's rule is {p95, 0.5} (2 x p95 <= SLO); ParvaGPU's is {mean, 0.45}. */
typedef struct js_latency_rule {
    js_latency_stat stat;
    double slo_fraction;
} js_latency_rule;

typedef struct js_app {
    char name[JS_NAME_MAX];
    char description[1024];
    int ntasks;
    js_task tasks[JS_MAX_TASKS];
    int nedges;
    js_edge edges[JS_MAX_TASKS * 4]; /* js_edge, JS_MAX_TASKS: jigsaw/dag.h */
    double *edge_hist[JS_MAX_TASKS * 4]; /* owns edges[e].hist (empirical fan-outs), or NULL */
    int source;              /* the first (usually only) entry task = sources[0] */
    /* Entry tasks: tasks without parents, each receiving one item per request. An app
     * has exactly one unless it lists them in "sources" (parallel branches fed by the
     * same request, e.g. Social Media: classifier and captioner on one image); the
     * listed set must equal the parentless set, so a stray disconnected task is still
     * an error ("no single source"). */
    int nsources;
    int sources[JS_MAX_TASKS];
    double latency_slo_ms;   /* > 0 */
    double accuracy_slo;     /* PAS floor in (0, 1] */
    js_latency_rule rule;
    double rate;             /* demand at the source, requests/s (>= 0) */
    char trace[JS_PATH_MAX]; /* optional trace reference (relative to scenario), "" if none */
} js_app;

#define JS_DEFAULT_GPUS_PER_NODE 8
typedef struct js_cluster {
    char gpu_name[JS_NAME_MAX];
    js_gpu_type gpu;
    int gpus;                /* >= 1 */
    int max_workers;         /* allowed MPS workers per instance (<= gpu.max_mps_workers) */
    int gpus_per_node;       /* GPUs of one node (deployment exports), default 8 */
    int cpu_cores_per_node;  /* CPU cores one node's worker processes share; 0 = unlimited
                              * (given per GPU in the file: times gpus_per_node) */
    double price_per_gpu_hour; /* USD: cluster.price_per_gpu_hour, else the GPU type's;
                                * NAN unknown (js_cluster_price) */
} js_cluster;

typedef struct js_scenario {
    char file[JS_PATH_MAX];
    char name[JS_NAME_MAX];
    char description[2048];
    char profiles_dir[JS_PATH_MAX]; /* resolved directory holding gpus/ and <gpu>/ */
    int napps;
    js_app *apps;
    js_cluster cluster;
    js_profile_set profiles;        /* profiles of cluster.gpu */
    js_host_spec host;              /* the file's "host" merged with the loader's override */
    js_host_defaults *host_defaults; /* loaded when a variant needs a family default */
} js_scenario;

/* Options of js_scenario_load_opts; js_scenario_opts_default() changes nothing. */
typedef struct js_scenario_opts {
    const char *gpu;                /* GPU type override, NULL: the file's */
    js_host_spec host;              /* merged over the file's "host" (command line) */
    int cpu_cores_per_node;         /* >= 0 replaces the file's; -1 keeps it */
} js_scenario_opts;

js_scenario_opts js_scenario_opts_default(void);

/* Load, validate and resolve a scenario. Errors: 66 missing file, 65 invalid (message
 * names file and JSON path). Warnings (e.g. an SLO no profiled configuration can ever
 * meet) go to d->warnings. */
int js_scenario_load(const char *path, js_scenario *out, js_diag *d);
/* Same, but with the GPU type overridden (profiles re-resolved for that GPU). */
int js_scenario_load_gpu(const char *path, const char *gpu_override, js_scenario *out,
                         js_diag *d);
int js_scenario_load_opts(const char *path, const js_scenario_opts *o, js_scenario *out,
                          js_diag *d);
void js_scenario_free(js_scenario *s);
/* The host cost of profile `profile_name` under the scenario's host spec (regime default
 * of its family, then the spec's given fields); 65/66 when the defaults file is bad. */
int js_scenario_host_cost(js_scenario *s, const char *profile_name, js_host_cost *out,
                          js_diag *d);
/* The cluster's price in USD per GPU-hour, NAN when unknown (also for a cluster built in
 * memory, whose zeroed price is no price). */
double js_cluster_price(const js_cluster *cl);
/* CPU cores of a cluster of `gpus` GPUs of cl's nodes (0 = unlimited). */
long js_cluster_cpu_cores(const js_cluster *cl, int gpus);
cJSON *js_scenario_to_json(const js_scenario *s);

int js_app_task_by_name(const js_app *a, const char *name);
/* A JSON array of the names of tasks[0..n) of app a (e.g. its entry tasks or one path);
 * NULL when out of memory. */
cJSON *js_app_task_names_json(const js_app *a, const int *tasks, int n);

/* The application's task graph for the queries of jigsaw/dag.h (borrows a's arrays; an
 * app built in memory with nsources 0 has `source` as its only entry task). */
js_task_graph js_app_graph(const js_app *a);

/* The DAG queries of jigsaw/dag.h on an application (src/scenario/app_graph.c). */
/* Topological order; JS_EXIT_DATAERR naming a task on a cycle. */
int js_dag_topo_order(const js_app *a, int *order, js_diag *d);
/* Every source->sink path; -1 when more than max_paths exist. */
int js_dag_paths(const js_app *a, js_path *paths, int max_paths);
/* Expected items per request reaching each task (variant_of_task may be NULL). */
void js_dag_items_per_request(const js_app *a, const int *variant_of_task, double *items);
/* The most items per request any task can receive, every edge at its largest fan-out
 * over the parent's variants (NAN on a cyclic graph). */
double js_dag_max_items_per_request(const js_app *a);
/* Length (in tasks) of the longest source->sink path through each task. */
void js_dag_longest_path_through(const js_app *a, int *len_through);
/* Sinks: tasks without children. Returns their count, indices in `sinks`. */
int js_dag_sinks(const js_app *a, int *sinks);

#endif
