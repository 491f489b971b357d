/* Tail check: simulate the plan the paper's latency rule makes, under Poisson arrivals,
 * and look for the latency factor that keeps the SLO (a tail-safe rule). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/study.h"
#include "jigsaw/util.h"

void js_tail_opts_init(js_tail_opts *o)
{
    memset(o, 0, sizeof *o);
    o->time_limit_s = JS_PLAN_DEFAULT_TIME_LIMIT_S;
    o->load = 0.8;
    o->sim_seconds = 60.0;
    o->target_violation = 0.01;
    o->max_factor = 4.0;
    o->max_iter = 4;
    o->util_step = 0.05;
    o->min_util = 0.5;
    o->seed = 1;
}

/* A tail-safe rule: latency factor and utilisation cap. */
typedef struct tail_rule {
    double factor, util;
} tail_rule;

static const tail_rule paper_rule = {1.0, 1.0};

static void request_for(const js_tail_opts *o, unsigned features, tail_rule rule,
                        js_plan_request *req)
{
    js_plan_request_init(req);
    req->features = features;
    req->gpus = o->gpus;
    req->latency_factor = rule.factor;
    req->max_utilisation = rule.util;
    req->max_batch = o->max_batch;
    req->time_limit_s = o->time_limit_s;
}

/* Max demand scale with `factor`; 0 when nothing is servable. */
static int tail_max_scale(const js_scenario *s, const js_tail_opts *o, unsigned features,
                          tail_rule rule, double *scale, js_diag *d)
{
    js_plan_request req;
    request_for(o, features, rule, &req);
    js_plan p;
    js_diag local;
    js_plan_init(&p);
    js_diag_init(&local);
    int rc = js_plan_max_demand(s, &req, &p, &local);
    *scale = rc == 0 ? p.demand_scale : 0.0;
    js_plan_free(&p);
    if (rc != 0 && rc != JS_EXIT_INFEASIBLE)
        return js_diag_forward(d, &local);
    return 0;
}

typedef struct tail_meas {
    bool feasible;
    double path_ms, p95, p99, violation, goodput;
    bool want_local;                    /* also simulate with the local early-drop rule */
    double local_violation, local_goodput;
} tail_meas;

static double plan_max_path(const js_plan *p)
{
    double m = 0.0;
    for (int a = 0; a < p->napps; a++)
        for (int k = 0; k < p->apps[a].npaths && k < 256; k++)
            if (p->apps[a].path_latency_ms[k] > m)
                m = p->apps[a].path_latency_ms[k];
    return m;
}

/* A plan simulated under Poisson arrivals at its planned rates: the total's tail. */
static int sim_plan(const js_scenario *s, const js_tail_opts *o, const js_plan *p,
                    tail_meas *m, js_diag *d)
{
    js_simcheck_app *apps = calloc((size_t)s->napps + 1, sizeof *apps), total;
    if (!apps)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    int rc = js_simcheck_plan(s, p, o->sim_seconds, 0, o->seed, apps, &total, d);
    if (rc == 0) {
        m->p95 = total.p95_ms;
        m->p99 = total.p99_ms;
        m->violation = total.violation_rate;
        m->goodput = total.goodput;
    }
    if (rc == 0 && m->want_local) {
        rc = js_simcheck_plan_drop(s, p, o->sim_seconds, 0, o->seed, JS_DROP_LOCAL, apps,
                                   &total, d);
        m->local_violation = total.violation_rate;
        m->local_goodput = total.goodput;
    }
    free(apps);
    return rc;
}

