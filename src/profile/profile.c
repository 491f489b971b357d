/* profile: latency/throughput tables with provenance; see include/jigsaw/profile.h. */
#include "jigsaw/profile.h"
#include "jigsaw/limits.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JS_PROFILE_MAX_ENTRIES 100000
#define JS_PROFILE_MAX_MIG 64
#define JS_PROFILE_MAX_BATCH 65536
#define JS_PROFILE_MAX_WORKERS 64

/* ------------------------------------------------------------------ tails */

double js_latency_p95_from_mean(double mean_ms, double sigma)
{
    /* Lognormal with shape sigma and the given mean: mu = ln(mean) - sigma^2/2,
     * p95 = exp(mu + z95 sigma). */
    const double z95 = 1.6448536269514722;
    return mean_ms * exp(z95 * sigma - sigma * sigma / 2.0);
}

void js_profile_derive_tails(js_profile *p, double sigma)
{
    for (int i = 0; i < p->nentries; i++) {
        js_profile_entry *e = &p->entries[i];
        if (!e->available)
            continue;
        if (isnan(e->lat_p95_ms)) {
            e->lat_p95_ms = js_latency_p95_from_mean(e->lat_mean_ms, sigma);
            e->p95_derived = true;
        }
        if (isnan(e->lat_p50_ms)) {
            e->lat_p50_ms = e->lat_mean_ms * exp(-sigma * sigma / 2.0); /* lognormal median */
            e->p50_derived = true;
        }
    }
}

/* ------------------------------------------------------------------ loading */

static int parse_prov_kind(js_jctx *c, const cJSON *o, const char *key, js_provenance_kind *k,
                           bool required)
{
    char buf[32] = "";
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v == NULL && !required)
        return 0;
    int rc = js_json_get_string(c, o, key, required, buf, sizeof buf);
    if (rc != 0)
        return rc;
    if (strcmp(buf, "measured") == 0)
        *k = JS_PROV_MEASURED;
    else if (strcmp(buf, "modelled") == 0)
        *k = JS_PROV_MODELLED;
    else
        return js_json_err(c, key, "must be \"measured\" or \"modelled\", got \"%s\"", buf);
    return 0;
}

static int load_provenance(js_jctx *c, const cJSON *root, js_provenance *pv)
{
    static const char *const required[] = {"kind", "source", NULL};
    static const char *const allowed[] = {"license", "model_version", "heldout_mape_throughput",
                                          "heldout_mape_latency", NULL};
    const cJSON *o = NULL;
    int rc = js_json_get_object(c, root, "provenance", true, &o);
    if (rc != 0)
        return rc;
    size_t s0 = js_jctx_push_key(c, "provenance");
    rc = js_json_check_keys(c, o, allowed, required);
    if (rc == 0)
        rc = parse_prov_kind(c, o, "kind", &pv->kind, true);
    if (rc == 0)
        rc = js_json_get_string(c, o, "source", true, pv->source, sizeof pv->source);
    if (rc == 0)
        rc = js_json_get_string(c, o, "license", false, pv->license, sizeof pv->license);
    if (rc == 0)
        rc = js_json_get_string(c, o, "model_version", false, pv->model_version,
                                sizeof pv->model_version);
    if (rc == 0)
        rc = js_json_get_number(c, o, "heldout_mape_throughput", false,
                                &pv->heldout_mape_throughput);
    if (rc == 0)
        rc = js_json_get_number(c, o, "heldout_mape_latency", false, &pv->heldout_mape_latency);
    if (rc == 0 && pv->heldout_mape_throughput < 0)
        rc = js_json_err(c, "heldout_mape_throughput", "must be >= 0, got %g",
                         pv->heldout_mape_throughput);
    if (rc == 0 && pv->heldout_mape_latency < 0)
        rc = js_json_err(c, "heldout_mape_latency", "must be >= 0, got %g",
                         pv->heldout_mape_latency);
    if (rc == 0 && pv->kind == JS_PROV_MEASURED &&
        (pv->model_version[0] || !isnan(pv->heldout_mape_throughput) ||
         !isnan(pv->heldout_mape_latency)))
        rc = js_json_err(c, "kind",
                         "a measured profile cannot carry model_version or held-out errors");
    js_jctx_pop(c, s0);
    return rc;
}

