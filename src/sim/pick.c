/* pick: tournament trees for the dispatch rules; see pick.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pick.h"

/* ---- mintree ---------------------------------------------------------------------- */

static const mintree_node absent = {INFINITY, INFINITY, INT_MAX};

static inline bool node_less(const mintree_node *x, const mintree_node *y)
{
    if (x->hi != y->hi)
        return x->hi < y->hi;
    if (x->lo != y->lo)
        return x->lo < y->lo;
    return x->slot < y->slot;
}

static inline bool node_same(const mintree_node *x, const mintree_node *y)
{
    return x->slot == y->slot && x->hi == y->hi && x->lo == y->lo;
}

/* Leaf of `slot` changed: replay its matches up to the root. */
static void replay(mintree *t, int slot)
{
    mintree_node *n = t->node;
    for (int p = (t->cap + slot) >> 1; p >= 1; p >>= 1) {
        const mintree_node *l = &n[2 * p], *r = &n[2 * p + 1];
        const mintree_node *w = node_less(r, l) ? r : l;
        if (w->slot != slot && node_same(&n[p], w))
            break; /* the same winner as before: nothing above can change */
        n[p] = *w;
    }
}

int mintree_reserve(mintree *t, int n)
{
    if (n <= t->cap)
        return 0;
    int cap = t->cap > 0 ? t->cap : 1;
    while (cap < n)
        cap *= 2;
    mintree_node *node = malloc(sizeof *node * 2 * (size_t)cap);
    if (node == NULL)
        return -1;
    for (int i = 0; i < 2 * cap; i++)
        node[i] = absent;
    for (int k = 0; k < t->cap; k++)
        node[cap + k] = t->node[t->cap + k];
    for (int p = cap - 1; p >= 1; p--)
        node[p] = node_less(&node[2 * p + 1], &node[2 * p]) ? node[2 * p + 1] : node[2 * p];
    free(t->node);
    t->node = node;
    t->cap = cap;
    return 0;
}

void mintree_set(mintree *t, int slot, double hi, double lo)
{
    mintree_node *leaf = &t->node[t->cap + slot];
    if (leaf->slot == slot && leaf->hi == hi && leaf->lo == lo)
        return;
    leaf->hi = hi;
    leaf->lo = lo;
    leaf->slot = slot;
    replay(t, slot);
}

void mintree_clear(mintree *t, int slot)
{
    if (slot >= t->cap || t->node[t->cap + slot].slot == INT_MAX)
        return;
    t->node[t->cap + slot] = absent;
    replay(t, slot);
}

void mintree_free(mintree *t)
{
    free(t->node);
    memset(t, 0, sizeof *t);
}

/* ---- jsed_index ------------------------------------------------------------------- */

int jsed_index_reserve(jsed_index *ix, int n)
{
    return mintree_reserve(&ix->busy, n) != 0 || mintree_reserve(&ix->free, n) != 0 ? -1 : 0;
}

void jsed_index_update(jsed_index *ix, const js_sched_worker *w, int k, double now)
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

/* Why expired workers may wait in the busy tree: a worker x there with busy_until <= now
 * has stored key busy_until + c <= now + c, its true key. If x is not the busy root, the
 * root r (once unexpired) has key(r) <= stored(x) <= true(x), and x could win only by an
 * equal true key and a lower slot -- but then stored(x) = key(r) with x < r, so x would be
 * the root. Hence the root, once unexpired, is the least true key of the busy tree. */
int jsed_index_pick(jsed_index *ix, const js_sched_worker *w, double now)
{
    int a;
    while ((a = mintree_min(&ix->busy)) >= 0 && !(w[a].busy_until > now))
        jsed_index_update(ix, w, a, now);
    int b = mintree_min(&ix->free);
    if (a < 0 || b < 0)
        return a >= 0 ? a : b;
    js_sched_key ka = js_sched_delay_key(&w[a], now), kb = js_sched_delay_key(&w[b], now);
    if (js_sched_key_less(ka, kb))
        return a;
    if (js_sched_key_less(kb, ka))
        return b;
    return a < b ? a : b;
}

void jsed_index_free(jsed_index *ix)
{
    mintree_free(&ix->busy);
    mintree_free(&ix->free);
}
