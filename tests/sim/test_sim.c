/* Simulator against queueing theory, plus invariants on every run.
 *
 * Long fixed-seed runs. Tolerances are 2% and sit at >= 3 standard errors of the
 * estimator (asymptotic variance of the mean waiting time of M/M/1, Daley 1968:
 * rho (2 + 5 rho - 4 rho^2 + rho^3) / (mu^2 (1 - rho)^4); e.g. rho = 0.7 with 2e6
 * customers gives a standard error of 0.55% of Wq and 0.4% of the sojourn). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "jigsaw/sim.h"
#include "jigsaw/trace.h"
#include "jigsaw/util.h"
#include "fixtures.h"

/* Invariants checked on every run: conservation and Little's law. */
static void check_invariants(const js_sim_result *r)
{
    cr_assert_eq(r->total.requests, r->total.completed + r->total.dropped + r->total.in_flight,
                 "conservation: %llu != %llu + %llu + %llu",
                 (unsigned long long)r->total.requests, (unsigned long long)r->total.completed,
                 (unsigned long long)r->total.dropped, (unsigned long long)r->total.in_flight);
    uint64_t sum = 0;
    for (int a = 0; a < r->napps; a++) {
        const js_app_metrics *m = &r->apps[a];
        cr_assert_eq(m->requests, m->completed + m->dropped + m->in_flight);
        sum += m->requests;
    }
    cr_assert_eq(sum, r->total.requests);
    if (r->total.in_flight == 0 && r->total.requests > 0) {
        /* L = lambda W over a drained run (time average vs per-request average). */
        double lw = r->arrival_rate * r->mean_sojourn_s;
        cr_assert(fabs(r->mean_in_system - lw) <= 1e-9 * (1 + lw),
                  "Little: L = %.12g, lambda W = %.12g", r->mean_in_system, lw);
    }
}

typedef struct run_opts {
    double rate, duration;
    uint64_t seed;
    js_sim_config cfg;
} run_opts;

static void opts_init(run_opts *o, double rate, double duration)
{
    memset(o, 0, sizeof *o);
    o->rate = rate;
    o->duration = duration;
    o->seed = 42;
    js_sim_config_init(&o->cfg);
    o->cfg.early_drop = false;
    o->cfg.seed = 7;
}

static void run(const js_scenario *s, const js_plan *p, run_opts *o, js_sim_result *r)
{
    js_diag d;
    js_diag_init(&d);
    js_arrivals *arr[4] = {NULL, NULL, NULL, NULL};
    for (int a = 0; a < s->napps; a++) {
        js_arrival_spec sp;
        js_arrival_spec_init(&sp);
        sp.kind = JS_ARR_POISSON;
        sp.rate = o->rate;
        sp.seed = js_seed_derive(o->seed, "arrivals", (uint64_t)a);
        cr_assert_eq(js_arrivals_open(&sp, &arr[a], &d), 0, "%s", d.msg);
    }
    o->cfg.duration_s = o->duration;
    js_sim *sim = NULL;
    cr_assert_eq(js_sim_create(s, p, &o->cfg, arr, &sim, &d), 0, "%s", d.msg);
    cr_assert_eq(js_sim_run(sim, &d), 0, "%s", d.msg);
    cr_assert_eq(js_sim_result_get(sim, r), 0, "conservation check failed inside the sim");
    js_sim_destroy(sim);
    for (int a = 0; a < s->napps; a++)
        js_arrivals_close(arr[a]);
    check_invariants(r);
}

static void assert_rel(double got, double want, double tol, const char *what)
{
    cr_log_info("%s: got %.6g, theory %.6g (%+.3f%%)", what, got, want,
                100 * (got - want) / want);
    cr_assert(fabs(got - want) <= tol * want, "%s: got %.6g, theory %.6g (%.2f%% off, tol %.1f%%)",
              what, got, want, 100 * (got - want) / want, 100 * tol);
}

Test(queueing, mm1_mean_sojourn)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 1e9);
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 1, 1, 1, 1, 10.0, NAN); /* one server, mean 10 ms */
    run_opts o;
    opts_init(&o, 70.0, 2e6 / 70.0);            /* rho = 0.7, 2e6 requests */
    o.cfg.service = JS_SERVICE_EXPONENTIAL;
    js_sim_result r;
    run(s, &p, &o, &r);
    double mu = 100, lam = 70;
    assert_rel(r.total.latency_ms.mean, 1e3 / (mu - lam), 0.02, "M/M/1 mean sojourn (ms)");
    assert_rel(r.tasks[0].utilisation, lam / mu, 0.01, "M/M/1 utilisation");
    cr_assert_eq(r.total.dropped, 0);
    js_sim_result_free(&r);
    js_plan_free(&p);
    fx_scenario_free(s);
}

