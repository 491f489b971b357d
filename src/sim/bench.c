/* jigsaw-bench-sim: simulator throughput against the bare event-queue ceiling.
 *
 *   jigsaw-bench-sim SCENARIO PLAN.json [LOAD [REQUESTS [SEED [DISPATCH]]]]
 *
 * DISPATCH: jsed (default), rr, shared, or "all" to run the plan once with each and print
 * the events/s of each against rr's (dispatch_<policy>_events_per_s and _ratio_to_rr
 * lines) -- the comparison scripts/bench-simulator.sh reports; "all" skips the bare loop
 * and the M/M/4 model.
 *
 * Runs the plan with Poisson arrivals scaled so that its busiest task is at LOAD (default
 * 0.8) of its planned capacity, for about REQUESTS requests (default 2e6), and then a bare
 * "hold" loop (pop the earliest event, push one later event) over the same 4-ary heap
 * implementation with as many pending events as the simulation keeps (workers + arrival
 * streams + 1). Times are CPU time of this process (one core), so other load on the
 * machine does not distort them. Prints key=value lines.
 *
 * A second, minimal model -- one task, four exponential servers with a shared queue, batch
 * 1, no fan-out (M/M/4 at rho 0.8) -- shows the engine's per-event overhead when every
 * event goes through the queue. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "jigsaw/plan.h"
#include "jigsaw/scenario.h"
#include "jigsaw/sim.h"
#include "jigsaw/trace.h"
#include "jigsaw/util.h"
#include "evq.h"

/* Largest demand/capacity over the plan's tasks, and the number of workers. */
static double plan_load(const js_plan *p, int *workers)
{
    double load = 0;
    int w = 0;
    for (int a = 0; a < p->napps; a++)
        for (int k = 0; k < p->apps[a].ntasks; k++) {
            const js_task_plan *t = &p->apps[a].tasks[k];
            double cap = 0;
            for (int i = 0; i < t->nsegments; i++) {
                cap += t->segments[i].throughput * t->segments[i].count;
                w += t->segments[i].workers * t->segments[i].count;
            }
            if (cap > 0 && t->demand / cap > load)
                load = t->demand / cap;
        }
    *workers = w;
    return load;
}

static double bare_loop(size_t heap_size, uint64_t ops, double *checksum)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    enum { NINC = 4096 };
    static double inc[NINC];
    for (int i = 0; i < NINC; i++)
        inc[i] = gsl_ran_exponential(r, 1.0);
    js_evq q;
    if (r == NULL || js_evq_init(&q, heap_size) != 0) {
        fprintf(stderr, "jigsaw-bench-sim: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < heap_size; i++)
        js_evq_push(&q, inc[i % NINC], (uint32_t)i);
    double sum = 0, t0 = js_cpu_s();
    for (uint64_t i = 0; i < ops; i++) {
        js_ev e = js_evq_pop(&q);
        sum += (double)js_ev_payload(&e);
        js_evq_push(&q, e.t + inc[i & (NINC - 1)], js_ev_payload(&e));
    }
    double dt = js_cpu_s() - t0;
    *checksum = sum;
    js_evq_free(&q);
    gsl_rng_free(r);
    return dt;
}

/* M/M/4 at rho 0.8 built in memory: heap events/s and the bare loop at its heap size. */
static int bench_mmc(double nreq)
{
    js_scenario *s = calloc(1, sizeof *s);
    js_app *app = s != NULL ? calloc(1, sizeof *app) : NULL;
    if (app == NULL) {
        free(s);
        return 1;
    }
    s->napps = 1;
    s->apps = app;
    snprintf(app->name, sizeof app->name, "mmc");
    app->ntasks = 1;
    app->tasks[0].nvariants = 1;
    app->tasks[0].variants[0].accuracy_norm = 1;
    app->latency_slo_ms = 1e9;
    js_plan p;
    js_plan_init(&p);
    js_app_plan ap;
    memset(&ap, 0, sizeof ap);
    ap.ntasks = 1;
    ap.tasks[0].nsegments = 1;
    ap.tasks[0].segments[0] = (js_segment){.mig = 1, .workers = 4, .batch = 1, .count = 1,
                                           .throughput = 400, .lat_mean_ms = 10,
                                           .lat_p95_ms = NAN};
    p.napps = 1;
    p.apps = &ap;
    js_arrival_spec sp;
    js_arrival_spec_init(&sp);
    sp.rate = 320;
    sp.seed = 3;
    js_diag d;
    js_diag_init(&d);
    js_arrivals *arr[1] = {NULL};
    js_sim_config cfg;
    js_sim_config_init(&cfg);
    cfg.duration_s = nreq / sp.rate;
    cfg.service = JS_SERVICE_EXPONENTIAL;
    cfg.dispatch = JS_DISPATCH_SHARED;
    cfg.early_drop = false;
    js_sim *sim = NULL;
    js_sim_result r;
    int rc = js_arrivals_open(&sp, &arr[0], &d);
    double c0 = js_cpu_s();
    if (rc == 0)
        rc = js_sim_create(s, &p, &cfg, arr, &sim, &d);
    if (rc == 0)
        rc = js_sim_run(sim, &d);
    if (rc == 0)
        rc = js_sim_result_get(sim, &r);
    double cpu = js_cpu_s() - c0;
    if (rc == 0) {
        double chk = 0;
        uint64_t ops = r.heap_events > 20000000 ? r.heap_events : 20000000;
        double bare = bare_loop(6, ops, &chk);
        printf("mmc4: requests=%llu heap_events=%llu sim_cpu_s=%.3f heap_events_per_s=%.0f "
               "requests_per_s=%.0f bare_events_per_s=%.0f ratio=%.3f\n",
               (unsigned long long)r.total.requests, (unsigned long long)r.heap_events, cpu,
               (double)r.heap_events / cpu, (double)r.total.requests / cpu,
               (double)ops / bare, (double)r.heap_events / cpu / ((double)ops / bare));
        js_sim_result_free(&r);
    } else {
        js_diag_print(&d);
    }
    js_sim_destroy(sim);
    js_arrivals_close(arr[0]);
    free(app);
    free(s);
    return rc;
}

static int dispatch_from_name(const char *name, js_dispatch_policy *out)
{
    static const char *const names[] = {"jsed", "rr", "shared"};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (js_dispatch_policy)i;
            return 0;
        }
    return -1;
}

