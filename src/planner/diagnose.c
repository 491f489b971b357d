/* Why an input cannot be planned, in a planner's words, computed directly from the
 * profiles and SLOs (not from the solver's infeasibility). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "planner_internal.h"

static const char *stat_name(const js_app *a)
{
    return a->rule.stat == JS_LAT_MEAN ? "mean" : "p95";
}

static bool task_has_demand(const pl_app *pa, int t)
{
    return pa->rate > 0.0 && pa->t[t].items_max > 0.0;
}

static int system_reason(const pl_model *m, char *buf, size_t n)
{
    if (!(m->feat & JS_FEAT_S))
        return snprintf(buf, n, " (system %s: whole GPU, one worker)", js_system_name(m->feat));
    return snprintf(buf, n, " (at most %d MPS workers)", m->max_workers);
}

/* A task whose variants have no configuration the system allows at all. */
static int check_configs(const pl_model *m, const pl_app *pa, js_diag *d)
{
    const js_app *a = pa->a;
    for (int t = 0; t < a->ntasks; t++) {
        if (!task_has_demand(pa, t))
            continue;
        bool any = false;
        for (int v = 0; v < a->tasks[t].nvariants; v++)
            if (pa->t[t].allowed_sys[v] && isfinite(pa->t[t].minstat_raw[v]))
                any = true;
        if (!any) {
            char why[128];
            system_reason(m, why, sizeof why);
            return js_diag_set(d, JS_EXIT_INFEASIBLE,
                               "%s: task %s: no profiled configuration of its %s is usable on %s%s",
                               a->name, a->tasks[t].name,
                               (m->feat & JS_FEAT_A) ? "variants" : "most accurate variant",
                               m->g->name, why);
        }
    }
    return 0;
}

/* T off: every task has a variant above its local accuracy floor and a configuration
 * within its local latency budget. */
static int check_local(const pl_model *m, const pl_app *pa, js_diag *d)
{
    const js_app *a = pa->a;
    for (int t = 0; t < a->ntasks; t++) {
        const pl_task *pt = &pa->t[t];
        if (pt->nallowed == 0) {
            double best = 0.0;
            for (int v = 0; v < a->tasks[t].nvariants; v++)
                best = fmax(best, a->tasks[t].variants[v].accuracy_norm);
            return js_diag_set(d, JS_EXIT_INFEASIBLE,
                               "%s: task %s: no variant reaches the local accuracy floor %.4f "
                               "(= accuracy SLO %.3f ^ (1/%d tasks)); its best reaches %.4f",
                               a->name, a->tasks[t].name, pt->acc_floor, a->accuracy_slo,
                               a->ntasks, best);
        }
        if (!task_has_demand(pa, t) || pt->ncfg > 0)
            continue;
        double fastest = INFINITY;
        for (int v = 0; v < a->tasks[t].nvariants; v++)
            if (pt->allowed[v])
                fastest = fmin(fastest, pt->minstat_raw[v]);
        if (m->rule == JS_RULE_SAFE)
            return js_diag_set(d, JS_EXIT_INFEASIBLE,
                               "%s: task %s: its fastest allowed configuration needs %.1f ms "
                               "(safe rule: latency quantile of the slowest of %.3g items per "
                               "request, waiting + service at the lowest utilisation level) but "
                               "its local latency budget is %.0f ms / %d tasks on its longest "
                               "path = %.1f ms", a->name, a->tasks[t].name, fastest, pt->fanin,
                               a->latency_slo_ms, pa->len_through[t], pt->budget_ms);
        return js_diag_set(d, JS_EXIT_INFEASIBLE,
                           "%s: task %s: its fastest allowed configuration needs %.1f ms (%s "
                           "batch latency) but its local latency budget is %.2f x %.0f ms / %d "
                           "tasks on its longest path = %.1f ms",
                           a->name, a->tasks[t].name, fastest, stat_name(a),
                           a->rule.slo_fraction, a->latency_slo_ms, pa->len_through[t],
                           pt->budget_ms);
    }
    return 0;
}

typedef struct joint_best {
    double lat;          /* heaviest path of the fastest combination meeting the floor */
    int var[JS_MAX_TASKS];
    double best_logpas;  /* best reachable log PAS */
} joint_best;

static double heaviest_path(const pl_app *pa, const double *w, js_path *which)
{
    js_path paths[JS_MAX_PATHS];
    int np = js_dag_paths(pa->a, paths, JS_MAX_PATHS);
    double worst = 0.0;
    for (int k = 0; k < np; k++) {
        double sum = 0.0;
        for (int j = 0; j < paths[k].len; j++)
            sum += w[paths[k].tasks[j]];
        if (sum > worst || k == 0) {
            worst = sum;
            if (which)
                *which = paths[k];
        }
    }
    return worst;
}

/* Enumerate variant combinations (bounded) for the fastest one meeting the PAS floor. */
static void enumerate_joint(const pl_app *pa, int t, int *var, double logpas, joint_best *jb,
                            long *budget)
{
    const js_app *a = pa->a;
    if (--*budget < 0)
        return;
    if (t == a->ntasks) {
        jb->best_logpas = fmax(jb->best_logpas, logpas);
        if (logpas < pa->log_floor - PL_LOG_EPS)
            return;
        double w[JS_MAX_TASKS] = {0};
        for (int k = 0; k < a->ntasks; k++)
            w[k] = task_has_demand(pa, k) ? pa->t[k].minstat_raw[var[k]] : 0.0;
        double lat = heaviest_path(pa, w, NULL);
        if (lat < jb->lat) {
            jb->lat = lat;
            memcpy(jb->var, var, sizeof jb->var);
        }
        return;
    }
    for (int v = 0; v < a->tasks[t].nvariants; v++) {
        const pl_task *pt = &pa->t[t];
        if (!pt->allowed_sys[v])
            continue;
        if (task_has_demand(pa, t) && !isfinite(pt->minstat_raw[v]))
            continue;
        var[t] = v;
        enumerate_joint(pa, t + 1, var, logpas + pt->logacc[v], jb, budget);
    }
}

