/* sim_plan: from a plan to running workers, at the start and on every plan swap.
 *
 * Service classes (the latency of each batch size a configuration can form, from the
 * plan's segments or the variant's profile, and the lognormal fitted to its mean and p95),
 * instantiation of a plan's instances as workers (or of its segments, for plans without
 * placements), the plan's accuracy and resources, and js_sim_apply_plan: identical
 * instances on a GPU with an unchanged layout keep running, changed ones retire or go down
 * for the re-layout time, and their items are re-dispatched. Semantics ("Plan swaps",
 * "Service time"): src/sim/NOTES.md. */
#include <math.h>

#include "sim_internal.h"

/* ---- service classes -------------------------------------------------------------- */

/* mean = exp(zeta + s^2/2), p95 = exp(zeta + z95 s). */
static void lognormal_fit(double z95, double mean, double p95, double *zeta, double *sigma)
{
    double s = js_lognormal_sigma(z95, mean, p95);
    *sigma = s;
    *zeta = log(mean) - 0.5 * s * s;
}

static const js_segment *find_segment(const js_plan *p, int app, int task, int mig, int batch,
                                      int workers)
{
    for (int a = 0; a < p->napps; a++) {
        const js_app_plan *ap = &p->apps[a];
        if (ap->app != app)
            continue;
        for (int k = 0; k < ap->ntasks; k++) {
            const js_task_plan *tp = &ap->tasks[k];
            if (tp->task != task)
                continue;
            for (int i = 0; i < tp->nsegments; i++) {
                const js_segment *sg = &tp->segments[i];
                if (sg->mig == mig && sg->batch == batch && sg->workers == workers)
                    return sg;
            }
        }
    }
    return NULL;
}

/* Class for (app, task, variant, mig, batch, workers); reuses an identical one. */
static int class_get(js_sim *sim, const js_plan *p, int app, int task, int variant, int mig,
                     int batch, int workers, js_diag *d)
{
    for (int i = 0; i < sim->ncls; i++) {
        const wclass *c = &sim->cls[i];
        if (c->app == app && c->task == task && c->variant == variant && c->mig == mig &&
            c->batch == batch && c->workers == workers && c->plan_gen == sim->plan_gen)
            return i;
    }
    const js_app *ap = &sim->s->apps[app];
    const js_variant *var = &ap->tasks[task].variants[variant];
    const js_segment *sg = find_segment(p, app, task, mig, batch, workers);
    const js_profile_entry *pe = js_profile_find_at_least(var->profile, mig, batch, workers);
    double mean_ms, p95_ms, thr, host_ms;
    if (sg != NULL && sg->lat_mean_ms > 0) {
        mean_ms = sg->lat_mean_ms;
        p95_ms = sg->lat_p95_ms;
        thr = sg->throughput > 0 ? sg->throughput / workers : 0;
        host_ms = js_host_ms(&var->host, batch);
    } else if (pe != NULL && pe->batch == batch) {
        mean_ms = pe->lat_mean_ms;
        p95_ms = pe->lat_p95_ms;
        thr = pe->throughput;
        host_ms = pe->host_ms;
    } else {
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "plan: %s/%s variant %s: no latency for MIG %dg, batch %d, %d "
                           "workers (neither in the plan's segments nor in the profile)",
                           ap->name, ap->tasks[task].name, var->name, mig, batch, workers);
    }
    if (!(mean_ms > 0))
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "plan: %s/%s: batch latency must be > 0 ms, got %g", ap->name,
                           ap->tasks[task].name, mean_ms);
    if (!(mean_ms > host_ms))
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "plan: %s/%s: batch latency %g ms does not exceed the host time "
                           "%g ms of the scenario's host costs (a plan made under another "
                           "host regime?)", ap->name, ap->tasks[task].name, mean_ms, host_ms);
    if (batch < 1 || batch > MAX_BATCH)
        return js_diag_set(d, JS_EXIT_DATAERR, "plan: %s/%s: batch %d out of range [1, %d]",
                           ap->name, ap->tasks[task].name, batch, MAX_BATCH);
    if (sim->ncls == sim->capcls) {
        int ncap = sim->capcls ? sim->capcls * 2 : 16;
        wclass *nc = realloc(sim->cls, (size_t)ncap * sizeof *nc);
        if (nc == NULL)
            return oom(sim);
        sim->cls = nc;
        sim->capcls = ncap;
    }
    wclass *c = &sim->cls[sim->ncls];
    memset(c, 0, sizeof *c);
    c->app = app;
    c->task = task;
    c->plan_gen = sim->plan_gen;
    c->batch = batch;
    c->mig = mig;
    c->workers = workers;
    c->variant = variant;
    c->inv_thr = thr > 0 ? 1.0 / thr : mean_ms * 1e-3 / batch;
    c->mean_s = calloc((size_t)batch + 1, sizeof *c->mean_s);
    c->zeta = calloc((size_t)batch + 1, sizeof *c->zeta);
    c->sigma = calloc((size_t)batch + 1, sizeof *c->sigma);
    /* Host time splits off as its own phase (sim_host.c); none: one service phase. */
    c->host_s = js_host_is_zero(&var->host) ? NULL : calloc((size_t)batch + 1, sizeof *c->host_s);
    if (c->mean_s == NULL || c->zeta == NULL || c->sigma == NULL ||
        (c->host_s == NULL && !js_host_is_zero(&var->host))) {
        free(c->mean_s);
        free(c->zeta);
        free(c->sigma);
        free(c->host_s);
        return oom(sim);
    }
    sim->ncls++;
    for (int b = 1; b <= batch; b++) {
        double m = mean_ms, q = p95_ms, h = host_ms;
        if (b < batch) {
            /* The profile entry for the batch actually formed, else the nearest larger
             * one; without a profile, the planned batch's latency (conservative). */
            const js_profile_entry *e = js_profile_find_at_least(var->profile, mig, b, workers);
            if (e != NULL && e->batch <= batch && e->lat_mean_ms > 0) {
                m = e->lat_mean_ms;
                q = e->lat_p95_ms;
                h = e->host_ms;
            }
        }
        c->mean_s[b] = m * 1e-3;
        if (c->host_s != NULL) {
            /* The host phase is deterministic: the distribution is the GPU phase's. */
            c->host_s[b] = h * 1e-3;
            m -= h;
            q -= h;
        }
        lognormal_fit(sim->z95, m * 1e-3, q * 1e-3, &c->zeta[b], &c->sigma[b]);
    }
    return sim->ncls - 1;
}

