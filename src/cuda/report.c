/* Validation report: measured (real-time run) against simulated (jigsaw simulate) figures,
 * with the relative error of each statistic, as JSON and Markdown. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "jigsaw/gpubackend.h"
#include "jigsaw/jsonio.h"

double js_rel_error(double measured, double simulated)
{
    if (!isfinite(measured) || !isfinite(simulated))
        return NAN;
    if (simulated == 0)
        return measured == 0 ? 0.0 : NAN;
    return (measured - simulated) / simulated;
}

static const cJSON *member(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static double number_or_nan(const cJSON *o, const char *key)
{
    const cJSON *v = member(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

int js_validate_metrics_from_sim_json(const char *file, const cJSON *root, const js_app *a,
                                      int app, js_validate_metrics *out, js_diag *d)
{
    memset(out, 0, sizeof *out);
    const cJSON *res = member(root, "result"); /* a wrapper object, if any */
    if (!res)
        res = root;
    const cJSON *apps = member(res, "apps");
    const cJSON *m = cJSON_IsArray(apps) ? cJSON_GetArrayItem(apps, app) : NULL;
    if (!m)
        m = member(res, "total");
    if (!m)
        m = res;
    out->violation_rate = number_or_nan(m, "violation_rate");
    const cJSON *lat = member(m, "latency_ms");
    out->p50_ms = number_or_nan(lat, "p50");
    out->p95_ms = number_or_nan(lat, "p95");
    out->p99_ms = number_or_nan(lat, "p99");
    out->mean_ms = number_or_nan(lat, "mean");
    const char *const counts[] = {"requests", "completed", "late", "dropped"};
    uint64_t *dst[] = {&out->requests, &out->completed, &out->late, &out->dropped};
    for (int i = 0; i < 4; i++) {
        double v = number_or_nan(m, counts[i]);
        *dst[i] = isfinite(v) && v >= 0 ? (uint64_t)v : 0;
    }
    if (!isfinite(out->violation_rate) || !isfinite(out->p95_ms))
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "%s: $.apps[%d]: needs violation_rate and latency_ms.p95 (output "
                           "of jigsaw simulate --json)",
                           file, app);
    out->ntasks = a->ntasks < JS_VALIDATE_MAX_TASKS ? a->ntasks : JS_VALIDATE_MAX_TASKS;
    for (int t = 0; t < out->ntasks; t++)
        out->util[t] = NAN;
    const cJSON *tasks = member(res, "tasks");
    const cJSON *tj;
    cJSON_ArrayForEach(tj, tasks)
    {
        const cJSON *an = member(tj, "app"), *tn = member(tj, "task");
        if (!cJSON_IsString(tn) || (cJSON_IsString(an) && strcmp(an->valuestring, a->name)))
            continue;
        int t = js_app_task_by_name(a, tn->valuestring);
        if (t >= 0 && t < out->ntasks)
            out->util[t] = number_or_nan(tj, "utilisation");
    }
    return 0;
}

void js_validate_metrics_from_sim(const js_sim_result *r, int app, int ntasks,
                                  js_validate_metrics *out)
{
    memset(out, 0, sizeof *out);
    const js_app_metrics *m = app < r->napps ? &r->apps[app] : &r->total;
    out->requests = m->requests;
    out->completed = m->completed;
    out->late = m->late;
    out->dropped = m->dropped;
    out->violation_rate = m->violation_rate;
    out->p50_ms = m->latency_ms.p50;
    out->p95_ms = m->latency_ms.p95;
    out->p99_ms = m->latency_ms.p99;
    out->mean_ms = m->latency_ms.mean;
    out->duration_s = r->sim_time_s;
    out->ntasks = ntasks < JS_VALIDATE_MAX_TASKS ? ntasks : JS_VALIDATE_MAX_TASKS;
    for (int t = 0; t < out->ntasks; t++)
        out->util[t] = NAN;
    for (int i = 0; i < r->ntasks; i++) {
        const js_task_metrics *tm = &r->tasks[i];
        if (tm->app != app || tm->task < 0 || tm->task >= out->ntasks)
            continue;
        out->util[tm->task] = tm->utilisation;
        out->items[tm->task] = tm->items;
        out->mean_batch[tm->task] = tm->batch_mean;
    }
}

