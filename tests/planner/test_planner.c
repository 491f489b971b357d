/* Planner tests: system names, exactness against exhaustive enumeration, the independent
 * checker, infeasibility reasons, maximum demand and the plan's JSON round trip. */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>

#include "brute.h"
#include "fixtures.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/plan.h"
#include "jigsaw/planner.h"

Test(systems, parse_and_name)
{
    static const char *const names[8] = {"unopt", "A", "S", "T", "A+T", "S+T", "A+S", "A+S+T"};
    for (int i = 0; i < JS_NSYSTEMS; i++) {
        unsigned f = 99;
        cr_assert_eq(js_system_parse(names[i], &f), 0, "%s", names[i]);
        cr_assert_eq(f, js_systems[i], "%s", names[i]);
        cr_assert_str_eq(js_system_name(js_systems[i]), names[i]);
    }
    unsigned f;
    cr_assert_eq(js_system_parse("t+s+a", &f), 0);
    cr_assert_eq(f, JS_FEAT_A | JS_FEAT_S | JS_FEAT_T);
    cr_assert_eq(js_system_parse("jigsaw", &f), 0);
    cr_assert_eq(f, JS_FEAT_A | JS_FEAT_S | JS_FEAT_T);
    cr_assert_eq(js_system_parse("Loki", &f), 0);
    cr_assert_eq(f, JS_FEAT_A | JS_FEAT_T);
    cr_assert_eq(js_system_parse("UNOPT", &f), 0);
    cr_assert_eq(f, 0u);
    cr_assert_eq(js_system_parse("A+A", &f), -1);
    cr_assert_eq(js_system_parse("A+", &f), -1);
    cr_assert_eq(js_system_parse("", &f), -1);
    cr_assert_eq(js_system_parse("X", &f), -1);
    cr_assert_eq(js_system_parse("AS", &f), -1);
}

#define NRANDOM 210

Test(exact, matches_exhaustive_enumeration, .timeout = 240)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20260601);
    fx_scenario *f = malloc(sizeof *f);
    cr_assert_not_null(f);
    int feasible = 0, infeasible = 0, mixed = 0;
    for (int k = 0; k < NRANDOM; k++) {
        fx_random(f, rng);
        int nfeasible = 0;
        for (int si = 0; si < JS_NSYSTEMS; si++) {
            js_plan_request r;
            js_plan_request_init(&r);
            r.features = js_systems[si];
            brute_result br;
            cr_assert_eq(brute_plan(&f->s, &r, &br), 0);
            js_plan p;
            js_diag d;
            js_diag_init(&d);
            int rc = js_plan_min_slices(&f->s, &r, &p, &d);
            if (!br.feasible) {
                cr_assert_eq(rc, JS_EXIT_INFEASIBLE,
                             "scenario %d system %s: brute force finds no plan, planner rc %d "
                             "(%d slices)", k, js_system_name(r.features), rc, p.slices_used);
                cr_assert(strlen(d.msg) > 10, "scenario %d: empty reason", k);
                infeasible++;
            } else {
                cr_assert_eq(rc, 0, "scenario %d system %s: brute force %d slices, planner: %s",
                             k, js_system_name(r.features), br.slices, d.msg);
                cr_assert_str_eq(p.status, "optimal");
                cr_assert_eq(p.slices_used, br.slices, "scenario %d system %s: %d vs brute %d",
                             k, js_system_name(r.features), p.slices_used, br.slices);
                cr_assert_float_eq(p.apps[0].pas, br.pas, 1e-9, "scenario %d system %s: PAS",
                                   k, js_system_name(r.features));
                cr_assert_eq(p.gpus_used, br.gpus, "scenario %d system %s: GPUs %d vs %d", k,
                             js_system_name(r.features), p.gpus_used, br.gpus);
                js_diag dv;
                js_diag_init(&dv);
                cr_assert_eq(js_plan_verify(&f->s, &r, &p, &dv), 0, "scenario %d system %s: %s",
                             k, js_system_name(r.features), dv.msg);
                feasible++;
                nfeasible++;
            }
            js_plan_free(&p);
        }
        mixed += nfeasible > 0 && nfeasible < JS_NSYSTEMS;
    }
    cr_log_info("exhaustive: %d feasible, %d infeasible system runs; %d scenarios separate "
                "the systems", feasible, infeasible, mixed);
    /* The generator must exercise both outcomes, and systems that differ. */
    cr_assert(feasible > 400 && infeasible > 100, "feasible %d infeasible %d", feasible,
              infeasible);
    cr_assert(mixed > 20, "only %d scenarios separate the systems", mixed);
    free(f);
    gsl_rng_free(rng);
}

