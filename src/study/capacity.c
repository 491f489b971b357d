/* Capacity study: maximum serviceable demand of each system, and which constraints bind. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/study.h"
#include "jigsaw/util.h"

/* The planner's stated tolerance on the maximum demand is 0.5%: smaller changes under a
 * relaxation are noise of the bisection, not a binding constraint. */
#define JS_BIND_TOLERANCE 0.005

void js_capacity_opts_init(js_capacity_opts *o)
{
    memset(o, 0, sizeof *o);
    o->time_limit_s = JS_PLAN_DEFAULT_TIME_LIMIT_S;
    o->latency_factor = 1.0;
    o->max_utilisation = 1.0;
    o->rule = JS_RULE_PAPER;
    o->target_quantile = 0.99;
    o->relax = 0.05;
}

static double scenario_total_rate(const js_scenario *s)
{
    double sum = 0.0;
    for (int i = 0; i < s->napps; i++)
        sum += s->apps[i].rate;
    return sum;
}

static double plan_min_pas(const js_plan *p)
{
    double m = NAN;
    for (int i = 0; i < p->napps; i++)
        if (isnan(m) || p->apps[i].pas < m)
            m = p->apps[i].pas;
    return m;
}

/* Max demand of one system; *scale = 0 when infeasible (not an error). */
static int max_scale(const js_scenario *s, const js_plan_request *req, double *scale,
                     js_plan *keep, char *reason, size_t reason_n, js_diag *d)
{
    js_plan p;
    js_diag local;
    js_plan_init(&p);
    js_diag_init(&local);
    int rc = js_plan_max_demand(s, req, &p, &local);
    if (rc == JS_EXIT_INFEASIBLE) {
        *scale = 0.0;
        if (reason)
            snprintf(reason, reason_n, "%s", local.msg);
        js_plan_free(&p);
        return 0;
    }
    if (rc != 0) {
        js_plan_free(&p);
        return js_diag_forward(d, &local);
    }
    *scale = p.demand_scale;
    if (keep)
        *keep = p;
    else
        js_plan_free(&p);
    return 0;
}

/* Scenario copy whose applications have their accuracy floors multiplied by `f`. The
 * copy shares profiles with the original; free with free(copy->apps). */
static int scenario_relax_accuracy(const js_scenario *s, double f, js_scenario *copy)
{
    *copy = *s;
    copy->apps = malloc((size_t)s->napps * sizeof *copy->apps);
    if (!copy->apps)
        return -1;
    memcpy(copy->apps, s->apps, (size_t)s->napps * sizeof *copy->apps);
    for (int i = 0; i < s->napps; i++)
        copy->apps[i].accuracy_slo *= f;
    return 0;
}

static int binding_analysis(const js_scenario *s, const js_plan_request *base,
                            const js_capacity_opts *o, js_capacity_row *row, js_diag *d)
{
    double base_scale = row->max_demand_scale;
    for (int k = 0; k < JS_BIND_NKINDS; k++) {
        js_plan_request req = *base;
        js_scenario relaxed;
        const js_scenario *use = s;
        if (k == 0) {
            int g = base->gpus > 0 ? base->gpus : s->cluster.gpus;
            int extra = (int)ceil(g * o->relax);
            req.gpus = g + (extra < 1 ? 1 : extra);
        } else if (k == 1) {
            req.latency_factor = base->latency_factor / (1.0 + o->relax);
        } else {
            if (scenario_relax_accuracy(s, 1.0 - o->relax, &relaxed) != 0)
                return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
            use = &relaxed;
        }
        double sc = 0.0;
        int rc = max_scale(use, &req, &sc, NULL, NULL, 0, d);
        if (use != s)
            free(relaxed.apps);
        if (rc != 0)
            return rc;
        row->relax_gain[k] = base_scale > 0 ? sc / base_scale - 1.0 : NAN;
        if (row->relax_gain[k] > JS_BIND_TOLERANCE)
            row->binding |= 1u << k;
    }
    row->binding_done = true;
    return 0;
}