/* Optional positive latency; absent leaves NAN. */
static int get_latency(js_jctx *c, const cJSON *o, const char *key, bool required, double *out)
{
    int rc = js_json_get_number(c, o, key, required, out);
    if (rc == 0 && !isnan(*out) && !(*out > 0))
        rc = js_json_err(c, key, "must be > 0 ms, got %g", *out);
    return rc;
}

static int load_entry(js_jctx *c, const cJSON *o, js_provenance_kind file_kind,
                      js_profile_entry *e)
{
    static const char *const required[] = {"mig", "batch", "workers", NULL};
    static const char *const allowed[] = {"available",  "provenance", "throughput", "lat_mean_ms",
                                          "lat_p50_ms", "lat_p95_ms", NULL};
    memset(e, 0, sizeof *e);
    e->available = true;
    e->prov = file_kind;
    e->throughput = e->lat_mean_ms = e->lat_p50_ms = e->lat_p95_ms = NAN;
    int rc = js_json_check_keys(c, o, allowed, required);
    if (rc == 0)
        rc = js_json_get_int_in(c, o, "mig", 1, JS_PROFILE_MAX_MIG, &e->mig);
    if (rc == 0)
        rc = js_json_get_int_in(c, o, "batch", 1, JS_PROFILE_MAX_BATCH, &e->batch);
    if (rc == 0)
        rc = js_json_get_int_in(c, o, "workers", 1, JS_PROFILE_MAX_WORKERS, &e->workers);
    if (rc == 0)
        rc = js_json_get_bool(c, o, "available", false, &e->available);
    if (rc == 0)
        rc = parse_prov_kind(c, o, "provenance", &e->prov, false);
    if (rc != 0)
        return rc;
    if (!e->available) {
        /* An unavailable cell carries no numbers: a stray figure would look usable. */
        static const char *const nums[] = {"throughput", "lat_mean_ms", "lat_p50_ms",
                                           "lat_p95_ms", NULL};
        for (const char *const *k = nums; *k; k++)
            if (cJSON_GetObjectItemCaseSensitive(o, *k) != NULL)
                return js_json_err(c, *k, "must be absent when \"available\" is false");
        return 0;
    }
    rc = js_json_get_number(c, o, "throughput", true, &e->throughput);
    if (rc == 0 && e->throughput > JS_LIMIT_THROUGHPUT)
        rc = js_json_err(c, "throughput",
                         "must be <= %g items/s (README, plausibility limits), got %g",
                         JS_LIMIT_THROUGHPUT, e->throughput);
    if (rc == 0 && !(e->throughput > 0))
        rc = js_json_err(c, "throughput",
                         "must be > 0 items/s, got %g (mark the entry \"available\": false)",
                         e->throughput);
    if (rc == 0)
        rc = get_latency(c, o, "lat_mean_ms", true, &e->lat_mean_ms);
    if (rc == 0)
        rc = get_latency(c, o, "lat_p50_ms", false, &e->lat_p50_ms);
    if (rc == 0)
        rc = get_latency(c, o, "lat_p95_ms", false, &e->lat_p95_ms);
    if (rc == 0 && !isnan(e->lat_p50_ms) && !isnan(e->lat_p95_ms) &&
        e->lat_p95_ms < e->lat_p50_ms)
        rc = js_json_err(c, "lat_p95_ms", "must be >= lat_p50_ms (%g), got %g", e->lat_p50_ms,
                         e->lat_p95_ms);
    return rc;
}

int js_profile_entry_cmp(const void *a, const void *b)
{
    const js_profile_entry *x = a, *y = b;
    if (x->mig != y->mig)
        return x->mig < y->mig ? -1 : 1;
    if (x->batch != y->batch)
        return x->batch < y->batch ? -1 : 1;
    if (x->workers != y->workers)
        return x->workers < y->workers ? -1 : 1;
    return 0;
}

typedef struct idx_entry {
    js_profile_entry e;
    int index; /* position in the JSON array, for messages */
} idx_entry;

