/* Emulated device: a worker that sleeps for the profiled latency of each batch.
 *
 * Used by the tests and CI (no GPU) and to rehearse `jigsaw gpu validate` on a machine
 * without one. A batch of b items of model M in a worker that shares an instance of
 * `mig` slices with `workers` workers takes the latency of the profile entry
 * (mig, b, workers): its mean (deterministic) or a lognormal draw fitted to its mean and
 * p95. Sleeps use absolute CLOCK_MONOTONIC deadlines so that signals and scheduling
 * delays do not accumulate.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "jigsaw/gpubackend.h"
#include "jigsaw/util.h"

typedef struct emu_ctx {
    const js_emu_config *cfg;
    const js_profile *prof;
    js_worker_spec spec;
    gsl_rng *rng;
} emu_ctx;

const js_profile_entry *js_emu_find(const js_profile *p, int mig, int batch, int workers)
{
    const js_profile_entry *best = NULL;
    for (int i = 0; p && i < p->nentries; i++) {
        const js_profile_entry *e = &p->entries[i];
        if (!e->available || e->mig != mig || e->workers != workers || e->batch < batch)
            continue;
        if (!best || e->batch < best->batch)
            best = e;
    }
    return best;
}

int js_emu_latency(const js_profile *p, const js_worker_spec *spec, int n, double *mean_ms,
                   double *p95_ms)
{
    int full = spec->max_batch > 0 ? spec->max_batch : n;
    bool plan = spec->plan_lat_mean_ms > 0;
    *mean_ms = spec->plan_lat_mean_ms;
    *p95_ms = plan && spec->plan_lat_p95_ms > 0 ? spec->plan_lat_p95_ms : NAN;
    if (plan && n >= full)
        return 0;
    const js_profile_entry *e = js_emu_find(p, spec->mig, n, spec->workers);
    if (e && (!plan || e->batch <= full) && e->lat_mean_ms > 0) {
        *mean_ms = e->lat_mean_ms;
        *p95_ms = e->lat_p95_ms;
        return 0;
    }
    return plan ? 0 : -1;
}

/* Lognormal shape from mean and p95: p95/mean = exp(1.6449 s - s^2 / 2); the smaller
 * root of s^2 - 3.2897 s + 2 ln(p95/mean) = 0. Without a usable p95: 0 (deterministic),
 * as in the simulator. */
static double lognormal_sigma(double mean, double p95)
{
    const double z = 1.6448536269514722;
    if (!(mean > 0) || !isfinite(p95) || p95 <= mean)
        return 0;
    double disc = 4.0 * z * z - 8.0 * log(p95 / mean);
    if (disc < 0)
        return z; /* ratio beyond the lognormal's reach: widest shape */
    return (2.0 * z - sqrt(disc)) / 2.0;
}

static void sleep_until(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static int emu_run_batch(js_gpu_device *dev, int batch, double *elapsed_ms, js_diag *d)
{
    emu_ctx *c = dev->ctx;
    double mean = 0, p95 = NAN;
    if (js_emu_latency(c->prof, &c->spec, batch, &mean, &p95) != 0)
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "emulated device: profile '%s' has no available entry for mig %d, "
                           "batch >= %d, workers %d",
                           c->prof ? c->prof->model : c->spec.model, c->spec.mig, batch,
                           c->spec.workers);
    double ms = mean;
    double s = lognormal_sigma(mean, p95);
    if (c->cfg->dist == JS_EMU_LOGNORMAL && s > 0)
        ms = gsl_ran_lognormal(c->rng, log(mean) - s * s / 2.0, s);
    double scale = c->cfg->time_scale > 0 ? c->cfg->time_scale : 1.0;
    double t0 = js_now_s();
    sleep_until(t0 + ms * scale / 1000.0);
    *elapsed_ms = (js_now_s() - t0) * 1000.0 / scale;
    return 0;
}

static void emu_close(js_gpu_device *dev)
{
    if (!dev)
        return;
    emu_ctx *c = dev->ctx;
    if (c)
        gsl_rng_free(c->rng);
    free(c);
    free(dev);
}

static int emu_open(const js_device_factory *f, const js_worker_spec *spec,
                    js_gpu_device **out, js_diag *d)
{
    const js_emu_config *cfg = f->arg;
    const js_profile *prof = NULL;
    for (int i = 0; i < cfg->nprofiles && !prof; i++)
        if (strcmp(cfg->profiles[i]->model, spec->model) == 0)
            prof = cfg->profiles[i];
    if (!prof && !(spec->plan_lat_mean_ms > 0))
        return js_diag_set(d, JS_EXIT_NOINPUT, "emulated device: no profile for model '%s'",
                           spec->model);
    js_gpu_device *dev = calloc(1, sizeof *dev);
    emu_ctx *c = calloc(1, sizeof *c);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!dev || !c || !rng) {
        free(dev);
        free(c);
        if (rng)
            gsl_rng_free(rng);
        return js_diag_set(d, JS_EXIT_INTERNAL, "emulated device: out of memory");
    }
    gsl_rng_set(rng, (unsigned long)spec->seed);
    c->cfg = cfg;
    c->prof = prof;
    c->spec = *spec;
    c->rng = rng;
    dev->kind = "emulated";
    dev->ctx = c;
    dev->run_batch = emu_run_batch;
    dev->close = emu_close;
    *out = dev;
    return 0;
}

void js_emu_factory(const js_emu_config *cfg, js_device_factory *out)
{
    out->open = emu_open;
    out->arg = cfg;
}
