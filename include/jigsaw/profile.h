/* profile: per (model variant, GPU type) latency/throughput tables with provenance.
 *
 * A profile file (profiles/<gpu>/<model>.json) holds one table over MIG size x batch x
 * MPS workers. Each entry is one configuration: `throughput` is items/s of ONE worker
 * while `workers` workers of the same model co-run in one MIG instance (the instance's
 * total is throughput * workers); latencies are per batch, in milliseconds. A
 * configuration that was not measured/modelled, or ran out of memory, is *unavailable*:
 * either absent, or present with "available": false. Unavailable is never free.
 */
#ifndef JIGSAW_PROFILE_H
#define JIGSAW_PROFILE_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "jigsaw/diag.h"
#include "jigsaw/gpu.h"
#include "jigsaw/jsonio.h"

typedef enum js_provenance_kind {
    JS_PROV_MEASURED = 0,
    JS_PROV_MODELLED = 1,
} js_provenance_kind;

typedef struct js_provenance {
    js_provenance_kind kind;
    char source[512];        /* measured: by whom, on what; modelled: which fitted model */
    char license[256];       /* licence notice where one applies, else "" */
    char model_version[64];  /* modelled only: performance-model version */
    double heldout_mape_throughput; /* modelled only: held-out median APE (%), NAN if n/a */
    double heldout_mape_latency;
} js_provenance;

typedef struct js_profile_entry {
    int mig;            /* compute slices of the MIG instance: 1, 2, 3, 4, 7 */
    int batch;          /* >= 1 */
    int workers;        /* MPS workers co-located in the instance, >= 1 */
    bool available;
    js_provenance_kind prov; /* per entry: a modelled entry never claims measured */
    double throughput;  /* items/s of one worker under this co-location */
    double lat_mean_ms; /* per-batch latency */
    double lat_p50_ms;  /* NAN when unknown */
    double lat_p95_ms;  /* NAN when unknown and not derived */
    bool p95_derived;   /* p95 computed from the mean by the dispersion assumption */
    bool p50_derived;   /* added (issue 2): same for p50 */
    double host_ms;     /* host time per batch included in the latencies and throughput
                         * above by the host model (jigsaw/host.h); 0: GPU-bound, as profiled */
} js_profile_entry;

typedef struct js_profile {
    char model[JS_NAME_MAX];   /* variant/model name, e.g. "resnet50" */
    char gpu[JS_NAME_MAX];     /* GPU type name, e.g. "a100-80gb" */
    char description[512];
    js_provenance prov;
    int nentries;
    js_profile_entry *entries; /* sorted by (mig, batch, workers) */
    bool host_applied;         /* the host model (jigsaw/host.h) adjusted the entries */
    char host_note[160];       /* which host cost, for reports; "" when none */
} js_profile;

/* Default dispersion assumption for deriving p95 from a mean: latency ~ lognormal with
 * shape sigma, so p95 = mean * exp(1.6449 * sigma - sigma^2 / 2). Overridable. */
#define JS_DEFAULT_LATENCY_SIGMA 0.10

int js_profile_load(const char *path, js_profile *out, js_diag *d);
/* The profile's "model" must be its file's name without ".json" (profiles are found by
 * name); JS_EXIT_DATAERR otherwise. */
int js_profile_check_file_name(const char *path, const js_profile *p, js_diag *d);
/* The profile is for GPU type g, and no entry has more compute slices or MPS workers than
 * g offers; JS_EXIT_DATAERR otherwise. `jigsaw check` and scenario loading both apply it. */
int js_profile_check_gpu(const char *path, const js_profile *p, const js_gpu_type *g,
                         js_diag *d);
int js_profile_from_json(js_jctx *c, const cJSON *root, js_profile *out);
cJSON *js_profile_to_json(const js_profile *p);
void js_profile_free(js_profile *p);

/* Fill lat_p95_ms (and p50) of entries that lack them from the mean with lognormal
 * shape `sigma`; marks them p95_derived. */
void js_profile_derive_tails(js_profile *p, double sigma);
double js_latency_p95_from_mean(double mean_ms, double sigma);

/* The order profile entries are kept in: (mig, batch, workers); a qsort/bsearch
 * comparator of two js_profile_entry. */
int js_profile_entry_cmp(const void *a, const void *b);

/* The available entry for (mig, batch, workers), or NULL. */
const js_profile_entry *js_profile_find(const js_profile *p, int mig, int batch, int workers);
/* The service of a batch of `batch` items as the simulator and the planner's queueing
 * model draw it: the available entry for (mig, batch, workers), else the one of the
 * smallest larger batch; NULL when none (p may be NULL). */
const js_profile_entry *js_profile_find_at_least(const js_profile *p, int mig, int batch,
                                                 int workers);
/* Lognormal shape sigma with the given mean and p95 (z95 = the standard normal's 0.95
 * quantile): the root of s^2/2 - z95 s + ln(p95/mean) = 0; 0 (deterministic) when p95 is
 * unknown or not above the mean. */
double js_lognormal_sigma(double z95, double mean, double p95);

/* A set of profiles loaded from one directory, looked up by model name. */
typedef struct js_profile_set {
    char dir[JS_PATH_MAX];
    int n, cap;
    js_profile **items;        /* owned; pointers stay valid while the set lives */
} js_profile_set;

void js_profile_set_init(js_profile_set *s, const char *dir);
/* Load <dir>/<model>.json once (cached); NULL + diag (66 if missing, 65 if invalid). */
const js_profile *js_profile_set_get(js_profile_set *s, const char *model, js_diag *d);
void js_profile_set_free(js_profile_set *s);
/* An already loaded profile of the set, for adjusting it in place (the host model); NULL
 * when not loaded. */
js_profile *js_profile_set_find(js_profile_set *s, const char *model);

/* --- additions (issue 2) --- */

/* Import ParvaGPU's measured A100-80GB tables (MIT, MunQ-Lee/ParvaGPU_SC24).
 * `dir` holds prof_data/<model>.csv, SLO/SLO_req_rate.csv, SLO/SLO_latency.csv and LICENSE.
 * Writes <profiles_root>/a100-80gb/<model>.json and LICENSE-parvagpu there, and, when
 * scenarios_dir is not NULL, <scenarios_dir>/parvagpu-slo<k>.json (k = 1..rows), each
 * referring to profiles_root relative to scenarios_dir. Directories are created.
 * Counts of written profiles and scenarios go to *nprofiles and *nscenarios. */
int js_parvagpu_import(const char *dir, const char *profiles_root, const char *scenarios_dir,
                       int *nprofiles, int *nscenarios, js_diag *d);

#endif
