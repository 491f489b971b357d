/* sim: discrete-event simulator of a plan under an arrival stream (DESIGN.md section 4).
 *
 * Model. A request arrives at its application's source task as one item. Each task's items
 * are dispatched to its workers (sched.h rules); a free worker takes up to its batch size
 * of queued items and holds them for a service time drawn for the batch size actually
 * formed. A finished item spawns child items on every out-edge (Poisson with the edge's
 * mean for the parent's variant); a request completes when all its descendant items have
 * completed (fan-in by counting outstanding items). With early dropping, an item whose
 * request can no longer meet its deadline (now + the task's fastest batch-1 mean latency
 * > arrival + SLO) is dropped when a batch is formed, and its request with it.
 *
 * Representation. Items and requests live in index-addressed pools with free lists;
 * queues are intrusive FIFO lists through the item pool, so memory is proportional to
 * what is in flight, never to the trace length. The event queue (evq.h) holds only one
 * pending arrival per application, one completion per busy worker and timers.
 */
#include "jigsaw/sim.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "jigsaw/jsonio.h"
#include "jigsaw/sched.h"
#include "evq.h"
#include "hist.h"

#define NIL UINT32_MAX
#define MAX_BATCH 4096

enum { EV_ARRIVAL = 0, EV_DONE = 1, EV_TIMER = 2, EV_GPU_UP = 3, EV_TICK = 4 };
#define EV_TYPE_SHIFT 21u
#define EV_ID_MASK ((1u << EV_TYPE_SHIFT) - 1u)

typedef struct item {
    double t_enq;       /* arrival at the current task's queue */
    uint32_t req;
    uint32_t next;      /* FIFO link, or free-list link */
    uint32_t task;      /* global task index */
} item;

typedef struct request {
    double arrival, deadline, pas;
    uint32_t outstanding; /* items not yet finished; free-list link when unused */
    uint16_t app;
    uint8_t dropped;
} request;

typedef struct fifo {
    uint32_t head, tail;
    uint32_t len;
} fifo;

/* Service model of one configuration (shared by its workers; lives until destroy). */
typedef struct wclass {
    int app, task, batch, mig, workers, variant;
    int plan_gen;        /* plan the class was built from (latencies may differ) */
    double inv_thr;      /* seconds per item at the planned batch */
    double *mean_s;      /* [batch + 1] mean service time for each formed batch size */
    double *zeta, *sigma;/* lognormal parameters of the service time in seconds */
} wclass;

typedef struct worker {
    uint32_t task;       /* global task index */
    int cls;
    int gpu, inst_profile, inst_start; /* placement (gpu -1: segment-based plan) */
    int tslot;           /* index in the task's dispatch arrays, -1 when not listed */
    fifo q;              /* own queue (JSED, RR) */
    uint32_t bhead;      /* batch in service (linked through item.next) */
    int bn;
    double bstart;
    double timer_t;
    bool used, busy, up, retiring, zombie, timer_pending;
} worker;

typedef struct child_edge {
    uint32_t task;       /* global index of the child task */
    double mean[JS_MAX_VARIANTS];
} child_edge;

typedef struct taskrt {
    int app, task;
    fifo shared;         /* SHARED: the task queue; otherwise items waiting for a worker */
    int nw, capw;
    uint32_t *w;         /* worker indices */
    js_sched_worker *view;
    int rr;
    double min_lat_s;    /* fastest batch-1 mean among its workers (early dropping) */
    int variant;
    int nchild;
    child_edge child[JS_MAX_TASKS];
    /* metrics */
    uint64_t items, batches;
    double qdelay_sum, busy_s, wtime_area, wlast;
    int nup;
} taskrt;

typedef struct appctr {
    uint64_t requests, completed, late, dropped;
    double pas_sum;
    js_hist h;
} appctr;

struct js_sim {
    const js_scenario *s;
    js_sim_config cfg;
    gsl_rng *rng;
    js_evq q;
    double now;
    uint64_t events;        /* heap events handled */
    uint64_t inline_events; /* zero-delay item arrivals handled without the heap */
    js_diag *err_d;
    /* arrivals */
    int napps;
    js_arrivals **arr;
    bool *arr_done;
    double *slo_s, *pas;
    appctr *app, total;
    /* tasks */
    int ntasks;
    int *app_off;
    taskrt *t;
    /* workers and classes */
    worker *w;
    uint32_t nw, capw;
    uint32_t *wfree;
    uint32_t nwfree;
    wclass *cls;
    int ncls, capcls;
    /* pools */
    item *items;
    uint32_t nitems_cap, item_free;
    request *reqs;
    uint32_t nreq_cap, req_free;
    /* Little's law and resources */
    uint64_t in_flight;
    double area_n, last_n_t, sojourn_sum;
    uint64_t departed, items_served;
    double slices_now, gpus_now, slices_area, gpus_area, res_last_t;
    int ngpus;
    /* timeline */
    double tl_interval, tl_start;
    appctr *tl_app, tl_total;
    double tl_slices_area, tl_gpus_area, tl_res_last;
    char *tl_buf;
    size_t tl_len, tl_cap;
    bool tick_pending;
    /* lifecycle */
    bool started;
    double z95;
    int plan_gen;
    double wall_s;
};

