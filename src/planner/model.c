/* The planning model: per task the variants a system may use, the configurations
 * (instance types) it may use after dominance pruning, budgets and demand bounds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/util.h"
#include "planner_internal.h"
#include "jigsaw/qmodel.h"

/* Safe rule: the utilisation levels offered with every configuration. Finer near 1,
 * where the queueing term changes fastest; the planner picks the cheapest level whose
 * latency quantile fits (the issue of discrete levels: docs/queueing-model.md). */
static const double safe_levels[] = {0.4, 0.6, 0.72, 0.8, 0.86, 0.9, 0.93, 0.95, 0.97,
                                     0.985};
#define NSAFE_LEVELS ((int)(sizeof safe_levels / sizeof safe_levels[0]))
#define SAFE_QUANTUM 0.01

static double rule_stat(const js_app *a, const js_profile_entry *e)
{
    if (a->rule.stat == JS_LAT_MEAN)
        return e->lat_mean_ms;
    if (!isnan(e->lat_p95_ms))
        return e->lat_p95_ms;
    /* No measured tail: the documented default dispersion (profile.h). */
    double s = JS_DEFAULT_LATENCY_SIGMA;
    return e->lat_mean_ms * exp(1.6448536269514722 * s - s * s / 2.0);
}

/* Can an instance of profile `big` always be replaced by one of `small` in place? */
static bool substitutable(const js_gpu_type *g, int small, int big)
{
    if (small == big)
        return true;
    const js_mig_profile *ps = &g->profiles[small], *pb = &g->profiles[big];
    if (ps->memory_slices > pb->memory_slices || ps->compute_slices > pb->compute_slices)
        return false;
    for (int i = 0; i < pb->nstarts; i++) {
        bool found = false;
        for (int j = 0; j < ps->nstarts; j++)
            if (ps->starts[j] == pb->starts[i])
                found = true;
        if (!found)
            return false;
    }
    return true;
}

/* c' dominates c: never worse in slices, throughput or latency (nor, when the cluster
 * states its CPU cores, in worker processes), placeable wherever c is; exact duplicates
 * keep the lower index. */
static bool dominates(const js_gpu_type *g, const pl_cfg *b, int ib, const pl_cfg *c, int ic,
                      bool use_stat, bool use_workers)
{
    if (b->variant != c->variant || b->slices > c->slices || b->cost > c->cost ||
        b->thr < c->thr ||
        (use_stat && b->stat > c->stat) || (use_workers && b->workers > c->workers) ||
        !substitutable(g, b->prof, c->prof))
        return false;
    bool equal = b->slices == c->slices && b->cost == c->cost && b->thr == c->thr &&
                 (!use_stat || b->stat == c->stat) && (!use_workers || b->workers == c->workers);
    if (equal && !use_stat && b->stat != c->stat)
        return b->stat < c->stat; /* same cost and throughput: keep the faster */
    return !equal || ib < ic;
}

/* Drop dominated configurations. With use_stat false (the latency rule cannot bind for
 * this task: every configuration left fits any combination) latency is no criterion. */
static int prune_dominated(const pl_model *m, pl_task *pt, bool use_stat)
{
    const js_gpu_type *g = m->g;
    /* Fewer worker processes is worth something only against a core limit. */
    bool use_workers = js_cluster_cpu_cores(&m->s->cluster, m->gpus) > 0;
    bool *dead = calloc((size_t)pt->ncfg + 1, sizeof *dead);
    if (!dead)
        return -1;
    for (int i = 0; i < pt->ncfg; i++)
        for (int j = 0; j < pt->ncfg && !dead[i]; j++)
            if (j != i && !dead[j] &&
                dominates(g, &pt->cfg[j], j, &pt->cfg[i], i, use_stat, use_workers))
                dead[i] = true;
    int k = 0;
    for (int i = 0; i < pt->ncfg; i++)
        if (!dead[i])
            pt->cfg[k++] = pt->cfg[i];
    pt->ncfg = k;
    free(dead);
    return 0;
}

