/* sim_worker: what happens to items at a task -- the simulator's hot path.
 *
 * Accounting (time-weighted areas for Little's law, resources and worker-seconds; the
 * completion and drop counters), dispatch of an item to a worker of its task (the rules
 * of include/jigsaw/sched.h), batch formation with early dropping, service-time draws,
 * child items on a finished item's out-edges, and batch completion. Kept in one file so
 * that the per-item chain on_done -> spawn_children -> dispatch -> try_start stays within
 * one translation unit. Semantics: src/sim/NOTES.md; representation: sim_internal.h. */
#include <math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sim_internal.h"

/* ---- accounting ------------------------------------------------------------------- */

void sim_touch_in_flight(js_sim *sim)
{
    sim->area_n += (double)sim->in_flight * (sim->now - sim->last_n_t);
    sim->last_n_t = sim->now;
}

void sim_touch_resources(js_sim *sim)
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

void sim_touch_task_workers(js_sim *sim, taskrt *t)
{
    t->wtime_area += (double)t->nup * (sim->now - t->wlast);
    t->wlast = sim->now;
}

void sim_recount_up(js_sim *sim, taskrt *t)
{
    sim_touch_task_workers(sim, t);
    int n = 0;
    for (int i = 0; i < t->nw; i++)
        n += t->view[i].up;
    t->nup = n;
}

static void request_departs(js_sim *sim, request *r)
{
    assert(sim->in_flight > 0 && r->live);
    sim_touch_in_flight(sim);
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
    assert(sim_conserved(sim));
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
    assert(sim_conserved(sim));
}

/* One of the request's items is finished (served or discarded). */
static void item_finished(js_sim *sim, uint32_t rid)
{
    request *r = &sim->reqs[rid];
    assert(r->live && r->outstanding > 0);
    if (--r->outstanding > 0)
        return;
    if (!r->dropped)
        record_completion(sim, r);
    req_release(sim, rid);
}

/* ---- workers ---------------------------------------------------------------------- */

static fifo *worker_queue(js_sim *sim, worker *w)
{
    return sim->cfg.dispatch == JS_DISPATCH_SHARED ? &sim->t[w->task].shared : &w->q;
}

/* The GPU phase of a batch of n (its whole service when the class has no host phase). */
double sim_draw_service(js_sim *sim, const wclass *c, int n)
{
    double mean = c->host_s != NULL ? c->mean_s[n] - c->host_s[n] : c->mean_s[n];
    switch (sim->cfg.service) {
    case JS_SERVICE_DETERMINISTIC:
        return mean;
    case JS_SERVICE_EXPONENTIAL:
        return gsl_ran_exponential(sim->rng_service, mean);
    case JS_SERVICE_LOGNORMAL:
    default:
        if (c->sigma[n] <= 0)
            return mean;
        return gsl_ran_lognormal(sim->rng_service, c->zeta[n], c->sigma[n]);
    }
}

/* Free worker w takes a batch from its queue if the batching rule says so. */
int sim_try_start(js_sim *sim, uint32_t wi)
{
    worker *w = &sim->w[wi];
    if (w->busy || !w->up || w->retiring || w->zombie)
        return 0;
    const wclass *c = &sim->cls[w->cls];
    taskrt *t = &sim->t[w->task];
    fifo *q = worker_queue(sim, w);
    /* JSED picks workers by the queue lengths in t->view: they must be current. */
    assert(w->tslot < 0 || sim->cfg.dispatch == JS_DISPATCH_SHARED ||
           t->view[w->tslot].queued == (int)q->len);
    for (;;) {
        if (q->len == 0) {
            assert(w->tslot < 0 || sim->cfg.dispatch == JS_DISPATCH_SHARED ||
                   t->view[w->tslot].queued == 0);
            return 0;
        }
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
            if (!r->dropped && sim->cfg.early_drop && sim->now + t->drop_lat_s > r->deadline)
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
        /* Before the loop goes round: a queue emptied of dropped items is short too. */
        if (w->tslot >= 0 && sim->cfg.dispatch != JS_DISPATCH_SHARED)
            t->view[w->tslot].queued = (int)q->len;
        if (n == 0) {
            if (w->tslot >= 0)
                sim_slot_changed(sim, t, w->tslot);
            continue;
        }
        w->busy = true;
        w->bhead = head;
        w->bn = n;
        w->bstart = sim->now;
        if (w->tslot >= 0) {
            t->view[w->tslot].busy_until = sim->now + c->mean_s[n];
            sim_slot_changed(sim, t, w->tslot);
        }
        if (c->host_s != NULL && c->host_s[n] > 0)
            return sim_host_begin(sim, wi);
        return push_ev(sim, sim->now + sim_draw_service(sim, c, n), EV_DONE, wi);
    }
}

static bool idle(const js_sim *sim, const taskrt *t, int k)
{
    const worker *w = &sim->w[t->w[k]];
    return w->up && !w->busy;
}

static int first_idle(const js_sim *sim, const taskrt *t)
{
    if (t->indexed)
        return mintree_min(&t->idle);
    for (int k = 0; k < t->nw; k++)
        if (idle(sim, t, k))
            return k;
    return -1;
}

