/* hist: log-bucketed latency histogram (HDR style) for the simulator.
 * A positive double is bucketed by its binary exponent and the top 7 bits of its
 * mantissa: 128 buckets per octave. Percentiles report the bucket midpoint, clamped to
 * the exact min and max, so their relative error is at most 2^-8 (0.39%). Range
 * 2^-10 .. 2^30 ms; values outside are clamped into the end buckets (max stays exact). */
#ifndef JS_SIM_HIST_H
#define JS_SIM_HIST_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define JS_HIST_SUB_BITS 7
#define JS_HIST_EXP_MIN (-10)
#define JS_HIST_EXP_MAX 30
#define JS_HIST_NBUCKETS ((JS_HIST_EXP_MAX - JS_HIST_EXP_MIN) << JS_HIST_SUB_BITS)

typedef struct js_hist {
    uint64_t n;
    double sum, min, max;
    uint64_t b[JS_HIST_NBUCKETS];
} js_hist;

static inline void js_hist_reset(js_hist *h)
{
    memset(h, 0, sizeof *h);
}

static inline int js_hist_index(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff) - 1023;
    if (v <= 0 || e < JS_HIST_EXP_MIN)
        return 0;
    if (e >= JS_HIST_EXP_MAX)
        return JS_HIST_NBUCKETS - 1;
    int sub = (int)((bits >> (52 - JS_HIST_SUB_BITS)) & ((1u << JS_HIST_SUB_BITS) - 1));
    return ((e - JS_HIST_EXP_MIN) << JS_HIST_SUB_BITS) | sub;
}

static inline void js_hist_add(js_hist *h, double v)
{
    if (h->n == 0 || v < h->min)
        h->min = v;
    if (h->n == 0 || v > h->max)
        h->max = v;
    h->n++;
    h->sum += v;
    h->b[js_hist_index(v)]++;
}

/* dst += src */
static inline void js_hist_merge(js_hist *dst, const js_hist *src)
{
    if (src->n == 0)
        return;
    if (dst->n == 0 || src->min < dst->min)
        dst->min = src->min;
    if (dst->n == 0 || src->max > dst->max)
        dst->max = src->max;
    dst->n += src->n;
    dst->sum += src->sum;
    for (int i = 0; i < JS_HIST_NBUCKETS; i++)
        dst->b[i] += src->b[i];
}

/* Lower edge of bucket i. */
static inline double js_hist_lower(int i)
{
    int e = (i >> JS_HIST_SUB_BITS) + JS_HIST_EXP_MIN;
    int sub = i & ((1 << JS_HIST_SUB_BITS) - 1);
    return ldexp(1.0 + (double)sub / (1 << JS_HIST_SUB_BITS), e);
}

/* Value at quantile q in [0, 1] (nearest rank); NAN when empty. */
static inline double js_hist_quantile(const js_hist *h, double q)
{
    if (h->n == 0)
        return NAN;
    uint64_t rank = (uint64_t)ceil(q * (double)h->n);
    if (rank < 1)
        rank = 1;
    uint64_t cum = 0;
    for (int i = 0; i < JS_HIST_NBUCKETS; i++) {
        cum += h->b[i];
        if (cum >= rank) {
            double lo = js_hist_lower(i), hi = js_hist_lower(i + 1);
            double mid = 0.5 * (lo + hi);
            if (mid < h->min)
                mid = h->min;
            if (mid > h->max)
                mid = h->max;
            return mid;
        }
    }
    return h->max;
}

#endif
