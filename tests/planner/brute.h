/* Exhaustive reference planner for small scenarios (tests only). Independent of the MILP:
 * it enumerates variant choices and per-task latency levels, reachable MIG instance-count
 * vectors, and packs instances on GPUs by backtracking over start positions. */
#ifndef JIGSAW_TEST_BRUTE_H
#define JIGSAW_TEST_BRUTE_H

#include <stdbool.h>
#include "jigsaw/planner.h"
#include "jigsaw/scenario.h"

typedef struct brute_result {
    bool feasible;
    int slices;
    double pas;   /* product over apps (single-app scenarios: that app's PAS) */
    int gpus;
} brute_result;

/* Single-application scenarios only; GPU type with at most 5 MIG profiles. */
int brute_plan(const js_scenario *s, const js_plan_request *r, brute_result *out);

#endif