static void choose_variants(const pl_model *m, const pl_app *pa, const js_task *task,
                            pl_task *pt)
{
    const js_app *a = pa->a;
    double best = 0.0;
    for (int v = 0; v < task->nvariants; v++)
        if (task->variants[v].accuracy_norm > best)
            best = task->variants[v].accuracy_norm;
    pt->acc_floor = 0.0;
    if (!(m->feat & JS_FEAT_T))
        pt->acc_floor = pow(a->accuracy_slo, 1.0 / a->ntasks);
    pt->nallowed = 0;
    for (int v = 0; v < task->nvariants; v++) {
        double acc = task->variants[v].accuracy_norm;
        pt->logacc[v] = log(acc);
        bool ok = acc > 0.0;
        if (!(m->feat & JS_FEAT_A) && acc < best * (1.0 - 1e-12))
            ok = false;
        pt->allowed_sys[v] = ok;
        if (!(m->feat & JS_FEAT_T) && pt->logacc[v] < log(pt->acc_floor) - PL_LOG_EPS)
            ok = false;
        pt->allowed[v] = ok;
        pt->nallowed += ok;
    }
}

/* Safe rule: one configuration per utilisation level, its statistic the model's
 * quantile of the slowest of the request's items at the task. A level is offered only
 * while it fits the task's budget. */
static void add_safe_configs(const pl_model *m, const pl_app *pa, pl_task *pt,
                             const js_task *task, int v, int prof, const js_profile_entry *e)
{
    /* Statistics are rounded up to SAFE_QUANTUM of the SLO: a few dozen distinct levels
     * per task instead of one per configuration keep the MILP's latency staircase small,
     * at a cost of at most that share of the SLO per task (on the safe side). */
    double quantum = SAFE_QUANTUM * pa->a->latency_slo_ms;
    js_qm_service sv;
    if (e->batch > JS_QM_MAX_BATCH)
        return;
    double p95 = e->lat_p95_ms;
    if (isnan(p95)) /* the documented default dispersion (profile.h) */
        p95 = js_latency_p95_from_mean(e->lat_mean_ms, JS_DEFAULT_LATENCY_SIGMA);
    if (js_qm_service_from_profile(task->variants[v].profile, e->mig, e->workers, e->batch,
                                   e->lat_mean_ms, p95, e->throughput, &sv) != 0)
        return;
    double eps = js_qm_fanin_eps(m->tail, pt->fanin);
    for (int k = 0; k < NSAFE_LEVELS; k++) {
        double u = safe_levels[k];
        if (u > m->max_util + 1e-12)
            break;
        /* The workers of one instance: JSED pools every instance of the task, so a task
         * with several instances waits less than this (the safe side). */
        js_qm_load ld = {.rate = u * e->workers * e->throughput, .workers = e->workers,
                         .burst = pt->burst};
        js_qm_dist dist;
        if (!js_qm_dist_make(&sv, &ld, &dist))
            break;
        double stat = js_qm_quantile(&dist, eps) * m->latency_factor;
        if (!isfinite(stat))
            break;
        stat = ceil(stat / quantum - 1e-9) * quantum;
        if (stat < pt->minstat_raw[v])
            pt->minstat_raw[v] = stat;
        if (!pt->allowed[v] || stat > pt->budget_ms + PL_MS_EPS)
            break; /* higher levels only wait longer */
        pl_cfg *c = &pt->cfg[pt->ncfg++];
        c->variant = v;
        c->prof = prof;
        c->slices = m->g->profiles[prof].compute_slices;
        c->cost = m->profile_cost ? m->profile_cost[prof] : c->slices;
        c->batch = e->batch;
        c->workers = e->workers;
        c->thr_profiled = e->throughput * e->workers;
        c->thr = c->thr_profiled * u;
        c->util = u;
        c->stat = stat;
        c->lat_mean = e->lat_mean_ms;
        c->lat_p95 = p95;
    }
}

