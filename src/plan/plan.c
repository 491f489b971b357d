/* plan: the deployment plan's memory management and JSON form (kind "plan").
 *
 * The JSON names applications, tasks, variants and MIG profiles (never indices), so a
 * plan file stays readable and is checked against the scenario when read back. */
#include "jigsaw/plan.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/dag.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/limits.h"

void js_plan_init(js_plan *p)
{
    memset(p, 0, sizeof *p);
    p->demand_scale = 1.0;
    p->demand_scale_bound = NAN;
    p->bound = NAN;
    p->target_quantile = NAN;
    p->scaled_app = -1;
    snprintf(p->status, sizeof p->status, "none");
    snprintf(p->objective_kind, sizeof p->objective_kind, "slices");
}

void js_plan_free(js_plan *p)
{
    free(p->apps);
    free(p->gpus);
    p->apps = NULL;
    p->gpus = NULL;
    p->napps = 0;
    p->ngpus = 0;
}

int js_plan_copy(const js_plan *src, js_plan *dst)
{
    *dst = *src;
    dst->apps = NULL;
    dst->gpus = NULL;
    if (src->napps > 0) {
        dst->apps = malloc((size_t)src->napps * sizeof *dst->apps);
        if (!dst->apps)
            return -1;
        memcpy(dst->apps, src->apps, (size_t)src->napps * sizeof *dst->apps);
    }
    if (src->ngpus > 0) {
        dst->gpus = malloc((size_t)src->ngpus * sizeof *dst->gpus);
        if (!dst->gpus) {
            free(dst->apps);
            dst->apps = NULL;
            return -1;
        }
        memcpy(dst->gpus, src->gpus, (size_t)src->ngpus * sizeof *dst->gpus);
    }
    return 0;
}

void js_plan_scale_demand(js_plan *p, double f)
{
    p->demand_scale *= f;
    if (strcmp(p->objective_kind, "demand_scale") == 0)
        p->objective = p->demand_scale;
    for (int i = 0; i < p->napps; i++) {
        p->apps[i].rate *= f;
        for (int t = 0; t < p->apps[i].ntasks; t++)
            p->apps[i].tasks[t].demand *= f;
    }
}

double js_plan_capacity_factor(const js_plan *p, double max_utilisation)
{
    double f = INFINITY;
    for (int i = 0; i < p->napps; i++)
        for (int t = 0; t < p->apps[i].ntasks; t++) {
            const js_task_plan *tp = &p->apps[i].tasks[t];
            if (!(tp->demand > 0.0))
                continue;
            double cap = 0.0;
            for (int k = 0; k < tp->nsegments; k++)
                cap += tp->segments[k].count * tp->segments[k].throughput;
            f = fmin(f, max_utilisation * cap / tp->demand);
        }
    return f;
}

double js_plan_cost_per_hour(const js_plan *p, const js_scenario *s)
{
    if (!p->feasible)
        return NAN;
    return p->gpus_used * js_cluster_price(&s->cluster); /* NAN stays NAN */
}

double js_plan_cost_per_million(const js_plan *p, const js_scenario *s)
{
    double rate = 0.0; /* requests/s over every application */
    for (int i = 0; i < p->napps; i++)
        rate += p->apps[i].rate;
    if (!(rate > 0.0))
        return NAN;
    return js_plan_cost_per_hour(p, s) / (rate * 3600.0) * 1e6;
}

/* cJSON_Add* return NULL on failure; one flag collects every failure. */
static void add_str(cJSON *o, const char *k, const char *v, bool *ok)
{
    if (!cJSON_AddStringToObject(o, k, v))
        *ok = false;
}

static cJSON *add_arr(cJSON *o, const char *k, bool *ok)
{
    cJSON *a = cJSON_AddArrayToObject(o, k);
    if (!a)
        *ok = false;
    return a;
}

static cJSON *push_obj(cJSON *arr, bool *ok)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !arr || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        *ok = false;
        return NULL;
    }
    return o;
}

static void segment_json(cJSON *segs, const js_segment *sg, const js_gpu_type *g, bool *ok)
{
    cJSON *o = push_obj(segs, ok);
    if (!o)
        return;
    int prof = js_gpu_profile_by_slices(g, sg->mig);
    *ok &= js_json_add_num_if_finite(o, "mig", sg->mig);
    add_str(o, "profile", prof >= 0 ? g->profiles[prof].name : "?", ok);
    *ok &= js_json_add_num_if_finite(o, "workers", sg->workers);
    *ok &= js_json_add_num_if_finite(o, "batch", sg->batch);
    *ok &= js_json_add_num_if_finite(o, "count", sg->count);
    *ok &= js_json_add_num_if_finite(o, "throughput", sg->throughput);
    *ok &= js_json_add_num_if_finite(o, "lat_mean_ms", sg->lat_mean_ms);
    *ok &= js_json_add_num_if_finite(o, "lat_p95_ms", sg->lat_p95_ms);
}

