/* In-memory scenarios for the planner tests. */
#ifndef JIGSAW_TEST_FIXTURES_H
#define JIGSAW_TEST_FIXTURES_H

#include <gsl/gsl_rng.h>
#include "jigsaw/scenario.h"

/* A100-80GB MIG geometry (README "Concepts in one paragraph"; profiles/gpus/a100-80gb.json). */
void fx_a100(js_gpu_type *g);

/* An owned in-memory scenario: profiles live in `profiles`. */
typedef struct fx_scenario {
    js_scenario s;
    js_app app;
    int nprofiles;
    js_profile profiles[JS_MAX_TASKS * JS_MAX_VARIANTS];
    js_profile_entry entries[JS_MAX_TASKS * JS_MAX_VARIANTS][64];
} fx_scenario;

void fx_init(fx_scenario *f, int gpus, int max_workers);
/* Add a task with nvar variants (accuracy_norm given); returns its index. */
int fx_task(fx_scenario *f, const char *name, int nvar, const double *acc);
void fx_edge(fx_scenario *f, int from, int to, double fanout);
/* Add a profile entry to (task, variant). */
void fx_entry(fx_scenario *f, int t, int v, int mig, int batch, int workers, double thr,
              double mean_ms, double p95_ms);
/* Finish: accuracies, sources, pointers. */
void fx_done(fx_scenario *f, double lat_slo, double acc_slo, double rate);

/* A random small scenario (1-4 tasks, 1-3 variants, 1-4 GPUs). */
void fx_random(fx_scenario *f, gsl_rng *rng);

#endif
