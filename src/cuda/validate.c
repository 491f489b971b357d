/* Real-time validation of a plan: the plan's workers run as processes, the trace is fed
 * in real time through the simulator's dispatch and batching rules (sched.h), and every
 * request's end-to-end latency is measured on the monotonic clock.
 *
 * Semantics follow the simulator (src/sim/NOTES.md): a request puts one item on every
 * entry task; an item goes to one worker of its task (JSED or round-robin); a free worker
 * takes up to its batch size of queued items; a finished item spawns children on every
 * out-edge (Poisson with the edge's mean, or the rounded mean); a request completes when
 * all its descendants have. With early dropping, an item whose request can no longer meet
 * its deadline (now + the task's fastest batch-1 mean latency > deadline) is dropped when
 * a batch is formed, and its request counts as dropped. With the SHARED policy a task has
 * one FIFO from which any free worker pulls. Expected batch latencies (for the
 * dispatcher's busy_until and for dropping) follow the simulator's rule (js_emu_latency).
 * Latencies are measured from the trace's arrival time, so host-side lag is included.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "jigsaw/gpubackend.h"
#include "jigsaw/sched.h"
#include "jigsaw/util.h"

typedef struct vitem {
    int req;
    int task;
    double enq;          /* time it entered the worker's queue */
} vitem;

typedef struct vqueue {
    vitem *v;
    int head, len, cap;
} vqueue;

typedef struct vworker {
    int task;            /* index in the app */
    int variant;
    int batch;
    double *mean_s;      /* [1..batch]: expected latency of a batch of n (simulator's rule) */
    vqueue own;          /* its queue (JSED, RR) */
    vqueue *q;           /* own, or its task's shared queue */
    vitem *inflight;     /* up to batch items */
    int ninflight;
    double t_start;
    double busy_s;
    double wake_at;      /* batching timeout re-check, 0 = none */
} vworker;

typedef struct vrequest {
    double t_arr, deadline;
    int outstanding;
    bool dropped, done;
} vrequest;

typedef struct vstate {
    const js_app *app;
    const js_validate_config *cfg;
    int ntasks;
    int nw;
    vworker *w;
    js_sched_worker *sw;     /* parallel to w: what the dispatcher sees */
    int task_first[JS_MAX_TASKS], task_nw[JS_MAX_TASKS]; /* workers grouped by task */
    int rr_cursor[JS_MAX_TASKS];
    vqueue task_q[JS_MAX_TASKS];         /* SHARED policy */
    double task_min_lat_s[JS_MAX_TASKS];
    int task_variant[JS_MAX_TASKS];
    vrequest *req;
    int nreq;
    int finished;
    double *lat_ms;
    int nlat;
    gsl_rng *rng;
    js_gpu_pool *pool;
    double t0;
    double slo_s;
    js_validate_metrics m;
    double task_device_ms[JS_MAX_TASKS];
    uint64_t task_batches[JS_MAX_TASKS];
} vstate;

void js_validate_config_init(js_validate_config *c)
{
    memset(c, 0, sizeof *c);
    c->dispatch = JS_DISPATCH_JSED;
    c->early_drop = true;
    c->poisson_fanout = true;
    c->seed = 1;
    c->drain_timeout_s = 5.0;
    c->use_mps_shares = true;
}

static int q_push(vqueue *q, vitem it)
{
    if (q->len == q->cap) {
        int ncap = q->cap ? 2 * q->cap : 16;
        vitem *nv = malloc(sizeof *nv * (size_t)ncap);
        if (!nv)
            return -1;
        for (int i = 0; i < q->len; i++)
            nv[i] = q->v[(q->head + i) % q->cap];
        free(q->v);
        q->v = nv;
        q->cap = ncap;
        q->head = 0;
    }
    q->v[(q->head + q->len) % q->cap] = it;
    q->len++;
    return 0;
}

static vitem q_pop(vqueue *q)
{
    vitem it = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return it;
}

/* ------------------------------------------------------------------ request accounting */

