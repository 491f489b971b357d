/* sim_host: the host phase of a worker's batch (docs/host-model.md).
 *
 * Model. A worker that forms a batch of n items first runs its host phase (host_s[n]
 * seconds: pre/post-processing, the Python loop; serial within the worker) on one CPU
 * core of its node, then the GPU phase drawn from the class's distribution. A node has
 * cluster.cpu_cores_per_node cores shared by its workers' host phases; a worker that finds
 * none free waits, first come first served. Workers of a plan without placements share
 * one pool of the whole cluster's cores. With unlimited cores (0) the host phase is a
 * fixed delay and the batch's service is host + GPU, the planner's cycle rule exactly.
 *
 * A worker aborted by a plan swap (zombie) while waiting gives up its place when it
 * reaches the head of the line; while running, it returns its core at the end of the
 * phase; either way its slot is freed then, as sim_on_done does for the GPU phase. */
#include "sim_internal.h"

/* Pool of worker w: 0 for unplaced workers, else 1 + its node. NULL when out of memory. */
static core_pool *pool_of(js_sim *sim, const worker *w)
{
    int idx = w->gpu < 0 ? 0 : 1 + w->gpu / sim->gpus_per_node;
    if (idx >= sim->npools) {
        int n = idx + 1;
        core_pool *np = realloc(sim->pools, (size_t)n * sizeof *np);
        if (np == NULL)
            return NULL;
        memset(np + sim->npools, 0, (size_t)(n - sim->npools) * sizeof *np);
        sim->pools = np;
        sim->npools = n;
    }
    core_pool *p = &sim->pools[idx];
    if (!p->init) {
        p->init = true;
        p->free = idx == 0 ? (int)sim->cores_unplaced : sim->cores_per_node;
        p->head = p->tail = NIL;
    }
    return p;
}

static int run_host(js_sim *sim, uint32_t wi)
{
    worker *w = &sim->w[wi];
    w->host_phase = HOST_RUNNING;
    return push_ev(sim, sim->now + sim->cls[w->cls].host_s[w->bn], EV_HOST, wi);
}

int sim_host_begin(js_sim *sim, uint32_t wi)
{
    worker *w = &sim->w[wi];
    if (sim->cores_per_node <= 0)
        return run_host(sim, wi);
    core_pool *p = pool_of(sim, w);
    if (p == NULL)
        return oom(sim);
    if (p->free > 0) {
        p->free--;
        return run_host(sim, wi);
    }
    w->host_phase = HOST_WAITING;
    w->core_next = NIL;
    if (p->tail == NIL)
        p->head = wi;
    else
        sim->w[p->tail].core_next = wi;
    p->tail = wi;
    return 0;
}

/* The core of a finished host phase goes to the first live waiter, else back to the pool. */
static int release_core(js_sim *sim, core_pool *p)
{
    while (p->head != NIL) {
        uint32_t next = p->head;
        worker *n = &sim->w[next];
        p->head = n->core_next;
        if (p->head == NIL)
            p->tail = NIL;
        assert(n->host_phase == HOST_WAITING);
        if (n->zombie) {
            n->zombie = false;
            n->host_phase = HOST_NONE;
            sim_worker_free_slot(sim, next);
            continue;
        }
        return run_host(sim, next);
    }
    p->free++;
    return 0;
}

int sim_on_host_done(js_sim *sim, uint32_t wi)
{
    worker *w = &sim->w[wi];
    assert(w->host_phase == HOST_RUNNING);
    w->host_phase = HOST_NONE;
    int rc = 0;
    if (sim->cores_per_node > 0) {
        core_pool *p = pool_of(sim, w);
        rc = p != NULL ? release_core(sim, p) : oom(sim);
    }
    if (rc != 0)
        return rc;
    if (w->zombie) { /* its batch was re-dispatched while on the host */
        w->zombie = false;
        sim_worker_free_slot(sim, wi);
        return 0;
    }
    const wclass *c = &sim->cls[w->cls];
    return push_ev(sim, sim->now + sim_draw_service(sim, c, w->bn), EV_DONE, wi);
}
