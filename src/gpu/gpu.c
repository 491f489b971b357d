/* gpu: GPU types, MIG placement rules and layout enumeration; see include/jigsaw/gpu.h. */
#include "jigsaw/gpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ loading */

static int load_mig_profile(js_jctx *c, const cJSON *o, const js_gpu_type *g,
                            js_mig_profile *p)
{
    static const char *const keys[] = {"name", "compute_slices", "memory_slices", "sms",
                                       "memory_gib", "starts", NULL};
    int rc = js_json_check_keys(c, o, keys, keys);
    if (rc == 0)
        rc = js_json_get_name(c, o, "name", true, p->name, sizeof p->name);
    if (rc == 0)
        rc = js_json_get_int_in(c, o, "compute_slices", 1, g->compute_slices,
                                &p->compute_slices);
    if (rc == 0)
        rc = js_json_get_int_in(c, o, "memory_slices", 1, g->memory_slices, &p->memory_slices);
    if (rc == 0)
        rc = js_json_get_int(c, o, "sms", true, &p->sms);
    if (rc == 0 && p->sms < 1)
        rc = js_json_err(c, "sms", "must be >= 1, got %d", p->sms);
    if (rc == 0)
        rc = js_json_get_number(c, o, "memory_gib", true, &p->memory_gib);
    if (rc == 0 && !(p->memory_gib > 0))
        rc = js_json_err(c, "memory_gib", "must be > 0, got %g", p->memory_gib);
    const cJSON *starts = NULL;
    if (rc == 0)
        rc = js_json_get_array(c, o, "starts", true, &starts);
    if (rc != 0)
        return rc;
    int n = cJSON_GetArraySize(starts);
    if (n < 1 || n > JS_MAX_STARTS)
        return js_json_err(c, "starts", "must hold 1 to %d start positions, got %d",
                           JS_MAX_STARTS, n);
    size_t s0 = js_jctx_push_key(c, "starts");
    int i = 0;
    for (const cJSON *e = starts->child; e != NULL && rc == 0; e = e->next, i++) {
        size_t s1 = js_jctx_push_index(c, i);
        double x = cJSON_IsNumber(e) ? e->valuedouble : NAN;
        if (!cJSON_IsNumber(e) || x != floor(x))
            rc = js_json_err(c, NULL, "must be an integer");
        else if (x < 0 || x + p->memory_slices > g->memory_slices)
            rc = js_json_err(c, NULL,
                             "start %g leaves the GPU (an instance of %d memory slices must "
                             "start in [0, %d])",
                             x, p->memory_slices, g->memory_slices - p->memory_slices);
        else {
            p->starts[i] = (int)x;
            for (int j = 0; j < i && rc == 0; j++)
                if (p->starts[j] == p->starts[i])
                    rc = js_json_err(c, NULL, "duplicate start position %d", p->starts[i]);
        }
        js_jctx_pop(c, s1);
    }
    js_jctx_pop(c, s0);
    p->nstarts = n;
    return rc;
}

/* "YYYY-MM": the month a price was read, enough to tell a stale one. */
static bool month_valid(const char *s)
{
    for (int i = 0; i < 7; i++)
        if (i == 4 ? s[i] != '-' : !(s[i] >= '0' && s[i] <= '9'))
            return false;
    int month = (s[5] - '0') * 10 + (s[6] - '0');
    return s[7] == '\0' && month >= 1 && month <= 12;
}