/* ---- infeasibility reasons ---- */

static int plan_rc(fx_scenario *f, unsigned feat, js_diag *d, js_plan *p)
{
    js_plan_request r;
    js_plan_request_init(&r);
    r.features = feat;
    js_diag_init(d);
    return js_plan_min_slices(&f->s, &r, p, d);
}

/* Two-task chain: det (p95 40 ms at b1 on 7g, 20 ms on variant 1 "small") -> cls. */
static void chain(fx_scenario *f, double lat_slo, double acc_slo, double rate)
{
    fx_init(f, 4, 2);
    double acc_det[2] = {90.0, 80.0}, acc_cls[1] = {70.0};
    fx_task(f, "det", 2, acc_det);
    fx_task(f, "cls", 1, acc_cls);
    fx_edge(f, 0, 1, 1.0);
    fx_entry(f, 0, 0, 7, 1, 1, 100.0, 30.0, 40.0);
    fx_entry(f, 0, 1, 7, 1, 1, 200.0, 15.0, 20.0);
    fx_entry(f, 1, 0, 7, 1, 1, 400.0, 8.0, 10.0);
    fx_entry(f, 1, 0, 3, 1, 1, 150.0, 9.0, 12.0);
    fx_done(f, lat_slo, acc_slo, rate);
}

Test(infeasible, latency_path_needs_more_than_slo)
{
    fx_scenario *f = malloc(sizeof *f);
    js_plan p;
    js_diag d;
    /* PAS >= 0.95 forces the 40 ms detector: 2 x (40 + 10) = 100 ms > 80 ms. */
    chain(f, 80.0, 0.95, 50.0);
    cr_assert_eq(plan_rc(f, JS_FEAT_A | JS_FEAT_S | JS_FEAT_T, &d, &p), JS_EXIT_INFEASIBLE);
    cr_assert(strstr(d.msg, "App: fastest path meeting PAS >= 0.950 needs 100.0 ms of the 80 ms "
                            "latency SLO") != NULL, "%s", d.msg);
    cr_assert(strstr(d.msg, "det -> cls") != NULL, "%s", d.msg);
    js_plan_free(&p);
    /* With a looser accuracy SLO the small detector fits: 2 x (20 + 10) = 60 ms. */
    chain(f, 80.0, 0.85, 50.0);
    cr_assert_eq(plan_rc(f, JS_FEAT_A | JS_FEAT_S | JS_FEAT_T, &d, &p), 0, "%s", d.msg);
    cr_assert_eq(p.apps[0].tasks[0].variant, 1);
    js_plan_free(&p);
    /* ... but not without accuracy scaling. */
    cr_assert_eq(plan_rc(f, JS_FEAT_S | JS_FEAT_T, &d, &p), JS_EXIT_INFEASIBLE);
    cr_assert(strstr(d.msg, "needs 100.0 ms of the 80 ms") != NULL, "%s", d.msg);
    js_plan_free(&p);
    free(f);
}

/* One task, one variant, one configuration (a whole GPU: 100 items/s, p95 40 ms) on 2 GPUs,
 * SLOs 200 ms and 0.9, at `rate`. */
static void single_task(fx_scenario *f, double rate)
{
    double acc[1] = {50.0};
    fx_init(f, 2, 1);
    fx_task(f, "only", 1, acc);
    fx_entry(f, 0, 0, 7, 1, 1, 100.0, 30.0, 40.0);
    fx_done(f, 200.0, 0.9, rate);
}

Test(infeasible, accuracy_and_local_budgets)
{
    fx_scenario *f = malloc(sizeof *f);
    js_plan p;
    js_diag d;
    single_task(f, 10.0);
    f->app.tasks[0].variants[0].accuracy_norm = 0.8; /* a task whose best is below the SLO */
    cr_assert_eq(plan_rc(f, JS_FEAT_A | JS_FEAT_T, &d, &p), JS_EXIT_INFEASIBLE);
    cr_assert(strstr(d.msg, "App: the best reachable PAS is 0.8000, below the accuracy SLO 0.9000"),
              "%s", d.msg);
    js_plan_free(&p);
    /* T off: the cls task's local budget is 0.5 x 60 / 2 = 15 ms; fastest det is 20 ms. */
    chain(f, 60.0, 0.5, 50.0);
    cr_assert_eq(plan_rc(f, JS_FEAT_A | JS_FEAT_S, &d, &p), JS_EXIT_INFEASIBLE);
    cr_assert(strstr(d.msg, "App: task det: its fastest allowed configuration needs 20.0 ms") &&
              strstr(d.msg, "local latency budget is 0.50 x 60 ms / 2 tasks on its longest path "
                            "= 15.0 ms"), "%s", d.msg);
    js_plan_free(&p);
    /* The same SLO is feasible with graph-aware budgets: 2 x (20 + 10) = 60. */
    cr_assert_eq(plan_rc(f, JS_FEAT_A | JS_FEAT_S | JS_FEAT_T, &d, &p), 0, "%s", d.msg);
    js_plan_free(&p);
    free(f);
}

