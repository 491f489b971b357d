/* pick: tournament trees for the dispatch rules; see pick.h. */
#include <stdlib.h>
#include <string.h>

#include "pick.h"

/* ---- mintree ---------------------------------------------------------------------- */


/* On equal keys: lo, then the slot (an absent slot loses, two absent ones tie). */
static bool tie_less(const mintree *t, const mintree_node *x, const mintree_node *y)
{
    if (x->slot == y->slot || x->slot == INT_MAX)
        return false;
    if (y->slot == INT_MAX)
        return true;
    double xl = t->lo[x->slot], yl = t->lo[y->slot];
    return xl != yl ? xl < yl : x->slot < y->slot;
}

static inline bool node_less(const mintree *t, const mintree_node *x, const mintree_node *y)
{
    if (__builtin_expect(x->key == y->key, 0))
        return tie_less(t, x, y);
    return x->key < y->key;
}

/* Leaf of `slot` changed: replay its matches up to the root. The winner climbing the
 * path stays in registers and meets only the sibling at each level; the selection is a
 * conditional move, as a match goes either way about half the time. */
void mintree_replay(mintree *t, int slot)
{
    mintree_node *n = t->node;
    uint64_t wk = n[t->cap + slot].key;
    int ws = n[t->cap + slot].slot;
    for (int i = t->cap + slot; i > 1; i >>= 1) {
        const mintree_node *sib = &n[i ^ 1];
        uint64_t sk = sib->key;
        int ss = sib->slot;
        bool lt = sk < wk;
        if (__builtin_expect(sk == wk, 0)) {
            mintree_node w = {wk, ws};
            lt = tie_less(t, sib, &w);
        }
        wk = lt ? sk : wk;
        ws = lt ? ss : ws;
        mintree_node *up = &n[i >> 1];
        if (ws != slot && up->slot == ws && up->key == wk)
            break; /* the same winner as before: nothing above can change */
        up->key = wk;
        up->slot = ws;
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
    double *lo = malloc(sizeof *lo * (size_t)cap);
    if (node == NULL || lo == NULL) {
        free(node);
        free(lo);
        return -1;
    }
    for (int i = 0; i < 2 * cap; i++)
        node[i] = (mintree_node){UINT64_MAX, INT_MAX};
    for (int k = 0; k < cap; k++)
        lo[k] = k < t->cap ? t->lo[k] : 0.0;
    for (int k = 0; k < t->cap; k++)
        node[cap + k] = t->node[t->cap + k];
    free(t->node);
    free(t->lo);
    t->node = node;
    t->lo = lo;
    t->cap = cap;
    for (int p = cap - 1; p >= 1; p--)
        node[p] = node_less(t, &node[2 * p + 1], &node[2 * p]) ? node[2 * p + 1] : node[2 * p];
    return 0;
}

void mintree_free(mintree *t)
{
    free(t->node);
    free(t->lo);
    memset(t, 0, sizeof *t);
}

/* ---- jsed_index ------------------------------------------------------------------- */

int jsed_index_reserve(jsed_index *ix, int n)
{
    return mintree_reserve(&ix->busy, n) != 0 || mintree_reserve(&ix->free, n) != 0 ? -1 : 0;
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
    /* The roots' exact delays: hi first, the rounding errors only on a tie. */
    double ha = w[a].busy_until + js_sched_delay_term(&w[a]), hb = now + js_sched_delay_term(&w[b]);
    if (ha != hb)
        return ha < hb ? a : b;
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