/* ---- plan instantiation ----------------------------------------------------------- */

static int worker_new(js_sim *sim, uint32_t task, int cls, int gpu, int prof, int start,
                      bool up, uint32_t *out)
{
    uint32_t wi;
    if (sim->nwfree > 0) {
        wi = sim->wfree[--sim->nwfree];
    } else {
        if (sim->nw == sim->capw) {
            uint32_t ncap = sim->capw ? sim->capw * 2 : 64;
            if (ncap > EV_ID_MASK)
                return js_diag_set(sim->err_d, JS_EXIT_DATAERR, "simulator: too many workers");
            worker *nw = realloc(sim->w, (size_t)ncap * sizeof *nw);
            if (nw == NULL)
                return oom(sim);
            sim->w = nw;
            uint32_t *nf = realloc(sim->wfree, (size_t)ncap * sizeof *nf);
            if (nf == NULL)
                return oom(sim);
            sim->wfree = nf;
            sim->capw = ncap;
        }
        wi = sim->nw++;
    }
    worker *w = &sim->w[wi];
    memset(w, 0, sizeof *w);
    w->used = true;
    w->task = task;
    w->cls = cls;
    w->gpu = gpu;
    w->inst_profile = prof;
    w->inst_start = start;
    w->up = up;
    w->bhead = NIL;
    fifo_init(&w->q);
    taskrt *t = &sim->t[task];
    if (t->nw == t->capw) {
        int ncap = t->capw ? t->capw * 2 : 8;
        uint32_t *nw = realloc(t->w, (size_t)ncap * sizeof *nw);
        if (nw == NULL)
            return oom(sim);
        t->w = nw;
        js_sched_worker *nv = realloc(t->view, (size_t)ncap * sizeof *nv);
        if (nv == NULL)
            return oom(sim);
        t->view = nv;
        t->capw = ncap;
    }

    w->tslot = t->nw;
    t->w[t->nw] = wi;
    js_sched_worker *v = &t->view[t->nw];
    v->queued = 0;
    v->busy_until = sim->now;
    v->inv_throughput = sim->cls[cls].inv_thr;
    v->up = up;
    t->nw++;
    *out = wi;
    if (t->indexed) {
        int rc = sim->cfg.dispatch == JS_DISPATCH_JSED
                     ? jsed_index_reserve(&t->jsed, t->capw)
                     : mintree_reserve(&t->idle, t->capw);
        if (rc != 0)
            return oom(sim);
        sim_slot_changed(sim, t, w->tslot);
        return 0;
    }
    return sim_index_sync(sim, t);
    return 0;
}

