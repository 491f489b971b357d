/* perfmodel/fit.c: least-squares fit (GSL multifit_nlinear), memory-boundary fit,
 * error statistics and leave-one-model-out cross-validation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_vector.h>

#include "jigsaw/perfmodel.h"

/* Unconstrained fit coordinates -> parameters. Positive parameters are fitted as logs;
 * the smooth-max exponent as p = 1 + exp(x) (p >= 1). */
static void x_to_params(const gsl_vector *x, js_pm_params *p)
{
    p->t0 = exp(gsl_vector_get(x, 0));
    p->c_op = exp(gsl_vector_get(x, 1));
    p->a_flop = exp(gsl_vector_get(x, 2));
    p->a_act = exp(gsl_vector_get(x, 3));
    p->gamma = exp(gsl_vector_get(x, 4));
    p->h = exp(gsl_vector_get(x, 5));
    p->omega = exp(gsl_vector_get(x, 6));
    p->mu = exp(gsl_vector_get(x, 7));
    p->p = 1.0 + exp(gsl_vector_get(x, 8));
    p->a_op = exp(gsl_vector_get(x, 9));
}

static void params_to_x(const js_pm_params *p, gsl_vector *x)
{
    gsl_vector_set(x, 0, log(p->t0));
    gsl_vector_set(x, 1, log(p->c_op));
    gsl_vector_set(x, 2, log(p->a_flop));
    gsl_vector_set(x, 3, log(p->a_act));
    gsl_vector_set(x, 4, log(p->gamma));
    gsl_vector_set(x, 5, log(p->h));
    gsl_vector_set(x, 6, log(p->omega));
    gsl_vector_set(x, 7, log(p->mu));
    gsl_vector_set(x, 8, log(p->p - 1.0));
    gsl_vector_set(x, 9, log(p->a_op));
}

/* Starting point: orders of magnitude read off the measured tables (a ~30 us dispatch
 * cost, ~2.4 ms per ResNet-50 item on 14 SMs). */
static void initial_params(js_pm_params *p)
{
    p->t0 = 0.5;
    p->c_op = 0.025;
    p->a_flop = 0.015;
    p->a_act = 0.005;
    p->a_op = 0.0008;
    p->gamma = 0.9;
    p->h = 1.0;
    p->omega = 1.0;
    p->mu = 0.05;
    p->p = 3.0;
    p->mem_m0 = 1.0;
    p->mem_alpha_act = 0.01;
    p->mem_alpha_flop = 0.0;
}

typedef struct fit_data {
    const js_pm_catalogue *c;
    const js_pm_obs *obs;
    const int *idx;   /* observations used */
    size_t n;
    js_pm_params base; /* memory parameters are not fitted here */
} fit_data;

/* Residual: log(predicted / measured) throughput, memory check switched off so that
 * every measured point pulls on the timing parameters. */
static int resid_f(const gsl_vector *x, void *vdata, gsl_vector *f)
{
    const fit_data *fd = vdata;
    js_pm_params p = fd->base;
    x_to_params(x, &p);
    p.mem_m0 = 0.0;
    p.mem_alpha_act = 0.0;
    p.mem_alpha_flop = 0.0;
    for (size_t i = 0; i < fd->n; i++) {
        const js_pm_obs *o = &fd->obs[fd->idx[i]];
        double lat, thr;
        js_pm_hw hw = o->hw;
        hw.mem_gib = INFINITY;
        if (!js_pm_predict(&p, &fd->c->m[o->model], &hw, o->batch, o->workers, &lat, &thr))
            thr = 1e-9;
        gsl_vector_set(f, i, log(thr / o->thr));
    }
    return GSL_SUCCESS;
}

