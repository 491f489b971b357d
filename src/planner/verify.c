/* js_plan_verify: an independent checker of a plan against the scenario and the system's
 * rules. It shares no code with the MILP: it re-derives demand, latency, accuracy and
 * placement validity from the scenario, the profiles and the plan alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/planner.h"
#include "jigsaw/qmodel.h"

#define REL_TOL 1e-7

static double fanout_of(const js_edge *e, int v)
{
    if (v >= 0 && v < JS_MAX_VARIANTS && !isnan(e->fanout_by_variant[v]))
        return e->fanout_by_variant[v];
    return e->fanout;
}

static bool entry_task(const js_app *a, int t)
{
    bool has_parent = false;
    for (int e = 0; e < a->nedges; e++)
        has_parent = has_parent || a->edges[e].to == t;
    return !has_parent;
}

/* Items per request reaching task t, by recursion over parents (DAG, small): every
 * entry task (no parents) receives one item per request. */
static double items_to(const js_app *a, const int *var, int t, int depth)
{
    if (entry_task(a, t))
        return 1.0;
    if (depth > JS_MAX_TASKS)
        return NAN; /* cycle */
    double sum = 0.0;
    for (int e = 0; e < a->nedges; e++)
        if (a->edges[e].to == t)
            sum += items_to(a, var, a->edges[e].from, depth + 1) *
                   fanout_of(&a->edges[e], var[a->edges[e].from]);
    return sum;
}

typedef struct path_walk {
    const js_app *a;
    const double *w;
    double worst;             /* heaviest path sum */
    int longest[JS_MAX_TASKS]; /* longest path (tasks) through each task */
    int stack[JS_MAX_TASKS];
    int depth;
    int npaths;
} path_walk;

static void walk(path_walk *pw, int t)
{
    const js_app *a = pw->a;
    if (pw->depth >= JS_MAX_TASKS)
        return;
    pw->stack[pw->depth++] = t;
    bool sink = true;
    for (int e = 0; e < a->nedges; e++)
        if (a->edges[e].from == t) {
            sink = false;
            walk(pw, a->edges[e].to);
        }
    if (sink) {
        double sum = 0.0;
        for (int k = 0; k < pw->depth; k++) {
            sum += pw->w[pw->stack[k]];
            if (pw->depth > pw->longest[pw->stack[k]])
                pw->longest[pw->stack[k]] = pw->depth;
        }
        if (sum > pw->worst)
            pw->worst = sum;
        pw->npaths++;
    }
    pw->depth--;
}

static double stat_of(const js_app *a, const js_profile_entry *e, double factor)
{
    double v;
    if (a->rule.stat == JS_LAT_MEAN)
        v = e->lat_mean_ms;
    else if (!isnan(e->lat_p95_ms))
        v = e->lat_p95_ms;
    else
        v = e->lat_mean_ms * exp(1.6448536269514722 * JS_DEFAULT_LATENCY_SIGMA -
                                 JS_DEFAULT_LATENCY_SIGMA * JS_DEFAULT_LATENCY_SIGMA / 2.0);
    return v * factor;
}

static const js_profile_entry *entry_of(const js_profile *p, int mig, int batch, int workers)
{
    if (!p)
        return NULL;
    for (int i = 0; i < p->nentries; i++)
        if (p->entries[i].available && p->entries[i].mig == mig &&
            p->entries[i].batch == batch && p->entries[i].workers == workers)
            return &p->entries[i];
    return NULL;
}

typedef struct vctx {
    const js_scenario *s;
    const js_plan_request *r;
    const js_plan *p;
    js_diag *d;
    int max_workers;
} vctx;