/* The fastest the rest of a request's path can take from task i on: its own fastest
 * batch-1 mean plus the largest such figure over the out-edges sure to spawn a child for
 * the task's variant (others may spawn none, and then add nothing). Memoised in
 * rest_lat_s; the graph is acyclic, so the recursion ends (depth <= JS_MAX_TASKS). */
static double rest_of_path(js_sim *sim, uint32_t i)
{
    taskrt *t = &sim->t[i];
    if (t->rest_lat_s >= 0)
        return t->rest_lat_s;
    double after = 0;
    int v = t->variant >= 0 && t->variant < JS_MAX_VARIANTS ? t->variant : 0;
    for (int e = 0; e < t->nchild; e++)
        if (t->child[e].min_count[v] >= 1 && t->child[e].mean[v] > 0)
            after = fmax(after, rest_of_path(sim, t->child[e].task));
    t->rest_lat_s = t->min_lat_s + after;
    return t->rest_lat_s;
}

static void refresh_min_lat(js_sim *sim)
{
    for (int i = 0; i < sim->ntasks; i++) {
        taskrt *t = &sim->t[i];
        double m = INFINITY;
        for (int k = 0; k < t->nw; k++) {
            const wclass *c = &sim->cls[sim->w[t->w[k]].cls];
            if (!sim->w[t->w[k]].retiring && c->mean_s[1] < m)
                m = c->mean_s[1];
        }
        t->min_lat_s = isfinite(m) ? m : 0;
        t->rest_lat_s = -1; /* not yet computed */
    }
    for (int i = 0; i < sim->ntasks; i++) {
        taskrt *t = &sim->t[i];
        t->drop_lat_s = sim->cfg.drop_rule == JS_DROP_LOCAL ? t->min_lat_s
                                                            : rest_of_path(sim, (uint32_t)i);
    }
}

static double plan_app_pas(const js_scenario *s, const js_app_plan *ap)
{
    if (ap->pas > 0)
        return ap->pas;
    const js_app *a = &s->apps[ap->app];
    double p = 1;
    for (int k = 0; k < ap->ntasks; k++) {
        int t = ap->tasks[k].task, v = ap->tasks[k].variant;
        if (t >= 0 && t < a->ntasks && v >= 0 && v < a->tasks[t].nvariants &&
            a->tasks[t].variants[v].accuracy_norm > 0)
            p *= a->tasks[t].variants[v].accuracy_norm;
    }
    return p;
}

static int check_plan_refs(const js_sim *sim, const js_plan *p, js_diag *d)
{
    const js_scenario *s = sim->s;
    for (int a = 0; a < p->napps; a++) {
        const js_app_plan *ap = &p->apps[a];
        if (ap->app < 0 || ap->app >= s->napps)
            return js_diag_set(d, JS_EXIT_DATAERR, "plan: apps[%d]: app index %d out of range",
                               a, ap->app);
        const js_app *sa = &s->apps[ap->app];
        for (int k = 0; k < ap->ntasks; k++) {
            const js_task_plan *tp = &ap->tasks[k];
            if (tp->task < 0 || tp->task >= sa->ntasks || tp->variant < 0 ||
                tp->variant >= sa->tasks[tp->task].nvariants)
                return js_diag_set(d, JS_EXIT_DATAERR,
                                   "plan: apps[%d].tasks[%d]: task/variant out of range", a, k);
        }
    }
    for (int g = 0; g < p->ngpus; g++)
        for (int i = 0; i < p->gpus[g].ninstances; i++) {
            const js_instance *in = &p->gpus[g].inst[i];
            if (in->profile < 0 || in->profile >= s->cluster.gpu.nprofiles || in->app < 0 ||
                in->app >= s->napps || in->task < 0 || in->task >= s->apps[in->app].ntasks ||
                in->variant < 0 || in->variant >= s->apps[in->app].tasks[in->task].nvariants ||
                in->workers < 1 || in->batch < 1)
                return js_diag_set(d, JS_EXIT_DATAERR,
                                   "plan: gpus[%d].instances[%d]: invalid reference or size", g,
                                   i);
        }
    return 0;
}