Test(infeasible, capacity)
{
    fx_scenario *f = malloc(sizeof *f);
    js_plan p;
    js_diag d;
    /* 350 req/s on 100 req/s whole GPUs: at least 4 GPUs, from the slice bound. */
    single_task(f, 350.0);
    cr_assert_eq(plan_rc(f, JS_FEAT_S, &d, &p), JS_EXIT_INFEASIBLE);
    cr_assert(strstr(d.msg, "demand needs at least 4 GPUs") && strstr(d.msg, "cluster has 2"),
              "%s", d.msg);
    js_plan_free(&p);
    /* Only 4g instances (one per GPU): 3 of them need 3 GPUs though 12 slices fit in 2. */
    double acc[1] = {50.0};
    fx_init(f, 2, 1);
    fx_task(f, "only", 1, acc);
    fx_entry(f, 0, 0, 4, 1, 1, 100.0, 30.0, 40.0);
    fx_done(f, 200.0, 0.9, 250.0);
    cr_assert_eq(plan_rc(f, JS_FEAT_S, &d, &p), JS_EXIT_INFEASIBLE);
    cr_assert_str_eq(d.msg, "demand needs 3 GPUs, cluster has 2");
    js_plan_free(&p);
    free(f);
}

/* ---- maximum demand ---- */

Test(max_demand, within_half_percent, .timeout = 120)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    fx_scenario *f = malloc(sizeof *f);
    int checked = 0;
    for (int k = 0; k < 40; k++) {
        fx_random(f, rng);
        unsigned feats[2] = {JS_FEAT_S, JS_FEAT_A | JS_FEAT_S | JS_FEAT_T};
        for (int i = 0; i < 2; i++) {
            js_plan_request r;
            js_plan_request_init(&r);
            r.features = feats[i];
            r.verbose = getenv("JS_TEST_VERBOSE") != NULL;
            js_plan p;
            js_diag d;
            js_diag_init(&d);
            int rc = js_plan_max_demand(&f->s, &r, &p, &d);
            cr_log_info("max-demand %d %s: rc %d scale %g nodes %ld solves %d %.3f s", k,
                        js_system_name(r.features), rc, p.demand_scale, p.stats.nodes,
                        p.stats.solves, p.stats.seconds);
            if (rc != 0) {
                cr_assert_eq(rc, JS_EXIT_INFEASIBLE, "%s", d.msg);
                js_plan_free(&p);
                continue;
            }
            double lam = p.demand_scale;
            cr_assert(lam > 0.0);
            cr_assert(p.gap <= 0.005 + 1e-12, "gap %g", p.gap);
            js_plan_request rv = r;
            rv.demand_scale = lam;
            js_diag dv;
            js_diag_init(&dv);
            cr_assert_eq(js_plan_verify(&f->s, &rv, &p, &dv), 0, "%s", dv.msg);
            /* The scale reported is the one the plan serves: its busiest task is at its
             * capacity, unless the scale reached the proven bound. */
            double room = js_plan_capacity_factor(&p, r.max_utilisation);
            cr_assert(room <= 1.0 + 1e-6 || lam >= p.demand_scale_bound * (1.0 - 1e-9),
                      "scenario %d %s: the plan serves %g x its scale %g (bound %g)", k,
                      js_system_name(r.features), room, lam, p.demand_scale_bound);
            cr_assert(lam <= p.demand_scale_bound * (1.0 + 1e-12));
            /* 0.5 % more demand does not fit (the min-slices planner, itself checked
             * against exhaustive enumeration above, proves it). */
            js_plan q;
            rv.demand_scale = lam * 1.005;
            js_diag_init(&dv);
            int rq = js_plan_min_slices(&f->s, &rv, &q, &dv);
            cr_assert_eq(rq, JS_EXIT_INFEASIBLE, "scenario %d %s: scale %g is not within 0.5%% "
                         "of the optimum (rc %d)", k, js_system_name(r.features), lam, rq);
            js_plan_free(&q);
            checked++;
            js_plan_free(&p);
        }
    }
    cr_assert(checked >= 40, "only %d max-demand runs", checked);
    free(f);
    gsl_rng_free(rng);
}

/* ---- the utilisation cap (a tail-safe planning option) ---- */

