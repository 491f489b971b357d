/* Direct tests of the simulator's private building blocks, each against an independent
 * answer: the event queue (src/sim/evq.h) against hand-ordered cases, a sorted reference
 * and a linear-scan priority queue; the latency histogram (src/sim/hist.h) against exact
 * nearest-rank quantiles of GSL-sorted samples and its stated 2^-8 bound and range; the
 * scheduling rules (include/jigsaw/sched.h) against hand-computed cases and brute-force
 * references. Values are dyadic where equality is asserted, so the expected answers are
 * exact in binary floating point. Loops count what they checked and assert the count. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "jigsaw/sched.h"
#include "jigsaw/sim.h"
#include "jigsaw/trace.h"
#include "jigsaw/util.h"
#include "evq.h"
#include "fixtures.h"
#include "hist.h"
#include "pick.h"
#include "sim_internal.h"

/* ---- event queue ------------------------------------------------------------------ */

typedef struct ref_ev {
    double t;
    uint64_t seq;
    uint32_t payload;
} ref_ev;

static int ref_ev_cmp(const void *a, const void *b)
{
    const ref_ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

Test(evq, pops_in_time_order)
{
    js_evq q;
    cr_assert_eq(js_evq_init(&q, 4), 0);
    static const double t[] = {5, 1, 4, 2, 3, 0.5, 4.5};
    for (uint32_t i = 0; i < 7; i++)
        cr_assert_eq(js_evq_push(&q, t[i], i), 0);
    /* By hand: 0.5 (#5), 1 (#1), 2 (#3), 3 (#4), 4 (#2), 4.5 (#6), 5 (#0). */
    static const double want_t[] = {0.5, 1, 2, 3, 4, 4.5, 5};
    static const uint32_t want_p[] = {5, 1, 3, 4, 2, 6, 0};
    for (int i = 0; i < 7; i++) {
        js_ev e = js_evq_pop(&q);
        cr_assert_eq(e.t, want_t[i], "pop %d: t %g, want %g", i, e.t, want_t[i]);
        cr_assert_eq(js_ev_payload(&e), want_p[i]);
    }
    cr_assert_eq(q.n, 0);
    js_evq_free(&q);
}

Test(evq, equal_times_pop_in_insertion_order)
{
    js_evq q;
    cr_assert_eq(js_evq_init(&q, 16), 0);
    static const double t[] = {1, 0, 1, 0, 1, 0.5, 0, 1};
    for (uint32_t i = 0; i < 8; i++)
        cr_assert_eq(js_evq_push(&q, t[i], i), 0);
    /* Time first, then insertion: 0 (#1 #3 #6), 0.5 (#5), 1 (#0 #2 #4 #7). */
    static const uint32_t want[] = {1, 3, 6, 5, 0, 2, 4, 7};
    for (int i = 0; i < 8; i++) {
        js_ev e = js_evq_pop(&q);
        cr_assert_eq(js_ev_payload(&e), want[i], "pop %d: payload %u, want %u", i,
                     js_ev_payload(&e), want[i]);
    }
    js_evq_free(&q);
}

/* 100,000 pushes at integer times in [0, 1000) (about 100 ties per time), then drained:
 * the pops are the pushes sorted by (time, insertion). */
Test(evq, random_inserts_match_sorted_reference)
{
    enum { N = 100000 };
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    ref_ev *ref = malloc(N * sizeof *ref);
    js_evq q;
    cr_assert_eq(js_evq_init(&q, 16), 0);
    for (uint32_t i = 0; i < N; i++) {
        ref[i].t = (double)gsl_rng_uniform_int(rng, 1000);
        ref[i].seq = i;
        ref[i].payload = i;
        cr_assert_eq(js_evq_push(&q, ref[i].t, ref[i].payload), 0);
    }
    cr_assert_eq(q.n, (size_t)N);
    qsort(ref, N, sizeof *ref, ref_ev_cmp);
    int checked = 0;
    for (int i = 0; i < N; i++) {
        js_ev e = js_evq_pop(&q);
        cr_assert(e.t == ref[i].t && js_ev_payload(&e) == ref[i].payload,
                  "pop %d: (%g, %u), want (%g, %u)", i, e.t, js_ev_payload(&e), ref[i].t,
                  ref[i].payload);
        checked++;
    }
    cr_assert_eq(checked, N);
    cr_assert_eq(q.n, 0);
    js_evq_free(&q);
    free(ref);
    gsl_rng_free(rng);
}

/* Interleaved pushes and pops (the simulator's use: a "hold" model with a varying number
 * of pending events) against a linear-scan priority queue. Times are rounded to 1/8 so
 * that ties are frequent. */
Test(evq, interleaved_push_pop_match_linear_scan_reference)
{
    enum { STEPS = 200000, MAXPEND = 4096 };
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 12);
    ref_ev *pend = malloc(MAXPEND * sizeof *pend);
    int npend = 0;
    uint64_t seq = 0;
    double now = 0;
    js_evq q;
    cr_assert_eq(js_evq_init(&q, 16), 0);
    int pops = 0, pushes = 0;
    for (int s = 0; s < STEPS; s++) {
        /* Push with probability 0.55 while there is room, so the queue grows and shrinks. */
        bool push = npend == 0 || (npend < MAXPEND && gsl_rng_uniform(rng) < 0.55);
        if (push) {
            double t = now + floor(gsl_ran_exponential(rng, 4.0) * 8) / 8;
            uint32_t pl = (uint32_t)gsl_rng_uniform_int(rng, JS_EV_PAYLOAD_MASK + 1ul);
            pend[npend++] = (ref_ev){t, seq++, pl};
            cr_assert_eq(js_evq_push(&q, t, pl), 0);
            pushes++;
        } else {
            int best = 0;
            for (int k = 1; k < npend; k++)
                if (ref_ev_cmp(&pend[k], &pend[best]) < 0)
                    best = k;
            js_ev e = js_evq_pop(&q);
            cr_assert(e.t == pend[best].t && js_ev_payload(&e) == pend[best].payload,
                      "step %d: (%g, %u), want (%g, %u)", s, e.t, js_ev_payload(&e),
                      pend[best].t, pend[best].payload);
            now = e.t;
            pend[best] = pend[--npend];
            pops++;
        }
        cr_assert_eq(q.n, (size_t)npend);
    }
    cr_assert_eq(pops + pushes, STEPS);
    cr_assert_gt(pops, STEPS / 3);
    js_evq_free(&q);
    free(pend);
    gsl_rng_free(rng);
}

