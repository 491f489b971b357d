/* trace: arrival processes -- real traces read incrementally, and synthetic processes.
 * Owner of this module may extend this header (additively). */
#ifndef JIGSAW_TRACE_H
#define JIGSAW_TRACE_H

#include <stdint.h>
#include "jigsaw/diag.h"

typedef enum js_arrival_kind {
    JS_ARR_POISSON,
    JS_ARR_GAMMA,      /* renewal process, gamma inter-arrivals with coefficient of variation cv */
    JS_ARR_MMPP,       /* two-state Markov-modulated Poisson process */
    JS_ARR_TRACE,      /* a trace file: timestamps or counts/rates per interval */
} js_arrival_kind;

typedef struct js_arrival_spec {
    js_arrival_kind kind;
    double rate;            /* mean requests/s (synthetic), or target mean after rescaling */
    double cv;              /* gamma */
    double mmpp_rate_ratio, mmpp_mean_sojourn_s; /* mmpp: high/low rate ratio, mean state time */
    char path[512];         /* trace file */
    double time_compression;/* trace: trace seconds per simulated second (1 = real time) */
    double target_mean;     /* trace: rescale to this mean rate (0 = as recorded) */
    double target_peak;     /* trace: rescale so its peak interval rate is this (0 = off) */
    double start_s, duration_s; /* window of the trace (duration 0 = whole) */
    uint64_t seed;          /* this stream's own seed: callers pass
                             * js_seed_derive(user_seed, "arrivals", app) (jigsaw/util.h) */
    /* Addition: average count/rate traces over consecutive bins of smooth_s trace seconds
     * (aligned to the window start) before use, e.g. 60 for the NASA trace, whose
     * single-second spikes become unrealistic bursts once multiplied by ~300 (0 = off). */
    double smooth_s;
} js_arrival_spec;

/* Additions (trace module owner):
 *
 * Trace file formats, recognised from their content (see scenarios/traces/README.md):
 *  - bzip2 (optionally a tar holding one member) or plain text of whitespace-separated
 *    integers: requests per second (the NASA trace);
 *  - Azure LLM CSV: header "TIMESTAMP,..." and rows "YYYY-MM-DD hh:mm:ss.fffffff,...";
 *  - ours, timestamps: header line "timestamp_s", then one time in seconds per line;
 *  - ours, rates: header line "duration_s,rate", then one interval per line.
 *  Lines starting with '#' and blank lines are skipped in our formats.
 * Counts/rates become a non-homogeneous Poisson process (piecewise-constant intensity,
 * sampled exactly by inverting the cumulative intensity), or a gamma renewal process in
 * operational time when cv != 1. Timestamps are replayed as recorded.
 * Order of operations: window [start_s, start_s + duration_s) in trace seconds, then time
 * compression, then rescaling (rates are multiplied; timestamps are stretched in time). The
 * "peak" of a trace is its largest interval rate (count traces: 1 s; rate files: one row;
 * timestamps: 1 s bins of trace time), after compression. Rescaling needs a first streaming
 * pass over the window (constant memory). */

/* Defaults: cv 1, mmpp ratio 4 and sojourn 60 s, time_compression 1, everything else 0. */
void js_arrival_spec_init(js_arrival_spec *spec);
/* "poisson", "gamma", "mmpp", "trace" -> kind; -1 if unknown. */
int js_arrival_kind_from_name(const char *name);

typedef struct js_arrivals js_arrivals; /* opaque iterator */

int js_arrivals_open(const js_arrival_spec *spec, js_arrivals **out, js_diag *d);
/* Next arrival time in seconds (strictly non-decreasing); 0 ok, 1 end of stream,
 * other values are errors with d set (e.g. truncated or malformed trace line). */
int js_arrivals_next(js_arrivals *a, double *t, js_diag *d);
void js_arrivals_close(js_arrivals *a);

#endif
