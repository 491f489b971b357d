/* result: the simulator's results -- js_sim_result_get (metrics of the run so far, with
 * the conservation check arrivals = completed + dropped + in flight, per application and
 * in total), js_sim_result_free, and js_sim_result_to_json.
 * The JSON holds only simulated quantities: wall-clock time is left out so that the same
 * inputs and seed give byte-identical output. Metric definitions: src/sim/NOTES.md. */
#include <math.h>

#include "sim_internal.h"

static void fill_metrics(const appctr *c, uint64_t in_flight, js_app_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->requests = c->requests;
    m->completed = c->completed;
    m->late = c->late;
    m->dropped = c->dropped;
    m->in_flight = in_flight;
    uint64_t fin = c->completed + c->dropped;
    m->violation_rate = fin ? (double)(c->late + c->dropped) / (double)fin : 0.0;
    m->latency_ms.p50 = js_hist_quantile(&c->h, 0.50);
    m->latency_ms.p95 = js_hist_quantile(&c->h, 0.95);
    m->latency_ms.p99 = js_hist_quantile(&c->h, 0.99);
    m->latency_ms.max = c->h.n ? c->h.max : NAN;
    m->latency_ms.mean = c->h.n ? c->h.sum / (double)c->h.n : NAN;
    m->accuracy = c->completed ? c->pas_sum / (double)c->completed : NAN;
}

int js_sim_result_get(js_sim *sim, js_sim_result *out)
{
    memset(out, 0, sizeof *out);
    sim_touch_in_flight(sim);
    sim_touch_resources(sim);
    for (int i = 0; i < sim->ntasks; i++)
        sim_touch_task_workers(sim, &sim->t[i]);
    out->napps = sim->napps;
    out->apps = calloc((size_t)sim->napps + 1, sizeof *out->apps);
    out->tasks = calloc((size_t)sim->ntasks + 1, sizeof *out->tasks);
    if (out->apps == NULL || out->tasks == NULL) {
        js_sim_result_free(out);
        return JS_EXIT_INTERNAL;
    }
    uint64_t inflight_sum = 0;
    for (int a = 0; a < sim->napps; a++) {
        const appctr *c = &sim->app[a];
        uint64_t infl = c->requests - c->completed - c->dropped;
        inflight_sum += infl;
        fill_metrics(c, infl, &out->apps[a]);
    }
    js_hist_reset(&sim->total.h);
    for (int a = 0; a < sim->napps; a++)
        js_hist_merge(&sim->total.h, &sim->app[a].h);
    fill_metrics(&sim->total, sim->in_flight, &out->total);
    /* Conservation: arrivals = completed + dropped + in flight, per app and overall. */
    if (inflight_sum != sim->in_flight ||
        sim->total.requests != sim->total.completed + sim->total.dropped + sim->in_flight)
        return JS_EXIT_INTERNAL;
    out->ntasks = sim->ntasks;
    for (int i = 0; i < sim->ntasks; i++) {
        const taskrt *t = &sim->t[i];
        js_task_metrics *m = &out->tasks[i];
        m->app = t->app;
        m->task = t->task;
        m->variant = t->variant;
        m->workers = t->nup;
        m->items = t->items;
        m->batches = t->batches;
        m->batch_mean = t->batches ? (double)t->items / (double)t->batches : 0;
        m->utilisation = t->wtime_area > 0 ? t->busy_s / t->wtime_area : 0;
        m->queue_ms_mean = t->items ? t->qdelay_sum / (double)t->items * 1e3 : 0;
    }
    out->events = sim->events + sim->inline_events;
    out->heap_events = sim->events;
    out->wall_s = sim->wall_s;
    out->sim_time_s = sim->now;
    out->slices_avg = sim->now > 0 ? sim->slices_area / sim->now : sim->slices_now;
    out->gpus_avg = sim->now > 0 ? sim->gpus_area / sim->now : sim->gpus_now;
    out->items = sim->items_served;
    out->arrival_rate = sim->now > 0 ? (double)sim->total.requests / sim->now : 0;
    out->mean_in_system = sim->now > 0 ? sim->area_n / sim->now : 0;
    out->mean_sojourn_s = sim->departed ? sim->sojourn_sum / (double)sim->departed : 0;
    return 0;
}

void js_sim_result_free(js_sim_result *r)
{
    free(r->apps);
    free(r->tasks);
    r->apps = NULL;
    r->tasks = NULL;
}

/* ---- JSON ------------------------------------------------------------------------- */

