/* sim: discrete-event simulator of a plan under an arrival stream (src/sim/NOTES.md).
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
 *
 * Files. This one holds the event loop, the event handlers, and create/run/destroy, plus
 * the debug-build walk that checks the representation between events (sim_check).
 * sim_internal.h holds the types and the pool and FIFO inlines; sim_worker.c what happens
 * to items at a task (accounting, dispatch, batching, child items, completion); sim_plan.c
 * service classes, plan instantiation and plan swaps; sim_timeline.c the timeline CSV;
 * result.c the metrics and their JSON.
 */
#include <math.h>
#include <stdio.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "jigsaw/limits.h"
#include "jigsaw/util.h"
#include "sim_internal.h"

/* ---- small helpers ---------------------------------------------------------------- */

void js_sim_config_init(js_sim_config *c)
{
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->dispatch = JS_DISPATCH_JSED;
    c->service = JS_SERVICE_LOGNORMAL;
    c->early_drop = true;
    c->drop_rule = JS_DROP_PATH;
    c->fanout = JS_SIM_FANOUT_EDGE;
    c->timeline_interval_s = 0.0; /* the CLI uses 60 s when --timeline is given */
    c->max_requests = JS_DEFAULT_MAX_REQUESTS;
}

static double edge_mean(const js_edge *e, int v)
{
    if (v >= 0 && v < JS_MAX_VARIANTS && !isnan(e->fanout_by_variant[v]))
        return e->fanout_by_variant[v];
    return e->fanout;
}

/* The count law of a child edge: the edge's own, or the configuration's for every edge;
 * Walker alias tables for the histograms (sampled in O(1) from rng_fanout). */