/* Items per request task t receives (sum over its parents; fan-outs of the chosen
 * variants), computed independently of the planner's own demand code. */
static double items_per_request(const js_app *a, const js_app_plan *ap, int t)
{
    for (int k = 0; k < a->nsources; k++)
        if (a->sources[k] == t)
            return 1.0;
    double items = 0.0;
    for (int e = 0; e < a->nedges; e++)
        if (a->edges[e].to == t)
            items += items_per_request(a, ap, a->edges[e].from) *
                     js_edge_fanout(&a->edges[e], ap->tasks[a->edges[e].from].variant);
    return items;
}

static double task_need(const js_scenario *s, const js_plan *p, int t)
{
    return p->apps[0].rate * items_per_request(&s->apps[0], &p->apps[0], t);
}

Test(max_utilisation, is_planning_for_rate_over_u, .timeout = 120)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    fx_scenario *f = malloc(sizeof *f);
    cr_assert_not_null(f);
    int compared = 0, rejected = 0;
    for (int k = 0; k < 60; k++) {
        fx_random(f, rng);
        const double u = k % 2 ? 0.5 : 0.8;
        js_plan_request ru, r1;
        js_plan_request_init(&ru);
        ru.max_utilisation = u;
        r1 = ru;
        r1.max_utilisation = 1.0;
        r1.demand_scale = 1.0 / u;
        js_plan pu, p1;
        js_diag d;
        js_diag_init(&d);
        int rcu = js_plan_min_slices(&f->s, &ru, &pu, &d);
        js_diag_init(&d);
        int rc1 = js_plan_min_slices(&f->s, &r1, &p1, &d);
        /* Capping utilisation at U is planning for rate / U: same feasibility, slices,
         * PAS; the plan keeps the profiled throughputs and verifies with the cap. */
        cr_assert_eq(rcu, rc1, "scenario %d: U %g rc %d, rate / U rc %d", k, u, rcu, rc1);
        if (rcu == 0) {
            cr_assert_eq(pu.slices_used, p1.slices_used, "scenario %d", k);
            cr_assert_float_eq(pu.apps[0].pas, p1.apps[0].pas, 1e-9);
            cr_assert_float_eq(pu.demand_scale, 1.0, 1e-12);
            js_diag_init(&d);
            cr_assert_eq(js_plan_verify(&f->s, &ru, &pu, &d), 0, "%s", d.msg);
            /* Without the cap's spare capacity the checker must object exactly when some
             * task's throughput x U falls short of its demand. */
            js_plan_request rstrict = ru;
            rstrict.max_utilisation = u * 0.5;
            bool short_somewhere = false;
            for (int t = 0; t < f->s.apps[0].ntasks; t++) {
                double have = 0.0;
                const js_task_plan *tp = &pu.apps[0].tasks[t];
                for (int g = 0; g < tp->nsegments; g++)
                    have += tp->segments[g].count * tp->segments[g].throughput;
                short_somewhere |= have * u * 0.5 < task_need(&f->s, &pu, t) * (1 - 1e-6);
            }
            js_diag_init(&d);
            int rv = js_plan_verify(&f->s, &rstrict, &pu, &d);
            cr_assert_eq(rv != 0, short_somewhere, "scenario %d: verify %d (%s)", k, rv, d.msg);
            rejected += rv != 0;
            compared++;
        }
        if (rcu == 0)
            js_plan_free(&pu);
        if (rc1 == 0)
            js_plan_free(&p1);
    }
    cr_assert(compared >= 20 && rejected >= 10, "compared %d rejected %d", compared, rejected);

    /* The maximum demand shrinks by U (both within 0.5% of their optimum). */
    int checked = 0;
    for (int k = 0; k < 30 && checked < 10; k++) {
        fx_random(f, rng);
        js_plan_request r;
        js_plan_request_init(&r);
        js_plan p;
        js_diag d;
        js_diag_init(&d);
        if (js_plan_max_demand(&f->s, &r, &p, &d) != 0)
            continue;
        double full = p.demand_scale;
        js_plan_free(&p);
        r.max_utilisation = 0.75;
        js_diag_init(&d);
        cr_assert_eq(js_plan_max_demand(&f->s, &r, &p, &d), 0, "%s", d.msg);
        double ratio = p.demand_scale / full;
        cr_assert(ratio > 0.75 / 1.0051 && ratio < 0.75 * 1.0051, "scenario %d: ratio %g", k,
                  ratio);
        js_plan_free(&p);
        checked++;
    }
    cr_assert(checked >= 5, "only %d max-demand comparisons", checked);

    js_plan_request bad;
    js_plan_request_init(&bad);
    bad.max_utilisation = 1.5;
    js_plan p;
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_plan_min_slices(&f->s, &bad, &p, &d), JS_EXIT_USAGE);
    cr_assert_not_null(strstr(d.msg, "max utilisation"), "%s", d.msg);
    free(f);
    gsl_rng_free(rng);
}