static void app_json(cJSON *apps, const js_app_plan *ap, const js_scenario *s, bool *ok)
{
    const js_app *a = &s->apps[ap->app];
    cJSON *o = push_obj(apps, ok);
    if (!o)
        return;
    add_str(o, "name", a->name, ok);
    *ok &= js_json_add_num_if_finite(o, "rate", ap->rate);
    *ok &= js_json_add_num_if_finite(o, "pas", ap->pas);
    *ok &= js_json_add_num_if_finite(o, "predicted_p50_ms", ap->predicted_p50_ms);
    *ok &= js_json_add_num_if_finite(o, "predicted_p99_ms", ap->predicted_p99_ms);
    *ok &= js_json_add_num_if_finite(o, "predicted_violation_rate", ap->predicted_violation_rate);
    js_path paths[JS_MAX_PATHS];
    int np = js_dag_paths(a, paths, JS_MAX_PATHS);
    cJSON *pj = add_arr(o, "paths", ok);
    for (int k = 0; k < np && k < ap->npaths && pj; k++) {
        cJSON *one = cJSON_CreateArray();
        if (!one || !cJSON_AddItemToArray(pj, one)) {
            cJSON_Delete(one);
            *ok = false;
            break;
        }
        for (int j = 0; j < paths[k].len; j++) {
            cJSON *nm = cJSON_CreateString(a->tasks[paths[k].tasks[j]].name);
            if (!nm || !cJSON_AddItemToArray(one, nm)) {
                cJSON_Delete(nm);
                *ok = false;
            }
        }
    }
    cJSON *lat = add_arr(o, "latency_budget_ms", ok);
    for (int k = 0; k < ap->npaths && lat; k++) {
        cJSON *n = cJSON_CreateNumber(ap->path_latency_ms[k]);
        if (!n || !cJSON_AddItemToArray(lat, n)) {
            cJSON_Delete(n);
            *ok = false;
        }
    }
    cJSON *tasks = add_arr(o, "tasks", ok);
    for (int t = 0; t < ap->ntasks && tasks; t++) {
        const js_task_plan *tp = &ap->tasks[t];
        const js_task *task = &a->tasks[tp->task];
        cJSON *to = push_obj(tasks, ok);
        if (!to)
            return;
        add_str(to, "task", task->name, ok);
        add_str(to, "variant", task->variants[tp->variant].name, ok);
        *ok &= js_json_add_num_if_finite(to, "demand", tp->demand);
        *ok &= js_json_add_num_if_finite(to, "latency_budget_ms", tp->latency_budget_ms);
        *ok &= js_json_add_num_if_finite(to, "utilisation", tp->utilisation);
        cJSON *segs = add_arr(to, "segments", ok);
        for (int k = 0; k < tp->nsegments && segs; k++)
            segment_json(segs, &tp->segments[k], &s->cluster.gpu, ok);
    }
}

static void gpus_json(cJSON *root, const js_plan *p, const js_scenario *s, bool *ok)
{
    const js_gpu_type *g = &s->cluster.gpu;
    cJSON *gpus = add_arr(root, "gpus", ok);
    for (int i = 0; i < p->ngpus && gpus; i++) {
        cJSON *o = push_obj(gpus, ok);
        if (!o)
            return;
        *ok &= js_json_add_num_if_finite(o, "gpu", i);
        cJSON *insts = add_arr(o, "instances", ok);
        for (int k = 0; k < p->gpus[i].ninstances && insts; k++) {
            const js_instance *in = &p->gpus[i].inst[k];
            const js_app *a = &s->apps[in->app];
            cJSON *io = push_obj(insts, ok);
            if (!io)
                return;
            add_str(io, "profile", g->profiles[in->profile].name, ok);
            *ok &= js_json_add_num_if_finite(io, "start", in->start);
            add_str(io, "app", a->name, ok);
            add_str(io, "task", a->tasks[in->task].name, ok);
            add_str(io, "variant", a->tasks[in->task].variants[in->variant].name, ok);
            *ok &= js_json_add_num_if_finite(io, "batch", in->batch);
            *ok &= js_json_add_num_if_finite(io, "workers", in->workers);
        }
    }
}

