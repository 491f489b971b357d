/* result_json: the simulator's results as JSON (js_sim_result_to_json in sim.h).
 * Only simulated quantities: wall-clock time is left out so that the same inputs and seed
 * give byte-identical output. */
#include <math.h>
#include "jigsaw/sim.h"

static cJSON *num(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static int add_num(cJSON *o, const char *k, double v)
{
    cJSON *n = num(v);
    return n != NULL && cJSON_AddItemToObject(o, k, n) ? 0 : -1;
}

static cJSON *app_json(const js_app_metrics *m, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON *lat = cJSON_CreateObject();
    int bad = lat == NULL;
    if (name != NULL)
        bad |= cJSON_AddStringToObject(o, "name", name) == NULL;
    bad |= add_num(o, "requests", (double)m->requests);
    bad |= add_num(o, "completed", (double)m->completed);
    bad |= add_num(o, "late", (double)m->late);
    bad |= add_num(o, "dropped", (double)m->dropped);
    bad |= add_num(o, "in_flight", (double)m->in_flight);
    bad |= add_num(o, "violation_rate", m->violation_rate);
    if (lat != NULL) {
        bad |= add_num(lat, "p50", m->latency_ms.p50);
        bad |= add_num(lat, "p95", m->latency_ms.p95);
        bad |= add_num(lat, "p99", m->latency_ms.p99);
        bad |= add_num(lat, "max", m->latency_ms.max);
        bad |= add_num(lat, "mean", m->latency_ms.mean);
        bad |= !cJSON_AddItemToObject(o, "latency_ms", lat);
    }
    bad |= add_num(o, "accuracy", m->accuracy);
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
    bad |= add_num(root, "slices_avg", r->slices_avg);
    bad |= add_num(root, "gpus_avg", r->gpus_avg);
    bad |= add_num(root, "events", (double)r->events);
    bad |= add_num(root, "heap_events", (double)r->heap_events);
    bad |= add_num(root, "items", (double)r->items);
    bad |= add_num(root, "sim_time_s", r->sim_time_s);
    bad |= add_num(root, "arrival_rate", r->arrival_rate);
    bad |= add_num(root, "mean_in_system", r->mean_in_system);
    bad |= add_num(root, "mean_sojourn_ms", r->mean_sojourn_s * 1e3);
    bad |= add_num(root, "latency_rel_error", JS_SIM_LATENCY_REL_ERROR);
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
        bad |= add_num(o, "workers", m->workers);
        bad |= add_num(o, "items", (double)m->items);
        bad |= add_num(o, "batches", (double)m->batches);
        bad |= add_num(o, "batch_mean", m->batch_mean);
        bad |= add_num(o, "utilisation", m->utilisation);
        bad |= add_num(o, "queue_ms_mean", m->queue_ms_mean);
    }
    if (bad) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
