/* Tests of scenarios and task graphs: loading, normalising and validating scenarios
 * (GPU override, unmeetable SLOs, foreign profiles, parallel sources), the DAG queries on
 * applications (jigsaw/scenario.h's js_dag_*) and on a bare js_task_graph (jigsaw/dag.h,
 * no scenario involved). */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "jigsaw/dag.h"
#include "jigsaw/diag.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/scenario.h"

/* ================================================================== scenario */

static js_scenario *load_scenario(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SRC, rel);
    js_scenario *s = malloc(sizeof *s);
    js_diag *d = new_diag();
    cr_assert_not_null(s);
    cr_assert_eq(js_scenario_load(path, s, d), 0, "%s", d->msg);
    cr_assert_eq(d->nwarnings, 0, "unexpected warning: %s", d->warnings[0]);
    free(d);
    return s;
}

Test(scenario, example_loads_and_normalises)
{
    js_scenario *s = load_scenario("scenarios/example.json");
    cr_assert_eq(s->napps, 1);
    cr_assert_eq(s->cluster.gpus, 4);
    cr_assert_eq(s->cluster.max_workers, 4);
    cr_assert_str_eq(s->cluster.gpu.name, "a100-80gb");
    const js_app *a = &s->apps[0];
    cr_assert_eq(a->ntasks, 2);
    cr_assert_eq(a->source, 0);
    cr_assert_eq(a->rule.stat, JS_LAT_P95);
    cr_assert_float_eq(a->rule.slo_fraction, 0.5, 0);
    const js_task *t = &a->tasks[0];
    cr_assert_eq(t->nvariants, 3);
    cr_assert_float_eq(t->variants[2].accuracy_norm, 1.0, 0);
    cr_assert_float_eq(t->variants[0].accuracy_norm, 76.13 / 78.312, 1e-12);
    cr_assert_not_null(t->variants[0].profile);
    cr_assert_str_eq(t->variants[0].profile->model, "resnet50");
    cr_assert_float_eq(js_edge_fanout(&a->edges[0], 2), 2.2, 1e-12);
    cr_assert_float_eq(js_edge_fanout(&a->edges[0], 0), 1.8, 1e-12);
    cr_assert_float_eq(a->edges[0].fanout, 2.0, 0);
    int variants[2] = {2, 0};
    double items[2];
    js_dag_items_per_request(a, variants, items);
    cr_assert_float_eq(items[1], 2.2, 1e-12);
    cJSON *o = js_scenario_to_json(s);
    cr_assert_not_null(o);
    cJSON_Delete(o);
    js_scenario_free(s);
    free(s);
}

Test(scenario, parvagpu_scenarios)
{
    /* Row 1 of SLO_req_rate.csv: 19,353,N/A,N/A,460,677,N/A,N/A,829,N/A,354 in strcmp order
     * bert, densenet121, densenet169, densenet201, inceptionv3, mobilenetv2, resnet101,
     * resnet152, resnet50, vgg16, vgg19. */
    js_scenario *s = load_scenario("scenarios/parvagpu-slo1.json");
    static const char *const names[] = {"bert", "densenet121", "inceptionv3", "mobilenetv2",
                                        "resnet50", "vgg19"};
    static const double rates[] = {19, 353, 460, 677, 829, 354};
    static const double slos[] = {6434, 183, 418.5, 167, 204.5, 396.5};
    cr_assert_eq(s->napps, 6);
    cr_assert_eq(s->cluster.max_workers, 3);
    for (int i = 0; i < 6; i++) {
        cr_assert_str_eq(s->apps[i].name, names[i]);
        cr_assert_float_eq(s->apps[i].rate, rates[i], 0);
        cr_assert_float_eq(s->apps[i].latency_slo_ms, slos[i], 0);
        cr_assert_eq(s->apps[i].rule.stat, JS_LAT_MEAN);
        cr_assert_float_eq(s->apps[i].rule.slo_fraction, 0.45, 0);
        cr_assert_float_eq(s->apps[i].tasks[0].variants[0].accuracy_norm, 1.0, 0);
    }
    js_scenario_free(s);
    free(s);
    for (int k = 2; k <= 6; k++) {
        char rel[64];
        snprintf(rel, sizeof rel, "scenarios/parvagpu-slo%d.json", k);
        s = load_scenario(rel);
        cr_assert_eq(s->napps, 11);
        js_scenario_free(s);
        free(s);
    }
}

