/* scenario_edges: an application's edges -- their ends, mean fan-outs and fan-out laws
 * (fixed, Poisson, or an empirical histogram of child counts, include/jigsaw/dag.h) -- read
 * from and written to the scenario JSON (README "Scenario"). Split from scenario.c, which
 * loads everything else. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/scenario.h"
#include "jigsaw/limits.h"
#include "scenario_internal.h"

static bool add_str_e(cJSON *o, const char *k, const char *v)
{
    return cJSON_AddStringToObject(o, k, v) != NULL;
}

/* ------------------------------------------------------------------ reading */

static int edge_end(js_jctx *c, const cJSON *o, const char *key, const js_app *a, int *out)
{
    char name[JS_NAME_MAX];
    int rc = js_json_get_string(c, o, key, true, name, sizeof name);
    if (rc != 0)
        return rc;
    *out = js_app_task_by_name(a, name);
    if (*out < 0)
        return js_json_err(c, key, "no task named \"%s\"", name);
    return 0;
}

/* One histogram of child counts (weights of 0, 1, .. children) at the current JSON path:
 * finite, >= 0, summing to > 0, at most JS_FANOUT_HIST_MAX counts. Stores the normalised
 * probabilities in out[0..n) and their mean. */
static int load_hist(js_jctx *c, const cJSON *arr, double *out, int *n, double *mean)
{
    if (!cJSON_IsArray(arr))
        return js_json_err(c, NULL, "must be an array of weights of 0, 1, 2, .. children");
    int len = cJSON_GetArraySize(arr);
    if (len < 1 || len > JS_FANOUT_HIST_MAX)
        return js_json_err(c, NULL, "must hold 1 to %d weights, got %d", JS_FANOUT_HIST_MAX,
                           len);
    double sum = 0.0;
    int i = 0, rc = 0;
    for (const cJSON *e = arr->child; e != NULL && rc == 0; e = e->next, i++) {
        size_t s1 = js_jctx_push_index(c, i);
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
            rc = js_json_err(c, NULL, "must be a finite number");
        else if (e->valuedouble < 0)
            rc = js_json_err(c, NULL, "must be >= 0, got %g", e->valuedouble);
        else
            out[i] = e->valuedouble;
        if (rc == 0)
            sum += out[i];
        js_jctx_pop(c, s1);
    }
    if (rc == 0 && !(sum > 0 && isfinite(sum)))
        rc = js_json_err(c, NULL, "the weights must sum to > 0");
    double m = 0.0;
    for (int k = 0; k < len && rc == 0; k++) {
        out[k] /= sum;
        m += out[k] * k;
    }
    *n = len;
    *mean = m;
    return rc;
}

/* fanout_hist (one histogram for every parent variant) or fanout_hist_by_variant (one per
 * variant), into a store owned by the app; the edge's means become the histograms'. */
static int load_edge_hist(js_jctx *c, const cJSON *o, js_app *a, int index)
{
    js_edge *ed = &a->edges[index];
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(o, "fanout_hist");
    const cJSON *byv = cJSON_GetObjectItemCaseSensitive(o, "fanout_hist_by_variant");
    if (one == NULL && byv == NULL)
        return js_json_err(c, "fanout_hist",
                           "missing: an empirical fan-out needs fanout_hist or "
                           "fanout_hist_by_variant");
    if (one != NULL && byv != NULL)
        return js_json_err(c, "fanout_hist_by_variant", "give fanout_hist or "
                           "fanout_hist_by_variant, not both");
    if (cJSON_GetObjectItemCaseSensitive(o, "fanout") != NULL ||
        cJSON_GetObjectItemCaseSensitive(o, "fanout_by_variant") != NULL)
        return js_json_err(c, cJSON_GetObjectItemCaseSensitive(o, "fanout") ? "fanout"
                                                                           : "fanout_by_variant",
                           "an empirical fan-out's mean is its histogram's: omit it");
    int nv = a->tasks[ed->from].nvariants, nh = one != NULL ? 1 : cJSON_GetArraySize(byv);
    if (byv != NULL && (!cJSON_IsArray(byv) || nh != nv))
        return js_json_err(c, "fanout_hist_by_variant",
                           "must hold one histogram per variant of task \"%s\" (%d), got %d",
                           a->tasks[ed->from].name, nv, cJSON_IsArray(byv) ? nh : 0);
    double *store = malloc(sizeof *store * (size_t)nh * JS_FANOUT_HIST_MAX);
    if (store == NULL)
        return js_diag_set(c->d, JS_EXIT_INTERNAL, "%s: out of memory", c->file);
    a->edge_hist[index] = store;
    size_t s0 = js_jctx_push_key(c, one != NULL ? "fanout_hist" : "fanout_hist_by_variant");
    int rc = 0;
    double maxf = 0.0;
    const cJSON *h = one != NULL ? one : byv->child;
    for (int i = 0; i < nh && rc == 0; i++, h = h != NULL ? h->next : NULL) {
        size_t s1 = one != NULL ? 0 : js_jctx_push_index(c, i);
        double *out = store + (size_t)i * JS_FANOUT_HIST_MAX, mean = 0.0;
        int n = 0;
        rc = load_hist(c, h, out, &n, &mean);
        for (int v = 0; v < nv && rc == 0; v++)
            if (one != NULL || v == i) {
                ed->hist[v] = out;
                ed->hist_len[v] = n;
                if (one == NULL)
                    ed->fanout_by_variant[v] = mean;
            }
        if (mean > maxf)
            maxf = mean;
        if (one == NULL)
            js_jctx_pop(c, s1);
    }
    js_jctx_pop(c, s0);
    ed->fanout = maxf; /* one histogram: its mean; per variant: the largest (conservative) */
    return rc;
}