/* ---- small helpers ---------------------------------------------------------------- */

void js_sim_config_init(js_sim_config *c)
{
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->dispatch = JS_DISPATCH_JSED;
    c->service = JS_SERVICE_LOGNORMAL;
    c->early_drop = true;
    c->poisson_fanout = true;
    c->timeline_interval_s = 0.0; /* the CLI uses 60 s when --timeline is given */
}

double js_sim_now(const js_sim *sim)
{
    return sim->now;
}

static uint32_t ev_payload(int type, uint32_t id)
{
    return ((uint32_t)type << EV_TYPE_SHIFT) | (id & EV_ID_MASK);
}

static int oom(js_sim *sim)
{
    return js_diag_set(sim->err_d, JS_EXIT_INTERNAL, "simulator: out of memory");
}

static int push_ev(js_sim *sim, double t, int type, uint32_t id)
{
    if (js_evq_push(&sim->q, t, ev_payload(type, id)) != 0)
        return oom(sim);
    return 0;
}

static double edge_mean(const js_edge *e, int v)
{
    if (v >= 0 && v < JS_MAX_VARIANTS && !isnan(e->fanout_by_variant[v]))
        return e->fanout_by_variant[v];
    return e->fanout;
}

/* ---- pools ------------------------------------------------------------------------ */

/* Doubles a free-list pool of *cap elements of elem_size bytes (4096 at first) and threads
 * the new elements onto the empty free list through the uint32_t at link_off in each.
 * Returns the moved pool, or NULL (pool unchanged) at the index limit or out of memory. */
static void *pool_grow(void *base, size_t elem_size, size_t link_off, uint32_t *cap,
                       uint32_t *free_head)
{
    uint32_t old = *cap, ncap = old ? old * 2 : 4096;
    if (ncap >= NIL)
        return NULL;
    unsigned char *na = realloc(base, (size_t)ncap * elem_size);
    if (na == NULL)
        return NULL;
    for (uint32_t i = old; i < ncap; i++) {
        uint32_t link = i + 1 < ncap ? i + 1 : NIL;
        memcpy(na + (size_t)i * elem_size + link_off, &link, sizeof link);
    }
    *free_head = old;
    *cap = ncap;
    return na;
}

static uint32_t item_alloc(js_sim *sim)
{
    if (sim->item_free == NIL) {
        item *na = pool_grow(sim->items, sizeof *na, offsetof(item, next), &sim->nitems_cap,
                             &sim->item_free);
        if (na == NULL)
            return NIL;
        sim->items = na;
    }
    uint32_t i = sim->item_free;
    sim->item_free = sim->items[i].next;
    return i;
}

static void item_release(js_sim *sim, uint32_t i)
{
    sim->items[i].next = sim->item_free;
    sim->item_free = i;
}

static uint32_t req_alloc(js_sim *sim)
{
    if (sim->req_free == NIL) {
        request *na = pool_grow(sim->reqs, sizeof *na, offsetof(request, outstanding),
                                &sim->nreq_cap, &sim->req_free);
        if (na == NULL)
            return NIL;
        sim->reqs = na;
    }
    uint32_t r = sim->req_free;
    sim->req_free = sim->reqs[r].outstanding;
    return r;
}

static void fifo_push(js_sim *sim, fifo *f, uint32_t it)
{
    sim->items[it].next = NIL;
    if (f->len == 0)
        f->head = it;
    else
        sim->items[f->tail].next = it;
    f->tail = it;
    f->len++;
}

static uint32_t fifo_pop(js_sim *sim, fifo *f)
{
    uint32_t it = f->head;
    f->head = sim->items[it].next;
    if (--f->len == 0)
        f->head = f->tail = NIL;
    return it;
}

static void fifo_init(fifo *f)
{
    f->head = f->tail = NIL;
    f->len = 0;
}

/* ---- accounting ------------------------------------------------------------------- */

static void touch_in_flight(js_sim *sim)
{
    sim->area_n += (double)sim->in_flight * (sim->now - sim->last_n_t);
    sim->last_n_t = sim->now;
}

static void touch_resources(js_sim *sim)
{
    double dt = sim->now - sim->res_last_t;
    sim->slices_area += sim->slices_now * dt;
    sim->gpus_area += sim->gpus_now * dt;
    sim->res_last_t = sim->now;
    double dtl = sim->now - sim->tl_res_last;
    sim->tl_slices_area += sim->slices_now * dtl;
    sim->tl_gpus_area += sim->gpus_now * dtl;
    sim->tl_res_last = sim->now;
}

static void touch_task_workers(js_sim *sim, taskrt *t)
{
    t->wtime_area += (double)t->nup * (sim->now - t->wlast);
    t->wlast = sim->now;
}

static void recount_up(js_sim *sim, taskrt *t)
{
    touch_task_workers(sim, t);
    int n = 0;
    for (int i = 0; i < t->nw; i++)
        n += t->view[i].up;
    t->nup = n;
}

