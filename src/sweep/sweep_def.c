/* sweep_def: loading and validating sweep files, and the point enumeration. */
#include "jigsaw/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/planner.h"
#include "sweep_internal.h"

#define SWEEP_MAX_FILE_BYTES (16u << 20)

void js_sweep_result_init(js_sweep_result *r)
{
    memset(r, 0, sizeof *r);
    r->max_demand_scale = NAN;
    r->rate_rps = NAN;
    r->slices = -1;
    r->gpus_used = -1;
    r->pas = NAN;
    r->sim_requests = NAN;
    r->sim_violation_rate = NAN;
    r->sim_p99_ms = NAN;
    r->sim_accuracy = NAN;
}

uint64_t js_sweep_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Kinds of numeric axes: what a value must satisfy. */
typedef enum axis_kind { AXIS_GPUS, AXIS_LATENCY, AXIS_ACCURACY, AXIS_SCALE } axis_kind;

static int check_axis_value(js_jctx *c, axis_kind kind, double v)
{
    switch (kind) {
    case AXIS_GPUS:
        if (v < 1 || v > 1000000 || v != floor(v))
            return js_json_err(c, NULL, "must be an integer in [1, 1000000], got %g", v);
        return 0;
    case AXIS_LATENCY:
        if (!(v > 0) || v > 1e7)
            return js_json_err(c, NULL, "latency SLO must be in (0, 1e7] ms, got %g", v);
        return 0;
    case AXIS_ACCURACY:
        if (!(v > 0) || v > 1)
            return js_json_err(c, NULL, "accuracy SLO must be in (0, 1], got %g", v);
        return 0;
    case AXIS_SCALE:
        if (!(v > 0) || v > 1e9)
            return js_json_err(c, NULL, "demand scale must be in (0, 1e9], got %g", v);
        return 0;
    }
    return js_json_err(c, NULL, "internal: unknown axis kind");
}

static int axis_values_from_array(js_jctx *c, const cJSON *arr, axis_kind kind,
                                  js_sweep_axis *ax)
{
    int n = cJSON_GetArraySize(arr);
    if (n < 1)
        return js_json_err(c, NULL, "must hold at least one value");
    if (n > JS_SWEEP_MAX_AXIS)
        return js_json_err(c, NULL, "holds %d values, at most %d allowed", n,
                           JS_SWEEP_MAX_AXIS);
    ax->values = calloc((size_t)n, sizeof *ax->values);
    if (ax->values == NULL)
        return js_diag_set(c->d, JS_EXIT_INTERNAL, "out of memory");
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        size_t saved = js_jctx_push_index(c, i);
        if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble)) {
            int rc = js_json_err(c, NULL, "must be a finite number");
            js_jctx_pop(c, saved);
            return rc;
        }
        int rc = check_axis_value(c, kind, it->valuedouble);
        for (int j = 0; rc == 0 && j < i; j++)
            if (ax->values[j] == it->valuedouble)
                rc = js_json_err(c, NULL, "value %g repeats $[%d]", it->valuedouble, j);
        js_jctx_pop(c, saved);
        if (rc != 0)
            return rc;
        ax->values[i++] = it->valuedouble;
    }
    ax->n = n;
    return 0;
}

/* {"from": a, "to": b, "step": s}: a, a+s, ... up to b (inclusive within 1e-9 of s). */
static int axis_values_from_range(js_jctx *c, const cJSON *obj, axis_kind kind,
                                  js_sweep_axis *ax)
{
    double from = 0, to = 0, step = 0;
    int rc = js_json_get_number(c, obj, "from", true, &from);
    if (rc == 0)
        rc = js_json_get_number(c, obj, "to", true, &to);
    if (rc == 0)
        rc = js_json_get_number(c, obj, "step", true, &step);
    if (rc != 0)
        return rc;
    if (!(step > 0))
        return js_json_err(c, "step", "must be > 0, got %g", step);
    if (to < from)
        return js_json_err(c, "to", "must be >= from (%g), got %g", from, to);
    double count = floor((to - from) / step + 1e-9) + 1;
    if (count > JS_SWEEP_MAX_AXIS)
        return js_json_err(c, NULL, "range holds %.0f values, at most %d allowed", count,
                           JS_SWEEP_MAX_AXIS);
    int n = (int)count;
    ax->values = calloc((size_t)n, sizeof *ax->values);
    if (ax->values == NULL)
        return js_diag_set(c->d, JS_EXIT_INTERNAL, "out of memory");
    for (int i = 0; i < n; i++) {
        /* from + i*step, not repeated addition: no drift, and round to 12 significant
         * digits so 0.1-steps give the decimal values users expect. */
        double v = from + i * step;
        char buf[32];
        snprintf(buf, sizeof buf, "%.12g", v);
        v = strtod(buf, NULL);
        size_t saved = js_jctx_push_key(c, "from");
        rc = check_axis_value(c, kind, v);
        js_jctx_pop(c, saved);
        if (rc != 0)
            return rc;
        ax->values[i] = v;
    }
    ax->n = n;
    return 0;
}

