/* host: host-side (CPU) time of a serving worker, added to a configuration's GPU time.
 *
 * Model (docs/host-model.md). A worker process serves one batch of b items in a cycle
 *
 *   host(b) = ms_per_batch + b * (ms_per_item + tokens_per_item * ms_per_token)
 *   cycle   = host(b) + gpu(b),   gpu(b) = 1000 b / X_gpu   (ms)
 *
 * where X_gpu is the profiled per-worker throughput (items/s) under the entry's MPS
 * co-location. Host time is serial within a worker (one Python process), parallel across
 * workers and MIG instances, and does not shrink with more slices. So, per configuration:
 *
 *   latency (mean, p50, p95) = profiled + host(b)      (host time is taken as fixed)
 *   throughput per worker    = 1000 b / cycle
 *
 * js_host_apply_profile is the one place this rule is applied; the planner, its queueing
 * model and the simulator all read the adjusted entries, so they cannot drift. Measured
 * tables on disk stay as measured: an adjusted entry carries its host part in host_ms.
 * All costs 0 (the default regime "none") changes nothing, bit for bit.
 *
 * Defaults per model family ("calibrated" regime) come from profiles/host-defaults.json,
 * each with its provenance (docs/host-model.md, "Calibration"). */
#ifndef JIGSAW_HOST_H
#define JIGSAW_HOST_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "jigsaw/diag.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/profile.h"

/* Largest accepted cost in any field (ms): a minute per item is not a serving stack. */
#define JS_HOST_MAX_MS 60000.0
/* Largest accepted generated tokens per item. */
#define JS_HOST_MAX_TOKENS 100000.0

typedef struct js_host_cost {
    double ms_per_item;     /* serial host time per item: decode, resize, NMS, tokenise */
    double ms_per_batch;    /* per batch: launch/dispatch and Python loop overhead */
    double ms_per_token;    /* per generated token (generative models) */
    double tokens_per_item; /* generated tokens per item (0: not generative) */
} js_host_cost;

typedef enum js_host_regime {
    JS_HOST_REGIME_UNSET = -1, /* an override that leaves the regime as it is */
    JS_HOST_REGIME_NONE = 0,   /* GPU-bound: no host time (today's results) */
    JS_HOST_REGIME_CALIBRATED = 1, /* the per-family defaults of host-defaults.json */
} js_host_regime;

/* What a scenario's "host" object or the command line asks for. Fields NAN: not given.
 * Resolution per variant: the regime's cost (0, or the family default), then each given
 * field replaces that field for every variant. */
typedef struct js_host_spec {
    int regime;             /* js_host_regime */
    double ms_per_item, ms_per_batch, ms_per_token;
} js_host_spec;

/* No regime, no field given. */
js_host_spec js_host_spec_unset(void);
/* `over`'s given fields (and regime, unless unset) replace `base`'s. */
js_host_spec js_host_spec_merge(js_host_spec base, js_host_spec over);
/* "none" or "calibrated" -> regime; -1 otherwise. */
int js_host_regime_parse(const char *s);
const char *js_host_regime_name(int regime);

/* host(b) in ms. */
double js_host_ms(const js_host_cost *h, int batch);
bool js_host_is_zero(const js_host_cost *h);
/* One configuration with host time: from the profiled (GPU) mean latency and per-worker
 * throughput to the served ones. thr_gpu <= 0 keeps throughput 0 (unavailable). */
void js_host_config(double host_ms, int batch, double lat_gpu_ms, double thr_gpu,
                    double *lat_ms, double *thr);
/* Apply host cost h to every available entry of p (latencies + host(b), throughput by
 * the cycle rule, entry.host_ms = host(b)); p->host records h. Nothing when h is zero.
 * Applying twice is an error the caller avoids (p->host_applied). */
void js_host_apply_profile(js_profile *p, const js_host_cost *h);

/* The per-family defaults (profiles/host-defaults.json). */
#define JS_HOST_MAX_FAMILIES 32
typedef struct js_host_family {
    char match[JS_NAME_MAX];   /* profile-name prefix ("yolov5", "efficientnet-"); "*" = any */
    js_host_cost cost;
    char source[512];          /* provenance of the figures */
} js_host_family;

typedef struct js_host_defaults {
    int n;
    js_host_family f[JS_HOST_MAX_FAMILIES];
} js_host_defaults;

/* Load and validate; 66 missing, 65 invalid (file and JSON path named). */
int js_host_defaults_load(const char *path, js_host_defaults *out, js_diag *d);
/* The first family whose prefix matches profile name `profile` (longest prefix wins;
 * "*" last); NULL when none. */
const js_host_family *js_host_defaults_find(const js_host_defaults *t, const char *profile);

/* Read a "host" object ({"regime", "ms_per_item", "ms_per_batch", "ms_per_token"}) at
 * key `key` of o (optional): 0 ok (spec unset when absent), 65 with the JSON path. */
int js_host_spec_from_json(js_jctx *c, const cJSON *o, const char *key, js_host_spec *out);
/* Check one cost value (ms) given on the command line or in a file: finite, >= 0,
 * <= JS_HOST_MAX_MS. */
bool js_host_ms_valid(double v);
cJSON *js_host_spec_to_json(const js_host_spec *s);
/* The spec with its defaults made explicit: an unset regime is none, and under regime
 * none an unset time is 0 (the same costs, the same spec). */
js_host_spec js_host_spec_normal(js_host_spec s);
/* Both specs give every variant the same costs (after js_host_spec_normal). */
bool js_host_spec_same(js_host_spec a, js_host_spec b);
/* Any cost at all (regime calibrated or a nonzero time). */
bool js_host_spec_any(js_host_spec s);
/* "no host time", "calibrated", "2 ms/item", "calibrated, 1 ms/batch", ... into buf. */
void js_host_spec_describe(js_host_spec s, char *buf, size_t n);

#endif
