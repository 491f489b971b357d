/* planner internals: the planning model shared by the MILP, the diagnostics and the
 * placement. Not a public header. */
#ifndef JIGSAW_PLANNER_INTERNAL_H
#define JIGSAW_PLANNER_INTERNAL_H

#include <stdbool.h>

#include "jigsaw/dag.h"
#include "jigsaw/gpu.h"
#include "jigsaw/plan.h"
#include "jigsaw/planner.h"
#include "jigsaw/scenario.h"

/* Accuracy comparisons are made on logs with this slack, so that a PAS equal to the floor
 * up to rounding (e.g. 0.95^(1/2) squared) still counts as meeting it. */
#define PL_LOG_EPS 1e-9
/* Latency comparisons (milliseconds). */
#define PL_MS_EPS 1e-9

/* One usable configuration of one (task, variant): an instance type. */
typedef struct pl_cfg {
    int variant;
    int prof;        /* index into the GPU type's MIG profiles */
    int slices;      /* compute slices of that profile */
    int cost;        /* what the objective counts for one instance: its slices, or the
                        request's profile cost (planner.h) */
    int batch, workers;
    double thr;      /* items/s of one instance the plan may use (profiled x max utilisation) */
    double thr_profiled; /* items/s of one instance (per-worker throughput x workers) */
    double stat;     /* the latency rule's statistic, times the latency factor (ms) */
    double lat_mean, lat_p95;
    double util;     /* safe rule: utilisation level the statistic was computed at
                        (thr = profiled x util); paper rule: max utilisation */
    int maxn;        /* upper bound on useful instances of this configuration */
    int col_n, col_u; /* GLPK columns (0 = none) */
    int nsol;        /* instances in the solution */
} pl_cfg;

typedef struct pl_task {
    bool allowed[JS_MAX_VARIANTS];
    int nallowed;
    bool allowed_sys[JS_MAX_VARIANTS]; /* allowed by the system (A), before SLO pruning */
    double minstat_raw[JS_MAX_VARIANTS]; /* fastest configuration the system allows, ms */
    double logacc[JS_MAX_VARIANTS];
    double budget_ms;      /* T off: the task's local budget; T on: the app's bound */
    double acc_floor;      /* T off: local accuracy floor; T on: unused (0) */
    int ncfg;
    int ncfg_raw;          /* before pruning */
    pl_cfg *cfg;
    double fanin;          /* safe rule: items per request reaching the task (max over the
                              system's variants) and their arrival burstiness */
    double burst;
    double items_max;      /* items per request reaching the task, max over variants */
    double items_min;      /* ... min over variants (equal: demand fixed by the rate) */
    bool var_fanout;       /* some out-edge's fan-out differs between allowed variants */
    bool need_u;           /* latency constraints may bind: per-config indicators */
    int col_z[JS_MAX_VARIANTS];
    int col_w[JS_MAX_VARIANTS];
    int col_d, col_l, col_e;
    int nlev;              /* latency levels (distinct statistics) of the MILP, ascending */
    double *lev;
    int *col_lev;          /* binary "L >= lev[k]" columns */
    int row_lb;            /* row "task slices >= knapsack bound" (0 = none); per
                              combination its coefficients are rewritten (milp_combos.c) */
    int vsol;              /* chosen variant in the solution */
} pl_task;

typedef struct pl_app {
    const js_app *a;
    double rate;           /* requests/s before the common scale (after --rate) */
    double bound_ms;       /* slo_fraction x latency SLO */
    double log_floor;      /* log(accuracy SLO) */
    bool latency_active;   /* T on and the rule may bind for some configuration choice */
    bool pas_active;       /* T on and the PAS floor may bind */
    int order[JS_MAX_TASKS];
    int len_through[JS_MAX_TASKS];
    pl_task t[JS_MAX_TASKS];
} pl_app;

typedef struct pl_model {
    const js_scenario *s;
    const js_gpu_type *g;
    unsigned feat;
    int gpus;
    int max_workers;
    double latency_factor;
    double max_util;       /* share of profiled throughput a segment may use */
    int rule;              /* JS_RULE_PAPER or JS_RULE_SAFE */
    double tail;           /* safe rule: end-to-end tail per path (1 - target quantile) */
    int max_batch;         /* 0 = no cap */
    double scale;          /* common demand scale (min-slices); upper bound (max-demand) */
    double deadline;       /* the call's deadline (js_now_s clock), 0 = none: building the
                              model (seconds under the safe rule) stops past it */
    int napps;
    pl_app *apps;
    int nlayouts;
    js_gpu_layout *layouts; /* count-maximal full-GPU layouts */
    int per_gpu_max[JS_MAX_MIG_PROFILES]; /* most instances of a profile on one GPU */
    int full_prof;         /* index of the whole-GPU profile */
    const int *profile_cost; /* the request's profile costs, NULL: compute slices */
    int cost_per_gpu;      /* one GPU's capacity in the objective's unit */
} pl_model;