/* Enters the list at key (the caller pops *saved when done), checks that it holds 1 to max
 * entries ("must <verb> 1 to <max> <noun>, got n"), and, when elem_size > 0, allocates n
 * zeroed elements into *out. On error the path is already popped. */
static int open_list(js_jctx *c, const cJSON *arr, const char *key, int max, const char *verb,
                     const char *noun, size_t elem_size, void **out, int *n, size_t *saved)
{
    *saved = js_jctx_push_key(c, key);
    *n = cJSON_GetArraySize(arr);
    if (*n < 1 || *n > max) {
        int rc = js_json_err(c, NULL, "must %s 1 to %d %s, got %d", verb, max, noun, *n);
        js_jctx_pop(c, *saved);
        return rc;
    }
    if (elem_size > 0) {
        *out = calloc((size_t)*n, elem_size);
        if (*out == NULL) {
            js_jctx_pop(c, *saved);
            return js_diag_set(c->d, JS_EXIT_INTERNAL, "out of memory");
        }
    }
    return 0;
}

static int axis_apps(js_jctx *c, const cJSON *obj, js_sweep_axis *ax)
{
    const cJSON *apps = NULL;
    int rc = js_json_get_array(c, obj, "apps", false, &apps);
    if (rc != 0 || apps == NULL)
        return rc;
    size_t saved;
    int n;
    rc = open_list(c, apps, "apps", JS_SWEEP_MAX_APPS, "name", "apps", 0, NULL, &n, &saved);
    if (rc != 0)
        return rc;
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, apps)
    {
        size_t s2 = js_jctx_push_index(c, i);
        if (!cJSON_IsString(it) || it->valuestring[0] == '\0' ||
            strlen(it->valuestring) >= JS_NAME_MAX)
            rc = js_json_err(c, NULL, "must be an app name (1 to %d characters)",
                             JS_NAME_MAX - 1);
        for (int j = 0; rc == 0 && j < i; j++)
            if (strcmp(ax->apps[j], it->valuestring) == 0)
                rc = js_json_err(c, NULL, "app '%s' named twice", it->valuestring);
        js_jctx_pop(c, s2);
        if (rc != 0)
            break;
        snprintf(ax->apps[i], sizeof ax->apps[i], "%s", it->valuestring);
        i++;
    }
    js_jctx_pop(c, saved);
    if (rc == 0)
        ax->napps = n;
    return rc;
}

/* A numeric axis: an array, {"values": [...]} or {"from","to","step"}, plus "apps"
 * for the SLO axes. */