static int collect_configs(const pl_model *m, const pl_app *pa, const js_task *task,
                           pl_task *pt)
{
    const js_gpu_type *g = m->g;
    int cap = 0;
    for (int v = 0; v < task->nvariants; v++)
        if (pt->allowed_sys[v] && task->variants[v].profile)
            cap += task->variants[v].profile->nentries;
    if (m->rule == JS_RULE_SAFE)
        cap *= NSAFE_LEVELS;
    pt->cfg = calloc((size_t)cap + 1, sizeof *pt->cfg);
    if (!pt->cfg)
        return -1;
    pt->ncfg = 0;
    for (int v = 0; v < task->nvariants; v++) {
        const js_profile *pr = task->variants[v].profile;
        pt->minstat_raw[v] = INFINITY;
        if (!pt->allowed_sys[v] || !pr)
            continue;
        for (int i = 0; i < pr->nentries; i++) {
            const js_profile_entry *e = &pr->entries[i];
            if (!e->available || e->workers < 1 || e->workers > m->max_workers || e->batch < 1 ||
                (m->max_batch > 0 && e->batch > m->max_batch))
                continue;
            int prof = js_gpu_profile_by_slices(g, e->mig);
            if (prof < 0)
                continue;
            if (!(m->feat & JS_FEAT_S) && (prof != m->full_prof || e->workers != 1))
                continue;
            double thr = e->throughput * e->workers;
            if (m->rule == JS_RULE_SAFE) { /* its own statistics, per utilisation level */
                if (thr > 0.0 && isfinite(thr))
                    add_safe_configs(m, pa, pt, task, v, prof, e);
                continue;
            }
            double stat = rule_stat(pa->a, e) * m->latency_factor;
            if (!(thr > 0.0) || !isfinite(thr) || !(stat >= 0.0) || !isfinite(stat))
                continue;
            if (stat < pt->minstat_raw[v])
                pt->minstat_raw[v] = stat;
            if (!pt->allowed[v] || stat > pt->budget_ms + PL_MS_EPS)
                continue;
            pl_cfg *c = &pt->cfg[pt->ncfg++];
            c->variant = v;
            c->prof = prof;
            c->slices = g->profiles[prof].compute_slices;
            c->cost = m->profile_cost ? m->profile_cost[prof] : c->slices;
            c->batch = e->batch;
            c->workers = e->workers;
            c->thr = thr * m->max_util;
            c->thr_profiled = thr;
            c->util = m->max_util;
            c->stat = stat;
            c->lat_mean = e->lat_mean_ms;
            c->lat_p95 = isnan(e->lat_p95_ms) ? rule_stat(pa->a, e) : e->lat_p95_ms;
            if (pa->a->rule.stat == JS_LAT_MEAN && isnan(e->lat_p95_ms))
                c->lat_p95 = NAN;
        }
    }
    pt->ncfg_raw = pt->ncfg;
    return prune_dominated(m, pt, true);
}

static double task_min_stat(const pl_task *pt)
{
    double best = INFINITY;
    for (int i = 0; i < pt->ncfg; i++)
        if (pt->cfg[i].stat < best)
            best = pt->cfg[i].stat;
    return isinf(best) ? 0.0 : best;
}

static double task_max_stat(const pl_task *pt)
{
    double worst = 0.0;
    for (int i = 0; i < pt->ncfg; i++)
        if (pt->cfg[i].stat > worst)
            worst = pt->cfg[i].stat;
    return worst;
}

/* Heaviest path weight through each task (inclusive) for per-task weights w. */
static void heaviest_through(const js_app *a, const int *order, const double *w, double *thr)
{
    double down[JS_MAX_TASKS], up[JS_MAX_TASKS];
    for (int k = 0; k < a->ntasks; k++) {
        int t = order[k];
        double best = 0.0;
        for (int e = 0; e < a->nedges; e++)
            if (a->edges[e].to == t && down[a->edges[e].from] > best)
                best = down[a->edges[e].from];
        down[t] = best + w[t];
    }
    for (int k = a->ntasks - 1; k >= 0; k--) {
        int t = order[k];
        double best = 0.0;
        for (int e = 0; e < a->nedges; e++)
            if (a->edges[e].from == t && up[a->edges[e].to] > best)
                best = up[a->edges[e].to];
        up[t] = best + w[t];
    }
    for (int t = 0; t < a->ntasks; t++)
        thr[t] = down[t] + up[t] - w[t];
}

