/* by_app.c: planning application by application (fleet scale). Not a public header. */
#ifndef JS_PLANNER_BY_APP_H
#define JS_PLANNER_BY_APP_H

#include <stdbool.h>

#include "planner_internal.h"

/* Whether the request is planned application by application: more than one
 * application, no layout in force (re-layout awareness is joint), no stated CPU cores
 * (a cluster-wide row the parts cannot see), and not asked for the joint MILP. */
bool pl_by_app_applies(const js_scenario *s, const js_plan_request *r);

/* Whether a maximum demand is searched by application: one application's scale, or a
 * common scale when the joint search could not enumerate the variant combinations. */
bool pl_by_app_for_max_demand(const js_scenario *s, const js_plan_request *r);

/* Minimum slices: every application planned alone by min_pass (its full planning of one
 * scenario, without the fewest-GPUs tie-break), the union packed on the fewest GPUs;
 * optimal when every part is. When the union does not pack, min_pass plans the whole
 * scenario jointly. r is a started request (one deadline). */
int pl_by_app_min_slices(const js_scenario *s, const js_plan_request *r, js_plan *out,
                         js_diag *d, pl_pass_fn min_pass);

/* Maximum demand of every application together (r->scale_app < 0) or of application
 * r->scale_app with the others at their rates: a search over the scale whose every test
 * plans the applications alone and packs the union; the bound is the smallest scale
 * proven out of reach (summed slice bounds past the cluster, or an application that
 * does not fit alone). */
int pl_by_app_max_demand(const js_scenario *s, const js_plan_request *r, js_plan *out,
                         js_diag *d, pl_pass_fn min_pass);

/* ---- Shared by by_app.c, demand_by_app.c and prices_by_app.c ---- */

/* The search's relative precision (the joint search's PL_DEMAND_GAP, max_demand.c). */
#define BA_DEMAND_GAP 0.0049
/* The parts of the demand search stop at this relative gap: a test needs a plan and a
 * bound on its slices, not the last slice proven (their bounds keep the proofs valid). */
#define BA_PART_GAP 0.005
/* Scales tested by one search, at most; scales tried up from the one found for a proof
 * of the bound before it is left open. */
#define BA_MAX_TESTS 200
#define BA_BOUND_PROBES 10
/* Applications the search by prices handles (more: the compute-slice search alone). */
#define BA_MAX_PRICED_APPS 64

typedef struct ba_ctx {
    const js_scenario *s;
    const js_plan_request *r;
    pl_pass_fn min_pass;    /* the full minimum-slices planning of one scenario */
    int gpus;
    double cap_slices;      /* compute slices of the whole cluster */
    js_gpu_layout *layouts; /* count-maximal layouts of the GPU type */
    int nlayouts;
    js_plan_stats effort;   /* every part's solves and nodes */
    double part_gap;        /* relative gap of the parts' minimum slices (0: proven) */
    const int *cost;        /* NULL, or the parts' profile costs and a GPU's capacity in */
    int cost_per_gpu;       /* their unit (the bounds of the demand search) */
} ba_ctx;

/* by_app.c. The context of one planning call (c->layouts to be freed); application i
 * alone at `scale` (its app index rewritten to i); a part's proven lower bound on its
 * objective; the parts merged into one plan over the scenario, the union packed (0, 1
 * when it does not pack, or an error code). */
int pl_ba_ctx_init(ba_ctx *c, const js_scenario *s, const js_plan_request *r,
                   pl_pass_fn min_pass, js_diag *d);
int pl_ba_plan_part(ba_ctx *c, int i, double scale, js_plan *out, js_diag *d);
double pl_ba_part_bound(const js_plan *p);
/* The parts' variants in the joint model's layout of a combination (every application's
 * tasks in order, width ints); false when a part does not name one for every task. */
bool pl_ba_parts_combo(const js_scenario *s, js_plan *const *pp, int *var);
/* The joint minimum-slices MILP of request rr over the parts' variant combination alone,
 * to relative gap `gap`: 0 with a plan, 1 none (out freed). */
int pl_ba_joint_over_parts(const ba_ctx *c, const js_plan_request *rr, js_plan *const *pp,
                           double gap, js_plan *out);
int pl_ba_merge_parts(const ba_ctx *c, js_plan *const *parts, js_plan *out, js_diag *d);

typedef struct ba_search {
    ba_ctx c;
    int target;          /* the application scaled; -1 every one */
    js_plan *fixed;      /* target mode: the others' plans at their rates (per app) */
    double max_util;
    js_plan best;        /* the merged plan of the largest scale that fits */
    double best_scale;   /* the scale it serves */
    double hi_bound;     /* smallest scale proven out of reach */
    int tests;
} ba_search;

/* A scale tested: it fits (a plan), it is out of reach (proven), or it is left open. */
enum { BA_FITS = 0, BA_OUT_OF_REACH = 1, BA_OPEN = 2 };

/* demand_by_app.c: keep `merged` (a fit at x times the scaled demand) as the best when it
 * serves more (the paper rule's spare capacity included). */
void pl_ba_keep_fit(ba_search *bs, double x, js_plan *merged);
/* prices_by_app.c: the search by prices between the fit `lo` and the miss `hi` (may be
 * infinite), then its bound; bs->best and bs->hi_bound updated. 0 or an error code. */
int pl_ba_search_priced(ba_search *bs, double lo, double hi, js_diag *d);

#endif