/* Optional "price_per_gpu_hour": {"usd", "source", "date"}; absent leaves the price NAN. */
static int load_price(js_jctx *c, const cJSON *root, js_gpu_type *out)
{
    static const char *const keys[] = {"usd", "source", "date", NULL};
    static const char *const required[] = {"usd", "source", NULL};
    const cJSON *o = NULL;
    int rc = js_json_get_object(c, root, "price_per_gpu_hour", false, &o);
    if (rc != 0 || o == NULL)
        return rc;
    size_t s0 = js_jctx_push_key(c, "price_per_gpu_hour");
    rc = js_json_check_keys(c, o, keys, required);
    if (rc == 0)
        rc = js_json_get_number(c, o, "usd", true, &out->price_usd_per_hour);
    if (rc == 0 && !(out->price_usd_per_hour > 0))
        rc = js_json_err(c, "usd", "must be > 0, got %g", out->price_usd_per_hour);
    if (rc == 0)
        rc = js_json_get_string(c, o, "source", true, out->price_source,
                                sizeof out->price_source);
    if (rc == 0)
        rc = js_json_get_string(c, o, "date", false, out->price_date, sizeof out->price_date);
    if (rc == 0 && out->price_date[0] && !month_valid(out->price_date))
        rc = js_json_err(c, "date", "must be a month \"YYYY-MM\", got \"%s\"", out->price_date);
    js_jctx_pop(c, s0);
    return rc;
}

static int cmp_profile_slices(const void *a, const void *b)
{
    const js_mig_profile *x = a, *y = b;
    if (x->compute_slices != y->compute_slices)
        return x->compute_slices < y->compute_slices ? -1 : 1;
    return x->memory_slices < y->memory_slices ? -1 : x->memory_slices > y->memory_slices;
}

int js_gpu_from_json(js_jctx *c, const cJSON *root, js_gpu_type *out)
{
    static const char *const required[] = {
        "kind", "format_version", "name", "compute_slices", "memory_slices", "max_mps_workers",
        "mig_profiles", NULL};
    static const char *const allowed[] = {"description", "sources", "sm_clock_mhz", "memory_bandwidth_gbs",
                                          "fp16_tflops", "price_per_gpu_hour", NULL};
    memset(out, 0, sizeof *out);
    out->sm_clock_mhz = out->memory_bandwidth_gbs = out->fp16_tflops = NAN;
    out->price_usd_per_hour = NAN;
    int rc = js_json_check_kind(c, root, "gpu");
    if (rc == 0)
        rc = js_json_check_keys(c, root, allowed, required);
    if (rc == 0)
        rc = js_json_get_name(c, root, "name", true, out->name, sizeof out->name);
    if (rc == 0)
        rc = js_json_get_string(c, root, "description", false, out->description,
                                sizeof out->description);
    if (rc == 0)
        rc = js_json_get_string(c, root, "sources", false, out->sources, sizeof out->sources);
    if (rc == 0)
        rc = js_json_get_int_in(c, root, "compute_slices", 1, 32, &out->compute_slices);
    if (rc == 0)
        rc = js_json_get_int_in(c, root, "memory_slices", 1, 32, &out->memory_slices);
    if (rc == 0)
        rc = js_json_get_int_in(c, root, "max_mps_workers", 1, 64, &out->max_mps_workers);
    static const char *const facts[] = {"sm_clock_mhz", "memory_bandwidth_gbs", "fp16_tflops"};
    double *fact_out[] = {&out->sm_clock_mhz, &out->memory_bandwidth_gbs, &out->fp16_tflops};
    for (int i = 0; i < 3 && rc == 0; i++) {
        rc = js_json_get_number(c, root, facts[i], false, fact_out[i]);
        if (rc == 0 && !isnan(*fact_out[i]) && !(*fact_out[i] > 0))
            rc = js_json_err(c, facts[i], "must be > 0, got %g", *fact_out[i]);
    }
    if (rc == 0)
        rc = load_price(c, root, out);
    const cJSON *profs = NULL;
    if (rc == 0)
        rc = js_json_get_array(c, root, "mig_profiles", true, &profs);
    if (rc != 0)
        return rc;
    int n = cJSON_GetArraySize(profs);
    if (n < 1 || n > JS_MAX_MIG_PROFILES)
        return js_json_err(c, "mig_profiles", "must hold 1 to %d profiles, got %d",
                           JS_MAX_MIG_PROFILES, n);
    size_t s0 = js_jctx_push_key(c, "mig_profiles");
    int i = 0;
    for (const cJSON *e = profs->child; e != NULL && rc == 0; e = e->next, i++) {
        size_t s1 = js_jctx_push_index(c, i);
        rc = load_mig_profile(c, e, out, &out->profiles[i]);
        for (int j = 0; j < i && rc == 0; j++) {
            if (strcmp(out->profiles[j].name, out->profiles[i].name) == 0)
                rc = js_json_err(c, "name", "duplicate MIG profile name \"%s\"",
                                 out->profiles[i].name);
            else if (out->profiles[j].compute_slices == out->profiles[i].compute_slices &&
                     out->profiles[j].memory_slices == out->profiles[i].memory_slices)
                rc = js_json_err(c, "compute_slices",
                                 "two MIG profiles with %d compute and %d memory slices (\"%s\" "
                                 "and \"%s\")", out->profiles[i].compute_slices,
                                 out->profiles[i].memory_slices, out->profiles[j].name,
                                 out->profiles[i].name);
        }
        js_jctx_pop(c, s1);
    }
    js_jctx_pop(c, s0);
    if (rc != 0)
        return rc;
    out->nprofiles = n;
    qsort(out->profiles, (size_t)n, sizeof out->profiles[0], cmp_profile_slices);
    return 0;
}

