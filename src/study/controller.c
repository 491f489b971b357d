/* The trace-driven controller: every interval, predict the demand, re-plan with the
 * min-slice MILP (or the max-demand plan when the prediction exceeds capacity), apply the
 * plan to the running simulation, and account slices, violations and re-layouts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/study.h"
#include "jigsaw/util.h"

/* Below this share of the capacity a plan is made for the floor instead: the planner
 * needs a positive demand, and an interval predicted empty still gets a few requests. */
#define JS_MIN_PLAN_SHARE 0.01
#define JS_MAX_INTERVALS 100000

void js_controller_opts_init(js_controller_opts *o)
{
    memset(o, 0, sizeof *o);
    o->time_limit_s = JS_PLAN_DEFAULT_TIME_LIMIT_S;
    o->arrivals.kind = JS_ARR_POISSON;
    o->arrivals.time_compression = 1.0;
    o->interval_s = 300.0;
    o->time_compression = 1.0;
    o->predictor = JS_PRED_LAST5;
    o->ewma_alpha = 0.5;
    o->pred_quantile = JS_DEFAULT_PRED_QUANTILE;
    o->relayout_tolerance = JS_DEFAULT_RELAYOUT_TOLERANCE;
    o->headroom = JS_DEFAULT_HEADROOM;
    o->keep_fraction = JS_DEFAULT_KEEP_FRACTION;
    o->rate_levels = JS_DEFAULT_RATE_LEVELS;
    o->react_checks = JS_DEFAULT_REACT_CHECKS;
    o->relayout_downtime_s = JS_DEFAULT_RELAYOUT_DOWNTIME_S;
    o->latency_factor = 1.0;
    o->max_utilisation = 1.0;
    o->rule = JS_RULE_PAPER;
    o->target_quantile = 0.99;
    js_sim_config_init(&o->sim);
}

