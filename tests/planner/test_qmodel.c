/* The planner's queueing model (qmodel.h) against closed forms and against the simulator.
 *
 * Closed forms, where the model is exact by construction: at batch 1 with one worker it
 * is the Pollaczek-Khinchine mean wait of M/G/1; with c workers and exponential-like
 * service (cv^2 = 1) the Erlang C wait of M/M/c. Against the simulator (the reference the
 * model is calibrated to, docs/queueing-model.md): one task with a batch-dependent
 * service curve, c workers behind JSED, loaded to u, for >= 60k items; the model's mean
 * and p99 of the item latency must be within the stated tolerances. With
 * JS_QM_CALIBRATE=1 the suite prints the whole calibration grid. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/qmodel.h"
#include "jigsaw/sim.h"
#include "jigsaw/trace.h"
#include "../sim/fixtures.h"

/* Service of a batch of n: mean a + b n ms, p95 = 1.2 x mean. */
#define SVC_A 8.0
#define SVC_B 2.0
#define SVC_P95 1.2

static double svc_mean(int n)
{
    return SVC_A + SVC_B * n;
}

/* A profile with every batch 1..64 (powers of two) for 1..4 workers on every MIG size. */
static js_profile *make_profile(void)
{
    js_profile *p = calloc(1, sizeof *p);
    snprintf(p->model, sizeof p->model, "synthetic");
    static const int migs[5] = {1, 2, 3, 4, 7};
    p->entries = calloc(5 * 7 * 4, sizeof *p->entries);
    for (int m = 0; m < 5; m++)
        for (int b = 1; b <= 64; b *= 2)
            for (int w = 1; w <= 4; w++) {
                js_profile_entry *e = &p->entries[p->nentries++];
                e->mig = migs[m];
                e->batch = b;
                e->workers = w;
                e->available = true;
                e->lat_mean_ms = svc_mean(b);
                e->lat_p95_ms = SVC_P95 * svc_mean(b);
                e->lat_p50_ms = NAN;
                e->throughput = b * 1000.0 / svc_mean(b);
            }
    return p;
}

typedef struct measured {
    double mean_ms, p99_ms;
} measured;

/* One task, `count` instances of (1g, workers, batch), Poisson items at u x capacity. */
static measured simulate(const js_profile *prof, int count, int workers, int batch, double u,
                         double items)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 1e6);
    s->apps[0].tasks[0].variants[0].profile = prof;
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 1, workers, batch, count, svc_mean(batch), SVC_P95 * svc_mean(batch));
    double cap = count * workers * batch * 1000.0 / svc_mean(batch);
    double rate = u * cap;
    p.apps[0].rate = rate;
    js_arrival_spec sp;
    js_arrival_spec_init(&sp);
    sp.kind = JS_ARR_POISSON;
    sp.rate = rate;
    sp.seed = 1234567;
    js_diag d;
    js_diag_init(&d);
    js_arrivals *arr[1] = {NULL};
    cr_assert_eq(js_arrivals_open(&sp, &arr[0], &d), 0, "%s", d.msg);
    js_sim_config cfg;
    js_sim_config_init(&cfg);
    cfg.seed = 99;
    cfg.early_drop = false;
    cfg.duration_s = items / rate;
    js_sim *sim = NULL;
    cr_assert_eq(js_sim_create(s, &p, &cfg, arr, &sim, &d), 0, "%s", d.msg);
    cr_assert_eq(js_sim_run(sim, &d), 0, "%s", d.msg);
    js_sim_result r;
    memset(&r, 0, sizeof r);
    cr_assert_eq(js_sim_result_get(sim, &r), 0);
    measured m = {r.apps[0].latency_ms.mean, r.apps[0].latency_ms.p99};
    js_sim_result_free(&r);
    js_sim_destroy(sim);
    js_arrivals_close(arr[0]);
    js_plan_free(&p);
    fx_scenario_free(s);
    return m;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static void model(const js_profile *prof, int count, int workers, int batch, double u,
                  double *mean, double *p99)
{
    js_qm_service sv;
    cr_assert_eq(js_qm_service_from_profile(prof, 1, workers, batch, svc_mean(batch),
                                            SVC_P95 * svc_mean(batch),
                                            batch * 1000.0 / svc_mean(batch), &sv), 0);
    int c = count * workers;
    js_qm_load ld = {.rate = u * c * sv.thr_worker, .workers = c, .burst = 1.0};
    js_qm_dist dist;
    cr_assert(js_qm_dist_make(&sv, &ld, &dist));
    *mean = dist.mean_ms;
    *p99 = js_qm_quantile(&dist, 0.01);
}

/* The calibration grid: workers x batch x utilisation, model beside the simulator. */
Test(qmodel, against_simulator, .timeout = 240)
{
    js_profile *prof = make_profile();
    bool print = getenv("JS_QM_CALIBRATE") != NULL;
    static const int cs[] = {1, 2, 4, 8};
    static const int bs[] = {1, 4, 16};
    static const double us[] = {0.5, 0.8, 0.9};
    int checked = 0;
    double worst_p99 = 0.0, errs[64];
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        for (size_t j = 0; j < sizeof bs / sizeof bs[0]; j++)
            for (size_t k = 0; k < sizeof us / sizeof us[0]; k++) {
                int c = cs[i], b = bs[j];
                double u = us[k];
                measured m = simulate(prof, c, 1, b, u, print ? 400000 : 150000);
                double mean, p99;
                model(prof, c, 1, b, u, &mean, &p99);
                double e99 = (p99 - m.p99_ms) / m.p99_ms;
                if (print)
                    printf("c %d b %2d u %.2f  sim mean %8.2f p99 %8.2f  model mean %8.2f p99 "
                           "%8.2f  err mean %+6.1f%% p99 %+6.1f%%\n", c, b, u, m.mean_ms,
                           m.p99_ms, mean, p99, 100 * (mean - m.mean_ms) / m.mean_ms,
                           100 * e99);
                worst_p99 = fmax(worst_p99, fabs(e99));
                errs[checked] = fabs(e99);
                /* Tolerances: the approximation's stated error (docs/queueing-model.md). */
                cr_expect(fabs(e99) <= 0.35, "c %d b %d u %.2f: p99 model %.2f sim %.2f", c, b,
                          u, p99, m.p99_ms);
                cr_expect(fabs(mean - m.mean_ms) <= 0.15 * m.mean_ms,
                          "c %d b %d u %.2f: mean model %.2f sim %.2f", c, b, u, mean,
                          m.mean_ms);
                checked++;
            }
    cr_assert_eq(checked, 36);
    qsort(errs, (size_t)checked, sizeof errs[0], cmp_double);
    double median = 0.5 * (errs[checked / 2 - 1] + errs[checked / 2]);
    cr_expect(median <= 0.10, "median |p99 error| %.1f%%", 100 * median);
    if (print)
        printf("worst |p99 error| %.1f%% over %d points\n", 100 * worst_p99, checked);
    free(prof->entries);
    free(prof);
}