static int check_joint(const pl_model *m, const pl_app *pa, js_diag *d)
{
    const js_app *a = pa->a;
    joint_best jb;
    int var[JS_MAX_TASKS] = {0};
    long budget = 2000000;
    jb.lat = INFINITY;
    jb.best_logpas = -INFINITY;
    enumerate_joint(pa, 0, var, 0.0, &jb, &budget);
    if (budget < 0)
        return 0; /* too many combinations to explain; the solver decides */
    if (jb.best_logpas < pa->log_floor - PL_LOG_EPS)
        return js_diag_set(d, JS_EXIT_INFEASIBLE,
                           "%s: the best reachable PAS is %.4f, below the accuracy SLO %.4f%s",
                           a->name, exp(jb.best_logpas), a->accuracy_slo,
                           (m->feat & JS_FEAT_A) ? "" : " (system without accuracy scaling)");
    if (jb.lat > pa->bound_ms + PL_MS_EPS) {
        double w[JS_MAX_TASKS] = {0};
        js_path path;
        char names[512] = "";
        for (int k = 0; k < a->ntasks; k++)
            w[k] = task_has_demand(pa, k) ? pa->t[k].minstat_raw[jb.var[k]] : 0.0;
        heaviest_path(pa, w, &path);
        for (int j = 0; j < path.len; j++) {
            size_t len = strlen(names);
            snprintf(names + len, sizeof names - len, "%s%s", j ? " -> " : "",
                     a->tasks[path.tasks[j]].name);
        }
        if (m->rule == JS_RULE_SAFE)
            return js_diag_set(d, JS_EXIT_INFEASIBLE,
                               "%s: fastest path meeting PAS >= %.3f needs %.1f ms of the %.0f "
                               "ms latency SLO (safe rule: sum of per-task latency quantiles, "
                               "waiting + service of the slowest of a request's items, on %s)",
                               a->name, a->accuracy_slo, jb.lat, a->latency_slo_ms, names);
        return js_diag_set(d, JS_EXIT_INFEASIBLE,
                           "%s: fastest path meeting PAS >= %.3f needs %.1f ms of the %.0f ms "
                           "latency SLO (sum of %s batch latencies on %s = %.1f ms; the rule "
                           "allows %.2f x %.0f ms = %.1f ms)",
                           a->name, a->accuracy_slo, jb.lat / a->rule.slo_fraction,
                           a->latency_slo_ms, stat_name(a), names, jb.lat,
                           a->rule.slo_fraction, a->latency_slo_ms, pa->bound_ms);
    }
    return 0;
}

/* Every task with demand runs at least one worker process: more such tasks than the
 * cluster's stated CPU cores can never fit (docs/host-model.md). */
static int check_cores(const pl_model *m, js_diag *d)
{
    long cores = js_cluster_cpu_cores(&m->s->cluster, m->gpus), need = 0;
    if (cores <= 0)
        return 0;
    for (int i = 0; i < m->napps; i++)
        for (int t = 0; t < m->apps[i].a->ntasks; t++)
            need += task_has_demand(&m->apps[i], t);
    if (need > cores)
        return js_diag_set(d, JS_EXIT_INFEASIBLE,
                           "%ld tasks need at least one worker process each, the cluster of %d "
                           "GPUs has %ld CPU cores (cluster.cpu_cores_per_node, --cpu-cores)",
                           need, m->gpus, cores);
    return 0;
}

int pl_diagnose_slos(const pl_model *m, js_diag *d)
{
    int crc = check_cores(m, d);
    if (crc != 0)
        return crc;
    for (int i = 0; i < m->napps; i++) {
        const pl_app *pa = &m->apps[i];
        int rc = check_configs(m, pa, d);
        if (rc == 0)
            rc = (m->feat & JS_FEAT_T) ? check_joint(m, pa, d) : check_local(m, pa, d);
        if (rc != 0)
            return rc;
    }
    return 0;
}

double pl_slices_lower_bound(const pl_model *m)
{
    double total = 0.0;
    for (int i = 0; i < m->napps; i++) {
        const pl_app *pa = &m->apps[i];
        const js_app *a = pa->a;
        double items[JS_MAX_TASKS];
        for (int t = 0; t < a->ntasks; t++)
            items[t] = pl_is_source(a, t) ? 1.0 : 0.0;
        for (int k = 0; k < a->ntasks; k++) {
            int t = pa->order[k];
            for (int e = 0; e < a->nedges; e++) {
                if (a->edges[e].to != t)
                    continue;
                int p = a->edges[e].from;
                double fmin_v = INFINITY;
                for (int v = 0; v < a->tasks[p].nvariants; v++)
                    if (pa->t[p].allowed[v])
                        fmin_v = fmin(fmin_v, js_edge_fanout(&a->edges[e], v));
                items[t] += items[p] * (isinf(fmin_v) ? 0.0 : fmin_v);
            }
        }
        for (int t = 0; t < a->ntasks; t++) {
            double dem = pa->rate * m->scale * items[t];
            double best = 0.0;
            for (int c = 0; c < pa->t[t].ncfg; c++)
                best = fmax(best, pa->t[t].cfg[c].thr / pa->t[t].cfg[c].slices);
            if (dem > 0.0 && best > 0.0)
                total += ceil(dem / best - 1e-9);
        }
    }
    return total;
}