Test(evq, payload_keeps_its_low_24_bits_and_queue_grows)
{
    js_evq q;
    cr_assert_eq(js_evq_init(&q, 1), 0);
    cr_assert_eq(q.cap, 16); /* stated minimum */
    for (uint32_t i = 0; i < 1000; i++)
        cr_assert_eq(js_evq_push(&q, (double)i, 0xffffffu - i), 0);
    cr_assert_geq(q.cap, 1000);
    cr_assert_eq(js_evq_push(&q, 1000.0, (1u << 24) | 5u), 0);
    for (uint32_t i = 0; i < 1000; i++) {
        js_ev e = js_evq_pop(&q);
        cr_assert_eq(js_ev_payload(&e), 0xffffffu - i);
    }
    js_ev e = js_evq_pop(&q);
    cr_assert_eq(js_ev_payload(&e), 5u, "bits above the 24th are dropped");
    cr_assert_eq(q.n, 0);
    js_evq_free(&q);
}

/* ---- histogram -------------------------------------------------------------------- */

#define HIST_BOUND 0x1p-8 /* hist.h: relative error of a percentile <= 2^-8 */

/* Exact nearest-rank quantile of sorted x[0..n): the ceil(q n)-th smallest (at least the
 * first), the definition hist.h states. */
static double exact_quantile(const double *sorted, size_t n, double q)
{
    uint64_t rank = (uint64_t)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

Test(hist, every_bucket_edge_maps_to_its_bucket)
{
    int checked = 0;
    for (int i = 0; i < JS_HIST_NBUCKETS; i++) {
        /* Bucket i: octave 2^(i / 128 - 10), sub-bucket i % 128 of 128 equal parts. */
        double lo = pow(2.0, i / 128 - 10) * (1.0 + (i % 128) / 128.0);
        cr_assert_eq(js_hist_lower(i), lo, "bucket %d: lower %a, want %a", i,
                     js_hist_lower(i), lo);
        cr_assert_eq(js_hist_index(lo), i, "bucket %d: its lower edge maps to %d", i,
                     js_hist_index(lo));
        double hi = js_hist_lower(i + 1);
        cr_assert_eq(js_hist_index(nextafter(hi, 0)), i, "bucket %d: just below its upper edge",
                     i);
        /* Width relative to the lower edge: at most 1/128, so the midpoint is within 2^-8. */
        cr_assert_leq((hi - lo) / lo, 1.0 / 128);
        checked++;
    }
    cr_assert_eq(checked, 40 * 128); /* 2^-10 .. 2^30 ms, 128 buckets per octave */
}

Test(hist, range_edges)
{
    cr_assert_eq(js_hist_index(0.0), 0);
    cr_assert_eq(js_hist_index(-3.0), 0);
    cr_assert_eq(js_hist_index(0x1p-11), 0);
    cr_assert_eq(js_hist_index(0x1p-10), 0);
    cr_assert_eq(js_hist_index(0x1p-10 * (1 + 1.0 / 128)), 1);
    cr_assert_eq(js_hist_index(nextafter(0x1p30, 0)), JS_HIST_NBUCKETS - 1);
    cr_assert_eq(js_hist_index(0x1p30), JS_HIST_NBUCKETS - 1);
    cr_assert_eq(js_hist_index(1e300), JS_HIST_NBUCKETS - 1);
    cr_assert_eq(js_hist_index(INFINITY), JS_HIST_NBUCKETS - 1);

    js_hist h;
    js_hist_reset(&h);
    cr_assert(isnan(js_hist_quantile(&h, 0.5)), "empty histogram: NAN");

    /* Below the range: clamped into bucket 0, and the percentile clamped to the exact max. */
    js_hist_add(&h, 1e-6);
    js_hist_add(&h, 1e-6);
    cr_assert_eq(h.b[0], 2);
    cr_assert_eq(js_hist_quantile(&h, 0.5), 1e-6);
    cr_assert_eq(js_hist_quantile(&h, 1.0), 1e-6);

    /* Above the range: both land in the last bucket, whose midpoint (about 1.07e9) is
     * below both, so every percentile reads the exact min; max and sum stay exact. */
    js_hist_reset(&h);
    js_hist_add(&h, 2e9);
    js_hist_add(&h, 3e9);
    cr_assert_eq(h.b[JS_HIST_NBUCKETS - 1], 2);
    cr_assert_eq(js_hist_quantile(&h, 0.5), 2e9);
    cr_assert_eq(js_hist_quantile(&h, 1.0), 2e9);
    cr_assert_eq(h.max, 3e9);
    cr_assert_eq(h.sum, 5e9);

    /* One value: every percentile is that value exactly (midpoint clamped to min = max). */
    js_hist_reset(&h);
    js_hist_add(&h, 123.456);
    for (double q = 0; q <= 1.0; q += 0.125)
        cr_assert_eq(js_hist_quantile(&h, q), 123.456);
}

/* The bound is attained: a value on a bucket's lower edge reads as the bucket midpoint,
 * 1 -> 1 + 2^-8 (min 0.5 and max 4 do not clamp it). The public constant
 * JS_SIM_LATENCY_REL_ERROR is that bound, exactly. */
Test(hist, error_bound_is_attained_on_a_lower_edge)
{
    js_hist h;
    js_hist_reset(&h);
    js_hist_add(&h, 0.5);
    js_hist_add(&h, 1.0);
    js_hist_add(&h, 4.0);
    double got = js_hist_quantile(&h, 0.5); /* rank ceil(1.5) = 2: the value 1.0 */
    cr_assert_eq(got, 1.0 + 0x1p-8, "got %a", got);
    cr_assert_eq(js_hist_quantile(&h, 0.0), 0.5 + 0x1p-9, "rank 1: 0.5 -> its midpoint");
    cr_assert_eq(js_hist_quantile(&h, 1.0), 4.0, "rank 3: midpoint 4 + 2^-6 clamped to max");
    cr_assert_eq(JS_SIM_LATENCY_REL_ERROR, HIST_BOUND);
}

/* Percentiles of 100,000 samples from three distributions spanning 2^-7 .. 2^27 ms, at 13
 * levels, against the exact nearest-rank quantile of the GSL-sorted samples. */
Test(hist, quantiles_within_stated_bound_of_exact_sorted_quantiles)
{
    enum { N = 100000 };
    static const double qs[] = {0,    0.001, 0.01, 0.1,  0.25,  0.5, 0.75,
                                0.9,  0.95,  0.99, 0.995, 0.999, 1.0};
    const int nq = (int)(sizeof qs / sizeof qs[0]);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 13);
    double *x = malloc(N * sizeof *x);
    js_hist *h = malloc(sizeof *h);
    int checked = 0;
    double worst = 0;
    for (int dist = 0; dist < 3; dist++) {
        js_hist_reset(h);
        for (int i = 0; i < N; i++) {
            double v;
            if (dist == 0)
                v = gsl_ran_lognormal(rng, log(100.0), 1.0);        /* latencies, ms */
            else if (dist == 1)
                v = 0.01 + gsl_ran_exponential(rng, 5.0);            /* short, skewed */
            else
                v = exp2(-7 + 34 * gsl_rng_uniform(rng));            /* log-uniform */
            x[i] = v;
            js_hist_add(h, v);
        }
        gsl_sort(x, 1, N);
        cr_assert_eq(h->n, (uint64_t)N);
        cr_assert_eq(h->min, x[0]);
        cr_assert_eq(h->max, x[N - 1]);
        for (int k = 0; k < nq; k++) {
            double want = exact_quantile(x, N, qs[k]);
            double got = js_hist_quantile(h, qs[k]);
            double rel = fabs(got - want) / want;
            cr_assert_leq(rel, HIST_BOUND, "dist %d q %g: got %.17g, exact %.17g (%.3g)", dist,
                          qs[k], got, want, rel);
            if (rel > worst)
                worst = rel;
            checked++;
        }
    }
    cr_assert_eq(checked, 3 * nq);
    cr_assert_gt(worst, 0x1p-10, "the error is real (worst %.3g), not trivially zero", worst);
    free(h);
    free(x);
    gsl_rng_free(rng);
}