static int load_edge(js_jctx *c, const cJSON *o, js_app *a, int index)
{
    static const char *const required[] = {"from", "to", NULL};
    static const char *const allowed[] = {"fanout", "fanout_by_variant", "fanout_dist",
                                          "fanout_hist", "fanout_hist_by_variant", NULL};
    js_edge *ed = &a->edges[index];
    ed->fanout = NAN;
    for (int v = 0; v < JS_MAX_VARIANTS; v++)
        ed->fanout_by_variant[v] = NAN;
    ed->dist = JS_FANOUT_POISSON;
    int rc = js_json_check_keys(c, o, allowed, required);
    if (rc == 0)
        rc = edge_end(c, o, "from", a, &ed->from);
    if (rc == 0)
        rc = edge_end(c, o, "to", a, &ed->to);
    if (rc == 0 && ed->from == ed->to)
        rc = js_json_err(c, "to", "an edge from task \"%s\" to itself is a cycle",
                         a->tasks[ed->from].name);
    for (int e = 0; e < index && rc == 0; e++)
        if (a->edges[e].from == ed->from && a->edges[e].to == ed->to)
            rc = js_json_err(c, NULL, "duplicate edge %s -> %s", a->tasks[ed->from].name,
                             a->tasks[ed->to].name);
    char dist[32] = "poisson";
    if (rc == 0)
        rc = js_json_get_string(c, o, "fanout_dist", false, dist, sizeof dist);
    if (rc == 0) {
        int d = js_fanout_dist_from_name(dist);
        if (d < 0)
            rc = js_json_err(c, "fanout_dist",
                             "expected \"fixed\", \"poisson\" or \"empirical\", got \"%s\"",
                             dist);
        else
            ed->dist = (js_fanout_dist)d;
    }
    if (rc == 0 && ed->dist == JS_FANOUT_EMPIRICAL)
        return load_edge_hist(c, o, a, index);
    if (rc == 0 && (cJSON_GetObjectItemCaseSensitive(o, "fanout_hist") != NULL ||
                    cJSON_GetObjectItemCaseSensitive(o, "fanout_hist_by_variant") != NULL))
        rc = js_json_err(c, cJSON_GetObjectItemCaseSensitive(o, "fanout_hist")
                                ? "fanout_hist" : "fanout_hist_by_variant",
                         "a histogram needs \"fanout_dist\": \"empirical\"");
    if (rc == 0)
        rc = js_json_get_number(c, o, "fanout", false, &ed->fanout);
    if (rc == 0 && (ed->fanout < 0 || ed->fanout > JS_LIMIT_FANOUT))
        rc = js_json_err(c, "fanout", "must be in [0, %g] (README, plausibility limits), got %g",
                         JS_LIMIT_FANOUT, ed->fanout);
    const cJSON *byv = NULL;
    if (rc == 0)
        rc = js_json_get_array(c, o, "fanout_by_variant", false, &byv);
    if (rc != 0)
        return rc;
    if (byv == NULL) {
        if (isnan(ed->fanout))
            return js_json_err(c, "fanout", "missing: give fanout or fanout_by_variant");
        return 0;
    }
    int nv = a->tasks[ed->from].nvariants, n = cJSON_GetArraySize(byv);
    if (n != nv)
        return js_json_err(c, "fanout_by_variant",
                           "must hold one value per variant of task \"%s\" (%d), got %d",
                           a->tasks[ed->from].name, nv, n);
    double maxf = 0;
    size_t s0 = js_jctx_push_key(c, "fanout_by_variant");
    int i = 0;
    for (const cJSON *e = byv->child; e != NULL && rc == 0; e = e->next, i++) {
        size_t s1 = js_jctx_push_index(c, i);
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
            rc = js_json_err(c, NULL, "must be a finite number");
        else if (e->valuedouble < 0 || e->valuedouble > JS_LIMIT_FANOUT)
            rc = js_json_err(c, NULL, "must be in [0, %g] (README, plausibility limits), got %g",
                             JS_LIMIT_FANOUT, e->valuedouble);
        else {
            ed->fanout_by_variant[i] = e->valuedouble;
            if (e->valuedouble > maxf)
                maxf = e->valuedouble;
        }
        js_jctx_pop(c, s1);
    }
    js_jctx_pop(c, s0);
    /* Without a default, the conservative one: demand is never underestimated. */
    if (rc == 0 && isnan(ed->fanout))
        ed->fanout = maxf;
    return rc;
}

