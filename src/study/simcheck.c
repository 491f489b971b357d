/* A plan replayed at its planned demand: the measurement the safe rule's prediction is
 * checked against (plan --verify-sim, scripts/bench-safe-rule.sh). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/sim.h"
#include "jigsaw/study.h"
#include "jigsaw/trace.h"
#include "jigsaw/util.h"

static double planned_rate(const js_plan *p, int app)
{
    for (int i = 0; i < p->napps; i++)
        if (p->apps[i].app == app)
            return p->apps[i].rate;
    return 0.0;
}

static void metrics(const js_app_metrics *m, double sim_time_s, js_simcheck_app *out)
{
    out->goodput = sim_time_s > 0 ? (double)(m->completed - m->late) / sim_time_s : NAN;
    out->requests = m->requests;
    out->p50_ms = m->latency_ms.p50;
    out->p95_ms = m->latency_ms.p95;
    out->p99_ms = m->latency_ms.p99;
    out->violation_rate = m->violation_rate;
}

int js_simcheck_plan(const js_scenario *s, const js_plan *p, double seconds,
                     uint64_t max_requests, uint64_t seed, js_simcheck_app *out,
                     js_simcheck_app *total, js_diag *d)
{
    return js_simcheck_plan_drop(s, p, seconds, max_requests, seed, JS_DROP_PATH, out, total,
                                 d);
}

int js_simcheck_plan_drop(const js_scenario *s, const js_plan *p, double seconds,
                          uint64_t max_requests, uint64_t seed, js_drop_rule rule,
                          js_simcheck_app *out, js_simcheck_app *total, js_diag *d)
{
    memset(out, 0, sizeof *out * (size_t)s->napps);
    js_arrivals **arr = calloc((size_t)s->napps + 1, sizeof *arr);
    if (!arr)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    double duration = seconds;
    int rc = 0;
    for (int i = 0; i < s->napps && rc == 0; i++) {
        double rate = planned_rate(p, i);
        if (!(rate > 0))
            continue;
        if (max_requests > 0 && (double)max_requests / rate < duration)
            duration = (double)max_requests / rate;
        js_arrival_spec spec;
        js_arrival_spec_init(&spec);
        spec.kind = JS_ARR_POISSON;
        spec.rate = rate;
        spec.seed = js_seed_derive(seed, "arrivals", (uint64_t)i);
        rc = js_arrivals_open(&spec, &arr[i], d);
    }
    js_sim_config cfg;
    js_sim_config_init(&cfg);
    cfg.seed = seed;
    cfg.duration_s = duration;
    cfg.drop_rule = rule;
    js_sim *sim = NULL;
    if (rc == 0)
        rc = js_sim_create(s, p, &cfg, arr, &sim, d);
    if (rc == 0)
        rc = js_sim_run(sim, d);
    if (rc == 0) {
        js_sim_result res;
        memset(&res, 0, sizeof res);
        if (js_sim_result_get(sim, &res) != 0) {
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "simulator result unavailable");
        } else {
            for (int i = 0; i < s->napps && i < res.napps; i++)
                metrics(&res.apps[i], res.sim_time_s, &out[i]);
            if (total)
                metrics(&res.total, res.sim_time_s, total);
            js_sim_result_free(&res);
        }
    }
    if (sim)
        js_sim_destroy(sim);
    for (int i = 0; i < s->napps; i++)
        if (arr[i])
            js_arrivals_close(arr[i]);
    free(arr);
    return rc;
}
