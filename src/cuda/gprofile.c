/* Profiling: per (share or MIG instance, co-located workers, batch) measure per-batch
 * latency and per-worker throughput with all workers running at once.
 *
 * For each share and worker count one pool of worker processes is started (device set-up
 * is paid once); for each batch size every worker runs `warmup` untimed and `reps` timed
 * batches back to back, all workers started together. Latency statistics pool every
 * worker's timed batches; throughput is items / wall time of each worker's timed loop,
 * averaged over the workers (the profile's per-worker throughput).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "jigsaw/gpubackend.h"

void js_latency_stats(double *ms, int n, double *mean, double *p50, double *p95, double *p99)
{
    if (n <= 0) {
        *mean = *p50 = *p95 = *p99 = NAN;
        return;
    }
    gsl_sort(ms, 1, (size_t)n);
    *mean = gsl_stats_mean(ms, 1, (size_t)n);
    *p50 = gsl_stats_quantile_from_sorted_data(ms, 1, (size_t)n, 0.50);
    *p95 = gsl_stats_quantile_from_sorted_data(ms, 1, (size_t)n, 0.95);
    *p99 = gsl_stats_quantile_from_sorted_data(ms, 1, (size_t)n, 0.99);
}

static js_gpu_measurement *new_measurement(js_gpu_measurement *meas, int *nmeas, int slices,
                                           int batch, int k, int mps_percent)
{
    js_gpu_measurement *m = &meas[(*nmeas)++];
    memset(m, 0, sizeof *m);
    m->mig = slices;
    m->batch = batch;
    m->workers = k;
    m->mps_percent = mps_percent;
    m->lat_mean_ms = m->lat_p50_ms = m->lat_p95_ms = m->lat_p99_ms = NAN;
    return m;
}

/* One (share, workers) pool: every batch size. Appends to meas[*nmeas]; a device failure
 * at batch b makes b and every larger batch unavailable (batches are tried in the order
 * given) and is not an error of the run. */
static int measure_pool(const js_device_factory *f, const js_gpu_profile_config *c,
                        int slot, int k, js_gpu_measurement *meas, int *nmeas, js_diag *d)
{
    int slices = c->nmig > 0 ? c->mig_slices[slot] : c->shares[slot];
    js_worker_spec *specs = calloc((size_t)k, sizeof *specs);
    double *lat = malloc(sizeof *lat * (size_t)k * (size_t)c->reps);
    double *tput = malloc(sizeof *tput * (size_t)k);
    if (!specs || !lat || !tput) {
        free(specs);
        free(lat);
        free(tput);
        return js_diag_set(d, JS_EXIT_INTERNAL, "profile: out of memory");
    }
    int max_batch = 1;
    for (int b = 0; b < c->nbatches; b++)
        if (c->batches[b] > max_batch)
            max_batch = c->batches[b];
    int mps_percent = c->nmig > 0 ? 0 : (int)lround(100.0 * slices / 7.0);
    for (int i = 0; i < k; i++) {
        snprintf(specs[i].model, sizeof specs[i].model, "%s", c->model);
        specs[i].mig = slices;
        specs[i].workers = k;
        specs[i].max_batch = max_batch;
        specs[i].mps_percent = mps_percent;
        if (c->nmig > 0)
            snprintf(specs[i].mig_uuid, sizeof specs[i].mig_uuid, "%s", c->mig_uuid[slot]);
        specs[i].device_index = c->device_index;
        specs[i].seed = c->seed + (uint64_t)(slot * 64 + k * 8 + i);
    }
    js_gpu_pool *pool = NULL;
    int rc = js_gpu_pool_start(f, specs, k, &pool, d);
    int b = 0;
    for (; rc == 0 && b < c->nbatches; b++) {
        int batch = c->batches[b];
        for (int i = 0; rc == 0 && i < k; i++)
            rc = js_gpu_pool_series_start(pool, i, batch, c->warmup, c->reps, d);
        for (int i = 0; rc == 0 && i < k; i++) {
            double wall = 0;
            rc = js_gpu_pool_series_collect(pool, i, lat + (size_t)i * (size_t)c->reps,
                                            c->reps, &wall, d);
            tput[i] = wall > 0 ? (double)batch * c->reps / wall : 0;
        }
        if (rc != 0)
            break;
        js_gpu_measurement *m = new_measurement(meas, nmeas, slices, batch, k, mps_percent);
        m->available = true;
        m->samples = k * c->reps;
        js_latency_stats(lat, m->samples, &m->lat_mean_ms, &m->lat_p50_ms, &m->lat_p95_ms,
                         &m->lat_p99_ms);
        m->throughput = gsl_stats_mean(tput, 1, (size_t)k);
    }
    js_gpu_pool_stop(pool);
    free(specs);
    free(lat);
    free(tput);
    if (rc == JS_EXIT_USAGE)
        return rc;
    if (rc != 0) {
        for (; b < c->nbatches; b++) {
            js_gpu_measurement *m = new_measurement(meas, nmeas, slices, c->batches[b], k,
                                                    mps_percent);
            snprintf(m->error, sizeof m->error, "%.199s", d->msg);
        }
        js_diag_init(d);
    }
    return 0;
}