int js_capacity_study(const js_scenario *s, const js_capacity_opts *o,
                      js_capacity_result *r, js_diag *d)
{
    memset(r, 0, sizeof *r);
    snprintf(r->scenario, sizeof r->scenario, "%s", s->name);
    snprintf(r->gpu, sizeof r->gpu, "%s", s->cluster.gpu_name);
    r->gpus = o->gpus > 0 ? o->gpus : s->cluster.gpus;
    r->slices = r->gpus * s->cluster.gpu.compute_slices;
    r->latency_factor = o->latency_factor;
    r->max_utilisation = o->max_utilisation;
    r->max_batch = o->max_batch;
    r->rule = o->rule;
    r->target_quantile = o->target_quantile;
    r->jigsaw_vs_loki = NAN;
    r->price_per_gpu_hour = js_cluster_price(&s->cluster);

    int n = o->nsystems > 0 ? o->nsystems : JS_NSYSTEMS;
    const unsigned *systems = o->nsystems > 0 ? o->systems : js_systems;
    double total_rate = scenario_total_rate(s);
    int steps = n * (o->binding ? 4 : 1), done = 0;

    for (int i = 0; i < n; i++) {
        js_capacity_row *row = &r->rows[r->nrows++];
        row->features = systems[i];
        snprintf(row->system, sizeof row->system, "%s", js_system_name(systems[i]));
        row->gain_vs_unopt = NAN;
        row->pas_min = NAN;
        row->cost_per_hour = row->cost_per_million = NAN;
        for (int k = 0; k < JS_BIND_NKINDS; k++)
            row->relax_gain[k] = NAN;
        if (o->progress)
            o->progress(o->progress_ctx, row->system, done, steps);

        js_plan_request req;
        js_plan_request_init(&req);
        req.features = systems[i];
        req.gpus = o->gpus;
        req.latency_factor = o->latency_factor;
        req.max_utilisation = o->max_utilisation;
        req.max_batch = o->max_batch;
        req.rule = o->rule;
        req.target_quantile = o->target_quantile;
        req.time_limit_s = o->time_limit_s;

        js_plan p;
        js_plan_init(&p);
        double t0 = js_now_s(), scale = 0.0;
        int rc = max_scale(s, &req, &scale, &p, row->reason, sizeof row->reason, d);
        row->solve_s = js_now_s() - t0;
        if (rc != 0)
            return rc;
        done++;
        if (scale <= 0.0) {
            row->status = JS_EXIT_INFEASIBLE;
            done += o->binding ? 3 : 0;
            continue;
        }
        row->max_demand_scale = scale;
        row->max_rate = scale * total_rate;
        row->slices_used = p.slices_used;
        row->gpus_used = p.gpus_used;
        row->pas_min = plan_min_pas(&p);
        row->gap = p.gap;
        row->cost_per_hour = js_plan_cost_per_hour(&p, s);
        row->cost_per_million = js_plan_cost_per_million(&p, s);
        js_plan_free(&p);
        if (o->binding) {
            if (o->progress)
                o->progress(o->progress_ctx, row->system, done, steps);
            rc = binding_analysis(s, &req, o, row, d);
            if (rc != 0)
                return rc;
            done += 3;
        }
    }
    const js_capacity_row *unopt = js_capacity_find(r, 0);
    for (int i = 0; i < r->nrows; i++)
        if (unopt && unopt->status == 0 && r->rows[i].status == 0)
            r->rows[i].gain_vs_unopt = r->rows[i].max_demand_scale / unopt->max_demand_scale;
    const js_capacity_row *ast = js_capacity_find(r, JS_FEAT_A | JS_FEAT_S | JS_FEAT_T);
    const js_capacity_row *at = js_capacity_find(r, JS_FEAT_A | JS_FEAT_T);
    if (ast && at && ast->status == 0 && at->status == 0)
        r->jigsaw_vs_loki = ast->max_demand_scale / at->max_demand_scale;
    if (o->progress)
        o->progress(o->progress_ctx, "done", steps, steps);
    return 0;
}

const js_capacity_row *js_capacity_find(const js_capacity_result *r, unsigned features)
{
    for (int i = 0; i < r->nrows; i++)
        if (r->rows[i].features == features)
            return &r->rows[i];
    return NULL;
}

void js_binding_string(unsigned binding, bool done, char *buf, size_t n)
{
    static const char *const names[JS_BIND_NKINDS] = {"capacity", "latency", "accuracy"};
    if (n == 0)
        return;
    if (!done) {
        snprintf(buf, n, "-");
        return;
    }
    buf[0] = '\0';
    size_t len = 0;
    for (int k = 0; k < JS_BIND_NKINDS; k++) {
        if (!(binding & (1u << k)))
            continue;
        int w = snprintf(buf + len, n - len, "%s%s", len ? "+" : "", names[k]);
        if (w < 0 || (size_t)w >= n - len)
            return;
        len += (size_t)w;
    }
    if (len == 0)
        snprintf(buf, n, "none");
}