Test(scenario, gpu_override_switches_profiles)
{
    char path[512], h100[512];
    snprintf(path, sizeof path, "%s/scenarios/example.json", SRC);
    snprintf(h100, sizeof h100, "%s/profiles/h100-80gb/resnet50.json", SRC);
    js_scenario *s = malloc(sizeof *s);
    js_diag *d = new_diag();
    int rc = js_scenario_load_gpu(path, "h100-80gb", s, d);
    if (access(h100, R_OK) == 0) {
        cr_assert_eq(rc, 0, "%s", d->msg);
        cr_assert_str_eq(s->cluster.gpu.name, "h100-80gb");
        cr_assert_str_eq(s->apps[0].tasks[0].variants[0].profile->gpu, "h100-80gb");
        js_scenario_free(s);
    } else {
        cr_assert_eq(rc, JS_EXIT_DATAERR);
        cr_assert(strstr(d->msg, ".profile") != NULL);
    }
    js_diag_init(d);
    cr_assert_eq(js_scenario_load_gpu(path, "b200", s, d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "$.cluster.gpu") != NULL, "got: %s", d->msg);
    free(s);
    free(d);
}

/* A scenario in a temp dir that refers to the shipped profiles by absolute path. */
static int load_tmp_scenario(const char *body, js_diag *d)
{
    char dir[64], path[128];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/s.json", dir);
    char *text = malloc(strlen(body) + 1024);
    sprintf(text,
            "{\"kind\":\"scenario\",\"format_version\":1,\"name\":\"t\",\"profiles\":"
            "\"%s/profiles\",\"cluster\":{\"gpu\":\"a100-80gb\",\"gpus\":1},\"apps\":[%s]}",
            SRC, body);
    write_text(path, text);
    free(text);
    js_scenario *s = malloc(sizeof *s);
    int rc = js_scenario_load(path, s, d);
    if (rc == 0)
        js_scenario_free(s);
    free(s);
    rm_rf(dir);
    return rc;
}

/* A one-task scenario on `gpu` with `cluster_extra` (",\"key\": value" or "") in its
 * cluster, loaded with the GPU type `override` (NULL: the file's) into *s. */
static int load_priced(const char *gpu, const char *cluster_extra, const char *override,
                       js_scenario *s, js_diag *d)
{
    char dir[64], path[128], text[2048];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/s.json", dir);
    snprintf(text, sizeof text,
             "{\"kind\":\"scenario\",\"format_version\":1,\"name\":\"t\",\"profiles\":"
             "\"%s/profiles\",\"cluster\":{\"gpu\":\"%s\",\"gpus\":2%s},\"apps\":[{\"name\":"
             "\"a\",\"tasks\":[{\"name\":\"t\",\"variants\":[{\"name\":\"resnet50\",\"profile\":"
             "\"resnet50\"}]}],\"slo\":{\"latency_ms\":100,\"accuracy\":1},"
             "\"demand\":{\"rate\":5}}]}",
             SRC, gpu, cluster_extra);
    write_text(path, text);
    int rc = js_scenario_load_gpu(path, override, s, d);
    rm_rf(dir);
    return rc;
}

