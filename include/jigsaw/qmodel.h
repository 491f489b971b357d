/* qmodel: the planner's queueing model of a task's item latency (waiting + service), and
 * the end-to-end latency distribution of a plan predicted from it.
 *
 * The safe planning rule (`--rule safe`, planner.h) needs, for a configuration loaded to
 * a utilisation u, a quantile of the time an item spends at a task: waiting for a worker
 * to take it into a batch, then that batch's service. docs/queueing-model.md derives the
 * approximation, says where it is exact (M/M/c and M/G/c through Allen-Cunneen at batch 1,
 * deterministic light load) and where it is not (dynamic batching near saturation, bursty
 * arrivals behind a fan-out), and gives its measured error against the simulator.
 *
 * Pure functions of their arguments: no allocation except in js_qm_predict_plan, no
 * randomness, no global state. Times are in milliseconds, rates in items/s.
 */
#ifndef JIGSAW_QMODEL_H
#define JIGSAW_QMODEL_H

#include <stdbool.h>
#include "jigsaw/diag.h"
#include "jigsaw/plan.h"
#include "jigsaw/profile.h"
#include "jigsaw/scenario.h"

#define JS_QM_MAX_BATCH 512

/* Service of one worker configuration, as the simulator draws it: a batch of n items
 * (1 <= n <= batch) takes a lognormal time with mean mean_ms[n] and shape sigma[n]
 * (sigma 0 = deterministic). Index 0 is unused. */
typedef struct js_qm_service {
    int batch;                        /* the configuration's batch cap b */
    int workers_per_instance;         /* MPS workers of one instance (k) */
    double thr_worker;                /* items/s of one worker at batch b */
    double mean_ms[JS_QM_MAX_BATCH + 1];
    double sigma[JS_QM_MAX_BATCH + 1];
} js_qm_service;

/* Fill `sv` for a worker of `prof` on a MIG instance of `mig` slices with `workers` MPS
 * workers at batch cap `batch`, following the simulator's rule: the entry for the batch
 * formed, else the nearest larger one up to the cap, else the cap's own latency.
 * `cap_mean_ms`/`cap_p95_ms`/`thr_worker` describe the cap (the plan's segment or the
 * profile entry); p95 NAN or <= mean gives deterministic service. 0 ok, -1 bad input. */
int js_qm_service_from_profile(const js_profile *prof, int mig, int workers, int batch,
                               double cap_mean_ms, double cap_p95_ms, double thr_worker,
                               js_qm_service *sv);

/* The load one task puts on one pool of identical workers. */
typedef struct js_qm_load {
    double rate;        /* items/s offered to the pool */
    int workers;        /* workers sharing the task's items (JSED pools them) */
    double burst;       /* index of dispersion of the item arrivals: 1 = Poisson; items
                           that arrive together behind a fan-out f: 1 + f (Poisson fan-out) */
} js_qm_load;

#define JS_QM_MAX_STEPS 32

/* The item latency distribution at a pool: T = W1 + W2 + S (docs/queueing-model.md).
 * The profile's service curve is a staircase: a batch of n takes the latency of the
 * smallest profiled batch >= n, so the batch sizes fall into `nsteps` steps. A worker's
 * successive batches form a Markov chain over the steps (the next batch holds the
 * arrivals during this one, Poisson); its stationary law gives
 *   S   a mixture over the steps, weighted by the items served in each (item_w),
 *   W1  with probability p_w1 (every worker busy) the residual of the batch in flight:
 *       a mixture of uniforms over [0, resid_ms[k]], weighted by time in each (cycle_w),
 *   W2  queueing beyond the batch in flight (Allen-Cunneen for c*b servers): with
 *       probability p_w2 an exponential of mean theta2_ms. */
typedef struct js_qm_dist {
    double util;        /* rate / (workers x thr_worker): load against full-batch capacity */
    double batch_eff;   /* mean items per batch */
    int nsteps;
    double s_mean_ms[JS_QM_MAX_STEPS], s_sigma[JS_QM_MAX_STEPS];
    double item_w[JS_QM_MAX_STEPS];   /* share of items served in a batch of step k */
    double cycle_w[JS_QM_MAX_STEPS];  /* share of busy time in a batch of step k */
    double resid_ms[JS_QM_MAX_STEPS]; /* the wait for a busy worker is uniform on [0, this] */
    double resid_growth[JS_QM_MAX_STEPS]; /* exp(resid_ms / theta2_ms), INFINITY past the
                                           * range of a double (wait_tail's one exp) */
    double group;       /* items arriving together with an item at its worker (>= 1) */
    double p_w1;        /* probability an item waits for a batch in flight */
    double p_w2, theta2_ms; /* queueing for more than one batch: P and mean given it */
    double group_wait_ms; /* an item's place in its own group: a group larger than a batch
                           * per worker is served in rounds, the wait uniform on
                           * [0, this] (0 when a group fits in one round) */
    double mean_ms;     /* E[T] */
    bool stable;        /* util < 1 */
} js_qm_dist;

/* The distribution for a load; returns false (d->stable false) at util >= 1. */
bool js_qm_dist_make(const js_qm_service *sv, const js_qm_load *ld, js_qm_dist *d);
/* P(T > t_ms). */
double js_qm_tail(const js_qm_dist *d, double t_ms);
/* Smallest t with P(T > t) <= eps (0 < eps < 1); INFINITY when unstable. */
double js_qm_quantile(const js_qm_dist *d, double eps);

/* Per-item tail that makes the slowest of a request's items at a task meet a request-
 * level tail `eps` when `items` items per request reach it on average (Poisson count:
 * P(max <= t) = exp(-items (1 - F(t)))): -log(1 - eps) / max(items, 1). */
double js_qm_fanin_eps(double eps, double items);

/* Predicted end-to-end latency of one application of a plan at `rate` requests/s
 * (the plan's own planned rate when rate <= 0): the item tree of a request (every item spawns
 * its children independently, so requests form trees even on DAGs) with per-task
 * latencies from the model, and every edge's child count of its own law (jigsaw/dag.h
 * js_fanout_dist, as the simulator draws them). */
typedef struct js_qm_app_prediction {
    double p50_ms, p95_ms, p99_ms, p999_ms, mean_ms;
    double violation_rate;       /* P(latency > SLO) */
    double max_util;             /* highest task utilisation */
    bool stable;
    double task_util[JS_MAX_TASKS];
    double task_p99_ms[JS_MAX_TASKS]; /* per-item p99 at the task */
} js_qm_app_prediction;

int js_qm_predict_app(const js_scenario *s, const js_plan *p, int app_index, double rate,
                      js_qm_app_prediction *out, js_diag *d);

/* Fill every task's `utilisation` and every application's predicted_* fields of a plan
 * at its planned rates. 0 ok, else an exit code with d set. */
int js_qm_annotate_plan(const js_scenario *s, js_plan *p, js_diag *d);

#endif