int scn_load_edges(js_jctx *c, const cJSON *o, js_app *a)
{
    const cJSON *arr = NULL;
    int rc = js_json_get_array(c, o, "edges", false, &arr);
    if (rc != 0 || arr == NULL)
        return rc;
    int n = cJSON_GetArraySize(arr);
    int max = (int)(sizeof a->edges / sizeof a->edges[0]);
    if (n > max)
        return js_json_err(c, "edges", "at most %d edges, got %d", max, n);
    size_t s0 = js_jctx_push_key(c, "edges");
    int i = 0;
    for (const cJSON *e = arr->child; e != NULL && rc == 0; e = e->next, i++) {
        size_t s1 = js_jctx_push_index(c, i);
        rc = load_edge(c, e, a, i);
        js_jctx_pop(c, s1);
    }
    js_jctx_pop(c, s0);
    a->nedges = i;
    return rc;
}

/* ------------------------------------------------------------------ writing */

/* An empirical edge's histograms (the normalised probabilities): one, or one per variant. */
static bool edge_hist_to_json(const js_app *a, const js_edge *e, cJSON *o)
{
    int nv = a->tasks[e->from].nvariants;
    bool same = true;
    for (int v = 1; v < nv; v++)
        same = same && e->hist[v] == e->hist[0];
    if (same) {
        cJSON *h = cJSON_CreateDoubleArray(e->hist[0], e->hist_len[0]);
        bool ok = h != NULL && cJSON_AddItemToObject(o, "fanout_hist", h);
        if (!ok)
            cJSON_Delete(h);
        return ok;
    }
    cJSON *arr = cJSON_AddArrayToObject(o, "fanout_hist_by_variant");
    bool ok = arr != NULL;
    for (int v = 0; v < nv && ok; v++) {
        cJSON *h = cJSON_CreateDoubleArray(e->hist[v], e->hist_len[v]);
        ok = h != NULL && cJSON_AddItemToArray(arr, h);
        if (!ok)
            cJSON_Delete(h);
    }
    return ok;
}

cJSON *scn_edge_to_json(const js_app *a, const js_edge *e)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL && add_str_e(o, "from", a->tasks[e->from].name) &&
              add_str_e(o, "to", a->tasks[e->to].name);
    if (ok && e->dist != JS_FANOUT_POISSON)
        ok = add_str_e(o, "fanout_dist", js_fanout_dist_name(e->dist));
    if (ok && e->dist == JS_FANOUT_EMPIRICAL) { /* the means are the histograms' */
        if (!edge_hist_to_json(a, e, o)) {
            cJSON_Delete(o);
            return NULL;
        }
        return o;
    }
    ok = ok && js_json_add_num_or_null(o, "fanout", e->fanout);
    if (ok && !isnan(e->fanout_by_variant[0])) {
        int nv = a->tasks[e->from].nvariants;
        cJSON *arr = cJSON_CreateDoubleArray(e->fanout_by_variant, nv);
        ok = arr != NULL && cJSON_AddItemToObject(o, "fanout_by_variant", arr);
        if (!ok)
            cJSON_Delete(arr);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