cJSON *js_plan_to_json(const js_plan *p, const js_scenario *s)
{
    bool ok = true;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    add_str(root, "kind", "plan", &ok);
    ok &= js_json_add_num_if_finite(root, "format_version", JS_FORMAT_VERSION);
    add_str(root, "scenario", s->name, &ok);
    add_str(root, "gpu_type", s->cluster.gpu.name, &ok);
    add_str(root, "system", p->system, &ok);
    if (!cJSON_AddBoolToObject(root, "feasible", p->feasible))
        ok = false;
    add_str(root, "status", p->status, &ok);
    add_str(root, "objective_kind", p->objective_kind, &ok);
    ok &= js_json_add_num_if_finite(root, "objective", p->objective);
    ok &= js_json_add_num_if_finite(root, "bound", p->bound);
    ok &= js_json_add_num_if_finite(root, "gap", p->gap);
    ok &= js_json_add_num_if_finite(root, "demand_scale", p->demand_scale);
    ok &= js_json_add_num_if_finite(root, "demand_scale_bound", p->demand_scale_bound);
    if (p->scaled_app >= 0 && p->scaled_app < s->napps)
        add_str(root, "scaled_app", s->apps[p->scaled_app].name, &ok);
    ok &= js_json_add_num_if_finite(root, "slices_used", p->slices_used);
    ok &= js_json_add_num_if_finite(root, "gpus_used", p->gpus_used);
    ok &= js_json_add_num_if_finite(root, "gpus_total", p->gpus_total);
    ok &= js_json_add_num_if_finite(root, "price_per_gpu_hour_usd", js_cluster_price(&s->cluster));
    ok &= js_json_add_num_if_finite(root, "cost_per_hour_usd", js_plan_cost_per_hour(p, s));
    ok &= js_json_add_num_if_finite(root, "cost_per_million_requests_usd",
                                    js_plan_cost_per_million(p, s));
    if (p->rule[0])
        add_str(root, "rule", p->rule, &ok);
    ok &= js_json_add_num_if_finite(root, "target_quantile", p->target_quantile);
    /* The host costs the plan's latencies include (docs/host-model.md); none: no member. */
    if (js_host_spec_any(s->host)) {
        cJSON *h = js_host_spec_to_json(&s->host);
        ok &= h != NULL && cJSON_AddItemToObject(root, "host", h);
    }
    cJSON *solver = cJSON_AddObjectToObject(root, "solver");
    if (!solver)
        ok = false;
    else {
        ok &= js_json_add_num_if_finite(solver, "solves", p->stats.solves);
        ok &= js_json_add_num_if_finite(solver, "nodes", (double)p->stats.nodes);
        ok &= js_json_add_num_if_finite(solver, "configs_raw", p->stats.configs_raw);
        ok &= js_json_add_num_if_finite(solver, "configs", p->stats.configs);
        ok &= js_json_add_num_if_finite(solver, "rows", p->stats.rows);
        ok &= js_json_add_num_if_finite(solver, "cols", p->stats.cols);
        ok &= js_json_add_num_if_finite(solver, "int_cols", p->stats.int_cols);
    }
    cJSON *apps = add_arr(root, "apps", &ok);
    for (int i = 0; i < p->napps && apps; i++)
        app_json(apps, &p->apps[i], s, &ok);
    gpus_json(root, p, s, &ok);
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* ---- reading ---- */

static int find_app(const js_scenario *s, const char *name)
{
    for (int i = 0; i < s->napps; i++)
        if (strcmp(s->apps[i].name, name) == 0)
            return i;
    return -1;
}

static int find_task(const js_app *a, const char *name)
{
    for (int t = 0; t < a->ntasks; t++)
        if (strcmp(a->tasks[t].name, name) == 0)
            return t;
    return -1;
}

static int find_variant(const js_task *t, const char *name)
{
    for (int v = 0; v < t->nvariants; v++)
        if (strcmp(t->variants[v].name, name) == 0)
            return v;
    return -1;
}

/* The segment's MIG size must be one the GPU type offers, its "profile" (when given) that
 * size's name, its workers within the GPU's MPS limit and its throughput plausible. */
static int segment_against_gpu(js_jctx *c, const cJSON *o, const js_segment *sg,
                               const js_gpu_type *g)
{
    int prof = js_gpu_profile_by_slices(g, sg->mig);
    if (prof < 0)
        return js_json_err(c, "mig", "GPU %s has no MIG profile of %d compute slices", g->name,
                           sg->mig);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "profile");
    if (name != NULL && (!cJSON_IsString(name) || strcmp(name->valuestring, g->profiles[prof].name) != 0))
        return js_json_err(c, "profile", "must be \"%s\", the %d-slice profile of GPU %s",
                           g->profiles[prof].name, sg->mig, g->name);
    if (sg->workers > g->max_mps_workers)
        return js_json_err(c, "workers", "GPU %s allows at most %d MPS workers, got %d",
                           g->name, g->max_mps_workers, sg->workers);
    if (sg->throughput > JS_LIMIT_THROUGHPUT)
        return js_json_err(c, "throughput",
                           "must be <= %g items/s (README, plausibility limits), got %g",
                           JS_LIMIT_THROUGHPUT, sg->throughput);
    return 0;
}

static int segment_from_json(js_jctx *c, const cJSON *o, js_segment *sg)
{
    static const char *const allowed[] = {"mig", "profile", "workers", "batch", "count",
                                          "throughput", "lat_mean_ms", "lat_p95_ms", NULL};
    static const char *const required[] = {"mig", "workers", "batch", "count", "throughput",
                                           NULL};
    sg->lat_mean_ms = NAN;
    sg->lat_p95_ms = NAN;
    int rc = js_json_check_keys(c, o, allowed, required);
    if (!rc) rc = js_json_get_int(c, o, "mig", true, &sg->mig);
    if (!rc) rc = js_json_get_int(c, o, "workers", true, &sg->workers);
    if (!rc) rc = js_json_get_int(c, o, "batch", true, &sg->batch);
    if (!rc) rc = js_json_get_int(c, o, "count", true, &sg->count);
    if (!rc) rc = js_json_get_number(c, o, "throughput", true, &sg->throughput);
    if (!rc) rc = js_json_get_number(c, o, "lat_mean_ms", false, &sg->lat_mean_ms);
    if (!rc) rc = js_json_get_number(c, o, "lat_p95_ms", false, &sg->lat_p95_ms);
    if (rc)
        return rc;
    if (sg->workers < 1 || sg->batch < 1 || sg->count < 1)
        return js_json_err(c, "count", "workers, batch and count must be >= 1");
    if (!(sg->throughput > 0.0))
        return js_json_err(c, "throughput", "must be > 0, got %g", sg->throughput);
    return 0;
}