cJSON *js_capacity_to_json(const js_capacity_result *r)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "scenario", r->scenario);
    cJSON_AddStringToObject(root, "gpu", r->gpu);
    cJSON_AddNumberToObject(root, "gpus", r->gpus);
    cJSON_AddNumberToObject(root, "slices", r->slices);
    js_json_add_num_or_null(root, "latency_factor", r->latency_factor);
    js_json_add_num_or_null(root, "max_utilisation", r->max_utilisation);
    cJSON_AddStringToObject(root, "rule", js_rule_name(r->rule));
    js_json_add_num_or_null(root, "target_quantile",
                            r->rule == JS_RULE_SAFE ? r->target_quantile : NAN);
    cJSON_AddNumberToObject(root, "max_batch", r->max_batch);
    js_json_add_num_or_null(root, "jigsaw_vs_loki", r->jigsaw_vs_loki);
    js_json_add_num_if_finite(root, "price_per_gpu_hour_usd", r->price_per_gpu_hour);
    cJSON *arr = cJSON_AddArrayToObject(root, "systems");
    for (int i = 0; arr && i < r->nrows; i++) {
        const js_capacity_row *row = &r->rows[i];
        cJSON *o = cJSON_CreateObject();
        if (!o) {
            cJSON_Delete(root);
            return NULL;
        }
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "system", row->system);
        cJSON_AddBoolToObject(o, "feasible", row->status == 0);
        if (row->status != 0)
            cJSON_AddStringToObject(o, "reason", row->reason);
        js_json_add_num_or_null(o, "max_demand_scale", row->max_demand_scale);
        js_json_add_num_or_null(o, "max_rate", row->max_rate);
        js_json_add_num_or_null(o, "gain_vs_unopt", row->gain_vs_unopt);
        js_json_add_num_or_null(o, "paper_gain_vs_unopt",
                                js_paper_scenario(r->scenario) ? js_paper_gain(row->features)
                                                               : NAN);
        cJSON_AddNumberToObject(o, "slices_used", row->slices_used);
        cJSON_AddNumberToObject(o, "gpus_used", row->gpus_used);
        js_json_add_num_or_null(o, "pas", row->pas_min);
        js_json_add_num_or_null(o, "gap", row->gap);
        /* Like a plan's: present when the price is known. */
        js_json_add_num_if_finite(o, "cost_per_hour_usd", row->cost_per_hour);
        js_json_add_num_if_finite(o, "cost_per_million_requests_usd", row->cost_per_million);
        char b[64];
        js_binding_string(row->binding, row->binding_done, b, sizeof b);
        cJSON_AddStringToObject(o, "binding", b);
        if (row->binding_done) {
            cJSON *g = cJSON_AddObjectToObject(o, "relaxation_gain");
            if (g) {
                js_json_add_num_or_null(g, "capacity", row->relax_gain[0]);
                js_json_add_num_or_null(g, "latency", row->relax_gain[1]);
                js_json_add_num_or_null(g, "accuracy", row->relax_gain[2]);
            }
        }
    }
    return root;
}

void js_capacity_print(FILE *out, const js_capacity_result *r)
{
    fprintf(out, "%s on %d x %s (%d slices), latency factor %.3g, max utilisation %.3g",
            r->scenario, r->gpus, r->gpu, r->slices, r->latency_factor, r->max_utilisation);
    if (r->max_batch > 0)
        fprintf(out, ", batch <= %d", r->max_batch);
    if (r->rule == JS_RULE_SAFE)
        fprintf(out, ", safe rule (p%g <= SLO)", 100.0 * r->target_quantile);
    else
        fprintf(out, ", paper's rule");
    /* Cost columns only with a price: without one the table is as it was. */
    bool priced = isfinite(r->price_per_gpu_hour);
    if (priced)
        fprintf(out, ", $%g/GPU-h", r->price_per_gpu_hour);
    fputc('\n', out);
    /* The paper's column only beside the paper's applications, not a user's pipeline. */
    bool paper_app = js_paper_scenario(r->scenario);
    fprintf(out, "%-6s %12s %12s %8s %8s %7s %5s %6s ", "system", "max scale", "max req/s",
            "gain", paper_app ? "paper" : "", "slices", "gpus", "PAS");
    if (priced)
        fprintf(out, "%9s %9s ", "$/h", "$/M req");
    fprintf(out, " %s\n", "binding");
    for (int i = 0; i < r->nrows; i++) {
        const js_capacity_row *row = &r->rows[i];
        if (row->status != 0) {
            fprintf(out, "%-6s %12s  %s\n", row->system, "infeasible", row->reason);
            continue;
        }
        char b[64], paper[16], gain[16];
        js_binding_string(row->binding, row->binding_done, b, sizeof b);
        double pg = js_paper_gain(row->features);
        if (!paper_app)
            paper[0] = '\0';
        else if (isnan(pg))
            snprintf(paper, sizeof paper, "-");
        else
            snprintf(paper, sizeof paper, "%.2fx", pg);
        /* No gain without a feasible Unopt (or when Unopt was not run). */
        if (isfinite(row->gain_vs_unopt))
            snprintf(gain, sizeof gain, "%.2fx", row->gain_vs_unopt);
        else
            snprintf(gain, sizeof gain, "-");
        fprintf(out, "%-6s %12.4g %12.4g %8s %8s %7d %5d %6.3f ", row->system,
                row->max_demand_scale, row->max_rate, gain, paper, row->slices_used,
                row->gpus_used, row->pas_min);
        if (priced && isfinite(row->cost_per_million))
            fprintf(out, "%9.2f %9.4g ", row->cost_per_hour, row->cost_per_million);
        else if (priced) /* no request served: no cost per request */
            fprintf(out, "%9.2f %9s ", row->cost_per_hour, "-");
        fprintf(out, " %s\n", b);
    }
    if (isfinite(r->jigsaw_vs_loki))
        fprintf(out, "A+S+T / A+T (JigsawServe vs Loki): %.2fx%s\n", r->jigsaw_vs_loki,
                paper_app ? " (paper 11.3x)" : "");
}