Test(queueing, md1_mean_wait_pollaczek_khinchine)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 1e9);
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 1, 1, 1, 1, 10.0, NAN);
    run_opts o;
    opts_init(&o, 70.0, 2e6 / 70.0);
    o.cfg.service = JS_SERVICE_DETERMINISTIC;
    js_sim_result r;
    run(s, &p, &o, &r);
    double rho = 0.7, D = 10.0;
    assert_rel(r.tasks[0].queue_ms_mean, rho * D / (2 * (1 - rho)), 0.02, "M/D/1 mean wait (ms)");
    assert_rel(r.total.latency_ms.mean, rho * D / (2 * (1 - rho)) + D, 0.02,
               "M/D/1 mean sojourn (ms)");
    /* deterministic service: the minimum latency is exactly D */
    cr_assert(fabs(r.total.latency_ms.p50 - 0) > 0);
    js_sim_result_free(&r);
    js_plan_free(&p);
    fx_scenario_free(s);
}

static double erlang_c(int c, double a)
{
    double term = 1, sum = 0;
    for (int k = 0; k < c; k++) {
        sum += term;
        term *= a / (k + 1);
    }
    double last = term * c / (c - a);
    return last / (sum + last);
}

Test(queueing, mmc_mean_wait_erlang_c)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 1e9);
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 2, 4, 1, 1, 10.0, NAN); /* one instance, 4 workers: 4 servers */
    run_opts o;
    double lam = 300, mu = 100;
    int c = 4;
    opts_init(&o, lam, 4e6 / lam);              /* rho = 0.75 per server, 4e6 requests */
    o.cfg.service = JS_SERVICE_EXPONENTIAL;
    o.cfg.dispatch = JS_DISPATCH_SHARED;
    js_sim_result r;
    run(s, &p, &o, &r);
    double wq = erlang_c(c, lam / mu) / (c * mu - lam) * 1e3;
    assert_rel(r.tasks[0].queue_ms_mean, wq, 0.02, "M/M/4 mean wait (ms)");
    assert_rel(r.total.latency_ms.mean, wq + 1e3 / mu, 0.02, "M/M/4 mean sojourn (ms)");
    js_sim_result_free(&r);
    js_plan_free(&p);
    fx_scenario_free(s);
}

Test(queueing, jsed_beats_round_robin_and_keeps_invariants)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 1e9);
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 1, 1, 1, 4, 10.0, NAN);
    run_opts o;
    opts_init(&o, 300, 2e5 / 300);
    o.cfg.service = JS_SERVICE_EXPONENTIAL;
    js_sim_result jsed, rr;
    run(s, &p, &o, &jsed);
    o.cfg.dispatch = JS_DISPATCH_RR;
    run(s, &p, &o, &rr);
    /* RR over 4 M/M/1 queues at rho 0.75 is worse than JSED; Erlang C is the floor. */
    double floor_ms = erlang_c(4, 3.0) / 100.0 * 1e3 + 10;
    cr_assert(jsed.total.latency_ms.mean < rr.total.latency_ms.mean);
    cr_assert(jsed.total.latency_ms.mean > 0.98 * floor_ms);
    js_sim_result_free(&jsed);
    js_sim_result_free(&rr);
    js_plan_free(&p);
    fx_scenario_free(s);
}

Test(fanout, poisson_means_reproduced_per_variant)
{
    double fo[2] = {2.5, 0.6};
    js_scenario *s = fx_scenario(3, 2, fo, 1e9);
    /* Variant 1 of task 0 finds more objects: 4.0 per item. */
    s->apps[0].edges[0].fanout_by_variant[1] = 4.0;
    for (int v = 0; v < 2; v++) {
        js_plan p;
        fx_plan(&p, s);
        fx_seg(&p, 0, 0, v, 7, 1, 1, 4, 1.0, 1.2);
        fx_seg(&p, 0, 1, 0, 7, 1, 4, 8, 1.0, 1.2);
        fx_seg(&p, 0, 2, 0, 7, 1, 4, 8, 1.0, 1.2);
        run_opts o;
        opts_init(&o, 200, 1000);
        js_sim_result r;
        run(s, &p, &o, &r);
        double n = (double)r.total.requests, f0 = v == 0 ? 2.5 : 4.0;
        cr_assert_eq(r.tasks[0].items, r.total.requests);
        assert_rel((double)r.tasks[1].items / n, f0, 0.01, "items per request at task 1");
        assert_rel((double)r.tasks[2].items / n, f0 * 0.6, 0.01, "items per request at task 2");
        assert_rel(r.total.accuracy, v == 0 ? 1.0 : 0.9, 1e-9, "served PAS");
        js_sim_result_free(&r);
        js_plan_free(&p);
    }
    fx_scenario_free(s);
}

