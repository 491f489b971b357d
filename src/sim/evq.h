/* evq: the simulator's event queue -- an implicit 4-ary min-heap on one flat array.
 * Keys are (time, insertion sequence), so events at equal times pop in insertion order
 * and runs are deterministic. Internal to the sim module (and its benchmark). */
#ifndef JS_SIM_EVQ_H
#define JS_SIM_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define JS_EV_PAYLOAD_BITS 24u
#define JS_EV_PAYLOAD_MASK ((1u << JS_EV_PAYLOAD_BITS) - 1u)

typedef struct js_ev {
    double t;
    uint64_t key; /* sequence << 24 | payload */
} js_ev;

typedef struct js_evq {
    js_ev *a;
    size_t n, cap;
    uint64_t seq;
} js_evq;

static inline bool js_ev_less(const js_ev *x, const js_ev *y)
{
    return x->t < y->t || (x->t == y->t && x->key < y->key);
}

static inline int js_evq_init(js_evq *q, size_t cap)
{
    q->n = 0;
    q->seq = 0;
    q->cap = cap < 16 ? 16 : cap;
    q->a = malloc(q->cap * sizeof *q->a);
    return q->a == NULL ? -1 : 0;
}

static inline void js_evq_free(js_evq *q)
{
    free(q->a);
    q->a = NULL;
    q->n = q->cap = 0;
}

/* Push an event with a 24-bit payload; -1 on allocation failure. */
static inline int js_evq_push(js_evq *q, double t, uint32_t payload)
{
    if (q->n == q->cap) {
        size_t ncap = q->cap * 2;
        js_ev *na = realloc(q->a, ncap * sizeof *na);
        if (na == NULL)
            return -1;
        q->a = na;
        q->cap = ncap;
    }
    js_ev e = {t, (q->seq++ << JS_EV_PAYLOAD_BITS) | (payload & JS_EV_PAYLOAD_MASK)};
    size_t i = q->n++;
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (!js_ev_less(&e, &q->a[p]))
            break;
        q->a[i] = q->a[p];
        i = p;
    }
    q->a[i] = e;
    return 0;
}

/* Pop the earliest event (the queue must not be empty). */
static inline js_ev js_evq_pop(js_evq *q)
{
    js_ev top = q->a[0];
    js_ev last = q->a[--q->n];
    size_t n = q->n, i = 0;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        size_t best = c;
        size_t end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (js_ev_less(&q->a[k], &q->a[best]))
                best = k;
        if (!js_ev_less(&q->a[best], &last))
            break;
        q->a[i] = q->a[best];
        i = best;
    }
    if (n > 0)
        q->a[i] = last;
    return top;
}

static inline uint32_t js_ev_payload(const js_ev *e)
{
    return (uint32_t)(e->key & JS_EV_PAYLOAD_MASK);
}

#endif