static int parse_axis(js_jctx *c, const cJSON *grid, const char *key, axis_kind kind,
                      bool per_app, js_sweep_axis *ax)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(grid, key);
    if (v == NULL)
        return 0;
    size_t saved = js_jctx_push_key(c, key);
    int rc = 0;
    if (cJSON_IsArray(v)) {
        rc = axis_values_from_array(c, v, kind, ax);
    } else if (cJSON_IsObject(v)) {
        static const char *const with_apps[] = {"values", "from", "to", "step", "apps", NULL};
        static const char *const without_apps[] = {"values", "from", "to", "step", NULL};
        rc = js_json_check_keys(c, v, per_app ? with_apps : without_apps, NULL);
        const cJSON *values = cJSON_GetObjectItemCaseSensitive(v, "values");
        bool has_range = cJSON_GetObjectItemCaseSensitive(v, "from") != NULL ||
                         cJSON_GetObjectItemCaseSensitive(v, "to") != NULL ||
                         cJSON_GetObjectItemCaseSensitive(v, "step") != NULL;
        if (rc == 0 && values != NULL && has_range)
            rc = js_json_err(c, NULL, "give either \"values\" or \"from\"/\"to\"/\"step\", "
                                      "not both");
        if (rc == 0 && values == NULL && !has_range)
            rc = js_json_err(c, NULL, "needs \"values\" or \"from\"/\"to\"/\"step\"");
        if (rc == 0 && values != NULL) {
            size_t s2 = js_jctx_push_key(c, "values");
            if (!cJSON_IsArray(values))
                rc = js_json_err(c, NULL, "must be an array of numbers");
            else
                rc = axis_values_from_array(c, values, kind, ax);
            js_jctx_pop(c, s2);
        } else if (rc == 0) {
            rc = axis_values_from_range(c, v, kind, ax);
        }
        if (rc == 0 && per_app)
            rc = axis_apps(c, v, ax);
    } else {
        rc = js_json_err(c, NULL, per_app ? "must be an array of numbers or an object "
                                            "{\"values\"|\"from\",\"to\",\"step\", \"apps\"}"
                                          : "must be an array of numbers or an object "
                                            "{\"values\"|\"from\",\"to\",\"step\"}");
    }
    js_jctx_pop(c, saved);
    return rc;
}

static int parse_systems(js_jctx *c, const cJSON *grid, js_sweep *sw)
{
    const cJSON *arr = NULL;
    int rc = js_json_get_array(c, grid, "systems", false, &arr);
    if (rc != 0)
        return rc;
    if (arr == NULL) {
        sw->systems = malloc(sizeof *sw->systems);
        if (sw->systems == NULL)
            return js_diag_set(c->d, JS_EXIT_INTERNAL, "out of memory");
        sw->systems[0] = JS_FEAT_A | JS_FEAT_S | JS_FEAT_T;
        sw->nsystems = 1;
        return 0;
    }
    size_t saved;
    int n;
    void *mem = NULL;
    rc = open_list(c, arr, "systems", JS_NSYSTEMS, "list", "systems", sizeof *sw->systems, &mem,
                   &n, &saved);
    if (rc != 0)
        return rc;
    sw->systems = mem;
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        size_t s2 = js_jctx_push_index(c, i);
        unsigned f = 0;
        if (!cJSON_IsString(it))
            rc = js_json_err(c, NULL, "must be a system name (unopt, A, S, T, A+T, S+T, "
                                      "A+S, A+S+T, jigsaw, loki)");
        else if (js_system_parse(it->valuestring, &f) != 0)
            rc = js_json_err(c, NULL, "unknown system '%s' (unopt, A, S, T, A+T, S+T, A+S, "
                                      "A+S+T, jigsaw, loki)", it->valuestring);
        for (int j = 0; rc == 0 && j < i; j++)
            if (sw->systems[j] == f)
                rc = js_json_err(c, NULL, "system %s listed twice", js_system_name(f));
        js_jctx_pop(c, s2);
        if (rc != 0)
            break;
        sw->systems[i++] = f;
    }
    js_jctx_pop(c, saved);
    if (rc == 0)
        sw->nsystems = n;
    return rc;
}

static int parse_gpu_types(js_jctx *c, const cJSON *grid, js_sweep *sw)
{
    const cJSON *arr = NULL;
    int rc = js_json_get_array(c, grid, "gpu", false, &arr);
    if (rc != 0 || arr == NULL)
        return rc;
    size_t saved;
    int n;
    void *mem = NULL;
    rc = open_list(c, arr, "gpu", 64, "list", "GPU types", sizeof *sw->gpu_types, &mem, &n,
                   &saved);
    if (rc != 0)
        return rc;
    sw->gpu_types = mem;
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        size_t s2 = js_jctx_push_index(c, i);
        if (!cJSON_IsString(it) || it->valuestring[0] == '\0' ||
            strlen(it->valuestring) >= JS_NAME_MAX || strchr(it->valuestring, '/') ||
            strchr(it->valuestring, ','))
            rc = js_json_err(c, NULL, "must be a GPU type name such as \"a100-80gb\"");
        for (int j = 0; rc == 0 && j < i; j++)
            if (strcmp(sw->gpu_types[j], it->valuestring) == 0)
                rc = js_json_err(c, NULL, "GPU type '%s' listed twice", it->valuestring);
        js_jctx_pop(c, s2);
        if (rc != 0)
            break;
        snprintf(sw->gpu_types[i], JS_NAME_MAX, "%s", it->valuestring);
        i++;
    }
    js_jctx_pop(c, saved);
    if (rc == 0)
        sw->ngpu_types = n;
    return rc;
}