static int fit_timing(const js_pm_catalogue *c, const js_pm_obs *obs, const int *idx,
                      size_t n, js_pm_params *io, js_diag *d)
{
    if (n < JS_PM_NPARAMS * 4)
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "perfmodel fit: only %zu measured configurations, need at least %d",
                           n, JS_PM_NPARAMS * 4);
    fit_data fd = {c, obs, idx, n, *io};
    gsl_multifit_nlinear_fdf fdf;
    memset(&fdf, 0, sizeof fdf);
    fdf.f = resid_f;
    fdf.df = NULL; /* finite-difference Jacobian */
    fdf.n = n;
    fdf.p = JS_PM_NPARAMS;
    fdf.params = &fd;
    gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
    fp.trs = gsl_multifit_nlinear_trs_lm;
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, n, JS_PM_NPARAMS);
    gsl_vector *x = gsl_vector_alloc(JS_PM_NPARAMS);
    if (!w || !x) {
        if (w)
            gsl_multifit_nlinear_free(w);
        gsl_vector_free(x);
        return js_diag_set(d, JS_EXIT_INTERNAL, "perfmodel fit: out of memory");
    }
    params_to_x(io, x);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int info = 0;
    int st = gsl_multifit_nlinear_winit(x, NULL, &fdf, w);
    if (st == GSL_SUCCESS)
        st = gsl_multifit_nlinear_driver(500, 1e-10, 1e-10, 1e-10, NULL, NULL, &info, w);
    gsl_set_error_handler(old);
    /* GSL_EMAXITER still leaves the best point found; accept it, reject real failures. */
    if (st != GSL_SUCCESS && st != GSL_EMAXITER && st != GSL_ENOPROG) {
        gsl_multifit_nlinear_free(w);
        gsl_vector_free(x);
        return js_diag_set(d, JS_EXIT_INTERNAL, "perfmodel fit: GSL failed: %s",
                           gsl_strerror(st));
    }
    x_to_params(w->x, io);
    gsl_multifit_nlinear_free(w);
    gsl_vector_free(x);
    return 0;
}

/* Memory boundary: exhaustive search over a log grid for the (m0, alpha_act, alpha_flop)
 * that classifies the most configurations correctly as available or not (ties: the
 * smallest footprint, i.e. the most permissive model). Deterministic. */
static void fit_memory(const js_pm_catalogue *c, const js_pm_obs *obs, const int *idx,
                       size_t n, js_pm_params *io)
{
    long best = -1;
    js_pm_params p = *io;
    for (int i0 = 0; i0 <= 12; i0++) {
        p.mem_m0 = 0.25 * i0;
        for (int i1 = 0; i1 <= 40; i1++) {
            p.mem_alpha_act = i1 == 0 ? 0.0 : 1e-4 * pow(10.0, (i1 - 1) * 0.1);
            for (int i2 = 0; i2 <= 30; i2++) {
                p.mem_alpha_flop = i2 == 0 ? 0.0 : 1e-5 * pow(10.0, (i2 - 1) * 0.1);
                long ok = 0;
                for (size_t j = 0; j < n; j++) {
                    const js_pm_obs *o = &obs[idx[j]];
                    bool fits = js_pm_fits_memory(&p, &c->m[o->model], &o->hw, o->batch,
                                                  o->workers);
                    ok += fits == o->available;
                }
                if (ok > best) {
                    best = ok;
                    io->mem_m0 = p.mem_m0;
                    io->mem_alpha_act = p.mem_alpha_act;
                    io->mem_alpha_flop = p.mem_alpha_flop;
                }
            }
        }
    }
}

int js_pm_fit(const js_pm_catalogue *c, const js_pm_obs *obs, int nobs, int exclude,
              js_pm_params *out, js_diag *d)
{
    if (nobs <= 0)
        return js_diag_set(d, JS_EXIT_DATAERR, "perfmodel fit: no measured data");
    int *all = malloc((size_t)nobs * sizeof *all);
    int *avail = malloc((size_t)nobs * sizeof *avail);
    if (!all || !avail) {
        free(all);
        free(avail);
        return js_diag_set(d, JS_EXIT_INTERNAL, "perfmodel fit: out of memory");
    }
    size_t nall = 0, navail = 0;
    for (int i = 0; i < nobs; i++) {
        if (obs[i].model == exclude)
            continue;
        all[nall++] = i;
        if (obs[i].available && obs[i].thr > 0.0)
            avail[navail++] = i;
    }
    js_pm_params p;
    initial_params(&p);
    int rc = fit_timing(c, obs, avail, navail, &p, d);
    if (rc == 0)
        fit_memory(c, obs, all, nall, &p);
    free(all);
    free(avail);
    if (rc == 0)
        *out = p;
    return rc;
}

static void quantiles(double *v, size_t n, double *med, double *p90)
{
    if (n == 0) {
        *med = NAN;
        *p90 = NAN;
        return;
    }
    gsl_sort(v, 1, n);
    *med = gsl_stats_median_from_sorted_data(v, 1, n);
    *p90 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.90);
}