int js_gpu_load(const char *path, js_gpu_type *out, js_diag *d)
{
    cJSON *root = NULL;
    int rc = js_json_load_file(path, &root, d);
    if (rc != 0)
        return rc;
    js_jctx c;
    js_jctx_init(&c, path, d);
    rc = js_gpu_from_json(&c, root, out);
    cJSON_Delete(root);
    return rc;
}

/* ------------------------------------------------------------------ writing */

cJSON *js_gpu_to_json(const js_gpu_type *g)
{
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        return NULL;
    int bad = 0;
    bad |= cJSON_AddStringToObject(root, "kind", "gpu") == NULL;
    bad |= cJSON_AddNumberToObject(root, "format_version", JS_FORMAT_VERSION) == NULL;
    bad |= cJSON_AddStringToObject(root, "name", g->name) == NULL;
    if (g->description[0])
        bad |= cJSON_AddStringToObject(root, "description", g->description) == NULL;
    if (g->sources[0])
        bad |= cJSON_AddStringToObject(root, "sources", g->sources) == NULL;
    bad |= cJSON_AddNumberToObject(root, "compute_slices", g->compute_slices) == NULL;
    bad |= cJSON_AddNumberToObject(root, "memory_slices", g->memory_slices) == NULL;
    bad |= cJSON_AddNumberToObject(root, "max_mps_workers", g->max_mps_workers) == NULL;
    bad |= !js_json_add_num_if_finite(root, "sm_clock_mhz", g->sm_clock_mhz);
    bad |= !js_json_add_num_if_finite(root, "memory_bandwidth_gbs", g->memory_bandwidth_gbs);
    bad |= !js_json_add_num_if_finite(root, "fp16_tflops", g->fp16_tflops);
    if (g->price_usd_per_hour > 0) { /* NAN (none) and a zeroed type: no price */
        cJSON *pr = cJSON_AddObjectToObject(root, "price_per_gpu_hour");
        bad |= pr == NULL || cJSON_AddNumberToObject(pr, "usd", g->price_usd_per_hour) == NULL ||
               cJSON_AddStringToObject(pr, "source", g->price_source) == NULL ||
               (g->price_date[0] &&
                cJSON_AddStringToObject(pr, "date", g->price_date) == NULL);
    }
    cJSON *arr = cJSON_AddArrayToObject(root, "mig_profiles");
    bad |= arr == NULL;
    for (int i = 0; i < g->nprofiles && !bad; i++) {
        const js_mig_profile *p = &g->profiles[i];
        cJSON *o = cJSON_CreateObject();
        if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            bad = 1;
            break;
        }
        bad |= cJSON_AddStringToObject(o, "name", p->name) == NULL;
        bad |= cJSON_AddNumberToObject(o, "compute_slices", p->compute_slices) == NULL;
        bad |= cJSON_AddNumberToObject(o, "memory_slices", p->memory_slices) == NULL;
        bad |= cJSON_AddNumberToObject(o, "sms", p->sms) == NULL;
        bad |= cJSON_AddNumberToObject(o, "memory_gib", p->memory_gib) == NULL;
        cJSON *st = cJSON_CreateIntArray(p->starts, p->nstarts);
        if (st == NULL || !cJSON_AddItemToObject(o, "starts", st)) {
            cJSON_Delete(st);
            bad = 1;
        }
    }
    if (bad) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* ------------------------------------------------------------------ lookups */

