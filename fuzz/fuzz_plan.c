/* libFuzzer target: plans checked against their scenarios, then simulated.
 *
 * The input is a plan; it is read (js_plan_from_json, the one loader `check --scenario`,
 * `simulate` and `gpu validate` share) against the shipped scenario its "scenario" field
 * names -- example (one app, two tasks), ar-assistant-a100-4 (a chain of three) or
 * social-media-a100-4 (two parallel entry tasks) -- the example when it names none. A plan
 * the loader accepts must be accepted by the simulator too (one validation path): it is
 * simulated for half a second at a small rate, and a rejection aborts (a finding). The
 * simulation's work is bounded by the plausibility limits and a small request budget, so
 * no input can make time or memory grow without bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/plan.h"
#include "jigsaw/scenario.h"
#include "jigsaw/sim.h"
#include "jigsaw/trace.h"

static const char *const scen_files[] = {"example", "ar-assistant-a100-4",
                                         "social-media-a100-4"};
#define NSCEN (sizeof scen_files / sizeof scen_files[0])
static js_scenario *scens[NSCEN];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    js_diag *d = malloc(sizeof *d);
    if (d == NULL)
        abort();
    for (size_t i = 0; i < NSCEN; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/scenarios/%s.json", JS_SOURCE_ROOT, scen_files[i]);
        scens[i] = malloc(sizeof *scens[i]);
        js_diag_init(d);
        if (scens[i] == NULL || js_scenario_load(path, scens[i], d) != 0) {
            fprintf(stderr, "fuzz_plan: %s\n", d->msg);
            abort();
        }
    }
    free(d);
    return 0;
}

/* The scenario the plan names (its "scenario" field), else the example. */
static const js_scenario *scenario_for(const cJSON *root)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "scenario");
    if (cJSON_IsString(name))
        for (size_t i = 0; i < NSCEN; i++)
            if (strcmp(name->valuestring, scens[i]->name) == 0)
                return scens[i];
    return scens[0];
}

/* Simulate an accepted plan briefly; the simulator must not reject what the loader took. */
static void simulate(const js_scenario *s, const js_plan *p, js_diag *d)
{
    js_arrivals **arr = calloc((size_t)s->napps + 1, sizeof *arr);
    if (arr == NULL)
        abort();
    int rc = 0;
    for (int a = 0; a < s->napps && rc == 0; a++) {
        js_arrival_spec sp;
        js_arrival_spec_init(&sp);
        sp.rate = 20.0;
        sp.seed = (uint64_t)a + 1;
        rc = js_arrivals_open(&sp, &arr[a], d);
    }
    js_sim_config cfg;
    js_sim_config_init(&cfg);
    cfg.duration_s = 0.5;
    cfg.max_requests = 1000;
    js_sim *sim = NULL;
    if (rc == 0)
        rc = js_sim_create(s, p, &cfg, arr, &sim, d);
    if (rc == 0)
        rc = js_sim_run(sim, d);
    if (rc != 0 && rc != JS_EXIT_INTERNAL) {
        fprintf(stderr, "fuzz_plan: the loader accepted a plan the simulator rejects: %s\n",
                d->msg);
        abort();
    }
    js_sim_destroy(sim);
    for (int a = 0; a < s->napps; a++)
        js_arrivals_close(arr[a]);
    free(arr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    js_diag *d = malloc(sizeof *d);
    if (d == NULL)
        abort();
    cJSON *root = fuzz_parse_json(data, size, d);
    if (root != NULL) {
        const js_scenario *scen = scenario_for(root);
        js_jctx c;
        js_jctx_init(&c, "fuzz.json", d);
        js_plan p;
        js_plan_init(&p);
        if (js_plan_from_json(&c, root, scen, &p) == 0) {
            cJSON *out = js_plan_to_json(&p, scen);
            cJSON_Delete(out);
            js_diag_init(d);
            simulate(scen, &p, d);
        }
        js_plan_free(&p);
        cJSON_Delete(root);
    }
    free(d);
    return 0;
}