/* ---- the batch cap ---- */

Test(max_batch, caps_every_segment_and_never_saves_slices, .timeout = 120)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 23);
    fx_scenario *f = malloc(sizeof *f);
    cr_assert_not_null(f);
    int compared = 0, rejected = 0;
    for (int k = 0; k < 80; k++) {
        fx_random(f, rng);
        js_plan_request r, rc1;
        js_plan_request_init(&r);
        rc1 = r;
        rc1.max_batch = 1;
        js_plan p, q;
        js_diag d;
        js_diag_init(&d);
        int rfree = js_plan_min_slices(&f->s, &r, &p, &d);
        js_diag_init(&d);
        int rcap = js_plan_min_slices(&f->s, &rc1, &q, &d);
        /* A cap only removes options. */
        if (rfree != 0)
            cr_assert_neq(rcap, 0, "scenario %d: capped plan without an uncapped one", k);
        if (rcap == 0) {
            cr_assert_eq(rfree, 0);
            cr_assert_geq(q.slices_used, p.slices_used, "scenario %d", k);
            bool big = false;
            for (int t = 0; t < q.apps[0].ntasks; t++)
                for (int g = 0; g < q.apps[0].tasks[t].nsegments; g++)
                    cr_assert_eq(q.apps[0].tasks[t].segments[g].batch, 1);
            js_diag_init(&d);
            cr_assert_eq(js_plan_verify(&f->s, &rc1, &q, &d), 0, "%s", d.msg);
            for (int t = 0; t < p.apps[0].ntasks; t++)
                for (int g = 0; g < p.apps[0].tasks[t].nsegments; g++)
                    big |= p.apps[0].tasks[t].segments[g].batch > 1;
            /* The checker holds the uncapped plan to the cap. */
            js_diag_init(&d);
            int rv = js_plan_verify(&f->s, &rc1, &p, &d);
            cr_assert_eq(rv != 0, big, "scenario %d: %s", k, d.msg);
            rejected += rv != 0;
            compared++;
            js_plan_free(&q);
        }
        if (rfree == 0)
            js_plan_free(&p);
    }
    cr_assert(compared >= 10 && rejected >= 3, "compared %d rejected %d", compared, rejected);
    js_plan_request bad;
    js_plan_request_init(&bad);
    bad.max_batch = -1;
    js_plan p;
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_plan_min_slices(&f->s, &bad, &p, &d), JS_EXIT_USAGE);
    free(f);
    gsl_rng_free(rng);
}

/* ---- the plan's JSON round trip ---- */

/* What a plan costs, by hand: 3 GPUs at $4 an hour serving 100 requests/s. */
Test(plan_cost, figures)
{
    fx_scenario *f = calloc(1, sizeof *f);
    fx_init(f, 4, 1);
    js_plan p;
    js_plan_init(&p);
    p.feasible = true;
    p.gpus_used = 3;
    p.napps = 2;
    p.apps = calloc(2, sizeof *p.apps);
    p.apps[0].rate = 60.0;
    p.apps[1].rate = 40.0;
    /* A cluster built in memory has no price. */
    cr_assert(isnan(js_plan_cost_per_hour(&p, &f->s)));
    cr_assert(isnan(js_plan_cost_per_million(&p, &f->s)));
    f->s.cluster.price_per_gpu_hour = 4.0;
    cr_assert_float_eq(js_plan_cost_per_hour(&p, &f->s), 12.0, 1e-12);
    /* $12 an hour over 100 x 3600 requests an hour, per million. */
    cr_assert_float_eq(js_plan_cost_per_million(&p, &f->s), 12.0 / 360000.0 * 1e6, 1e-9);
    cr_assert_float_eq(js_plan_cost_per_million(&p, &f->s), 33.3333333, 1e-6);
    p.apps[0].rate = p.apps[1].rate = 0.0;
    cr_assert_float_eq(js_plan_cost_per_hour(&p, &f->s), 12.0, 1e-12);
    cr_assert(isnan(js_plan_cost_per_million(&p, &f->s)), "no requests, no cost per request");
    p.apps[0].rate = 100.0;
    p.feasible = false;
    cr_assert(isnan(js_plan_cost_per_hour(&p, &f->s)));
    cr_assert(isnan(js_plan_cost_per_million(&p, &f->s)));
    f->s.cluster.price_per_gpu_hour = NAN;
    p.feasible = true;
    cr_assert(isnan(js_plan_cost_per_hour(&p, &f->s)));
    js_plan_free(&p);
    free(f);
}