int js_gpu_profile_by_slices(const js_gpu_type *g, int compute_slices)
{
    for (int i = 0; i < g->nprofiles; i++)
        if (g->profiles[i].compute_slices == compute_slices)
            return i;
    return -1;
}

int js_gpu_profile_by_name(const js_gpu_type *g, const char *name)
{
    for (int i = 0; i < g->nprofiles; i++)
        if (strcmp(g->profiles[i].name, name) == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------------ placement */

static bool start_allowed(const js_mig_profile *p, int start)
{
    for (int i = 0; i < p->nstarts; i++)
        if (p->starts[i] == start)
            return true;
    return false;
}

int js_gpu_layout_check(const js_gpu_type *g, const js_mig_placement *inst, int n, js_diag *d)
{
    if (n < 0 || n > JS_MAX_INSTANCES_PER_GPU)
        return js_diag_set(d, JS_EXIT_DATAERR, "%s: %d MIG instances on one GPU (at most %d)",
                           g->name, n, JS_MAX_INSTANCES_PER_GPU);
    int owner[64];
    for (int s = 0; s < g->memory_slices; s++)
        owner[s] = -1;
    int compute = 0;
    for (int i = 0; i < n; i++) {
        if (inst[i].profile < 0 || inst[i].profile >= g->nprofiles)
            return js_diag_set(d, JS_EXIT_DATAERR, "%s: instance %d: no MIG profile index %d",
                               g->name, i, inst[i].profile);
        const js_mig_profile *p = &g->profiles[inst[i].profile];
        if (!start_allowed(p, inst[i].start))
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s: instance %d (%s): may not start at memory slot %d", g->name,
                               i, p->name, inst[i].start);
        for (int s = inst[i].start; s < inst[i].start + p->memory_slices; s++) {
            if (owner[s] >= 0)
                return js_diag_set(d, JS_EXIT_DATAERR,
                                   "%s: instance %d (%s at %d) overlaps instance %d at memory "
                                   "slot %d",
                                   g->name, i, p->name, inst[i].start, owner[s], s);
            owner[s] = i;
        }
        compute += p->compute_slices;
        if (compute > g->compute_slices)
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s: instance %d (%s): compute slices add up to %d, more than %d",
                               g->name, i, p->name, compute, g->compute_slices);
    }
    return 0;
}

/* ------------------------------------------------------------------ enumeration */

typedef struct layout_acc {
    const js_gpu_type *g;
    int maximal_only;
    js_gpu_layout *items;
    int n, cap;
    int failed;
    long budget; /* search nodes left: a pathological GPU type must not hang the caller */
} layout_acc;

#define JS_LAYOUT_SEARCH_BUDGET 200000L

/* Can an instance of profile p be placed at `start` given the used memory mask and compute? */
static bool fits(const js_gpu_type *g, int p, int start, unsigned long long used, int compute)
{
    const js_mig_profile *mp = &g->profiles[p];
    if (compute + mp->compute_slices > g->compute_slices)
        return false;
    if (start + mp->memory_slices > g->memory_slices)
        return false;
    unsigned long long mask = ((1ULL << mp->memory_slices) - 1ULL) << start;
    return (used & mask) == 0;
}

