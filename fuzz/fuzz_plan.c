/* libFuzzer target: plan parser (js_plan_from_json) against the shipped example scenario. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/plan.h"
#include "jigsaw/scenario.h"

static js_scenario *scen;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    scen = malloc(sizeof *scen);
    js_diag *d = malloc(sizeof *d);
    if (scen == NULL || d == NULL)
        abort();
    js_diag_init(d);
    if (js_scenario_load(JS_SOURCE_ROOT "/scenarios/example.json", scen, d) != 0) {
        fprintf(stderr, "fuzz_plan: %s\n", d->msg);
        abort();
    }
    free(d);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    js_diag *d = malloc(sizeof *d);
    if (d == NULL)
        abort();
    cJSON *root = fuzz_parse_json(data, size, d);
    if (root != NULL) {
        js_jctx c;
        js_jctx_init(&c, "fuzz.json", d);
        js_plan p;
        js_plan_init(&p);
        if (js_plan_from_json(&c, root, scen, &p) == 0) {
            cJSON *out = js_plan_to_json(&p, scen);
            cJSON_Delete(out);
        }
        js_plan_free(&p);
        cJSON_Delete(root);
    }
    free(d);
    return 0;
}