static int cmp_idx_entry(const void *a, const void *b)
{
    const idx_entry *x = a, *y = b;
    int k = js_profile_entry_cmp(&x->e, &y->e);
    if (k != 0)
        return k;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int load_entries(js_jctx *c, const cJSON *root, js_profile *out)
{
    const cJSON *arr = NULL;
    int rc = js_json_get_array(c, root, "entries", true, &arr);
    if (rc != 0)
        return rc;
    int n = cJSON_GetArraySize(arr);
    if (n < 1)
        return js_json_err(c, "entries", "empty profile table");
    if (n > JS_PROFILE_MAX_ENTRIES)
        return js_json_err(c, "entries", "more than %d entries", JS_PROFILE_MAX_ENTRIES);
    idx_entry *tmp = calloc((size_t)n, sizeof *tmp);
    if (tmp == NULL)
        return js_diag_set(c->d, JS_EXIT_INTERNAL, "%s: out of memory", c->file);
    size_t s0 = js_jctx_push_key(c, "entries");
    int i = 0, navail = 0;
    for (const cJSON *e = arr->child; e != NULL && rc == 0; e = e->next, i++) {
        size_t s1 = js_jctx_push_index(c, i);
        rc = load_entry(c, e, out->prov.kind, &tmp[i].e);
        tmp[i].index = i;
        navail += tmp[i].e.available;
        js_jctx_pop(c, s1);
    }
    if (rc == 0) {
        qsort(tmp, (size_t)n, sizeof *tmp, cmp_idx_entry);
        for (i = 1; i < n && rc == 0; i++)
            if (js_profile_entry_cmp(&tmp[i - 1].e, &tmp[i].e) == 0) {
                size_t s1 = js_jctx_push_index(c, tmp[i].index);
                rc = js_json_err(c, NULL,
                                 "duplicate configuration (mig %d, batch %d, workers %d), "
                                 "first at entries[%d]",
                                 tmp[i].e.mig, tmp[i].e.batch, tmp[i].e.workers,
                                 tmp[i - 1].index);
                js_jctx_pop(c, s1);
            }
    }
    js_jctx_pop(c, s0);
    if (rc == 0 && navail == 0)
        rc = js_json_err(c, "entries", "%s \"available\": false: the profile offers no "
                         "configuration to plan with", n == 1 ? "its only entry is"
                                                              : "every entry is");
    if (rc == 0) {
        out->entries = malloc((size_t)n * sizeof *out->entries);
        if (out->entries == NULL)
            rc = js_diag_set(c->d, JS_EXIT_INTERNAL, "%s: out of memory", c->file);
        else {
            for (i = 0; i < n; i++)
                out->entries[i] = tmp[i].e;
            out->nentries = n;
        }
    }
    free(tmp);
    return rc;
}

int js_profile_from_json(js_jctx *c, const cJSON *root, js_profile *out)
{
    static const char *const required[] = {"kind", "format_version", "model", "gpu",
                                           "provenance", "entries", NULL};
    static const char *const allowed[] = {"description", "license_text", NULL};
    memset(out, 0, sizeof *out);
    out->prov.heldout_mape_throughput = out->prov.heldout_mape_latency = NAN;
    int rc = js_json_check_kind(c, root, "profile");
    if (rc == 0)
        rc = js_json_check_keys(c, root, allowed, required);
    if (rc == 0)
        rc = js_json_get_name(c, root, "model", true, out->model, sizeof out->model);
    if (rc == 0)
        rc = js_json_get_name(c, root, "gpu", true, out->gpu, sizeof out->gpu);
    if (rc == 0)
        rc = js_json_get_string(c, root, "description", false, out->description,
                                sizeof out->description);
    if (rc == 0) {
        /* The full licence text travels with the data; it is checked, not kept. */
        const cJSON *lt = cJSON_GetObjectItemCaseSensitive(root, "license_text");
        if (lt != NULL && !cJSON_IsString(lt))
            rc = js_json_err(c, "license_text", "must be a string");
    }
    if (rc == 0)
        rc = load_provenance(c, root, &out->prov);
    if (rc == 0)
        rc = load_entries(c, root, out);
    if (rc != 0) {
        js_profile_free(out);
        return rc;
    }
    js_profile_derive_tails(out, JS_DEFAULT_LATENCY_SIGMA);
    return 0;
}

int js_profile_load(const char *path, js_profile *out, js_diag *d)
{
    memset(out, 0, sizeof *out);
    cJSON *root = NULL;
    int rc = js_json_load_file(path, &root, d);
    if (rc != 0)
        return rc;
    js_jctx c;
    js_jctx_init(&c, path, d);
    rc = js_profile_from_json(&c, root, out);
    cJSON_Delete(root);
    return rc;
}

void js_profile_free(js_profile *p)
{
    if (p == NULL)
        return;
    free(p->entries);
    p->entries = NULL;
    p->nentries = 0;
}

/* ------------------------------------------------------------------ writing */

static const char *prov_name(js_provenance_kind k)
{
    return k == JS_PROV_MODELLED ? "modelled" : "measured";
}

static bool add_entry_json(cJSON *arr, const js_profile_entry *e, js_provenance_kind file_kind)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        return false;
    }
    bool ok = cJSON_AddNumberToObject(o, "mig", e->mig) != NULL &&
              cJSON_AddNumberToObject(o, "batch", e->batch) != NULL &&
              cJSON_AddNumberToObject(o, "workers", e->workers) != NULL;
    if (ok && e->prov != file_kind)
        ok = cJSON_AddStringToObject(o, "provenance", prov_name(e->prov)) != NULL;
    if (!ok)
        return false;
    if (!e->available)
        return cJSON_AddFalseToObject(o, "available") != NULL;
    ok = cJSON_AddNumberToObject(o, "throughput", e->throughput) != NULL &&
         cJSON_AddNumberToObject(o, "lat_mean_ms", e->lat_mean_ms) != NULL;
    /* Derived tails are not data: they are recomputed at load, so they are not written. */
    if (ok && !isnan(e->lat_p50_ms) && !e->p50_derived)
        ok = cJSON_AddNumberToObject(o, "lat_p50_ms", e->lat_p50_ms) != NULL;
    if (ok && !isnan(e->lat_p95_ms) && !e->p95_derived)
        ok = cJSON_AddNumberToObject(o, "lat_p95_ms", e->lat_p95_ms) != NULL;
    return ok;
}

