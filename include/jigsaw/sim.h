/* sim: discrete-event simulator replaying arrivals through a plan (DESIGN.md section 4).
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

typedef enum { JS_DISPATCH_JSED = 0, JS_DISPATCH_RR = 1 } js_dispatch_policy;
typedef enum { JS_SERVICE_LOGNORMAL = 0, JS_SERVICE_DETERMINISTIC = 1, JS_SERVICE_EXPONENTIAL = 2 } js_service_dist;

typedef struct js_sim_config {
    uint64_t seed;
    double duration_s;          /* stop arrivals after this simulated time (0 = stream end) */
    js_dispatch_policy dispatch;
    js_service_dist service;
    double batch_timeout_ms;    /* 0: take what is queued when a worker frees (dynamic batching) */
    bool early_drop;            /* drop items that can no longer meet their deadline */
    bool poisson_fanout;        /* random fan-out (Poisson with the edge's mean) vs rounded mean */
    double timeline_interval_s; /* 0 = no timeline */
    const char *timeline_path;  /* CSV written atomically at the end, or NULL */
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

typedef struct js_sim_result {
    js_app_metrics total;
    int napps;
    js_app_metrics *apps;
    double slices_avg, gpus_avg; /* time-averaged over the run */
    uint64_t events;
    double sim_time_s, wall_s;
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

cJSON *js_sim_result_to_json(const js_sim_result *r, const js_scenario *s);

#endif
