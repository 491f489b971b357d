/* The planner's queueing model of one task's item latency (docs/queueing-model.md).
 *
 * An item at a task waits, then is served in a batch: T = W1 + W2 + S.
 *   S   the service of the batch it joins: at load, workers that take whatever is queued
 *       form batches of about n = lambda_w s(n) items (the fixed point of "a batch holds
 *       the arrivals during the previous one"), so S is the lognormal of that batch size;
 *   W1  (batching only) the wait for a busy worker to finish its batch in flight: with
 *       the probability that every worker is busy (Erlang C at the busy fraction), an
 *       exponential with the mean residual of the busy workers' batches;
 *   W2  queueing beyond the batch in flight: the c workers of batch b behave near
 *       saturation like c*b servers of service s(b) (Allen-Cunneen for M/G/(cb), with the
 *       arrivals' index of dispersion), which at b = 1 is the M/G/c wait itself.
 * The three parts are independent; P(T > t) integrates W's tail over S's lognormal.
 */
#include "jigsaw/qmodel.h"

#include <math.h>
#include <string.h>

#define Z95 1.6448536269514722

/* Lognormal shape from mean and p95, as the simulator fits it (0 = deterministic). */
static double sigma_from_p95(double mean, double p95)
{
    if (!(isfinite(p95) && p95 > mean && mean > 0))
        return 0.0;
    double disc = Z95 * Z95 - 2.0 * log(p95 / mean);
    return disc > 0 ? Z95 - sqrt(disc) : Z95;
}

static const js_profile_entry *entry_at_least(const js_profile *p, int mig, int batch,
                                              int workers)
{
    const js_profile_entry *best = NULL;
    for (int i = 0; p && i < p->nentries; i++) {
        const js_profile_entry *e = &p->entries[i];
        if (!e->available || e->mig != mig || e->workers != workers || e->batch < batch)
            continue;
        if (best == NULL || e->batch < best->batch)
            best = e;
    }
    return best;
}

int js_qm_service_from_profile(const js_profile *prof, int mig, int workers, int batch,
                               double cap_mean_ms, double cap_p95_ms, double thr_worker,
                               js_qm_service *sv)
{
    if (batch < 1 || batch > JS_QM_MAX_BATCH || workers < 1 || !(cap_mean_ms > 0) ||
        !(thr_worker > 0) || !isfinite(thr_worker))
        return -1;
    memset(sv, 0, sizeof *sv);
    sv->batch = batch;
    sv->workers_per_instance = workers;
    sv->thr_worker = thr_worker;
    for (int n = 1; n <= batch; n++) {
        double m = cap_mean_ms, q = cap_p95_ms;
        if (n < batch) {
            const js_profile_entry *e = entry_at_least(prof, mig, n, workers);
            if (e != NULL && e->batch <= batch && e->lat_mean_ms > 0) {
                m = e->lat_mean_ms;
                q = e->lat_p95_ms;
            }
        }
        sv->mean_ms[n] = m;
        sv->sigma[n] = sigma_from_p95(m, q);
    }
    return 0;
}

/* Erlang C: probability of waiting in M/M/c with offered load a = c rho (rho < 1),
 * through the Erlang B recursion (stable for thousands of servers). */
static double erlang_c(long c, double a)
{
    if (c < 1 || !(a > 0))
        return 0.0;
    double rho = a / (double)c;
    if (rho >= 1.0)
        return 1.0;
    double b = 1.0;
    for (long k = 1; k <= c; k++)
        b = a * b / ((double)k + a * b);
    return b / (1.0 - rho * (1.0 - b));
}

/* Weights of the item's batch size n = 1..b: with probability p_w1 the group plus a
 * Poisson(m_cycle) number of others, else the group alone; clipped to [1, b]. Calls
 * fn(n, weight) for every n whose weight is not negligible. */
typedef void (*batch_fn)(void *ctx, int n, double w);

static void item_batches(const js_qm_dist *d, batch_fn fn, void *ctx)
{
    int b = d->sv->batch;
    int g = (int)fmin(b, fmax(1.0, floor(d->group + 0.5)));
    double busy = d->p_w1, m = d->m_cycle;
    double pk = exp(-m), left = 1.0;
    fn(ctx, g, 1.0 - busy);
    for (int k = 0; g + k <= b; k++) {
        int n = g + k;
        double w = (n == b) ? left : pk;
        if (w > 1e-9 || n == b)
            fn(ctx, n, busy * w);
        left -= pk;
        if (left < 1e-12)
            break;
        pk *= m / (k + 1);
    }
}

