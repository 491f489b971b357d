/* Demand predictors for the controller, and plan helpers for re-planning. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "jigsaw/study.h"

static const struct {
    const char *name;
    js_predictor_kind kind;
} predictor_names[] = {
    {"last5", JS_PRED_LAST5},
    {"last5-max", JS_PRED_LAST5},
    {"last5-mean", JS_PRED_LAST5_MEAN},
    {"ewma", JS_PRED_EWMA},
    {"oracle", JS_PRED_ORACLE},
    {"quantile", JS_PRED_QUANTILE},
};

int js_predictor_parse(const char *name, js_predictor_kind *out)
{
    for (size_t i = 0; i < sizeof predictor_names / sizeof predictor_names[0]; i++)
        if (strcasecmp(name, predictor_names[i].name) == 0) {
            *out = predictor_names[i].kind;
            return 0;
        }
    return -1;
}

const char *js_predictor_name(js_predictor_kind k)
{
    switch (k) {
    case JS_PRED_LAST5: return "last5";
    case JS_PRED_LAST5_MEAN: return "last5-mean";
    case JS_PRED_EWMA: return "ewma";
    case JS_PRED_ORACLE: return "oracle";
    case JS_PRED_QUANTILE: return "quantile";
    }
    return "?";
}

void js_predictor_init(js_predictor *p, js_predictor_kind kind, double alpha)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->alpha = (alpha > 0.0 && alpha <= 1.0) ? alpha : 0.5;
    p->quantile = JS_DEFAULT_PRED_QUANTILE;
}

void js_predictor_set_quantile(js_predictor *p, double quantile)
{
    if (quantile > 0.0 && quantile <= 1.0)
        p->quantile = quantile;
}

static double recent_quantile(const js_predictor *p)
{
    int m = p->n < JS_PRED_QWINDOW ? p->n : JS_PRED_QWINDOW;
    double sorted[JS_PRED_QWINDOW];
    memcpy(sorted, p->qwindow, (size_t)m * sizeof *sorted);
    gsl_sort(sorted, 1, (size_t)m);
    return gsl_stats_quantile_from_sorted_data(sorted, 1, (size_t)m, p->quantile);
}

void js_predictor_observe(js_predictor *p, double rate)
{
    p->window[p->n % JS_PRED_WINDOW] = rate;
    p->qwindow[p->n % JS_PRED_QWINDOW] = rate;
    p->ewma = p->n == 0 ? rate : p->alpha * rate + (1.0 - p->alpha) * p->ewma;
    p->n++;
}

double js_predictor_predict(const js_predictor *p, double oracle_next)
{
    if (p->kind == JS_PRED_ORACLE || p->n == 0)
        return oracle_next;
    int m = p->n < JS_PRED_WINDOW ? p->n : JS_PRED_WINDOW;
    switch (p->kind) {
    case JS_PRED_LAST5: {
        double best = p->window[0];
        for (int i = 1; i < m; i++)
            if (p->window[i] > best)
                best = p->window[i];
        return best;
    }
    case JS_PRED_LAST5_MEAN: {
        double sum = 0.0;
        for (int i = 0; i < m; i++)
            sum += p->window[i];
        return sum / m;
    }
    case JS_PRED_EWMA:
        return p->ewma;
    case JS_PRED_QUANTILE:
        return recent_quantile(p);
    case JS_PRED_ORACLE:
        break;
    }
    return oracle_next;
}

/* ---- plan helpers ------------------------------------------------------------------ */

static int cmp_inst_layout(const void *a, const void *b)
{
    const js_instance *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->profile < y->profile ? -1 : x->profile > y->profile;
}

static int cmp_inst_full(const void *a, const void *b)
{
    int c = cmp_inst_layout(a, b);
    if (c)
        return c;
    const js_instance *x = a, *y = b;
    const int kx[] = {x->app, x->task, x->variant, x->batch, x->workers};
    const int ky[] = {y->app, y->task, y->variant, y->batch, y->workers};
    for (int i = 0; i < 5; i++)
        if (kx[i] != ky[i])
            return kx[i] < ky[i] ? -1 : 1;
    return 0;
}