static void finish_item(vstate *s, int r, double now)
{
    vrequest *rq = &s->req[r];
    if (--rq->outstanding > 0 || rq->done)
        return;
    rq->done = true;
    s->finished++;
    if (rq->dropped) {
        s->m.dropped++;
        return;
    }
    double ms = (now - rq->t_arr) * 1000.0;
    s->m.completed++;
    if (now > rq->deadline)
        s->m.late++;
    s->lat_ms[s->nlat++] = ms;
}

static int try_start(vstate *s, int wi, double now, js_diag *d);

/* As in the simulator, an idle worker starts at once on what it was just given. */
static int dispatch(vstate *s, int r, int task, double now, js_diag *d)
{
    if (s->task_nw[task] == 0)
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "validate: task '%s' receives items but the plan gives it no "
                           "segment",
                           s->app->tasks[task].name);
    if (s->cfg->early_drop && s->req[r].dropped) {
        finish_item(s, r, now);
        return 0;
    }
    if (s->cfg->dispatch == JS_DISPATCH_SHARED) {
        vitem it = {r, task, now};
        if (q_push(&s->task_q[task], it) != 0)
            return js_diag_set(d, JS_EXIT_INTERNAL, "validate: out of memory");
        for (int i = s->task_first[task]; i < s->task_first[task] + s->task_nw[task]; i++)
            if (s->w[i].ninflight == 0)
                return try_start(s, i, now, d);
        return 0;
    }
    const js_sched_worker *tw = &s->sw[s->task_first[task]];
    int pick = s->cfg->dispatch == JS_DISPATCH_RR
                   ? js_sched_pick_rr(tw, s->task_nw[task], &s->rr_cursor[task])
                   : js_sched_pick_jsed(tw, s->task_nw[task], now);
    if (pick < 0)
        return js_diag_set(d, JS_EXIT_INTERNAL, "validate: no worker up for task '%s'",
                           s->app->tasks[task].name);
    int wi = s->task_first[task] + pick;
    vitem it = {r, task, now};
    if (q_push(s->w[wi].q, it) != 0)
        return js_diag_set(d, JS_EXIT_INTERNAL, "validate: out of memory");
    s->sw[wi].queued++;
    return s->w[wi].ninflight == 0 ? try_start(s, wi, now, d) : 0;
}

/* Form and submit a batch on an idle worker, if its queue and the batching rule allow. */
static int try_start(vstate *s, int wi, double now, js_diag *d)
{
    vworker *w = &s->w[wi];
    while (w->ninflight == 0 && w->q->len > 0) {
        double wake = 0;
        double oldest = w->q->v[w->q->head].enq;
        int take = js_sched_batch_take(w->q->len, w->batch, oldest, now,
                                       s->cfg->batch_timeout_ms / 1000.0, &wake);
        if (take <= 0) {
            w->wake_at = wake;
            return 0;
        }
        w->wake_at = 0;
        for (int i = 0; i < take; i++) {
            vitem it = q_pop(w->q);
            if (s->cfg->dispatch != JS_DISPATCH_SHARED)
                s->sw[wi].queued--;
            vrequest *rq = &s->req[it.req];
            if (s->cfg->early_drop &&
                (rq->dropped || now + s->task_min_lat_s[w->task] > rq->deadline)) {
                rq->dropped = true;
                finish_item(s, it.req, now);
                continue;
            }
            w->inflight[w->ninflight++] = it;
        }
        if (w->ninflight == 0)
            continue; /* everything taken was dropped: look at the queue again */
        if (js_gpu_pool_submit(s->pool, wi, w->ninflight, d) != 0)
            return d->code;
        w->t_start = now;
        s->sw[wi].busy_until = now + w->mean_s[w->ninflight];
    }
    return 0;
}

static int children_of(vstate *s, const js_edge *e, int parent_task)
{
    double mean = js_edge_fanout(e, s->task_variant[parent_task]);
    if (!(mean > 0))
        return 0;
    if (s->cfg->poisson_fanout)
        return (int)gsl_ran_poisson(s->rng, mean);
    return (int)lround(mean);
}