static void request_departs(js_sim *sim, request *r)
{
    touch_in_flight(sim);
    sim->in_flight--;
    sim->departed++;
    sim->sojourn_sum += sim->now - r->arrival;
}

static void record_completion(js_sim *sim, request *r)
{
    request_departs(sim, r);
    double lat_ms = (sim->now - r->arrival) * 1e3;
    bool late = sim->now > r->deadline;
    appctr *cs[4] = {&sim->app[r->app], &sim->total, NULL, NULL};
    if (sim->tl_app != NULL) {
        cs[2] = &sim->tl_app[r->app];
        cs[3] = &sim->tl_total;
    }
    for (int i = 0; i < 4 && cs[i] != NULL; i++) {
        cs[i]->completed++;
        cs[i]->late += late;
        cs[i]->pas_sum += r->pas;
    }
    /* Per-app histograms only; the totals' are merged from them when read. */
    js_hist_add(&sim->app[r->app].h, lat_ms);
    if (sim->tl_app != NULL)
        js_hist_add(&sim->tl_app[r->app].h, lat_ms);
}

static void record_drop(js_sim *sim, request *r)
{
    r->dropped = 1;
    request_departs(sim, r);
    sim->app[r->app].dropped++;
    sim->total.dropped++;
    if (sim->tl_app != NULL) {
        sim->tl_app[r->app].dropped++;
        sim->tl_total.dropped++;
    }
}

/* One of the request's items is finished (served or discarded). */
static void item_finished(js_sim *sim, uint32_t rid)
{
    request *r = &sim->reqs[rid];
    if (--r->outstanding > 0)
        return;
    if (!r->dropped)
        record_completion(sim, r);
    r->outstanding = sim->req_free;
    sim->req_free = rid;
}

/* ---- workers ---------------------------------------------------------------------- */

static fifo *worker_queue(js_sim *sim, worker *w)
{
    return sim->cfg.dispatch == JS_DISPATCH_SHARED ? &sim->t[w->task].shared : &w->q;
}

static double draw_service(js_sim *sim, const wclass *c, int n)
{
    switch (sim->cfg.service) {
    case JS_SERVICE_DETERMINISTIC:
        return c->mean_s[n];
    case JS_SERVICE_EXPONENTIAL:
        return gsl_ran_exponential(sim->rng, c->mean_s[n]);
    case JS_SERVICE_LOGNORMAL:
    default:
        if (c->sigma[n] <= 0)
            return c->mean_s[n];
        return gsl_ran_lognormal(sim->rng, c->zeta[n], c->sigma[n]);
    }
}

/* Free worker w takes a batch from its queue if the batching rule says so. */
static int try_start(js_sim *sim, uint32_t wi)
{
    worker *w = &sim->w[wi];
    if (w->busy || !w->up || w->retiring || w->zombie)
        return 0;
    const wclass *c = &sim->cls[w->cls];
    taskrt *t = &sim->t[w->task];
    fifo *q = worker_queue(sim, w);
    for (;;) {
        if (q->len == 0)
            return 0;
        double wake = 0;
        int take = js_sched_batch_take((int)q->len, c->batch, sim->items[q->head].t_enq,
                                       sim->now, sim->cfg.batch_timeout_ms * 1e-3, &wake);
        if (take == 0) {
            if (!w->timer_pending || w->timer_t > wake) {
                w->timer_pending = true;
                w->timer_t = wake;
                return push_ev(sim, wake, EV_TIMER, wi);
            }
            return 0;
        }
        uint32_t head = NIL, tail = NIL;
        int n = 0;
        while (n < take && q->len > 0) {
            uint32_t it = fifo_pop(sim, q);
            uint32_t rid = sim->items[it].req;
            request *r = &sim->reqs[rid];
            if (!r->dropped && sim->cfg.early_drop && sim->now + t->min_lat_s > r->deadline)
                record_drop(sim, r);
            if (r->dropped) {
                item_release(sim, it);
                item_finished(sim, rid);
                continue;
            }
            t->qdelay_sum += sim->now - sim->items[it].t_enq;
            sim->items[it].next = NIL;
            if (head == NIL)
                head = it;
            else
                sim->items[tail].next = it;
            tail = it;
            n++;
        }
        if (n == 0)
            continue;
        if (w->tslot >= 0 && sim->cfg.dispatch != JS_DISPATCH_SHARED)
            t->view[w->tslot].queued = (int)q->len;
        w->busy = true;
        w->bhead = head;
        w->bn = n;
        w->bstart = sim->now;
        if (w->tslot >= 0)
            t->view[w->tslot].busy_until = sim->now + c->mean_s[n];
        return push_ev(sim, sim->now + draw_service(sim, c, n), EV_DONE, wi);
    }
}