int js_pm_errors(const js_pm_params *p, const js_pm_catalogue *c, const js_pm_obs *obs,
                 int nobs, int model, js_pm_err *out)
{
    memset(out, 0, sizeof *out);
    double *et = malloc((size_t)(nobs > 0 ? nobs : 1) * sizeof *et);
    double *el = malloc((size_t)(nobs > 0 ? nobs : 1) * sizeof *el);
    if (!et || !el) {
        free(et);
        free(el);
        return JS_EXIT_INTERNAL;
    }
    size_t n = 0, nl = 0, agree = 0, total = 0;
    for (int i = 0; i < nobs; i++) {
        const js_pm_obs *o = &obs[i];
        if (model >= 0 && o->model != model)
            continue;
        const js_pm_facts *f = &c->m[o->model];
        total++;
        agree += js_pm_fits_memory(p, f, &o->hw, o->batch, o->workers) == o->available;
        if (!o->available || !(o->thr > 0.0))
            continue;
        /* Errors of the timing model are judged on every measured point, also those the
         * memory model would (wrongly) reject. */
        js_pm_hw hw = o->hw;
        hw.mem_gib = INFINITY;
        double lat, thr;
        if (!js_pm_predict(p, f, &hw, o->batch, o->workers, &lat, &thr))
            continue;
        et[n++] = 100.0 * fabs(thr - o->thr) / o->thr;
        if (o->lat_ms > 0.0)
            el[nl++] = 100.0 * fabs(lat - o->lat_ms) / o->lat_ms;
    }
    out->n = (int)n;
    quantiles(et, n, &out->thr_med, &out->thr_p90);
    quantiles(el, nl, &out->lat_med, &out->lat_p90);
    out->mem_agree = total ? (double)agree / (double)total : NAN;
    free(et);
    free(el);
    return 0;
}

/* Held-out predictions of one model are gathered as if they came from one parameter
 * set: copy the observations and errors per model, pool for the overall figure. */
int js_pm_crossvalidate(const js_pm_catalogue *c, const js_pm_obs *obs, int nobs,
                        js_pm_cv *out, js_diag *d)
{
    memset(out, 0, sizeof *out);
    int rc = js_pm_fit(c, obs, nobs, -1, &out->full, d);
    if (rc)
        return rc;
    js_pm_errors(&out->full, c, obs, nobs, -1, &out->train);

    double *et = malloc((size_t)nobs * sizeof *et);
    double *el = malloc((size_t)nobs * sizeof *el);
    if (!et || !el) {
        free(et);
        free(el);
        return js_diag_set(d, JS_EXIT_INTERNAL, "perfmodel cross-validation: out of memory");
    }
    size_t n = 0, nl = 0, agree = 0, total = 0;
    for (int m = 0; m < c->n; m++) {
        if (!c->m[m].measured_a100)
            continue;
        bool has = false;
        for (int i = 0; i < nobs && !has; i++)
            has = obs[i].model == m;
        if (!has)
            continue;
        js_pm_params p;
        rc = js_pm_fit(c, obs, nobs, m, &p, d);
        if (rc)
            break;
        int k = out->nmodels++;
        out->model[k] = m;
        js_pm_errors(&p, c, obs, nobs, m, &out->heldout[k]);
        for (int i = 0; i < nobs; i++) {
            const js_pm_obs *o = &obs[i];
            if (o->model != m)
                continue;
            total++;
            agree += js_pm_fits_memory(&p, &c->m[m], &o->hw, o->batch, o->workers) ==
                     o->available;
            if (!o->available || !(o->thr > 0.0))
                continue;
            js_pm_hw hw = o->hw;
            hw.mem_gib = INFINITY;
            double lat, thr;
            if (!js_pm_predict(&p, &c->m[m], &hw, o->batch, o->workers, &lat, &thr))
                continue;
            et[n++] = 100.0 * fabs(thr - o->thr) / o->thr;
            if (o->lat_ms > 0.0)
                el[nl++] = 100.0 * fabs(lat - o->lat_ms) / o->lat_ms;
        }
    }
    if (rc == 0) {
        out->overall.n = (int)n;
        quantiles(et, n, &out->overall.thr_med, &out->overall.thr_p90);
        quantiles(el, nl, &out->overall.lat_med, &out->overall.lat_p90);
        out->overall.mem_agree = total ? (double)agree / (double)total : NAN;
    }
    free(et);
    free(el);
    return rc;
}