/* Plan min slices at `scale` with `rule`, simulate Poisson arrivals, measure. */
static int measure(const js_scenario *s, const js_tail_opts *o, unsigned features,
                   tail_rule rule, double scale, tail_meas *m, js_diag *d)
{
    bool want_local = m->want_local;
    memset(m, 0, sizeof *m);
    m->want_local = want_local;
    js_plan_request req;
    request_for(o, features, rule, &req);
    req.demand_scale = scale;
    js_plan p;
    js_diag local;
    js_plan_init(&p);
    js_diag_init(&local);
    int rc = js_plan_min_slices(s, &req, &p, &local);
    if (rc == JS_EXIT_INFEASIBLE) {
        js_plan_free(&p);
        return 0;
    }
    if (rc != 0) {
        js_plan_free(&p);
        return js_diag_forward(d, &local);
    }
    m->feasible = true;
    m->path_ms = plan_max_path(&p);
    rc = sim_plan(s, o, &p, m, d);
    js_plan_free(&p);
    return rc;
}

static double min_slo(const js_scenario *s)
{
    double m = INFINITY;
    for (int i = 0; i < s->napps; i++)
        if (s->apps[i].latency_slo_ms < m)
            m = s->apps[i].latency_slo_ms;
    return m;
}

static bool meets_goal(const js_tail_opts *o, const js_tail_row *row, const tail_meas *m)
{
    return m->violation <= o->target_violation && m->p99 <= row->slo_ms;
}

/* Keep `rule` as the row's tail-safe rule when it meets the goal or, while none has, when
 * it has fewer violations than the best so far. */
static void consider(const js_tail_opts *o, js_tail_row *row, tail_rule rule,
                     const tail_meas *m)
{
    if (row->safe_reached)
        return;
    bool reached = meets_goal(o, row, m);
    if (!reached && isfinite(row->safe_violation) && m->violation >= row->safe_violation)
        return;
    row->safe_factor = rule.factor;
    row->safe_util = rule.util;
    row->safe_violation = m->violation;
    row->safe_p99_ms = m->p99;
    row->safe_reached = reached;
}

/* The latency factor, tightened by the measured p99 overshoot (at least 15% a step): the
 * rule's statistic is scaled by F, so paths get 1/F of the room the paper's rule gives. */
static int search_factor(const js_scenario *s, const js_tail_opts *o, unsigned features,
                         double scale, tail_meas m, js_tail_row *row, js_diag *d)
{
    tail_rule rule = paper_rule;
    for (int it = 0; it < o->max_iter && rule.factor < o->max_factor && !row->safe_reached;
         it++) {
        double over = m.p99 > 0 ? m.p99 / row->slo_ms : 1.0;
        rule.factor = fmin(rule.factor * fmax(over, 1.15), o->max_factor);
        int rc = measure(s, o, features, rule, scale, &m, d);
        if (rc != 0)
            return rc;
        if (!m.feasible)
            break; /* this demand cannot be met with a tighter rule at all */
        consider(o, row, rule, &m);
    }
    return 0;
}

/* The utilisation cap: spare capacity for the queueing that a rule on batch latencies
 * cannot see, lowered until the goal is met or the demand no longer fits. Each cap is
 * tried with the best factor found and, when that does not fit, with the paper's factor
 * (a tighter latency rule also costs capacity). */
static int search_util(const js_scenario *s, const js_tail_opts *o, unsigned features,
                       double scale, js_tail_row *row, js_diag *d)
{
    const double factors[2] = {row->safe_factor, 1.0};
    int nf = row->safe_factor != 1.0 ? 2 : 1;
    for (double u = 1.0 - o->util_step; !row->safe_reached && u >= o->min_util - 1e-9;
         u -= o->util_step) {
        bool fits = false;
        for (int k = 0; k < nf && !row->safe_reached; k++) {
            tail_rule rule = {factors[k], u};
            tail_meas m;
            int rc = measure(s, o, features, rule, scale, &m, d);
            if (rc != 0)
                return rc;
            if (!m.feasible)
                continue;
            fits = true;
            consider(o, row, rule, &m);
        }
        if (!fits)
            break; /* a lower cap needs even more capacity */
    }
    return 0;
}

/* The max-demand plan of a rule simulated at its own demand. rule_kind JS_RULE_SAFE
 * uses the queueing-aware rule (and records its prediction), else the F/U rule. */