/* Route an item to a worker of its task (or the task queue). */
static int dispatch(js_sim *sim, uint32_t it)
{
    item *x = &sim->items[it];
    request *r = &sim->reqs[x->req];
    if (r->dropped) {
        uint32_t rid = x->req;
        item_release(sim, it);
        item_finished(sim, rid);
        return 0;
    }
    taskrt *t = &sim->t[x->task];
    x->t_enq = sim->now;
    if (sim->cfg.dispatch == JS_DISPATCH_SHARED) {
        fifo_push(sim, &t->shared, it);
        for (int i = 0; i < t->nw; i++) {
            worker *w = &sim->w[t->w[i]];
            if (!w->busy && w->up)
                return try_start(sim, t->w[i]);
        }
        return 0;
    }
    int k = sim->cfg.dispatch == JS_DISPATCH_RR ? js_sched_pick_rr(t->view, t->nw, &t->rr)
                                                : js_sched_pick_jsed_inline(t->view, t->nw, sim->now);
    if (k < 0) {
        fifo_push(sim, &t->shared, it); /* no worker up: hold until one is */
        return 0;
    }
    uint32_t wi = t->w[k];
    worker *w = &sim->w[wi];
    fifo_push(sim, &w->q, it);
    t->view[k].queued = (int)w->q.len;
    if (!w->busy)
        return try_start(sim, wi);
    return 0;
}

