/* sim_internal: the simulator's private representation, shared by its five source files.
 * Not a public header (the public one is include/jigsaw/sim.h).
 *
 * What lives here: the item and request pools (index-addressed, with free lists), the
 * intrusive FIFO queues threaded through the item pool, the service classes, workers and
 * per-task state, struct js_sim itself, and the inline helpers every file uses on them.
 * The model these represent is described at the top of sim.c; the semantics in
 * src/sim/NOTES.md.
 *
 * Files: sim.c (event loop, handlers, create/run/destroy, debug invariant walk),
 * sim_worker.c (accounting, dispatch, batching, child items, completion), sim_plan.c
 * (service classes, plan instantiation, plan swaps), sim_timeline.c (the timeline CSV),
 * result.c (metrics and their JSON).
 *
 * Invariants, asserted in builds without NDEBUG: an item or request is released only
 * while live; free + live = allocated in each pool; a FIFO's length matches its links;
 * arrivals = completed + dropped + in flight whenever a request arrives or departs; and,
 * between events (sim_check), every live item sits in exactly one queue or batch and the
 * live requests account for the in-flight count and all outstanding items. */
#ifndef JS_SIM_INTERNAL_H
#define JS_SIM_INTERNAL_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "jigsaw/sched.h"
#include "jigsaw/sim.h"
#include "evq.h"
#include "hist.h"
#include "pick.h"

#define NIL UINT32_MAX
#define MAX_BATCH 4096

enum { EV_ARRIVAL = 0, EV_DONE = 1, EV_TIMER = 2, EV_GPU_UP = 3, EV_TICK = 4, EV_HOST = 5 };
#define EV_TYPE_SHIFT 21u
#define EV_ID_MASK ((1u << EV_TYPE_SHIFT) - 1u)

typedef struct item {
    double t_enq;       /* arrival at the current task's queue */
    uint32_t req;
    uint32_t next;      /* FIFO link, or free-list link */
    uint32_t task;      /* global task index */
    uint8_t live;       /* allocated (0 on the free list); fits in the padding */
} item;

typedef struct request {
    double arrival, deadline, pas;
    uint32_t outstanding; /* items not yet finished; free-list link when unused */
    uint16_t app;
    uint8_t dropped;
    uint8_t live;         /* allocated (0 on the free list); fits in the padding */
} request;

/* The live flags must not grow the pools' elements (memory per item in flight). */
_Static_assert(sizeof(item) == 24 && sizeof(request) == 32, "pool element size changed");

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
    /* Host phase (sim_host.c): [batch + 1] seconds of host time included in mean_s, or
     * NULL when the variant has none; then zeta/sigma describe the GPU phase alone. */
    double *host_s;
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
    uint8_t host_phase;  /* HOST_NONE, HOST_WAITING (for a core), HOST_RUNNING */
    uint32_t core_next;  /* link in its core pool's waiting list */
} worker;

enum { HOST_NONE = 0, HOST_WAITING = 1, HOST_RUNNING = 2 };

/* The CPU cores of one node (or, pool 0, of the whole cluster for workers without a
 * placement), and the workers waiting for one in arrival order. */
typedef struct core_pool {
    bool init;
    int free;
    uint32_t head, tail;
} core_pool;

typedef struct child_edge {
    uint32_t task;       /* global index of the child task */
    js_fanout_dist dist; /* the count law (the edge's, or the configuration's override) */
    double mean[JS_MAX_VARIANTS];
    int min_count[JS_MAX_VARIANTS];   /* fewest children per parent variant (path drops) */
    gsl_ran_discrete_t *table[JS_MAX_VARIANTS]; /* EMPIRICAL: alias tables (owned) */
} child_edge;

