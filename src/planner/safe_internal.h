/* The safe rule's pieces shared by safe.c (the queueing-aware MILP's search and the
 * rescue by scaling), safe_capped.c (the paper rule's plans with a utilisation cap, the
 * second family) and plan_entry.c (the public entry points). docs/queueing-model.md
 * describes the rule. */
#ifndef JS_PLANNER_SAFE_INTERNAL_H
#define JS_PLANNER_SAFE_INTERNAL_H

#include <stdbool.h>

#include "planner_internal.h"

/* The pass a search accepted, so that a later stage (re-layout, fewest GPUs) can re-plan
 * under the same request and hold its plan to the same limit. */
typedef struct safe_choice {
    bool made;               /* a pass met its acceptance limit */
    js_plan_request request; /* the MILP request of that pass */
    double limit;            /* the predicted violation rate it had to stay within */
} safe_choice;

/* The worst predicted violation rate over the plan's applications. */
double pl_safe_worst_violation(const js_plan *p);
/* A predicted violation rate within an acceptance limit (relative tolerance 1e-9, so a
 * plan found at the limit by a search is accepted by the same test). */
#define PL_SAFE_REL_TOL 1e-9
static inline bool pl_safe_within(double worst, double limit)
{
    return worst <= limit * (1.0 + PL_SAFE_REL_TOL);
}
/* A pass's plan made ready to leave: segments merged, rule named, predicted end to end. */
int pl_safe_finish(const js_scenario *s, const js_plan_request *r, js_plan *p, js_diag *d);
/* Solver effort: *sum += *one; and the effort a plan reports (solves, nodes, times). */
void pl_safe_add_stats(js_plan_stats *sum, const js_plan_stats *one);
void pl_safe_keep_effort(js_plan *p, const js_plan_stats *effort);
/* A maximum-demand plan whose prediction misses `limit`, served at the largest fraction of
 * its demand that meets it (status "feasible", no bound). 0 rescued, 1 not. */
int pl_safe_rescue_by_scaling(const js_scenario *s, const js_plan_request *r, js_plan *p,
                              double limit);
/* The queueing-aware MILP's search (safe.c): `pass` is one minimum-slices or one
 * maximum-demand pass; *choice gets the pass accepted. */
int pl_plan_safe(const js_scenario *s, const js_plan_request *r, js_plan *out, js_diag *d,
                 pl_pass_fn pass, bool max_demand, safe_choice *choice);
/* The second family after the first (safe_capped.c): rc is the first family's outcome; a
 * capped plan may replace its plan or stand in for its infeasibility. */
int pl_with_capped_family(const js_scenario *s, const js_plan_request *r, int rc,
                          js_plan *out, js_diag *d, pl_pass_fn pass, safe_choice *choice,
                          bool max_demand);

#endif