static bool gpu_equal(const js_gpu_plan *a, const js_gpu_plan *b,
                      int (*cmp)(const void *, const void *))
{
    if (a->ninstances != b->ninstances)
        return false;
    js_instance x[JS_MAX_INSTANCES_PER_GPU], y[JS_MAX_INSTANCES_PER_GPU];
    int n = a->ninstances;
    if (n <= 0 || n > JS_MAX_INSTANCES_PER_GPU)
        return n == 0;
    memcpy(x, a->inst, (size_t)n * sizeof x[0]);
    memcpy(y, b->inst, (size_t)n * sizeof y[0]);
    qsort(x, (size_t)n, sizeof x[0], cmp);
    qsort(y, (size_t)n, sizeof y[0], cmp);
    for (int i = 0; i < n; i++)
        if (cmp(&x[i], &y[i]) != 0)
            return false;
    return true;
}

bool js_gpu_same_layout(const js_gpu_plan *a, const js_gpu_plan *b)
{
    return gpu_equal(a, b, cmp_inst_layout);
}

bool js_gpu_same_contents(const js_gpu_plan *a, const js_gpu_plan *b)
{
    return gpu_equal(a, b, cmp_inst_full);
}

bool js_gpu_keeps_layout(const js_gpu_plan *old, const js_gpu_plan *next)
{
    for (int i = 0; i < next->ninstances; i++) {
        bool found = false;
        for (int k = 0; k < old->ninstances && !found; k++)
            found = cmp_inst_layout(&old->inst[k], &next->inst[i]) == 0;
        if (!found)
            return false;
    }
    return true;
}

static const js_gpu_plan empty_gpu;

static const js_gpu_plan *gpu_at(const js_plan *p, int i)
{
    return (p && i < p->ngpus) ? &p->gpus[i] : &empty_gpu;
}

int js_plan_align_gpus(const js_plan *prev, js_plan *next, int ngpus)
{
    int n = ngpus;
    if (next->ngpus > n)
        n = next->ngpus;
    if (prev && prev->ngpus > n)
        n = prev->ngpus;
    js_gpu_plan *out = calloc((size_t)n, sizeof *out);
    bool *slot_used = calloc((size_t)n, sizeof *slot_used);
    bool *placed = calloc((size_t)(next->ngpus > 0 ? next->ngpus : 1), sizeof *placed);
    if (!out || !slot_used || !placed) {
        free(out);
        free(slot_used);
        free(placed);
        return -1;
    }
    /* Empty new GPUs carry nothing; only non-empty ones are placed. */
    for (int j = 0; j < next->ngpus; j++)
        placed[j] = next->gpus[j].ninstances == 0;
    /* Pass 0: identical contents; pass 1: identical MIG layout (workers may change);
     * pass 2: a subset of the instances there (the rest retire; no re-layout);
     * pass 3: slots that were empty before (a new layout disturbs no tenant);
     * pass 4: anything left. */
    for (int pass = 0; pass < 5; pass++) {
        for (int j = 0; j < next->ngpus; j++) {
            if (placed[j])
                continue;
            for (int i = 0; i < n; i++) {
                if (slot_used[i])
                    continue;
                const js_gpu_plan *old = gpu_at(prev, i);
                bool ok = pass == 0   ? (old->ninstances > 0 &&
                                         js_gpu_same_contents(old, &next->gpus[j]))
                          : pass == 1 ? (old->ninstances > 0 &&
                                         js_gpu_same_layout(old, &next->gpus[j]))
                          : pass == 2 ? (old->ninstances > 0 &&
                                         js_gpu_keeps_layout(old, &next->gpus[j]))
                          : pass == 3 ? old->ninstances == 0
                                      : true;
                if (!ok)
                    continue;
                out[i] = next->gpus[j];
                slot_used[i] = true;
                placed[j] = true;
                break;
            }
        }
    }
    free(slot_used);
    free(placed);
    free(next->gpus);
    next->gpus = out;
    next->ngpus = n;
    return 0;
}

int js_plan_count_relayouts(const js_plan *prev, const js_plan *next)
{
    int n = next->ngpus;
    if (prev && prev->ngpus > n)
        n = prev->ngpus;
    int changed = 0;
    for (int i = 0; i < n; i++)
        if (!js_gpu_keeps_layout(gpu_at(prev, i), gpu_at(next, i)))
            changed++;
    return changed;
}
