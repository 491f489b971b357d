/* planner: the eight systems and the exact GLPK MILP planner.
 *
 * Systems are subsets of three features (README "Concepts in one paragraph"; the MILP in
 * README "The planner" and docs/design.md section 2, the safe rule's queueing model in
 * docs/queueing-model.md):
 *   A  accuracy scaling (off: every task uses its most accurate variant)
 *   S  spatial partitioning (off: the only segment is a whole GPU, one worker)
 *   T  task-graph-informed budgeting (off: fixed local latency/accuracy budgets per task)
 * Owner of this module may extend this header (additively).
 */
#ifndef JIGSAW_PLANNER_H
#define JIGSAW_PLANNER_H

#include "jigsaw/diag.h"
#include "jigsaw/plan.h"
#include "jigsaw/scenario.h"

enum { JS_FEAT_A = 1u, JS_FEAT_S = 2u, JS_FEAT_T = 4u };
#define JS_NSYSTEMS 8

/* The eight systems in the canonical order unopt, A, S, T, A+T, S+T, A+S, A+S+T. */
extern const unsigned js_systems[JS_NSYSTEMS];

/* Parse "unopt", "A", "S", "T", "A+T", "S+T", "A+S", "A+S+T" (feature order free,
 * case-insensitive) and the aliases "jigsaw" (A+S+T) and "loki" (A+T). 0 ok, else -1. */
int js_system_parse(const char *name, unsigned *features);
/* Canonical name: "unopt", "A", ..., "A+S+T". */
const char *js_system_name(unsigned features);

typedef struct js_plan_request {
    unsigned features;     /* JS_FEAT_* bits */
    double demand_scale;   /* multiplies every app's scenario rate (default 1) */
    int rate_app;          /* >= 0: app whose rate is set to rate_override (--rate) */
    double rate_override;
    int gpus;              /* cluster size override; 0 = the scenario's */
    double time_limit_s;   /* 0 = no limit; otherwise best plan found and its gap
                              (default JS_PLAN_DEFAULT_TIME_LIMIT_S) */
    double latency_factor; /* multiplies every configuration's rule statistic; 1 = rule as is
                              (a tail-safe planning option, see the study module) */
    double max_utilisation; /* plan every segment to run at most this share of its profiled
                              throughput, 0 < U <= 1; 1 = the paper's rule. The spare
                              capacity absorbs the queueing a latency rule on batch latencies
                              cannot see (the other tail-safe option); the plan's segments
                              keep their profiled throughput, the demand they must cover is
                              rate / U. */
    int max_batch;         /* > 0: only configurations with batch <= max_batch (a serving
                              stack's batch cap); 0 = every profiled batch size */
    int verbose;           /* GLPK terminal output */
    /* Addition: the latency rule. JS_RULE_PAPER (the library's default): on every path
     * the sum of the configurations' rule statistics (2 x p95 of batch latency) within
     * the SLO. JS_RULE_SAFE: per task a utilisation level is chosen with every
     * configuration, and on every path the sum of the queueing model's quantiles of the
     * item latency (waiting + service) at that level, taken over the slowest of a
     * request's items at the task (fan-in), within the SLO (qmodel.h); the plan is then
     * predicted end to end and tightened until the predicted violation rate is within
     * 1 - target_quantile. */
    int rule;
    double target_quantile; /* safe rule: quantile of end-to-end latency <= SLO (0.99) */
    /* Addition: maximum demand under the paper's rule (the safe rule sets it between its
     * own passes). A plan known to fit under this request (one made under a tighter
     * rule: the feasible set only grows), or NULL. Its scale and variant
     * combination start the search, so combinations that cannot beat it by more than
     * the search's gap are never solved. */
    const js_plan *known_feasible;
    /* Addition: re-layout-aware re-planning (minimum slices only). When set, among the
     * plans with the minimum plan's variants and at most (1 + relayout_tolerance) x its
     * slices, the one keeping the most GPUs of this plan in their MIG layout, then the
     * fewest slices (a MILP stage; the safe rule re-checks its prediction). */
    const js_plan *layout_in_force;
    double relayout_tolerance;
    /* Addition: the absolute deadline (js_now_s clock) every solve of one planning call
     * shares: js_plan_min_slices / js_plan_max_demand set it from time_limit_s when it is
     * 0, so the passes of the safe rule's search, the demand search and the final plan at
     * the demand found all stop at the same moment and the limit holds for the call as a
     * whole. Callers leave it 0. */
    double deadline_s;
    /* Addition: skip the fewest-GPUs tie-break (minimum slices; the plan keeps its proven
     * slices and PAS with the first packing found). The safe rule's search passes set it
     * and its chosen plan gets the tie-break once. Callers leave it false. */
    bool skip_gpu_tiebreak;
    /* Addition (fleets): maximum demand of this application alone, the others held at
     * their rates (--max-demand-app); -1 (js_plan_request_init): every application's
     * demand scaled together. */
    int scale_app;
    /* Addition (fleets): plan a scenario of several applications as one joint MILP
     * instead of application by application (docs/design.md section 2, "Fleets"): the
     * reference the decomposition is tested against. */
    bool joint;
    /* Addition (fleets): minimum slices may stop at this relative gap per variant
     * combination (its bound then stated); 0 (js_plan_request_init): proven optimal. The
     * maximum-demand search by application sets it for its tests. */
    double mip_gap;
    /* Addition (fleets): minimum slices over one variant combination gives up past this
     * many branch-and-bound nodes, plan or not (the search by application's repair of a
     * union that does not pack). Callers leave it 0: no limit. */
    int node_limit;
    /* Addition (fleets): the cost the minimum-"slices" objective counts per instance of
     * each MIG profile (index into the GPU type's profiles), and a GPU's capacity in that
     * unit, such that every valid GPU layout costs at most cost_per_gpu: the bounds of
     * the demand search by application (a weighted count of instances that no cluster
     * of N GPUs can exceed N x cost_per_gpu of). NULL (js_plan_request_init): compute
     * slices. Callers leave it NULL. */
    const int *profile_cost;
    int cost_per_gpu;
} js_plan_request;

