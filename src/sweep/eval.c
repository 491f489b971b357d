/* eval: point evaluators -- the real one (planner, optionally simulator) and a
 * synthetic deterministic one for tests and benchmarks of the sweep machinery. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/planner.h"
#include "jigsaw/scenario.h"
#include "jigsaw/sim.h"
#include "jigsaw/sweep.h"
#include "jigsaw/trace.h"
#include "jigsaw/util.h"
#include "sweep_internal.h"

void js_sweep_evaluator_destroy(js_sweep_evaluator *ev)
{
    if (ev != NULL && ev->destroy != NULL)
        ev->destroy(ev->ctx);
    if (ev != NULL)
        memset(ev, 0, sizeof *ev);
}

/* ---- the real evaluator -------------------------------------------------------------- */

typedef struct planner_ctx {
    int nscen;
    js_scenario *scen;   /* one per GPU type of the grid (or the scenario's own) */
    double **slo_lat;    /* per scenario, per app: the scenario's own SLOs */
    double **slo_acc;
} planner_ctx;

static int planner_eval(void *ctxp, const js_sweep *sw, const js_sweep_point *p,
                        js_sweep_result *out, js_diag *d);

static void planner_destroy(void *p)
{
    planner_ctx *c = p;
    if (c == NULL)
        return;
    for (int i = 0; i < c->nscen; i++) {
        js_scenario_free(&c->scen[i]);
        free(c->slo_lat[i]);
        free(c->slo_acc[i]);
    }
    free(c->scen);
    free(c->slo_lat);
    free(c->slo_acc);
    free(c);
}

static int find_app(const js_scenario *s, const char *name)
{
    for (int a = 0; a < s->napps; a++)
        if (strcmp(s->apps[a].name, name) == 0)
            return a;
    return -1;
}

/* Every app an SLO axis names must exist in the scenario. */
static int check_axis_apps(const js_sweep *sw, const js_sweep_axis *ax, const char *key,
                           const js_scenario *s, js_diag *d)
{
    for (int k = 0; k < ax->napps; k++) {
        if (find_app(s, ax->apps[k]) >= 0)
            continue;
        char list[512] = "";
        size_t n = 0;
        for (int a = 0; a < s->napps && n < sizeof list; a++) {
            int w = snprintf(list + n, sizeof list - n, "%s%s", a ? ", " : "", s->apps[a].name);
            if (w < 0)
                break;
            n += (size_t)w;
        }
        return js_diag_set(d, JS_EXIT_DATAERR, "%s: $.grid.%s.apps[%d]: no app '%s' in "
                           "scenario %s (its apps: %s)", sw->file, key, k, ax->apps[k],
                           sw->scenario_path, list);
    }
    return 0;
}

int js_sweep_eval_planner_create(const js_sweep *sw, js_sweep_evaluator *out, js_diag *d)
{
    memset(out, 0, sizeof *out);
    planner_ctx *c = calloc(1, sizeof *c);
    int n = sw->ngpu_types > 0 ? sw->ngpu_types : 1;
    if (c != NULL) {
        c->scen = calloc((size_t)n, sizeof *c->scen);
        c->slo_lat = calloc((size_t)n, sizeof *c->slo_lat);
        c->slo_acc = calloc((size_t)n, sizeof *c->slo_acc);
    }
    if (c == NULL || c->scen == NULL || c->slo_lat == NULL || c->slo_acc == NULL) {
        planner_destroy(c);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        rc = sw->ngpu_types > 0
                 ? js_scenario_load_gpu(sw->scenario_path, sw->gpu_types[i], &c->scen[i], d)
                 : js_scenario_load(sw->scenario_path, &c->scen[i], d);
        if (rc != 0)
            break;
        c->nscen = i + 1;
        const js_scenario *s = &c->scen[i];
        c->slo_lat[i] = calloc((size_t)s->napps + 1, sizeof **c->slo_lat);
        c->slo_acc[i] = calloc((size_t)s->napps + 1, sizeof **c->slo_acc);
        if (c->slo_lat[i] == NULL || c->slo_acc[i] == NULL) {
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
            break;
        }
        for (int a = 0; a < s->napps; a++) {
            c->slo_lat[i][a] = s->apps[a].latency_slo_ms;
            c->slo_acc[i][a] = s->apps[a].accuracy_slo;
        }
    }
    if (rc == 0)
        rc = check_axis_apps(sw, &sw->latency_slo_ms, "latency_slo_ms", &c->scen[0], d);
    if (rc == 0)
        rc = check_axis_apps(sw, &sw->accuracy_slo, "accuracy_slo", &c->scen[0], d);
    if (rc != 0) {
        planner_destroy(c);
        return rc;
    }
    out->name = sw->simulate ? "planner+simulator" : "planner";
    out->ctx = c;
    out->eval = planner_eval;
    out->destroy = planner_destroy;
    return 0;
}