typedef struct taskrt {
    int app, task;
    fifo shared;         /* SHARED: the task queue; otherwise items waiting for a worker */
    int nw, capw;
    uint32_t *w;         /* worker indices */
    js_sched_worker *view;
    /* Dispatch indexes over the slots of w/view, kept current by sim_slot_changed while
     * `indexed`: JSED's (pick.h) and SHARED's idle set (up workers without a batch, key
     * 0). A task with at most SCAN_MAX_WORKERS workers is scanned instead (cheaper than
     * keeping a tree; the same answer). */
    jsed_index jsed;
    mintree idle;
    bool indexed;
    int rr;
    double min_lat_s;    /* fastest batch-1 mean among its workers */
    double rest_lat_s;   /* min_lat_s + the largest rest_lat_s over sure children */
    double drop_lat_s;   /* the early-drop rule's figure: rest_lat_s (PATH) or min_lat_s */
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
    gsl_rng *rng_service;       /* service times: js_seed_derive(seed, "service", 0) */
    gsl_rng *rng_fanout;        /* fan-out counts: js_seed_derive(seed, "fanout", 0) */
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
    uint32_t nitems_cap, item_free, items_live;
    request *reqs;
    uint32_t nreq_cap, req_free, reqs_live;
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
    /* host phases (sim_host.c): 0 cores = unlimited, a host phase is a fixed delay */
    int cores_per_node, gpus_per_node;
    long cores_unplaced;
    int npools;
    core_pool *pools;    /* [0]: unplaced workers; [1 + node] */
};

/* ---- events and errors ------------------------------------------------------------ */

static inline uint32_t ev_payload(int type, uint32_t id)
{
    return ((uint32_t)type << EV_TYPE_SHIFT) | (id & EV_ID_MASK);
}

static inline int oom(js_sim *sim)
{
    return js_diag_set(sim->err_d, JS_EXIT_INTERNAL, "simulator: out of memory");
}

static inline int push_ev(js_sim *sim, double t, int type, uint32_t id)
{
    if (js_evq_push(&sim->q, t, ev_payload(type, id)) != 0)
        return oom(sim);
    return 0;
}

/* Request conservation: every arrival has completed, been dropped or is in flight. */
static inline bool sim_conserved(const js_sim *sim)
{
    return sim->total.requests == sim->total.completed + sim->total.dropped + sim->in_flight;
}

/* ---- pools ------------------------------------------------------------------------ */

/* Doubles a free-list pool of *cap elements of elem_size bytes (4096 at first), zeroes the
 * new elements (live = 0) and threads them onto the empty free list through the uint32_t
 * at link_off in each. Returns the moved pool, or NULL (pool unchanged) at the index limit
 * or out of memory. */
static inline void *pool_grow(void *base, size_t elem_size, size_t link_off, uint32_t *cap,
                              uint32_t *free_head)
{
    uint32_t old = *cap, ncap = old ? old * 2 : 4096;
    if (ncap >= NIL)
        return NULL;
    unsigned char *na = realloc(base, (size_t)ncap * elem_size);
    if (na == NULL)
        return NULL;
    memset(na + (size_t)old * elem_size, 0, (size_t)(ncap - old) * elem_size);
    for (uint32_t i = old; i < ncap; i++) {
        uint32_t link = i + 1 < ncap ? i + 1 : NIL;
        memcpy(na + (size_t)i * elem_size + link_off, &link, sizeof link);
    }
    *free_head = old;
    *cap = ncap;
    return na;
}

static inline uint32_t item_alloc(js_sim *sim)
{
    if (sim->item_free == NIL) {
        assert(sim->items_live == sim->nitems_cap); /* free list empty: all are live */
        item *na = pool_grow(sim->items, sizeof *na, offsetof(item, next), &sim->nitems_cap,
                             &sim->item_free);
        if (na == NULL)
            return NIL;
        sim->items = na;
    }
    uint32_t i = sim->item_free;
    assert(i < sim->nitems_cap && !sim->items[i].live);
    sim->item_free = sim->items[i].next;
    sim->items[i].live = 1;
    sim->items_live++;
    return i;
}

static inline void item_release(js_sim *sim, uint32_t i)
{
    assert(i < sim->nitems_cap && sim->items[i].live); /* not already on the free list */
    assert(sim->items_live > 0);
    sim->items[i].live = 0;
    sim->items[i].next = sim->item_free;
    sim->item_free = i;
    sim->items_live--;
}