cJSON *js_profile_to_json(const js_profile *p)
{
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        return NULL;
    bool ok = cJSON_AddStringToObject(root, "kind", "profile") != NULL &&
              cJSON_AddNumberToObject(root, "format_version", JS_FORMAT_VERSION) != NULL &&
              cJSON_AddStringToObject(root, "model", p->model) != NULL &&
              cJSON_AddStringToObject(root, "gpu", p->gpu) != NULL;
    if (ok && p->description[0])
        ok = cJSON_AddStringToObject(root, "description", p->description) != NULL;
    cJSON *pv = ok ? cJSON_AddObjectToObject(root, "provenance") : NULL;
    ok = ok && pv != NULL && cJSON_AddStringToObject(pv, "kind", prov_name(p->prov.kind)) &&
         cJSON_AddStringToObject(pv, "source", p->prov.source) != NULL;
    if (ok && p->prov.license[0])
        ok = cJSON_AddStringToObject(pv, "license", p->prov.license) != NULL;
    if (ok && p->prov.model_version[0])
        ok = cJSON_AddStringToObject(pv, "model_version", p->prov.model_version) != NULL;
    if (ok && !isnan(p->prov.heldout_mape_throughput) && p->prov.kind == JS_PROV_MODELLED)
        ok = cJSON_AddNumberToObject(pv, "heldout_mape_throughput",
                                     p->prov.heldout_mape_throughput) != NULL;
    if (ok && !isnan(p->prov.heldout_mape_latency) && p->prov.kind == JS_PROV_MODELLED)
        ok = cJSON_AddNumberToObject(pv, "heldout_mape_latency", p->prov.heldout_mape_latency) !=
             NULL;
    cJSON *arr = ok ? cJSON_AddArrayToObject(root, "entries") : NULL;
    ok = ok && arr != NULL;
    for (int i = 0; i < p->nentries && ok; i++)
        ok = add_entry_json(arr, &p->entries[i], p->prov.kind);
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* ------------------------------------------------------------------ lookup */

const js_profile_entry *js_profile_find_at_least(const js_profile *p, int mig, int batch,
                                                 int workers)
{
    if (p == NULL)
        return NULL;
    const js_profile_entry *best = NULL;
    for (int i = 0; i < p->nentries; i++) {
        const js_profile_entry *e = &p->entries[i];
        if (!e->available || e->mig != mig || e->workers != workers || e->batch < batch)
            continue;
        if (best == NULL || e->batch < best->batch)
            best = e;
    }
    return best;
}

double js_lognormal_sigma(double z95, double mean, double p95)
{
    if (!(isfinite(p95) && p95 > mean && mean > 0))
        return 0.0;
    double disc = z95 * z95 - 2.0 * log(p95 / mean);
    return disc > 0 ? z95 - sqrt(disc) : z95;
}

const js_profile_entry *js_profile_find(const js_profile *p, int mig, int batch, int workers)
{
    if (p == NULL || p->nentries == 0)
        return NULL;
    js_profile_entry key;
    memset(&key, 0, sizeof key);
    key.mig = mig;
    key.batch = batch;
    key.workers = workers;
    const js_profile_entry *e =
        bsearch(&key, p->entries, (size_t)p->nentries, sizeof key, js_profile_entry_cmp);
    return e != NULL && e->available ? e : NULL;
}

/* ------------------------------------------------------------------ sets */

void js_profile_set_init(js_profile_set *s, const char *dir)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
}