Test(fanout, parallel_entry_tasks_each_get_one_item)
{
    js_scenario *s = fx_scenario(2, 1, NULL, 1e9);
    s->apps[0].nedges = 0; /* two independent branches fed by the same request */
    s->apps[0].nsources = 2;
    s->apps[0].sources[1] = 1;
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 1, 1, 1, 2, 5.0, 6.0);
    fx_seg(&p, 0, 1, 0, 1, 1, 1, 2, 5.0, 6.0);
    run_opts o;
    opts_init(&o, 100, 100);
    js_sim_result r;
    run(s, &p, &o, &r);
    cr_assert_eq(r.tasks[0].items, r.total.requests);
    cr_assert_eq(r.tasks[1].items, r.total.requests);
    js_sim_result_free(&r);
    js_plan_free(&p);
    fx_scenario_free(s);
}

/* A fixed fan-out of 1 on a three-task chain (the AR assistant's detect -> caption ->
 * speak): every request yields exactly one item at every task -- Poisson(1) leaves 37% of
 * them without a caption. The default configuration follows each edge's law. */
Test(fanout, fixed_chain_delivers_one_child_per_parent)
{
    js_scenario *s = fx_scenario(3, 1, NULL, 1e9);
    for (int e = 0; e < 2; e++)
        s->apps[0].edges[e].dist = JS_FANOUT_FIXED;
    js_plan p;
    fx_plan(&p, s);
    for (int t = 0; t < 3; t++)
        fx_seg(&p, 0, t, 0, 7, 1, 4, 2, 2.0, 3.0);
    run_opts o;
    opts_init(&o, 200, 100);
    js_sim_result r;
    run(s, &p, &o, &r);
    cr_assert_gt(r.total.requests, 10000);
    for (int t = 0; t < 3; t++)
        cr_assert_eq(r.tasks[t].items, r.total.requests, "task %d: %llu items, %llu requests",
                     t, (unsigned long long)r.tasks[t].items,
                     (unsigned long long)r.total.requests);
    js_sim_result_free(&r);
    /* The Poisson override on the same scenario loses that: items differ from requests. */
    o.cfg.fanout = JS_SIM_FANOUT_POISSON;
    run(s, &p, &o, &r);
    cr_assert_neq(r.tasks[1].items, r.total.requests);
    assert_rel((double)r.tasks[1].items / (double)r.total.requests, 1.0, 0.03,
               "Poisson(1) keeps the mean");
    js_sim_result_free(&r);
    js_plan_free(&p);
    fx_scenario_free(s);
}

/* An empirical histogram per parent variant is what the children follow: each request
 * sends one item to task 0, so the items at task 1 are the sum of one draw per request.
 * With a histogram on {0, 3} only, items = 3 x (draws of 3): a multiple of 3, and the
 * share of 3s within 4 standard errors of its probability 0.3; a second histogram for
 * the other variant is reproduced in its mean, within 4 standard errors. */
Test(fanout, empirical_histogram_reproduced_within_sampling_error)
{
    js_scenario *s = fx_scenario(2, 2, NULL, 1e9);
    js_edge *e = &s->apps[0].edges[0];
    static const double h0[4] = {0.7, 0.0, 0.0, 0.3};      /* variant 0: 0 or 3 children */
    static const double h1[6] = {0.1, 0.2, 0.3, 0.2, 0.1, 0.1}; /* variant 1: mean 2.3 */
    e->dist = JS_FANOUT_EMPIRICAL;
    e->hist[0] = h0;
    e->hist_len[0] = 4;
    e->hist[1] = h1;
    e->hist_len[1] = 6;
    e->fanout_by_variant[0] = 0.9;
    e->fanout_by_variant[1] = 2.3;
    e->fanout = 2.3;
    cr_assert_eq(js_edge_count_min(e, 0), 0);
    cr_assert_float_eq(js_edge_count_pgf(e, 1, 1.0), 1.0, 1e-12, "pgf(1) = total probability");
    cr_assert_float_eq(js_edge_count_ex2(e, 0), 0.3 * 9, 1e-12);
    for (int v = 0; v < 2; v++) {
        js_plan p;
        fx_plan(&p, s);
        fx_seg(&p, 0, 0, v, 7, 1, 4, 2, 1.0, 1.5);
        fx_seg(&p, 0, 1, 0, 7, 1, 8, 4, 1.0, 1.5);
        run_opts o;
        opts_init(&o, 400, 100);
        js_sim_result r;
        run(s, &p, &o, &r);
        double n = (double)r.total.requests, k = (double)r.tasks[1].items;
        cr_assert_gt(n, 30000);
        if (v == 0) {
            cr_assert_eq(r.tasks[1].items % 3, 0, "only 0 or 3 children per parent");
            double share = k / 3.0 / n, se = sqrt(0.3 * 0.7 / n);
            cr_assert(fabs(share - 0.3) < 4 * se, "P(3) %.5f vs 0.3 (se %.5f)", share, se);
        } else {
            /* Var N = E N^2 - 2.3^2 = 7.3 - 5.29 = 2.01. */
            double se = sqrt(2.01 / n);
            cr_assert(fabs(k / n - 2.3) < 4 * se, "mean %.5f vs 2.3 (se %.5f)", k / n, se);
        }
        js_sim_result_free(&r);
        js_plan_free(&p);
    }
    fx_scenario_free(s);
}