static int child_law(js_sim *sim, child_edge *c, const js_edge *ed, int nvariants)
{
    switch (sim->cfg.fanout) {
    case JS_SIM_FANOUT_POISSON:
        c->dist = JS_FANOUT_POISSON;
        break;
    case JS_SIM_FANOUT_MEAN:
        c->dist = JS_FANOUT_FIXED;
        break;
    case JS_SIM_FANOUT_EDGE:
    default:
        c->dist = ed->dist;
        break;
    }
    for (int v = 0; v < nvariants && v < JS_MAX_VARIANTS; v++) {
        if (c->dist == JS_FANOUT_EMPIRICAL) {
            c->table[v] = gsl_ran_discrete_preproc((size_t)ed->hist_len[v], ed->hist[v]);
            if (c->table[v] == NULL)
                return oom(sim);
            c->min_count[v] = js_edge_count_min(ed, v);
        } else if (c->dist == JS_FANOUT_FIXED) {
            c->min_count[v] = (int)floor(c->mean[v]);
        }
    }
    return 0;
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
    if (sim->total.requests >= sim->cfg.max_requests)
        return js_diag_set(sim->err_d, JS_EXIT_DATAERR,
                           "simulator: more than %llu requests arrived, the work budget "
                           "(--max-requests raises it; README, plausibility limits)",
                           (unsigned long long)sim->cfg.max_requests);
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
    sim_touch_in_flight(sim);
    sim->in_flight++;
    sim->app[a].requests++;
    sim->total.requests++;
    if (sim->tl_app != NULL) {
        sim->tl_app[a].requests++;
        sim->tl_total.requests++;
    }
    assert(sim_conserved(sim));
    /* One item per entry task (parallel branches fed by the same request). */
    for (int k = 0; k < nsrc; k++) {
        if (k > 0 && (it = item_alloc(sim)) == NIL)
            return oom(sim);
        sim->items[it].req = rid;
        sim->items[it].task =
            (uint32_t)(sim->app_off[a] + (ap->nsources > 0 ? ap->sources[k] : ap->source));
        int rc = sim_dispatch(sim, it);
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
                sim_slot_changed(sim, t, k);
                changed = true;
            }
        }
        if (!changed)
            continue;
        sim_recount_up(sim, t);
        int rc = sim_drain_task_queue(sim, t);
        for (int k = 0; k < t->nw && rc == 0; k++)
            rc = sim_try_start(sim, t->w[k]);
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
        return sim_on_done(sim, id);
    case EV_HOST:
        return sim_on_host_done(sim, id);
    case EV_TIMER: {
        worker *w = &sim->w[id];
        if (w->timer_pending && w->timer_t <= sim->now)
            w->timer_pending = false;
        return w->used ? sim_try_start(sim, id) : 0;
    }
    case EV_GPU_UP:
        return on_gpu_up(sim, (int)id);
    case EV_TICK: {
        sim->tick_pending = false;
        int rc = sim_tl_flush(sim, sim->now);
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
    double w0 = js_now_s();
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
    sim->wall_s += js_now_s() - w0;
    if (rc == 0)
        sim_check(sim);
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
            int rc = child_law(sim, c, ed, ap->tasks[ed->from].nvariants);
            if (rc != 0)
                return rc;
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
    sim->rng_service = gsl_rng_alloc(gsl_rng_mt19937);
    sim->rng_fanout = gsl_rng_alloc(gsl_rng_mt19937);
    sim->arr = calloc((size_t)s->napps + 1, sizeof *sim->arr);
    sim->arr_done = calloc((size_t)s->napps + 1, sizeof *sim->arr_done);
    sim->slo_s = calloc((size_t)s->napps + 1, sizeof *sim->slo_s);
    sim->pas = calloc((size_t)s->napps + 1, sizeof *sim->pas);
    sim->app = calloc((size_t)s->napps + 1, sizeof *sim->app);
    if (rc == 0 && (sim->rng_service == NULL || sim->rng_fanout == NULL || sim->arr == NULL || sim->arr_done == NULL ||
                    sim->slo_s == NULL || sim->pas == NULL || sim->app == NULL ||
                    js_evq_init(&sim->q, 256) != 0))
        rc = oom(sim);
    if (rc == 0) {
        /* One generator per purpose, apart from the arrival streams (jigsaw/util.h). */
        gsl_rng_set(sim->rng_service, js_seed_derive(c->seed, "service", 0));
        gsl_rng_set(sim->rng_fanout, js_seed_derive(c->seed, "fanout", 0));
        for (int a = 0; a < s->napps; a++) {
            sim->arr[a] = arrivals != NULL ? arrivals[a] : NULL;
            sim->slo_s[a] = s->apps[a].latency_slo_ms * 1e-3;
            sim->pas[a] = 1.0;
        }
        rc = init_tasks(sim, d);
    }
    /* Host phases share the CPU cores of their node (docs/host-model.md). */
    sim->cores_per_node = s->cluster.cpu_cores_per_node;
    sim->gpus_per_node = s->cluster.gpus_per_node > 0 ? s->cluster.gpus_per_node : 1;
    sim->cores_unplaced = js_cluster_cpu_cores(&s->cluster, s->cluster.gpus);
    if (rc == 0 && c->timeline_interval_s > 0)
        rc = sim_timeline_init(sim, c->timeline_interval_s);
    if (rc == 0)
        rc = sim_plan_init(sim, p, d);
    if (rc != 0) {
        js_sim_destroy(sim);
        return rc;
    }
    sim_check(sim);
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

void js_sim_destroy(js_sim *sim)
{
    if (sim == NULL)
        return;
    for (int i = 0; i < sim->ntasks; i++) {
        free(sim->t[i].w);
        free(sim->t[i].view);
        for (int e = 0; e < sim->t[i].nchild; e++)
            for (int v = 0; v < JS_MAX_VARIANTS; v++)
                if (sim->t[i].child[e].table[v] != NULL)
                    gsl_ran_discrete_free(sim->t[i].child[e].table[v]);
        jsed_index_free(&sim->t[i].jsed);
        mintree_free(&sim->t[i].idle);
    }
    for (int i = 0; i < sim->ncls; i++) {
        free(sim->cls[i].mean_s);
        free(sim->cls[i].zeta);
        free(sim->cls[i].sigma);
        free(sim->cls[i].host_s);
    }
    free(sim->pools);
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
    if (sim->rng_service != NULL)
        gsl_rng_free(sim->rng_service);
    if (sim->rng_fanout != NULL)
        gsl_rng_free(sim->rng_fanout);
    free(sim);
}

/* ---- invariants (debug builds) ---------------------------------------------------- */

#ifndef NDEBUG
/* Walks f: exactly len links from head to tail, each a live item of task `task`. */
static uint32_t check_fifo(const js_sim *sim, const fifo *f, uint32_t task)
{
    uint32_t n = 0, last = NIL;
    for (uint32_t it = f->head; it != NIL; it = sim->items[it].next) {
        assert(it < sim->nitems_cap && sim->items[it].live && sim->items[it].task == task);
        last = it;
        n++;
        assert(n <= f->len); /* no cycle, no overlong chain */
    }
    assert(n == f->len && last == f->tail);
    return n;
}

/* Free-list length of a pool whose link is the uint32_t at link_off; each entry not live. */
static uint32_t check_free_list(const void *base, size_t elem_size, size_t link_off,
                                size_t live_off, uint32_t head, uint32_t cap)
{
    const unsigned char *b = base;
    uint32_t n = 0;
    for (uint32_t i = head; i != NIL;) {
        assert(i < cap && b[(size_t)i * elem_size + live_off] == 0);
        n++;
        assert(n <= cap); /* no cycle */
        memcpy(&i, b + (size_t)i * elem_size + link_off, sizeof i);
    }
    return n;
}

/* Between events: each pool's free list and live elements partition it; every live item
 * is in exactly one task queue, worker queue or batch in service, and belongs to a live
 * request; the live requests' outstanding counts add up to the live items, and those not
 * dropped are the requests in flight, per application and in total. O(pool sizes). */
void sim_check(const js_sim *sim)
{
    uint32_t nfree = check_free_list(sim->items, sizeof *sim->items, offsetof(item, next),
                                     offsetof(item, live), sim->item_free, sim->nitems_cap);
    assert(nfree + sim->items_live == sim->nitems_cap);
    nfree = check_free_list(sim->reqs, sizeof *sim->reqs, offsetof(request, outstanding),
                            offsetof(request, live), sim->req_free, sim->nreq_cap);
    assert(nfree + sim->reqs_live == sim->nreq_cap);

    uint64_t queued = 0;
    for (int i = 0; i < sim->ntasks; i++) {
        const taskrt *t = &sim->t[i];
        queued += check_fifo(sim, &t->shared, (uint32_t)i);
        /* The dispatch indexes hold exactly the slots the scan would look at. */
        for (int k = 0; k < t->nw; k++) {
            const worker *w = &sim->w[t->w[k]];
            if (!t->indexed)
                continue;
            if (sim->cfg.dispatch == JS_DISPATCH_JSED)
                assert(mintree_has(&t->jsed.busy, k) + mintree_has(&t->jsed.free, k) ==
                       (int)t->view[k].up);
            else if (sim->cfg.dispatch == JS_DISPATCH_SHARED)
                assert(mintree_has(&t->idle, k) == (w->up && !w->busy));
            (void)w;
        }
    }
    uint32_t used = 0;
    for (uint32_t wi = 0; wi < sim->nw; wi++) {
        const worker *w = &sim->w[wi];
        if (!w->used)
            continue;
        used++;
        queued += check_fifo(sim, &w->q, w->task);
        assert(w->busy == (w->bn > 0) && (w->bn > 0) == (w->bhead != NIL));
        assert(!w->zombie || (!w->busy && w->q.len == 0));
        int n = 0;
        for (uint32_t it = w->bhead; it != NIL; it = sim->items[it].next) {
            assert(it < sim->nitems_cap && sim->items[it].live);
            assert(sim->items[it].task == w->task);
            n++;
            assert(n <= w->bn);
        }
        assert(n == w->bn);
        queued += (uint64_t)n;
    }
    assert(used + sim->nwfree == sim->nw);
    for (uint32_t k = 0; k < sim->nwfree; k++)
        assert(sim->wfree[k] < sim->nw && !sim->w[sim->wfree[k]].used);
    assert(queued == sim->items_live); /* no item lost or in two places */

    uint32_t live_items = 0;
    for (uint32_t i = 0; i < sim->nitems_cap; i++)
        if (sim->items[i].live) {
            live_items++;
            assert(sim->items[i].req < sim->nreq_cap && sim->reqs[sim->items[i].req].live);
        }
    assert(live_items == sim->items_live);

    uint64_t *in_flight = calloc((size_t)sim->napps + 1, sizeof *in_flight);
    uint64_t outstanding = 0, in_flight_all = 0;
    uint32_t live_reqs = 0;
    for (uint32_t r = 0; r < sim->nreq_cap; r++) {
        const request *q = &sim->reqs[r];
        if (!q->live)
            continue;
        live_reqs++;
        assert(q->outstanding > 0 && q->app < sim->napps);
        outstanding += q->outstanding;
        if (!q->dropped) {
            in_flight_all++;
            if (in_flight != NULL)
                in_flight[q->app]++;
        }
    }
    assert(live_reqs == sim->reqs_live);
    assert(outstanding == sim->items_live);
    assert(in_flight_all == sim->in_flight && sim_conserved(sim));
    for (int a = 0; a < sim->napps && in_flight != NULL; a++)
        assert(sim->app[a].requests ==
               sim->app[a].completed + sim->app[a].dropped + in_flight[a]);
    free(in_flight);
}
#endif
