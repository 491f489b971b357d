/* perfmodel/generate.c: training data from measured profiles, the fit file, and
 * modelled profiles. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/perfmodel.h"

int js_pm_training_load(const js_pm_catalogue *c, const char *gpu_dir, const js_gpu_type *g,
                        js_pm_obs **out, int *nout, js_diag *d)
{
    *out = NULL;
    *nout = 0;
    int cap = 0, n = 0, rc = 0;
    js_pm_obs *obs = NULL;
    for (int m = 0; m < c->n && rc == 0; m++) {
        if (!c->m[m].measured_a100)
            continue;
        char path[JS_PATH_MAX + JS_NAME_MAX + 8];
        snprintf(path, sizeof path, "%s/%s.json", gpu_dir, c->m[m].name);
        js_profile p;
        rc = js_profile_load(path, &p, d);
        if (rc != 0)
            break;
        for (int i = 0; i < p.nentries && rc == 0; i++) {
            const js_profile_entry *e = &p.entries[i];
            if (e->prov != JS_PROV_MEASURED)
                continue; /* never train on modelled numbers */
            js_pm_hw hw;
            if (js_pm_hw_of(g, e->mig, &hw) != 0) {
                rc = js_diag_set(d, JS_EXIT_DATAERR, "%s: MIG size %d is not a profile of %s",
                                 path, e->mig, g->name);
                break;
            }
            if (n == cap) {
                int nc = cap ? 2 * cap : 1024;
                js_pm_obs *t = realloc(obs, (size_t)nc * sizeof *t);
                if (!t) {
                    rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
                    break;
                }
                obs = t;
                cap = nc;
            }
            js_pm_obs *o = &obs[n++];
            o->model = m;
            o->mig = e->mig;
            o->hw = hw;
            o->batch = e->batch;
            o->workers = e->workers;
            o->available = e->available;
            o->thr = e->available ? e->throughput : 0.0;
            o->lat_ms = e->available ? e->lat_mean_ms : 0.0;
        }
        js_profile_free(&p);
    }
    if (rc != 0) {
        free(obs);
        return rc;
    }
    if (n == 0)
        return js_diag_set(d, JS_EXIT_NOINPUT, "%s: no measured profiles of catalogue models",
                           gpu_dir);
    *out = obs;
    *nout = n;
    return 0;
}

/* ------------------------------------------------------------------ fit file */

static const char *const param_names[] = {"t0_ms", "c_op_ms", "a_flop_ms_per_gflop",
                                          "a_act_ms_per_mact", "gamma", "h_items", "omega",
                                          "mu", "p", "mem_m0_gib", "mem_alpha_act_gib",
                                          "mem_alpha_flop_gib", "a_op_ms", NULL};

static void params_get(const js_pm_params *p, double *v)
{
    v[0] = p->t0;
    v[1] = p->c_op;
    v[2] = p->a_flop;
    v[3] = p->a_act;
    v[4] = p->gamma;
    v[5] = p->h;
    v[6] = p->omega;
    v[7] = p->mu;
    v[8] = p->p;
    v[9] = p->mem_m0;
    v[10] = p->mem_alpha_act;
    v[11] = p->mem_alpha_flop;
    v[12] = p->a_op;
}

static void params_set(js_pm_params *p, const double *v)
{
    p->t0 = v[0];
    p->c_op = v[1];
    p->a_flop = v[2];
    p->a_act = v[3];
    p->gamma = v[4];
    p->h = v[5];
    p->omega = v[6];
    p->mu = v[7];
    p->p = v[8];
    p->mem_m0 = v[9];
    p->mem_alpha_act = v[10];
    p->mem_alpha_flop = v[11];
    p->a_op = v[12];
}