Test(hist, merge_equals_histogram_of_the_union)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 14);
    js_hist *a = malloc(sizeof *a), *b = malloc(sizeof *b), *u = malloc(sizeof *u);
    js_hist_reset(a);
    js_hist_reset(b);
    js_hist_reset(u);
    js_hist_merge(a, b); /* empty into empty */
    cr_assert_eq(a->n, 0);
    for (int i = 0; i < 5000; i++) {
        double v = gsl_ran_lognormal(rng, 3.0, 1.5);
        js_hist_add(i % 3 == 0 ? a : b, v);
        js_hist_add(u, v);
    }
    js_hist_merge(a, b);
    cr_assert_eq(a->n, u->n);
    cr_assert_eq(a->min, u->min);
    cr_assert_eq(a->max, u->max);
    cr_assert_lt(fabs(a->sum - u->sum), 1e-9 * u->sum);
    cr_assert_eq(memcmp(a->b, u->b, sizeof a->b), 0, "bucket counts differ");
    js_hist c;
    js_hist_reset(&c);
    js_hist_merge(&c, u); /* into empty: copies min and max */
    cr_assert_eq(c.min, u->min);
    cr_assert_eq(c.max, u->max);
    free(a);
    free(b);
    free(u);
    gsl_rng_free(rng);
}