static inline uint32_t req_alloc(js_sim *sim)
{
    if (sim->req_free == NIL) {
        assert(sim->reqs_live == sim->nreq_cap);
        request *na = pool_grow(sim->reqs, sizeof *na, offsetof(request, outstanding),
                                &sim->nreq_cap, &sim->req_free);
        if (na == NULL)
            return NIL;
        sim->reqs = na;
    }
    uint32_t r = sim->req_free;
    assert(r < sim->nreq_cap && !sim->reqs[r].live);
    sim->req_free = sim->reqs[r].outstanding;
    sim->reqs[r].live = 1;
    sim->reqs_live++;
    return r;
}

static inline void req_release(js_sim *sim, uint32_t r)
{
    assert(r < sim->nreq_cap && sim->reqs[r].live && sim->reqs[r].outstanding == 0);
    assert(sim->reqs_live > 0);
    sim->reqs[r].live = 0;
    sim->reqs[r].outstanding = sim->req_free;
    sim->req_free = r;
    sim->reqs_live--;
}

/* ---- FIFO queues through the item pool -------------------------------------------- */

static inline void fifo_push(js_sim *sim, fifo *f, uint32_t it)
{
    assert(it < sim->nitems_cap && sim->items[it].live);
    assert((f->len == 0) == (f->head == NIL) && (f->len == 0) == (f->tail == NIL));
    sim->items[it].next = NIL;
    if (f->len == 0)
        f->head = it;
    else
        sim->items[f->tail].next = it;
    f->tail = it;
    f->len++;
}

static inline uint32_t fifo_pop(js_sim *sim, fifo *f)
{
    assert(f->len > 0 && f->head != NIL && f->tail != NIL); /* never popped when empty */
    uint32_t it = f->head;
    f->head = sim->items[it].next;
    if (--f->len == 0)
        f->head = f->tail = NIL;
    assert((f->len == 0) == (f->head == NIL));
    return it;
}

static inline void fifo_init(fifo *f)
{
    f->head = f->tail = NIL;
    f->len = 0;
}

/* ---- across files ----------------------------------------------------------------- */

/* sim_worker.c: time-weighted accounting. */
void sim_touch_in_flight(js_sim *sim);
void sim_touch_resources(js_sim *sim);
void sim_touch_task_workers(js_sim *sim, taskrt *t);
void sim_recount_up(js_sim *sim, taskrt *t);
/* sim_worker.c: items through workers. */
int sim_dispatch(js_sim *sim, uint32_t it);
int sim_try_start(js_sim *sim, uint32_t wi);
int sim_drain_task_queue(js_sim *sim, taskrt *t);
int sim_on_done(js_sim *sim, uint32_t wi);
/* sim_host.c: worker wi formed a batch whose class has a host phase: run it on a free
 * core of its node (or wait for one), then the GPU phase (EV_DONE). */
int sim_host_begin(js_sim *sim, uint32_t wi);
int sim_on_host_done(js_sim *sim, uint32_t wi);
double sim_draw_service(js_sim *sim, const wclass *c, int n);
void sim_worker_remove(js_sim *sim, uint32_t wi);
void sim_worker_free_slot(js_sim *sim, uint32_t wi);
/* sim_worker.c: slot k of task t changed (view or worker state, filled or emptied): bring
 * the dispatch policy's index up to date. Call before anything can dispatch to t. */
void sim_slot_changed(js_sim *sim, taskrt *t, int k);
/* The task's worker count changed: index it (rebuilt from the views) above
 * SCAN_MAX_WORKERS, scan it at or below. */
int sim_index_sync(js_sim *sim, taskrt *t);
#define SCAN_MAX_WORKERS 8

/* sim_plan.c: check plan p against the scenario and instantiate it (js_sim_create). */
int sim_plan_init(js_sim *sim, const js_plan *p, js_diag *d);

/* sim_timeline.c: allocate the interval counters and write the CSV header; close the
 * interval [tl_start, t_end) into the CSV buffer. */
int sim_timeline_init(js_sim *sim, double interval_s);
int sim_tl_flush(js_sim *sim, double t_end);

/* sim.c: assert the representation invariants between events (a walk over the pools,
 * queues and workers); compiled out under NDEBUG. */
#ifdef NDEBUG
#define sim_check(sim) ((void)0)
#else
void sim_check(const js_sim *sim);
#endif

#endif