int js_validate_simulate(const js_scenario *s, const js_plan *p, const js_arrival_spec *spec,
                         const js_validate_config *c, js_validate_metrics *out, js_diag *d)
{
    js_sim_config sc;
    js_sim_config_init(&sc);
    sc.seed = c->seed;
    sc.duration_s = c->duration_s;
    sc.dispatch = c->dispatch;
    sc.service = JS_SERVICE_LOGNORMAL;
    sc.batch_timeout_ms = c->batch_timeout_ms;
    sc.early_drop = c->early_drop;
    /* The backend's own rules (validate.c): the item's task alone, and Poisson or the
     * rounded mean on every edge, so that both sides replay the same semantics. */
    sc.drop_rule = JS_DROP_LOCAL;
    sc.fanout = c->poisson_fanout ? JS_SIM_FANOUT_POISSON : JS_SIM_FANOUT_MEAN;
    js_arrivals **arr = calloc((size_t)s->napps, sizeof *arr);
    if (!arr)
        return js_diag_set(d, JS_EXIT_INTERNAL, "validate: out of memory");
    int rc = js_arrivals_open(spec, &arr[c->app], d);
    js_sim *sim = NULL;
    if (rc == 0)
        rc = js_sim_create(s, p, &sc, arr, &sim, d);
    if (rc == 0)
        rc = js_sim_run(sim, d);
    if (rc == 0) {
        js_sim_result r;
        memset(&r, 0, sizeof r);
        rc = js_sim_result_get(sim, &r);
        if (rc != 0)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "validate: simulator result unavailable");
        else
            js_validate_metrics_from_sim(&r, c->app, s->apps[c->app].ntasks, out);
        js_sim_result_free(&r);
    }
    js_sim_destroy(sim);
    if (arr[c->app])
        js_arrivals_close(arr[c->app]);
    free(arr);
    return rc;
}

static cJSON *stat_json(double measured, double simulated)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    js_json_add_num_or_null(o, "measured", measured);
    js_json_add_num_or_null(o, "simulated", simulated);
    js_json_add_num_or_null(o, "rel_error", js_rel_error(measured, simulated));
    return o;
}

cJSON *js_validate_compare_json(const js_validate_metrics *me, const js_validate_metrics *si,
                                const js_app *a, const char *device_desc)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "app", a->name);
    cJSON_AddStringToObject(root, "device", device_desc ? device_desc : "");
    cJSON_AddNumberToObject(root, "latency_slo_ms", a->latency_slo_ms);
    cJSON_AddNumberToObject(root, "requests", (double)me->requests);
    cJSON_AddNumberToObject(root, "completed", (double)me->completed);
    cJSON_AddNumberToObject(root, "late", (double)me->late);
    cJSON_AddNumberToObject(root, "dropped", (double)me->dropped);
    cJSON_AddNumberToObject(root, "duration_s", me->duration_s);
    cJSON *st = cJSON_AddObjectToObject(root, "statistics");
    if (!st) {
        cJSON_Delete(root);
        return NULL;
    }
    const char *names[] = {"violation_rate", "p50_ms", "p95_ms", "p99_ms", "mean_ms"};
    double mv[] = {me->violation_rate, me->p50_ms, me->p95_ms, me->p99_ms, me->mean_ms};
    double sv[] = {si ? si->violation_rate : NAN, si ? si->p50_ms : NAN,
                   si ? si->p95_ms : NAN, si ? si->p99_ms : NAN, si ? si->mean_ms : NAN};
    for (int i = 0; i < 5; i++)
        cJSON_AddItemToObject(st, names[i], stat_json(mv[i], sv[i]));
    cJSON *tasks = cJSON_AddArrayToObject(root, "tasks");
    for (int t = 0; tasks && t < me->ntasks && t < a->ntasks; t++) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddStringToObject(o, "task", a->tasks[t].name);
        cJSON_AddItemToObject(o, "utilisation",
                              stat_json(me->util[t], si && t < si->ntasks ? si->util[t] : NAN));
        cJSON_AddNumberToObject(o, "items", (double)me->items[t]);
        cJSON_AddNumberToObject(o, "mean_batch", me->mean_batch[t]);
        cJSON_AddNumberToObject(o, "mean_batch_ms", me->batch_ms[t]);
        cJSON_AddItemToArray(tasks, o);
    }
    return root;
}