js_profile *js_profile_set_find(js_profile_set *s, const char *model)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->items[i]->model, model) == 0)
            return s->items[i];
    return NULL;
}

const js_profile *js_profile_set_get(js_profile_set *s, const char *model, js_diag *d)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->items[i]->model, model) == 0)
            return s->items[i];
    if (!js_name_valid(model)) {
        js_diag_set(d, JS_EXIT_DATAERR, "profile name \"%s\" is not a valid file stem", model);
        return NULL;
    }
    char path[JS_PATH_MAX + JS_NAME_MAX + 8];
    snprintf(path, sizeof path, "%s/%s.json", s->dir, model);
    if (s->n == s->cap) {
        int ncap = s->cap ? s->cap * 2 : 16;
        js_profile **ni = realloc(s->items, (size_t)ncap * sizeof *ni);
        if (ni == NULL) {
            js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
            return NULL;
        }
        s->items = ni;
        s->cap = ncap;
    }
    js_profile *p = calloc(1, sizeof *p);
    if (p == NULL) {
        js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    if (js_profile_load(path, p, d) != 0) {
        free(p);
        return NULL;
    }
    if (js_profile_check_file_name(path, p, d) != 0) {
        js_profile_free(p);
        free(p);
        return NULL;
    }
    s->items[s->n++] = p;
    return p;
}

void js_profile_set_free(js_profile_set *s)
{
    for (int i = 0; i < s->n; i++) {
        js_profile_free(s->items[i]);
        free(s->items[i]);
    }
    free(s->items);
    s->items = NULL;
    s->n = s->cap = 0;
}

/* ------------------------------------------------------------------ consistency */

int js_profile_check_file_name(const char *path, const js_profile *p, js_diag *d)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0)
        n -= 5;
    if (strlen(p->model) != n || strncmp(p->model, base, n) != 0)
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "%s: $.model: must match the file name \"%.*s\", got \"%s\"", path,
                           (int)(n < 64 ? n : 64), base, p->model);
    return 0;
}

int js_profile_check_gpu(const char *path, const js_profile *p, const js_gpu_type *g,
                         js_diag *d)
{
    if (strcmp(p->gpu, g->name) != 0)
        return js_diag_set(d, JS_EXIT_DATAERR, "%s: $.gpu: profile is for GPU \"%s\", not \"%s\"",
                           path, p->gpu, g->name);
    for (int i = 0; i < p->nentries; i++) {
        const js_profile_entry *e = &p->entries[i];
        if (e->mig > g->compute_slices)
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s: $.entries: an entry for a %d-slice instance, GPU %s has %d "
                               "compute slices",
                               path, e->mig, g->name, g->compute_slices);
        if (e->workers > g->max_mps_workers)
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s: $.entries: an entry with %d MPS workers, GPU %s allows %d",
                               path, e->workers, g->name, g->max_mps_workers);
    }
    return 0;
}