/* Open the arrival streams of the plan's applications at `target` of its busiest task. */
static int open_streams(const js_scenario *s, const js_plan *p, double target, double load,
                        uint64_t seed, js_arrivals **arr, double *total_rate, js_diag *d)
{
    *total_rate = 0;
    for (int a = 0; a < s->napps; a++) {
        double planned = 0;
        for (int i = 0; i < p->napps; i++)
            if (p->apps[i].app == a)
                planned = p->apps[i].rate;
        if (!(planned > 0))
            continue;
        js_arrival_spec sp;
        js_arrival_spec_init(&sp);
        sp.rate = planned * target / load;
        sp.seed = js_seed_derive(seed, "arrivals", (uint64_t)a);
        *total_rate += sp.rate;
        if (js_arrivals_open(&sp, &arr[a], d) != 0)
            return d->code;
    }
    return 0;
}

/* One run of the plan per dispatch policy, same arrivals and seed: events/s of each (CPU
 * time) and its ratio to round-robin's. */
static int bench_dispatch(const js_scenario *s, const js_plan *p, double target, double load,
                          double nreq, uint64_t seed)
{
    static const char *const names[] = {"jsed", "rr", "shared"};
    double rate[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        js_diag d;
        js_diag_init(&d);
        js_arrivals **arr = calloc((size_t)s->napps + 1, sizeof *arr);
        double total_rate = 0;
        js_sim_config cfg;
        js_sim_config_init(&cfg);
        cfg.seed = seed;
        cfg.dispatch = (js_dispatch_policy)k;
        js_sim *sim = NULL;
        js_sim_result r;
        int rc = arr == NULL ? 1 : open_streams(s, p, target, load, seed, arr, &total_rate, &d);
        cfg.duration_s = total_rate > 0 ? nreq / total_rate : 0;
        double c0 = js_cpu_s();
        if (rc == 0)
            rc = js_sim_create(s, p, &cfg, arr, &sim, &d);
        if (rc == 0)
            rc = js_sim_run(sim, &d);
        if (rc == 0)
            rc = js_sim_result_get(sim, &r);
        double cpu = js_cpu_s() - c0;
        if (rc == 0) {
            rate[k] = (double)r.events / cpu;
            printf("dispatch_%s: requests=%llu events=%llu sim_cpu_s=%.3f events_per_s=%.0f "
                   "violation_rate=%.5f\n",
                   names[k], (unsigned long long)r.total.requests,
                   (unsigned long long)r.events, cpu, rate[k], r.total.violation_rate);
            js_sim_result_free(&r);
        } else {
            js_diag_print(&d);
        }
        js_sim_destroy(sim);
        for (int a = 0; arr != NULL && a < s->napps; a++)
            js_arrivals_close(arr[a]);
        free(arr);
        if (rc != 0)
            return rc;
    }
    for (int k = 0; k < 3; k++)
        printf("dispatch_%s_ratio_to_rr=%.3f\n", names[k], rate[k] / rate[1]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: jigsaw-bench-sim SCENARIO PLAN.json [LOAD [REQUESTS [SEED "
                        "[DISPATCH]]]]\n");
        return 2;
    }
    double target = argc > 3 ? atof(argv[3]) : 0.8;
    double nreq = argc > 4 ? atof(argv[4]) : 2e6;
    uint64_t seed = argc > 5 ? (uint64_t)atoll(argv[5]) : 1;
    const char *dispatch = argc > 6 ? argv[6] : "jsed";
    js_dispatch_policy policy = JS_DISPATCH_JSED;
    bool all = strcmp(dispatch, "all") == 0;
    if (!all && dispatch_from_name(dispatch, &policy) != 0) {
        fprintf(stderr, "jigsaw-bench-sim: DISPATCH: expected jsed, rr, shared or all, got "
                        "'%s'\n", dispatch);
        return 2;
    }
    js_diag d;
    js_diag_init(&d);
    js_scenario s;
    js_plan p;
    js_plan_init(&p);
    if (js_scenario_load(argv[1], &s, &d) != 0 || js_plan_load(argv[2], &s, &p, &d) != 0) {
        js_diag_print(&d);
        return d.code;
    }
    int workers = 0;
    double load = plan_load(&p, &workers);
    if (!(load > 0)) {
        fprintf(stderr, "jigsaw-bench-sim: the plan has no demand\n");
        return 65;
    }
    if (all) {
        printf("scenario=%s\nplan=%s\nplanned_load=%.4f target_load=%.2f workers=%d\n",
               argv[1], argv[2], load, target, workers);
        int rc = bench_dispatch(&s, &p, target, load, nreq, seed);
        js_plan_free(&p);
        js_scenario_free(&s);
        return rc;
    }
    js_arrivals **arr = calloc((size_t)s.napps + 1, sizeof *arr);
    double total_rate = 0;
    if (arr == NULL || open_streams(&s, &p, target, load, seed, arr, &total_rate, &d) != 0) {
        js_diag_print(&d);
        return d.code ? d.code : 1;
    }
    js_sim_config cfg;
    js_sim_config_init(&cfg);
    cfg.seed = seed;
    cfg.dispatch = policy;
    cfg.duration_s = nreq / total_rate;
    js_sim *sim = NULL;
    js_sim_result r;
    double c0 = js_cpu_s();
    if (js_sim_create(&s, &p, &cfg, arr, &sim, &d) != 0 || js_sim_run(sim, &d) != 0 ||
        js_sim_result_get(sim, &r) != 0) {
        js_diag_print(&d);
        return d.code ? d.code : 1;
    }
    double sim_cpu = js_cpu_s() - c0;
    size_t heap = (size_t)workers + (size_t)s.napps + 1;
    double chk = 0;
    uint64_t ops = r.heap_events > 20000000 ? r.heap_events : 20000000;
    double bare_cpu = bare_loop(heap, ops, &chk);
    double ev_rate = (double)r.events / sim_cpu, heap_rate = (double)r.heap_events / sim_cpu;
    double bare_rate = (double)ops / bare_cpu;
    printf("scenario=%s\nplan=%s\n", argv[1], argv[2]);
    printf("planned_load=%.4f target_load=%.2f arrival_rate=%.2f workers=%d\n", load, target,
           total_rate, workers);
    printf("requests=%llu items=%llu events=%llu heap_events=%llu\n",
           (unsigned long long)r.total.requests, (unsigned long long)r.items,
           (unsigned long long)r.events, (unsigned long long)r.heap_events);
    printf("violation_rate=%.5f p99_ms=%.2f sim_time_s=%.1f\n", r.total.violation_rate,
           r.total.latency_ms.p99, r.sim_time_s);
    printf("sim_cpu_s=%.3f events_per_s=%.0f heap_events_per_s=%.0f requests_per_s=%.0f "
           "items_per_s=%.0f\n",
           sim_cpu, ev_rate, heap_rate, (double)r.total.requests / sim_cpu,
           (double)r.items / sim_cpu);
    printf("bare_heap_size=%zu bare_ops=%llu bare_cpu_s=%.3f bare_events_per_s=%.0f "
           "(checksum %.0f)\n",
           heap, (unsigned long long)ops, bare_cpu, bare_rate, chk);
    printf("ratio_events_to_bare=%.3f ratio_heap_events_to_bare=%.3f\n", ev_rate / bare_rate,
           heap_rate / bare_rate);
    js_sim_result_free(&r);
    js_sim_destroy(sim);
    int mrc = bench_mmc(nreq);
    for (int a = 0; a < s.napps; a++)
        js_arrivals_close(arr[a]);
    free(arr);
    js_plan_free(&p);
    js_scenario_free(&s);
    return mrc;
}