static int task_from_json(js_jctx *c, const cJSON *o, const js_app *a, const js_gpu_type *g,
                          js_task_plan *tp, bool *seen)
{
    static const char *const allowed[] = {"task", "variant", "demand", "latency_budget_ms",
                                          "utilisation", "segments", NULL};
    static const char *const required[] = {"task", "variant", "segments", NULL};
    char tname[JS_NAME_MAX], vname[JS_NAME_MAX];
    const cJSON *segs;
    int rc = js_json_check_keys(c, o, allowed, required);
    if (!rc) rc = js_json_get_string(c, o, "task", true, tname, sizeof tname);
    if (!rc) rc = js_json_get_string(c, o, "variant", true, vname, sizeof vname);
    if (rc)
        return rc;
    int t = find_task(a, tname);
    if (t < 0 || seen[t])
        return js_json_err(c, "task", "%s task \"%s\" in application %s",
                           t < 0 ? "unknown" : "duplicate", tname, a->name);
    seen[t] = true;
    int v = find_variant(&a->tasks[t], vname);
    if (v < 0)
        return js_json_err(c, "variant", "unknown variant \"%s\" of task %s", vname, tname);
    tp->task = t;
    tp->variant = v;
    if (!rc) rc = js_json_get_number(c, o, "demand", false, &tp->demand);
    if (!rc) rc = js_json_get_number(c, o, "latency_budget_ms", false, &tp->latency_budget_ms);
    tp->utilisation = NAN;
    if (!rc) rc = js_json_get_number(c, o, "utilisation", false, &tp->utilisation);
    if (!rc && !isnan(tp->utilisation) && !(tp->utilisation >= 0))
        return js_json_err(c, "utilisation", "must be >= 0, got %g", tp->utilisation);
    if (!rc) rc = js_json_get_array(c, o, "segments", true, &segs);
    if (rc)
        return rc;
    if (cJSON_GetArraySize(segs) > JS_MAX_SEGMENT_KINDS)
        return js_json_err(c, "segments", "more than %d segment kinds", JS_MAX_SEGMENT_KINDS);
    size_t s0 = js_jctx_push_key(c, "segments");
    int k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, segs) {
        size_t s1 = js_jctx_push_index(c, k);
        rc = segment_from_json(c, it, &tp->segments[k]);
        if (!rc)
            rc = segment_against_gpu(c, it, &tp->segments[k], g);
        js_jctx_pop(c, s1);
        if (rc)
            return rc;
        k++;
    }
    js_jctx_pop(c, s0);
    tp->nsegments = k;
    return 0;
}

/* "paths", when given, must be the application's source->sink paths by task name, in the
 * order js_dag_paths lists them: all of them, or the first ones (js_plan_to_json writes one
 * per path the plan has figures for, none for a plan built without them). */
static int paths_from_json(js_jctx *c, const cJSON *o, const js_app *a)
{
    const cJSON *arr = NULL;
    int rc = js_json_get_array(c, o, "paths", false, &arr);
    if (rc || arr == NULL)
        return rc;
    js_path *paths = malloc(JS_MAX_PATHS * sizeof *paths);
    if (paths == NULL)
        return js_diag_set(c->d, JS_EXIT_INTERNAL, "out of memory");
    int np = js_dag_paths(a, paths, JS_MAX_PATHS);
    if (cJSON_GetArraySize(arr) > np)
        rc = js_json_err(c, "paths", "has %d paths, application %s has %d",
                         cJSON_GetArraySize(arr), a->name, np);
    int k = 0;
    for (const cJSON *pj = arr->child; pj != NULL && rc == 0; pj = pj->next, k++) {
        bool same = cJSON_IsArray(pj) && cJSON_GetArraySize(pj) == paths[k].len;
        int j = 0;
        for (const cJSON *nm = same ? pj->child : NULL; nm != NULL && same; nm = nm->next, j++)
            same = cJSON_IsString(nm) &&
                   strcmp(nm->valuestring, a->tasks[paths[k].tasks[j]].name) == 0;
        if (!same) {
            size_t s0 = js_jctx_push_key(c, "paths");
            rc = js_json_err(c, NULL, "[%d] is not path %d of application %s (an array of its "
                             "task names, source first)", k, k, a->name);
            js_jctx_pop(c, s0);
        }
    }
    free(paths);
    return rc;
}