static int complete(vstate *s, int wi, double elapsed_ms, double now, js_diag *d)
{
    vworker *w = &s->w[wi];
    w->busy_s += now - w->t_start;
    s->sw[wi].busy_until = now;
    s->task_device_ms[w->task] += elapsed_ms;
    s->task_batches[w->task]++;
    s->m.items[w->task] += (uint64_t)w->ninflight;
    int n = w->ninflight;
    w->ninflight = 0;
    for (int i = 0; i < n; i++) {
        vitem it = w->inflight[i];
        for (int e = 0; e < s->app->nedges; e++) {
            const js_edge *ed = &s->app->edges[e];
            if (ed->from != it.task)
                continue;
            int k = children_of(s, ed, it.task);
            for (int c = 0; c < k; c++) {
                s->req[it.req].outstanding++;
                if (dispatch(s, it.req, ed->to, now, d) != 0)
                    return d->code;
            }
        }
        finish_item(s, it.req, now);
    }
    return 0;
}

static int admit(vstate *s, int r, double t_arr, double now, js_diag *d)
{
    vrequest *rq = &s->req[r];
    rq->t_arr = t_arr;
    rq->deadline = t_arr + s->slo_s;
    int nsrc = s->app->nsources > 0 ? s->app->nsources : 1;
    rq->outstanding = nsrc;
    for (int i = 0; i < nsrc; i++) {
        int task = s->app->nsources > 0 ? s->app->sources[i] : s->app->source;
        if (dispatch(s, r, task, now, d) != 0)
            return d->code;
    }
    return 0;
}

/* ------------------------------------------------------------------ set-up */

static const js_app_plan *find_app_plan(const js_plan *p, int app)
{
    for (int i = 0; i < p->napps; i++)
        if (p->apps[i].app == app)
            return &p->apps[i];
    return NULL;
}

static int build_workers(vstate *s, const js_scenario *sc, const js_app_plan *ap,
                         js_worker_spec **specs_out, js_diag *d)
{
    int total = 0;
    for (int t = 0; t < ap->ntasks; t++)
        for (int g = 0; g < ap->tasks[t].nsegments; g++) {
            const js_segment *seg = &ap->tasks[t].segments[g];
            if (seg->count < 0 || seg->workers < 1 || seg->batch < 1 || seg->mig < 1 ||
                seg->mig > 7 || !(seg->throughput > 0) || !(seg->lat_mean_ms > 0))
                return js_diag_set(d, JS_EXIT_DATAERR,
                                   "validate: app %d task %d segment %d: needs mig 1..7, "
                                   "workers, batch, count >= 0, throughput and latency > 0",
                                   ap->app, ap->tasks[t].task, g);
            total += seg->count * seg->workers;
        }
    if (total < 1)
        return js_diag_set(d, JS_EXIT_DATAERR, "validate: the plan has no worker for app %d",
                           ap->app);
    if (total > 256)
        return js_diag_set(d, JS_EXIT_USAGE,
                           "validate: %d workers; one machine runs at most 256 processes",
                           total);
    js_worker_spec *specs = calloc((size_t)total, sizeof *specs);
    s->w = calloc((size_t)total, sizeof *s->w);
    s->sw = calloc((size_t)total, sizeof *s->sw);
    if (!specs || !s->w || !s->sw) {
        free(specs);
        return js_diag_set(d, JS_EXIT_INTERNAL, "validate: out of memory");
    }
    const js_app *a = &sc->apps[ap->app];
    int k = 0;
    for (int task = 0; task < a->ntasks; task++) {
        s->task_first[task] = k;
        for (int t = 0; t < ap->ntasks; t++) {
            const js_task_plan *tp = &ap->tasks[t];
            if (tp->task != task)
                continue;
            if (tp->variant < 0 || tp->variant >= a->tasks[task].nvariants) {
                free(specs);
                return js_diag_set(d, JS_EXIT_DATAERR, "validate: task '%s': variant %d "
                                   "out of range", a->tasks[task].name, tp->variant);
            }
            s->task_variant[task] = tp->variant;
            const js_variant *v = &a->tasks[task].variants[tp->variant];
            const char *model = v->profile_name[0] ? v->profile_name : v->name;
            for (int g = 0; g < tp->nsegments; g++) {
                const js_segment *seg = &tp->segments[g];
                for (int c = 0; c < seg->count * seg->workers; c++, k++) {
                    snprintf(specs[k].model, sizeof specs[k].model, "%s", model);
                    specs[k].mig = seg->mig;
                    specs[k].workers = seg->workers;
                    specs[k].max_batch = seg->batch;
                    specs[k].mps_percent =
                        s->cfg->use_mps_shares ? (int)lround(100.0 * seg->mig / 7.0) : 0;
                    specs[k].device_index = s->cfg->device_index;
                    specs[k].seed = js_seed_derive(s->cfg->seed, "service", (uint64_t)k);
                    specs[k].plan_lat_mean_ms = seg->lat_mean_ms;
                    specs[k].plan_lat_p95_ms = seg->lat_p95_ms;
                    vworker *w = &s->w[k];
                    w->task = task;
                    w->variant = tp->variant;
                    w->batch = seg->batch;
                    w->q = s->cfg->dispatch == JS_DISPATCH_SHARED ? &s->task_q[task] : &w->own;
                    w->inflight = calloc((size_t)seg->batch, sizeof *w->inflight);
                    w->mean_s = calloc((size_t)seg->batch + 1, sizeof *w->mean_s);
                    if (!w->inflight || !w->mean_s) {
                        free(specs);
                        return js_diag_set(d, JS_EXIT_INTERNAL, "validate: out of memory");
                    }
                    for (int n = 1; n <= seg->batch; n++) {
                        double mean = seg->lat_mean_ms, p95 = NAN;
                        (void)js_emu_latency(v->profile, &specs[k], n, &mean, &p95);
                        w->mean_s[n] = mean / 1000.0;
                    }
                    if (w->mean_s[1] < s->task_min_lat_s[task] || s->task_min_lat_s[task] == 0)
                        s->task_min_lat_s[task] = w->mean_s[1];
                    s->sw[k].inv_throughput = seg->workers / seg->throughput;
                    s->sw[k].up = true;
                }
            }
        }
        s->task_nw[task] = k - s->task_first[task];
    }
    s->nw = k;
    *specs_out = specs;
    return 0;
}