/* ---- scheduling rules ------------------------------------------------------------- */

static js_sched_worker sw(int queued, double busy_until, double inv, bool up)
{
    return (js_sched_worker){queued, busy_until, inv, up};
}

Test(sched, expected_delay_by_hand)
{
    js_sched_worker w = sw(2, 1.5, 0.125, true);
    cr_assert_eq(js_sched_expected_delay(&w, 1.0), 0.5 + 3 * 0.125); /* busy: rest + 3 items */
    w.busy_until = 0.5;
    cr_assert_eq(js_sched_expected_delay(&w, 1.0), 3 * 0.125);       /* idle: no rest */
    w.busy_until = 1.0;
    cr_assert_eq(js_sched_expected_delay(&w, 1.0), 3 * 0.125);       /* ends now */
}

Test(sched, jsed_by_hand)
{
    /* now = 1. Delays: w0 idle, 3 queued at 0.25 -> 1.0; w1 busy to 2, empty -> 1.25;
     * w2 idle, 1 queued at 0.125 -> 0.25. */
    js_sched_worker w[4] = {sw(3, 0, 0.25, true), sw(0, 2.0, 0.25, true),
                            sw(1, 0, 0.125, true), sw(3, 0, 0.25, true)};
    cr_assert_eq(js_sched_pick_jsed(w, 3, 1.0), 2);
    w[2].up = false; /* the best is down: w0 (1.0) beats w1 (1.25) */
    cr_assert_eq(js_sched_pick_jsed(w, 3, 1.0), 0);
    cr_assert_eq(js_sched_pick_jsed(w, 4, 1.0), 0, "w0 and w3 tie at 1.0: lowest index");
    w[0].up = false; /* now w3 (1.0) against w1 (1.25) */
    cr_assert_eq(js_sched_pick_jsed(w, 4, 1.0), 3);
    w[1].up = w[3].up = false;
    cr_assert_eq(js_sched_pick_jsed(w, 4, 1.0), -1, "none up");
    cr_assert_eq(js_sched_pick_jsed(w, 0, 1.0), -1, "no workers");
    /* Weighted by throughput: the longer queue on the faster worker wins. */
    js_sched_worker v[2] = {sw(1, 0, 0.5, true), sw(5, 0, 0.125, true)}; /* 1.0 vs 0.75 */
    cr_assert_eq(js_sched_pick_jsed(v, 2, 0.0), 1);
    cr_assert_eq(js_sched_pick_jsed_inline(v, 2, 0.0), 1);
}