static int check_task(const vctx *c, int ai, int t, double *task_stat, double *logpas)
{
    const js_app *a = &c->s->apps[ai];
    const js_app_plan *ap = &c->p->apps[ai];
    const js_task_plan *tp = &ap->tasks[t];
    const js_task *task = &a->tasks[t];
    unsigned f = c->r->features;
    if (tp->task != t || tp->variant < 0 || tp->variant >= task->nvariants)
        return js_diag_set(c->d, JS_EXIT_DATAERR, "%s: task %s: invalid variant index %d",
                           a->name, task->name, tp->variant);
    const js_variant *var = &task->variants[tp->variant];
    double best = 0.0;
    for (int v = 0; v < task->nvariants; v++)
        best = fmax(best, task->variants[v].accuracy_norm);
    if (!(f & JS_FEAT_A) && var->accuracy_norm < best * (1.0 - 1e-12))
        return js_diag_set(c->d, JS_EXIT_DATAERR,
                           "%s: task %s: variant %s is not the most accurate (system without A)",
                           a->name, task->name, var->name);
    if (!(f & JS_FEAT_T) &&
        log(var->accuracy_norm) < log(a->accuracy_slo) / a->ntasks - 1e-9)
        return js_diag_set(c->d, JS_EXIT_DATAERR,
                           "%s: task %s: variant %s is below the local accuracy floor",
                           a->name, task->name, var->name);
    *logpas += log(var->accuracy_norm);
    *task_stat = 0.0;
    double factor = c->r->latency_factor > 0.0 ? c->r->latency_factor : 1.0;
    for (int k = 0; k < tp->nsegments; k++) {
        const js_segment *sg = &tp->segments[k];
        const js_profile_entry *e = entry_of(var->profile, sg->mig, sg->batch, sg->workers);
        if (!e || sg->count < 1)
            return js_diag_set(c->d, JS_EXIT_DATAERR,
                               "%s: task %s: segment %dg batch %d x%d workers is not an available "
                               "configuration of %s (or count %d < 1)",
                               a->name, task->name, sg->mig, sg->batch, sg->workers, var->name,
                               sg->count);
        if (c->r->max_batch > 0 && sg->batch > c->r->max_batch)
            return js_diag_set(c->d, JS_EXIT_DATAERR, "%s: task %s: batch %d > the cap %d",
                               a->name, task->name, sg->batch, c->r->max_batch);
        if (sg->workers > c->max_workers)
            return js_diag_set(c->d, JS_EXIT_DATAERR, "%s: task %s: %d MPS workers > %d allowed",
                               a->name, task->name, sg->workers, c->max_workers);
        if (!(f & JS_FEAT_S) &&
            (sg->mig != c->s->cluster.gpu.compute_slices || sg->workers != 1))
            return js_diag_set(c->d, JS_EXIT_DATAERR,
                               "%s: task %s: segment %dg x%d workers, but the system has no "
                               "spatial partitioning", a->name, task->name, sg->mig, sg->workers);
        double thr = e->throughput * e->workers;
        if (fabs(thr - sg->throughput) > REL_TOL * fmax(1.0, thr))
            return js_diag_set(c->d, JS_EXIT_DATAERR,
                               "%s: task %s: segment throughput %.6g, profile says %.6g",
                               a->name, task->name, sg->throughput, thr);
        *task_stat = fmax(*task_stat, stat_of(a, e, factor));
    }
    return 0;
}

