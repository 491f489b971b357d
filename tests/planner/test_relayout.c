/* Re-layout-aware re-planning (js_plan_request.layout_in_force): the stage never leaves
 * its slice tolerance or the minimum plan's variants, costs nothing when the layout in
 * force is already a minimum plan, and re-lays out fewer GPUs than a plain minimum-slices
 * re-plan when demand falls. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>

#include "jigsaw/planner.h"
#include "shipped.h"
#include "jigsaw/study.h"

static void plan_at(const js_scenario *s, int rule, double scale, const js_plan *in_force,
                    double tolerance, js_plan *p)
{
    js_plan_request r;
    js_plan_request_init(&r);
    r.rule = rule;
    r.demand_scale = scale;
    r.layout_in_force = in_force;
    r.relayout_tolerance = tolerance;
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_plan_min_slices(s, &r, p, &d), 0, "scale %g: %s", scale, d.msg);
    cr_assert(p->feasible);
}

static void assert_same_variants(const js_plan *a, const js_plan *b)
{
    cr_assert_eq(a->napps, b->napps);
    for (int i = 0; i < a->napps; i++)
        for (int t = 0; t < a->apps[i].ntasks; t++)
            cr_assert_eq(a->apps[i].tasks[t].variant, b->apps[i].tasks[t].variant,
                         "app %d task %d", i, t);
}

static int relayouts_from(const js_plan *prev, js_plan *next, int gpus)
{
    cr_assert_eq(js_plan_align_gpus(prev, next, gpus), 0);
    return js_plan_count_relayouts(prev, next);
}

/* At tolerance 0 the stage may only pick among minimum plans, and the minimum plan in
 * force is one of them: nothing changes. */
Test(relayout_stage, zero_tolerance_keeps_the_minimum, .timeout = 120)
{
    js_scenario s;
    tc_load_shipped("traffic-analysis-a100-4", &s);
    js_plan lo, same;
    plan_at(&s, JS_RULE_PAPER, 1.0, NULL, 0.0, &lo);
    plan_at(&s, JS_RULE_PAPER, 1.0, &lo, 0.0, &same);
    cr_assert_eq(same.slices_used, lo.slices_used);
    assert_same_variants(&lo, &same);
    js_plan_free(&same);
    js_plan_free(&lo);
    js_scenario_free(&s);
}

/* Demand falls to a third: the aware re-plan stays within its tolerance, keeps the
 * minimum's variants and re-lays out no more GPUs than the plain minimum-slices re-plan,
 * under both rules. */
Test(relayout_stage, falling_demand_relays_out_less, .timeout = 240)
{
    static const int rules[] = {JS_RULE_PAPER, JS_RULE_SAFE};
    js_scenario s;
    tc_load_shipped("social-media-a100-4", &s);
    int gpus = s.cluster.gpus, fewer = 0;
    for (int k = 0; k < 2; k++) {
        js_plan hi, plain, aware;
        plan_at(&s, rules[k], 3.0, NULL, 0.0, &hi);
        plan_at(&s, rules[k], 1.0, NULL, 0.0, &plain);
        plan_at(&s, rules[k], 1.0, &hi, 0.25, &aware);
        cr_assert_leq(aware.slices_used, (int)floor(plain.slices_used * 1.25 + 1e-9),
                      "%d slices against a minimum of %d", aware.slices_used, plain.slices_used);
        assert_same_variants(&plain, &aware);
        int r_plain = relayouts_from(&hi, &plain, gpus);
        int r_aware = relayouts_from(&hi, &aware, gpus);
        cr_log_info("rule %d: %d -> %d slices; re-layouts %d plain, %d aware (%d slices)",
                    rules[k], hi.slices_used, plain.slices_used, r_plain, r_aware,
                    aware.slices_used);
        cr_assert_leq(r_aware, r_plain);
        fewer += r_aware < r_plain;
        js_plan_free(&aware);
        js_plan_free(&plain);
        js_plan_free(&hi);
    }
    js_scenario_free(&s);
    cr_assert_geq(fewer, 1, "the stage changed nothing on either rule");
}