/* Items held at the task (no worker was up) go out again. */
static int drain_task_queue(js_sim *sim, taskrt *t)
{
    if (sim->cfg.dispatch == JS_DISPATCH_SHARED) {
        for (int i = 0; i < t->nw; i++) {
            int rc = try_start(sim, t->w[i]);
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    if (t->nup == 0)
        return 0;
    fifo held = t->shared;
    fifo_init(&t->shared);
    while (held.len > 0) {
        int rc = dispatch(sim, fifo_pop(sim, &held));
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Spawn and dispatch the child items of one finished item of request rid. The parent
 * item is still outstanding, so the request cannot complete while this runs. */
static int spawn_children(js_sim *sim, uint32_t rid, const taskrt *t, int variant)
{
    for (int e = 0; e < t->nchild; e++) {
        double m = t->child[e].mean[variant];
        unsigned k;
        if (m <= 0)
            continue;
        if (sim->cfg.poisson_fanout) {
            k = gsl_ran_poisson(sim->rng, m);
        } else {
            double fl = floor(m);
            k = (unsigned)fl + (gsl_rng_uniform(sim->rng) < m - fl ? 1u : 0u);
        }
        sim->inline_events += k;
        for (unsigned j = 0; j < k; j++) {
            uint32_t it = item_alloc(sim);
            if (it == NIL)
                return oom(sim);
            sim->items[it].req = rid;
            sim->items[it].task = t->child[e].task;
            sim->reqs[rid].outstanding++;
            int rc = dispatch(sim, it);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static int worker_remove_from_task(js_sim *sim, uint32_t wi)
{
    worker *w = &sim->w[wi];
    if (w->tslot < 0)
        return 0;
    taskrt *t = &sim->t[w->task];
    int k = w->tslot, last = t->nw - 1;
    if (k != last) {
        t->w[k] = t->w[last];
        t->view[k] = t->view[last];
        sim->w[t->w[k]].tslot = k;
    }
    t->nw--;
    w->tslot = -1;
    if (t->rr >= t->nw)
        t->rr = 0;
    recount_up(sim, t);
    return 0;
}

static void worker_free_slot(js_sim *sim, uint32_t wi)
{
    sim->w[wi].used = false;
    sim->wfree[sim->nwfree++] = wi;
}

static int on_done(js_sim *sim, uint32_t wi)
{
    worker *w = &sim->w[wi];
    if (w->zombie) { /* its batch was re-dispatched when its GPU was reconfigured */
        w->zombie = false;
        worker_free_slot(sim, wi);
        return 0;
    }
    taskrt *t = &sim->t[w->task];
    const wclass *c = &sim->cls[w->cls];
    t->busy_s += sim->now - w->bstart;
    t->batches++;
    t->items += (uint64_t)w->bn;
    sim->items_served += (uint64_t)w->bn;
    w->busy = false;
    if (w->tslot >= 0)
        t->view[w->tslot].busy_until = sim->now;
    uint32_t it = w->bhead;
    w->bhead = NIL;
    w->bn = 0;
    while (it != NIL) {
        uint32_t next = sim->items[it].next;
        uint32_t rid = sim->items[it].req;
        if (!sim->reqs[rid].dropped && t->nchild > 0) {
            int rc = spawn_children(sim, rid, t, c->variant);
            if (rc != 0)
                return rc;
        }
        item_release(sim, it);
        item_finished(sim, rid);
        it = next;
    }
    if (w->retiring) {
        worker_remove_from_task(sim, wi);
        worker_free_slot(sim, wi);
        return 0;
    }
    return try_start(sim, wi);
}

/* ---- service classes and plan instantiation -------------------------------------- */

static const js_profile_entry *profile_lookup(const js_profile *p, int mig, int batch,
                                              int workers)
{
    if (p == NULL)
        return NULL;
    const js_profile_entry *best = NULL;
    for (int i = 0; i < p->nentries; i++) {
        const js_profile_entry *e = &p->entries[i];
        if (!e->available || e->mig != mig || e->workers != workers || e->batch < batch)
            continue;
        if (best == NULL || e->batch < best->batch)
            best = e;
    }
    return best; /* exact batch if present, else the nearest larger one */
}

static void lognormal_fit(double z95, double mean, double p95, double *zeta, double *sigma)
{
    double s = 0;
    if (isfinite(p95) && p95 > mean && mean > 0) {
        /* mean = exp(zeta + s^2/2), p95 = exp(zeta + z s): s^2/2 - z s + ln(p95/mean) = 0 */
        double disc = z95 * z95 - 2.0 * log(p95 / mean);
        s = disc > 0 ? z95 - sqrt(disc) : z95;
    }
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
    const js_profile_entry *pe = profile_lookup(var->profile, mig, batch, workers);
    double mean_ms, p95_ms, thr;
    if (sg != NULL && sg->lat_mean_ms > 0) {
        mean_ms = sg->lat_mean_ms;
        p95_ms = sg->lat_p95_ms;
        thr = sg->throughput > 0 ? sg->throughput / workers : 0;
    } else if (pe != NULL && pe->batch == batch) {
        mean_ms = pe->lat_mean_ms;
        p95_ms = pe->lat_p95_ms;
        thr = pe->throughput;
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
    if (c->mean_s == NULL || c->zeta == NULL || c->sigma == NULL) {
        free(c->mean_s);
        free(c->zeta);
        free(c->sigma);
        return oom(sim);
    }
    sim->ncls++;
    for (int b = 1; b <= batch; b++) {
        double m = mean_ms, q = p95_ms;
        if (b < batch) {
            /* The profile entry for the batch actually formed, else the nearest larger
             * one; without a profile, the planned batch's latency (conservative). */
            const js_profile_entry *e = profile_lookup(var->profile, mig, b, workers);
            if (e != NULL && e->batch <= batch && e->lat_mean_ms > 0) {
                m = e->lat_mean_ms;
                q = e->lat_p95_ms;
            }
        }
        c->mean_s[b] = m * 1e-3;
        lognormal_fit(sim->z95, m * 1e-3, q * 1e-3, &c->zeta[b], &c->sigma[b]);
    }
    return sim->ncls - 1;
}

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
    return 0;
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
    touch_resources(sim);
    plan_resources(sim, p, &sim->slices_now, &sim->gpus_now);
    if (p->ngpus > sim->ngpus)
        sim->ngpus = p->ngpus;
}

/* ---- timeline --------------------------------------------------------------------- */

static int tl_append(js_sim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int tl_append(js_sim *sim, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = sim->tl_cap - sim->tl_len;
        int n = vsnprintf(sim->tl_buf ? sim->tl_buf + sim->tl_len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            return JS_EXIT_INTERNAL;
        if ((size_t)n < room) {
            sim->tl_len += (size_t)n;
            return 0;
        }
        size_t ncap = (sim->tl_cap ? sim->tl_cap * 2 : 8192) + (size_t)n;
        char *nb = realloc(sim->tl_buf, ncap);
        if (nb == NULL)
            return oom(sim);
        sim->tl_buf = nb;
        sim->tl_cap = ncap;
    }
}

static void fmt_num(char *buf, size_t n, double v)
{
    if (isfinite(v))
        snprintf(buf, n, "%.6g", v);
    else
        snprintf(buf, n, "%s", "");
}

static int tl_row(js_sim *sim, double t0, double t1, const char *name, const appctr *c,
                  uint64_t arrivals, double slices, double gpus)
{
    char p50[32], p95[32], p99[32], mx[32], acc[32], vr[32];
    uint64_t fin = c->completed + c->dropped;
    fmt_num(vr, sizeof vr, fin ? (double)(c->late + c->dropped) / (double)fin : NAN);
    fmt_num(p50, sizeof p50, js_hist_quantile(&c->h, 0.50));
    fmt_num(p95, sizeof p95, js_hist_quantile(&c->h, 0.95));
    fmt_num(p99, sizeof p99, js_hist_quantile(&c->h, 0.99));
    fmt_num(mx, sizeof mx, c->h.n ? c->h.max : NAN);
    fmt_num(acc, sizeof acc, c->completed ? c->pas_sum / (double)c->completed : NAN);
    return tl_append(sim, "%.6g,%.6g,%s,%llu,%llu,%llu,%llu,%s,%s,%s,%s,%s,%s,%.6g,%.6g\n", t0,
                     t1, name, (unsigned long long)arrivals, (unsigned long long)c->completed,
                     (unsigned long long)c->late, (unsigned long long)c->dropped, vr, p50, p95,
                     p99, mx, acc, slices, gpus);
}

/* Close the interval [tl_start, t_end). */
static int tl_flush(js_sim *sim, double t_end)
{
    if (sim->tl_app == NULL || !(t_end > sim->tl_start))
        return 0;
    double save_now = sim->now;
    sim->now = t_end;
    touch_resources(sim);
    sim->now = save_now;
    double len = t_end - sim->tl_start;
    double sl = sim->tl_slices_area / len, gp = sim->tl_gpus_area / len;
    int rc = 0;
    for (int a = 0; a < sim->napps && rc == 0; a++)
        rc = tl_row(sim, sim->tl_start, t_end, sim->s->apps[a].name, &sim->tl_app[a],
                    sim->tl_app[a].requests, sl, gp);
    js_hist_reset(&sim->tl_total.h);
    for (int a = 0; a < sim->napps; a++)
        js_hist_merge(&sim->tl_total.h, &sim->tl_app[a].h);
    if (rc == 0)
        rc = tl_row(sim, sim->tl_start, t_end, "all", &sim->tl_total, sim->tl_total.requests,
                    sl, gp);
    for (int a = 0; a < sim->napps; a++)
        js_hist_reset(&sim->tl_app[a].h), sim->tl_app[a].requests = sim->tl_app[a].completed =
                                              sim->tl_app[a].late = sim->tl_app[a].dropped = 0,
                                              sim->tl_app[a].pas_sum = 0;
    js_hist_reset(&sim->tl_total.h);
    sim->tl_total.requests = sim->tl_total.completed = sim->tl_total.late =
        sim->tl_total.dropped = 0;
    sim->tl_total.pas_sum = 0;
    sim->tl_slices_area = sim->tl_gpus_area = 0;
    sim->tl_start = t_end;
    return rc;
}

int js_sim_write_timeline(js_sim *sim, const char *path, js_diag *d)
{
    if (sim->tl_app == NULL)
        return js_diag_set(d, JS_EXIT_USAGE, "simulator: no timeline was recorded "
                                             "(timeline interval is 0)");
    int rc = tl_flush(sim, sim->now);
    if (rc != 0)
        return js_diag_set(d, rc, "simulator: cannot build the timeline");
    return js_write_file_atomic(path, sim->tl_buf ? sim->tl_buf : "", sim->tl_len, d);
}

/* ---- event handlers --------------------------------------------------------------- */

static int fetch_next_arrival(js_sim *sim, int a)
{
    double t = 0;
    int rc = js_arrivals_next(sim->arr[a], &t, sim->err_d);
    if (rc == 1 || (sim->cfg.duration_s > 0 && t >= sim->cfg.duration_s)) {
        sim->arr_done[a] = true;
        return 0;
    }
    if (rc != 0)
        return rc;
    if (t < sim->now)
        t = sim->now;
    return push_ev(sim, t, EV_ARRIVAL, (uint32_t)a);
}

static int on_arrival(js_sim *sim, int a)
{
    uint32_t rid = req_alloc(sim);
    uint32_t it = rid == NIL ? NIL : item_alloc(sim);
    if (it == NIL)
        return oom(sim);
    request *r = &sim->reqs[rid];
    r->arrival = sim->now;
    r->deadline = sim->now + sim->slo_s[a];
    r->pas = sim->pas[a];
    const js_app *ap = &sim->s->apps[a];
    int nsrc = ap->nsources > 0 ? ap->nsources : 1;
    r->outstanding = (uint32_t)nsrc;
    r->app = (uint16_t)a;
    r->dropped = 0;
    touch_in_flight(sim);
    sim->in_flight++;
    sim->app[a].requests++;
    sim->total.requests++;
    if (sim->tl_app != NULL) {
        sim->tl_app[a].requests++;
        sim->tl_total.requests++;
    }
    /* One item per entry task (parallel branches fed by the same request). */
    for (int k = 0; k < nsrc; k++) {
        if (k > 0 && (it = item_alloc(sim)) == NIL)
            return oom(sim);
        sim->items[it].req = rid;
        sim->items[it].task =
            (uint32_t)(sim->app_off[a] + (ap->nsources > 0 ? ap->sources[k] : ap->source));
        int rc = dispatch(sim, it);
        if (rc != 0)
            return rc;
    }
    return fetch_next_arrival(sim, a);
}

static bool arrivals_pending(const js_sim *sim)
{
    for (int a = 0; a < sim->napps; a++)
        if (!sim->arr_done[a])
            return true;
    return false;
}

static int on_gpu_up(js_sim *sim, int g)
{
    for (int i = 0; i < sim->ntasks; i++) {
        taskrt *t = &sim->t[i];
        bool changed = false;
        for (int k = 0; k < t->nw; k++) {
            worker *w = &sim->w[t->w[k]];
            if (w->gpu == g && !w->up && !w->retiring) {
                w->up = true;
                t->view[k].up = true;
                changed = true;
            }
        }
        if (!changed)
            continue;
        recount_up(sim, t);
        int rc = drain_task_queue(sim, t);
        for (int k = 0; k < t->nw && rc == 0; k++)
            rc = try_start(sim, t->w[k]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int handle(js_sim *sim, const js_ev *e)
{
    uint32_t pl = js_ev_payload(e);
    uint32_t type = pl >> EV_TYPE_SHIFT, id = pl & EV_ID_MASK;
    switch (type) {
    case EV_ARRIVAL:
        return on_arrival(sim, (int)id);
    case EV_DONE:
        return on_done(sim, id);
    case EV_TIMER: {
        worker *w = &sim->w[id];
        if (w->timer_pending && w->timer_t <= sim->now)
            w->timer_pending = false;
        return w->used ? try_start(sim, id) : 0;
    }
    case EV_GPU_UP:
        return on_gpu_up(sim, (int)id);
    case EV_TICK: {
        sim->tick_pending = false;
        int rc = tl_flush(sim, sim->now);
        if (rc == 0 && (sim->q.n > 0 || arrivals_pending(sim))) {
            sim->tick_pending = true;
            rc = push_ev(sim, sim->now + sim->tl_interval, EV_TICK, 0);
        }
        return rc;
    }
    default:
        return js_diag_set(sim->err_d, JS_EXIT_INTERNAL, "simulator: unknown event %u", type);
    }
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int start_once(js_sim *sim)
{
    if (sim->started)
        return 0;
    sim->started = true;
    for (int a = 0; a < sim->napps; a++) {
        if (sim->arr[a] == NULL) {
            sim->arr_done[a] = true;
            continue;
        }
        int rc = fetch_next_arrival(sim, a);
        if (rc != 0)
            return rc;
    }
    if (sim->tl_app != NULL) {
        sim->tick_pending = true;
        return push_ev(sim, sim->now + sim->tl_interval, EV_TICK, 0);
    }
    return 0;
}

int js_sim_run_until(js_sim *sim, double t, js_diag *d)
{
    sim->err_d = d;
    int rc = start_once(sim);
    if (rc != 0)
        return rc;
    double w0 = wall_now();
    rc = 0;
    while (sim->q.n > 0 && sim->q.a[0].t <= t) {
        js_ev e = js_evq_pop(&sim->q);
        sim->now = e.t;
        sim->events++;
        rc = handle(sim, &e);
        if (rc != 0)
            break;
        if (sim->cfg.progress != NULL && (sim->events & 0xffff) == 0)
            sim->cfg.progress(sim->cfg.progress_ctx, sim->now, sim->total.requests,
                              sim->events + sim->inline_events);
        /* Only the timeline tick left and nothing can change any more: stop ticking. */
        if (sim->q.n == 1 && sim->tick_pending && !arrivals_pending(sim) &&
            js_ev_payload(&sim->q.a[0]) >> EV_TYPE_SHIFT == EV_TICK)
            break;
    }
    if (rc == 0 && isfinite(t) && t > sim->now)
        sim->now = t;
    sim->wall_s += wall_now() - w0;
    return rc;
}

/* ---- public lifecycle ------------------------------------------------------------- */

static int init_tasks(js_sim *sim, js_diag *d)
{
    const js_scenario *s = sim->s;
    sim->app_off = calloc((size_t)s->napps + 1, sizeof *sim->app_off);
    if (sim->app_off == NULL)
        return oom(sim);
    int n = 0;
    for (int a = 0; a < s->napps; a++) {
        sim->app_off[a] = n;
        n += s->apps[a].ntasks;
    }
    sim->app_off[s->napps] = n;
    sim->ntasks = n;
    sim->t = calloc((size_t)(n > 0 ? n : 1), sizeof *sim->t);
    if (sim->t == NULL)
        return oom(sim);
    for (int a = 0; a < s->napps; a++) {
        const js_app *ap = &s->apps[a];
        bool bad_src = ap->source < 0 || ap->source >= ap->ntasks || ap->nsources < 0 ||
                       ap->nsources > JS_MAX_TASKS;
        for (int k = 0; !bad_src && k < ap->nsources; k++)
            bad_src = ap->sources[k] < 0 || ap->sources[k] >= ap->ntasks;
        if (bad_src)
            return js_diag_set(d, JS_EXIT_DATAERR, "scenario: app %s: no valid source task",
                               ap->name);
        for (int k = 0; k < ap->ntasks; k++) {
            taskrt *t = &sim->t[sim->app_off[a] + k];
            t->app = a;
            t->task = k;
            fifo_init(&t->shared);
        }
        for (int e = 0; e < ap->nedges; e++) {
            const js_edge *ed = &ap->edges[e];
            if (ed->from < 0 || ed->from >= ap->ntasks || ed->to < 0 || ed->to >= ap->ntasks)
                return js_diag_set(d, JS_EXIT_DATAERR, "scenario: app %s: edge %d out of range",
                                   ap->name, e);
            taskrt *t = &sim->t[sim->app_off[a] + ed->from];
            if (t->nchild >= JS_MAX_TASKS)
                return js_diag_set(d, JS_EXIT_DATAERR, "scenario: app %s: too many edges",
                                   ap->name);
            child_edge *c = &t->child[t->nchild++];
            c->task = (uint32_t)(sim->app_off[a] + ed->to);
            for (int v = 0; v < JS_MAX_VARIANTS; v++)
                c->mean[v] = edge_mean(ed, v);
        }
    }
    return 0;
}

int js_sim_create(const js_scenario *s, const js_plan *p, const js_sim_config *c,
                  js_arrivals **arrivals, js_sim **out, js_diag *d)
{
    *out = NULL;
    js_sim *sim = calloc(1, sizeof *sim);
    if (sim == NULL)
        return js_diag_set(d, JS_EXIT_INTERNAL, "simulator: out of memory");
    sim->s = s;
    sim->cfg = *c;
    sim->err_d = d;
    sim->item_free = sim->req_free = NIL;
    sim->napps = s->napps;
    sim->z95 = gsl_cdf_ugaussian_Pinv(0.95);
    int rc = 0;
    if (c->batch_timeout_ms < 0 || c->duration_s < 0 || c->timeline_interval_s < 0)
        rc = js_diag_set(d, JS_EXIT_USAGE,
                         "simulator: batch timeout, duration and timeline interval must be >= 0");
    if (rc == 0 && s->napps > 65535)
        rc = js_diag_set(d, JS_EXIT_DATAERR, "simulator: too many applications");
    sim->rng = gsl_rng_alloc(gsl_rng_mt19937);
    sim->arr = calloc((size_t)s->napps + 1, sizeof *sim->arr);
    sim->arr_done = calloc((size_t)s->napps + 1, sizeof *sim->arr_done);
    sim->slo_s = calloc((size_t)s->napps + 1, sizeof *sim->slo_s);
    sim->pas = calloc((size_t)s->napps + 1, sizeof *sim->pas);
    sim->app = calloc((size_t)s->napps + 1, sizeof *sim->app);
    if (rc == 0 && (sim->rng == NULL || sim->arr == NULL || sim->arr_done == NULL ||
                    sim->slo_s == NULL || sim->pas == NULL || sim->app == NULL ||
                    js_evq_init(&sim->q, 256) != 0))
        rc = oom(sim);
    if (rc == 0) {
        gsl_rng_set(sim->rng, c->seed);
        for (int a = 0; a < s->napps; a++) {
            sim->arr[a] = arrivals != NULL ? arrivals[a] : NULL;
            sim->slo_s[a] = s->apps[a].latency_slo_ms * 1e-3;
            sim->pas[a] = 1.0;
        }
        rc = init_tasks(sim, d);
    }
    if (rc == 0 && c->timeline_interval_s > 0) {
        sim->tl_interval = c->timeline_interval_s;
        sim->tl_app = calloc((size_t)s->napps + 1, sizeof *sim->tl_app);
        if (sim->tl_app == NULL)
            rc = oom(sim);
        else
            rc = tl_append(sim, "t_start_s,t_end_s,app,arrivals,completed,late,dropped,"
                                "violation_rate,p50_ms,p95_ms,p99_ms,max_ms,accuracy,slices,"
                                "gpus\n");
    }
    if (rc == 0)
        rc = check_plan_refs(sim, p, d);
    if (rc == 0)
        rc = build_workers(sim, p, NULL, d);
    if (rc == 0) {
        set_plan_meta(sim, p);
        refresh_min_lat(sim);
        for (int i = 0; i < sim->ntasks; i++)
            recount_up(sim, &sim->t[i]);
    }
    if (rc != 0) {
        js_sim_destroy(sim);
        return rc;
    }
    *out = sim;
    return 0;
}

int js_sim_run(js_sim *sim, js_diag *d)
{
    int rc = js_sim_run_until(sim, INFINITY, d);
    if (rc == 0 && sim->cfg.timeline_path != NULL && sim->tl_app != NULL)
        rc = js_sim_write_timeline(sim, sim->cfg.timeline_path, d);
    return rc;
}

/* Is GPU g's set of placements the same in the running workers and in plan p? */
static bool gpu_layout_same(const js_sim *sim, const js_plan *p, int g)
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
    if (nhave != nwant)
        return false;
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
        same[g] = gpu_layout_same(sim, p, g);
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
        }
        if (w->zombie || !w->busy) {
            worker_remove_from_task(sim, i);
            if (!w->zombie)
                worker_free_slot(sim, i);
        } else {
            w->retiring = true; /* finishes its batch, then leaves */
            recount_up(sim, &sim->t[w->task]);
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
        recount_up(sim, &sim->t[i]);
    /* Re-dispatch the evacuated items, then let idle workers start. */
    while (moved.len > 0 && rc == 0)
        rc = dispatch(sim, fifo_pop(sim, &moved));
    for (int i = 0; i < sim->ntasks && rc == 0; i++) {
        taskrt *t = &sim->t[i];
        rc = drain_task_queue(sim, t);
        for (int k = 0; k < t->nw && rc == 0; k++)
            rc = try_start(sim, t->w[k]);
    }
    return rc;
}

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
    touch_in_flight(sim);
    touch_resources(sim);
    for (int i = 0; i < sim->ntasks; i++)
        touch_task_workers(sim, &sim->t[i]);
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

void js_sim_destroy(js_sim *sim)
{
    if (sim == NULL)
        return;
    for (int i = 0; i < sim->ntasks; i++) {
        free(sim->t[i].w);
        free(sim->t[i].view);
    }
    for (int i = 0; i < sim->ncls; i++) {
        free(sim->cls[i].mean_s);
        free(sim->cls[i].zeta);
        free(sim->cls[i].sigma);
    }
    free(sim->cls);
    free(sim->t);
    free(sim->app_off);
    free(sim->w);
    free(sim->wfree);
    free(sim->items);
    free(sim->reqs);
    free(sim->arr);
    free(sim->arr_done);
    free(sim->slo_s);
    free(sim->pas);
    free(sim->app);
    free(sim->tl_app);
    free(sim->tl_buf);
    js_evq_free(&sim->q);
    if (sim->rng != NULL)
        gsl_rng_free(sim->rng);
    free(sim);
}