/* Path-aware early dropping, exactly, on a deterministic chain t0 -> t1 (fixed fan-out 1,
 * one worker per task, batch 1, 250 ms each, SLO 500 ms) with requests at 0, 0 and 10 s.
 * The first and the third finish at exactly their deadline (0.25 + 0.25 = 0.5): kept, not
 * late. The second waits 250 ms at t0: there the local rule keeps it (0.25 + 0.25 <= 0.5),
 * t0 serves it for nothing, and t1 drops it at 0.5; the path rule sees 0.25 + 0.5 > 0.5
 * and drops it before t0 serves it. A request that could still make its deadline is
 * never dropped. */
static void drop_run(const js_scenario *s, const js_plan *p, js_drop_rule rule,
                     js_sim_result *r)
{
    char path[] = "/tmp/jigsaw-drop-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fputs("timestamp_s\n0\n0\n10\n", f);
    fclose(f);
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp;
    js_arrival_spec_init(&sp);
    sp.kind = JS_ARR_TRACE;
    snprintf(sp.path, sizeof sp.path, "%s", path);
    js_arrivals *arr[1] = {NULL};
    cr_assert_eq(js_arrivals_open(&sp, &arr[0], &d), 0, "%s", d.msg);
    js_sim_config cfg;
    js_sim_config_init(&cfg);
    cfg.service = JS_SERVICE_DETERMINISTIC;
    cfg.drop_rule = rule;
    js_sim *sim = NULL;
    cr_assert_eq(js_sim_create(s, p, &cfg, arr, &sim, &d), 0, "%s", d.msg);
    cr_assert_eq(js_sim_run(sim, &d), 0, "%s", d.msg);
    cr_assert_eq(js_sim_result_get(sim, r), 0);
    js_sim_destroy(sim);
    js_arrivals_close(arr[0]);
    remove(path);
    check_invariants(r);
}

Test(dropping, path_rule_drops_only_requests_that_cannot_meet_their_deadline)
{
    js_scenario *s = fx_scenario(2, 1, NULL, 500);
    s->apps[0].edges[0].dist = JS_FANOUT_FIXED;
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 7, 1, 1, 1, 250.0, 250.0);
    fx_seg(&p, 0, 1, 0, 7, 1, 1, 1, 250.0, 250.0);
    js_sim_result r;
    drop_run(s, &p, JS_DROP_PATH, &r);
    cr_assert_eq(r.total.requests, 3);
    cr_assert_eq(r.total.dropped, 1, "the second request cannot make it: dropped");
    cr_assert_eq(r.total.completed, 2);
    cr_assert_eq(r.total.late, 0, "finishing exactly at the deadline is on time");
    cr_assert_eq(r.total.latency_ms.max, 500.0);
    cr_assert_eq(r.tasks[0].items, 2, "dropped before t0 served it");
    cr_assert_eq(r.tasks[1].items, 2);
    js_sim_result_free(&r);
    drop_run(s, &p, JS_DROP_LOCAL, &r);
    cr_assert_eq(r.total.dropped, 1);
    cr_assert_eq(r.total.completed, 2);
    cr_assert_eq(r.total.late, 0);
    cr_assert_eq(r.tasks[0].items, 3, "the local rule lets t0 serve the doomed request");
    cr_assert_eq(r.tasks[1].items, 2);
    js_sim_result_free(&r);
    /* A Poisson edge may spawn no child: the rest of the path is then not sure to run, so
     * the path rule is the local one. */
    s->apps[0].edges[0].dist = JS_FANOUT_POISSON;
    drop_run(s, &p, JS_DROP_PATH, &r);
    cr_assert_eq(r.tasks[0].items, 3);
    js_sim_result_free(&r);
    js_plan_free(&p);
    fx_scenario_free(s);
}