/* Random small cases on a dyadic grid (ties are common) against a brute-force reference
 * that lists the delays and takes the first minimum among the up workers. */
Test(sched, jsed_matches_brute_force_on_random_cases)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 15);
    int checked = 0, ties = 0;
    for (int c = 0; c < 20000; c++) {
        int n = 1 + (int)gsl_rng_uniform_int(rng, 8);
        js_sched_worker w[8];
        double now = (double)gsl_rng_uniform_int(rng, 4) / 4;
        for (int i = 0; i < n; i++)
            w[i] = sw((int)gsl_rng_uniform_int(rng, 4), (double)gsl_rng_uniform_int(rng, 8) / 4,
                      (double)(1 + gsl_rng_uniform_int(rng, 4)) / 8, gsl_rng_uniform(rng) < 0.8);
        int want = -1, nmin = 0;
        double best = INFINITY;
        for (int i = 0; i < n; i++) {
            if (!w[i].up)
                continue;
            double rest = w[i].busy_until > now ? w[i].busy_until - now : 0;
            double dl = rest + (w[i].queued + 1) * w[i].inv_throughput;
            if (dl < best) {
                best = dl;
                want = i;
                nmin = 1;
            } else if (dl == best) {
                nmin++;
            }
        }
        ties += nmin > 1;
        cr_assert_eq(js_sched_pick_jsed(w, n, now), want, "case %d", c);
        cr_assert_eq(js_sched_pick_jsed_inline(w, n, now), want, "case %d (inline)", c);
        checked++;
    }
    cr_assert_eq(checked, 20000);
    cr_assert_gt(ties, 1000, "ties exercised: %d", ties);
    gsl_rng_free(rng);
}

/* ---- dispatch indexes (src/sim/pick.h) against the scan ------------------------- */

/* Random operations on up to 64 worker slots -- queue changes, batches starting and ending,
 * workers going down and up, slots added and removed (the last moved into the hole), time
 * advancing -- with the index told of every change, as the simulator does. After each
 * operation the index must pick what js_sched_pick_jsed's scan picks. `dyadic` draws
 * every value from a coarse dyadic grid (many exact ties), else from continuous ones. */
static void jsed_index_vs_scan(uint64_t seed, bool dyadic, int ops)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    enum { NMAX = 64 };
    js_sched_worker w[NMAX];
    jsed_index ix;
    memset(&ix, 0, sizeof ix);
    int n = 0, checked = 0, picked = 0;
    double now = 0;
    for (int op = 0; op < ops; op++) {
        double u = gsl_rng_uniform(rng);
        int k = n > 0 ? (int)gsl_rng_uniform_int(rng, (unsigned long)n) : -1;
        double step = dyadic ? (double)gsl_rng_uniform_int(rng, 4) / 8 : gsl_rng_uniform(rng) * 0.3;
        if (n == 0 || (u < 0.08 && n < NMAX)) {          /* a new worker, idle */
            cr_assert_eq(jsed_index_reserve(&ix, n + 1), 0);
            double inv = dyadic ? (double)(1 + gsl_rng_uniform_int(rng, 4)) / 8
                                : 0.01 + gsl_rng_uniform(rng) * 0.1;
            w[n] = sw(0, now, inv, gsl_rng_uniform(rng) < 0.9);
            jsed_index_update(&ix, w, n, now);
            n++;
        } else if (u < 0.12) {                           /* slot k removed */
            w[k] = w[n - 1];
            n--;
            if (k < n)
                jsed_index_update(&ix, w, k, now);
            js_sched_worker gone = w[n];
            w[n].up = false;                             /* empties slot n in the index */
            jsed_index_update(&ix, w, n, now);
            w[n] = gone;
        } else if (u < 0.17) {                           /* down or up */
            w[k].up = !w[k].up;
            jsed_index_update(&ix, w, k, now);
        } else if (u < 0.45) {                           /* an item queued */
            w[k].queued++;
            jsed_index_update(&ix, w, k, now);
        } else if (u < 0.65) {                           /* a batch starts */
            int take = w[k].queued > 0 ? 1 + (int)gsl_rng_uniform_int(rng,
                                                 (unsigned long)w[k].queued) : 0;
            w[k].queued -= take;
            w[k].busy_until = now + (dyadic ? (double)(1 + gsl_rng_uniform_int(rng, 8)) / 4
                                            : gsl_rng_uniform(rng));
            jsed_index_update(&ix, w, k, now);
        } else if (u < 0.75) {                           /* a batch ends */
            w[k].busy_until = now;
            jsed_index_update(&ix, w, k, now);
        } else {                                         /* time passes */
            now += step;
        }
        int want = js_sched_pick_jsed(w, n, now);
        int got = jsed_index_pick(&ix, w, now);
        cr_assert_eq(got, want, "op %d (seed %llu): index picks %d, scan %d", op,
                     (unsigned long long)seed, got, want);
        picked += want >= 0;
        checked++;
    }
    cr_assert_eq(checked, ops);
    cr_assert_gt(picked, ops / 2, "most checks had an up worker to pick: %d", picked);
    jsed_index_free(&ix);
    gsl_rng_free(rng);
}