/* The costs in a plan's JSON: gpus_used x $4 (the fixture's price) over the scenario's
 * demand; derived, so a reader takes plans with other figures or none, but not a string. */
static void check_cost_keys(cJSON *j, const fx_scenario *f, const js_plan *p)
{
    double rate = f->app.rate * p->demand_scale;
    double hour = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "cost_per_hour_usd"));
    double million = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "cost_per_million_requests_usd"));
    cr_assert_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "price_per_gpu_hour_usd")),
                       4.0, 0);
    cr_assert_float_eq(hour, 4.0 * p->gpus_used, 1e-12);
    if (rate > 0)
        cr_assert_float_eq(million, 4.0 * p->gpus_used / (rate * 3600.0) * 1e6, 1e-9 * million);
    else
        cr_assert_null(cJSON_GetObjectItem(j, "cost_per_million_requests_usd"));
    js_plan q;
    js_diag d;
    js_jctx c;
    cJSON *k = cJSON_Duplicate(j, 1);
    cJSON_ReplaceItemInObject(k, "cost_per_hour_usd", cJSON_CreateNumber(1e9));
    js_diag_init(&d);
    js_jctx_init(&c, "plan.json", &d);
    cr_assert_eq(js_plan_from_json(&c, k, &f->s, &q), 0, "%s", d.msg);
    cr_assert_float_eq(js_plan_cost_per_hour(&q, &f->s), 4.0 * p->gpus_used, 1e-12,
                       "the file's figure is not trusted");
    js_plan_free(&q);
    cJSON_ReplaceItemInObject(k, "cost_per_hour_usd", cJSON_CreateString("cheap"));
    js_diag_init(&d);
    js_jctx_init(&c, "plan.json", &d);
    cr_assert_eq(js_plan_from_json(&c, k, &f->s, &q), JS_EXIT_DATAERR);
    cr_assert_not_null(strstr(d.msg, "$.cost_per_hour_usd"), "%s", d.msg);
    static const char *const keys[] = {"price_per_gpu_hour_usd", "cost_per_hour_usd",
                                       "cost_per_million_requests_usd"};
    for (size_t i = 0; i < 3; i++)
        cJSON_DeleteItemFromObject(k, keys[i]);
    js_diag_init(&d);
    js_jctx_init(&c, "plan.json", &d);
    cr_assert_eq(js_plan_from_json(&c, k, &f->s, &q), 0, "without costs: %s", d.msg);
    js_plan_free(&q);
    cJSON_Delete(k);
}

Test(plan_json, round_trip_verifies)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    fx_scenario *f = malloc(sizeof *f);
    int done = 0;
    for (int k = 0; k < 40 && done < 10; k++) {
        fx_random(f, rng);
        f->s.cluster.price_per_gpu_hour = 4.0; /* USD per GPU-hour */
        js_plan_request r;
        js_plan_request_init(&r);
        js_plan p, q;
        js_diag d;
        js_diag_init(&d);
        if (js_plan_min_slices(&f->s, &r, &p, &d) != 0) {
            js_plan_free(&p);
            continue;
        }
        cJSON *j = js_plan_to_json(&p, &f->s);
        cr_assert_not_null(j);
        for (const char *const *key = (const char *const[]){"system", "feasible", "status", "gap",
                                                             "demand_scale", "slices_used",
                                                             "gpus_used", "apps", "gpus", NULL};
             *key; key++)
            cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(j, *key), "%s", *key);
        js_jctx c;
        js_jctx_init(&c, "plan.json", &d);
        cr_assert_eq(js_plan_from_json(&c, j, &f->s, &q), 0, "%s", d.msg);
        cr_assert_eq(q.slices_used, p.slices_used);
        cr_assert_eq(q.gpus_used, p.gpus_used);
        cr_assert_str_eq(q.system, p.system);
        js_diag_init(&d);
        cr_assert_eq(js_plan_verify(&f->s, &r, &q, &d), 0, "%s", d.msg);
        check_cost_keys(j, f, &p);
        /* A corrupted layout is rejected with its JSON path. */
        cJSON *g0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "gpus"), 0);
        cJSON *i0 = cJSON_GetArrayItem(cJSON_GetObjectItem(g0, "instances"), 0);
        cJSON_ReplaceItemInObject(i0, "start", cJSON_CreateNumber(5));
        js_plan bad;
        js_diag_init(&d);
        js_jctx_init(&c, "plan.json", &d);
        int rc = js_plan_from_json(&c, j, &f->s, &bad);
        const char *prof = cJSON_GetStringValue(cJSON_GetObjectItem(i0, "profile"));
        if (strcmp(prof, "1g.10gb") != 0) {
            cr_assert_eq(rc, JS_EXIT_DATAERR, "start 5 accepted for %s", prof);
            cr_assert(strstr(d.msg, "$.gpus[0]") != NULL, "%s", d.msg);
        }
        js_plan_free(&bad);
        cJSON_Delete(j);
        js_plan_free(&p);
        js_plan_free(&q);
        done++;
    }
    cr_assert_eq(done, 10);
    free(f);
    gsl_rng_free(rng);
}