static char *result_json(const js_scenario *s, const js_plan *p, run_opts *o)
{
    js_sim_result r;
    run(s, p, o, &r);
    cJSON *j = js_sim_result_to_json(&r, s);
    cr_assert_not_null(j);
    char *txt = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    js_sim_result_free(&r);
    return txt;
}

Test(determinism, same_seed_same_bytes_other_seed_differs)
{
    double fo[1] = {3.0};
    js_scenario *s = fx_scenario(2, 1, fo, 80);
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 2, 2, 4, 2, 8.0, 12.0);
    fx_seg(&p, 0, 1, 0, 1, 2, 8, 4, 6.0, 9.0);
    run_opts o;
    opts_init(&o, 150, 200);
    o.cfg.early_drop = true;
    char *a = result_json(s, &p, &o);
    char *b = result_json(s, &p, &o);
    cr_assert_str_eq(a, b);
    o.cfg.seed = 8;
    char *c = result_json(s, &p, &o);
    cr_assert_str_neq(a, c);
    cJSON_free(a);
    cJSON_free(b);
    cJSON_free(c);
    js_plan_free(&p);
    fx_scenario_free(s);
}

Test(dropping, overload_drops_and_violations_counted)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 50);
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 1, 1, 1, 1, 10.0, 12.0);
    run_opts o;
    opts_init(&o, 150, 200); /* rho = 1.5 */
    o.cfg.early_drop = true;
    js_sim_result r;
    run(s, &p, &o, &r);
    cr_assert_gt(r.total.dropped, 0);
    /* The server is saturated: it completes about 100/s, the rest is dropped. */
    assert_rel((double)r.total.completed / 200.0, 100.0, 0.03, "completions per second");
    double vr = (double)(r.total.late + r.total.dropped) /
                (double)(r.total.completed + r.total.dropped);
    assert_rel(r.total.violation_rate, vr, 1e-12, "violation rate");
    cr_assert(r.total.latency_ms.max < 50 + 5 * 12, "dropping keeps latency bounded");
    js_sim_result_free(&r);
    /* Without dropping nothing is dropped and the backlog grows. */
    o.cfg.early_drop = false;
    run(s, &p, &o, &r);
    cr_assert_eq(r.total.dropped, 0);
    cr_assert_gt(r.total.late, r.total.completed / 2);
    js_sim_result_free(&r);
    js_plan_free(&p);
    fx_scenario_free(s);
}

Test(batching, dynamic_batches_and_timeout)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 1e9);
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 1, 1, 8, 1, 20.0, 25.0); /* batch 8 in 20 ms: 400 items/s */
    run_opts o;
    opts_init(&o, 380, 200);
    o.cfg.service = JS_SERVICE_DETERMINISTIC;
    js_sim_result r;
    run(s, &p, &o, &r);
    cr_assert(r.tasks[0].batch_mean > 6.0, "heavy load forms large batches (%g)",
              r.tasks[0].batch_mean);
    cr_assert(r.tasks[0].batch_mean <= 8.0);
    js_sim_result_free(&r);
    /* Light load: without a timeout, batches of ~1; with 30 ms, several items wait. */
    opts_init(&o, 50, 200);
    o.cfg.service = JS_SERVICE_DETERMINISTIC;
    run(s, &p, &o, &r);
    double b0 = r.tasks[0].batch_mean;
    js_sim_result_free(&r);
    o.cfg.batch_timeout_ms = 30;
    run(s, &p, &o, &r);
    cr_assert(r.tasks[0].batch_mean > b0 + 0.5, "timeout batches more (%g vs %g)",
              r.tasks[0].batch_mean, b0);
    cr_assert(r.tasks[0].queue_ms_mean > 5.0);
    js_sim_result_free(&r);
    js_plan_free(&p);
    fx_scenario_free(s);
}

/* A GPU-placed plan: gpu g gets instances of (profile index, start, workers). */
static void gpu_plan(js_plan *p, const js_scenario *s, int ngpus)
{
    fx_plan(p, s);
    p->ngpus = ngpus;
    p->gpus = calloc((size_t)ngpus, sizeof *p->gpus);
}

static void gpu_inst(js_plan *p, int g, int prof, int start, int workers)
{
    js_instance *in = &p->gpus[g].inst[p->gpus[g].ninstances++];
    in->profile = prof;
    in->start = start;
    in->app = 0;
    in->task = 0;
    in->variant = 0;
    in->batch = 1;
    in->workers = workers;
}