/* cluster.price_per_gpu_hour overrides the GPU type's price, for that type only. */
Test(scenario, price_override)
{
    js_scenario *s = malloc(sizeof *s);
    js_diag *d = new_diag();
    cr_assert_eq(load_priced("a100-80gb", "", NULL, s, d), 0, "%s", d->msg);
    cr_assert_float_eq(js_cluster_price(&s->cluster), s->cluster.gpu.price_usd_per_hour, 0);
    cr_assert(s->cluster.gpu.price_usd_per_hour > 0);
    cJSON *o = js_scenario_to_json(s);
    cr_assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "cluster"), "price_per_gpu_hour"),
                   "the type's own price is not the scenario's");
    cJSON_Delete(o);
    js_scenario_free(s);

    cr_assert_eq(load_priced("a100-80gb", ",\"price_per_gpu_hour\":4", NULL, s, d), 0, "%s",
                 d->msg);
    cr_assert_float_eq(js_cluster_price(&s->cluster), 4.0, 0);
    cr_assert_eq(d->nwarnings, 0);
    o = js_scenario_to_json(s);
    cJSON *p = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "cluster"), "price_per_gpu_hour");
    cr_assert(cJSON_IsNumber(p) && p->valuedouble == 4.0, "written back");
    cJSON_Delete(o);
    js_scenario_free(s);

    /* Another GPU type on the command line keeps its own price, with a warning. */
    cr_assert_eq(load_priced("a100-80gb", ",\"price_per_gpu_hour\":4", "h100-80gb", s, d), 0,
                 "%s", d->msg);
    cr_assert_float_eq(js_cluster_price(&s->cluster), s->cluster.gpu.price_usd_per_hour, 0);
    cr_assert(js_cluster_price(&s->cluster) != 4.0);
    cr_assert_eq(d->nwarnings, 1);
    cr_assert_not_null(strstr(d->warnings[0], "$.cluster.price_per_gpu_hour"), "%s",
                       d->warnings[0]);
    js_scenario_free(s);
    /* ... unless it names the file's own type. */
    js_diag_init(d);
    cr_assert_eq(load_priced("a100-80gb", ",\"price_per_gpu_hour\":4", "a100-80gb", s, d), 0,
                 "%s", d->msg);
    cr_assert_float_eq(js_cluster_price(&s->cluster), 4.0, 0);
    cr_assert_eq(d->nwarnings, 0);
    js_scenario_free(s);

    static const char *const bad[] = {",\"price_per_gpu_hour\":-2", ",\"price_per_gpu_hour\":0",
                                      ",\"price_per_gpu_hour\":\"4\"",
                                      ",\"price_per_gpu_hour\":{\"usd\":4}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        js_diag_init(d);
        cr_assert_eq(load_priced("a100-80gb", bad[i], NULL, s, d), JS_EXIT_DATAERR, "%s", bad[i]);
        cr_assert_not_null(strstr(d->msg, "$.cluster.price_per_gpu_hour"), "%s: %s", bad[i],
                           d->msg);
    }
    /* A cluster built in memory (zeroed) has no price. */
    js_cluster zero;
    memset(&zero, 0, sizeof zero);
    cr_assert(isnan(js_cluster_price(&zero)));
    free(s);
    free(d);
}

Test(scenario, unmeetable_slo_is_a_warning)
{
    js_diag *d = new_diag();
    /* resnet50's fastest mean batch latency is a few ms; 1 ms x 0.5 cannot be met. */
    const char *app = "{\"name\":\"a\",\"tasks\":[{\"name\":\"t\",\"variants\":[{\"name\":"
                      "\"resnet50\",\"profile\":\"resnet50\"}]}],\"slo\":{\"latency_ms\":1,"
                      "\"accuracy\":1},\"demand\":{\"rate\":5}}";
    cr_assert_eq(load_tmp_scenario(app, d), 0, "%s", d->msg);
    cr_assert_eq(d->nwarnings, 1);
    cr_assert(strstr(d->warnings[0], "$.apps[0].slo.latency_ms") != NULL, "got: %s",
              d->warnings[0]);
    js_diag_init(d);
    const char *fine = "{\"name\":\"a\",\"tasks\":[{\"name\":\"t\",\"variants\":[{\"name\":"
                       "\"resnet50\",\"profile\":\"resnet50\"}]}],\"slo\":{\"latency_ms\":100,"
                       "\"accuracy\":1},\"demand\":{\"rate\":5}}";
    cr_assert_eq(load_tmp_scenario(fine, d), 0, "%s", d->msg);
    cr_assert_eq(d->nwarnings, 0);
    free(d);
}

