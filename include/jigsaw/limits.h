/* limits: plausibility limits on input data, one place for all of them.
 *
 * A few bytes of input must not buy unbounded work: a trace that claims 1e18 requests in
 * one second, a fan-out of 1e9 on an edge or a plan whose slices "serve" 1e300 items/s
 * would make the simulator run for ever or grow without bound. The loaders (trace,
 * scenario, profile, plan) reject values past these limits with exit 65 and a message
 * naming the limit, so `jigsaw check` rejects the same files that `plan`, `simulate` and
 * `run` would; the README ("Plausibility limits") lists them. Each is orders of magnitude
 * above anything the shipped data or a real deployment needs. Header only: macros, no
 * code, so every module may include it without a dependency.
 */
#ifndef JIGSAW_LIMITS_H
#define JIGSAW_LIMITS_H

/* Requests/s of one application: a scenario's demand rate, --rate, a trace's rate after
 * rescaling, a rates file's row. */
#define JS_LIMIT_RATE 1e6
/* Requests in one second of a counts trace. */
#define JS_LIMIT_COUNT_PER_S 1000000ULL
/* Seconds: a trace timestamp, a rates-file row's duration, a trace window, --duration. */
#define JS_LIMIT_DURATION_S 1e8
/* Mean child items one parent item produces on one edge. */
#define JS_LIMIT_FANOUT 1000.0
/* Mean items one request produces at any task (product of fan-outs along a path). */
#define JS_LIMIT_ITEMS_PER_REQUEST 1e4
/* GPUs in a cluster (a plan may use at most its scenario's cluster). */
#define JS_LIMIT_GPUS 100000
/* Items/s of one MIG instance (a plan's segment) or one worker (a profile entry). */
#define JS_LIMIT_THROUGHPUT 1e7
/* Requests one simulation may admit over all applications unless --max-requests raises
 * it; checked before the run when rate x duration is known, else when the budget runs
 * out (exit 65 naming the option). */
#define JS_DEFAULT_MAX_REQUESTS 50000000ULL

#endif
