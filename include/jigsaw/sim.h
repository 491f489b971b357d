/* sim: discrete-event simulator replaying arrivals through a plan (README "The simulator";
 * semantics, metrics and validation in src/sim/NOTES.md; the model in docs/design.md
 * section 3).
 * The simulator is a stateful object so that the controller (study module) can run it
 * interval by interval and swap plans mid-run. Owner may extend (additively). */
#ifndef JIGSAW_SIM_H
#define JIGSAW_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include "jigsaw/diag.h"
#include "jigsaw/plan.h"
#include "jigsaw/scenario.h"
#include "jigsaw/trace.h"

/* JSED: join-shortest-expected-delay over the task's workers, each with its own queue;
 * RR: round-robin into per-worker queues; SHARED (addition): one FIFO per task from which
 * any free worker pulls its batch (work-conserving; M/M/c when batch = 1). */
typedef enum { JS_DISPATCH_JSED = 0, JS_DISPATCH_RR = 1, JS_DISPATCH_SHARED = 2 } js_dispatch_policy;
typedef enum { JS_SERVICE_LOGNORMAL = 0, JS_SERVICE_DETERMINISTIC = 1, JS_SERVICE_EXPONENTIAL = 2 } js_service_dist;

/* The law of the number of children an item spawns on each out-edge: EDGE, the edge's
 * own (jigsaw/dag.h js_fanout_dist, from the scenario); or, for every edge, POISSON with
 * the edge's mean, or MEAN: randomised rounding of the mean (floor + Bernoulli). */
typedef enum { JS_SIM_FANOUT_EDGE = 0, JS_SIM_FANOUT_POISSON = 1, JS_SIM_FANOUT_MEAN = 2 } js_sim_fanout;
/* Early dropping, when a batch is formed: PATH drops an item when now + the fastest
 * latency of the rest of its request's path exceeds the deadline -- its task's fastest
 * batch-1 mean plus, on every out-edge sure to spawn a child (fixed fan-out >= 1, or a
 * histogram without 0), the same figure of the child task, the largest over such edges;
 * LOCAL looks at the item's own task only (the rule before PATH). */
typedef enum { JS_DROP_PATH = 0, JS_DROP_LOCAL = 1 } js_drop_rule;

typedef struct js_sim_config {
    uint64_t seed;              /* the user's seed; service times and fan-out counts each draw
                                 * from their own stream derived from it (jigsaw/util.h) */
    double duration_s;          /* stop arrivals after this simulated time (0 = stream end) */
    js_dispatch_policy dispatch;
    js_service_dist service;
    double batch_timeout_ms;    /* 0: take what is queued when a worker frees (dynamic batching) */
    bool early_drop;            /* drop items that can no longer meet their deadline */
    js_drop_rule drop_rule;     /* ... by which rule (default PATH) */
    js_sim_fanout fanout;       /* children per item: each edge's law (default) or one for all */
    double timeline_interval_s; /* 0 = no timeline */
    const char *timeline_path;  /* CSV written atomically at the end, or NULL */
    /* Additions. Called about every 2^16 events from js_sim_run/js_sim_run_until (the
     * library itself never prints). */
    void (*progress)(void *ctx, double sim_time_s, uint64_t requests, uint64_t events);
    void *progress_ctx;
    /* Addition: the most requests the run may admit over all applications (the work
     * budget of jigsaw/limits.h; default JS_DEFAULT_MAX_REQUESTS). The request past it
     * ends the run with JS_EXIT_DATAERR naming the budget. */
    uint64_t max_requests;
} js_sim_config;

void js_sim_config_init(js_sim_config *c);

typedef struct js_latency_summary {
    double p50, p95, p99, max, mean; /* milliseconds */
} js_latency_summary;

typedef struct js_app_metrics {
    uint64_t requests, completed, late, dropped, in_flight;
    double violation_rate;      /* (late + dropped) / (completed + dropped) */
    js_latency_summary latency_ms;
    double accuracy;            /* traffic-weighted served PAS */
} js_app_metrics;

/* Per task (addition). */
typedef struct js_task_metrics {
    int app, task;
    int variant;               /* in the plan in force at the end */
    int workers;               /* up workers at the end */
    uint64_t items;            /* items served */
    uint64_t batches;
    double batch_mean;         /* items per batch */
    double utilisation;        /* busy worker-seconds / up worker-seconds */
    double queue_ms_mean;      /* mean wait from arrival at the task to batch start */
} js_task_metrics;

typedef struct js_sim_result {
    js_app_metrics total;
    int napps;
    js_app_metrics *apps;
    double slices_avg, gpus_avg; /* time-averaged over the run */
    uint64_t events;
    double sim_time_s, wall_s;
    /* Additions. */
    int ntasks;
    js_task_metrics *tasks;
    uint64_t items;            /* items served, all tasks */
    double arrival_rate;       /* requests / sim_time_s */
    double mean_in_system;     /* time-average requests in flight (Little's L) */
    double mean_sojourn_s;     /* mean time from arrival to completion or drop (W) */
    /* `events` counts every event handled: those through the event queue (request
     * arrivals, batch completions, batching timers, GPUs coming back, timeline ticks) plus
     * the zero-delay arrivals of child items at their task, which are handled inline
     * without the queue. heap_events counts the former only. */
    uint64_t heap_events;
} js_sim_result;

typedef struct js_sim js_sim; /* opaque */

/* One arrival source per application (arrivals[i] for scenario app i; NULL = none). */
int js_sim_create(const js_scenario *s, const js_plan *p, const js_sim_config *c,
                  js_arrivals **arrivals, js_sim **out, js_diag *d);
/* Advance simulated time to t (seconds). */
int js_sim_run_until(js_sim *sim, double t, js_diag *d);
/* Run until the arrival streams end (or duration) and the system drains. */
int js_sim_run(js_sim *sim, js_diag *d);
/* Switch to a new plan at the current time. Instances that exist in both plans on the
 * same GPU keep running; GPUs whose MIG layout changed are unavailable for downtime_s. */
int js_sim_apply_plan(js_sim *sim, const js_plan *p, double downtime_s, js_diag *d);
int js_sim_result_get(js_sim *sim, js_sim_result *out);
void js_sim_result_free(js_sim_result *r);
void js_sim_destroy(js_sim *sim);

/* Additions. Write the timeline CSV gathered so far (flushing the open interval);
 * js_sim_run calls it itself when config.timeline_path is set. Columns:
 * t_start_s,t_end_s,app,arrivals,completed,late,dropped,violation_rate,p50_ms,p95_ms,
 * p99_ms,max_ms,accuracy,slices,gpus -- one row per interval for each app and "all". */
int js_sim_write_timeline(js_sim *sim, const char *path, js_diag *d);
/* Relative error bound of the reported latency percentiles (histogram buckets). */
#define JS_SIM_LATENCY_REL_ERROR 0.00390625 /* 2^-8 */

cJSON *js_sim_result_to_json(const js_sim_result *r, const js_scenario *s);

#endif