static cJSON *err_json(const js_pm_err *e)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    bool ok = cJSON_AddNumberToObject(o, "points", e->n) &&
              cJSON_AddNumberToObject(o, "throughput_ape_median", e->thr_med) &&
              cJSON_AddNumberToObject(o, "throughput_ape_p90", e->thr_p90) &&
              cJSON_AddNumberToObject(o, "latency_ape_median", e->lat_med) &&
              cJSON_AddNumberToObject(o, "latency_ape_p90", e->lat_p90) &&
              cJSON_AddNumberToObject(o, "availability_agreement", e->mem_agree);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *js_pm_fit_to_json(const js_pm_cv *cv, const js_pm_catalogue *c)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    bool ok = cJSON_AddStringToObject(root, "kind", "perfmodel-fit") &&
              cJSON_AddNumberToObject(root, "format_version", JS_FORMAT_VERSION) &&
              cJSON_AddStringToObject(root, "model_version", JS_PM_VERSION) &&
              cJSON_AddStringToObject(
                  root, "description",
                  "Parameters of the jigsaw performance model fitted (GSL multifit_nlinear, "
                  "log-throughput least squares; memory boundary by exhaustive grid search) "
                  "to the measured ParvaGPU A100-80GB tables (MIT, MunQ-Lee/ParvaGPU_SC24), "
                  "with leave-one-model-out errors in percent. Equations: "
                  "include/jigsaw/perfmodel.h and README.");
    cJSON *pa = ok ? cJSON_AddObjectToObject(root, "params") : NULL;
    ok = ok && pa;
    double v[JS_PM_NPARAMS + JS_PM_NMEM];
    params_get(&cv->full, v);
    for (int i = 0; ok && param_names[i]; i++)
        ok = cJSON_AddNumberToObject(pa, param_names[i], v[i]) != NULL;
    cJSON *tr = ok ? err_json(&cv->train) : NULL;
    ok = ok && tr && cJSON_AddItemToObject(root, "training_error", tr);
    cJSON *ov = ok ? err_json(&cv->overall) : NULL;
    ok = ok && ov && cJSON_AddItemToObject(root, "heldout_error", ov);
    cJSON *per = ok ? cJSON_AddObjectToObject(root, "heldout_by_model") : NULL;
    ok = ok && per;
    for (int i = 0; ok && i < cv->nmodels; i++) {
        cJSON *e = err_json(&cv->heldout[i]);
        ok = e && cJSON_AddItemToObject(per, c->m[cv->model[i]].name, e);
    }
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int js_pm_fit_load(const char *path, js_pm_params *p, double *heldout_thr_med,
                   double *heldout_lat_med, js_diag *d)
{
    cJSON *root = NULL;
    int rc = js_json_load_file(path, &root, d);
    if (rc != 0)
        return rc;
    js_jctx c;
    js_jctx_init(&c, path, d);
    static const char *const top[] = {"kind", "format_version", "model_version", "description",
                                      "params", "training_error", "heldout_error",
                                      "heldout_by_model", NULL};
    static const char *const req[] = {"kind", "format_version", "model_version", "params",
                                      "heldout_error", NULL};
    rc = js_json_check_kind(&c, root, "perfmodel-fit");
    if (rc == 0)
        rc = js_json_check_keys(&c, root, top, req);
    char ver[64] = "";
    if (rc == 0)
        rc = js_json_get_string(&c, root, "model_version", true, ver, sizeof ver);
    if (rc == 0 && strcmp(ver, JS_PM_VERSION) != 0)
        rc = js_json_err(&c, "model_version", "fitted for model \"%s\", this build is \"%s\"",
                         ver, JS_PM_VERSION);
    const cJSON *pa = NULL, *he = NULL;
    if (rc == 0)
        rc = js_json_get_object(&c, root, "params", true, &pa);
    double v[JS_PM_NPARAMS + JS_PM_NMEM];
    if (rc == 0) {
        size_t s0 = js_jctx_push_key(&c, "params");
        rc = js_json_check_keys(&c, pa, param_names, param_names);
        for (int i = 0; rc == 0 && param_names[i]; i++) {
            rc = js_json_get_number(&c, pa, param_names[i], true, &v[i]);
            if (rc == 0 && !(v[i] >= 0))
                rc = js_json_err(&c, param_names[i], "must be >= 0, got %g", v[i]);
        }
        if (rc == 0 && !(v[8] >= 1))
            rc = js_json_err(&c, "p", "must be >= 1, got %g", v[8]);
        js_jctx_pop(&c, s0);
    }
    if (rc == 0)
        rc = js_json_get_object(&c, root, "heldout_error", true, &he);
    if (rc == 0) {
        size_t s0 = js_jctx_push_key(&c, "heldout_error");
        *heldout_thr_med = *heldout_lat_med = NAN;
        rc = js_json_get_number(&c, he, "throughput_ape_median", true, heldout_thr_med);
        if (rc == 0)
            rc = js_json_get_number(&c, he, "latency_ape_median", true, heldout_lat_med);
        js_jctx_pop(&c, s0);
    }
    if (rc == 0)
        params_set(p, v);
    cJSON_Delete(root);
    return rc;
}