/* Append formatted text to a growing buffer; returns -1 on allocation failure. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

__attribute__((format(printf, 2, 3))) static int sb_printf(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return -1;
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return 0;
        }
        size_t ncap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
        char *ns = realloc(b->s, ncap);
        if (!ns)
            return -1;
        b->s = ns;
        b->cap = ncap;
    }
}

static void fmt_num(char *buf, size_t n, double v, int prec)
{
    if (isfinite(v))
        snprintf(buf, n, "%.*f", prec, v);
    else
        snprintf(buf, n, "n/a");
}

static int md_row(sbuf *b, const char *name, double m, double s, int prec)
{
    char bm[32], bs[32], be[32];
    fmt_num(bm, sizeof bm, m, prec);
    fmt_num(bs, sizeof bs, s, prec);
    double e = js_rel_error(m, s);
    if (isfinite(e))
        snprintf(be, sizeof be, "%+.1f%%", 100.0 * e);
    else
        snprintf(be, sizeof be, "n/a");
    return sb_printf(b, "| %s | %s | %s | %s |\n", name, bm, bs, be);
}

char *js_validate_compare_markdown(const js_validate_metrics *me,
                                   const js_validate_metrics *si, const js_app *a,
                                   const char *device_desc)
{
    sbuf b = {0};
    int rc = sb_printf(&b, "# Validation of app '%s' on %s\n\n", a->name,
                       device_desc ? device_desc : "(device)");
    rc |= sb_printf(&b,
                    "%llu requests over %.1f s (SLO %.0f ms): %llu completed, %llu late, "
                    "%llu dropped.\n\n",
                    (unsigned long long)me->requests, me->duration_s, a->latency_slo_ms,
                    (unsigned long long)me->completed, (unsigned long long)me->late,
                    (unsigned long long)me->dropped);
    rc |= sb_printf(&b, "| statistic | measured | simulated | relative error |\n"
                        "|---|---|---|---|\n");
    rc |= md_row(&b, "violation rate", me->violation_rate, si ? si->violation_rate : NAN,
                 4);
    rc |= md_row(&b, "p50 latency (ms)", me->p50_ms, si ? si->p50_ms : NAN, 2);
    rc |= md_row(&b, "p95 latency (ms)", me->p95_ms, si ? si->p95_ms : NAN, 2);
    rc |= md_row(&b, "p99 latency (ms)", me->p99_ms, si ? si->p99_ms : NAN, 2);
    for (int t = 0; t < me->ntasks && t < a->ntasks; t++) {
        char name[128];
        snprintf(name, sizeof name, "utilisation of %s", a->tasks[t].name);
        rc |= md_row(&b, name, me->util[t], si && t < si->ntasks ? si->util[t] : NAN, 3);
    }
    if (rc != 0) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* ------------------------------------------------------------------ profile comparison */

static double median_of(double *v, int n)
{
    if (n <= 0)
        return NAN;
    gsl_sort(v, 1, (size_t)n);
    return gsl_stats_median_from_sorted_data(v, 1, (size_t)n);
}

cJSON *js_profile_compare_json(const js_profile *a, const js_profile *b)
{
    cJSON *root = cJSON_CreateObject();
    double *ea = malloc(sizeof *ea * (size_t)(a->nentries + 1));
    double *el = malloc(sizeof *el * (size_t)(a->nentries + 1));
    cJSON *rows = root ? cJSON_AddArrayToObject(root, "entries") : NULL;
    if (!root || !ea || !el || !rows) {
        cJSON_Delete(root);
        free(ea);
        free(el);
        return NULL;
    }
    int n = 0;
    for (int i = 0; i < a->nentries; i++) {
        const js_profile_entry *x = &a->entries[i];
        const js_profile_entry *y = NULL;
        for (int j = 0; j < b->nentries && !y; j++)
            if (b->entries[j].available && b->entries[j].mig == x->mig &&
                b->entries[j].batch == x->batch && b->entries[j].workers == x->workers)
                y = &b->entries[j];
        if (!x->available || !y)
            continue;
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddNumberToObject(o, "mig", x->mig);
        cJSON_AddNumberToObject(o, "batch", x->batch);
        cJSON_AddNumberToObject(o, "workers", x->workers);
        js_json_add_num_or_null(o, "throughput", x->throughput);
        js_json_add_num_or_null(o, "ref_throughput", y->throughput);
        js_json_add_num_or_null(o, "lat_mean_ms", x->lat_mean_ms);
        js_json_add_num_or_null(o, "ref_lat_mean_ms", y->lat_mean_ms);
        double et = js_rel_error(x->throughput, y->throughput);
        double elat = js_rel_error(x->lat_mean_ms, y->lat_mean_ms);
        js_json_add_num_or_null(o, "throughput_rel_error", et);
        js_json_add_num_or_null(o, "latency_rel_error", elat);
        cJSON_AddItemToArray(rows, o);
        if (isfinite(et) && isfinite(elat)) {
            ea[n] = fabs(et) * 100.0;
            el[n] = fabs(elat) * 100.0;
            n++;
        }
    }
    cJSON_AddStringToObject(root, "model", a->model);
    cJSON_AddStringToObject(root, "gpu", a->gpu);
    cJSON_AddStringToObject(root, "reference_gpu", b->gpu);
    cJSON_AddNumberToObject(root, "matched", n);
    js_json_add_num_or_null(root, "median_ape_throughput_pct", median_of(ea, n));
    js_json_add_num_or_null(root, "median_ape_latency_pct", median_of(el, n));
    free(ea);
    free(el);
    return root;
}