/* ---- shipped scenarios ---- */

static int load(const char *name, js_scenario *s)
{
    char path[1024];
    js_diag d;
    js_diag_init(&d);
    snprintf(path, sizeof path, "%s/scenarios/%s.json", JS_SOURCE_ROOT, name);
    int rc = js_scenario_load(path, s, &d);
    cr_assert_eq(rc, 0, "%s: %s", path, d.msg);
    return rc;
}

/* ParvaGPU's own scheduler on its six scenarios (data README): GPUs and compute slices. */
static const int parva_gpus[6] = {2, 3, 5, 7, 13, 17};
static const int parva_slices[6] = {10, 20, 33, 48, 89, 114};

Test(parvagpu, system_s_never_worse_than_parvagpu, .timeout = 120)
{
    for (int i = 0; i < 6; i++) {
        char name[32];
        snprintf(name, sizeof name, "parvagpu-slo%d", i + 1);
        js_scenario s;
        load(name, &s);
        js_plan_request r;
        js_plan_request_init(&r);
        cr_assert_eq(js_system_parse("S", &r.features), 0);
        js_plan p;
        js_diag d;
        js_diag_init(&d);
        cr_assert_eq(js_plan_min_slices(&s, &r, &p, &d), 0, "%s: %s", name, d.msg);
        cr_assert_str_eq(p.status, "optimal");
        cr_assert_leq(p.gpus_used, parva_gpus[i], "%s: %d GPUs", name, p.gpus_used);
        cr_assert_leq(p.slices_used, parva_slices[i], "%s: %d slices", name, p.slices_used);
        js_diag_init(&d);
        cr_assert_eq(js_plan_verify(&s, &r, &p, &d), 0, "%s: %s", name, d.msg);
        cr_log_info("%s: S plans %d slices on %d GPUs; ParvaGPU %d slices on %d GPUs", name,
                    p.slices_used, p.gpus_used, parva_slices[i], parva_gpus[i]);
        js_plan_free(&p);
        js_scenario_free(&s);
    }
}

/* Every feasible plan of every system verifies. The loop must not pass by finding nothing
 * feasible: A+S+T may choose whatever any other system chooses, so it is feasible wherever
 * one is, and 15 of the 24 runs are feasible today (ar-assistant: T, A+T, S+T, A+S+T;
 * traffic-analysis: A, A+T, A+S, A+S+T; social-media: all eight). */
Test(paper_apps, every_system_verifies, .timeout = 240)
{
    static const char *const names[] = {"ar-assistant-a100-4", "traffic-analysis-a100-4",
                                        "social-media-a100-4"};
    int feasible = 0;
    for (int k = 0; k < 3; k++) {
        js_scenario s;
        load(names[k], &s);
        int app_feasible = 0;
        bool full_feasible = false;
        for (int i = 0; i < JS_NSYSTEMS; i++) {
            js_plan_request r;
            js_plan_request_init(&r);
            r.features = js_systems[i];
            r.time_limit_s = 10; /* a wall-clock limit: loaded CI machines stay bounded */
            js_plan p;
            js_diag d;
            js_diag_init(&d);
            int rc = js_plan_min_slices(&s, &r, &p, &d);
            /* 75: the limit ran out on a loaded machine before any plan (nothing proven). */
            cr_assert(rc == 0 || rc == JS_EXIT_INFEASIBLE || rc == JS_EXIT_TIMELIMIT,
                      "%s %s: %s", names[k], js_system_name(r.features), d.msg);
            if (rc == 0) {
                js_diag_init(&d);
                cr_assert_eq(js_plan_verify(&s, &r, &p, &d), 0, "%s %s: %s", names[k],
                             js_system_name(r.features), d.msg);
                app_feasible++;
                full_feasible |= r.features == (JS_FEAT_A | JS_FEAT_S | JS_FEAT_T);
            } else {
                cr_assert(strlen(d.msg) > 20);
            }
            cr_log_info("%s %s: rc %d, %s, %d slices, %d GPUs, %.3f s", names[k],
                        js_system_name(r.features), rc, p.status, p.slices_used, p.gpus_used,
                        p.stats.seconds);
            js_plan_free(&p);
        }
        cr_assert(app_feasible == 0 || full_feasible, "%s: A+S+T infeasible where %d systems "
                  "are feasible", names[k], app_feasible);
        feasible += app_feasible;
        js_scenario_free(&s);
    }
    cr_assert_geq(feasible, 15, "only %d of 24 runs feasible", feasible);
}