static int parse_grid(js_jctx *c, const cJSON *root, js_sweep *sw)
{
    const cJSON *grid = NULL;
    int rc = js_json_get_object(c, root, "grid", true, &grid);
    if (rc != 0)
        return rc;
    size_t saved = js_jctx_push_key(c, "grid");
    static const char *const keys[] = {"gpu",          "gpus",         "latency_slo_ms",
                                       "accuracy_slo", "demand_scale", "systems", NULL};
    rc = js_json_check_keys(c, grid, keys, NULL);
    if (rc == 0)
        rc = parse_gpu_types(c, grid, sw);
    if (rc == 0)
        rc = parse_axis(c, grid, "gpus", AXIS_GPUS, false, &sw->gpus);
    if (rc == 0)
        rc = parse_axis(c, grid, "latency_slo_ms", AXIS_LATENCY, true, &sw->latency_slo_ms);
    if (rc == 0)
        rc = parse_axis(c, grid, "accuracy_slo", AXIS_ACCURACY, true, &sw->accuracy_slo);
    if (rc == 0)
        rc = parse_axis(c, grid, "demand_scale", AXIS_SCALE, false, &sw->demand_scale);
    if (rc == 0 && sw->demand_scale.n > 0 && sw->objective == JS_SWEEP_MAX_DEMAND)
        rc = js_json_err(c, "demand_scale", "only applies to objective \"min-slices\" "
                                            "(max-demand finds the scale itself)");
    if (rc == 0)
        rc = parse_systems(c, grid, sw);
    js_jctx_pop(c, saved);
    return rc;
}

static int parse_simulation(js_jctx *c, const cJSON *root, js_sweep *sw)
{
    int rc = js_json_get_bool(c, root, "simulate", false, &sw->simulate);
    const cJSON *sim = NULL;
    if (rc == 0)
        rc = js_json_get_object(c, root, "simulation", false, &sim);
    if (rc != 0 || sim == NULL)
        return rc;
    if (!sw->simulate)
        return js_json_err(c, "simulation", "given but \"simulate\" is not true");
    size_t saved = js_jctx_push_key(c, "simulation");
    static const char *const keys[] = {"duration_s", "seed", "load", NULL};
    rc = js_json_check_keys(c, sim, keys, NULL);
    double seed = 1;
    if (rc == 0)
        rc = js_json_get_number(c, sim, "duration_s", false, &sw->sim_duration_s);
    if (rc == 0 && !(sw->sim_duration_s > 0 && sw->sim_duration_s <= 1e6))
        rc = js_json_err(c, "duration_s", "must be in (0, 1e6] s, got %g", sw->sim_duration_s);
    if (rc == 0)
        rc = js_json_get_number(c, sim, "seed", false, &seed);
    if (rc == 0 && !(seed >= 0 && seed <= 9007199254740992.0 && seed == floor(seed)))
        rc = js_json_err(c, "seed", "must be an integer in [0, 2^53], got %g", seed);
    if (rc == 0)
        rc = js_json_get_number(c, sim, "load", false, &sw->sim_load);
    if (rc == 0 && !(sw->sim_load > 0 && sw->sim_load <= 10))
        rc = js_json_err(c, "load", "must be in (0, 10], got %g", sw->sim_load);
    sw->sim_seed = (uint64_t)seed;
    js_jctx_pop(c, saved);
    return rc;
}

static int parse_objective(js_jctx *c, const cJSON *root, js_sweep *sw)
{
    char obj[32] = "max-demand";
    int rc = js_json_get_string(c, root, "objective", false, obj, sizeof obj);
    if (rc != 0)
        return rc;
    if (strcmp(obj, "max-demand") == 0)
        sw->objective = JS_SWEEP_MAX_DEMAND;
    else if (strcmp(obj, "min-slices") == 0)
        sw->objective = JS_SWEEP_MIN_SLICES;
    else
        return js_json_err(c, "objective", "must be \"max-demand\" or \"min-slices\", got "
                                           "\"%s\"", obj);
    return 0;
}

