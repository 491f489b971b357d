/* libFuzzer target: scenario loader. Each input is written to <tmp>/scenarios/in.json, where
 * <tmp>/profiles links to the shipped profiles, so profile and GPU resolution are exercised. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "jigsaw/dag.h"
#include "jigsaw/scenario.h"

static char scen_path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/jigsaw-fuzz-XXXXXX";
    if (mkdtemp(dir) == NULL)
        abort();
    char p[512];
    snprintf(p, sizeof p, "%s/scenarios", dir);
    if (mkdir(p, 0755) != 0)
        abort();
    snprintf(p, sizeof p, "%s/profiles", dir);
    if (symlink(JS_SOURCE_ROOT "/profiles", p) != 0)
        abort();
    snprintf(scen_path, sizeof scen_path, "%s/scenarios/in.json", dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(scen_path, "wb");
    if (f == NULL)
        abort();
    if (size > 0 && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    js_diag *d = malloc(sizeof *d);
    js_scenario *s = malloc(sizeof *s);
    if (d == NULL || s == NULL)
        abort();
    js_diag_init(d);
    if (js_scenario_load(scen_path, s, d) == 0) {
        js_path *paths = malloc(JS_MAX_PATHS * sizeof *paths);
        for (int i = 0; i < s->napps && paths != NULL; i++) {
            double items[JS_MAX_TASKS];
            int through[JS_MAX_TASKS], sinks[JS_MAX_TASKS], order[JS_MAX_TASKS];
            if (js_dag_topo_order(&s->apps[i], order, NULL) != 0)
                abort(); /* the loader must have rejected the cycle */
            if (js_dag_paths(&s->apps[i], paths, JS_MAX_PATHS) < 1)
                abort();
            js_dag_items_per_request(&s->apps[i], NULL, items);
            js_dag_longest_path_through(&s->apps[i], through);
            (void)js_dag_sinks(&s->apps[i], sinks);
        }
        free(paths);
        cJSON *o = js_scenario_to_json(s);
        cJSON_Delete(o);
        js_scenario_free(s);
    }
    free(s);
    free(d);
    return 0;
}
