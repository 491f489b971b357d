/* The exact MILP (GLPK), shared by its five files. Not a public header.
 *
 *   milp_build.c   the LP: columns, rows, knapsack bounds (formulation at its top)
 *   milp_solve.c   one GLPK solve, objectives, reading a solution into the model and plan
 *   milp_combos.c  one variant combination at a time: fixing it, its cuts and LP bounds
 *   min_slices.c   minimum slices with its tie-breaks (js_plan_min_slices)
 *   max_demand.c   maximum common demand scale (js_plan_max_demand)
 *
 * Why the combination-by-combination solves are exact: src/planner/combos.c; the model
 * in words: README.md, "The planner". */
#ifndef JIGSAW_PLANNER_MILP_H
#define JIGSAW_PLANNER_MILP_H

#include <glpk.h>
#include <stdbool.h>

#include "planner_internal.h"
#include "jigsaw/util.h"

/* Most variant combinations solved one by one; more: the joint MILP. */
#define PL_MAX_COMBOS 4096
/* The plan shown at the maximum demand: fewest slices with the winning combination to
 * within this relative gap (the scale, not the slices, is what max-demand optimises;
 * proving the last slice near a full cluster can take long). */
#define PL_FINAL_GAP 0.01
/* Effort caps are counted in branch-and-bound nodes, not seconds, so that a plan does
 * not depend on the machine's speed or load (same input, same bytes).
 * The final maximum-demand plan: past this many nodes, the best plan found. */
#define PL_FINAL_SOFT_NODES 500
/* The fewest-GPUs tie-break (cheap nodes: no cuts, most-fractional branching): past
 * this many nodes its best packing stands (the slices and PAS before it are always
 * proven). */
#define PL_TIEBREAK_SOFT_NODES 200

typedef struct lp_build {
    glp_prob *lp;
    int row_slices, row_logpas, row_gpus;
    int col_lambda;
    int col_y0;       /* first layout column */
    int *ind;
    double *val;
    int cap;
    int nrows, ncols;   /* rows and columns the builder has added (debug checks) */
    bool stop_at_first; /* feasibility test: stop at the first integer solution */
    int node_limit;     /* > 0: stop after this many nodes, plan or not */
    int soft_nodes;     /* > 0: once a plan exists, stop after this many nodes */
    bool no_cuts;       /* no cut rounds: a solve that improves a plan, not its bound */
    bool per_combo;     /* rows are rewritten per combination: skip the joint bounds */
    double mip_gap;     /* per-combination solves: relative gap (0 = prove optimality) */
} lp_build;

typedef struct solve_info {
    int ret;          /* glp_intopt return */
    int status;       /* glp_mip_status */
    double obj, bound;
    int nodes;
    double seconds;
} solve_info;

/* A variant combination ranked by its bound (pl_combo_bounds, max-demand search). */
typedef struct combo_key {
    int idx;
    double bound;   /* LP bound (min: rounded up; max: as is) */
    double logpas;
} combo_key;

/* milp_build.c. pl_lp_build: 0 ok, -1 out of memory (b then still to be freed);
 * b zeroed by the caller except its solve options. */
int pl_lp_build(pl_model *m, lp_build *b, bool max_demand);
void pl_lp_free(lp_build *b);
/* Fewest compute slices whose instances of one variant's configurations with statistic
 * <= stat_cap reach `demand` items/s (exact unbounded knapsack); 0 when out of range,
 * max_slices + 1 when unreachable. */
/* Re-layout awareness (relayout.c): per layout l, a column k_l <= y_l bounded by
 * keep[l], the GPUs of the layout in force that hold layout l. Returns the first k
 * column (the others follow in layout order), or -1 out of memory. */
int pl_lp_add_keep_columns(lp_build *b, const pl_model *m, const int *keep);
int pl_knapsack_min_slices(const pl_task *pt, int variant, double stat_cap, double demand,
                           int max_slices);

/* milp_solve.c */
bool pl_past_deadline(double deadline); /* deadline: absolute js_now_s() time, 0 = none */
double *pl_lp_incumbent(glp_prob *lp);
void pl_lp_solve_from(lp_build *b, const js_plan_request *r, double deadline, double mip_gap,
                      const double *x0, solve_info *si);
void pl_lp_solve(lp_build *b, const js_plan_request *r, double deadline, double mip_gap,
                 solve_info *si);
void pl_lp_set_objective(lp_build *b, int dir, const int *cols, const double *coefs, int n);
int pl_lp_objective_from_row(lp_build *b, int row, int dir);
void pl_lp_read_solution(pl_model *m, lp_build *b, const double *x, int *y);
const char *pl_status_word(const solve_info *si);
bool pl_has_solution(const solve_info *si);
int pl_fill_plan(pl_model *m, const int *y, js_plan *p, js_diag *d);
void pl_note_stage(js_plan *p, const solve_info *si, int stage);
void pl_lp_stats(const pl_model *m, const lp_build *b, js_plan *p);

/* milp_combos.c */
void pl_apply_combo(const pl_model *m, lp_build *b, const int *var);
int pl_combo_cuts(const pl_model *m, lp_build *b, const int *var);
double pl_lp_relaxation(lp_build *b, const js_plan_request *r);
int pl_combo_key_cmp_max(const void *x, const void *y);
/* The variant combination of a plan made from this model's scenario, in the
 * combinations' layout (every app's tasks in app order, width ints); false when the plan
 * does not match the model (or a variant has no column in the built MILP). */
bool pl_combo_of_plan(const pl_model *m, const js_plan *p, int width, int *var);
int pl_combo_bounds(const pl_model *m, lp_build *b, const pl_combos *cb,
                    const js_plan_request *r, bool minimise, combo_key **keys_out);

/* min_slices.c: min-slices planning; only != NULL: over that one variant combination
 * (cb->width ints); mip_gap > 0: per-combination solves to that relative gap. */
int pl_min_slices_impl(const js_scenario *s, const js_plan_request *r, js_plan *out,
                       js_diag *d, const int *only, double mip_gap);

#endif