/* ------------------------------------------------------------------ generation */

int js_pm_generate(const js_pm_params *p, const js_pm_facts *f, const js_gpu_type *g,
                   int max_workers, double sigma, double heldout_thr, double heldout_lat,
                   const char *assumption, js_profile *out, js_diag *d)
{
    memset(out, 0, sizeof *out);
    static const int batches[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
    const int nb = (int)(sizeof batches / sizeof batches[0]);
    if (max_workers < 1)
        return js_diag_set(d, JS_EXIT_USAGE, "perfmodel generate: max workers must be >= 1");
    if (!(sigma >= 0 && sigma < 2))
        return js_diag_set(d, JS_EXIT_USAGE, "perfmodel generate: sigma must be in [0, 2)");
    int cap = g->nprofiles * nb * max_workers;
    out->entries = calloc((size_t)cap, sizeof *out->entries);
    if (!out->entries)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    snprintf(out->model, sizeof out->model, "%s", f->name);
    snprintf(out->gpu, sizeof out->gpu, "%s", g->name);
    snprintf(out->description, sizeof out->description,
             "%s on %s, MODELLED by the jigsaw performance model %s (not measured). %s",
             f->name, g->name, JS_PM_VERSION, assumption ? assumption : "");
    out->prov.kind = JS_PROV_MODELLED;
    snprintf(out->prov.source, sizeof out->prov.source,
             "jigsaw performance model %s fitted to ParvaGPU's measured A100-80GB tables "
             "(profiles/perfmodel-fit.json); inputs from profiles/models.json (%.4g GFLOP, "
             "%.4g M activations, %.4g M params, %.0f ops per item); p95 from a lognormal "
             "with sigma %.3g.",
             JS_PM_VERSION, f->gflops, f->act_m, f->params_m, f->ops, sigma);
    snprintf(out->prov.model_version, sizeof out->prov.model_version, "%s", JS_PM_VERSION);
    out->prov.heldout_mape_throughput = heldout_thr;
    out->prov.heldout_mape_latency = heldout_lat;
    bool explicit_tails = fabs(sigma - JS_DEFAULT_LATENCY_SIGMA) > 1e-12;
    for (int pi = 0; pi < g->nprofiles; pi++) {
        js_pm_hw hw;
        /* Entries are per compute size, on its primary profile (gpu.h): 1g.20gb adds none. */
        if (js_gpu_profile_by_slices(g, g->profiles[pi].compute_slices) != pi ||
            js_pm_hw_of(g, g->profiles[pi].compute_slices, &hw) != 0)
            continue;
        for (int bi = 0; bi < nb; bi++)
            for (int k = 1; k <= max_workers; k++) {
                js_profile_entry *e = &out->entries[out->nentries++];
                e->mig = g->profiles[pi].compute_slices;
                e->batch = batches[bi];
                e->workers = k;
                e->prov = JS_PROV_MODELLED;
                e->lat_p50_ms = e->lat_p95_ms = NAN;
                double lat, thr;
                e->available = js_pm_predict(p, f, &hw, e->batch, k, &lat, &thr);
                if (!e->available) {
                    e->throughput = e->lat_mean_ms = NAN;
                    continue;
                }
                e->throughput = thr;
                e->lat_mean_ms = lat;
                if (explicit_tails) {
                    /* Non-default sigma: write the tails, since a loader would derive them
                     * with the default. */
                    e->lat_p50_ms = lat * exp(-sigma * sigma / 2.0);
                    e->lat_p95_ms = js_latency_p95_from_mean(lat, sigma);
                }
            }
    }
    return 0;
}