/* T on: drop configurations that cannot fit even when every other task on their
 * heaviest path runs its fastest configuration, and variants that cannot reach the PAS
 * floor even with the best variants elsewhere; decide which constraints may bind. */
static int tighten_joint(pl_app *pa)
{
    const js_app *a = pa->a;
    double minw[JS_MAX_TASKS] = {0}, maxw[JS_MAX_TASKS] = {0}, through[JS_MAX_TASKS] = {0};
    double maxlog = 0.0, minlog = 0.0;
    for (int t = 0; t < a->ntasks; t++) {
        pl_task *pt = &pa->t[t];
        double hi = -INFINITY, lo = INFINITY;
        for (int v = 0; v < a->tasks[t].nvariants; v++)
            if (pt->allowed[v]) {
                hi = fmax(hi, pt->logacc[v]);
                lo = fmin(lo, pt->logacc[v]);
            }
        maxlog += hi;
        minlog += lo;
    }
    for (int t = 0; t < a->ntasks; t++) {
        pl_task *pt = &pa->t[t];
        double hi = -INFINITY;
        for (int v = 0; v < a->tasks[t].nvariants; v++)
            if (pt->allowed[v])
                hi = fmax(hi, pt->logacc[v]);
        for (int v = 0; v < a->tasks[t].nvariants; v++)
            if (pt->allowed[v] && pt->logacc[v] + (maxlog - hi) < pa->log_floor - PL_LOG_EPS) {
                pt->allowed[v] = false;
                pt->nallowed--;
            }
        int k = 0;
        for (int i = 0; i < pt->ncfg; i++)
            if (pt->allowed[pt->cfg[i].variant])
                pt->cfg[k++] = pt->cfg[i];
        pt->ncfg = k;
    }
    pa->pas_active = minlog < pa->log_floor - PL_LOG_EPS;
    for (int t = 0; t < a->ntasks; t++)
        minw[t] = task_min_stat(&pa->t[t]);
    heaviest_through(a, pa->order, minw, through);
    for (int t = 0; t < a->ntasks; t++) {
        pl_task *pt = &pa->t[t];
        double room = pa->bound_ms - (through[t] - minw[t]);
        int k = 0;
        for (int i = 0; i < pt->ncfg; i++)
            if (pt->cfg[i].stat <= room + PL_MS_EPS)
                pt->cfg[k++] = pt->cfg[i];
        pt->ncfg = k;
    }
    for (int t = 0; t < a->ntasks; t++)
        maxw[t] = task_max_stat(&pa->t[t]);
    heaviest_through(a, pa->order, maxw, through);
    pa->latency_active = false;
    for (int t = 0; t < a->ntasks; t++)
        if (through[t] > pa->bound_ms + PL_MS_EPS)
            pa->latency_active = true;
    for (int t = 0; t < a->ntasks; t++)
        pa->t[t].need_u = pa->latency_active;
    return 0;
}