/* The scenario path is relative to the sweep file's directory (unless absolute). */
static int resolve_scenario(js_jctx *c, const char *rel, js_sweep *sw)
{
    const char *slash = strrchr(c->file, '/');
    int n;
    if (rel[0] == '/' || slash == NULL)
        n = snprintf(sw->scenario_path, sizeof sw->scenario_path, "%s", rel);
    else
        n = snprintf(sw->scenario_path, sizeof sw->scenario_path, "%.*s/%s",
                     (int)(slash - c->file), c->file, rel);
    if (n < 0 || (size_t)n >= sizeof sw->scenario_path)
        return js_json_err(c, "scenario", "resolved path is too long");
    return 0;
}

static long axis_len(const js_sweep_axis *ax)
{
    return ax->n > 0 ? ax->n : 1;
}

static int count_points(js_jctx *c, js_sweep *sw)
{
    double n = (double)(sw->ngpu_types > 0 ? sw->ngpu_types : 1) * (double)axis_len(&sw->gpus) *
               (double)axis_len(&sw->latency_slo_ms) * (double)axis_len(&sw->accuracy_slo) *
               (double)axis_len(&sw->demand_scale) * (double)sw->nsystems;
    if (n > JS_SWEEP_MAX_POINTS)
        return js_json_err(c, "grid", "has %.0f points, at most %d allowed", n,
                           JS_SWEEP_MAX_POINTS);
    sw->npoints = (long)n;
    return 0;
}

static int parse_rule(js_jctx *c, const cJSON *root, js_sweep *out)
{
    char text[32] = "";
    int rc = js_json_get_string(c, root, "rule", false, text, sizeof text);
    if (rc == 0 && text[0] && js_rule_parse(text, &out->rule) != 0)
        rc = js_json_err(c, "rule", "must be \"safe\" or \"paper\", got \"%s\"", text);
    text[0] = '\0';
    if (rc == 0)
        rc = js_json_get_string(c, root, "target", false, text, sizeof text);
    if (rc == 0 && text[0] && js_target_parse(text, &out->target_quantile) != 0)
        rc = js_json_err(c, "target", "must be a quantile such as \"p99\" or \"p99.9\", "
                                      "got \"%s\"", text);
    return rc;
}

int js_sweep_from_json(js_jctx *c, const cJSON *root, js_sweep *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->file, sizeof out->file, "%s", c->file);
    out->sim_duration_s = 60;
    out->sim_seed = 1;
    out->sim_load = 1;
    out->rule = JS_RULE_SAFE;
    out->target_quantile = 0.99;
    if (!cJSON_IsObject(root))
        return js_json_err(c, NULL, "must be a JSON object (a sweep file)");
    static const char *const keys[] = {"kind", "format_version", "name", "description",
                                       "scenario", "objective", "grid", "time_limit_s",
                                       "rule", "target", "simulate", "simulation", NULL};
    static const char *const required[] = {"kind", "format_version", "scenario", "grid", NULL};
    int rc = js_json_check_keys(c, root, keys, required);
    char kind[32] = "";
    int version = 0;
    char scen[JS_PATH_MAX] = "";
    if (rc == 0)
        rc = js_json_get_string(c, root, "kind", true, kind, sizeof kind);
    if (rc == 0 && strcmp(kind, "sweep") != 0)
        rc = js_json_err(c, "kind", "must be \"sweep\", got \"%s\"", kind);
    if (rc == 0)
        rc = js_json_get_int(c, root, "format_version", true, &version);
    if (rc == 0 && version != 1)
        rc = js_json_err(c, "format_version", "must be 1 (the only version this build "
                                              "reads), got %d", version);
    if (rc == 0)
        rc = js_json_get_string(c, root, "name", false, out->name, sizeof out->name);
    if (rc == 0)
        rc = js_json_get_string(c, root, "scenario", true, scen, sizeof scen);
    if (rc == 0)
        rc = resolve_scenario(c, scen, out);
    if (rc == 0)
        rc = parse_objective(c, root, out);
    if (rc == 0)
        rc = parse_grid(c, root, out);
    if (rc == 0)
        rc = js_json_get_number(c, root, "time_limit_s", false, &out->time_limit_s);
    if (rc == 0 && !(out->time_limit_s >= 0 && out->time_limit_s <= 86400))
        rc = js_json_err(c, "time_limit_s", "must be in [0, 86400] s (0 = the planner's default), got %g",
                         out->time_limit_s);
    if (rc == 0)
        rc = parse_rule(c, root, out);
    if (rc == 0)
        rc = parse_simulation(c, root, out);
    if (rc == 0)
        rc = count_points(c, out);
    if (rc != 0)
        js_sweep_free(out); /* nothing half-built reaches the caller */
    return rc;
}

