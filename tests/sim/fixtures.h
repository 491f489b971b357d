/* fixtures: in-memory scenarios and plans for the simulator tests (no files needed). */
#ifndef JS_TEST_SIM_FIXTURES_H
#define JS_TEST_SIM_FIXTURES_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jigsaw/plan.h"
#include "jigsaw/scenario.h"

/* A100-like GPU type with the five MIG profiles. */
static inline void fx_gpu(js_gpu_type *g)
{
    static const int cs[5] = {1, 2, 3, 4, 7}, ms[5] = {1, 2, 4, 4, 8};
    static const int st[5][8] = {{0, 1, 2, 3, 4, 5, 6}, {0, 2, 4}, {0, 4}, {0}, {0}};
    static const int nst[5] = {7, 3, 2, 1, 1};
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "a100-80gb");
    g->compute_slices = 7;
    g->memory_slices = 8;
    g->nprofiles = 5;
    g->max_mps_workers = 4;
    for (int i = 0; i < 5; i++) {
        js_mig_profile *p = &g->profiles[i];
        snprintf(p->name, sizeof p->name, "%dg", cs[i]);
        p->compute_slices = cs[i];
        p->memory_slices = ms[i];
        p->nstarts = nst[i];
        memcpy(p->starts, st[i], sizeof p->starts);
    }
}

/* Scenario with one app of `ntasks` tasks in a chain 0 -> 1 -> ... (fan-outs given),
 * each task with `nvar` variants, accuracy_norm 1.0, 0.9, ... */
static inline js_scenario *fx_scenario(int ntasks, int nvar, const double *fanouts,
                                       double slo_ms)
{
    js_scenario *s = calloc(1, sizeof *s);
    s->napps = 1;
    s->apps = calloc(1, sizeof *s->apps);
    js_app *a = &s->apps[0];
    snprintf(s->name, sizeof s->name, "fixture");
    snprintf(a->name, sizeof a->name, "app");
    a->ntasks = ntasks;
    for (int t = 0; t < ntasks; t++) {
        snprintf(a->tasks[t].name, sizeof a->tasks[t].name, "t%d", t);
        a->tasks[t].nvariants = nvar;
        for (int v = 0; v < nvar; v++) {
            snprintf(a->tasks[t].variants[v].name, JS_NAME_MAX, "t%dv%d", t, v);
            a->tasks[t].variants[v].accuracy_norm = 1.0 - 0.1 * v;
            a->tasks[t].variants[v].accuracy = 100.0 - 10 * v;
        }
    }
    for (int t = 0; t + 1 < ntasks; t++) {
        js_edge *e = &a->edges[a->nedges++];
        e->from = t;
        e->to = t + 1;
        e->fanout = fanouts != NULL ? fanouts[t] : 1.0;
        for (int v = 0; v < JS_MAX_VARIANTS; v++)
            e->fanout_by_variant[v] = NAN;
    }
    a->source = 0;
    a->nsources = 1;
    a->sources[0] = 0;
    a->latency_slo_ms = slo_ms;
    a->accuracy_slo = 0.5;
    a->rate = 1;
    fx_gpu(&s->cluster.gpu);
    s->cluster.gpus = 8;
    s->cluster.max_workers = 4;
    return s;
}

static inline void fx_scenario_free(js_scenario *s)
{
    free(s->apps);
    free(s);
}

/* Segment-based plan for app 0: task t gets `count` segments of (mig, workers, batch)
 * with per-batch latency mean_ms (p95 = p95_ms) and the given variant. */
static inline void fx_plan(js_plan *p, const js_scenario *s)
{
    js_plan_init(p);
    p->napps = s->napps;
    p->apps = calloc((size_t)s->napps, sizeof *p->apps);
    for (int a = 0; a < s->napps; a++) {
        p->apps[a].app = a;
        p->apps[a].ntasks = s->apps[a].ntasks;
        for (int t = 0; t < s->apps[a].ntasks; t++)
            p->apps[a].tasks[t].task = t;
    }
}

static inline void fx_seg(js_plan *p, int app, int task, int variant, int mig, int workers,
                          int batch, int count, double mean_ms, double p95_ms)
{
    js_task_plan *tp = &p->apps[app].tasks[task];
    tp->variant = variant;
    js_segment *sg = &tp->segments[tp->nsegments++];
    sg->mig = mig;
    sg->workers = workers;
    sg->batch = batch;
    sg->count = count;
    sg->lat_mean_ms = mean_ms;
    sg->lat_p95_ms = p95_ms;
    sg->throughput = workers * batch * 1000.0 / mean_ms;
}

#endif