/* ---- the command line ---- */

static int run_cli(const char *args, char *out, size_t outsz)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s plan %s 2>&1", JS_JIGSAW_EXE, args);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    size_t n = fread(out, 1, outsz - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The JSON document of a plan run whose stderr (warnings) came first. */
static const char *json_of(const char *out)
{
    const char *j = strstr(out, "\n{");
    return j ? j + 1 : out;
}

Test(cli, formats_and_exit_codes, .timeout = 120)
{
    static char out[1 << 16];
    char args[1024];
    snprintf(args, sizeof args, "%s/scenarios/parvagpu-slo1.json --system S --format csv",
             JS_SOURCE_ROOT);
    cr_assert_eq(run_cli(args, out, sizeof out), 0, "%s", out);
    cr_assert(strncmp(out, "node,gpu,task,variant,mig_start,mig_size,batch,mps_workers,app\n",
                      60) == 0, "%s", out);
    snprintf(args, sizeof args, "%s/scenarios/parvagpu-slo1.json -s S --format mig-parted",
             JS_SOURCE_ROOT);
    cr_assert_eq(run_cli(args, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "version: v1") && strstr(out, "mig-configs:") &&
              strstr(out, "jigsaw-node-0:") && strstr(out, "mig-enabled: true"), "%s", out);
    snprintf(args, sizeof args, "%s/scenarios/parvagpu-slo1.json -s S --json", JS_SOURCE_ROOT);
    cr_assert_eq(run_cli(args, out, sizeof out), 0, "%s", out);
    cJSON *j = cJSON_Parse(json_of(out));
    cr_assert_not_null(j, "%s", out);
    cr_assert_eq(cJSON_GetObjectItem(j, "slices_used")->valueint, 10);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "optimal");
    cJSON_Delete(j);
    snprintf(args, sizeof args, "%s/scenarios/parvagpu-slo1.json -s S --gpus 1", JS_SOURCE_ROOT);
    cr_assert_eq(run_cli(args, out, sizeof out), JS_EXIT_INFEASIBLE, "%s", out);
    cr_assert(strstr(out, "cluster has 1") != NULL, "%s", out);
    snprintf(args, sizeof args, "%s/scenarios/parvagpu-slo1.json -s Q", JS_SOURCE_ROOT);
    cr_assert_eq(run_cli(args, out, sizeof out), JS_EXIT_USAGE, "%s", out);
    /* The utilisation cap under the paper's rule: half of every segment's throughput takes
     * the slices of twice the demand, and out-of-range caps are usage errors. */
    int slices[2];
    const char *how[2] = {"--max-utilisation 0.5", "--scale 2"};
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "%s/scenarios/parvagpu-slo1.json -s S --rule paper %s --json",
                 JS_SOURCE_ROOT, how[k]);
        cr_assert_eq(run_cli(args, out, sizeof out), 0, "%s", out);
        j = cJSON_Parse(json_of(out));
        cr_assert_not_null(j, "%s", out);
        slices[k] = cJSON_GetObjectItem(j, "slices_used")->valueint;
        cJSON_Delete(j);
    }
    cr_assert_eq(slices[0], slices[1]);
    cr_assert_gt(slices[0], 10);
    const char *bad_caps[] = {"0", "1.01", "-0.5", "nan", "x"};
    for (size_t k = 0; k < sizeof bad_caps / sizeof bad_caps[0]; k++) {
        snprintf(args, sizeof args, "%s/scenarios/parvagpu-slo1.json --max-utilisation %s",
                 JS_SOURCE_ROOT, bad_caps[k]);
        cr_assert_eq(run_cli(args, out, sizeof out), JS_EXIT_USAGE, "%s: %s", bad_caps[k], out);
        cr_assert_not_null(strstr(out, "--max-utilisation"), "%s", out);
    }
    cr_assert_eq(run_cli("--help", out, sizeof out), 0);
    cr_assert(strstr(out, "--max-demand") != NULL);
    cr_assert_eq(run_cli("/nonexistent/x.json", out, sizeof out), JS_EXIT_NOINPUT, "%s", out);
}