/* Route an item to a worker of its task (or the task queue). */
int sim_dispatch(js_sim *sim, uint32_t it)
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
        /* The first up worker without a batch, in slot order. */
        int k = first_idle(sim, t);
        return k >= 0 ? sim_try_start(sim, t->w[k]) : 0;
    }
    int k;
    if (sim->cfg.dispatch == JS_DISPATCH_RR)
        k = js_sched_pick_rr(t->view, t->nw, &t->rr);
    else if (t->indexed)
        k = jsed_index_pick(&t->jsed, t->view, sim->now);
    else
        k = js_sched_pick_jsed_inline(t->view, t->nw, sim->now);
    if (k < 0) {
        fifo_push(sim, &t->shared, it); /* no worker up: hold until one is */
        return 0;
    }
    uint32_t wi = t->w[k];
    worker *w = &sim->w[wi];
    fifo_push(sim, &w->q, it);
    t->view[k].queued = (int)w->q.len;
    if (w->busy) {
        sim_slot_changed(sim, t, k);
        return 0;
    }
    /* A free worker takes the item at once: one index update for both changes. */
    int rc = sim_try_start(sim, wi);
    if (!w->busy)
        sim_slot_changed(sim, t, k);
    return rc;
}

/* Items held at the task (no worker was up) go out again. */
int sim_drain_task_queue(js_sim *sim, taskrt *t)
{
    if (sim->cfg.dispatch == JS_DISPATCH_SHARED) {
        for (int i = 0; i < t->nw; i++) {
            int rc = sim_try_start(sim, t->w[i]);
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
        int rc = sim_dispatch(sim, fifo_pop(sim, &held));
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
        const child_edge *ce = &t->child[e];
        double m = ce->mean[variant];
        unsigned k;
        if (m <= 0)
            continue;
        switch (ce->dist) {
        case JS_FANOUT_FIXED: { /* an integer mean draws nothing */
            double fl = floor(m);
            k = (unsigned)fl + (m > fl && gsl_rng_uniform(sim->rng_fanout) < m - fl ? 1u : 0u);
            break;
        }
        case JS_FANOUT_EMPIRICAL:
            k = (unsigned)gsl_ran_discrete(sim->rng_fanout, ce->table[variant]);
            break;
        case JS_FANOUT_POISSON:
        default:
            k = gsl_ran_poisson(sim->rng_fanout, m);
            break;
        }
        sim->inline_events += k;
        for (unsigned j = 0; j < k; j++) {
            uint32_t it = item_alloc(sim);
            if (it == NIL)
                return oom(sim);
            sim->items[it].req = rid;
            sim->items[it].task = t->child[e].task;
            sim->reqs[rid].outstanding++;
            int rc = sim_dispatch(sim, it);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* ---- dispatch indexes ------------------------------------------------------------- */

void sim_slot_changed(js_sim *sim, taskrt *t, int k)
{
    if (!t->indexed)
        return;
    switch (sim->cfg.dispatch) {
    case JS_DISPATCH_JSED:
        if (k < t->nw) {
            jsed_index_update(&t->jsed, t->view, k, sim->now);
        } else {
            mintree_clear(&t->jsed.busy, k);
            mintree_clear(&t->jsed.free, k);
        }
        break;
    case JS_DISPATCH_SHARED:
        if (k < t->nw && idle(sim, t, k))
            mintree_set(&t->idle, k, 0.0, 0.0);
        else
            mintree_clear(&t->idle, k);
        break;
    case JS_DISPATCH_RR:
    default:
        break; /* round-robin keeps no index */
    }
}

int sim_index_sync(js_sim *sim, taskrt *t)
{
    bool want = t->nw > SCAN_MAX_WORKERS && sim->cfg.dispatch != JS_DISPATCH_RR;
    if (!want || t->indexed) {
        t->indexed = want;
        return 0;
    }
    int rc = sim->cfg.dispatch == JS_DISPATCH_JSED ? jsed_index_reserve(&t->jsed, t->capw)
                                                   : mintree_reserve(&t->idle, t->capw);
    if (rc != 0)
        return oom(sim);
    t->indexed = true;
    for (int k = 0; k < t->capw; k++) /* from scratch: slots past nw are emptied */
        sim_slot_changed(sim, t, k);
    return 0;
}

void sim_worker_remove(js_sim *sim, uint32_t wi)
{
    worker *w = &sim->w[wi];
    if (w->tslot < 0)
        return;
    taskrt *t = &sim->t[w->task];
    int k = w->tslot, last = t->nw - 1;
    if (k != last) {
        t->w[k] = t->w[last];
        t->view[k] = t->view[last];
        sim->w[t->w[k]].tslot = k;
    }
    t->nw--;
    w->tslot = -1;
    if (k != last)
        sim_slot_changed(sim, t, k);
    sim_slot_changed(sim, t, last);
    sim_index_sync(sim, t); /* fewer workers: cannot fail */
    if (t->rr >= t->nw)
        t->rr = 0;
    sim_recount_up(sim, t);
}

void sim_worker_free_slot(js_sim *sim, uint32_t wi)
{
    sim->w[wi].used = false;
    sim->wfree[sim->nwfree++] = wi;
}

int sim_on_done(js_sim *sim, uint32_t wi)
{
    worker *w = &sim->w[wi];
    if (w->zombie) { /* its batch was re-dispatched when its GPU was reconfigured */
        w->zombie = false;
        sim_worker_free_slot(sim, wi);
        return 0;
    }
    taskrt *t = &sim->t[w->task];
    const wclass *c = &sim->cls[w->cls];
    t->busy_s += sim->now - w->bstart;
    t->batches++;
    t->items += (uint64_t)w->bn;
    sim->items_served += (uint64_t)w->bn;
    w->busy = false;
    /* The index learns of the free worker after its next batch is formed (below): the
     * children go to other tasks (the graph has no cycles), so nothing dispatches to this
     * task in between. */
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
        sim_worker_remove(sim, wi);
        sim_worker_free_slot(sim, wi);
        return 0;
    }
    int rc = sim_try_start(sim, wi);
    if (!w->busy && w->tslot >= 0)
        sim_slot_changed(sim, t, w->tslot);
    return rc;
}
