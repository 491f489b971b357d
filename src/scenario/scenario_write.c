/* scenario_write: a loaded scenario as JSON (js_scenario_to_json, js_app_task_names_json),
 * split from scenario.c, which loads and validates. */
#include "jigsaw/scenario.h"
#include "scenario_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ writing */

static bool add_str(cJSON *o, const char *k, const char *v)
{
    return cJSON_AddStringToObject(o, k, v) != NULL;
}

static cJSON *task_to_json(const js_task *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *vs = o ? cJSON_AddArrayToObject(o, "variants") : NULL;
    bool ok = vs != NULL && add_str(o, "name", t->name);
    for (int v = 0; v < t->nvariants && ok; v++) {
        const js_variant *var = &t->variants[v];
        cJSON *vo = cJSON_CreateObject();
        ok = vo != NULL && cJSON_AddItemToArray(vs, vo);
        if (!ok) {
            cJSON_Delete(vo);
            break;
        }
        ok = add_str(vo, "name", var->name) && add_str(vo, "profile", var->profile_name);
        if (ok && !isnan(var->accuracy))
            ok = js_json_add_num_or_null(vo, "accuracy", var->accuracy) != NULL;
        if (ok && var->metric[0])
            ok = add_str(vo, "metric", var->metric);
        if (ok && var->accuracy_source[0])
            ok = add_str(vo, "accuracy_source", var->accuracy_source);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *js_app_task_names_json(const js_app *a, const int *tasks, int n)
{
    cJSON *arr = cJSON_CreateArray();
    bool ok = arr != NULL;
    for (int i = 0; i < n && ok; i++) {
        cJSON *nm = cJSON_CreateString(a->tasks[tasks[i]].name);
        ok = nm != NULL && cJSON_AddItemToArray(arr, nm);
        if (!ok)
            cJSON_Delete(nm);
    }
    if (!ok) {
        cJSON_Delete(arr);
        return NULL;
    }
    return arr;
}

static cJSON *app_to_json(const js_app *a)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL && add_str(o, "name", a->name);
    if (ok && a->description[0])
        ok = add_str(o, "description", a->description);
    cJSON *tasks = ok ? cJSON_AddArrayToObject(o, "tasks") : NULL;
    ok = ok && tasks != NULL;
    for (int t = 0; t < a->ntasks && ok; t++) {
        cJSON *to = task_to_json(&a->tasks[t]);
        ok = to != NULL && cJSON_AddItemToArray(tasks, to);
        if (!ok)
            cJSON_Delete(to);
    }
    cJSON *edges = ok ? cJSON_AddArrayToObject(o, "edges") : NULL;
    ok = ok && edges != NULL;
    for (int e = 0; e < a->nedges && ok; e++) {
        cJSON *eo = scn_edge_to_json(a, &a->edges[e]);
        ok = eo != NULL && cJSON_AddItemToArray(edges, eo);
        if (!ok)
            cJSON_Delete(eo);
    }
    if (ok && a->nsources > 1) {
        cJSON *src = js_app_task_names_json(a, a->sources, a->nsources);
        ok = src != NULL && cJSON_AddItemToObject(o, "sources", src);
        if (!ok)
            cJSON_Delete(src);
    }
    cJSON *slo = ok ? cJSON_AddObjectToObject(o, "slo") : NULL;
    cJSON *rule = slo ? cJSON_AddObjectToObject(slo, "rule") : NULL;
    ok = ok && rule != NULL && js_json_add_num_or_null(slo, "latency_ms", a->latency_slo_ms) &&
         js_json_add_num_or_null(slo, "accuracy", a->accuracy_slo) &&
         add_str(rule, "stat", a->rule.stat == JS_LAT_MEAN ? "mean" : "p95") &&
         js_json_add_num_or_null(rule, "slo_fraction", a->rule.slo_fraction) != NULL;
    cJSON *dem = ok ? cJSON_AddObjectToObject(o, "demand") : NULL;
    ok = ok && dem != NULL && js_json_add_num_or_null(dem, "rate", a->rate) != NULL;
    if (ok && a->trace[0])
        ok = add_str(dem, "trace", a->trace);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *js_scenario_to_json(const js_scenario *s)
{
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL && add_str(root, "kind", "scenario") &&
              js_json_add_num_or_null(root, "format_version", JS_FORMAT_VERSION) &&
              add_str(root, "name", s->name);
    if (ok && s->description[0])
        ok = add_str(root, "description", s->description);
    /* The resolved directory (relative to the working directory at load time). */
    if (ok)
        ok = add_str(root, "profiles", s->profiles_dir);
    cJSON *cl = ok ? cJSON_AddObjectToObject(root, "cluster") : NULL;
    ok = ok && cl != NULL && add_str(cl, "gpu", s->cluster.gpu_name) &&
         js_json_add_num_or_null(cl, "gpus", s->cluster.gpus) &&
         js_json_add_num_or_null(cl, "max_workers", s->cluster.max_workers) &&
         js_json_add_num_or_null(cl, "gpus_per_node", s->cluster.gpus_per_node);
    /* Only when set: files without host costs read back as they were written. */
    if (ok && s->cluster.cpu_cores_per_node > 0)
        ok = js_json_add_num_or_null(cl, "cpu_cores_per_node", s->cluster.cpu_cores_per_node);
    /* A price of the scenario's own (the GPU type's is in the type file). */
    double price = js_cluster_price(&s->cluster);
    if (ok && isfinite(price) && price != s->cluster.gpu.price_usd_per_hour)
        ok = js_json_add_num_or_null(cl, "price_per_gpu_hour", price);
    if (ok && (s->host.regime > JS_HOST_REGIME_NONE || !isnan(s->host.ms_per_item) ||
               !isnan(s->host.ms_per_batch) || !isnan(s->host.ms_per_token))) {
        cJSON *h = js_host_spec_to_json(&s->host);
        ok = h != NULL && cJSON_AddItemToObject(root, "host", h);
        if (!ok)
            cJSON_Delete(h);
    }
    cJSON *apps = ok ? cJSON_AddArrayToObject(root, "apps") : NULL;
    ok = ok && apps != NULL;
    for (int i = 0; i < s->napps && ok; i++) {
        cJSON *ao = app_to_json(&s->apps[i]);
        ok = ao != NULL && cJSON_AddItemToArray(apps, ao);
        if (!ok)
            cJSON_Delete(ao);
    }
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