static int check_app(const vctx *c, int ai)
{
    const js_app *a = &c->s->apps[ai];
    const js_app_plan *ap = &c->p->apps[ai];
    /* One application's maximum demand scales that application only. */
    double scale = c->p->scaled_app < 0 || c->p->scaled_app == ai ? c->p->demand_scale : 1.0;
    double rate = (c->r->rate_app == ai ? c->r->rate_override : a->rate) * scale;
    if (ap->ntasks != a->ntasks || fabs(ap->rate - rate) > REL_TOL * fmax(1.0, rate))
        return js_diag_set(c->d, JS_EXIT_DATAERR, "%s: plan rate %.6g or tasks %d do not match "
                           "the request (%.6g req/s, %d tasks)", a->name, ap->rate, ap->ntasks,
                           rate, a->ntasks);
    double stat[JS_MAX_TASKS], logpas = 0.0;
    int var[JS_MAX_TASKS];
    for (int t = 0; t < a->ntasks; t++) {
        int rc = check_task(c, ai, t, &stat[t], &logpas);
        if (rc)
            return rc;
        var[t] = ap->tasks[t].variant;
    }
    for (int t = 0; t < a->ntasks; t++) {
        double need = rate * items_to(a, var, t, 0);
        double have = 0.0;
        double util = c->r->max_utilisation > 0.0 ? c->r->max_utilisation : 1.0;
        for (int k = 0; k < ap->tasks[t].nsegments; k++)
            have += ap->tasks[t].segments[k].count * ap->tasks[t].segments[k].throughput;
        if (!(have * util >= need * (1.0 - REL_TOL) - 1e-9))
            return js_diag_set(c->d, JS_EXIT_DATAERR,
                               "%s: task %s: throughput %.3f items/s x max utilisation %g does "
                               "not cover demand %.3f", a->name, a->tasks[t].name, have, util,
                               need);
    }
    path_walk pw;
    memset(&pw, 0, sizeof pw);
    pw.a = a;
    pw.w = stat;
    for (int t = 0; t < a->ntasks; t++)
        if (entry_task(a, t))
            walk(&pw, t);
    double bound = a->rule.slo_fraction * a->latency_slo_ms;
    if (c->r->rule == JS_RULE_SAFE) {
        /* The safe rule's promise, checked end to end by the model, not by the MILP's
         * per-task statistics. */
        js_qm_app_prediction pr;
        int rc = js_qm_predict_app(c->s, c->p, ai, ap->rate, &pr, c->d);
        if (rc != 0)
            return rc;
        double budget = 1.0 - c->r->target_quantile;
        if (!pr.stable || pr.violation_rate > budget * (1.0 + 1e-6))
            return js_diag_set(c->d, JS_EXIT_DATAERR,
                               "%s: predicted violation rate %.4f%% exceeds the target's %.4f%%",
                               a->name, 100.0 * pr.violation_rate, 100.0 * budget);
        if ((c->r->features & JS_FEAT_T) && logpas < log(a->accuracy_slo) - 1e-9)
            return js_diag_set(c->d, JS_EXIT_DATAERR, "%s: PAS %.6f below the accuracy SLO %.6f",
                               a->name, exp(logpas), a->accuracy_slo);
    } else if (c->r->features & JS_FEAT_T) {
        if (pw.worst > bound + 1e-9)
            return js_diag_set(c->d, JS_EXIT_DATAERR,
                               "%s: a path needs %.3f ms, the latency rule allows %.3f ms",
                               a->name, pw.worst, bound);
        if (logpas < log(a->accuracy_slo) - 1e-9)
            return js_diag_set(c->d, JS_EXIT_DATAERR, "%s: PAS %.6f below the accuracy SLO %.6f",
                               a->name, exp(logpas), a->accuracy_slo);
    } else {
        for (int t = 0; t < a->ntasks; t++)
            if (pw.longest[t] > 0 && stat[t] > bound / pw.longest[t] + 1e-9)
                return js_diag_set(c->d, JS_EXIT_DATAERR,
                                   "%s: task %s: %.3f ms exceeds its local budget %.3f ms",
                                   a->name, a->tasks[t].name, stat[t], bound / pw.longest[t]);
    }
    if (fabs(exp(logpas) - ap->pas) > 1e-9)
        return js_diag_set(c->d, JS_EXIT_DATAERR, "%s: reported PAS %.9f, actual %.9f", a->name,
                           ap->pas, exp(logpas));
    return 0;
}

/* One GPU: starts allowed, no overlap on the memory axis, compute slices within budget. */
static int check_gpu(const vctx *c, int gi)
{
    const js_gpu_type *g = &c->s->cluster.gpu;
    const js_gpu_plan *gp = &c->p->gpus[gi];
    unsigned long long mem = 0;
    int compute = 0;
    if (gp->ninstances < 0 || gp->ninstances > JS_MAX_INSTANCES_PER_GPU)
        return js_diag_set(c->d, JS_EXIT_DATAERR, "GPU %d: %d instances", gi, gp->ninstances);
    for (int k = 0; k < gp->ninstances; k++) {
        const js_instance *in = &gp->inst[k];
        if (in->profile < 0 || in->profile >= g->nprofiles)
            return js_diag_set(c->d, JS_EXIT_DATAERR, "GPU %d: bad MIG profile", gi);
        const js_mig_profile *mp = &g->profiles[in->profile];
        bool ok = false;
        for (int i = 0; i < mp->nstarts; i++)
            ok = ok || mp->starts[i] == in->start;
        if (!ok || in->start + mp->memory_slices > g->memory_slices)
            return js_diag_set(c->d, JS_EXIT_DATAERR, "GPU %d: %s may not start at %d", gi,
                               mp->name, in->start);
        unsigned long long bits = ((1ull << mp->memory_slices) - 1ull) << in->start;
        if (mem & bits)
            return js_diag_set(c->d, JS_EXIT_DATAERR, "GPU %d: %s at %d overlaps", gi, mp->name,
                               in->start);
        mem |= bits;
        compute += mp->compute_slices;
    }
    if (compute > g->compute_slices)
        return js_diag_set(c->d, JS_EXIT_DATAERR, "GPU %d: %d compute slices > %d", gi, compute,
                           g->compute_slices);
    return 0;
}

