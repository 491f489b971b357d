/* Planning application by application (src/planner/by_app.c) against the joint MILP on
 * random scenarios of two or three applications, all eight systems: the same optimum
 * (slices and PAS), valid plans, and maximum-demand bounds the joint MILP confirms. */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "jigsaw/planner.h"

#define NAPPS_MAX 5

/* A scenario of napps random applications (fx_random each) on one cluster. The fixtures
 * own the profiles; the scenario borrows them. */
typedef struct fleet_fx {
    fx_scenario *part[NAPPS_MAX];
    js_app apps[NAPPS_MAX];
    js_scenario s;
} fleet_fx;

static void fleet_random(fleet_fx *fl, gsl_rng *rng, int napps, int gpus)
{
    for (int i = 0; i < napps; i++) {
        fx_random(fl->part[i], rng);
        fl->apps[i] = fl->part[i]->app;
        snprintf(fl->apps[i].name, sizeof fl->apps[i].name, "app%d", i);
    }
    fl->s = fl->part[0]->s;
    fl->s.napps = napps;
    fl->s.apps = fl->apps;
    fl->s.cluster.gpus = gpus;
}

static fleet_fx *fleet_new(void)
{
    fleet_fx *fl = calloc(1, sizeof *fl);
    cr_assert_not_null(fl);
    for (int i = 0; i < NAPPS_MAX; i++) {
        fl->part[i] = malloc(sizeof *fl->part[i]);
        cr_assert_not_null(fl->part[i]);
    }
    return fl;
}

static void fleet_free(fleet_fx *fl)
{
    for (int i = 0; i < NAPPS_MAX; i++)
        free(fl->part[i]);
    free(fl);
}

static double log_pas(const js_plan *p)
{
    double s = 0.0;
    for (int i = 0; i < p->napps; i++)
        s += log(p->apps[i].pas);
    return s;
}

static void assert_valid(const js_scenario *s, const js_plan_request *r, const js_plan *p,
                         int k, unsigned feat)
{
    js_diag dv;
    js_diag_init(&dv);
    cr_assert_eq(js_plan_verify(s, r, p, &dv), 0, "fleet %d system %s: %s", k,
                 js_system_name(feat), dv.msg);
    cr_assert_leq(p->gpus_used, s->cluster.gpus);
}

#define NFLEETS 40

Test(by_app, min_slices_matches_the_joint_milp, .timeout = 280)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20261203);
    fleet_fx *fl = fleet_new();
    int feasible = 0, infeasible = 0;
    for (int k = 0; k < NFLEETS; k++) {
        int napps = 2 + (int)gsl_rng_uniform_int(rng, 2);
        fleet_random(fl, rng, napps, 2 + (int)gsl_rng_uniform_int(rng, 6));
        for (int si = 0; si < JS_NSYSTEMS; si++) {
            js_plan_request r, rj;
            js_plan_request_init(&r);
            r.features = js_systems[si];
            r.rule = JS_RULE_PAPER;
            rj = r;
            rj.joint = true;
            js_plan p, pj;
            js_diag d, dj;
            js_diag_init(&d);
            js_diag_init(&dj);
            int rc = js_plan_min_slices(&fl->s, &r, &p, &d);
            int rcj = js_plan_min_slices(&fl->s, &rj, &pj, &dj);
            cr_assert_eq(rc, rcj, "fleet %d system %s: by application rc %d (%s), joint %d (%s)",
                         k, js_system_name(r.features), rc, d.msg, rcj, dj.msg);
            if (rc == 0) {
                cr_assert_str_eq(p.status, "optimal");
                cr_assert_str_eq(pj.status, "optimal");
                cr_assert_eq(p.slices_used, pj.slices_used, "fleet %d system %s: %d vs joint %d",
                             k, js_system_name(r.features), p.slices_used, pj.slices_used);
                cr_assert_float_eq(log_pas(&p), log_pas(&pj), 1e-7, "fleet %d system %s: PAS",
                                   k, js_system_name(r.features));
                cr_assert_eq(p.napps, napps);
                for (int i = 0; i < napps; i++)
                    cr_assert_eq(p.apps[i].app, i);
                assert_valid(&fl->s, &r, &p, k, r.features);
                feasible++;
            } else {
                cr_assert_eq(rc, JS_EXIT_INFEASIBLE, "fleet %d: rc %d: %s", k, rc, d.msg);
                infeasible++;
            }
            if (rc == 0)
                js_plan_free(&p);
            if (rcj == 0)
                js_plan_free(&pj);
        }
    }
    cr_log_info("by application: %d feasible, %d infeasible system runs", feasible, infeasible);
    cr_assert(feasible > 80 && infeasible > 10, "feasible %d infeasible %d", feasible,
              infeasible);
    fleet_free(fl);
    gsl_rng_free(rng);
}

/* The joint MILP at application `app`'s rate times f: 0 plan, else its exit code. */
static int joint_at(const js_scenario *s, const js_plan_request *r, int app, double rate)
{
    js_plan_request rj = *r;
    rj.joint = true;
    rj.scale_app = -1;
    rj.rate_app = app;
    rj.rate_override = rate;
    js_plan p;
    js_diag d;
    js_diag_init(&d);
    int rc = js_plan_min_slices(s, &rj, &p, &d);
    if (rc == 0)
        js_plan_free(&p);
    return rc;
}