static int app_from_json(js_jctx *c, const cJSON *o, const js_scenario *s, js_app_plan *ap,
                         bool *app_seen)
{
    static const char *const allowed[] = {"name", "rate", "pas", "latency_budget_ms", "paths",
                                          "predicted_p50_ms", "predicted_p99_ms",
                                          "predicted_violation_rate", "tasks", NULL};
    static const char *const required[] = {"name", "rate", "tasks", NULL};
    char name[JS_NAME_MAX];
    const cJSON *tasks, *lat = NULL;
    int rc = js_json_check_keys(c, o, allowed, required);
    if (!rc) rc = js_json_get_string(c, o, "name", true, name, sizeof name);
    if (rc)
        return rc;
    int ai = find_app(s, name);
    if (ai < 0 || app_seen[ai])
        return js_json_err(c, "name", "%s application \"%s\"", ai < 0 ? "unknown" : "duplicate",
                           name);
    app_seen[ai] = true;
    const js_app *a = &s->apps[ai];
    ap->app = ai;
    ap->pas = NAN;
    if (!rc) rc = js_json_get_number(c, o, "rate", true, &ap->rate);
    if (!rc && !(ap->rate >= 0 && ap->rate <= JS_LIMIT_RATE))
        return js_json_err(c, "rate",
                           "must be in [0, %g] requests/s (README, plausibility limits), got %g",
                           JS_LIMIT_RATE, ap->rate);
    if (!rc) rc = paths_from_json(c, o, a);
    if (!rc) rc = js_json_get_number(c, o, "pas", false, &ap->pas);
    ap->predicted_p50_ms = ap->predicted_p99_ms = ap->predicted_violation_rate = NAN;
    if (!rc) rc = js_json_get_number(c, o, "predicted_p50_ms", false, &ap->predicted_p50_ms);
    if (!rc) rc = js_json_get_number(c, o, "predicted_p99_ms", false, &ap->predicted_p99_ms);
    if (!rc) rc = js_json_get_number(c, o, "predicted_violation_rate", false,
                                     &ap->predicted_violation_rate);
    if (!rc) rc = js_json_get_array(c, o, "latency_budget_ms", false, &lat);
    if (!rc) rc = js_json_get_array(c, o, "tasks", true, &tasks);
    if (rc)
        return rc;
    if (lat) {
        const cJSON *it;
        ap->npaths = 0;
        cJSON_ArrayForEach(it, lat) {
            if (!cJSON_IsNumber(it) || ap->npaths >= 256)
                return js_json_err(c, "latency_budget_ms", "must be an array of numbers");
            ap->path_latency_ms[ap->npaths++] = it->valuedouble;
        }
    }
    if (cJSON_GetArraySize(tasks) != a->ntasks)
        return js_json_err(c, "tasks", "has %d tasks, application %s has %d",
                           cJSON_GetArraySize(tasks), a->name, a->ntasks);
    bool seen[JS_MAX_TASKS] = {false};
    js_task_plan tmp;
    size_t s0 = js_jctx_push_key(c, "tasks");
    int k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, tasks) {
        size_t s1 = js_jctx_push_index(c, k++);
        memset(&tmp, 0, sizeof tmp);
        rc = task_from_json(c, it, a, &s->cluster.gpu, &tmp, seen);
        js_jctx_pop(c, s1);
        if (rc)
            return rc;
        ap->tasks[tmp.task] = tmp; /* stored by task index */
    }
    js_jctx_pop(c, s0);
    ap->ntasks = a->ntasks;
    return 0;
}

static int instance_from_json(js_jctx *c, const cJSON *o, const js_scenario *s,
                              js_instance *in)
{
    static const char *const allowed[] = {"profile", "start", "app", "task", "variant",
                                          "batch", "workers", NULL};
    static const char *const required[] = {"profile", "start", "app", "task", "variant",
                                           "batch", "workers", NULL};
    char prof[JS_NAME_MAX], app[JS_NAME_MAX], task[JS_NAME_MAX], var[JS_NAME_MAX];
    int rc = js_json_check_keys(c, o, allowed, required);
    if (!rc) rc = js_json_get_string(c, o, "profile", true, prof, sizeof prof);
    if (!rc) rc = js_json_get_int(c, o, "start", true, &in->start);
    if (!rc) rc = js_json_get_string(c, o, "app", true, app, sizeof app);
    if (!rc) rc = js_json_get_string(c, o, "task", true, task, sizeof task);
    if (!rc) rc = js_json_get_string(c, o, "variant", true, var, sizeof var);
    if (!rc) rc = js_json_get_int(c, o, "batch", true, &in->batch);
    if (!rc) rc = js_json_get_int(c, o, "workers", true, &in->workers);
    if (rc)
        return rc;
    if (in->batch < 1 || in->workers < 1 || in->workers > s->cluster.gpu.max_mps_workers)
        return js_json_err(c, "workers",
                           "batch must be >= 1 and workers in [1, %d], got batch %d, workers %d",
                           s->cluster.gpu.max_mps_workers, in->batch, in->workers);
    in->profile = js_gpu_profile_by_name(&s->cluster.gpu, prof);
    if (in->profile < 0)
        return js_json_err(c, "profile", "unknown MIG profile \"%s\" of GPU %s", prof,
                           s->cluster.gpu.name);
    in->app = find_app(s, app);
    if (in->app < 0)
        return js_json_err(c, "app", "unknown application \"%s\"", app);
    in->task = find_task(&s->apps[in->app], task);
    if (in->task < 0)
        return js_json_err(c, "task", "unknown task \"%s\"", task);
    in->variant = find_variant(&s->apps[in->app].tasks[in->task], var);
    if (in->variant < 0)
        return js_json_err(c, "variant", "unknown variant \"%s\"", var);
    return 0;
}

