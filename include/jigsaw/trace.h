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
    uint64_t seed;
} js_arrival_spec;

typedef struct js_arrivals js_arrivals; /* opaque iterator */

int js_arrivals_open(const js_arrival_spec *spec, js_arrivals **out, js_diag *d);
/* Next arrival time in seconds (strictly non-decreasing); 0 ok, 1 end of stream,
 * other values are errors with d set (e.g. truncated or malformed trace line). */
int js_arrivals_next(js_arrivals *a, double *t, js_diag *d);
void js_arrivals_close(js_arrivals *a);

#endif