Test(pick, jsed_index_matches_scan_on_dyadic_ties)
{
    jsed_index_vs_scan(21, true, 200000);
}

Test(pick, jsed_index_matches_scan_on_continuous_values)
{
    jsed_index_vs_scan(22, false, 200000);
}

/* On a dyadic grid the exact rule is the rounded one: the scan equals the plain
 * floating-point argmin of js_sched_expected_delay (the rule before the exact keys). */
Test(pick, exact_keys_agree_with_rounded_delays_when_exact)
{
    js_sched_worker w[3] = {sw(1, 2.0, 0.25, true), sw(0, 1.5, 0.5, true),
                            sw(3, 0.0, 0.25, true)};
    /* now 1: w0 1.0 + 0.5 = 1.5; w1 0.5 + 0.5 = 1.0; w2 1.0 -> tie w1, w2: w1. */
    cr_assert_eq(js_sched_pick_jsed(w, 3, 1.0), 1);
    js_sched_key k = js_sched_delay_key(&w[0], 1.0);
    cr_assert_eq(k.hi, 2.5);
    cr_assert_eq(k.lo, 0.0);
    /* A sum that does not fit one double keeps its rounding error in lo. */
    js_sched_worker big = sw(0, 0, 0x1p-60, true);
    k = js_sched_delay_key(&big, 1.0);
    cr_assert_eq(k.hi, 1.0);
    cr_assert_eq(k.lo, 0x1p-60);
    js_sched_worker smaller = sw(0, 0, 0x1p-61, true);
    cr_assert(js_sched_key_less(js_sched_delay_key(&smaller, 1.0), k),
              "delays that round to the same double still order exactly");
}

/* The shared policy's idle set: the lowest idle slot, as the scan in slot order finds. */
Test(pick, idle_set_is_the_first_idle_slot)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 23);
    enum { N = 300 };
    bool idle[N] = {false};
    mintree t;
    memset(&t, 0, sizeof t);
    cr_assert_eq(mintree_min(&t), -1, "empty before the first reserve");
    int n = 0, checked = 0;
    for (int op = 0; op < 100000; op++) {
        if (n < N && (n == 0 || gsl_rng_uniform(rng) < 0.01)) {
            cr_assert_eq(mintree_reserve(&t, n + 1), 0);
            n++;
        }
        int k = (int)gsl_rng_uniform_int(rng, (unsigned long)n);
        idle[k] = gsl_rng_uniform(rng) < 0.3;
        if (idle[k])
            mintree_set(&t, k, 0.0, 0.0);
        else
            mintree_clear(&t, k);
        int want = -1;
        for (int i = 0; i < n && want < 0; i++)
            if (idle[i])
                want = i;
        cr_assert_eq(mintree_min(&t), want, "op %d", op);
        cr_assert_eq(mintree_has(&t, k), idle[k]);
        checked++;
    }
    cr_assert_eq(checked, 100000);
    mintree_free(&t);
    gsl_rng_free(rng);
}