static int gpu_from_json(js_jctx *c, const cJSON *o, const js_scenario *s, int index,
                         js_gpu_plan *gp)
{
    static const char *const allowed[] = {"gpu", "node", "instances", NULL};
    static const char *const required[] = {"instances", NULL};
    const cJSON *insts;
    int rc = js_json_check_keys(c, o, allowed, required);
    int gi = index, node = index / 8;
    if (!rc) rc = js_json_get_int(c, o, "gpu", false, &gi);
    if (!rc && gi != index)
        return js_json_err(c, "gpu", "must be %d (GPUs are listed in index order), got %d",
                           index, gi);
    if (!rc) rc = js_json_get_int(c, o, "node", false, &node);
    if (!rc && node != index / 8)
        return js_json_err(c, "node", "must be %d (GPU index / 8), got %d", index / 8, node);
    if (!rc) rc = js_json_get_array(c, o, "instances", true, &insts);
    if (rc)
        return rc;
    if (cJSON_GetArraySize(insts) > JS_MAX_INSTANCES_PER_GPU)
        return js_json_err(c, "instances", "more than %d instances on one GPU",
                           JS_MAX_INSTANCES_PER_GPU);
    size_t s0 = js_jctx_push_key(c, "instances");
    int k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, insts) {
        size_t s1 = js_jctx_push_index(c, k);
        rc = instance_from_json(c, it, s, &gp->inst[k]);
        js_jctx_pop(c, s1);
        if (rc)
            return rc;
        k++;
    }
    js_jctx_pop(c, s0);
    gp->ninstances = k;
    js_mig_placement pl[JS_MAX_INSTANCES_PER_GPU];
    for (int i = 0; i < k; i++) {
        pl[i].profile = gp->inst[i].profile;
        pl[i].start = gp->inst[i].start;
    }
    js_diag d2;
    js_diag_init(&d2);
    if (js_gpu_layout_check(&s->cluster.gpu, pl, k, &d2) != 0)
        return js_json_err(c, "instances", "invalid MIG layout: %s", d2.msg);
    return 0;
}

/* "solver": the statistics js_plan_to_json writes, each a non-negative integer. */
static int solver_from_json(js_jctx *c, const cJSON *root, js_plan_stats *st)
{
    static const char *const allowed[] = {"solves", "nodes", "configs_raw", "configs", "rows",
                                          "cols", "int_cols", NULL};
    int *const dst[] = {&st->solves, NULL, &st->configs_raw, &st->configs, &st->rows, &st->cols,
                        &st->int_cols};
    const cJSON *o = NULL;
    int rc = js_json_get_object(c, root, "solver", false, &o);
    if (rc || o == NULL)
        return rc;
    size_t s0 = js_jctx_push_key(c, "solver");
    rc = js_json_check_keys(c, o, allowed, NULL);
    for (int i = 0; allowed[i] != NULL && rc == 0; i++) {
        int v = 0;
        if (cJSON_GetObjectItemCaseSensitive(o, allowed[i]) == NULL)
            continue;
        rc = js_json_get_int_in(c, o, allowed[i], 0, INT_MAX, &v);
        if (rc == 0 && dst[i] != NULL)
            *dst[i] = v;
        else if (rc == 0)
            st->nodes = v;
    }
    js_jctx_pop(c, s0);
    return rc;
}

/* "scenario" and "gpu_type", when given, must name the scenario and GPU type the plan is
 * read against: a plan made for another cluster would place instances that do not exist. */
static int names_against_scenario(js_jctx *c, const cJSON *root, const js_scenario *s)
{
    char name[JS_NAME_MAX] = "";
    int rc = js_json_get_string(c, root, "scenario", false, name, sizeof name);
    if (!rc && name[0] && strcmp(name, s->name) != 0)
        return js_json_err(c, "scenario", "plan is for scenario \"%s\", not \"%s\"", name,
                           s->name);
    name[0] = '\0';
    if (!rc) rc = js_json_get_string(c, root, "gpu_type", false, name, sizeof name);
    if (!rc && name[0] && strcmp(name, s->cluster.gpu.name) != 0)
        return js_json_err(c, "gpu_type", "plan is for GPU type \"%s\", the cluster has \"%s\"",
                           name, s->cluster.gpu.name);
    return rc;
}