static void demand_structure(pl_app *pa)
{
    const js_app *a = pa->a;
    for (int t = 0; t < a->ntasks; t++) {
        pl_task *pt = &pa->t[t];
        pt->var_fanout = false;
        for (int e = 0; e < a->nedges; e++) {
            if (a->edges[e].from != t)
                continue;
            double f0 = NAN;
            for (int v = 0; v < a->tasks[t].nvariants; v++) {
                if (!pt->allowed[v])
                    continue;
                double f = js_edge_fanout(&a->edges[e], v);
                if (isnan(f0))
                    f0 = f;
                else if (f != f0)
                    pt->var_fanout = true;
            }
        }
    }
    for (int t = 0; t < a->ntasks; t++)
        pa->t[t].items_max = pa->t[t].items_min = pl_is_source(a, t) ? 1.0 : 0.0;
    for (int k = 0; k < a->ntasks; k++) {
        int t = pa->order[k];
        for (int e = 0; e < a->nedges; e++) {
            if (a->edges[e].to != t)
                continue;
            int p = a->edges[e].from;
            double fmaxv = 0.0, fminv = INFINITY;
            for (int v = 0; v < a->tasks[p].nvariants; v++)
                if (pa->t[p].allowed[v]) {
                    fmaxv = fmax(fmaxv, js_edge_fanout(&a->edges[e], v));
                    fminv = fmin(fminv, js_edge_fanout(&a->edges[e], v));
                }
            pa->t[t].items_max += pa->t[p].items_max * fmaxv;
            pa->t[t].items_min += pa->t[p].items_min * (isinf(fminv) ? 0.0 : fminv);
        }
    }
}

double pl_task_demand_max(const pl_model *m, const pl_app *pa, int t)
{
    return pa->rate * m->scale * pa->t[t].items_max;
}

void pl_model_set_scale(pl_model *m, double scale)
{
    m->scale = scale;
    for (int i = 0; i < m->napps; i++) {
        pl_app *pa = &m->apps[i];
        for (int t = 0; t < pa->a->ntasks; t++) {
            pl_task *pt = &pa->t[t];
            double dmax = pl_task_demand_max(m, pa, t);
            for (int c = 0; c < pt->ncfg; c++) {
                pl_cfg *cf = &pt->cfg[c];
                double cap = (double)m->gpus * m->per_gpu_max[cf->prof];
                double need = dmax > 0.0 ? ceil(dmax / cf->thr * (1.0 - 1e-12)) : 0.0;
                cf->maxn = (int)fmin(need, cap);
            }
        }
    }
}

/* Safe rule: items per request reaching each task and how bursty their arrivals are,
 * with the largest fan-out any of the system's variants has (the safe side). */
static void safe_fanin(pl_app *pa)
{
    const js_app *a = pa->a;
    for (int k = 0; k < a->ntasks; k++) {
        int t = pa->order[k];
        pl_task *pt = &pa->t[t];
        pt->fanin = pl_is_source(a, t) ? 1.0 : 0.0;
        pt->burst = 1.0;
        for (int e = 0; e < a->nedges; e++) {
            if (a->edges[e].to != t)
                continue;
            int p = a->edges[e].from;
            double f = 0.0, disp = 1.0;
            for (int v = 0; v < a->tasks[p].nvariants; v++)
                if (pa->t[p].allowed_sys[v]) {
                    double fv = js_edge_fanout(&a->edges[e], v);
                    f = fmax(f, fv);
                    /* Children of a group of the parent's items (index D_p) released
                     * together: Var N / f + f D_p (qpredict.c, arrival_burst). */
                    if (fv > 0)
                        disp = fmax(disp, js_edge_count_ex2(&a->edges[e], v) / fv - fv +
                                              fv * pa->t[p].burst);
                }
            pt->fanin += pa->t[p].fanin * f;
            pt->burst = fmax(pt->burst, disp);
        }
    }
}