static bool axis_applies(const js_sweep_axis *ax, const char *app)
{
    if (ax->napps == 0)
        return true;
    for (int k = 0; k < ax->napps; k++)
        if (strcmp(ax->apps[k], app) == 0)
            return true;
    return false;
}

/* Set the point's SLOs on the scenario (restored by restore_slos). */
static void apply_slos(const js_sweep *sw, const js_sweep_point *p, js_scenario *s)
{
    for (int a = 0; a < s->napps; a++) {
        if (!isnan(p->latency_slo_ms) && axis_applies(&sw->latency_slo_ms, s->apps[a].name))
            s->apps[a].latency_slo_ms = p->latency_slo_ms;
        if (!isnan(p->accuracy_slo) && axis_applies(&sw->accuracy_slo, s->apps[a].name))
            s->apps[a].accuracy_slo = p->accuracy_slo;
    }
}

static void restore_slos(const planner_ctx *c, int i, js_scenario *s)
{
    for (int a = 0; a < s->napps; a++) {
        s->apps[a].latency_slo_ms = c->slo_lat[i][a];
        s->apps[a].accuracy_slo = c->slo_acc[i][a];
    }
}

/* Replay the plan with Poisson arrivals at the planned rates (x load). */
static int simulate_plan(const js_sweep *sw, const js_scenario *s, const js_plan *plan,
                         js_sweep_result *out, js_diag *d)
{
    js_arrivals **arr = calloc((size_t)s->napps, sizeof *arr);
    if (arr == NULL)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    int rc = 0;
    for (int k = 0; rc == 0 && k < plan->napps; k++) {
        const js_app_plan *ap = &plan->apps[k];
        if (ap->app < 0 || ap->app >= s->napps || !(ap->rate > 0))
            continue;
        js_arrival_spec spec;
        memset(&spec, 0, sizeof spec);
        spec.kind = JS_ARR_POISSON;
        spec.rate = ap->rate * sw->sim_load;
        spec.time_compression = 1;
        spec.duration_s = sw->sim_duration_s;
        /* A distinct stream per app, the same streams at every point (common random
         * numbers make neighbouring points comparable). */
        spec.seed = js_seed_derive(sw->sim_seed, "arrivals", (uint64_t)ap->app);
        rc = js_arrivals_open(&spec, &arr[ap->app], d);
    }
    js_sim *sim = NULL;
    if (rc == 0) {
        js_sim_config cfg;
        js_sim_config_init(&cfg);
        cfg.seed = sw->sim_seed;
        cfg.duration_s = sw->sim_duration_s;
        rc = js_sim_create(s, plan, &cfg, arr, &sim, d);
    }
    if (rc == 0)
        rc = js_sim_run(sim, d);
    js_sim_result res;
    memset(&res, 0, sizeof res);
    if (rc == 0 && js_sim_result_get(sim, &res) != 0)
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "simulator: no result");
    if (rc == 0) {
        out->sim_requests = (double)res.total.requests;
        out->sim_violation_rate = res.total.violation_rate;
        out->sim_p99_ms = res.total.latency_ms.p99;
        out->sim_accuracy = res.total.accuracy;
        js_sim_result_free(&res);
    }
    if (sim != NULL)
        js_sim_destroy(sim);
    for (int a = 0; a < s->napps; a++)
        if (arr[a] != NULL)
            js_arrivals_close(arr[a]);
    free(arr);
    return rc;
}

