/* A plan's predicted end-to-end latency distribution, from the queueing model (qmodel.c).
 *
 * Every item spawns its children on each out-edge independently, so a request's items
 * form a tree even on a DAG with joins. The completion time of the subtree below one item
 * of task t has CDF G_t = F_t * H_t (convolution), where F_t is the task's item latency
 * and H_t the product over out-edges of E[G_child^N] for the edge's count N, the
 * generating function of the edge's own law (js_edge_count_pgf: exp(-f(1-G)) for Poisson
 * of mean f, G^floor(f) (1 - r + r G) for a fixed fan-out, sum p_k G^k for a histogram).
 * A request completes when the subtrees of all its entry tasks have. Everything is
 * computed on one grid of NGRID points; tasks are assumed independent (items of one
 * request that share a batch are positively correlated, which makes the maximum smaller:
 * the prediction leans to the safe side there).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/dag.h"
#include "jigsaw/qmodel.h"

#define NGRID 4096
/* A tail below this is 0 in 1 - tail (double precision). */
#define QP_TAIL_NEGLIGIBLE 1e-17

typedef struct task_model {
    int nkinds;
    double share[JS_MAX_SEGMENT_KINDS];
    js_qm_dist dist[JS_MAX_SEGMENT_KINDS];
    js_qm_service *sv[JS_MAX_SEGMENT_KINDS]; /* owned */
    double batch_eff;  /* items per batch, throughput-weighted over the kinds */
} task_model;

static void task_model_free(task_model *tm, int n)
{
    for (int t = 0; t < n; t++)
        for (int k = 0; k < tm[t].nkinds; k++)
            free(tm[t].sv[k]);
}

/* Index of dispersion of the items arriving at task t: the children of one parent batch
 * (batch_eff items, each spawning a count N of the edge's law, mean f) arrive together, a
 * group of E[S^2]/E[S] = E[N^2]/f + (batch_eff - 1) f (1 + batch_eff f for Poisson). */
static double arrival_burst(const js_app *a, const int *variant, const double *items, int t,
                            const task_model *tm, const double *burst)
{
    double num = 0.0, den = 0.0;
    for (int e = 0; e < a->nedges; e++) {
        if (a->edges[e].to != t)
            continue;
        int v = variant[a->edges[e].from];
        double f = js_edge_fanout(&a->edges[e], v);
        double w = items[a->edges[e].from] * f;
        /* The parent releases its items in groups: a batch, or, when its own items arrive
         * in larger groups that its workers serve side by side, such a group. (Capping it
         * at a batch per worker measured worse: 2 of 4 chained scenarios missed again.)
         * The children
         * of R parent items (count N each): E[S^2]/E[S] = Var N / f + f E[R^2]/E[R]. */
        int p = a->edges[e].from;
        double release = fmax(fmax(1.0, tm[p].batch_eff), burst[p]);
        double disp = f > 0 ? js_edge_count_ex2(&a->edges[e], v) / f - f + f * release : 1.0;
        num += w * disp;
        den += w;
    }
    return den > 0 ? fmax(1.0, num / den) : 1.0;
}

static int build_task(const js_scenario *s, const js_app *a, const js_task_plan *tp,
                      double rate_items, double burst, task_model *tm, js_diag *d)
{
    const js_profile *prof = a->tasks[tp->task].variants[tp->variant].profile;
    double thr_total = 0.0;
    int workers = 0;
    for (int i = 0; i < tp->nsegments; i++) {
        thr_total += tp->segments[i].count * tp->segments[i].throughput;
        workers += tp->segments[i].count * tp->segments[i].workers;
    }
    memset(tm, 0, sizeof *tm);
    if (!(thr_total > 0))
        return js_diag_set(d, JS_EXIT_DATAERR, "plan: %s/%s has no serving capacity", a->name,
                           a->tasks[tp->task].name);
    double util = rate_items / thr_total;
    for (int i = 0; i < tp->nsegments; i++) {
        const js_segment *sg = &tp->segments[i];
        if (sg->count <= 0)
            continue;
        js_qm_service *sv = malloc(sizeof *sv);
        if (!sv)
            return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        if (js_qm_service_from_profile(prof, sg->mig, sg->workers, sg->batch, sg->lat_mean_ms,
                                       sg->lat_p95_ms, sg->throughput / sg->workers, sv) != 0) {
            free(sv);
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "plan: %s/%s: segment %dg x%d batch %d has no usable latency",
                               a->name, a->tasks[tp->task].name, sg->mig, sg->workers,
                               sg->batch);
        }
        /* JSED pools the task's workers: the kind is modelled as the whole pool made of
         * its own workers, loaded to the task's utilisation. */
        js_qm_load ld = {.rate = util * workers * sv->thr_worker, .workers = workers,
                         .burst = burst};
        int k = tm->nkinds++;
        tm->sv[k] = sv;
        js_qm_dist_make(sv, &ld, &tm->dist[k]);
        tm->share[k] = sg->count * sg->throughput / thr_total;
        tm->batch_eff += tm->share[k] * tm->dist[k].batch_eff;
    }
    (void)s;
    return 0;
}