/* Every instance matches a segment and every segment's count is placed exactly. */
static int check_instances(const vctx *c)
{
    const js_plan *p = c->p;
    const js_gpu_type *g = &c->s->cluster.gpu;
    int slices = 0, used = 0;
    for (int gi = 0; gi < p->ngpus; gi++) {
        int rc = check_gpu(c, gi);
        if (rc)
            return rc;
        used += p->gpus[gi].ninstances > 0;
        for (int k = 0; k < p->gpus[gi].ninstances; k++)
            slices += g->profiles[p->gpus[gi].inst[k].profile].compute_slices;
    }
    for (int ai = 0; ai < p->napps; ai++)
        for (int t = 0; t < p->apps[ai].ntasks; t++) {
            const js_task_plan *tp = &p->apps[ai].tasks[t];
            for (int k = 0; k < tp->nsegments; k++) {
                const js_segment *sg = &tp->segments[k];
                int placed = 0;
                for (int gi = 0; gi < p->ngpus; gi++)
                    for (int j = 0; j < p->gpus[gi].ninstances; j++) {
                        const js_instance *in = &p->gpus[gi].inst[j];
                        if (in->app == ai && in->task == t && in->variant == tp->variant &&
                            g->profiles[in->profile].compute_slices == sg->mig &&
                            in->batch == sg->batch && in->workers == sg->workers)
                            placed++;
                    }
                int same = 0; /* duplicate segment kinds would be double counted */
                for (int k2 = 0; k2 < tp->nsegments; k2++)
                    if (tp->segments[k2].mig == sg->mig && tp->segments[k2].batch == sg->batch &&
                        tp->segments[k2].workers == sg->workers)
                        same += tp->segments[k2].count;
                if (placed != same)
                    return js_diag_set(c->d, JS_EXIT_DATAERR,
                                       "%s: task %s: %d instances of %dg batch %d x%d placed, "
                                       "segments say %d", c->s->apps[ai].name,
                                       c->s->apps[ai].tasks[t].name, placed, sg->mig, sg->batch,
                                       sg->workers, same);
            }
        }
    int total = 0;
    for (int ai = 0; ai < p->napps; ai++)
        for (int t = 0; t < p->apps[ai].ntasks; t++)
            for (int k = 0; k < p->apps[ai].tasks[t].nsegments; k++)
                total += p->apps[ai].tasks[t].segments[k].count;
    int ninst = 0;
    for (int gi = 0; gi < p->ngpus; gi++)
        ninst += p->gpus[gi].ninstances;
    if (ninst != total)
        return js_diag_set(c->d, JS_EXIT_DATAERR, "%d instances placed, segments count %d",
                           ninst, total);
    if (slices != p->slices_used || used != p->gpus_used)
        return js_diag_set(c->d, JS_EXIT_DATAERR,
                           "plan reports %d slices on %d GPUs, its layouts use %d on %d",
                           p->slices_used, p->gpus_used, slices, used);
    return 0;
}

/* The plan's worker processes within the cluster's CPU cores, when it states them. */
static int check_cores(const js_scenario *s, const js_plan *p, int G, js_diag *d)
{
    long cores = js_cluster_cpu_cores(&s->cluster, G), workers = 0;
    if (cores <= 0)
        return 0;
    for (int a = 0; a < p->napps; a++)
        for (int t = 0; t < p->apps[a].ntasks; t++)
            for (int k = 0; k < p->apps[a].tasks[t].nsegments; k++) {
                const js_segment *sg = &p->apps[a].tasks[t].segments[k];
                workers += (long)sg->count * sg->workers;
            }
    if (workers > cores)
        return js_diag_set(d, JS_EXIT_DATAERR, "plan runs %ld worker processes, the cluster "
                           "has %ld CPU cores", workers, cores);
    return 0;
}

int js_plan_verify(const js_scenario *s, const js_plan_request *r, const js_plan *p,
                   js_diag *d)
{
    vctx c = {s, r, p, d, s->cluster.max_workers};
    if (s->cluster.gpu.max_mps_workers > 0 && s->cluster.gpu.max_mps_workers < c.max_workers)
        c.max_workers = s->cluster.gpu.max_mps_workers;
    int G = r->gpus > 0 ? r->gpus : s->cluster.gpus;
    if (!p->feasible)
        return js_diag_set(d, JS_EXIT_DATAERR, "plan is not feasible");
    if (p->napps != s->napps || (p->napps > 0 && !p->apps))
        return js_diag_set(d, JS_EXIT_DATAERR, "plan has %d applications, scenario %d",
                           p->napps, s->napps);
    if (p->ngpus > G)
        return js_diag_set(d, JS_EXIT_DATAERR, "plan uses %d GPUs, cluster has %d", p->ngpus, G);
    for (int ai = 0; ai < s->napps; ai++) {
        int rc = check_app(&c, ai);
        if (rc)
            return rc;
    }
    int rc = check_cores(s, p, G, d);
    return rc != 0 ? rc : check_instances(&c);
}