/* Plan swaps that take a task across the size at which the simulator switches from
 * scanning its workers to its O(log n) index (SCAN_MAX_WORKERS): 28 workers (seven 1g on
 * each of 4 GPUs), then 7 while GPUs 1-3 are re-laid out as one 7g each, then 10. Builds
 * with assertions check after every swap and run that the index holds exactly the workers
 * a scan would see; every request completes under both indexed policies. */
Test(plan_swap, index_follows_the_worker_count_across_swaps)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 1e9);
    js_plan p1, p2;
    gpu_plan(&p1, s, 4);
    for (int g = 0; g < 4; g++)
        for (int k = 0; k < 7; k++)
            gpu_inst(&p1, g, 0, k, 1);
    fx_seg(&p1, 0, 0, 0, 1, 1, 1, 28, 10.0, 12.0);
    gpu_plan(&p2, s, 4);
    for (int k = 0; k < 7; k++)
        gpu_inst(&p2, 0, 0, k, 1);
    for (int g = 1; g < 4; g++)
        gpu_inst(&p2, g, 4, 0, 1);
    fx_seg(&p2, 0, 0, 0, 1, 1, 1, 7, 10.0, 12.0);
    fx_seg(&p2, 0, 0, 0, 7, 1, 1, 3, 2.0, 3.0);
    static const js_dispatch_policy pol[2] = {JS_DISPATCH_JSED, JS_DISPATCH_SHARED};
    for (int i = 0; i < 2; i++) {
        js_diag d;
        js_diag_init(&d);
        js_arrival_spec sp;
        js_arrival_spec_init(&sp);
        sp.rate = 1500;
        sp.seed = 5;
        js_arrivals *arr[1];
        cr_assert_eq(js_arrivals_open(&sp, &arr[0], &d), 0);
        js_sim_config cfg;
        js_sim_config_init(&cfg);
        cfg.early_drop = false;
        cfg.duration_s = 60;
        cfg.dispatch = pol[i];
        js_sim *sim;
        cr_assert_eq(js_sim_create(s, &p1, &cfg, arr, &sim, &d), 0, "%s", d.msg);
        cr_assert_eq(js_sim_run_until(sim, 20, &d), 0, "%s", d.msg);
        cr_assert_eq(js_sim_apply_plan(sim, &p2, 5.0, &d), 0, "%s", d.msg);
        cr_assert_eq(js_sim_run_until(sim, 22, &d), 0, "%s", d.msg);
        js_sim_result down;
        cr_assert_eq(js_sim_result_get(sim, &down), 0);
        cr_assert_eq(down.tasks[0].workers, 7);
        cr_assert_eq(js_sim_run_until(sim, 40, &d), 0, "%s", d.msg);
        cr_assert_eq(js_sim_apply_plan(sim, &p1, 0.0, &d), 0, "%s", d.msg);
        cr_assert_eq(js_sim_run(sim, &d), 0, "%s", d.msg);
        js_sim_result r;
        cr_assert_eq(js_sim_result_get(sim, &r), 0);
        check_invariants(&r);
        cr_assert_eq(r.tasks[0].workers, 28);
        cr_assert_eq(r.total.completed, r.total.requests);
        cr_assert_gt(r.total.requests, 80000);
        js_sim_result_free(&down);
        js_sim_result_free(&r);
        js_sim_destroy(sim);
        js_arrivals_close(arr[0]);
    }
    js_plan_free(&p1);
    js_plan_free(&p2);
    fx_scenario_free(s);
}