Test(sched, round_robin_by_hand)
{
    js_sched_worker w[3] = {sw(0, 0, 1, true), sw(0, 0, 1, true), sw(0, 0, 1, true)};
    int cur = 0;
    static const int seq[] = {0, 1, 2, 0, 1}, cur_after[] = {1, 2, 0, 1, 2};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(js_sched_pick_rr(w, 3, &cur), seq[i]);
        cr_assert_eq(cur, cur_after[i]);
    }
    w[1].up = false; /* from cursor 2: 2, 0, 2, 0 */
    static const int seq2[] = {2, 0, 2, 0}, cur2[] = {0, 1, 0, 1};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(js_sched_pick_rr(w, 3, &cur), seq2[i]);
        cr_assert_eq(cur, cur2[i]);
    }
    /* Cursor on a down worker: the next up one. */
    cur = 1;
    cr_assert_eq(js_sched_pick_rr(w, 3, &cur), 2);
    cr_assert_eq(cur, 0);
    w[0].up = w[2].up = false;
    cur = 2;
    cr_assert_eq(js_sched_pick_rr(w, 3, &cur), -1, "none up");
    cr_assert_eq(cur, 2, "cursor unchanged when none is up");
    cr_assert_eq(js_sched_pick_rr(w, 0, &cur), -1, "no workers");
}

/* Over many picks with random up/down patterns, RR visits the up workers in cyclic order
 * from the cursor (reference: scan from the cursor for the first up worker). */
Test(sched, round_robin_matches_cyclic_scan)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 16);
    js_sched_worker w[6];
    int cur = 0, checked = 0;
    for (int c = 0; c < 20000; c++) {
        int n = 1 + (int)gsl_rng_uniform_int(rng, 6);
        if (cur >= n)
            cur = 0; /* the simulator resets the cursor when workers leave */
        for (int i = 0; i < n; i++)
            w[i] = sw(0, 0, 1, gsl_rng_uniform(rng) < 0.6);
        int want = -1;
        for (int k = 0; k < n && want < 0; k++)
            if (w[(cur + k) % n].up)
                want = (cur + k) % n;
        int want_cur = want < 0 ? cur : (want + 1) % n;
        cr_assert_eq(js_sched_pick_rr(w, n, &cur), want, "case %d", c);
        cr_assert_eq(cur, want_cur, "case %d", c);
        checked++;
    }
    cr_assert_eq(checked, 20000);
    gsl_rng_free(rng);
}

Test(sched, batch_take_by_hand)
{
    double wake = -7; /* sentinel: only written when the rule says wait */
    cr_assert_eq(js_sched_batch_take(0, 4, 1.0, 1.0, 0.25, &wake), 0);
    cr_assert_eq(js_sched_batch_take(-1, 4, 1.0, 1.0, 0.25, &wake), 0);
    cr_assert_eq(wake, -7, "nothing queued: no wake-up");
    /* Full batch available: take max_batch, with or without a timeout. */
    cr_assert_eq(js_sched_batch_take(10, 4, 1.0, 1.0, 0, &wake), 4);
    cr_assert_eq(js_sched_batch_take(10, 4, 1.0, 1.0, 0.25, &wake), 4);
    cr_assert_eq(js_sched_batch_take(4, 4, 1.0, 1.0, 0.25, &wake), 4);
    cr_assert_eq(js_sched_batch_take(1, 1, 1.0, 1.0, 0.25, &wake), 1);
    /* No timeout (0 or negative): what is there. */
    cr_assert_eq(js_sched_batch_take(3, 4, 1.0, 1.0, 0, &wake), 3);
    cr_assert_eq(js_sched_batch_take(3, 4, 1.0, 1.0, -1, &wake), 3);
    cr_assert_eq(wake, -7);
    /* Timeout 0.25 s, oldest queued at 1.0: wait until 1.25, then take what is there. */
    cr_assert_eq(js_sched_batch_take(3, 4, 1.0, 1.125, 0.25, &wake), 0);
    cr_assert_eq(wake, 1.25);
    wake = -7;
    cr_assert_eq(js_sched_batch_take(3, 4, 1.0, 1.25, 0.25, &wake), 3, "expires at equality");
    cr_assert_eq(js_sched_batch_take(3, 4, 1.0, 1.5, 0.25, &wake), 3);
    cr_assert_eq(wake, -7);
}

/* ---- random streams (jigsaw/util.h) ----------------------------------------------- */

#define NPAIRS 20000

static double pearson(const double *x, const double *y, int n)
{
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / sqrt(sxx * syy);
}

/* The first NPAIRS inter-arrival times of a Poisson stream (rate 1) seeded with `seed`. */
static void inter_arrivals(uint64_t seed, double *out)
{
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp;
    js_arrival_spec_init(&sp);
    sp.kind = JS_ARR_POISSON;
    sp.rate = 1.0;
    sp.seed = seed;
    js_arrivals *a = NULL;
    cr_assert_eq(js_arrivals_open(&sp, &a, &d), 0, "%s", d.msg);
    double prev = 0, t = 0;
    for (int i = 0; i < NPAIRS; i++) {
        cr_assert_eq(js_arrivals_next(a, &t, &d), 0, "%s", d.msg);
        out[i] = t - prev;
        prev = t;
    }
    js_arrivals_close(a);
}

