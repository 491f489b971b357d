/* host: the host-side cost model of jigsaw/host.h -- resolving a variant's cost, applying
 * it to a profile's entries (the one rule the planner and the simulator share), and the
 * per-family defaults file. Derivation and limits: docs/host-model.md. */
#include "jigsaw/host.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

js_host_spec js_host_spec_unset(void)
{
    return (js_host_spec){.regime = JS_HOST_REGIME_UNSET,
                          .ms_per_item = NAN,
                          .ms_per_batch = NAN,
                          .ms_per_token = NAN};
}

js_host_spec js_host_spec_merge(js_host_spec base, js_host_spec over)
{
    if (over.regime != JS_HOST_REGIME_UNSET)
        base.regime = over.regime;
    if (!isnan(over.ms_per_item))
        base.ms_per_item = over.ms_per_item;
    if (!isnan(over.ms_per_batch))
        base.ms_per_batch = over.ms_per_batch;
    if (!isnan(over.ms_per_token))
        base.ms_per_token = over.ms_per_token;
    return base;
}

int js_host_regime_parse(const char *s)
{
    if (strcmp(s, "none") == 0)
        return JS_HOST_REGIME_NONE;
    if (strcmp(s, "calibrated") == 0)
        return JS_HOST_REGIME_CALIBRATED;
    return -1;
}

const char *js_host_regime_name(int regime)
{
    return regime == JS_HOST_REGIME_CALIBRATED ? "calibrated" : "none";
}

double js_host_ms(const js_host_cost *h, int batch)
{
    return h->ms_per_batch + batch * (h->ms_per_item + h->tokens_per_item * h->ms_per_token);
}

bool js_host_is_zero(const js_host_cost *h)
{
    return h->ms_per_item == 0 && h->ms_per_batch == 0 &&
           (h->ms_per_token == 0 || h->tokens_per_item == 0);
}

void js_host_config(double host_ms, int batch, double lat_gpu_ms, double thr_gpu,
                    double *lat_ms, double *thr)
{
    *lat_ms = lat_gpu_ms + host_ms;
    /* The worker's cycle: its GPU time per batch (from the profiled throughput, which
     * already holds any overlap the measurement saw) plus the serial host phase. */
    *thr = thr_gpu > 0 ? 1000.0 * batch / (1000.0 * batch / thr_gpu + host_ms) : 0.0;
}

void js_host_apply_profile(js_profile *p, const js_host_cost *h)
{
    if (js_host_is_zero(h) || p->host_applied)
        return;
    for (int i = 0; i < p->nentries; i++) {
        js_profile_entry *e = &p->entries[i];
        if (!e->available)
            continue;
        double hb = js_host_ms(h, e->batch);
        js_host_config(hb, e->batch, e->lat_mean_ms, e->throughput, &e->lat_mean_ms,
                       &e->throughput);
        if (!isnan(e->lat_p50_ms))
            e->lat_p50_ms += hb;
        if (!isnan(e->lat_p95_ms))
            e->lat_p95_ms += hb;
        e->host_ms = hb;
    }
    p->host_applied = true;
    snprintf(p->host_note, sizeof p->host_note,
             "host model: %g ms/item + %g ms/batch + %g tokens x %g ms/token",
             h->ms_per_item, h->ms_per_batch, h->tokens_per_item, h->ms_per_token);
}

bool js_host_ms_valid(double v)
{
    return isfinite(v) && v >= 0 && v <= JS_HOST_MAX_MS;
}

js_host_spec js_host_spec_normal(js_host_spec s)
{
    if (s.regime == JS_HOST_REGIME_UNSET)
        s.regime = JS_HOST_REGIME_NONE;
    if (s.regime == JS_HOST_REGIME_NONE) {
        s.ms_per_item = isnan(s.ms_per_item) ? 0.0 : s.ms_per_item;
        s.ms_per_batch = isnan(s.ms_per_batch) ? 0.0 : s.ms_per_batch;
        s.ms_per_token = isnan(s.ms_per_token) ? 0.0 : s.ms_per_token;
    }
    return s;
}