int js_sweep_load(const char *path, js_sweep *out, js_diag *d)
{
    memset(out, 0, sizeof *out);
    if (strlen(path) >= JS_PATH_MAX)
        return js_diag_set(d, JS_EXIT_USAGE, "%s: path too long", path);
    cJSON *root = NULL;
    int rc = js_json_load_file(path, &root, d);
    if (rc != 0)
        return rc;
    js_jctx c = {.file = path, .path = "$", .d = d};
    rc = js_sweep_from_json(&c, root, out);
    if (rc == 0) {
        /* The checksum covers the definition as parsed (whitespace-insensitive) and
         * the scenario's bytes: a journal of an edited sweep or scenario is stale. */
        char *canon = cJSON_PrintUnformatted(root);
        char *scen = NULL;
        size_t len = 0;
        if (canon == NULL)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        else
            rc = js_read_file(out->scenario_path, SWEEP_MAX_FILE_BYTES, &scen, &len, d);
        if (rc != 0 && d != NULL && rc == JS_EXIT_NOINPUT)
            snprintf(d->msg + strlen(d->msg), sizeof d->msg - strlen(d->msg),
                     " (scenario of %s, $.scenario)", path);
        if (rc == 0) {
            uint64_t h = js_sweep_fnv1a(0xcbf29ce484222325ull, canon, strlen(canon));
            out->checksum = js_sweep_fnv1a(h, scen, len);
        }
        free(scen);
        cJSON_free(canon);
    }
    cJSON_Delete(root);
    if (rc != 0)
        js_sweep_free(out);
    return rc;
}

void js_sweep_free(js_sweep *sw)
{
    if (sw == NULL)
        return;
    free(sw->gpu_types);
    free(sw->gpus.values);
    free(sw->latency_slo_ms.values);
    free(sw->accuracy_slo.values);
    free(sw->demand_scale.values);
    free(sw->systems);
    char file[JS_PATH_MAX];
    memcpy(file, sw->file, sizeof file);
    memset(sw, 0, sizeof *sw);
    memcpy(sw->file, file, sizeof file);
}

static double axis_value(const js_sweep_axis *ax, long i)
{
    return ax->n > 0 ? ax->values[i] : NAN;
}

void js_sweep_point_at(const js_sweep *sw, long index, js_sweep_point *p)
{
    /* Mixed-radix decomposition, innermost axis (systems) first. */
    long rest = index;
    p->index = index;
    p->system_index = (int)(rest % sw->nsystems);
    rest /= sw->nsystems;
    p->system = sw->systems[p->system_index];
    long ds = rest % axis_len(&sw->demand_scale);
    rest /= axis_len(&sw->demand_scale);
    long acc = rest % axis_len(&sw->accuracy_slo);
    rest /= axis_len(&sw->accuracy_slo);
    long lat = rest % axis_len(&sw->latency_slo_ms);
    rest /= axis_len(&sw->latency_slo_ms);
    long g = rest % axis_len(&sw->gpus);
    rest /= axis_len(&sw->gpus);
    p->demand_scale = axis_value(&sw->demand_scale, ds);
    p->accuracy_slo = axis_value(&sw->accuracy_slo, acc);
    p->latency_slo_ms = axis_value(&sw->latency_slo_ms, lat);
    p->gpus = sw->gpus.n > 0 ? (int)sw->gpus.values[g] : 0;
    p->gpu_type = sw->ngpu_types > 0 ? (int)rest : -1;
}