/* One application's maximum demand, the others at their rates: the plan is valid and
 * holds the others' rates, and the joint MILP confirms the bound (no plan just above it). */
Test(by_app, one_applications_max_demand_has_a_valid_bound, .timeout = 280)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    fleet_fx *fl = fleet_new();
    int checked = 0, proven = 0;
    for (int k = 0; k < 30; k++) {
        fleet_random(fl, rng, 2, 3 + (int)gsl_rng_uniform_int(rng, 4));
        js_plan_request r;
        js_plan_request_init(&r);
        r.features = js_systems[(int)gsl_rng_uniform_int(rng, JS_NSYSTEMS)];
        r.rule = JS_RULE_PAPER;
        r.scale_app = 1;
        js_plan p;
        js_diag d;
        js_diag_init(&d);
        int rc = js_plan_max_demand(&fl->s, &r, &p, &d);
        if (rc != 0) {
            cr_assert(rc == JS_EXIT_INFEASIBLE, "fleet %d: rc %d: %s", k, rc, d.msg);
            continue;
        }
        cr_assert_eq(p.scaled_app, 1);
        cr_assert_float_eq(p.apps[0].rate, fl->apps[0].rate, 1e-9 * fl->apps[0].rate);
        cr_assert_float_eq(p.apps[1].rate, fl->apps[1].rate * p.demand_scale,
                           1e-6 * p.apps[1].rate);
        assert_valid(&fl->s, &r, &p, k, r.features);
        cr_assert_geq(p.demand_scale_bound, p.demand_scale);
        double above = fl->apps[1].rate * p.demand_scale_bound * 1.001;
        if (isfinite(p.demand_scale_bound)) {
            cr_assert_eq(joint_at(&fl->s, &r, 1, above), JS_EXIT_INFEASIBLE,
                         "fleet %d system %s: the joint MILP plans %g req/s above the bound "
                         "%g (scale %g)", k, js_system_name(r.features), above,
                         p.demand_scale_bound, p.demand_scale);
            proven += strcmp(p.status, "optimal") == 0;
        }
        checked++;
        js_plan_free(&p);
    }
    cr_log_info("one application's maximum demand: %d checked, %d within the gap", checked,
                proven);
    cr_assert(checked >= 10, "only %d feasible fleets", checked);
    cr_assert(proven >= checked / 2, "only %d of %d within the gap", proven, checked);
    fleet_free(fl);
    gsl_rng_free(rng);
}

Test(by_app, max_demand_of_an_unknown_application_is_a_usage_error)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    fleet_fx *fl = fleet_new();
    fleet_random(fl, rng, 2, 4);
    js_plan_request r;
    js_plan_request_init(&r);
    r.scale_app = 2;
    js_plan p;
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_plan_max_demand(&fl->s, &r, &p, &d), JS_EXIT_USAGE);
    cr_assert(strstr(d.msg, "application") != NULL, "%s", d.msg);
    fleet_free(fl);
    gsl_rng_free(rng);
}

static double combinations(const js_scenario *s)
{
    double n = 1.0;
    for (int i = 0; i < s->napps; i++)
        for (int t = 0; t < s->apps[i].ntasks; t++)
            n *= s->apps[i].tasks[t].nvariants;
    return n;
}

/* Every application's demand scaled together, on fleets past the joint search's
 * enumeration (so searched by application): valid plans, and no joint plan just above
 * the bound claimed. */
Test(by_app, common_max_demand_past_the_enumeration_has_a_valid_bound, .timeout = 280)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    fleet_fx *fl = fleet_new();
    int checked = 0;
    for (int k = 0; k < 200 && checked < 6; k++) {
        fleet_random(fl, rng, 5, 4 + (int)gsl_rng_uniform_int(rng, 6));
        if (combinations(&fl->s) <= 4096)
            continue;
        js_plan_request r;
        js_plan_request_init(&r);
        r.features = JS_FEAT_A | JS_FEAT_S | JS_FEAT_T;
        r.rule = JS_RULE_PAPER;
        js_plan p;
        js_diag d;
        js_diag_init(&d);
        int rc = js_plan_max_demand(&fl->s, &r, &p, &d);
        if (rc != 0) {
            cr_assert(rc == JS_EXIT_INFEASIBLE, "fleet %d: rc %d: %s", k, rc, d.msg);
            continue;
        }
        cr_assert_eq(p.scaled_app, -1);
        assert_valid(&fl->s, &r, &p, k, r.features);
        cr_assert_geq(p.demand_scale_bound, p.demand_scale);
        cr_assert(isfinite(p.demand_scale_bound), "fleet %d: no bound", k);
        js_plan_request rj = r;
        rj.joint = true;
        rj.demand_scale = p.demand_scale_bound * 1.001;
        js_plan pj;
        js_diag dj;
        js_diag_init(&dj);
        int rcj = js_plan_min_slices(&fl->s, &rj, &pj, &dj);
        cr_assert_eq(rcj, JS_EXIT_INFEASIBLE, "fleet %d: the joint MILP plans scale %g above the "
                     "bound %g (found %g): rc %d", k, rj.demand_scale, p.demand_scale_bound,
                     p.demand_scale, rcj);
        checked++;
        js_plan_free(&p);
    }
    cr_assert(checked >= 3, "only %d fleets past the enumeration checked", checked);
    fleet_free(fl);
    gsl_rng_free(rng);
}