/* Application 0's inter-arrival times, as every caller seeds them, paired with the service
 * times the simulator draws (exponential, mean 1, from its own service generator) and with
 * its fan-out uniforms: each Pearson correlation is within 4 standard errors (1/sqrt(n))
 * of 0. The old scheme -- arrivals and simulator both seeded with the user's seed on
 * mt19937 -- draws both from one uniform sequence, and the same check fails there. */
Test(streams, arrival_service_and_fanout_draws_are_independent)
{
    const uint64_t user_seed = 1;
    js_scenario *s = fx_scenario(1, 1, NULL, 100);
    js_plan p;
    fx_plan(&p, s);
    fx_seg(&p, 0, 0, 0, 1, 1, 1, 1, 10.0, NAN);
    js_sim_config cfg;
    js_sim_config_init(&cfg);
    cfg.seed = user_seed;
    cfg.service = JS_SERVICE_EXPONENTIAL;
    js_arrivals *none[1] = {NULL};
    js_sim *sim = NULL;
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_sim_create(s, &p, &cfg, none, &sim, &d), 0, "%s", d.msg);

    double *ia = malloc(sizeof *ia * NPAIRS), *sv = malloc(sizeof *sv * NPAIRS);
    double *fo = malloc(sizeof *fo * NPAIRS);
    cr_assert(ia != NULL && sv != NULL && fo != NULL);
    inter_arrivals(js_seed_derive(user_seed, "arrivals", 0), ia);
    for (int i = 0; i < NPAIRS; i++) {
        sv[i] = gsl_ran_exponential(sim->rng_service, 1.0);
        fo[i] = gsl_rng_uniform(sim->rng_fanout);
    }
    const double bound = 4.0 / sqrt((double)NPAIRS);
    double r_as = pearson(ia, sv, NPAIRS), r_af = pearson(ia, fo, NPAIRS);
    double r_sf = pearson(sv, fo, NPAIRS);
    cr_assert_lt(fabs(r_as), bound, "arrivals-service r = %g", r_as);
    cr_assert_lt(fabs(r_af), bound, "arrivals-fanout r = %g", r_af);
    cr_assert_lt(fabs(r_sf), bound, "service-fanout r = %g", r_sf);

    /* The old scheme on the same check. */
    inter_arrivals(user_seed, ia);
    gsl_rng *old = gsl_rng_alloc(gsl_rng_mt19937);
    cr_assert(old != NULL);
    gsl_rng_set(old, user_seed);
    for (int i = 0; i < NPAIRS; i++)
        sv[i] = gsl_ran_exponential(old, 1.0);
    double r_old = pearson(ia, sv, NPAIRS);
    cr_log_info("r: arrivals-service %.4f, arrivals-fanout %.4f, service-fanout %.4f; old "
                "scheme %.4f; bound %.4f", r_as, r_af, r_sf, r_old, bound);
    cr_assert_gt(fabs(r_old), bound, "the shared stream is caught: r = %g", r_old);
    gsl_rng_free(old);

    free(ia);
    free(sv);
    free(fo);
    js_sim_destroy(sim);
    js_plan_free(&p);
    fx_scenario_free(s);
}

/* The derivation is a fixed function (same seeds on every platform) and separates streams:
 * names, indices and seeds all change the result; no collision among 3 x 3 x 1000. */
Test(streams, seed_derivation_is_fixed_and_separates_streams)
{
    /* Computed independently (Python, the formula in src/core/util.c). */
    cr_assert_eq(js_seed_derive(1, "arrivals", 0), 0x8BA3B8FF76541CA6ull);
    static const char *const names[] = {"arrivals", "service", "fanout"};
    static uint64_t seen[3 * 3 * 1000];
    int n = 0;
    for (uint64_t seed = 0; seed < 3; seed++)
        for (int k = 0; k < 3; k++)
            for (uint64_t i = 0; i < 1000; i++)
                seen[n++] = js_seed_derive(seed, names[k], i);
    int collisions = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            collisions += (uint32_t)seen[i] == (uint32_t)seen[j]; /* the bits mt19937 keeps */
    cr_assert_eq(n, 9000);
    cr_assert_eq(collisions, 0);
}