static bool plan_has_instances(const js_plan *p)
{
    for (int g = 0; g < p->ngpus; g++)
        if (p->gpus[g].ninstances > 0)
            return true;
    return false;
}

/* Create the workers of one instance. */
static int add_instance(js_sim *sim, const js_plan *p, int app, int task, int variant, int mig,
                        int batch, int workers, int gpu, int prof, int start, bool up,
                        js_diag *d)
{
    int cls = class_get(sim, p, app, task, variant, mig, batch, workers, d);
    if (cls < 0 || (d != NULL && d->code != 0))
        return d != NULL && d->code != 0 ? d->code : JS_EXIT_INTERNAL;
    uint32_t tg = (uint32_t)(sim->app_off[app] + task);
    sim->t[tg].variant = variant;
    for (int k = 0; k < workers; k++) {
        uint32_t wi;
        int rc = worker_new(sim, tg, cls, gpu, prof, start, up, &wi);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void plan_resources(const js_sim *sim, const js_plan *p, double *slices, double *gpus)
{
    double sl = 0, gp = 0;
    if (plan_has_instances(p)) {
        for (int g = 0; g < p->ngpus; g++) {
            for (int i = 0; i < p->gpus[g].ninstances; i++)
                sl += sim->s->cluster.gpu.profiles[p->gpus[g].inst[i].profile].compute_slices;
            gp += p->gpus[g].ninstances > 0;
        }
    } else {
        for (int a = 0; a < p->napps; a++)
            for (int k = 0; k < p->apps[a].ntasks; k++)
                for (int i = 0; i < p->apps[a].tasks[k].nsegments; i++) {
                    const js_segment *sg = &p->apps[a].tasks[k].segments[i];
                    sl += (double)sg->mig * sg->count;
                }
        gp = p->gpus_used > 0 ? p->gpus_used : ceil(sl / 7.0);
    }
    *slices = sl;
    *gpus = gp;
}

/* Instantiate every instance of plan p; GPUs in `down` (may be NULL) start down. */
static int build_workers(js_sim *sim, const js_plan *p, const bool *down, js_diag *d)
{
    if (plan_has_instances(p)) {
        for (int g = 0; g < p->ngpus; g++) {
            for (int i = 0; i < p->gpus[g].ninstances; i++) {
                const js_instance *in = &p->gpus[g].inst[i];
                int mig = sim->s->cluster.gpu.profiles[in->profile].compute_slices;
                int rc = add_instance(sim, p, in->app, in->task, in->variant, mig, in->batch,
                                      in->workers, g, in->profile, in->start,
                                      down == NULL || !down[g], d);
                if (rc != 0)
                    return rc;
            }
        }
        return 0;
    }
    for (int a = 0; a < p->napps; a++) {
        const js_app_plan *ap = &p->apps[a];
        for (int k = 0; k < ap->ntasks; k++) {
            const js_task_plan *tp = &ap->tasks[k];
            for (int i = 0; i < tp->nsegments; i++) {
                const js_segment *sg = &tp->segments[i];
                for (int n = 0; n < sg->count; n++) {
                    int rc = add_instance(sim, p, ap->app, tp->task, tp->variant, sg->mig,
                                          sg->batch, sg->workers, -1, -1, -1, true, d);
                    if (rc != 0)
                        return rc;
                }
            }
        }
    }
    return 0;
}

static void set_plan_meta(js_sim *sim, const js_plan *p)
{
    for (int a = 0; a < p->napps; a++)
        sim->pas[p->apps[a].app] = plan_app_pas(sim->s, &p->apps[a]);
    sim_touch_resources(sim);
    plan_resources(sim, p, &sim->slices_now, &sim->gpus_now);
    if (p->ngpus > sim->ngpus)
        sim->ngpus = p->ngpus;
}

int sim_plan_init(js_sim *sim, const js_plan *p, js_diag *d)
{
    int rc = check_plan_refs(sim, p, d);
    if (rc == 0)
        rc = build_workers(sim, p, NULL, d);
    if (rc == 0) {
        set_plan_meta(sim, p);
        refresh_min_lat(sim);
        for (int i = 0; i < sim->ntasks; i++)
            sim_recount_up(sim, &sim->t[i]);
    }
    return rc;
}

/* ---- plan swaps ------------------------------------------------------------------- */

/* True when every MIG instance the plan wants on GPU g is already there (profile and
 * start): the GPU keeps its layout, and instances the plan no longer wants just retire.
 * Only a GPU that needs an instance it does not have is re-laid out (down for the
 * re-layout time); an emptied GPU or one keeping a subset of its instances is not. */
static bool gpu_layout_kept(const js_sim *sim, const js_plan *p, int g)
{
    int want[JS_MAX_INSTANCES_PER_GPU * 2][2];
    int nwant = 0;
    if (g < p->ngpus)
        for (int i = 0; i < p->gpus[g].ninstances; i++) {
            want[nwant][0] = p->gpus[g].inst[i].profile;
            want[nwant][1] = p->gpus[g].inst[i].start;
            nwant++;
        }
    /* Distinct placements currently on g. */
    int have[JS_MAX_INSTANCES_PER_GPU * 2][2];
    int nhave = 0;
    for (uint32_t i = 0; i < sim->nw; i++) {
        const worker *w = &sim->w[i];
        if (!w->used || w->zombie || w->retiring || w->gpu != g)
            continue;
        bool seen = false;
        for (int k = 0; k < nhave; k++)
            seen |= have[k][0] == w->inst_profile && have[k][1] == w->inst_start;
        if (!seen && nhave < JS_MAX_INSTANCES_PER_GPU * 2) {
            have[nhave][0] = w->inst_profile;
            have[nhave][1] = w->inst_start;
            nhave++;
        }
    }
    for (int i = 0; i < nwant; i++) {
        bool found = false;
        for (int k = 0; k < nhave; k++)
            found |= have[k][0] == want[i][0] && have[k][1] == want[i][1];
        if (!found)
            return false;
    }
    return true;
}

/* Move a worker's queued items (and, if `abort`, its batch in service) to `out`. */
static void worker_evacuate(js_sim *sim, uint32_t wi, bool abort_batch, fifo *out)
{
    worker *w = &sim->w[wi];
    while (w->q.len > 0)
        fifo_push(sim, out, fifo_pop(sim, &w->q));
    if (abort_batch && w->busy) {
        taskrt *t = &sim->t[w->task];
        t->busy_s += sim->now - w->bstart;
        uint32_t it = w->bhead;
        while (it != NIL) {
            uint32_t next = sim->items[it].next;
            fifo_push(sim, out, it);
            it = next;
        }
        w->bhead = NIL;
        w->bn = 0;
        w->busy = false;
        w->zombie = true; /* its completion event is still queued */
    }
}

int js_sim_apply_plan(js_sim *sim, const js_plan *p, double downtime_s, js_diag *d)
{
    sim->err_d = d;
    int rc = check_plan_refs(sim, p, d);
    if (rc != 0)
        return rc;
    if (!(downtime_s >= 0))
        return js_diag_set(d, JS_EXIT_USAGE, "simulator: downtime must be >= 0 s");
    int ng = p->ngpus > sim->ngpus ? p->ngpus : sim->ngpus;
    bool *same = calloc((size_t)ng + 1, sizeof *same);
    bool *down = calloc((size_t)ng + 1, sizeof *down);
    if (same == NULL || down == NULL) {
        free(same);
        free(down);
        return oom(sim);
    }
    sim->plan_gen++;
    bool inst_plan = plan_has_instances(p);
    fifo moved;
    fifo_init(&moved);
    /* Decide per GPU before touching any worker; then retire or destroy old workers. */
    for (int g = 0; g < ng && inst_plan; g++) {
        same[g] = gpu_layout_kept(sim, p, g);
        down[g] = !same[g] && downtime_s > 0;
    }
    for (uint32_t i = 0; i < sim->nw; i++) {
        worker *w = &sim->w[i];
        if (!w->used || w->zombie || w->retiring)
            continue;
        bool keep_it = false;
        if (inst_plan && w->gpu >= 0 && w->gpu < ng && same[w->gpu]) {
            /* An identical instance at the same placement keeps running. */
            const wclass *c = &sim->cls[w->cls];
            const taskrt *t = &sim->t[w->task];
            if (w->gpu < p->ngpus)
                for (int k = 0; k < p->gpus[w->gpu].ninstances; k++) {
                    const js_instance *in = &p->gpus[w->gpu].inst[k];
                    keep_it |= in->profile == w->inst_profile && in->start == w->inst_start &&
                               in->app == t->app && in->task == t->task &&
                               in->variant == c->variant && in->batch == c->batch &&
                               in->workers == c->workers;
                }
        }
        if (keep_it)
            continue;
        bool destroy = inst_plan && w->gpu >= 0 && w->gpu < ng && down[w->gpu];
        worker_evacuate(sim, i, destroy, &moved);
        if (w->tslot >= 0) {
            sim->t[w->task].view[w->tslot].up = false;
            sim->t[w->task].view[w->tslot].queued = 0;
            sim_slot_changed(sim, &sim->t[w->task], w->tslot);
        }
        if (w->zombie || !w->busy) {
            sim_worker_remove(sim, i);
            if (!w->zombie)
                sim_worker_free_slot(sim, i);
        } else {
            w->retiring = true; /* finishes its batch, then leaves */
            sim_recount_up(sim, &sim->t[w->task]);
        }
    }
    /* New instances: on unchanged GPUs only those not already running. */
    if (inst_plan) {
        for (int g = 0; g < p->ngpus && rc == 0; g++) {
            for (int k = 0; k < p->gpus[g].ninstances && rc == 0; k++) {
                const js_instance *in = &p->gpus[g].inst[k];
                bool running = false;
                for (uint32_t i = 0; i < sim->nw && !running; i++) {
                    const worker *w = &sim->w[i];
                    if (!w->used || w->zombie || w->retiring || w->gpu != g)
                        continue;
                    const wclass *c = &sim->cls[w->cls];
                    running = w->inst_profile == in->profile && w->inst_start == in->start &&
                              sim->t[w->task].app == in->app &&
                              sim->t[w->task].task == in->task && c->variant == in->variant &&
                              c->batch == in->batch && c->workers == in->workers;
                }
                if (running)
                    continue;
                int mig = sim->s->cluster.gpu.profiles[in->profile].compute_slices;
                rc = add_instance(sim, p, in->app, in->task, in->variant, mig, in->batch,
                                  in->workers, g, in->profile, in->start, !down[g], d);
            }
        }
    } else {
        rc = build_workers(sim, p, NULL, d);
    }
    for (int g = 0; g < ng && rc == 0; g++)
        if (down[g])
            rc = push_ev(sim, sim->now + downtime_s, EV_GPU_UP, (uint32_t)g);
    free(same);
    free(down);
    if (rc != 0)
        return rc;
    set_plan_meta(sim, p);
    refresh_min_lat(sim);
    for (int i = 0; i < sim->ntasks; i++)
        sim_recount_up(sim, &sim->t[i]);
    /* Re-dispatch the evacuated items, then let idle workers start. */
    while (moved.len > 0 && rc == 0)
        rc = sim_dispatch(sim, fifo_pop(sim, &moved));
    for (int i = 0; i < sim->ntasks && rc == 0; i++) {
        taskrt *t = &sim->t[i];
        rc = sim_drain_task_queue(sim, t);
        for (int k = 0; k < t->nw && rc == 0; k++)
            rc = sim_try_start(sim, t->w[k]);
    }
    if (rc == 0)
        sim_check(sim);
    return rc;
}