static bool is_maximal(const js_gpu_type *g, unsigned long long used, int compute, int n)
{
    if (n >= JS_MAX_INSTANCES_PER_GPU)
        return true;
    for (int p = 0; p < g->nprofiles; p++)
        for (int k = 0; k < g->profiles[p].nstarts; k++)
            if (fits(g, p, g->profiles[p].starts[k], used, compute))
                return false;
    return true;
}

static void record(layout_acc *acc, const js_gpu_layout *l)
{
    for (int i = 0; i < acc->n; i++)
        if (memcmp(acc->items[i].count, l->count, sizeof l->count) == 0)
            return;
    if (acc->n == acc->cap) {
        int ncap = acc->cap ? acc->cap * 2 : 32;
        js_gpu_layout *ni = realloc(acc->items, (size_t)ncap * sizeof *ni);
        if (ni == NULL) {
            acc->failed = 1;
            return;
        }
        acc->items = ni;
        acc->cap = ncap;
    }
    acc->items[acc->n++] = *l;
}

/* Depth-first: place instances in increasing start order so each placement set is seen once. */
static void enumerate(layout_acc *acc, js_gpu_layout *cur, unsigned long long used, int min_start)
{
    const js_gpu_type *g = acc->g;
    if (acc->failed)
        return;
    if (--acc->budget < 0) {
        acc->failed = 2;
        return;
    }
    if (cur->ninstances > 0 &&
        (!acc->maximal_only || is_maximal(g, used, cur->compute_used, cur->ninstances)))
        record(acc, cur);
    if (cur->ninstances >= JS_MAX_INSTANCES_PER_GPU)
        return;
    for (int p = 0; p < g->nprofiles; p++) {
        const js_mig_profile *mp = &g->profiles[p];
        for (int k = 0; k < mp->nstarts; k++) {
            int s = mp->starts[k];
            if (s < min_start || !fits(g, p, s, used, cur->compute_used))
                continue;
            unsigned long long mask = ((1ULL << mp->memory_slices) - 1ULL) << s;
            int i = cur->ninstances++;
            cur->inst[i].profile = p;
            cur->inst[i].start = s;
            cur->count[p]++;
            cur->compute_used += mp->compute_slices;
            enumerate(acc, cur, used | mask, s + 1);
            cur->compute_used -= mp->compute_slices;
            cur->count[p]--;
            cur->ninstances--;
        }
    }
}

static int cmp_layout(const void *a, const void *b)
{
    const js_gpu_layout *x = a, *y = b;
    /* Larger instances first, then more of them: a stable, readable order. */
    for (int p = JS_MAX_MIG_PROFILES - 1; p >= 0; p--)
        if (x->count[p] != y->count[p])
            return x->count[p] > y->count[p] ? -1 : 1;
    return 0;
}

int js_gpu_enumerate_layouts(const js_gpu_type *g, int maximal_only, js_gpu_layout **out,
                             int *n)
{
    *out = NULL;
    *n = 0;
    if (g->memory_slices > 63 || g->nprofiles < 1 || g->nprofiles > JS_MAX_MIG_PROFILES)
        return JS_EXIT_INTERNAL;
    layout_acc acc = {.g = g, .maximal_only = maximal_only, .budget = JS_LAYOUT_SEARCH_BUDGET};
    js_gpu_layout cur;
    memset(&cur, 0, sizeof cur);
    enumerate(&acc, &cur, 0, 0);
    if (acc.failed) {
        free(acc.items);
        return acc.failed == 2 ? JS_EXIT_DATAERR : JS_EXIT_INTERNAL;
    }
    if (acc.n > 1)
        qsort(acc.items, (size_t)acc.n, sizeof acc.items[0], cmp_layout);
    *out = acc.items;
    *n = acc.n;
    return 0;
}