static int header_from_json(js_jctx *c, const cJSON *root, js_plan *out)
{
    static const char *const allowed[] = {
        "kind", "format_version", "scenario", "gpu_type", "system", "feasible", "status",
        "objective_kind", "objective", "bound", "gap", "demand_scale", "demand_scale_bound",
        "slices_used", "gpus_used", "gpus_total", "rule", "target_quantile", "solver", "apps",
        "gpus", "host", "scaled_app", "price_per_gpu_hour_usd", "cost_per_hour_usd",
        "cost_per_million_requests_usd", NULL};
    static const char *const required[] = {"kind", "format_version", "system", "feasible",
                                           "apps", "gpus", NULL};
    int rc = js_json_check_keys(c, root, allowed, required);
    if (!rc) rc = js_json_check_kind(c, root, "plan");
    if (!rc) rc = js_json_get_string(c, root, "system", true, out->system, sizeof out->system);
    if (!rc) rc = js_json_get_bool(c, root, "feasible", true, &out->feasible);
    if (!rc) rc = js_json_get_string(c, root, "status", false, out->status, sizeof out->status);
    if (!rc) rc = js_json_get_string(c, root, "objective_kind", false, out->objective_kind,
                                     sizeof out->objective_kind);
    if (!rc) rc = js_json_get_number(c, root, "objective", false, &out->objective);
    if (!rc) rc = js_json_get_number(c, root, "bound", false, &out->bound);
    if (!rc) rc = js_json_get_number(c, root, "gap", false, &out->gap);
    if (!rc) rc = js_json_get_number(c, root, "demand_scale", false, &out->demand_scale);
    if (!rc) rc = js_json_get_number(c, root, "demand_scale_bound", false,
                                     &out->demand_scale_bound);
    if (!rc) rc = js_json_get_int(c, root, "gpus_total", false, &out->gpus_total);
    /* Costs are derived from the scenario's price (js_plan_cost_per_hour): read to check
     * their type, then dropped. */
    static const char *const costs[] = {"price_per_gpu_hour_usd", "cost_per_hour_usd",
                                        "cost_per_million_requests_usd"};
    for (size_t i = 0; i < sizeof costs / sizeof costs[0] && !rc; i++) {
        double ignored;
        rc = js_json_get_number(c, root, costs[i], false, &ignored);
    }
    if (!rc) rc = solver_from_json(c, root, &out->stats);
    if (!rc) rc = js_json_get_string(c, root, "rule", false, out->rule, sizeof out->rule);
    if (!rc && out->rule[0] && strcmp(out->rule, "paper") != 0 && strcmp(out->rule, "safe") != 0)
        return js_json_err(c, "rule", "must be \"paper\" or \"safe\", got \"%s\"", out->rule);
    if (!rc) rc = js_json_get_number(c, root, "target_quantile", false, &out->target_quantile);
    if (!rc && !isnan(out->target_quantile) &&
        !(out->target_quantile > 0 && out->target_quantile < 1))
        return js_json_err(c, "target_quantile", "must be in (0, 1), got %g",
                           out->target_quantile);
    return rc;
}

/* Every task's segments must be exactly the instances placed for it on the GPUs: the
 * simulator runs the placed instances, the planner's figures describe the segments, and a
 * plan where the two disagree would be simulated as something it does not say. Instances
 * run the task's planned variant; per (MIG size, batch, workers) the counts agree. */
static int segments_against_instances(js_jctx *c, const js_plan *p, const js_scenario *s)
{
    const js_gpu_type *g = &s->cluster.gpu;
    /* placed[(a * JS_MAX_TASKS + t) * JS_MAX_SEGMENT_KINDS + k]: instances matching the
     * first segment kind k of task t with their (MIG size, batch, workers). */
    long *placed = calloc((size_t)p->napps * JS_MAX_TASKS * JS_MAX_SEGMENT_KINDS + 1,
                          sizeof *placed);
    if (placed == NULL)
        return js_diag_set(c->d, JS_EXIT_INTERNAL, "out of memory");
    int rc = 0;
    for (int gi = 0; gi < p->ngpus && rc == 0; gi++)
        for (int i = 0; i < p->gpus[gi].ninstances && rc == 0; i++) {
            const js_instance *in = &p->gpus[gi].inst[i];
            const js_task_plan *tp = &p->apps[in->app].tasks[in->task];
            const js_task *task = &s->apps[in->app].tasks[in->task];
            int mig = g->profiles[in->profile].compute_slices, k = 0;
            while (k < tp->nsegments && (tp->segments[k].mig != mig ||
                                         tp->segments[k].batch != in->batch ||
                                         tp->segments[k].workers != in->workers))
                k++;
            if (in->variant != tp->variant || k == tp->nsegments) {
                size_t s0 = js_jctx_push_key(c, "gpus");
                js_jctx_push_index(c, gi);
                js_jctx_push_key(c, "instances");
                js_jctx_push_index(c, i);
                rc = js_json_err(c, NULL,
                                 "%s (%d slices, batch %d, %d workers) is no segment of the plan "
                                 "of task %s (variant %s)",
                                 task->variants[in->variant].name, mig, in->batch, in->workers,
                                 task->name, task->variants[tp->variant].name);
                js_jctx_pop(c, s0);
            } else
                placed[((size_t)in->app * JS_MAX_TASKS + (size_t)in->task) * JS_MAX_SEGMENT_KINDS +
                       (size_t)k]++;
        }
    for (int a = 0; a < p->napps && rc == 0; a++)
        for (int t = 0; t < p->apps[a].ntasks && rc == 0; t++) {
            const js_task_plan *tp = &p->apps[a].tasks[t];
            for (int k = 0; k < tp->nsegments && rc == 0; k++) {
                const js_segment *sg = &tp->segments[k];
                long want = 0;
                int first = -1;
                for (int j = 0; j < tp->nsegments; j++)
                    if (tp->segments[j].mig == sg->mig && tp->segments[j].batch == sg->batch &&
                        tp->segments[j].workers == sg->workers) {
                        want += tp->segments[j].count;
                        first = first < 0 ? j : first;
                    }
                long got = placed[((size_t)a * JS_MAX_TASKS + (size_t)t) * JS_MAX_SEGMENT_KINDS +
                                  (size_t)first];
                if (first == k && got != want)
                    rc = js_json_err(c, "apps",
                                     "application %s, task %s: %ld segment(s) of %d slices, "
                                     "batch %d, %d workers, but %ld such instance(s) placed on "
                                     "the GPUs",
                                     s->apps[a].name, s->apps[a].tasks[t].name, want, sg->mig,
                                     sg->batch, sg->workers, got);
            }
        }
    free(placed);
    return rc;
}