int js_arrival_interval_rates(const js_arrival_spec *spec, double interval_sim_s,
                              int max_intervals, double **rates, int *n, js_diag *d)
{
    *rates = NULL;
    *n = 0;
    if (!(interval_sim_s > 0) || max_intervals < 1)
        return js_diag_set(d, JS_EXIT_USAGE, "interval must be > 0 s");
    js_arrivals *a = NULL;
    int rc = js_arrivals_open(spec, &a, d);
    if (rc != 0)
        return rc;
    double *counts = calloc((size_t)max_intervals, sizeof *counts);
    if (!counts) {
        js_arrivals_close(a);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    int seen = 0;
    for (;;) {
        double t;
        rc = js_arrivals_next(a, &t, d);
        if (rc == 1) {
            rc = 0;
            break;
        }
        if (rc != 0)
            break;
        long k = (long)floor(t / interval_sim_s);
        if (k < 0)
            k = 0;
        if (k >= max_intervals)
            break; /* past the window the caller asked about */
        counts[k] += 1.0;
        if ((int)k + 1 > seen)
            seen = (int)k + 1;
    }
    js_arrivals_close(a);
    if (rc != 0) {
        free(counts);
        return rc;
    }
    /* A window given by its duration has that many intervals, even if the last are empty. */
    if (spec->duration_s > 0) {
        double c = spec->time_compression > 0 ? spec->time_compression : 1.0;
        int want = (int)ceil(spec->duration_s / c / interval_sim_s - 1e-9);
        if (want > seen && want <= max_intervals)
            seen = want;
    }
    for (int k = 0; k < seen; k++)
        counts[k] /= interval_sim_s;
    *rates = counts;
    *n = seen;
    return 0;
}

typedef struct ctl_state {
    const js_scenario *s;
    const js_controller_opts *o;
    js_plan cap_plan;       /* max-demand plan, used when demand exceeds capacity */
    double cap_rate;
    js_plan cached;         /* last min-slice plan and the rate it was made for */
    double cached_rate;
    bool have_cached;
    js_plan *level_plans;   /* rate_levels > 0: the plan of each level, once solved */
    bool *have_level;
    double last_rate;       /* the rate plan_for_rate planned for (after rounding) */
    js_plan prev;           /* plan now applied */
    bool have_prev;
    double cur_rate;        /* the rate the plan in force was made for */
    bool cur_capped;
    int cluster_gpus;
} ctl_state;

static void base_request(const ctl_state *st, js_plan_request *req)
{
    js_plan_request_init(req);
    req->features = st->o->features;
    req->gpus = st->o->gpus;
    req->latency_factor = st->o->latency_factor;
    req->max_utilisation = st->o->max_utilisation;
    req->rule = st->o->rule;
    req->target_quantile = st->o->target_quantile;
    req->max_batch = st->o->max_batch;
    req->time_limit_s = st->o->time_limit_s;
}

/* Re-plans depend on the layout in force: no plan is reused from an earlier interval. */
static bool layout_aware(const ctl_state *st)
{
    return st->o->relayout_tolerance >= 0.0 && st->have_prev;
}

/* The plan for `rate` (a deep copy in *out); *capped when it is the max-demand plan. */
static int plan_for_rate(ctl_state *st, double rate, js_plan *out, bool *capped,
                         js_diag *d)
{
    *capped = false;
    /* Rate levels let plain re-plans be solved once per level (cached); a re-layout-aware
     * re-plan depends on the layout in force and is never cached, so it plans for the
     * rate itself: rounding up would only add slices (and send rates within a level of
     * the capacity to the max-demand plan). */
    bool levels = st->o->rate_levels > 0 && !layout_aware(st);
    if (levels && rate < st->cap_rate) {
        double step = st->cap_rate / st->o->rate_levels;
        double up = ceil(rate / step - 1e-9) * step;
        st->last_rate = up < step ? step : up;
    } else {
        st->last_rate = rate;
    }
    if (rate >= st->cap_rate) {
        *capped = true;
        return js_plan_copy(&st->cap_plan, out) == 0
                   ? 0
                   : js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    int level = -1;
    if (levels) {
        double step = st->cap_rate / st->o->rate_levels;
        level = (int)ceil(rate / step - 1e-9);
        if (level < 1)
            level = 1;
        if (level >= st->o->rate_levels) {
            *capped = true;
            return js_plan_copy(&st->cap_plan, out) == 0
                       ? 0
                       : js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        }
        if (st->have_level[level] && !layout_aware(st))
            return js_plan_copy(&st->level_plans[level], out) == 0
                       ? 0
                       : js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        rate = level * step;
    }
    if (st->have_cached && st->cached_rate == rate && !layout_aware(st))
        return js_plan_copy(&st->cached, out) == 0
                   ? 0
                   : js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    js_plan_request req;
    base_request(st, &req);
    req.rate_app = st->o->app;
    req.rate_override = rate;
    if (layout_aware(st)) {
        req.layout_in_force = &st->prev;
        req.relayout_tolerance = st->o->relayout_tolerance;
    }
    js_plan p;
    js_diag local;
    js_plan_init(&p);
    js_diag_init(&local);
    int rc = js_plan_min_slices(st->s, &req, &p, &local);
    if (rc == JS_EXIT_INFEASIBLE) {
        /* Within the bisection tolerance of the capacity: serve what it can. */
        js_plan_free(&p);
        *capped = true;
        return js_plan_copy(&st->cap_plan, out) == 0
                   ? 0
                   : js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    if (rc != 0) {
        js_plan_free(&p);
        js_diag_forward_warnings(d, &local);
        return js_diag_set(d, rc, "re-planning for %.6g req/s: %s", rate, local.msg);
    }
    if (level > 0 && !layout_aware(st)) {
        if (st->have_level[level])
            js_plan_free(&st->level_plans[level]);
        st->level_plans[level] = p;
        st->have_level[level] = true;
        return js_plan_copy(&p, out) == 0 ? 0
                                          : js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    if (st->have_cached)
        js_plan_free(&st->cached);
    st->cached = p;
    st->cached_rate = rate;
    st->have_cached = true;
    return js_plan_copy(&st->cached, out) == 0
               ? 0
               : js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
}

static bool plans_same_contents(const js_plan *a, const js_plan *b)
{
    int n = a->ngpus > b->ngpus ? a->ngpus : b->ngpus;
    for (int i = 0; i < n; i++) {
        const js_gpu_plan *x = i < a->ngpus ? &a->gpus[i] : NULL;
        const js_gpu_plan *y = i < b->ngpus ? &b->gpus[i] : NULL;
        int nx = x ? x->ninstances : 0, ny = y ? y->ninstances : 0;
        if (nx == 0 && ny == 0)
            continue;
        if (!x || !y || !js_gpu_same_contents(x, y))
            return false;
    }
    return true;
}

static int open_arrivals(const js_scenario *s, const js_controller_opts *o,
                         js_arrivals **arr, js_diag *d)
{
    for (int i = 0; i < s->napps; i++) {
        arr[i] = NULL;
        js_arrival_spec spec;
        if (i == o->app) {
            spec = o->arrivals;
            spec.seed = js_seed_derive(o->arrivals.seed, "arrivals", (uint64_t)i);
        } else {
            if (!(s->apps[i].rate > 0))
                continue;
            memset(&spec, 0, sizeof spec);
            spec.kind = JS_ARR_POISSON;
            spec.rate = s->apps[i].rate;
            spec.time_compression = 1.0;
            spec.seed = js_seed_derive(o->arrivals.seed, "arrivals", (uint64_t)i);
        }
        int rc = js_arrivals_open(&spec, &arr[i], d);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void close_arrivals(js_arrivals **arr, int n)
{
    for (int i = 0; i < n; i++)
        if (arr[i])
            js_arrivals_close(arr[i]);
}

/* Counters of the driven application at the current simulated time. */
static int snapshot(js_sim *sim, int app, js_app_metrics *m)
{
    js_sim_result res;
    memset(&res, 0, sizeof res);
    if (js_sim_result_get(sim, &res) != 0)
        return -1;
    *m = (app < res.napps && res.apps) ? res.apps[app] : res.total;
    js_sim_result_free(&res);
    return 0;
}

static void finish_totals(js_controller_result *r)
{
    double share = 0.0;
    r->peak_slice_share = 0.0;
    for (int k = 0; k < r->nintervals; k++) {
        const js_interval_row *row = &r->rows[k];
        share += row->slice_share;
        if (row->slice_share > r->peak_slice_share)
            r->peak_slice_share = row->slice_share;
        r->relayouts += row->relayouts;
        r->capped_intervals += row->capped ? 1 : 0;
    }
    r->mean_slice_share = r->nintervals > 0 ? share / r->nintervals : 0.0;
}

/* Puts `next` in force (the first plan creates the simulation); *relayouts gets the GPUs
 * whose layout changed. Takes ownership of `next`. */
static int put_in_force(ctl_state *st, js_plan *next, js_sim **simp, js_arrivals **arr,
                        js_controller_result *r, int *relayouts, js_diag *d)
{
    const js_controller_opts *o = st->o;
    double c = o->time_compression > 0 ? o->time_compression : 1.0;
    *relayouts = 0;
    if (js_plan_align_gpus(st->have_prev ? &st->prev : NULL, next, st->cluster_gpus)) {
        js_plan_free(next);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    int rc = 0;
    if (!st->have_prev) {
        rc = js_sim_create(st->s, next, &o->sim, arr, simp, d);
        /* the initial layout is set up before the run starts: no re-layout */
    } else if (!plans_same_contents(&st->prev, next)) {
        *relayouts = js_plan_count_relayouts(&st->prev, next);
        r->plan_changes++;
        rc = js_sim_apply_plan(*simp, next, o->relayout_downtime_s / c, d);
    }
    if (st->have_prev)
        js_plan_free(&st->prev);
    st->prev = *next;
    st->have_prev = true;
    return rc;
}

/* Re-plans for `want` (or keeps the plan in force under the hysteresis rule) and puts
 * the result in force. */
static int replan(ctl_state *st, double want, bool may_keep, js_sim **simp,
                  js_arrivals **arr, js_controller_result *r, js_interval_row *row,
                  js_diag *d)
{
    const js_controller_opts *o = st->o;
    js_plan next;
    js_plan_init(&next);
    if (may_keep && st->have_prev && o->keep_fraction > 0 && want <= st->cur_rate &&
        want >= o->keep_fraction * st->cur_rate) {
        /* The plan in force covers the demand without much waste: keep it. */
        if (js_plan_copy(&st->prev, &next) != 0)
            return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    } else {
        int rc = plan_for_rate(st, want, &next, &st->cur_capped, d);
        if (rc != 0)
            return rc;
        st->cur_rate = st->cur_capped ? st->cap_rate : st->last_rate;
    }
    row->capped = row->capped || st->cur_capped;
    row->rate_planned = st->cur_rate;
    int relayouts = 0;
    int rc = put_in_force(st, &next, simp, arr, r, &relayouts, d);
    row->relayouts += relayouts;
    row->slices_used = st->prev.slices_used;
    row->gpus_used = st->prev.gpus_used;
    row->pas = o->app < st->prev.napps ? st->prev.apps[o->app].pas : NAN;
    return rc;
}

/* A reactive check: `arrivals` of the driven application over the last `span` simulated
 * seconds against the rate of the plan in force. The rate observed when it is more than
 * JS_REACT_SIGMAS Poisson standard deviations above, else 0. */
static double spike_rate(const ctl_state *st, uint64_t arrivals, double span)
{
    if (st->cur_capped || !(span > 0))
        return 0.0;
    double expect = st->cur_rate * span;
    if ((double)arrivals <= expect + JS_REACT_SIGMAS * sqrt(expect))
        return 0.0;
    return (double)arrivals / span;
}

static int run_intervals(ctl_state *st, const double *rates, js_sim **simp,
                         js_arrivals **arr, js_controller_result *r, js_diag *d)
{
    const js_controller_opts *o = st->o;
    double c = o->time_compression > 0 ? o->time_compression : 1.0;
    double isim = o->interval_s / c;
    int checks = o->predictor == JS_PRED_ORACLE || o->react_checks < 1 ? 1 : o->react_checks;
    js_predictor pred;
    js_predictor_init(&pred, o->predictor, o->ewma_alpha);
    js_predictor_set_quantile(&pred, o->pred_quantile);
    js_app_metrics before;
    memset(&before, 0, sizeof before);

    for (int k = 0; k < r->nintervals; k++) {
        js_interval_row *row = &r->rows[k];
        row->index = k;
        row->t_start_s = k * o->interval_s;
        row->rate_actual = rates[k];
        row->rate_predicted = js_predictor_predict(&pred, rates[k]);
        double want = row->rate_predicted * (1.0 + o->headroom);
        if (want < JS_MIN_PLAN_SHARE * st->cap_rate)
            want = JS_MIN_PLAN_SHARE * st->cap_rate;
        int rc = replan(st, want, true, simp, arr, r, row, d);
        double slices_sum = 0.0; /* over the interval's equal steps */
        js_app_metrics step_start = before;
        for (int j = 1; rc == 0 && j <= checks; j++) {
            double t1 = j == checks ? (k + 1) * isim : k * isim + j * (isim / checks);
            slices_sum += st->prev.slices_used;
            rc = js_sim_run_until(*simp, t1, d);
            if (rc != 0 || j == checks)
                break;
            js_app_metrics now;
            if (snapshot(*simp, o->app, &now) != 0)
                return js_diag_set(d, JS_EXIT_INTERNAL, "simulator result unavailable");
            double spike = spike_rate(st, now.requests - step_start.requests, isim / checks);
            step_start = now;
            if (spike > 0.0) {
                row->reactions++;
                r->reactions++;
                rc = replan(st, spike * (1.0 + o->headroom), false, simp, arr, r, row, d);
            }
        }
        if (rc != 0)
            return rc;
        row->slice_share =
            r->cluster_slices > 0 ? slices_sum / checks / r->cluster_slices : 0.0;
        js_app_metrics now;
        if (snapshot(*simp, o->app, &now) != 0)
            return js_diag_set(d, JS_EXIT_INTERNAL, "simulator result unavailable");
        row->requests = now.requests - before.requests;
        row->completed = now.completed - before.completed;
        row->late = now.late - before.late;
        row->dropped = now.dropped - before.dropped;
        uint64_t fin = row->completed + row->dropped;
        row->violation_rate = fin > 0 ? (double)(row->late + row->dropped) / (double)fin : 0.0;
        before = now;
        js_predictor_observe(&pred, rates[k]);
        if (o->progress)
            o->progress(o->progress_ctx, r->system, k + 1, r->nintervals);
    }
    return 0;
}

int js_controller_run(const js_scenario *s, const js_controller_opts *o,
                      js_controller_result *r, js_diag *d)
{
    memset(r, 0, sizeof *r);
    double t0 = js_now_s();
    snprintf(r->system, sizeof r->system, "%s", js_system_name(o->features));
    snprintf(r->predictor, sizeof r->predictor, "%s", js_predictor_name(o->predictor));
    if (o->app < 0 || o->app >= s->napps)
        return js_diag_set(d, JS_EXIT_USAGE, "application index %d out of range", o->app);
    if (!(o->interval_s > 0))
        return js_diag_set(d, JS_EXIT_USAGE, "--interval must be > 0 s");
    if (o->relayout_downtime_s < 0 || o->headroom < 0)
        return js_diag_set(d, JS_EXIT_USAGE, "downtime and headroom must be >= 0");
    if (o->rate_levels < 0 || o->rate_levels > 10000)
        return js_diag_set(d, JS_EXIT_USAGE, "rate levels must be in [0, 10000]");
    if (o->keep_fraction < 0 || o->keep_fraction > 1)
        return js_diag_set(d, JS_EXIT_USAGE, "keep fraction must be in [0, 1]");
    if (o->react_checks < 0 || o->react_checks > 1000)
        return js_diag_set(d, JS_EXIT_USAGE, "reactive checks must be in [0, 1000]");

    ctl_state st;
    memset(&st, 0, sizeof st);
    st.s = s;
    st.o = o;
    st.cluster_gpus = o->gpus > 0 ? o->gpus : s->cluster.gpus;
    r->cluster_slices = st.cluster_gpus * s->cluster.gpu.compute_slices;

    double c = o->time_compression > 0 ? o->time_compression : 1.0;
    double *rates = NULL;
    int rc = js_arrival_interval_rates(&o->arrivals, o->interval_s / c, JS_MAX_INTERVALS,
                                       &rates, &r->nintervals, d);
    if (rc != 0)
        return rc;
    if (r->nintervals == 0) {
        free(rates);
        return js_diag_set(d, JS_EXIT_DATAERR, "the arrival process has no arrivals");
    }

    /* Capacity of this system for the driven application. */
    js_plan_request req;
    base_request(&st, &req);
    js_plan_init(&st.cap_plan);
    js_diag local;
    js_diag_init(&local);
    rc = js_plan_max_demand(s, &req, &st.cap_plan, &local);
    if (rc != 0) {
        free(rates);
        js_plan_free(&st.cap_plan);
        js_diag_forward_warnings(d, &local);
        return js_diag_set(d, rc, "%s: %s", r->system, local.msg);
    }
    st.cap_rate = st.cap_plan.demand_scale * s->apps[o->app].rate;
    r->capacity_rate = st.cap_rate;

    if (o->rate_levels > 0) {
        st.level_plans = calloc((size_t)o->rate_levels + 1, sizeof *st.level_plans);
        st.have_level = calloc((size_t)o->rate_levels + 1, sizeof *st.have_level);
    }
    r->rows = calloc((size_t)r->nintervals, sizeof *r->rows);
    js_arrivals **arr = calloc((size_t)s->napps, sizeof *arr);
    js_sim *sim = NULL;
    if (!r->rows || !arr || (o->rate_levels > 0 && (!st.level_plans || !st.have_level))) {
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        goto out;
    }
    js_controller_opts local_o = *o;
    local_o.sim.duration_s = r->nintervals * (o->interval_s / c);
    st.o = &local_o;
    rc = open_arrivals(s, &local_o, arr, d);
    if (rc == 0)
        rc = run_intervals(&st, rates, &sim, arr, r, d);
    if (rc == 0)
        rc = js_sim_run(sim, d); /* let requests in flight finish */
    if (rc == 0 && js_sim_result_get(sim, &r->sim) != 0)
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "simulator result unavailable");
    if (rc == 0) {
        const js_app_metrics *m =
            (o->app < r->sim.napps && r->sim.apps) ? &r->sim.apps[o->app] : &r->sim.total;
        r->violation_rate = m->violation_rate;
        r->accuracy = m->accuracy;
        r->p99_ms = m->latency_ms.p99;
        finish_totals(r);
    }
out:
    if (sim)
        js_sim_destroy(sim);
    if (arr)
        close_arrivals(arr, s->napps);
    free(arr);
    free(rates);
    js_plan_free(&st.cap_plan);
    if (st.have_cached)
        js_plan_free(&st.cached);
    if (st.have_prev)
        js_plan_free(&st.prev);
    for (int k = 0; st.have_level && k <= o->rate_levels; k++)
        if (st.have_level[k])
            js_plan_free(&st.level_plans[k]);
    free(st.level_plans);
    free(st.have_level);
    r->wall_s = js_now_s() - t0;
    return rc;
}

void js_controller_result_free(js_controller_result *r)
{
    free(r->rows);
    r->rows = NULL;
    r->nintervals = 0;
    js_sim_result_free(&r->sim);
}

cJSON *js_controller_to_json(const js_controller_result *r, bool with_intervals)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "system", r->system);
    cJSON_AddStringToObject(o, "predictor", r->predictor);
    cJSON_AddNumberToObject(o, "intervals", r->nintervals);
    cJSON_AddNumberToObject(o, "cluster_slices", r->cluster_slices);
    js_json_add_num_or_null(o, "capacity_rate", r->capacity_rate);
    js_json_add_num_or_null(o, "mean_slice_share", r->mean_slice_share);
    js_json_add_num_or_null(o, "peak_slice_share", r->peak_slice_share);
    js_json_add_num_or_null(o, "violation_rate", r->violation_rate);
    js_json_add_num_or_null(o, "accuracy", r->accuracy);
    js_json_add_num_or_null(o, "p99_ms", r->p99_ms);
    cJSON_AddNumberToObject(o, "relayouts", r->relayouts);
    cJSON_AddNumberToObject(o, "plan_changes", r->plan_changes);
    cJSON_AddNumberToObject(o, "reactions", r->reactions);
    cJSON_AddNumberToObject(o, "capped_intervals", r->capped_intervals);
    const js_app_metrics *m = &r->sim.total;
    cJSON_AddNumberToObject(o, "requests", (double)m->requests);
    cJSON_AddNumberToObject(o, "completed", (double)m->completed);
    cJSON_AddNumberToObject(o, "late", (double)m->late);
    cJSON_AddNumberToObject(o, "dropped", (double)m->dropped);
    if (!with_intervals)
        return o;
    cJSON *arr = cJSON_AddArrayToObject(o, "intervals_detail");
    for (int k = 0; arr && k < r->nintervals; k++) {
        const js_interval_row *row = &r->rows[k];
        cJSON *e = cJSON_CreateObject();
        if (!e)
            break;
        cJSON_AddItemToArray(arr, e);
        cJSON_AddNumberToObject(e, "t_start_s", row->t_start_s);
        js_json_add_num_or_null(e, "rate_actual", row->rate_actual);
        js_json_add_num_or_null(e, "rate_predicted", row->rate_predicted);
        js_json_add_num_or_null(e, "rate_planned", row->rate_planned);
        cJSON_AddBoolToObject(e, "capped", row->capped);
        cJSON_AddNumberToObject(e, "slices_used", row->slices_used);
        js_json_add_num_or_null(e, "slice_share", row->slice_share);
        cJSON_AddNumberToObject(e, "relayouts", row->relayouts);
        cJSON_AddNumberToObject(e, "reactions", row->reactions);
        js_json_add_num_or_null(e, "pas", row->pas);
        cJSON_AddNumberToObject(e, "requests", (double)row->requests);
        js_json_add_num_or_null(e, "violation_rate", row->violation_rate);
    }
    return o;
}

static void write_timeline_rows(FILE *f, const js_controller_result *r)
{
    fprintf(f, "interval,t_start_s,t_hours,rate_actual,rate_predicted,rate_planned,capped,"
               "slices_used,gpus_used,slice_share,relayouts,pas,requests,completed,late,"
               "dropped,violation_rate\n");
    for (int k = 0; k < r->nintervals; k++) {
        const js_interval_row *w = &r->rows[k];
        fprintf(f, "%d,%.0f,%.4f,%.6g,%.6g,%.6g,%d,%d,%d,%.6f,%d,%.6f,%llu,%llu,%llu,%llu,%.6f\n",
                w->index, w->t_start_s, w->t_start_s / 3600.0, w->rate_actual,
                w->rate_predicted, w->rate_planned, w->capped ? 1 : 0, w->slices_used,
                w->gpus_used, w->slice_share, w->relayouts, w->pas,
                (unsigned long long)w->requests, (unsigned long long)w->completed,
                (unsigned long long)w->late, (unsigned long long)w->dropped,
                w->violation_rate);
    }
}

int js_controller_write_timeline(const char *path, const js_controller_result *r,
                                 js_diag *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    write_timeline_rows(f, r);
    if (fclose(f) != 0) {
        free(buf);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    int rc = js_write_file_atomic(path, buf, len, d);
    free(buf);
    return rc;
}

void js_controller_print(FILE *out, const js_controller_result *r, bool per_interval)
{
    if (per_interval) {
        fprintf(out, "%5s %8s %10s %10s %10s %4s %6s %6s %4s %6s %9s %8s\n", "int", "hour",
                "actual/s", "predict/s", "planned/s", "cap", "slices", "share", "relay",
                "PAS", "requests", "viol%");
        for (int k = 0; k < r->nintervals; k++) {
            const js_interval_row *w = &r->rows[k];
            fprintf(out, "%5d %8.2f %10.4g %10.4g %10.4g %4s %6d %5.1f%% %4d %6.3f %9llu %7.2f%%\n",
                    w->index, w->t_start_s / 3600.0, w->rate_actual, w->rate_predicted,
                    w->rate_planned, w->capped ? "yes" : "", w->slices_used,
                    100.0 * w->slice_share, w->relayouts, w->pas,
                    (unsigned long long)w->requests, 100.0 * w->violation_rate);
        }
    }
    fprintf(out, "system %s, predictor %s, %d intervals, capacity %.4g req/s\n", r->system,
            r->predictor, r->nintervals, r->capacity_rate);
    fprintf(out, "mean slices used: %.1f%% of %d (peak %.1f%%)\n", 100.0 * r->mean_slice_share,
            r->cluster_slices, 100.0 * r->peak_slice_share);
    fprintf(out, "violation rate: %.3f%%  served accuracy: %.4f  p99: %.1f ms\n",
            100.0 * r->violation_rate, r->accuracy, r->p99_ms);
    fprintf(out, "re-layouts: %d GPUs over %d plan changes (%d reactive scale-ups); "
                 "intervals over capacity: %d\n",
            r->relayouts, r->plan_changes, r->reactions, r->capped_intervals);
    fprintf(out, "requests %llu, completed %llu, late %llu, dropped %llu\n",
            (unsigned long long)r->sim.total.requests,
            (unsigned long long)r->sim.total.completed, (unsigned long long)r->sim.total.late,
            (unsigned long long)r->sim.total.dropped);
}
