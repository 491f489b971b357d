/* scenario_internal: what scenario.c and scenario_edges.c share (not a public header). */
#ifndef JS_SCENARIO_INTERNAL_H
#define JS_SCENARIO_INTERNAL_H

#include <cjson/cJSON.h>
#include "jigsaw/jsonio.h"
#include "jigsaw/scenario.h"

/* The app's "edges" array (absent: none): ends, fan-outs, fan-out laws; 65 naming the
 * JSON path on bad input. Empirical histograms go to a->edge_hist (freed with the
 * scenario). */
int scn_load_edges(js_jctx *c, const cJSON *o, js_app *a);
/* One edge as scenario JSON; NULL when out of memory. */
cJSON *scn_edge_to_json(const js_app *a, const js_edge *e);

/* scenario_host.c: cluster CPU cores ("cpu_cores_per_node" | "cpu_cores_per_gpu") and
 * the host cost applied to a variant's profile as it is resolved. */
int scn_load_cpu_cores(js_jctx *c, const cJSON *cluster, js_cluster *cl);
int scn_apply_host(js_jctx *c, js_scenario *s, const char *profile_name, js_host_cost *out);

#endif