static double mix_tail(const task_model *tm, double t)
{
    double acc = 0.0;
    for (int k = 0; k < tm->nkinds; k++)
        acc += tm->share[k] * js_qm_tail(&tm->dist[k], t);
    return acc;
}

static double grid_quantile(const double *cdf, double dt, double p)
{
    for (int i = 0; i < NGRID; i++)
        if (cdf[i] >= p) {
            if (i == 0)
                return 0.0;
            double f0 = cdf[i - 1], f1 = cdf[i];
            return dt * (i - 1 + (f1 > f0 ? (p - f0) / (f1 - f0) : 1.0));
        }
    return INFINITY;
}

static int predict_grid(const js_app *a, const int *order, task_model *tm, const int *variant,
                        double dt, double *req, js_diag *d)
{
    double *F = malloc(sizeof(double) * NGRID * (size_t)(2 * a->ntasks + 1));
    if (!F)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    double *G = F + (size_t)NGRID * a->ntasks, *H = G + (size_t)NGRID * a->ntasks;
    /* A task's item latency tail falls with t: past QP_TAIL_NEGLIGIBLE its CDF is 1 to
     * double precision, and neither it nor the convolutions below need the rest of the
     * grid (last[t]: the last point where it is not). */
    int last[JS_MAX_TASKS];
    for (int t = 0; t < a->ntasks; t++) {
        double *ft = F + (size_t)t * NGRID;
        last[t] = -1;
        for (int i = 0; i < NGRID; i++) {
            double tail = tm[t].nkinds && last[t] == i - 1 ? mix_tail(&tm[t], i * dt) : 0.0;
            ft[i] = 1.0 - tail;
            if (tail >= QP_TAIL_NEGLIGIBLE)
                last[t] = i;
        }
    }
    for (int k = a->ntasks - 1; k >= 0; k--) {
        int t = order[k];
        for (int i = 0; i < NGRID; i++)
            H[i] = 1.0;
        for (int e = 0; e < a->nedges; e++) {
            if (a->edges[e].from != t)
                continue;
            const double *gc = G + (size_t)a->edges[e].to * NGRID;
            for (int i = 0; i < NGRID; i++)
                H[i] *= js_edge_count_pgf(&a->edges[e], variant[t], gc[i]);
        }
        const double *ft = F + (size_t)t * NGRID;
        double *gt = G + (size_t)t * NGRID;
        for (int i = 0; i < NGRID; i++) {
            double acc = 0.0, prev = 0.0;
            int top = i < last[t] + 1 ? i : last[t] + 1; /* ft's increments end there */
            for (int j = 0; j <= top; j++) {
                acc += (ft[j] - prev) * H[i - j];
                prev = ft[j];
            }
            gt[i] = acc;
        }
    }
    for (int i = 0; i < NGRID; i++)
        req[i] = 1.0;
    for (int k = 0; k < a->nsources; k++)
        for (int i = 0; i < NGRID; i++)
            req[i] *= G[(size_t)a->sources[k] * NGRID + i];
    free(F);
    return 0;
}