Test(plan_swap, unchanged_gpus_keep_running_changed_ones_go_down)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 1e9);
    js_plan p1, p2;
    gpu_plan(&p1, s, 2);
    gpu_inst(&p1, 0, 4, 0, 1); /* 7g */
    gpu_inst(&p1, 1, 4, 0, 1); /* 7g */
    fx_seg(&p1, 0, 0, 0, 7, 1, 1, 2, 10.0, 12.0);
    gpu_plan(&p2, s, 2);
    gpu_inst(&p2, 0, 4, 0, 1);               /* unchanged */
    gpu_inst(&p2, 1, 2, 0, 1);               /* 3g + 3g: layout changed */
    gpu_inst(&p2, 1, 2, 4, 1);
    fx_seg(&p2, 0, 0, 0, 7, 1, 1, 1, 10.0, 12.0);
    fx_seg(&p2, 0, 0, 0, 3, 1, 1, 2, 10.0, 12.0);

    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp;
    js_arrival_spec_init(&sp);
    sp.rate = 120;
    sp.seed = 3;
    js_arrivals *arr[1];
    cr_assert_eq(js_arrivals_open(&sp, &arr[0], &d), 0);
    js_sim_config cfg;
    js_sim_config_init(&cfg);
    cfg.early_drop = false;
    cfg.duration_s = 300;
    cfg.service = JS_SERVICE_DETERMINISTIC;
    js_sim *sim;
    cr_assert_eq(js_sim_create(s, &p1, &cfg, arr, &sim, &d), 0, "%s", d.msg);
    cr_assert_eq(js_sim_run_until(sim, 100, &d), 0, "%s", d.msg);
    js_sim_result mid;
    cr_assert_eq(js_sim_result_get(sim, &mid), 0);
    check_invariants(&mid);
    cr_assert_eq(mid.tasks[0].workers, 2);
    cr_assert_eq(js_sim_apply_plan(sim, &p2, 20.0, &d), 0, "%s", d.msg);
    cr_assert_eq(js_sim_run_until(sim, 110, &d), 0, "%s", d.msg);
    js_sim_result down;
    cr_assert_eq(js_sim_result_get(sim, &down), 0);
    cr_assert_eq(down.tasks[0].workers, 1, "GPU 1 is down, GPU 0 kept running");
    cr_assert_eq(js_sim_run_until(sim, 130, &d), 0, "%s", d.msg);
    js_sim_result up;
    cr_assert_eq(js_sim_result_get(sim, &up), 0);
    cr_assert_eq(up.tasks[0].workers, 3, "GPU 1 back with two 3g instances");
    cr_assert_eq(js_sim_run(sim, &d), 0, "%s", d.msg);
    js_sim_result r;
    cr_assert_eq(js_sim_result_get(sim, &r), 0);
    check_invariants(&r);
    cr_assert_eq(r.total.in_flight, 0, "every request completes (items were re-dispatched)");
    cr_assert_eq(r.total.completed, r.total.requests);
    /* slices: 14 for 100 s, then 13 (7 + 3 + 3) */
    cr_assert(r.slices_avg < 14 && r.slices_avg > 13, "slices_avg %g", r.slices_avg);
    js_sim_result_free(&mid);
    js_sim_result_free(&down);
    js_sim_result_free(&up);
    js_sim_result_free(&r);
    js_sim_destroy(sim);
    js_arrivals_close(arr[0]);
    js_plan_free(&p1);
    js_plan_free(&p2);
    fx_scenario_free(s);
}

Test(timeline, rows_per_interval_sum_to_totals)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 30);
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 1, 1, 1, 1, 10.0, 15.0);
    char path[] = "/tmp/js_sim_tl_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    run_opts o;
    opts_init(&o, 60, 600);
    o.cfg.early_drop = true;
    o.cfg.timeline_interval_s = 60;
    o.cfg.timeline_path = path;
    js_sim_result r;
    run(s, &p, &o, &r);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[512];
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert(strncmp(line, "t_start_s,t_end_s,app,arrivals,completed", 40) == 0, "%s", line);
    unsigned long long arr_sum = 0, comp_sum = 0;
    int rows = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char name[64];
        double t0, t1;
        unsigned long long ar, co;
        cr_assert_eq(sscanf(line, "%lf,%lf,%63[^,],%llu,%llu", &t0, &t1, name, &ar, &co), 5);
        if (strcmp(name, "all") == 0) {
            arr_sum += ar;
            comp_sum += co;
            rows++;
        }
    }
    fclose(f);
    unlink(path);
    cr_assert(rows >= 10 && rows <= 11, "rows %d", rows);
    cr_assert_eq(arr_sum, r.total.requests);
    cr_assert_eq(comp_sum, r.total.completed);
    js_sim_result_free(&r);
    js_plan_free(&p);
    fx_scenario_free(s);
}

Test(service, lognormal_fit_reproduces_mean_and_p95)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 1e9);
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 1, 1, 1, 1000, 10.0, 15.0); /* many servers: no queueing */
    run_opts o;
    opts_init(&o, 1000, 500);
    o.cfg.dispatch = JS_DISPATCH_SHARED;
    js_sim_result r;
    run(s, &p, &o, &r);
    assert_rel(r.total.latency_ms.mean, 10.0, 0.01, "lognormal mean (ms)");
    assert_rel(r.total.latency_ms.p95, 15.0, 0.01, "lognormal p95 (ms)");
    cr_assert(r.tasks[0].queue_ms_mean < 1e-9);
    js_sim_result_free(&r);
    js_plan_free(&p);
    fx_scenario_free(s);
}

