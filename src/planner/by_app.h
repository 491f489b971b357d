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

#endif
