/* The planner's answers depend on its input only, not on the machine's speed or load:
 * every effort cap below its time limit counts branch-and-bound nodes (milp.h). The
 * check plans once alone and once while a second thread keeps this process's CPU clock
 * running at twice the wall rate (a cap counted in CPU seconds would then fire at half
 * the work, as it did on a loaded machine), and compares the plans byte for byte. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jigsaw/planner.h"
#include "shipped.h"

static atomic_bool spinning;

static void *spin(void *arg)
{
    (void)arg;
    volatile unsigned long x = 0;
    while (atomic_load(&spinning))
        x++;
    return NULL;
}

/* The plan as JSON without its solver statistics (times differ from run to run). */
static char *plan_text(const js_scenario *s, bool max_demand, bool loaded)
{
    js_plan_request r;
    js_plan_request_init(&r);
    r.rule = JS_RULE_SAFE;
    r.time_limit_s = 0.0;
    js_plan p;
    js_diag d;
    js_diag_init(&d);
    pthread_t th;
    if (loaded) {
        atomic_store(&spinning, true);
        cr_assert_eq(pthread_create(&th, NULL, spin, NULL), 0);
    }
    int rc = max_demand ? js_plan_max_demand(s, &r, &p, &d) : js_plan_min_slices(s, &r, &p, &d);
    if (loaded) {
        atomic_store(&spinning, false);
        pthread_join(th, NULL);
    }
    cr_assert_eq(rc, 0, "%s", d.msg);
    cJSON *j = js_plan_to_json(&p, s);
    cr_assert_not_null(j);
    cJSON_DeleteItemFromObjectCaseSensitive(j, "solver");
    char *text = cJSON_PrintUnformatted(j);
    cr_assert_not_null(text);
    cJSON_Delete(j);
    js_plan_free(&p);
    return text;
}

static void same_plan_under_load(const char *scenario, bool max_demand)
{
    js_scenario s;
    tc_load_shipped(scenario, &s);
    char *alone = plan_text(&s, max_demand, false);
    char *loaded = plan_text(&s, max_demand, true);
    cr_assert_str_eq(alone, loaded, "%s: the plan changed with the CPU clock's rate",
                     scenario);
    free(alone);
    free(loaded);
    js_scenario_free(&s);
}

/* Its fewest-GPUs tie-break stops on its node budget (the AR assistant on 120 H100s). */
Test(determinism, min_slices_under_load, .timeout = 240)
{
    same_plan_under_load("ar-assistant-h100-120", false);
}

/* The final plan at the maximum demand stops on its node budget too. */
Test(determinism, max_demand_under_load, .timeout = 240)
{
    same_plan_under_load("social-media-a100-4", true);
}

/* The safe rule's plan gets the fewest-GPUs tie-break its search passes skip: where the
 * slices fit on the fewest GPUs they could, the plan uses that many. */
Test(determinism, safe_plans_use_the_fewest_gpus, .timeout = 240)
{
    static const char *const names[] = {"traffic-analysis-h100-4", "ar-assistant-a100-4"};
    for (int k = 0; k < 2; k++) {
        js_scenario s;
        tc_load_shipped(names[k], &s);
        js_plan_request r;
        js_plan_request_init(&r);
        r.rule = JS_RULE_SAFE;
        js_plan p;
        js_diag d;
        js_diag_init(&d);
        cr_assert_eq(js_plan_min_slices(&s, &r, &p, &d), 0, "%s", d.msg);
        int per_gpu = s.cluster.gpu.compute_slices;
        cr_assert_eq(p.gpus_used, (p.slices_used + per_gpu - 1) / per_gpu,
                     "%s: %d slices on %d GPUs", names[k], p.slices_used, p.gpus_used);
        js_plan_free(&p);
        js_scenario_free(&s);
    }
}