int js_qm_predict_app(const js_scenario *s, const js_plan *p, int app_index, double rate,
                      js_qm_app_prediction *out, js_diag *d)
{
    memset(out, 0, sizeof *out);
    const js_app_plan *ap = NULL;
    for (int i = 0; i < p->napps; i++)
        if (p->apps[i].app == app_index)
            ap = &p->apps[i];
    if (!ap || app_index < 0 || app_index >= s->napps)
        return js_diag_set(d, JS_EXIT_DATAERR, "plan has no application %d", app_index);
    const js_app *a = &s->apps[app_index];
    if (!(rate > 0))
        rate = ap->rate; /* the planned rate, demand scale included */
    int variant[JS_MAX_TASKS] = {0}, order[JS_MAX_TASKS];
    const js_task_plan *tplan[JS_MAX_TASKS] = {0};
    for (int k = 0; k < ap->ntasks; k++) {
        variant[ap->tasks[k].task] = ap->tasks[k].variant;
        tplan[ap->tasks[k].task] = &ap->tasks[k];
    }
    double items[JS_MAX_TASKS];
    js_dag_items_per_request(a, variant, items);
    if (js_dag_topo_order(a, order, d) != 0)
        return JS_EXIT_DATAERR;
    task_model *tm = calloc(JS_MAX_TASKS, sizeof *tm);
    if (!tm)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    out->stable = true;
    double horizon = 4.0 * a->latency_slo_ms;
    double burst[JS_MAX_TASKS];
    for (int t = 0; t < a->ntasks; t++)
        burst[t] = 1.0;
    for (int k = 0; k < a->ntasks; k++) {
        int t = order[k];
        if (!tplan[t] || !(items[t] > 0))
            continue;
        burst[t] = arrival_burst(a, variant, items, t, tm, burst);
        int rc = build_task(s, a, tplan[t], rate * items[t], burst[t], &tm[t], d);
        if (rc != 0) {
            task_model_free(tm, a->ntasks);
            free(tm);
            return rc;
        }
        double hi = 0.0;
        for (int j = 0; j < tm[t].nkinds; j++) {
            out->task_util[t] = tm[t].dist[j].util;
            if (!tm[t].dist[j].stable)
                out->stable = false;
            else
                hi = fmax(hi, js_qm_quantile(&tm[t].dist[j], 0.01));
        }
        out->task_p99_ms[t] = hi;
        out->max_util = fmax(out->max_util, out->task_util[t]);
        if (out->stable)
            horizon = fmax(horizon, 6.0 * hi * a->ntasks);
    }
    if (!out->stable) {
        out->p50_ms = out->p95_ms = out->p99_ms = out->p999_ms = out->mean_ms = INFINITY;
        out->violation_rate = 1.0;
        task_model_free(tm, a->ntasks);
        free(tm);
        return 0;
    }
    double dt = horizon / NGRID;
    double *req = malloc(sizeof(double) * NGRID);
    if (!req) {
        task_model_free(tm, a->ntasks);
        free(tm);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    int rc = predict_grid(a, order, tm, variant, dt, req, d);
    if (rc == 0) {
        out->p50_ms = grid_quantile(req, dt, 0.5);
        out->p95_ms = grid_quantile(req, dt, 0.95);
        out->p99_ms = grid_quantile(req, dt, 0.99);
        out->p999_ms = grid_quantile(req, dt, 0.999);
        double mean = 0.0;
        for (int i = 0; i < NGRID; i++)
            mean += (1.0 - req[i]) * dt;
        out->mean_ms = mean;
        double x = a->latency_slo_ms / dt;
        int i = (int)floor(x);
        double f = i + 1 < NGRID ? req[i] + (req[i + 1] - req[i]) * (x - i) : req[NGRID - 1];
        out->violation_rate = fmax(0.0, 1.0 - f);
    }
    free(req);
    task_model_free(tm, a->ntasks);
    free(tm);
    return rc;
}

int js_qm_annotate_plan(const js_scenario *s, js_plan *p, js_diag *d)
{
    for (int i = 0; i < p->napps; i++) {
        js_app_plan *ap = &p->apps[i];
        ap->predicted_p50_ms = ap->predicted_p99_ms = ap->predicted_violation_rate = NAN;
        for (int k = 0; k < ap->ntasks; k++)
            ap->tasks[k].utilisation = NAN;
        if (!p->feasible || ap->app < 0 || ap->app >= s->napps)
            continue;
        double rate = ap->rate;
        if (!(rate > 0))
            continue;
        js_qm_app_prediction pr;
        int rc = js_qm_predict_app(s, p, ap->app, rate, &pr, d);
        if (rc != 0)
            return rc;
        for (int k = 0; k < ap->ntasks; k++)
            ap->tasks[k].utilisation = pr.task_util[ap->tasks[k].task];
        ap->predicted_p50_ms = pr.p50_ms;
        ap->predicted_p99_ms = pr.p99_ms;
        ap->predicted_violation_rate = pr.violation_rate;
    }
    return 0;
}