static int check_config(const js_gpu_profile_config *c, js_diag *d)
{
    int nslots = c->nmig > 0 ? c->nmig : c->nshares;
    if (nslots < 1 || nslots > 8 || c->nbatches < 1 || c->nbatches > 16 || c->nworkers < 1 ||
        c->nworkers > 8)
        return js_diag_set(d, JS_EXIT_USAGE,
                           "profile: need 1-8 shares (or MIG instances), 1-16 batch sizes and "
                           "1-8 worker counts");
    if (c->reps < 1 || c->warmup < 0)
        return js_diag_set(d, JS_EXIT_USAGE, "profile: repetitions must be >= 1, warm-up >= 0");
    for (int i = 0; i < nslots; i++) {
        int s = c->nmig > 0 ? c->mig_slices[i] : c->shares[i];
        if (s < 1 || s > 7)
            return js_diag_set(d, JS_EXIT_USAGE,
                               "profile: share %d is not 1..7 compute slices", s);
    }
    for (int i = 0; i < c->nbatches; i++)
        if (c->batches[i] < 1)
            return js_diag_set(d, JS_EXIT_USAGE, "profile: batch sizes must be >= 1");
    for (int i = 0; i < c->nworkers; i++)
        if (c->workers[i] < 1 || c->workers[i] > 8)
            return js_diag_set(d, JS_EXIT_USAGE, "profile: worker counts must be 1..8");
    return 0;
}

int js_gpu_profile_run(const js_device_factory *f, const js_gpu_profile_config *c,
                       js_profile *out, js_gpu_measurement **meas, int *nmeas, js_diag *d)
{
    memset(out, 0, sizeof *out);
    *meas = NULL;
    *nmeas = 0;
    int rc = check_config(c, d);
    if (rc != 0)
        return rc;
    int nslots = c->nmig > 0 ? c->nmig : c->nshares;
    size_t cap = (size_t)nslots * (size_t)c->nworkers * (size_t)c->nbatches;
    js_gpu_measurement *m = calloc(cap, sizeof *m);
    if (!m)
        return js_diag_set(d, JS_EXIT_INTERNAL, "profile: out of memory");
    int n = 0, measured = 0;
    for (int s = 0; rc == 0 && s < nslots; s++)
        for (int w = 0; rc == 0 && w < c->nworkers; w++)
            rc = measure_pool(f, c, s, c->workers[w], m, &n, d);
    for (int i = 0; i < n; i++)
        measured += m[i].available;
    if (rc == 0 && measured == 0)
        rc = js_diag_set(d, JS_EXIT_NOTAVAIL, "profile: no configuration of %s could be run; "
                         "the first failure: %s", c->model, n > 0 ? m[0].error : "none");
    if (rc != 0) {
        free(m);
        return rc;
    }
    js_profile_entry *e = calloc((size_t)n, sizeof *e);
    if (!e) {
        free(m);
        return js_diag_set(d, JS_EXIT_INTERNAL, "profile: out of memory");
    }
    for (int i = 0; i < n; i++) {
        e[i].mig = m[i].mig;
        e[i].batch = m[i].batch;
        e[i].workers = m[i].workers;
        e[i].available = m[i].available;
        e[i].prov = JS_PROV_MEASURED;
        e[i].throughput = m[i].throughput;
        e[i].lat_mean_ms = m[i].lat_mean_ms;
        e[i].lat_p50_ms = m[i].lat_p50_ms;
        e[i].lat_p95_ms = m[i].lat_p95_ms;
    }
    qsort(e, (size_t)n, sizeof *e, js_profile_entry_cmp);
    snprintf(out->model, sizeof out->model, "%s", c->model);
    snprintf(out->gpu, sizeof out->gpu, "%s", c->gpu_name);
    snprintf(out->description, sizeof out->description,
             "%s proxy (cuBLAS/cuDNN FP16 layer shapes, see 'jigsaw gpu models'); %s; "
             "%d warm-up and %d timed batches per worker",
             c->model, c->nmig > 0 ? "MIG instances" : "MPS active-thread shares of slices/7",
             c->warmup, c->reps);
    out->prov.kind = JS_PROV_MEASURED;
    snprintf(out->prov.source, sizeof out->prov.source, "measured by jigsaw gpu profile on %s",
             c->device_desc);
    out->prov.heldout_mape_throughput = NAN;
    out->prov.heldout_mape_latency = NAN;
    out->nentries = n;
    out->entries = e;
    *meas = m;
    *nmeas = n;
    return 0;
}