Test(scenario, profile_for_other_gpu_rejected)
{
    char dir[64], sub[128], path[160], ppath[192], cmd[512];
    make_tmpdir(dir, sizeof dir);
    snprintf(sub, sizeof sub, "%s/profiles/a100-80gb", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/profiles/gpus %s && cp %s/profiles/gpus/a100-80gb.json %s/profiles/gpus/",
             dir, sub, SRC, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(ppath, sizeof ppath, "%s/m.json", sub);
    write_text(ppath, "{\"kind\":\"profile\",\"format_version\":1,\"model\":\"m\",\"gpu\":"
                      "\"h100-80gb\",\"provenance\":{\"kind\":\"measured\",\"source\":\"x\"},"
                      "\"entries\":[{\"mig\":1,\"batch\":1,\"workers\":1,\"throughput\":1,"
                      "\"lat_mean_ms\":1}]}");
    snprintf(path, sizeof path, "%s/scenarios/s.json", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/scenarios", dir);
    cr_assert_eq(system(cmd), 0);
    write_text(path, "{\"kind\":\"scenario\",\"format_version\":1,\"name\":\"t\",\"cluster\":"
                     "{\"gpu\":\"a100-80gb\",\"gpus\":1},\"apps\":[{\"name\":\"a\",\"tasks\":"
                     "[{\"name\":\"t\",\"variants\":[{\"name\":\"m\",\"profile\":\"m\"}]}],"
                     "\"slo\":{\"latency_ms\":100,\"accuracy\":1},\"demand\":{\"rate\":1}}]}");
    js_scenario *s = malloc(sizeof *s);
    js_diag *d = new_diag();
    cr_assert_eq(js_scenario_load(path, s, d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "$.apps[0].tasks[0].variants[0].profile") != NULL, "got: %s",
              d->msg);
    cr_assert(strstr(d->msg, "h100-80gb") != NULL);
    free(s);
    free(d);
    rm_rf(dir);
}

Test(scenario, missing_file_is_66)
{
    js_scenario *s = malloc(sizeof *s);
    js_diag *d = new_diag();
    cr_assert_eq(js_scenario_load("/nonexistent/s.json", s, d), JS_EXIT_NOINPUT);
    free(s);
    free(d);
}

/* ================================================================== dag */

static js_app *make_app(int n, const int (*edges)[2], const double *fanouts, int ne)
{
    js_app *a = calloc(1, sizeof *a);
    cr_assert_not_null(a);
    a->ntasks = n;
    for (int t = 0; t < n; t++) {
        snprintf(a->tasks[t].name, sizeof a->tasks[t].name, "t%d", t);
        a->tasks[t].nvariants = 2;
    }
    bool has_parent[JS_MAX_TASKS] = {false};
    for (int e = 0; e < ne; e++) {
        a->edges[e].from = edges[e][0];
        a->edges[e].to = edges[e][1];
        a->edges[e].fanout = fanouts[e];
        for (int v = 0; v < JS_MAX_VARIANTS; v++)
            a->edges[e].fanout_by_variant[v] = NAN;
        has_parent[edges[e][1]] = true;
    }
    a->nedges = ne;
    for (int t = 0; t < n; t++)
        if (!has_parent[t]) {
            a->source = t;
            a->sources[a->nsources++] = t;
        }
    return a;
}

Test(dag, diamond)
{
    /* 0 -> 1 (x2), 0 -> 2 (x3), 1 -> 3 (x5), 2 -> 3 (x7), 3 -> 4 (x0.5) */
    static const int ed[][2] = {{0, 1}, {0, 2}, {1, 3}, {2, 3}, {3, 4}};
    static const double f[] = {2, 3, 5, 7, 0.5};
    js_app *a = make_app(5, ed, f, 5);
    int order[JS_MAX_TASKS];
    cr_assert_eq(js_dag_topo_order(a, order, NULL), 0);
    static const int want_order[] = {0, 1, 2, 3, 4};
    cr_assert_arr_eq(order, want_order, sizeof want_order);
    js_path paths[8];
    cr_assert_eq(js_dag_paths(a, paths, 8), 2);
    static const int p0[] = {0, 1, 3, 4}, p1[] = {0, 2, 3, 4};
    cr_assert_eq(paths[0].len, 4);
    cr_assert_arr_eq(paths[0].tasks, p0, sizeof p0);
    cr_assert_arr_eq(paths[1].tasks, p1, sizeof p1);
    cr_assert_eq(js_dag_paths(a, paths, 1), -1);
    double items[JS_MAX_TASKS];
    js_dag_items_per_request(a, NULL, items);
    cr_assert_float_eq(items[0], 1, 0);
    cr_assert_float_eq(items[1], 2, 0);
    cr_assert_float_eq(items[2], 3, 0);
    cr_assert_float_eq(items[3], 2 * 5 + 3 * 7, 1e-12);
    cr_assert_float_eq(items[4], 31 * 0.5, 1e-12);
    int through[JS_MAX_TASKS];
    js_dag_longest_path_through(a, through);
    for (int t = 0; t < 5; t++)
        cr_assert_eq(through[t], 4);
    int sinks[JS_MAX_TASKS];
    cr_assert_eq(js_dag_sinks(a, sinks), 1);
    cr_assert_eq(sinks[0], 4);
    free(a);
}

Test(dag, uneven_branches_and_variant_fanout)
{
    /* 2 is the source: 2 -> 0 (x1.5), 2 -> 1 (x4), 1 -> 3 (x2). Paths: 2-0, 2-1-3. */
    static const int ed[][2] = {{2, 0}, {2, 1}, {1, 3}};
    static const double f[] = {1.5, 4, 2};
    js_app *a = make_app(4, ed, f, 3);
    cr_assert_eq(a->source, 2);
    a->edges[1].fanout_by_variant[0] = 3;
    a->edges[1].fanout_by_variant[1] = 5;
    int order[JS_MAX_TASKS];
    cr_assert_eq(js_dag_topo_order(a, order, NULL), 0);
    static const int want_order[] = {2, 0, 1, 3};
    cr_assert_arr_eq(order, want_order, sizeof want_order);
    js_path paths[8];
    cr_assert_eq(js_dag_paths(a, paths, 8), 2);
    cr_assert_eq(paths[0].len, 2);
    cr_assert_eq(paths[1].len, 3);
    int through[JS_MAX_TASKS];
    js_dag_longest_path_through(a, through);
    cr_assert_eq(through[0], 2);
    cr_assert_eq(through[1], 3);
    cr_assert_eq(through[2], 3);
    cr_assert_eq(through[3], 3);
    double items[JS_MAX_TASKS];
    int var[4] = {0, 0, 1, 0};
    js_dag_items_per_request(a, var, items);
    cr_assert_float_eq(items[1], 5, 0);  /* parent 2 runs variant 1 */
    cr_assert_float_eq(items[3], 10, 0);
    cr_assert_float_eq(items[0], 1.5, 0); /* edge without per-variant values */
    var[2] = 0;
    js_dag_items_per_request(a, var, items);
    cr_assert_float_eq(items[3], 6, 0);
    js_dag_items_per_request(a, NULL, items);
    cr_assert_float_eq(items[3], 8, 0);
    int sinks[JS_MAX_TASKS];
    cr_assert_eq(js_dag_sinks(a, sinks), 2);
    cr_assert_eq(sinks[0], 0);
    cr_assert_eq(sinks[1], 3);
    free(a);
}

Test(dag, two_entry_tasks)
{
    /* Parallel branches fed by one request: 0 -> 2 (x2), 1 -> 2 (x3), 2 -> 3 (x1). */
    static const int ed[][2] = {{0, 2}, {1, 2}, {2, 3}};
    static const double f[] = {2, 3, 1};
    js_app *a = make_app(4, ed, f, 3);
    cr_assert_eq(a->nsources, 2);
    js_path paths[8];
    cr_assert_eq(js_dag_paths(a, paths, 8), 2);
    cr_assert_eq(paths[0].tasks[0], 0);
    cr_assert_eq(paths[1].tasks[0], 1);
    double items[JS_MAX_TASKS];
    js_dag_items_per_request(a, NULL, items);
    cr_assert_float_eq(items[0], 1, 0);
    cr_assert_float_eq(items[1], 1, 0);
    cr_assert_float_eq(items[2], 5, 0);
    cr_assert_float_eq(items[3], 5, 0);
    int through[JS_MAX_TASKS];
    js_dag_longest_path_through(a, through);
    for (int t = 0; t < 4; t++)
        cr_assert_eq(through[t], 3);
    free(a);
}

Test(scenario, declared_parallel_sources)
{
    js_diag *d = new_diag();
    const char *app =
        "{\"name\":\"a\",\"sources\":[\"x\",\"y\"],\"tasks\":["
        "{\"name\":\"x\",\"variants\":[{\"name\":\"resnet50\",\"profile\":\"resnet50\"}]},"
        "{\"name\":\"y\",\"variants\":[{\"name\":\"vgg16\",\"profile\":\"vgg16\"}]}],"
        "\"slo\":{\"latency_ms\":500,\"accuracy\":1},\"demand\":{\"rate\":5}}";
    cr_assert_eq(load_tmp_scenario(app, d), 0, "%s", d->msg);
    free(d);
}

Test(dag, cycle_detected)
{
    static const int ed[][2] = {{0, 1}, {1, 2}, {2, 1}};
    static const double f[] = {1, 1, 1};
    js_app *a = make_app(3, ed, f, 3);
    a->source = 0;
    int order[JS_MAX_TASKS];
    js_diag *d = new_diag();
    cr_assert_eq(js_dag_topo_order(a, order, d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "\"t1\"") != NULL || strstr(d->msg, "\"t2\"") != NULL, "got %s",
              d->msg);
    free(d);
    free(a);
}

Test(dag, path_explosion_capped)
{
    /* A ladder of 2-way diamonds: 2^10 paths > JS_MAX_PATHS. */
    int ed[40][2];
    double f[40];
    int ne = 0, n = 1;
    for (int k = 0; k < 10; k++) {
        int top = n - 1, l = n, r = n + 1, j = n + 2;
        int e4[4][2] = {{top, l}, {top, r}, {l, j}, {r, j}};
        for (int i = 0; i < 4; i++) {
            ed[ne][0] = e4[i][0];
            ed[ne][1] = e4[i][1];
            f[ne++] = 1;
        }
        n += 3;
    }
    js_app *a = make_app(n, (const int(*)[2])ed, f, ne);
    js_path *paths = malloc(JS_MAX_PATHS * sizeof *paths);
    cr_assert_eq(js_dag_paths(a, paths, JS_MAX_PATHS), -1);
    cr_assert_eq(js_dag_paths(a, paths, 0), -1);
    free(paths);
    free(a);
}


/* ================================================================== dag without a scenario */

/* dag's own contract: a js_task_graph over caller-owned edges, no js_app involved. */
Test(dag, bare_task_graph)
{
    /* Entry tasks 3 and 0: 3 -> 1 (x2), 0 -> 1 (x1; x4 when 0 runs variant 1), 1 -> 2 (x3). */
    js_edge e[3];
    static const int ends[][2] = {{3, 1}, {0, 1}, {1, 2}};
    static const double f[] = {2, 1, 3};
    for (int k = 0; k < 3; k++) {
        e[k].from = ends[k][0];
        e[k].to = ends[k][1];
        e[k].fanout = f[k];
        for (int v = 0; v < JS_MAX_VARIANTS; v++)
            e[k].fanout_by_variant[v] = NAN;
    }
    e[1].fanout_by_variant[1] = 4;
    cr_assert_float_eq(js_edge_fanout(&e[1], 0), 1, 0);
    cr_assert_float_eq(js_edge_fanout(&e[1], 1), 4, 0);
    cr_assert_float_eq(js_edge_fanout(&e[1], -1), 1, 0);
    cr_assert_float_eq(js_edge_fanout(&e[1], JS_MAX_VARIANTS), 1, 0);
    static const int sources[] = {3, 0};
    js_task_graph g = {.ntasks = 4, .nedges = 3, .edges = e, .nsources = 2, .sources = sources};

    int order[JS_MAX_TASKS], cyc = -1;
    cr_assert_eq(js_graph_topo_order(&g, order, &cyc), 0);
    static const int want_order[] = {0, 3, 1, 2}; /* ties by index */
    cr_assert_arr_eq(order, want_order, sizeof want_order);
    cr_assert_eq(cyc, -1, "on_cycle is left alone on success");

    js_path paths[4];
    cr_assert_eq(js_graph_paths(&g, paths, 4), 2);
    static const int p0[] = {3, 1, 2}, p1[] = {0, 1, 2}; /* in the order of `sources` */
    cr_assert_eq(paths[0].len, 3);
    cr_assert_arr_eq(paths[0].tasks, p0, sizeof p0);
    cr_assert_arr_eq(paths[1].tasks, p1, sizeof p1);
    cr_assert_eq(js_graph_paths(&g, paths, 1), -1);

    double items[JS_MAX_TASKS];
    const int var[] = {1, 0, 0, 0};
    js_graph_items_per_request(&g, var, items);
    cr_assert_float_eq(items[1], 2 + 4, 0);
    cr_assert_float_eq(items[2], 3 * 6, 0);
    js_graph_items_per_request(&g, NULL, items);
    cr_assert_float_eq(items[2], 3 * 3, 0);

    int through[JS_MAX_TASKS];
    js_graph_longest_path_through(&g, through);
    for (int t = 0; t < 4; t++)
        cr_assert_eq(through[t], 3);
    int sinks[JS_MAX_TASKS];
    cr_assert_eq(js_graph_sinks(&g, sinks), 1);
    cr_assert_eq(sinks[0], 2);

    /* A back edge 2 -> 1: no order, a task on the cycle reported, no items, no lengths. */
    js_edge ce[4] = {e[0], e[1], e[2], e[2]};
    ce[3].from = 2;
    ce[3].to = 1;
    js_task_graph cg = g;
    cg.edges = ce;
    cg.nedges = 4;
    cr_assert_eq(js_graph_topo_order(&cg, order, &cyc), -1);
    cr_assert(cyc == 1 || cyc == 2, "got %d", cyc);
    cr_assert_eq(js_graph_topo_order(&cg, order, NULL), -1);
    js_graph_items_per_request(&cg, NULL, items);
    cr_assert(isnan(items[0]) && isnan(items[3]));
    js_graph_longest_path_through(&cg, through);
    cr_assert_eq(through[1], 0);
}

/* js_app_graph: an app built in memory with nsources 0 enters at `source` only. */
Test(dag, app_graph_without_sources_list)
{
    static const int ed[][2] = {{1, 0}};
    static const double f[] = {2};
    js_app *a = make_app(2, ed, f, 1);
    a->nsources = 0;
    a->source = 1;
    js_task_graph g = js_app_graph(a);
    cr_assert_eq(g.ntasks, 2);
    cr_assert_eq(g.nedges, 1);
    cr_assert_eq(g.edges, a->edges);
    cr_assert_eq(g.nsources, 1);
    cr_assert_eq(g.sources[0], 1);
    js_path paths[2];
    cr_assert_eq(js_dag_paths(a, paths, 2), 1);
    cr_assert_eq(paths[0].tasks[0], 1);
    double items[JS_MAX_TASKS];
    js_dag_items_per_request(a, NULL, items);
    cr_assert_float_eq(items[1], 1, 0);
    cr_assert_float_eq(items[0], 2, 0);
    free(a);
}

/* Fan-out laws per edge: an empirical histogram per parent variant is normalised and its
 * means become the edge's fan-outs (what the planner's demand uses); a fixed edge keeps
 * its mean; an edge without fanout_dist is Poisson; the laws survive the JSON writer. */
Test(scenario, fanout_laws_load_with_their_means)
{
    char dir[64], path[128];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/s.json", dir);
    char text[4096];
    snprintf(text, sizeof text,
             "{\"kind\":\"scenario\",\"format_version\":1,\"name\":\"t\",\"profiles\":"
             "\"%s/profiles\",\"cluster\":{\"gpu\":\"a100-80gb\",\"gpus\":1},\"apps\":[{"
             "\"name\":\"a\",\"tasks\":[{\"name\":\"d\",\"variants\":["
             "{\"name\":\"r50\",\"profile\":\"resnet50\",\"accuracy\":1},"
             "{\"name\":\"r101\",\"profile\":\"resnet101\",\"accuracy\":2}]},"
             "{\"name\":\"c\",\"variants\":[{\"name\":\"v\",\"profile\":\"vgg16\"}]},"
             "{\"name\":\"e\",\"variants\":[{\"name\":\"v\",\"profile\":\"vgg19\"}]},"
             "{\"name\":\"f\",\"variants\":[{\"name\":\"v\",\"profile\":\"vgg11\"}]}],"
             "\"edges\":[{\"from\":\"d\",\"to\":\"c\",\"fanout_dist\":\"empirical\","
             "\"fanout_hist_by_variant\":[[2,0,2],[1,1,1,1]]},"
             "{\"from\":\"c\",\"to\":\"e\",\"fanout_dist\":\"fixed\",\"fanout\":1},"
             "{\"from\":\"d\",\"to\":\"f\",\"fanout\":0.5}],"
             "\"slo\":{\"latency_ms\":100,\"accuracy\":0.1},\"demand\":{\"rate\":5}}]}",
             SRC);
    write_text(path, text);
    js_diag *d = new_diag();
    js_scenario s;
    cr_assert_eq(js_scenario_load(path, &s, d), 0, "%s", d->msg);
    const js_edge *e = &s.apps[0].edges[0];
    cr_assert_eq(e->dist, JS_FANOUT_EMPIRICAL);
    cr_assert_eq(e->hist_len[0], 3);
    cr_assert_eq(e->hist[0][0], 0.5, "weights normalised");
    cr_assert_eq(e->hist[0][1], 0.0);
    cr_assert_eq(js_edge_fanout(e, 0), 1.0, "mean of {0: 1/2, 2: 1/2}");
    cr_assert_eq(js_edge_fanout(e, 1), 1.5, "mean of uniform {0..3}");
    cr_assert_eq(e->fanout, 1.5, "default: the largest mean");
    cr_assert_eq(js_edge_count_ex2(e, 1), 3.5);
    cr_assert_eq(js_edge_count_pgf(e, 0, 0.5), 0.5 + 0.5 * 0.25);
    cr_assert_eq(js_edge_count_min(e, 0), 0);
    cr_assert_eq(s.apps[0].edges[1].dist, JS_FANOUT_FIXED);
    cr_assert_eq(js_edge_count_min(&s.apps[0].edges[1], 0), 1);
    cr_assert_eq(js_edge_count_pgf(&s.apps[0].edges[1], 0, 0.25), 0.25);
    cr_assert_eq(s.apps[0].edges[2].dist, JS_FANOUT_POISSON, "no fanout_dist: Poisson");
    int var[JS_MAX_TASKS] = {1, 0, 0, 0};
    double items[JS_MAX_TASKS];
    js_dag_items_per_request(&s.apps[0], var, items);
    cr_assert_eq(items[1], 1.5, "demand uses the histogram's mean");
    cr_assert_eq(items[2], 1.5);
    cJSON *j = js_scenario_to_json(&s);
    char *out = cJSON_PrintUnformatted(j);
    cr_assert(strstr(out, "\"fanout_dist\":\"empirical\",\"fanout_hist_by_variant\":"
                          "[[0.5,0,0.5],[0.25,0.25,0.25,0.25]]") != NULL, "got %s", out);
    cr_assert(strstr(out, "\"fanout_dist\":\"fixed\",\"fanout\":1") != NULL, "got %s", out);
    cJSON_free(out);
    cJSON_Delete(j);
    js_scenario_free(&s);
    rm_rf(dir);
    free(d);
}