static cJSON *app_json(const js_app_metrics *m, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON *lat = cJSON_CreateObject();
    int bad = lat == NULL;
    if (name != NULL)
        bad |= cJSON_AddStringToObject(o, "name", name) == NULL;
    bad |= js_json_add_num_or_null(o, "requests", (double)m->requests) == NULL;
    bad |= js_json_add_num_or_null(o, "completed", (double)m->completed) == NULL;
    bad |= js_json_add_num_or_null(o, "late", (double)m->late) == NULL;
    bad |= js_json_add_num_or_null(o, "dropped", (double)m->dropped) == NULL;
    bad |= js_json_add_num_or_null(o, "in_flight", (double)m->in_flight) == NULL;
    bad |= js_json_add_num_or_null(o, "violation_rate", m->violation_rate) == NULL;
    if (lat != NULL) {
        bad |= js_json_add_num_or_null(lat, "p50", m->latency_ms.p50) == NULL;
        bad |= js_json_add_num_or_null(lat, "p95", m->latency_ms.p95) == NULL;
        bad |= js_json_add_num_or_null(lat, "p99", m->latency_ms.p99) == NULL;
        bad |= js_json_add_num_or_null(lat, "max", m->latency_ms.max) == NULL;
        bad |= js_json_add_num_or_null(lat, "mean", m->latency_ms.mean) == NULL;
        bad |= !cJSON_AddItemToObject(o, "latency_ms", lat);
    }
    bad |= js_json_add_num_or_null(o, "accuracy", m->accuracy) == NULL;
    if (bad) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *js_sim_result_to_json(const js_sim_result *r, const js_scenario *s)
{
    cJSON *root = app_json(&r->total, NULL);
    if (root == NULL)
        return NULL;
    int bad = 0;
    bad |= js_json_add_num_or_null(root, "slices_avg", r->slices_avg) == NULL;
    bad |= js_json_add_num_or_null(root, "gpus_avg", r->gpus_avg) == NULL;
    bad |= js_json_add_num_or_null(root, "events", (double)r->events) == NULL;
    bad |= js_json_add_num_or_null(root, "heap_events", (double)r->heap_events) == NULL;
    bad |= js_json_add_num_or_null(root, "items", (double)r->items) == NULL;
    bad |= js_json_add_num_or_null(root, "sim_time_s", r->sim_time_s) == NULL;
    bad |= js_json_add_num_or_null(root, "arrival_rate", r->arrival_rate) == NULL;
    bad |= js_json_add_num_or_null(root, "mean_in_system", r->mean_in_system) == NULL;
    bad |= js_json_add_num_or_null(root, "mean_sojourn_ms", r->mean_sojourn_s * 1e3) == NULL;
    bad |= js_json_add_num_or_null(root, "latency_rel_error", JS_SIM_LATENCY_REL_ERROR) == NULL;
    cJSON *apps = cJSON_AddArrayToObject(root, "apps");
    cJSON *tasks = cJSON_AddArrayToObject(root, "tasks");
    bad |= apps == NULL || tasks == NULL;
    for (int a = 0; !bad && a < r->napps; a++) {
        cJSON *o = app_json(&r->apps[a], s != NULL && a < s->napps ? s->apps[a].name : NULL);
        bad |= o == NULL || !cJSON_AddItemToArray(apps, o);
    }
    for (int i = 0; !bad && i < r->ntasks; i++) {
        const js_task_metrics *m = &r->tasks[i];
        cJSON *o = cJSON_CreateObject();
        bad |= o == NULL || !cJSON_AddItemToArray(tasks, o);
        if (bad)
            break;
        const js_app *ap = s != NULL && m->app < s->napps ? &s->apps[m->app] : NULL;
        if (ap != NULL) {
            bad |= cJSON_AddStringToObject(o, "app", ap->name) == NULL;
            bad |= cJSON_AddStringToObject(o, "task", ap->tasks[m->task].name) == NULL;
            bad |= cJSON_AddStringToObject(o, "variant",
                                           ap->tasks[m->task].variants[m->variant].name) == NULL;
        }
        bad |= js_json_add_num_or_null(o, "workers", m->workers) == NULL;
        bad |= js_json_add_num_or_null(o, "items", (double)m->items) == NULL;
        bad |= js_json_add_num_or_null(o, "batches", (double)m->batches) == NULL;
        bad |= js_json_add_num_or_null(o, "batch_mean", m->batch_mean) == NULL;
        bad |= js_json_add_num_or_null(o, "utilisation", m->utilisation) == NULL;
        bad |= js_json_add_num_or_null(o, "queue_ms_mean", m->queue_ms_mean) == NULL;
    }
    if (bad) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