Test(service, latency_of_the_batch_actually_formed)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 1e9);
    /* Profile: batch 1 takes 4 ms, batch 2 is absent (the nearest larger, 4, is used),
     * batch 4 takes 10 ms; the plan's segment runs batch 4. */
    js_profile prof;
    memset(&prof, 0, sizeof prof);
    js_profile_entry e[2];
    memset(e, 0, sizeof e);
    e[0] = (js_profile_entry){.mig = 1, .batch = 1, .workers = 1, .available = true,
                              .throughput = 250, .lat_mean_ms = 4, .lat_p50_ms = NAN,
                              .lat_p95_ms = NAN};
    e[1] = (js_profile_entry){.mig = 1, .batch = 4, .workers = 1, .available = true,
                              .throughput = 400, .lat_mean_ms = 10, .lat_p50_ms = NAN,
                              .lat_p95_ms = NAN};
    prof.nentries = 2;
    prof.entries = e;
    s->apps[0].tasks[0].variants[0].profile = &prof;
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 1, 1, 4, 1, 10.0, NAN);
    run_opts o;
    opts_init(&o, 5, 2000); /* light load: almost every batch holds one item */
    o.cfg.service = JS_SERVICE_DETERMINISTIC;
    js_sim_result r;
    run(s, &p, &o, &r);
    cr_assert(r.tasks[0].batch_mean < 1.05);
    cr_assert(fabs(r.total.latency_ms.p50 - 4.0) < 4.0 * 0.004, "p50 %g", r.total.latency_ms.p50);
    js_sim_result_free(&r);
    /* Saturated: full batches of 4 take 10 ms; batches of 2 or 3 also take 10 ms. */
    opts_init(&o, 390, 200);
    o.cfg.service = JS_SERVICE_DETERMINISTIC;
    run(s, &p, &o, &r);
    cr_assert(r.tasks[0].batch_mean > 3.5, "batch %g", r.tasks[0].batch_mean);
    js_sim_result_free(&r);
    js_plan_free(&p);
    fx_scenario_free(s);
}

Test(apps, side_by_side_on_their_own_segments)
{
    js_scenario *s = fx_scenario(1, 1, NULL, 100);
    js_app *two = calloc(2, sizeof *two);
    two[0] = s->apps[0];
    two[1] = s->apps[0];
    snprintf(two[1].name, sizeof two[1].name, "second");
    two[1].latency_slo_ms = 40;
    free(s->apps);
    s->apps = two;
    s->napps = 2;
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 1, 1, 1, 1, 10.0, NAN); /* app 0: rho 0.5 */
    fx_seg(&p, 1, 0, 0, 1, 1, 1, 1, 10.0, NAN); /* app 1: rho 1.5, drops */
    p.apps[0].rate = 50;
    p.apps[1].rate = 150;
    js_diag d;
    js_diag_init(&d);
    js_arrivals *arr[2];
    for (int a = 0; a < 2; a++) {
        js_arrival_spec sp;
        js_arrival_spec_init(&sp);
        sp.rate = a == 0 ? 50 : 150;
        sp.seed = 11 + (uint64_t)a;
        cr_assert_eq(js_arrivals_open(&sp, &arr[a], &d), 0);
    }
    js_sim_config cfg;
    js_sim_config_init(&cfg);
    cfg.duration_s = 2000;
    cfg.service = JS_SERVICE_EXPONENTIAL;
    js_sim *sim;
    cr_assert_eq(js_sim_create(s, &p, &cfg, arr, &sim, &d), 0, "%s", d.msg);
    cr_assert_eq(js_sim_run(sim, &d), 0, "%s", d.msg);
    js_sim_result r;
    cr_assert_eq(js_sim_result_get(sim, &r), 0);
    check_invariants(&r);
    cr_assert_eq(r.napps, 2);
    cr_assert_eq(r.total.requests, r.apps[0].requests + r.apps[1].requests);
    /* app 0 is an M/M/1 at rho 0.5 (sojourn 20 ms), untouched by app 1's overload;
     * its only violations are the exponential tail beyond 100 ms: exp(-100/20) = 0.67%
     * (dropping that tail early pulls the mean of the completed ones down ~2%). */
    assert_rel(r.apps[0].latency_ms.mean, 20.0, 0.05, "app 0 mean sojourn (ms)");
    cr_assert(r.apps[0].violation_rate < 0.012, "app 0 violations %g", r.apps[0].violation_rate);
    cr_assert_gt(r.apps[1].dropped, r.apps[1].requests / 4);
    js_sim_result_free(&r);
    js_sim_destroy(sim);
    js_arrivals_close(arr[0]);
    js_arrivals_close(arr[1]);
    js_plan_free(&p);
    fx_scenario_free(s);
}