static bool same_ms(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

bool js_host_spec_same(js_host_spec a, js_host_spec b)
{
    a = js_host_spec_normal(a);
    b = js_host_spec_normal(b);
    return a.regime == b.regime && same_ms(a.ms_per_item, b.ms_per_item) &&
           same_ms(a.ms_per_batch, b.ms_per_batch) && same_ms(a.ms_per_token, b.ms_per_token);
}

bool js_host_spec_any(js_host_spec s)
{
    return !js_host_spec_same(s, js_host_spec_unset());
}

void js_host_spec_describe(js_host_spec s, char *buf, size_t n)
{
    s = js_host_spec_normal(s);
    size_t len = 0;
    buf[0] = '\0';
    if (s.regime == JS_HOST_REGIME_CALIBRATED)
        len += (size_t)snprintf(buf, n, "calibrated");
    static const char *const unit[3] = {"ms/item", "ms/batch", "ms/token"};
    const double v[3] = {s.ms_per_item, s.ms_per_batch, s.ms_per_token};
    for (int i = 0; i < 3 && len < n; i++)
        if (!isnan(v[i]) && (v[i] != 0 || s.regime == JS_HOST_REGIME_CALIBRATED))
            len += (size_t)snprintf(buf + len, n - len, "%s%g %s", len ? ", " : "", v[i],
                                    unit[i]);
    if (len == 0)
        snprintf(buf, n, "no host time");
}

/* ------------------------------------------------------------------ JSON */

static int get_ms(js_jctx *c, const cJSON *o, const char *key, bool required, double *out)
{
    int rc = js_json_get_number(c, o, key, required, out);
    if (rc == 0 && !isnan(*out) && !js_host_ms_valid(*out))
        rc = js_json_err(c, key, "must be a host time in [0, %g] ms, got %g", JS_HOST_MAX_MS,
                         *out);
    return rc;
}

int js_host_spec_from_json(js_jctx *c, const cJSON *o, const char *key, js_host_spec *out)
{
    static const char *const allowed[] = {"regime", "ms_per_item", "ms_per_batch",
                                          "ms_per_token", NULL};
    *out = js_host_spec_unset();
    const cJSON *h = NULL;
    int rc = js_json_get_object(c, o, key, false, &h);
    if (rc != 0 || h == NULL)
        return rc;
    size_t s0 = js_jctx_push_key(c, key);
    rc = js_json_check_keys(c, h, allowed, NULL);
    char regime[32] = "";
    if (rc == 0)
        rc = js_json_get_string(c, h, "regime", false, regime, sizeof regime);
    if (rc == 0 && regime[0]) {
        out->regime = js_host_regime_parse(regime);
        if (out->regime < 0)
            rc = js_json_err(c, "regime", "must be \"none\" or \"calibrated\", got \"%s\"",
                             regime);
    }
    if (rc == 0)
        rc = get_ms(c, h, "ms_per_item", false, &out->ms_per_item);
    if (rc == 0)
        rc = get_ms(c, h, "ms_per_batch", false, &out->ms_per_batch);
    if (rc == 0)
        rc = get_ms(c, h, "ms_per_token", false, &out->ms_per_token);
    js_jctx_pop(c, s0);
    return rc;
}

cJSON *js_host_spec_to_json(const js_host_spec *s)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL && cJSON_AddStringToObject(o, "regime", js_host_regime_name(s->regime));
    if (ok && !isnan(s->ms_per_item))
        ok = cJSON_AddNumberToObject(o, "ms_per_item", s->ms_per_item) != NULL;
    if (ok && !isnan(s->ms_per_batch))
        ok = cJSON_AddNumberToObject(o, "ms_per_batch", s->ms_per_batch) != NULL;
    if (ok && !isnan(s->ms_per_token))
        ok = cJSON_AddNumberToObject(o, "ms_per_token", s->ms_per_token) != NULL;
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* ------------------------------------------------------------------ defaults file */

static int load_family(js_jctx *c, const cJSON *o, js_host_family *f)
{
    static const char *const required[] = {"match", "ms_per_item", "ms_per_batch", "source",
                                           NULL};
    static const char *const allowed[] = {"family", "ms_per_token", "tokens_per_item",
                                          "note", NULL};
    int rc = js_json_check_keys(c, o, allowed, required);
    if (rc == 0)
        rc = js_json_get_string(c, o, "match", true, f->match, sizeof f->match);
    if (rc == 0)
        rc = get_ms(c, o, "ms_per_item", true, &f->cost.ms_per_item);
    if (rc == 0)
        rc = get_ms(c, o, "ms_per_batch", true, &f->cost.ms_per_batch);
    f->cost.ms_per_token = 0;
    f->cost.tokens_per_item = 0;
    if (rc == 0)
        rc = get_ms(c, o, "ms_per_token", false, &f->cost.ms_per_token);
    if (rc == 0)
        rc = js_json_get_number(c, o, "tokens_per_item", false, &f->cost.tokens_per_item);
    if (rc == 0 && !(f->cost.tokens_per_item >= 0 && f->cost.tokens_per_item <= JS_HOST_MAX_TOKENS))
        rc = js_json_err(c, "tokens_per_item", "must be in [0, %g], got %g", JS_HOST_MAX_TOKENS,
                         f->cost.tokens_per_item);
    if (rc == 0)
        rc = js_json_get_string(c, o, "source", true, f->source, sizeof f->source);
    return rc;
}

int js_host_defaults_load(const char *path, js_host_defaults *out, js_diag *d)
{
    memset(out, 0, sizeof *out);
    cJSON *root = NULL;
    int rc = js_json_load_file(path, &root, d);
    if (rc != 0)
        return rc;
    js_jctx c;
    js_jctx_init(&c, path, d);
    static const char *const required[] = {"kind", "format_version", "families", NULL};
    static const char *const allowed[] = {"description", NULL};
    rc = js_json_check_kind(&c, root, "host-defaults");
    if (rc == 0)
        rc = js_json_check_keys(&c, root, allowed, required);
    const cJSON *arr = NULL;
    if (rc == 0)
        rc = js_json_get_array(&c, root, "families", true, &arr);
    if (rc == 0 && (cJSON_GetArraySize(arr) < 1 || cJSON_GetArraySize(arr) > JS_HOST_MAX_FAMILIES))
        rc = js_json_err(&c, "families", "must hold 1 to %d families", JS_HOST_MAX_FAMILIES);
    size_t s0 = js_jctx_push_key(&c, "families");
    int i = 0;
    for (const cJSON *e = arr != NULL ? arr->child : NULL; e != NULL && rc == 0; e = e->next) {
        size_t s1 = js_jctx_push_index(&c, i);
        rc = load_family(&c, e, &out->f[i++]);
        js_jctx_pop(&c, s1);
    }
    js_jctx_pop(&c, s0);
    out->n = i;
    cJSON_Delete(root);
    return rc;
}

const js_host_family *js_host_defaults_find(const js_host_defaults *t, const char *profile)
{
    const js_host_family *best = NULL, *any = NULL;
    size_t best_len = 0;
    for (int i = 0; i < t->n; i++) {
        const js_host_family *f = &t->f[i];
        size_t len = strlen(f->match);
        if (strcmp(f->match, "*") == 0) {
            if (any == NULL)
                any = f;
        } else if (strncmp(profile, f->match, len) == 0 && len > best_len) {
            best = f;
            best_len = len;
        }
    }
    return best != NULL ? best : any;
}