static int measure_at_max(const js_scenario *s, const js_tail_opts *o, unsigned features,
                          int rule_kind, tail_rule fu, js_tail_row *row, double *scale,
                          tail_meas *m, js_diag *d)
{
    memset(m, 0, sizeof *m);
    *scale = 0.0;
    js_plan_request req;
    request_for(o, features, fu, &req);
    req.rule = rule_kind;
    req.target_quantile = 1.0 - o->target_violation;
    js_plan p;
    js_diag local;
    js_plan_init(&p);
    js_diag_init(&local);
    int rc = js_plan_max_demand(s, &req, &p, &local);
    if (rc != 0) {
        js_plan_free(&p);
        return rc == JS_EXIT_INFEASIBLE ? 0 : js_diag_forward(d, &local);
    }
    *scale = p.demand_scale;
    if (rule_kind == JS_RULE_SAFE) {
        row->model_pred_p99_ms = row->model_pred_violation = 0.0;
        for (int i = 0; i < p.napps; i++) {
            row->model_pred_p99_ms = fmax(row->model_pred_p99_ms, p.apps[i].predicted_p99_ms);
            row->model_pred_violation =
                fmax(row->model_pred_violation, p.apps[i].predicted_violation_rate);
        }
    }
    rc = sim_plan(s, o, &p, m, d);
    m->feasible = rc == 0;
    js_plan_free(&p);
    return rc;
}

/* Both tail-safe rules at their own maximum demand (js_tail_row's fu_max_* and model_*). */
static int check_at_max(const js_scenario *s, const js_tail_opts *o, unsigned features,
                        js_tail_row *row, js_diag *d)
{
    tail_meas m;
    double scale;
    tail_rule fu = {isfinite(row->safe_factor) ? row->safe_factor : 1.0,
                    isfinite(row->safe_util) ? row->safe_util : 1.0};
    int rc = measure_at_max(s, o, features, JS_RULE_PAPER, fu, row, &scale, &m, d);
    if (rc != 0)
        return rc;
    if (m.feasible) {
        row->fu_max_violation = m.violation;
        row->fu_max_p99_ms = m.p99;
        row->fu_max_reached = meets_goal(o, row, &m);
    }
    rc = measure_at_max(s, o, features, JS_RULE_SAFE, paper_rule, row, &scale, &m, d);
    if (rc != 0)
        return rc;
    row->model_max_scale = scale;
    row->model_cost = row->max_scale > 0 ? 1.0 - scale / row->max_scale : NAN;
    if (m.feasible) {
        row->model_violation = m.violation;
        row->model_p99_ms = m.p99;
        row->model_reached = meets_goal(o, row, &m);
    }
    return 0;
}

int js_tail_check(const js_scenario *s, unsigned features, const js_tail_opts *o,
                  js_tail_row *row, js_diag *d)
{
    memset(row, 0, sizeof *row);
    row->features = features;
    snprintf(row->system, sizeof row->system, "%s", js_system_name(features));
    row->slo_ms = min_slo(s);
    row->safe_factor = row->safe_util = NAN;
    row->safe_violation = row->safe_p99_ms = row->safe_max_scale = row->capacity_cost = NAN;
    row->fu_max_violation = row->fu_max_p99_ms = NAN;
    row->model_max_scale = row->model_cost = row->model_violation = row->model_p99_ms = NAN;
    row->model_pred_p99_ms = row->model_pred_violation = NAN;
    row->goodput = row->local_drop_violation = row->local_drop_goodput = NAN;
    int rc = tail_max_scale(s, o, features, paper_rule, &row->max_scale, d);
    if (rc != 0)
        return rc;
    if (!(row->max_scale > 0)) {
        row->status = JS_EXIT_INFEASIBLE;
        return 0;
    }
    double scale = o->load * row->max_scale;
    double total = 0.0;
    for (int i = 0; i < s->napps; i++)
        total += s->apps[i].rate;
    row->rate = scale * total;
    tail_meas m = {.want_local = true};
    rc = measure(s, o, features, paper_rule, scale, &m, d);
    if (rc != 0)
        return rc;
    if (!m.feasible) {
        row->status = JS_EXIT_INFEASIBLE;
        return 0;
    }
    row->planned_path_ms = m.path_ms;
    row->p95_ms = m.p95;
    row->p99_ms = m.p99;
    row->violation_rate = m.violation;
    row->goodput = m.goodput;
    row->local_drop_violation = m.local_violation;
    row->local_drop_goodput = m.local_goodput;
    row->under_provisioned = !meets_goal(o, row, &m);
    consider(o, row, paper_rule, &m);
    if (!row->under_provisioned) {
        row->safe_max_scale = row->max_scale;
        row->capacity_cost = 0.0;
        return check_at_max(s, o, features, row, d);
    }
    rc = search_factor(s, o, features, scale, m, row, d);
    if (rc == 0)
        rc = search_util(s, o, features, scale, row, d);
    if (rc != 0)
        return rc;
    tail_rule safe = {row->safe_factor, row->safe_util};
    rc = tail_max_scale(s, o, features, safe, &row->safe_max_scale, d);
    if (rc != 0)
        return rc;
    row->capacity_cost = 1.0 - row->safe_max_scale / row->max_scale;
    return check_at_max(s, o, features, row, d);
}