typedef struct cycle_acc { const js_qm_service *sv; double w, c1, c2; } cycle_acc;

static void add_cycle(void *ctx, int n, double w)
{
    cycle_acc *a = ctx;
    double m = a->sv->mean_ms[n], sg = a->sv->sigma[n];
    a->w += w;
    a->c1 += w * m;
    a->c2 += w * m * m * exp(sg * sg);
}

/* How much of the single-worker residual an item waits when JSED spreads it over c busy
 * workers: 1 for one worker, toward 1/2 for many (docs/queueing-model.md, calibration). */
static double residual_share(int c)
{
    return 0.5 * (1.0 + 1.0 / c);
}

bool js_qm_dist_make(const js_qm_service *sv, const js_qm_load *ld, js_qm_dist *d)
{
    memset(d, 0, sizeof *d);
    d->sv = sv;
    int c = ld->workers > 0 ? ld->workers : 1, b = sv->batch;
    double lw = ld->rate / c; /* items/s per worker */
    d->util = lw / sv->thr_worker;
    if (!(d->util < 1.0) || !(ld->rate >= 0)) {
        d->mean_ms = INFINITY;
        return false;
    }
    double burst = ld->burst >= 1.0 ? ld->burst : 1.0;
    d->group = fmax(1.0, burst / c);
    /* Operating batch: start from the group an item arrives with and follow "a batch
     * holds the arrivals during the previous one" to its fixed point. */
    int n = (int)fmin(b, ceil(d->group - 1e-9));
    for (int it = 0; it < 4 * b + 8; it++) {
        int next = (int)fmin(b, fmax(ceil(d->group - 1e-9), ceil(lw * sv->mean_ms[n] * 1e-3 - 1e-9)));
        if (next < 1)
            next = 1;
        if (next == n)
            break;
        n = next;
    }
    double per_cycle = lw * sv->mean_ms[n] * 1e-3; /* arrivals during one batch */
    d->batch_service = n;
    d->batch_eff = fmin(b, fmax(d->group, per_cycle));
    d->m_cycle = per_cycle;
    double busy = fmin(per_cycle / d->batch_eff, 1.0);
    if (b > 1) {
        d->p_w1 = busy < 1.0 ? erlang_c(c, c * busy) : 1.0;
        cycle_acc acc = {.sv = sv};
        item_batches(d, add_cycle, &acc);
        double r1 = acc.c1 > 0 ? acc.c2 / (2.0 * acc.c1) : 0.0;
        d->theta1_ms = r1 * residual_share(c);
    }
    double sb = sv->mean_ms[b], cvb2 = expm1(sv->sigma[b] * sv->sigma[b]);
    long servers = (long)c * b;
    d->p_w2 = erlang_c(servers, servers * d->util);
    d->theta2_ms = sb / (servers * (1.0 - d->util)) * (burst + cvb2) / 2.0;
    cycle_acc svc = {.sv = sv};
    if (b > 1)
        item_batches(d, add_cycle, &svc);
    else
        add_cycle(&svc, 1, 1.0);
    d->mean_ms = svc.c1 / svc.w + d->p_w1 * d->theta1_ms + d->p_w2 * d->theta2_ms;
    d->stable = true;
    return true;
}

/* P(W > w) for W = W1 + W2, each 0 or exponential. */
static double wait_tail(const js_qm_dist *d, double w)
{
    if (w < 0)
        return 1.0;
    double p1 = d->theta1_ms > 0 ? d->p_w1 : 0.0, p2 = d->theta2_ms > 0 ? d->p_w2 : 0.0;
    double e1 = p1 > 0 ? exp(-w / d->theta1_ms) : 0.0;
    double e2 = p2 > 0 ? exp(-w / d->theta2_ms) : 0.0;
    double both = 0.0;
    if (p1 > 0 && p2 > 0) {
        double t1 = d->theta1_ms, t2 = d->theta2_ms;
        if (fabs(t1 - t2) <= 1e-9 * fmax(t1, t2))
            both = (1.0 + w / t1) * e1;
        else
            both = (t1 * e1 - t2 * e2) / (t1 - t2);
    }
    return p1 * (1.0 - p2) * e1 + (1.0 - p1) * p2 * e2 + p1 * p2 * both;
}

