/* plan: a deployment plan -- what the planner outputs and the simulator replays.
 *
 * Per application and task: the chosen variant and its segments. A segment is one MIG
 * instance running `workers` MPS workers of the task's variant at batch size `batch`;
 * `count` identical segments may exist. Per GPU: the placed MIG instances and what each
 * runs. The JSON form (`jigsaw plan --json`, read by `jigsaw simulate --plan`) is
 * documented in the README.
 */
#ifndef JIGSAW_PLAN_H
#define JIGSAW_PLAN_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "jigsaw/diag.h"
#include "jigsaw/gpu.h"
#include "jigsaw/scenario.h"

#define JS_MAX_SEGMENT_KINDS 64

typedef struct js_segment {
    int mig;            /* compute slices of the instance (1, 2, 3, 4, 7) */
    int workers;        /* MPS workers in the instance */
    int batch;          /* batch size */
    int count;          /* number of such instances */
    double throughput;  /* items/s of ONE instance (per-worker throughput x workers) */
    double lat_mean_ms; /* per-batch latency of one worker under this co-location */
    double lat_p95_ms;
} js_segment;

typedef struct js_task_plan {
    int task;           /* index in the app */
    int variant;        /* index in the task */
    double demand;      /* items/s this task must serve at the plan's demand */
    double latency_budget_ms; /* the rule's statistic of the chosen configuration(s) */
    int nsegments;
    js_segment segments[JS_MAX_SEGMENT_KINDS];
    /* Addition: planned demand / profiled capacity of the task's segments (NAN unknown). */
    double utilisation;
} js_task_plan;

typedef struct js_app_plan {
    int app;            /* index in the scenario */
    double rate;        /* requests/s planned for */
    double pas;         /* product of chosen variants' normalised accuracies */
    int npaths;
    double path_latency_ms[256]; /* per source->sink path (js_dag_paths order): sum of stats */
    int ntasks;
    js_task_plan tasks[JS_MAX_TASKS];
    /* Addition: the queueing model's prediction at the planned rate (qmodel.h); NAN when
     * not predicted, INFINITY when some task is loaded to or past its capacity. */
    double predicted_p50_ms, predicted_p99_ms;
    double predicted_violation_rate;
} js_app_plan;

typedef struct js_instance {
    int profile;        /* index into the GPU type's MIG profiles */
    int start;          /* memory-slot start position */
    int app, task, variant;
    int batch, workers;
} js_instance;

typedef struct js_gpu_plan {
    int ninstances;
    js_instance inst[JS_MAX_INSTANCES_PER_GPU];
} js_gpu_plan;

/* Solver statistics of the plan (additive). */
typedef struct js_plan_stats {
    int solves;          /* MILP solves (objective stages, demand search) */
    long nodes;          /* branch-and-bound nodes over all solves */
    double seconds;      /* wall time spent planning */
    double cpu_seconds;  /* processor time spent planning (this process) */
    int rows, cols, int_cols; /* size of the (first) MILP */
    int configs_raw;     /* configurations the system allows */
    int configs;         /* after dominance and budget pruning */
} js_plan_stats;

typedef struct js_plan {
    char system[16];        /* canonical system name, e.g. "A+S+T" */
    bool feasible;
    char status[32];        /* "optimal", "feasible" (time limit, gap > 0), "infeasible", ... */
    double objective;       /* slices used (primary objective) */
    double bound;           /* best proven bound on the objective */
    double gap;             /* relative gap, 0 when proven optimal */
    double demand_scale;    /* multiplier applied to every app's scenario rate */
    int slices_used;
    int gpus_used;
    int napps;
    js_app_plan *apps;
    int ngpus;
    js_gpu_plan *gpus;
    /* Additive fields. */
    char objective_kind[16]; /* "slices" (min-slices plan) or "demand_scale" (max demand) */
    double demand_scale_bound; /* max demand: proven upper bound on the scale; else NAN */
    int gpus_total;          /* cluster size the plan was made for */
    js_plan_stats stats;
    char rule[8];            /* latency rule planned with: "paper" or "safe" ("" unknown) */
    double target_quantile;  /* safe rule: end-to-end latency quantile held within the SLO */
    int scaled_app;          /* max demand of one application (the others at their rates):
                                its index, demand_scale its scale; -1 every application */
} js_plan;

void js_plan_init(js_plan *p);
void js_plan_free(js_plan *p);
/* Deep copy into dst (which is overwritten, not freed): 0, or -1 out of memory. */
int js_plan_copy(const js_plan *src, js_plan *dst);
/* The plan serving f x its demand with the same instances: demand scale, every
 * application's rate and every task's demand times f (the objective of a maximum-demand
 * plan, its scale, with them). */
void js_plan_scale_demand(js_plan *p, double f);
/* The largest factor f by which the plan's segments, each loaded to at most
 * max_utilisation of its throughput, can multiply every task's demand (INFINITY when no
 * task has demand). */
double js_plan_capacity_factor(const js_plan *p, double max_utilisation);

/* What a plan costs at the cluster's price (js_cluster_price; README "Plan"): the GPUs it
 * uses times USD per GPU-hour, and that over the requests it serves in an hour at its
 * planned rates, per million requests. NAN when the price is unknown or the plan is
 * infeasible; per million also when no request is planned. Every consumer (plan JSON and
 * table, the capacity study) takes its costs from here. */
double js_plan_cost_per_hour(const js_plan *p, const js_scenario *s);
double js_plan_cost_per_million(const js_plan *p, const js_scenario *s);

/* Serialise (with names resolved through the scenario) and parse back. Parsing checks
 * names against the scenario and every layout against the placement rules. The costs
 * written ("price_per_gpu_hour_usd", "cost_per_hour_usd", "cost_per_million_requests_usd",
 * when the price is known) are derived: on reading they must be numbers and are otherwise
 * ignored, the scenario's price being the one that counts. */
cJSON *js_plan_to_json(const js_plan *p, const js_scenario *s);
int js_plan_from_json(js_jctx *c, const cJSON *root, const js_scenario *s, js_plan *out);
int js_plan_load(const char *path, const js_scenario *s, js_plan *out, js_diag *d);

#endif