cJSON *js_tail_to_json(const js_tail_row *rows, int n)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; arr && i < n; i++) {
        const js_tail_row *r = &rows[i];
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "system", r->system);
        cJSON_AddBoolToObject(o, "feasible", r->status == 0);
        js_json_add_num_or_null(o, "rate", r->rate);
        js_json_add_num_or_null(o, "slo_ms", r->slo_ms);
        js_json_add_num_or_null(o, "planned_path_ms", r->planned_path_ms);
        js_json_add_num_or_null(o, "p95_ms", r->p95_ms);
        js_json_add_num_or_null(o, "p99_ms", r->p99_ms);
        js_json_add_num_or_null(o, "violation_rate", r->violation_rate);
        cJSON_AddBoolToObject(o, "under_provisioned", r->under_provisioned);
        js_json_add_num_or_null(o, "safe_latency_factor", r->safe_factor);
        js_json_add_num_or_null(o, "safe_max_utilisation", r->safe_util);
        js_json_add_num_or_null(o, "safe_violation_rate", r->safe_violation);
        js_json_add_num_or_null(o, "safe_p99_ms", r->safe_p99_ms);
        js_json_add_num_or_null(o, "max_demand_scale", r->max_scale);
        js_json_add_num_or_null(o, "safe_max_demand_scale", r->safe_max_scale);
        js_json_add_num_or_null(o, "capacity_cost", r->capacity_cost);
        cJSON_AddBoolToObject(o, "safe_reached", r->safe_reached);
        js_json_add_num_or_null(o, "fu_at_max_violation_rate", r->fu_max_violation);
        js_json_add_num_or_null(o, "fu_at_max_p99_ms", r->fu_max_p99_ms);
        cJSON_AddBoolToObject(o, "fu_at_max_reached", r->fu_max_reached);
        js_json_add_num_or_null(o, "safe_rule_max_demand_scale", r->model_max_scale);
        js_json_add_num_or_null(o, "safe_rule_capacity_cost", r->model_cost);
        js_json_add_num_or_null(o, "safe_rule_violation_rate", r->model_violation);
        js_json_add_num_or_null(o, "safe_rule_p99_ms", r->model_p99_ms);
        js_json_add_num_or_null(o, "safe_rule_predicted_p99_ms", r->model_pred_p99_ms);
        js_json_add_num_or_null(o, "safe_rule_predicted_violation_rate",
                                r->model_pred_violation);
        cJSON_AddBoolToObject(o, "safe_rule_reached", r->model_reached);
        js_json_add_num_or_null(o, "goodput", r->goodput);
        js_json_add_num_or_null(o, "local_drop_violation_rate", r->local_drop_violation);
        js_json_add_num_or_null(o, "local_drop_goodput", r->local_drop_goodput);
    }
    return arr;
}
