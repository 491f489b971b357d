/* pick: O(log n) indexes behind the simulator's dispatch rules (include/jigsaw/sched.h).
 *
 * A task may have hundreds of workers (about 590 on the classifier of the 120-GPU Traffic
 * Analysis plan at its maximum demand); scanning them for every item made dispatch the
 * simulator's cost. These indexes give the scan's answer -- the same worker, ties to the
 * lowest index -- in O(log workers) per item and per change of a worker's state.
 *
 * mintree: a tournament tree over slots 0..cap-1, each slot absent or holding a key
 * (hi, lo); the root holds the present slot with the least key, ties to the lowest slot.
 * cap is a power of two; node[] has 2 cap entries, the leaf of slot k at cap + k, and each
 * inner node p a copy of the winner of 2p and 2p + 1: hi as an integer that orders like the
 * double (so a match is one integer compare and a conditional move, no branch to
 * mispredict) and the slot; lo is read from lo[slot] only when two hi tie, which is rare.
 * An absent slot is {UINT64_MAX, INT_MAX}: it loses to every present one.
 *
 * jsed_index: join-shortest-expected-delay as two mintrees. The expected delay of a worker
 * is max(busy_until, now) + (queued + 1) / throughput - now: with a batch expected to end
 * after now its key max(..) + .. is fixed (the `busy` tree, keyed by the exact sum, see
 * js_sched_delay_key); without one it is now + a constant, so these are ordered by the
 * constant alone (the `free` tree). A busy worker whose expected end has passed moves to
 * the free tree when it reaches the busy tree's root -- its stored key is then no larger
 * than its true one, so nothing it hides can win (argument at jsed_index_pick). The pick
 * compares the two roots' exact delays: the scan's answer.
 *
 * The idle set of the `shared` policy (first up worker without a batch) is a mintree whose
 * present slots all have key 0. No randomness; allocation only in mintree_reserve. */
#ifndef JS_SIM_PICK_H
#define JS_SIM_PICK_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "jigsaw/sched.h"

typedef struct mintree_node {
    uint64_t key;   /* hi, mapped to an unsigned integer of the same order */
    int slot;       /* INT_MAX when absent */
} mintree_node;

typedef struct mintree {
    int cap;        /* leaves (power of two), 0 before the first reserve */
    mintree_node *node; /* [2 cap] */
    double *lo;     /* [cap] second part of each present slot's key */
} mintree;

/* Room for slots 0..n-1 (keys and presence kept); 0, or -1 out of memory (unchanged). */
int mintree_reserve(mintree *t, int n);
/* Leaf `slot` changed: replay its matches up to the root. */
void mintree_replay(mintree *t, int slot);

/* A double as an unsigned integer of the same order (IEEE 754: flip every bit of a
 * negative number, the sign bit of a positive one; -0 becomes +0 first, as the two compare
 * equal); never UINT64_MAX for a number. */
static inline uint64_t mintree_order_bits(double x)
{
    uint64_t u;
    x += 0.0;
    memcpy(&u, &x, sizeof u);
    return u >> 63 ? ~u : u | (UINT64_C(1) << 63);
}

/* Slot `slot` (< cap) is present with key (hi, lo). */
static inline void mintree_set(mintree *t, int slot, double hi, double lo)
{
    mintree_node *leaf = &t->node[t->cap + slot];
    uint64_t key = mintree_order_bits(hi);
    if (leaf->slot == slot && leaf->key == key && t->lo[slot] == lo)
        return;
    leaf->key = key;
    leaf->slot = slot;
    t->lo[slot] = lo;
    mintree_replay(t, slot);
}

/* Slot `slot` is absent (any slot number). */
static inline void mintree_clear(mintree *t, int slot)
{
    if (slot >= t->cap || t->node[t->cap + slot].slot == INT_MAX)
        return;
    t->node[t->cap + slot].key = UINT64_MAX;
    t->node[t->cap + slot].slot = INT_MAX;
    mintree_replay(t, slot);
}

static inline int mintree_min(const mintree *t)
{
    return t->cap > 0 && t->node[1].slot != INT_MAX ? t->node[1].slot : -1;
}
static inline bool mintree_has(const mintree *t, int slot)
{
    return slot < t->cap && t->node[t->cap + slot].slot == slot;
}
void mintree_free(mintree *t);

typedef struct jsed_index {
    mintree busy, free;
} jsed_index;

int jsed_index_reserve(jsed_index *ix, int n);
/* Slot k's view changed (or was filled or emptied: up false means absent). */
static inline void jsed_index_update(jsed_index *ix, const js_sched_worker *w, int k, double now)
{
    const js_sched_worker *x = &w[k];
    if (!x->up) {
        mintree_clear(&ix->busy, k);
        mintree_clear(&ix->free, k);
    } else if (x->busy_until > now) {
        js_sched_key key = js_sched_delay_key(x, now);
        mintree_clear(&ix->free, k);
        mintree_set(&ix->busy, k, key.hi, key.lo);
    } else {
        mintree_clear(&ix->busy, k);
        mintree_set(&ix->free, k, js_sched_delay_term(x), 0.0);
    }
}
/* The worker js_sched_pick_jsed(w, n, now) returns; -1 if none is up. Moves expired busy
 * workers to the free tree as it goes, so it modifies the index (not the views). */
int jsed_index_pick(jsed_index *ix, const js_sched_worker *w, double now);
void jsed_index_free(jsed_index *ix);

#endif