static void free_state(vstate *s)
{
    if (s->w)
        for (int i = 0; i < s->nw; i++) {
            free(s->w[i].inflight);
            free(s->w[i].mean_s);
            free(s->w[i].own.v);
        }
    for (int t = 0; t < JS_MAX_TASKS; t++)
        free(s->task_q[t].v);
    free(s->w);
    free(s->sw);
    free(s->req);
    if (s->rng)
        gsl_rng_free(s->rng);
    js_gpu_pool_stop(s->pool);
}

/* ------------------------------------------------------------------ the run */

static int run_loop(vstate *s, const double *arr, int narr, js_diag *d)
{
    int next = 0;
    double last_arrival = narr > 0 ? arr[narr - 1] : 0;
    double stop_at = last_arrival + s->cfg->drain_timeout_s;
    double now = 0;
    for (;;) {
        now = js_now_s() - s->t0;
        while (next < narr && arr[next] <= now) {
            if (admit(s, next, arr[next], now, d) != 0)
                return d->code;
            next++;
        }
        for (int i = 0; i < s->nw; i++)
            if (s->w[i].ninflight == 0 && s->w[i].q->len > 0 && try_start(s, i, now, d) != 0)
                return d->code;
        if (next == narr && s->finished == narr)
            break;
        if (next == narr && now >= stop_at)
            break;
        double until = next < narr ? arr[next] : stop_at;
        for (int i = 0; i < s->nw; i++)
            if (s->w[i].wake_at > 0 && s->w[i].wake_at < until)
                until = s->w[i].wake_at;
        int64_t wait_ns = until > now ? (int64_t)((until - now) * 1e9) : 0;
        int busy = 0;
        for (int i = 0; i < s->nw; i++)
            busy += s->w[i].ninflight > 0;
        if (!busy) {
            if (wait_ns > 0) {
                struct timespec ts = {(time_t)(wait_ns / 1000000000),
                                      (long)(wait_ns % 1000000000)};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        int wi = -1;
        double elapsed = 0;
        int rc = js_gpu_pool_wait(s->pool, wait_ns, &wi, &elapsed, d);
        if (rc == 1) {
            if (complete(s, wi, elapsed, js_now_s() - s->t0, d) != 0)
                return d->code;
        } else if (rc != 0) {
            return rc;
        }
    }
    s->m.duration_s = now;
    return 0;
}

static void summarise(vstate *s, int narr)
{
    js_validate_metrics *m = &s->m;
    m->requests = (uint64_t)narr;
    /* Requests still open when the drain timeout expired count as late. */
    m->late += (uint64_t)(narr - s->finished);
    uint64_t denom = m->completed + m->dropped + (uint64_t)(narr - s->finished);
    m->violation_rate = denom ? (double)(m->late + m->dropped) / (double)denom : 0.0;
    double *tmp = malloc(sizeof *tmp * (size_t)(s->nlat > 0 ? s->nlat : 1));
    if (tmp) {
        memcpy(tmp, s->lat_ms, sizeof *tmp * (size_t)s->nlat);
        js_latency_stats(tmp, s->nlat, &m->mean_ms, &m->p50_ms, &m->p95_ms, &m->p99_ms);
        free(tmp);
    }
    m->ntasks = s->ntasks;
    for (int t = 0; t < s->ntasks; t++) {
        double busy = 0;
        for (int i = s->task_first[t]; i < s->task_first[t] + s->task_nw[t]; i++)
            busy += s->w[i].busy_s;
        double cap = (double)s->task_nw[t] * m->duration_s;
        m->util[t] = cap > 0 ? busy / cap : 0;
        m->mean_batch[t] = s->task_batches[t] ? (double)m->items[t] / (double)s->task_batches[t]
                                              : 0;
        m->batch_ms[t] = s->task_batches[t] ? s->task_device_ms[t] / (double)s->task_batches[t]
                                            : 0;
    }
}

int js_gpu_validate_run(const js_device_factory *f, const js_scenario *sc, const js_plan *p,
                        const double *arrivals, int narrivals, const js_validate_config *c,
                        js_validate_result *out, js_diag *d)
{
    memset(out, 0, sizeof *out);
    if (c->app < 0 || c->app >= sc->napps)
        return js_diag_set(d, JS_EXIT_USAGE, "validate: app %d not in the scenario", c->app);
    const js_app_plan *ap = find_app_plan(p, c->app);
    if (!ap)
        return js_diag_set(d, JS_EXIT_DATAERR, "validate: the plan has no entry for app '%s'",
                           sc->apps[c->app].name);
    for (int i = 1; i < narrivals; i++)
        if (!(arrivals[i] >= arrivals[i - 1]))
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "validate: arrival %d (%g s) precedes arrival %d", i,
                               arrivals[i], i - 1);
    vstate s;
    memset(&s, 0, sizeof s);
    s.app = &sc->apps[c->app];
    s.cfg = c;
    s.ntasks = s.app->ntasks;
    s.slo_s = s.app->latency_slo_ms / 1000.0;
    js_worker_spec *specs = NULL;
    int rc = build_workers(&s, sc, ap, &specs, d);
    if (rc == 0) {
        s.req = calloc((size_t)(narrivals > 0 ? narrivals : 1), sizeof *s.req);
        out->lat_ms = malloc(sizeof *out->lat_ms * (size_t)(narrivals > 0 ? narrivals : 1));
        s.rng = gsl_rng_alloc(gsl_rng_mt19937);
        if (!s.req || !out->lat_ms || !s.rng)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "validate: out of memory");
        else
            gsl_rng_set(s.rng, js_seed_derive(c->seed, "arrivals", 0));
    }
    if (rc == 0)
        rc = js_gpu_pool_start(f, specs, s.nw, &s.pool, d);
    free(specs);
    if (rc == 0) {
        s.lat_ms = out->lat_ms;
        s.t0 = js_now_s();
        rc = run_loop(&s, arrivals, narrivals, d);
    }
    if (rc == 0) {
        summarise(&s, narrivals);
        out->m = s.m;
        out->nlat = s.nlat;
        out->nworkers = s.nw;
    }
    free_state(&s);
    if (rc != 0) {
        free(out->lat_ms);
        out->lat_ms = NULL;
    }
    return rc;
}

void js_validate_result_free(js_validate_result *r)
{
    if (!r)
        return;
    free(r->lat_ms);
    r->lat_ms = NULL;
    r->nlat = 0;
}