/* model.c */
int pl_model_build(pl_model *m, const js_scenario *s, const js_plan_request *r,
                   double scale, js_diag *d);
void pl_model_free(pl_model *m);
/* Recompute count bounds for a given scale (demand bounds are rate x scale x items). */
void pl_model_set_scale(pl_model *m, double scale);
double pl_task_demand_max(const pl_model *m, const pl_app *pa, int t);

/* min_slices.c, max_demand.c: one planning pass with the request's rule as it is
 * (safe.c wraps them: the safe rule's predict-and-tighten loop, predictions on every
 * plan). */
/* relayout.c: among plans with the combination of `min_plan` and at most
 * (1 + r->relayout_tolerance) x its slices, the one keeping the most GPUs of
 * r->layout_in_force in their MIG layout (then fewest slices). 0 with *out filled,
 * 1 when nothing better than min_plan was found (out untouched), or an error code. */
int pl_min_slices_keep_layout(const js_scenario *s, const js_plan_request *r,
                              const js_plan *min_plan, js_plan *out, js_diag *d);
/* min_slices.c: the fewest-GPUs tie-break for `chosen`, a plan made under r with
 * r->skip_gpu_tiebreak set: r's minimum-slices pass over chosen's variant combination
 * with the tie-break. 0 with *out filled, 1 when chosen already uses the fewest GPUs its
 * slices allow (out untouched), or an error code. */
int pl_min_slices_fewest_gpus(const js_scenario *s, const js_plan_request *r,
                              const js_plan *chosen, js_plan *out, js_diag *d);
/* A copy of r whose deadline_s is set (from time_limit_s, when not set already): what the
 * public entry points plan with, so that every solve below shares one deadline. */
void pl_request_start(const js_plan_request *r, js_plan_request *started);
/* r's absolute deadline (js_now_s clock), 0 = none. */
double pl_request_deadline(const js_plan_request *r);

/* GLPK's fatal errors (an allocation failure under a memory limit, a broken invariant)
 * end in abort() unless the error hook leaves by longjmp; GLPK's documentation then asks
 * for glp_free_env() and no further use of GLPK in the process. pl_glpk_guarded runs
 * pass(s, r, out, d) with the hook armed (only the outermost call arms it): a fatal error
 * returns JS_EXIT_INTERNAL with a message, frees GLPK's environment (with every problem
 * object; memory of ours on the abandoned frames is left, the process is expected to
 * end) and makes every later call fail at once the same way without touching GLPK. */
typedef int (*pl_pass_fn)(const js_scenario *s, const js_plan_request *r, js_plan *out,
                          js_diag *d);
int pl_glpk_guarded(pl_pass_fn pass, const js_scenario *s, const js_plan_request *r,
                    js_plan *out, js_diag *d);

int pl_min_slices_once(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d);
int pl_max_demand_once(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d);

/* diagnose.c: the reason an input cannot be planned, in a planner's words, computed
 * directly from the model (not from the solver). Returns JS_EXIT_INFEASIBLE with d set,
 * or 0 when no SLO-level reason was found. */
int pl_diagnose_slos(const pl_model *m, js_diag *d);
/* Lower bound on compute slices any plan needs, by per-task best throughput per slice. */
double pl_slices_lower_bound(const pl_model *m);

/* combos.c: variant combinations (one variant per task of every application) that can
 * meet the PAS floor and, ignoring capacity, the latency rule. */
typedef struct pl_combos {
    int n;          /* combinations */
    int width;      /* ints per combination: the apps' task counts summed, in app order */
    int *var;       /* n x width variant indices */
    double *logpas; /* sum over the applications of log PAS */
} pl_combos;
/* 0 ok; 1 more than `cap` combinations (out empty); -1 out of memory. */
int pl_combos_enumerate(const pl_model *m, int cap, pl_combos *out);
void pl_combos_free(pl_combos *c);

/* place.c: GPU-by-GPU placement from per-layout GPU counts and per-config counts. */
int pl_place(const pl_model *m, const int *y_layout, js_plan *p, js_diag *d);

/* compat.c: entry-task test and the packing-relevant layouts. */
bool pl_is_source(const js_app *a, int t);
int pl_enumerate_layouts(const js_gpu_type *g, js_gpu_layout **out, int *n);

#endif
