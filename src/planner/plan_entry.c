/* The public planning entry points (planner.h): the request's rule (one MILP pass for the
 * paper's; the safe rule's search and its second family), then the stages on the plan
 * chosen: re-layout awareness with a layout in force, else the fewest-GPUs tie-break the
 * safe rule's passes skip. One GLPK guard and one deadline per call. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "by_app.h"
#include "safe_internal.h"
#include "jigsaw/util.h"

static int plan_with_rule(const js_scenario *s, const js_plan_request *r, js_plan *out,
                          js_diag *d, pl_pass_fn pass, bool max_demand, safe_choice *choice)
{
    if (r->rule == JS_RULE_SAFE)
        return pl_plan_safe(s, r, out, d, pass, max_demand, choice);
    int rc = pass(s, r, out, d);
    if (rc == 0) {
        choice->made = true;
        choice->request = *r;
        choice->limit = INFINITY;
    }
    return rc == 0 ? pl_safe_finish(s, r, out, d) : rc;
}

/* Re-layout awareness (relayout.c) on the chosen pass's request: the plan that keeps more
 * of the layout in force replaces the minimum when it meets the same acceptance limit. */
static int keep_layout(const js_scenario *s, const js_plan_request *r,
                       const safe_choice *choice, js_plan *out, js_diag *d)
{
    js_plan cand;
    js_diag local;
    js_diag_init(&local);
    int rc = pl_min_slices_keep_layout(s, &choice->request, out, &cand, &local);
    if (rc == 1)
        return 0;
    if (rc != 0) {
        js_diag_forward(d, &local);
        return rc;
    }
    rc = pl_safe_finish(s, r, &cand, &local);
    if (rc == 0 && pl_safe_within(pl_safe_worst_violation(&cand), choice->limit)) {
        js_plan_free(out);
        *out = cand;
        return 0;
    }
    js_plan_free(&cand);
    if (rc == JS_EXIT_INTERNAL)
        return js_diag_forward(d, &local);
    return 0;
}

/* The fewest-GPUs tie-break, skipped by the search's passes, on the plan chosen: it
 * replaces the plan when it needs fewer GPUs and meets the same acceptance limit. */
static int fewest_gpus(const js_scenario *s, const js_plan_request *r,
                       const safe_choice *choice, js_plan *out, js_diag *d)
{
    js_plan cand;
    js_diag local;
    js_diag_init(&local);
    js_plan_init(&cand);
    int rc = pl_min_slices_fewest_gpus(s, &choice->request, out, &cand, &local);
    if (rc == 1)
        return 0;
    js_plan_stats effort = out->stats;
    pl_safe_add_stats(&effort, &cand.stats);
    pl_safe_keep_effort(out, &effort);
    if (rc == 0)
        rc = pl_safe_finish(s, r, &cand, &local);
    bool better = rc == 0 && cand.slices_used <= out->slices_used &&
                  cand.gpus_used < out->gpus_used &&
                  pl_safe_within(pl_safe_worst_violation(&cand), choice->limit);
    if (better) {
        pl_safe_keep_effort(&cand, &effort);
        js_plan_free(out);
        *out = cand;
        return 0;
    }
    js_plan_free(&cand);
    if (rc == JS_EXIT_INTERNAL)
        return js_diag_forward(d, &local);
    return 0; /* out of time or no better packing: the plan chosen stands */
}

/* One scenario's minimum-slices planning, all its applications in one MILP per pass. A
 * request that already skips the GPU tie-break (a part of the planning by application,
 * by_app.c) gets none; else the safe rule's search compares its passes by slices and
 * predictions and the tie-break runs once, on the plan it returns. */
static int min_slices_joint(const js_scenario *s, const js_plan_request *r, js_plan *out,
                            js_diag *d)
{
    js_plan_request started = *r;
    bool gpu_stage = started.rule == JS_RULE_SAFE && !started.layout_in_force &&
                     !started.skip_gpu_tiebreak;
    started.skip_gpu_tiebreak = started.skip_gpu_tiebreak || gpu_stage;
    safe_choice choice = {0};
    int rc = plan_with_rule(s, &started, out, d, pl_min_slices_once, false, &choice);
    rc = pl_with_capped_family(s, &started, rc, out, d, pl_min_slices_once, &choice, false);
    if (rc == 0 && choice.made && started.layout_in_force)
        rc = keep_layout(s, &started, &choice, out, d);
    else if (rc == 0 && choice.made && gpu_stage)
        rc = fewest_gpus(s, &started, &choice, out, d);
    return rc;
}

static int min_slices_entry(const js_scenario *s, const js_plan_request *r, js_plan *out,
                            js_diag *d)
{
    js_plan_request started; /* one deadline for every pass (planner_internal.h) */
    pl_request_start(r, &started);
    if (pl_by_app_applies(s, &started))
        return pl_by_app_min_slices(s, &started, out, d, min_slices_joint);
    return min_slices_joint(s, &started, out, d);
}

static int max_demand_entry(const js_scenario *s, const js_plan_request *r, js_plan *out,
                            js_diag *d)
{
    js_plan_request started;
    pl_request_start(r, &started);
    if (started.scale_app >= s->napps)
        return js_diag_set(d, JS_EXIT_USAGE, "maximum demand of application %d: the scenario "
                           "has %d", started.scale_app, s->napps);
    if (started.scale_app >= 0 && s->napps == 1)
        started.scale_app = -1; /* the only application: the common scale */
    if (started.scale_app >= 0 && !pl_by_app_applies(s, &started))
        return js_diag_set(d, JS_EXIT_USAGE,
                           "the maximum demand of one application is searched application by "
                           "application, which cannot hold a limit on the cluster's CPU cores "
                           "(cpu_cores_per_node) or a layout in force");
    if (pl_by_app_for_max_demand(s, &started))
        return pl_by_app_max_demand(s, &started, out, d, min_slices_joint);
    /* At the maximum demand the cluster is (nearly) full: the safe rule's passes skip the
     * fewest-GPUs tie-break of the plan they show. */
    started.skip_gpu_tiebreak = started.rule == JS_RULE_SAFE;
    safe_choice choice = {0};
    int rc = plan_with_rule(s, &started, out, d, pl_max_demand_once, true, &choice);
    return pl_with_capped_family(s, &started, rc, out, d, pl_max_demand_once, &choice, true);
}

/* Each entry point runs under one GLPK guard (milp_solve.c): its passes and the stages
 * after them (re-layout, fewest GPUs) alike. The plan reports the time of the whole call
 * (predictions and the rescue by scaling included), its solves and nodes those of every
 * pass. */
static int timed_entry(pl_pass_fn entry, const js_scenario *s, const js_plan_request *r,
                       js_plan *out, js_diag *d)
{
    double t0 = js_now_s(), c0 = js_cpu_s();
    int rc = pl_glpk_guarded(entry, s, r, out, d);
    if (rc == 0) {
        out->stats.seconds = js_now_s() - t0;
        out->stats.cpu_seconds = js_cpu_s() - c0;
    }
    return rc;
}

int js_plan_min_slices(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d)
{
    return timed_entry(min_slices_entry, s, r, out, d);
}

int js_plan_max_demand(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d)
{
    return timed_entry(max_demand_entry, s, r, out, d);
}
