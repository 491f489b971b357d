/* Planner tests: system names, exactness against exhaustive enumeration, the independent
 * checker, infeasibility reasons, maximum demand and the plan's JSON round trip. */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "brute.h"
#include "fixtures.h"
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