static int build_app(pl_model *m, pl_app *pa, const js_app *a, double rate, js_diag *d)
{
    pa->a = a;
    pa->rate = rate;
    pa->bound_ms = m->rule == JS_RULE_SAFE ? a->latency_slo_ms
                                           : a->rule.slo_fraction * a->latency_slo_ms;
    pa->log_floor = log(a->accuracy_slo);
    if (js_dag_topo_order(a, pa->order, d) != 0)
        return JS_EXIT_DATAERR;
    js_dag_longest_path_through(a, pa->len_through);
    for (int t = 0; t < a->ntasks; t++)
        choose_variants(m, pa, &a->tasks[t], &pa->t[t]);
    safe_fanin(pa);
    for (int t = 0; t < a->ntasks; t++) {
        pl_task *pt = &pa->t[t];
        if (m->deadline > 0.0 && js_now_s() >= m->deadline)
            return js_diag_set(d, JS_EXIT_TIMELIMIT,
                               "no plan found within the time limit (it ran out while the "
                               "model was built; nothing proven: a larger --time-limit may "
                               "find one)");
        pt->budget_ms = (m->feat & JS_FEAT_T) ? pa->bound_ms : pa->bound_ms / pa->len_through[t];
        if (collect_configs(m, pa, &a->tasks[t], pt) != 0)
            return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    if (m->feat & JS_FEAT_T)
        tighten_joint(pa);
    for (int t = 0; t < a->ntasks; t++)
        if (!pa->t[t].need_u && prune_dominated(m, &pa->t[t], false) != 0)
            return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    demand_structure(pa);
    return 0;
}

int pl_model_build(pl_model *m, const js_scenario *s, const js_plan_request *r, double scale,
                   js_diag *d)
{
    memset(m, 0, sizeof *m);
    m->s = s;
    m->g = &s->cluster.gpu;
    m->feat = r->features & 7u;
    m->gpus = r->gpus > 0 ? r->gpus : s->cluster.gpus;
    m->max_workers = s->cluster.max_workers;
    if (m->g->max_mps_workers > 0 && m->g->max_mps_workers < m->max_workers)
        m->max_workers = m->g->max_mps_workers;
    m->latency_factor = r->latency_factor > 0.0 ? r->latency_factor : 1.0;
    m->max_util = r->max_utilisation > 0.0 ? r->max_utilisation : 1.0;
    m->max_batch = r->max_batch;
    m->deadline = pl_request_deadline(r);
    m->rule = r->rule;
    m->tail = 1.0 - (r->target_quantile > 0.5 && r->target_quantile < 1.0 ? r->target_quantile
                                                                           : 0.99);
    if (m->max_batch < 0)
        return js_diag_set(d, JS_EXIT_USAGE, "max batch must be >= 0, got %d", m->max_batch);
    if (m->max_util > 1.0)
        return js_diag_set(d, JS_EXIT_USAGE, "max utilisation must be in (0, 1], got %g",
                           m->max_util);
    m->profile_cost = r->profile_cost && r->cost_per_gpu > 0 ? r->profile_cost : NULL;
    m->cost_per_gpu = m->profile_cost ? r->cost_per_gpu : m->g->compute_slices;
    m->full_prof = js_gpu_profile_by_slices(m->g, m->g->compute_slices);
    if (m->full_prof < 0)
        return js_diag_set(d, JS_EXIT_DATAERR, "GPU type %s has no whole-GPU MIG profile",
                           m->g->name);
    if (pl_enumerate_layouts(m->g, &m->layouts, &m->nlayouts) != 0)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    for (int l = 0; l < m->nlayouts; l++)
        for (int p = 0; p < m->g->nprofiles; p++)
            if (m->layouts[l].count[p] > m->per_gpu_max[p])
                m->per_gpu_max[p] = m->layouts[l].count[p];
    m->napps = s->napps;
    m->apps = calloc((size_t)s->napps + 1, sizeof *m->apps);
    if (!m->apps)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    for (int i = 0; i < s->napps; i++) {
        double rate = (r->rate_app == i) ? r->rate_override : s->apps[i].rate;
        int rc = build_app(m, &m->apps[i], &s->apps[i], rate, d);
        if (rc != 0)
            return rc;
    }
    pl_model_set_scale(m, scale);
    return 0;
}

void pl_model_free(pl_model *m)
{
    if (m->apps)
        for (int i = 0; i < m->napps; i++)
            for (int t = 0; t < JS_MAX_TASKS; t++) {
                free(m->apps[i].t[t].cfg);
                free(m->apps[i].t[t].lev);
                free(m->apps[i].t[t].col_lev);
            }
    free(m->apps);
    free(m->layouts);
    memset(m, 0, sizeof *m);
}