static void copy_status(js_sweep_result *out, const char *status)
{
    size_t j = 0;
    for (size_t i = 0; status[i] != '\0' && j + 1 < sizeof out->status; i++) {
        char ch = status[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        out->status[j++] = ((ch >= 'a' && ch <= 'z') || ch == '-' || ch == '_') ? ch : '-';
    }
    out->status[j] = '\0';
    if (j == 0)
        snprintf(out->status, sizeof out->status, "unknown");
}

static int planner_eval(void *ctxp, const js_sweep *sw, const js_sweep_point *p,
                        js_sweep_result *out, js_diag *d)
{
    planner_ctx *c = ctxp;
    int si = p->gpu_type >= 0 ? p->gpu_type : 0;
    js_scenario *s = &c->scen[si];
    apply_slos(sw, p, s);
    js_plan_request req;
    js_plan_request_init(&req);
    req.features = p->system;
    req.gpus = p->gpus;
    req.rule = sw->rule;
    req.target_quantile = sw->target_quantile;
    if (sw->time_limit_s > 0)
        req.time_limit_s = sw->time_limit_s; /* else the planner's default */
    if (sw->objective == JS_SWEEP_MIN_SLICES && !isnan(p->demand_scale))
        req.demand_scale = p->demand_scale;
    js_plan plan;
    js_plan_init(&plan);
    js_diag pd;
    js_diag_init(&pd);
    int rc = sw->objective == JS_SWEEP_MAX_DEMAND ? js_plan_max_demand(s, &req, &plan, &pd)
                                                   : js_plan_min_slices(s, &req, &plan, &pd);
    if (rc == JS_EXIT_INFEASIBLE || (rc == 0 && !plan.feasible)) {
        /* An infeasible point is a result: the capacity there is zero. */
        snprintf(out->status, sizeof out->status, "infeasible");
        if (sw->objective == JS_SWEEP_MAX_DEMAND) {
            out->max_demand_scale = 0;
            out->rate_rps = 0;
        }
        rc = 0;
    } else if (rc == JS_EXIT_TIMELIMIT) {
        /* No plan before the time limit: nothing is known at this point, not zero. */
        snprintf(out->status, sizeof out->status, "time-limit");
        rc = 0;
    } else if (rc != 0) {
        js_diag_forward(d, &pd);
    } else {
        copy_status(out, plan.status);
        if (sw->objective == JS_SWEEP_MAX_DEMAND)
            out->max_demand_scale = plan.demand_scale;
        double rate = 0, pas = INFINITY;
        for (int k = 0; k < plan.napps; k++) {
            rate += plan.apps[k].rate;
            if (plan.apps[k].pas < pas)
                pas = plan.apps[k].pas;
        }
        out->rate_rps = rate;
        out->pas = plan.napps > 0 ? pas : NAN;
        out->slices = plan.slices_used;
        out->gpus_used = plan.gpus_used;
        if (sw->simulate)
            rc = simulate_plan(sw, s, &plan, out, d);
    }
    js_plan_free(&plan);
    restore_slos(c, si, s);
    return rc;
}

/* ---- the synthetic evaluator ---------------------------------------------------------- */

typedef struct synthetic_ctx {
    double cost_ms;
} synthetic_ctx;

/* Burn `ms` of CPU time (like a solver would) and return a value that depends on the
 * work so the compiler cannot drop the loop. */
static double burn_cpu(double ms)
{
    double t0 = js_cpu_s(), x = 0.5;
    while ((js_cpu_s() - t0) * 1e3 < ms)
        for (int i = 0; i < 2000; i++)
            x = 3.9 * x * (1 - x);
    return x;
}

static int synthetic_eval(void *ctxp, const js_sweep *sw, const js_sweep_point *p,
                          js_sweep_result *out, js_diag *d)
{
    const synthetic_ctx *c = ctxp;
    /* Cost varies 1x..2x between points (like real solves), deterministically. */
    uint64_t h = js_sweep_fnv1a(0xcbf29ce484222325ull, &p->index, sizeof p->index);
    double x = burn_cpu(c->cost_ms * (1.0 + (double)(h % 1000) / 1000.0));
    if (x < 0)
        return js_diag_set(d, JS_EXIT_INTERNAL, "synthetic evaluator: impossible value");
    double gpus = p->gpus > 0 ? p->gpus : 4;
    double lat = isnan(p->latency_slo_ms) ? 200 : p->latency_slo_ms;
    double acc = isnan(p->accuracy_slo) ? 0.9 : p->accuracy_slo;
    unsigned f = p->system;
    double mult = 1 + ((f & JS_FEAT_A) ? 0.6 : 0) + ((f & JS_FEAT_S) ? 4.2 : 0) +
                  ((f & JS_FEAT_T) ? 0.1 : 0);
    double per_gpu = mult * (lat - 30) / (lat + 100) * (1.5 - acc) *
                     (p->gpu_type >= 0 ? 1 + 0.5 * p->gpu_type : 1);
    double pas = (f & JS_FEAT_A) ? acc + 0.5 * (1 - acc) : 1.0;
    if (lat <= 30) {
        snprintf(out->status, sizeof out->status, "infeasible");
        if (sw->objective == JS_SWEEP_MAX_DEMAND)
            out->max_demand_scale = out->rate_rps = 0;
        return 0;
    }
    snprintf(out->status, sizeof out->status, "optimal");
    if (sw->objective == JS_SWEEP_MAX_DEMAND) {
        out->max_demand_scale = gpus * per_gpu;
        out->rate_rps = 10 * out->max_demand_scale;
        out->slices = (int)(7 * gpus);
        out->gpus_used = (int)gpus;
    } else {
        double ds = isnan(p->demand_scale) ? 1 : p->demand_scale;
        int slices = (int)ceil(7 * ds / per_gpu);
        if (slices > 7 * gpus) {
            snprintf(out->status, sizeof out->status, "infeasible");
            return 0;
        }
        out->slices = slices;
        out->gpus_used = (slices + 6) / 7;
        out->rate_rps = 10 * ds;
    }
    out->pas = pas;
    if (sw->simulate) {
        out->sim_requests = floor(out->rate_rps * sw->sim_duration_s * sw->sim_load);
        out->sim_violation_rate = 0.01 * sw->sim_load / (1 + per_gpu);
        out->sim_p99_ms = 0.8 * lat;
        out->sim_accuracy = pas;
    }
    return 0;
}

static void synthetic_destroy(void *p)
{
    free(p);
}

int js_sweep_eval_synthetic_create(double cost_ms, js_sweep_evaluator *out, js_diag *d)
{
    memset(out, 0, sizeof *out);
    if (!(cost_ms >= 0 && cost_ms <= 60000))
        return js_diag_set(d, JS_EXIT_USAGE, "synthetic cost must be in [0, 60000] ms, got %g",
                           cost_ms);
    synthetic_ctx *c = malloc(sizeof *c);
    if (c == NULL)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    c->cost_ms = cost_ms;
    out->name = "synthetic";
    out->ctx = c;
    out->eval = synthetic_eval;
    out->destroy = synthetic_destroy;
    return 0;
}