/* "scaled_app": the application whose maximum demand the plan is (--max-demand-app). */
static int scaled_app_from_json(js_jctx *c, const cJSON *root, const js_scenario *s,
                                js_plan *out)
{
    char name[JS_NAME_MAX] = "";
    int rc = js_json_get_string(c, root, "scaled_app", false, name, sizeof name);
    if (rc || !name[0])
        return rc;
    for (int i = 0; i < s->napps; i++)
        if (strcmp(s->apps[i].name, name) == 0)
            out->scaled_app = i;
    if (out->scaled_app < 0)
        return js_json_err(c, "scaled_app", "no application named \"%s\" in the scenario", name);
    return 0;
}

int js_plan_from_json(js_jctx *c, const cJSON *root, const js_scenario *s, js_plan *out)
{
    const cJSON *apps, *gpus;
    js_plan_init(out);
    int rc = header_from_json(c, root, out);
    if (!rc) rc = js_json_get_array(c, root, "apps", true, &apps);
    if (!rc) rc = js_json_get_array(c, root, "gpus", true, &gpus);
    if (!rc) rc = names_against_scenario(c, root, s);
    if (!rc) rc = scaled_app_from_json(c, root, s, out);
    js_host_spec host = js_host_spec_unset();
    if (!rc) rc = js_host_spec_from_json(c, root, "host", &host);
    /* Its segments' latencies hold the host time it was planned with. */
    if (!rc && !js_host_spec_same(host, s->host)) {
        char made[128], now[128];
        js_host_spec_describe(host, made, sizeof made);
        js_host_spec_describe(s->host, now, sizeof now);
        rc = js_json_err(c, "host", "the plan was made under host costs \"%s\", the scenario "
                         "has \"%s\": give the same --host-* options (docs/host-model.md)",
                         made, now);
    }
    if (rc)
        return rc;
    if (cJSON_GetArraySize(gpus) > s->cluster.gpus)
        return js_json_err(c, "gpus", "lists %d GPUs, the cluster of scenario %s has %d",
                           cJSON_GetArraySize(gpus), s->name, s->cluster.gpus);
    if (cJSON_GetArraySize(apps) != s->napps)
        return js_json_err(c, "apps", "has %d applications, the scenario has %d",
                           cJSON_GetArraySize(apps), s->napps);
    out->napps = s->napps;
    out->apps = calloc((size_t)s->napps + 1, sizeof *out->apps);
    out->ngpus = cJSON_GetArraySize(gpus);
    out->gpus = calloc((size_t)out->ngpus + 1, sizeof *out->gpus);
    if (!out->apps || !out->gpus) {
        js_plan_free(out);
        return js_diag_set(c->d, JS_EXIT_INTERNAL, "out of memory");
    }
    bool app_seen[256] = {false};
    if (s->napps > 256)
        return js_json_err(c, "apps", "too many applications");
    size_t s0 = js_jctx_push_key(c, "apps");
    int k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, apps) {
        size_t s1 = js_jctx_push_index(c, k);
        js_app_plan tmp;
        memset(&tmp, 0, sizeof tmp);
        rc = app_from_json(c, it, s, &tmp, app_seen);
        js_jctx_pop(c, s1);
        if (rc)
            break;
        out->apps[tmp.app] = tmp;
        k++;
    }
    js_jctx_pop(c, s0);
    s0 = js_jctx_push_key(c, "gpus");
    k = 0;
    cJSON_ArrayForEach(it, gpus) {
        if (rc)
            break;
        size_t s1 = js_jctx_push_index(c, k);
        rc = gpu_from_json(c, it, s, k, &out->gpus[k]);
        js_jctx_pop(c, s1);
        k++;
    }
    js_jctx_pop(c, s0);
    if (!rc)
        rc = segments_against_instances(c, out, s);
    if (rc) {
        js_plan_free(out);
        return rc;
    }
    /* Derived totals come from the layouts, not from the file's claims. */
    out->slices_used = 0;
    out->gpus_used = 0;
    for (int g = 0; g < out->ngpus; g++) {
        out->gpus_used += out->gpus[g].ninstances > 0;
        for (int i = 0; i < out->gpus[g].ninstances; i++)
            out->slices_used += s->cluster.gpu.profiles[out->gpus[g].inst[i].profile].compute_slices;
    }
    return 0;
}

int js_plan_load(const char *path, const js_scenario *s, js_plan *out, js_diag *d)
{
    cJSON *root = NULL;
    js_plan_init(out);
    int rc = js_json_load_file(path, &root, d);
    if (rc)
        return rc;
    js_jctx c;
    js_jctx_init(&c, path, d);
    rc = js_plan_from_json(&c, root, s, out);
    cJSON_Delete(root);
    return rc;
}