/* Default time limit of one planning call (plan, each system of capacity, each point
 * of a sweep, each re-plan of run): the best plan found by then is returned with its
 * bound and gap; none found ends in JS_EXIT_TIMELIMIT. --time-limit 0 removes it. */
#define JS_PLAN_DEFAULT_TIME_LIMIT_S 120.0

enum { JS_RULE_PAPER = 0, JS_RULE_SAFE = 1 };
/* "paper" or "safe" -> JS_RULE_*; 0 ok, -1 unknown. */
int js_rule_parse(const char *name, int *rule);
const char *js_rule_name(int rule);
/* "p95", "p99", "p99.9" (or a number in (0.5, 1)) -> quantile; 0 ok, -1 bad. */
int js_target_parse(const char *text, double *quantile);

void js_plan_request_init(js_plan_request *r);

/* Minimum-slices plan (tie-breaks: higher PAS, then fewer GPUs). Returns 0 and a plan
 * with feasible = true; or JS_EXIT_INFEASIBLE with the reason in planner's words in
 * d->msg (which app, which SLO, by how much); or another code on error. */
int js_plan_min_slices(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d);

/* Largest common demand scale the cluster can serve (within 0.5% of the model's
 * optimum) and the plan achieving it; out->demand_scale holds the scale. */
int js_plan_max_demand(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d);

/* Independent checker: demand covered, every path within its latency rule, PAS >= floor,
 * every GPU layout valid, slices/GPUs counted right. 0 if valid, else DATAERR + reason. */
int js_plan_verify(const js_scenario *s, const js_plan_request *r, const js_plan *p,
                   js_diag *d);

#endif
