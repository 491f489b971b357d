/* sched: host-side scheduling rules shared by the simulator and the real-GPU backend --
 * which worker of a task receives an item (dispatch), and how many queued items a free
 * worker takes (dynamic batching). Pure functions over small caller-owned state; no
 * allocation, no randomness, deterministic tie-breaking (lowest index wins). */
#ifndef JIGSAW_SCHED_H
#define JIGSAW_SCHED_H

#include <stdbool.h>

/* What the dispatcher knows of one worker of a task. */
typedef struct js_sched_worker {
    int queued;              /* items waiting in the worker's own queue */
    double busy_until;       /* expected end of the batch in service (s); <= now when idle */
    double inv_throughput;   /* seconds per item at the worker's planned batch size */
    bool up;                 /* false while its GPU is being reconfigured or it is retired */
} js_sched_worker;

/* Expected delay before a new item sent to w finishes: the rest of the batch in service
 * plus (queued + 1) items at the worker's throughput. */
static inline double js_sched_expected_delay(const js_sched_worker *w, double now)
{
    double rest = w->busy_until > now ? w->busy_until - now : 0.0;
    return rest + (double)(w->queued + 1) * w->inv_throughput;
}

/* The second term of the expected delay, (queued + 1) items at the worker's throughput. */
static inline double js_sched_delay_term(const js_sched_worker *w)
{
    return (double)(w->queued + 1) * w->inv_throughput;
}

/* now + the expected delay as an exact sum hi + lo: hi = max(busy_until, now) + term
 * rounded, lo its rounding error (Knuth's TwoSum; exact under IEEE round-to-nearest).
 * Comparing keys (hi, then lo) compares the exact delays, so their order is the same at
 * every `now` -- what lets the simulator keep workers in a tree (src/sim/pick.h) and get
 * the answer of a scan. Rounding the delay first, as js_sched_expected_delay does, could
 * make two different delays tie at one `now` and not at the next. */
typedef struct js_sched_key {
    double hi, lo;
} js_sched_key;

static inline js_sched_key js_sched_delay_key(const js_sched_worker *w, double now)
{
    double a = w->busy_until > now ? w->busy_until : now, b = js_sched_delay_term(w);
    double s = a + b, bv = s - a, av = s - bv;
    js_sched_key k = {s, (a - av) + (b - bv)};
    return k;
}

static inline bool js_sched_key_less(js_sched_key x, js_sched_key y)
{
    return x.hi < y.hi || (x.hi == y.hi && x.lo < y.lo);
}

/* Join-shortest-expected-delay: the up worker with the least expected delay (the
 * queue length weighted by throughput, compared exactly: js_sched_delay_key), lowest
 * index on ties; -1 if none is up. */
int js_sched_pick_jsed(const js_sched_worker *w, int n, double now);

/* The same rule, inlined for hot loops; the simulator's O(log n) index gives the same
 * answer (src/sim/pick.h; tests/sim/test_internals.c checks one against the other). */
static inline int js_sched_pick_jsed_inline(const js_sched_worker *w, int n, double now)
{
    /* (hi, lo) order with lo, the rounding error, worked out only when two hi tie. */
    int best = -1;
    js_sched_key best_key = {0.0, 0.0};
    for (int i = 0; i < n; i++) {
        if (!w[i].up)
            continue;
        double a = w[i].busy_until > now ? w[i].busy_until : now, hi = a + js_sched_delay_term(&w[i]);
        if (best >= 0 && hi > best_key.hi)
            continue;
        js_sched_key k = js_sched_delay_key(&w[i], now);
        if (best < 0 || js_sched_key_less(k, best_key)) {
            best = i;
            best_key = k;
        }
    }
    return best;
}

/* Round-robin over the up workers starting at *cursor (advanced); -1 if none is up. */
int js_sched_pick_rr(const js_sched_worker *w, int n, int *cursor);

/* Dynamic batching: how many of `queued` items a free worker with batch size
 * `max_batch` takes now. Without a timeout (timeout_s <= 0) it takes what is there, up to
 * max_batch. With one, it waits for a full batch until the oldest queued item has waited
 * timeout_s; then returns 0 and sets *wake_at to when it should look again. */
int js_sched_batch_take(int queued, int max_batch, double oldest_enqueued, double now,
                        double timeout_s, double *wake_at);

#endif