/* P(S_n + W > t) for a lognormal S_n (mean m, shape sg). */
static double tail_one(const js_qm_dist *d, double m, double sg, double t)
{
    if (sg <= 0)
        return t < m ? 1.0 : wait_tail(d, t - m);
    /* P(S > t) + integral over S <= t of P(W > t - S), in z = (ln S - zeta) / sigma. */
    double zeta = log(m) - 0.5 * sg * sg;
    double zt = (log(t) - zeta) / sg;
    double tail = 0.5 * erfc(zt / M_SQRT2);
    double lo = -6.5; /* Phi(-6.5) = 4e-11: below any tail the planner asks for */
    if (zt <= lo)
        return tail + (1.0 - tail) * wait_tail(d, t);
    enum { N = 16 }; /* Simpson, even: the service shapes are narrow (sigma <~ 0.3) */
    double h = (zt - lo) / N, acc = 0.0;
    for (int i = 0; i <= N; i++) {
        double z = lo + i * h;
        double f = exp(-0.5 * z * z) / sqrt(2.0 * M_PI) * wait_tail(d, t - exp(zeta + sg * z));
        acc += f * (i == 0 || i == N ? 1.0 : (i % 2 ? 4.0 : 2.0));
    }
    return fmin(1.0, tail + acc * h / 3.0);
}

typedef struct tail_acc { const js_qm_dist *d; double t, w, p; } tail_acc;

static void add_tail(void *ctx, int n, double w)
{
    tail_acc *a = ctx;
    a->w += w;
    a->p += w * tail_one(a->d, a->d->sv->mean_ms[n], a->d->sv->sigma[n], a->t);
}

double js_qm_tail(const js_qm_dist *d, double t)
{
    if (!d->stable || !(t > 0))
        return 1.0;
    tail_acc acc = {.d = d, .t = t};
    if (d->sv->batch > 1)
        item_batches(d, add_tail, &acc);
    else
        add_tail(&acc, 1, 1.0);
    return acc.w > 0 ? fmin(1.0, acc.p / acc.w) : 1.0;
}

/* log P(T > t) - log eps: decreasing in t. */
static double qgap(const js_qm_dist *d, double t, double leps)
{
    return log(fmax(js_qm_tail(d, t), 1e-300)) - leps;
}

double js_qm_quantile(const js_qm_dist *d, double eps)
{
    if (!d->stable || !(eps > 0) || !(eps < 1))
        return INFINITY;
    /* Bracket around a guess (the slowest service plus each wait's own quantile), then
     * regula falsi (Illinois) on the log tail, which is close to linear in t. */
    double leps = log(eps);
    double smax = d->sv->mean_ms[d->sv->batch] * exp(4.0 * d->sv->sigma[d->sv->batch]);
    double guess = smax;
    if (d->p_w1 > eps)
        guess += d->theta1_ms * log(d->p_w1 / eps);
    if (d->p_w2 > eps)
        guess += d->theta2_ms * log(d->p_w2 / eps);
    double hi = fmax(guess, 1e-6), lo = 0.5 * hi;
    double fhi = qgap(d, hi, leps), flo = qgap(d, lo, leps);
    for (int guard = 0; fhi > 0 && guard < 200; guard++) {
        lo = hi;
        flo = fhi;
        hi *= 1.5;
        fhi = qgap(d, hi, leps);
    }
    for (int guard = 0; flo <= 0 && lo > 1e-9 && guard < 200; guard++) {
        hi = lo;
        fhi = flo;
        lo *= 0.5;
        flo = qgap(d, lo, leps);
    }
    if (flo <= 0)
        return lo;
    int side = 0;
    for (int it = 0; it < 60 && hi - lo > 1e-3 * hi; it++) {
        double t = (isfinite(flo) && isfinite(fhi) && flo != fhi)
                       ? (lo * fhi - hi * flo) / (fhi - flo) : 0.5 * (lo + hi);
        if (!(t > lo && t < hi))
            t = 0.5 * (lo + hi);
        double ft = qgap(d, t, leps);
        if (ft > 0) {
            lo = t;
            flo = ft;
            if (side == -1)
                fhi *= 0.5;
            side = -1;
        } else {
            hi = t;
            fhi = ft;
            if (side == 1)
                flo *= 0.5;
            side = 1;
        }
    }
    return hi;
}

double js_qm_fanin_eps(double eps, double items)
{
    return -log1p(-eps) / fmax(items, 1.0);
}
