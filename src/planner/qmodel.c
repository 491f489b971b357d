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
#include <stdlib.h>
#include <string.h>

#define Z95 1.6448536269514722

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
            const js_profile_entry *e = js_profile_find_at_least(prof, mig, n, workers);
            if (e != NULL && e->batch <= batch && e->lat_mean_ms > 0) {
                m = e->lat_mean_ms;
                q = e->lat_p95_ms;
            }
        }
        sv->mean_ms[n] = m;
        sv->sigma[n] = js_lognormal_sigma(Z95, m, q);
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

/* How much of a busy worker's residual an item waits under JSED with c workers at load
 * u. At light load JSED sends the item to the first worker to free up: the expected
 * minimum of c uniform residuals, 2 / (c + 1) of one. Near saturation every worker has
 * items queued and the expected-delay penalty of a queued item spreads arrivals over
 * the workers as if each had its own Poisson stream: the whole residual. Between the two
 * a linear blend over u in [0.4, 0.8], fitted to the simulator (docs/queueing-model.md:
 * the calibration grid of tests/planner/test_qmodel.c). */
static double residual_share(int c, double u)
{
    double k = 2.0 / (c + 1.0);
    double x = fmin(1.0, fmax(0.0, (u - 0.4) / 0.4));
    return k + (1.0 - k) * x;
}

/* Law of the number of items arriving at a worker during a batch, mean m, index of
 * dispersion disp: Poisson when disp = 1, else negative binomial with the same mean and
 * variance m x disp (items arrive in groups behind a fan-out). pmf into p[0..n]. */
static void count_pmf(double m, double disp, int n, double *p)
{
    if (!(disp > 1.0 + 1e-9) || !(m > 0)) {
        p[0] = exp(-m);
        for (int k = 1; k <= n; k++)
            p[k] = p[k - 1] * m / k;
        return;
    }
    double q = 1.0 / disp, r = m / (disp - 1.0);
    p[0] = exp(r * log(q));
    for (int k = 1; k <= n; k++)
        p[k] = p[k - 1] * (k - 1 + r) / k * (1.0 - q);
}

typedef struct steps {
    int n;
    int hi[JS_QM_MAX_STEPS]; /* largest batch of step k */
} steps;

/* The staircase: consecutive batch sizes with the same service form one step. */
static int make_steps(const js_qm_service *sv, steps *st)
{
    st->n = 0;
    for (int n = 1; n <= sv->batch; n++) {
        bool same = n > 1 && sv->mean_ms[n] == sv->mean_ms[n - 1] &&
                    sv->sigma[n] == sv->sigma[n - 1];
        if (same) {
            st->hi[st->n - 1] = n;
            continue;
        }
        if (st->n == JS_QM_MAX_STEPS)
            return -1;
        st->hi[st->n++] = n;
    }
    return 0;
}

static int step_of(const steps *st, int n)
{
    int k = 0;
    while (k + 1 < st->n && st->hi[k] < n)
        k++;
    return k;
}

/* The worker's chain over steps: from a batch of step i, the next one holds the
 * arrivals during its service (mean lw s_i, overdispersed by the groups items arrive
 * in), at least the group g, at most b; no
 * arrival means the worker idles until the next group. Fills the stationary batch law
 * pi, the items served per step (items) and the idle share of cycles (idle). */
static void batch_chain(const js_qm_service *sv, const steps *st, double lw, int g,
                        double disp, double *pi, double *items, double *idle)
{
    int b = sv->batch, K = st->n;
    double P[JS_QM_MAX_STEPS][JS_QM_MAX_STEPS] = {{0}}, N[JS_QM_MAX_STEPS][JS_QM_MAX_STEPS] = {{0}};
    double P0[JS_QM_MAX_STEPS];
    double pmf[JS_QM_MAX_BATCH + 1]; /* b <= JS_QM_MAX_BATCH (js_qm_service) */
    for (int i = 0; i < K; i++) {
        double m = lw * sv->mean_ms[st->hi[i]] * 1e-3, left = 1.0;
        count_pmf(m, disp, b, pmf);
        P0[i] = pmf[0];
        int gs = step_of(st, g);
        P[i][gs] += pmf[0];
        N[i][gs] += pmf[0] * g;
        left -= pmf[0];
        for (int a = 1; a < b; a++) {
            int j = step_of(st, a > g ? a : g);
            P[i][j] += pmf[a];
            N[i][j] += pmf[a] * (a > g ? a : g);
            left -= pmf[a];
        }
        left = fmax(left, 0.0);
        P[i][K - 1] += left; /* b or more: a full batch (the rest queues: W2) */
        N[i][K - 1] += left * b;
    }
    for (int k = 0; k < K; k++)
        pi[k] = 1.0 / K;
    for (int it = 0; it < 2000; it++) {
        double next[JS_QM_MAX_STEPS] = {0}, diff = 0.0;
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++)
                next[j] += pi[i] * P[i][j];
        for (int k = 0; k < K; k++) {
            diff += fabs(next[k] - pi[k]);
            pi[k] = next[k];
        }
        if (diff < 1e-13)
            break;
    }
    *idle = 0.0;
    for (int j = 0; j < K; j++)
        items[j] = 0.0;
    for (int i = 0; i < K; i++) {
        *idle += pi[i] * P0[i];
        for (int j = 0; j < K; j++)
            items[j] += pi[i] * N[i][j];
    }
}

bool js_qm_dist_make(const js_qm_service *sv, const js_qm_load *ld, js_qm_dist *d)
{
    memset(d, 0, sizeof *d);
    int c = ld->workers > 0 ? ld->workers : 1, b = sv->batch;
    double lw = ld->rate / c; /* items/s per worker */
    d->util = lw / sv->thr_worker;
    steps st;
    if (!(d->util < 1.0) || !(ld->rate >= 0) || make_steps(sv, &st) != 0) {
        d->mean_ms = INFINITY;
        return false;
    }
    double burst = ld->burst >= 1.0 ? ld->burst : 1.0;
    d->group = fmax(1.0, burst / c);
    int g = (int)fmin(b, floor(d->group + 0.5));
    d->nsteps = st.n;
    for (int k = 0; k < st.n; k++) {
        d->s_mean_ms[k] = sv->mean_ms[st.hi[k]];
        d->s_sigma[k] = sv->sigma[st.hi[k]];
    }
    double pi[JS_QM_MAX_STEPS], items[JS_QM_MAX_STEPS], idle;
    batch_chain(sv, &st, lw, g, d->group, pi, items, &idle);
    double busy_ms = 0.0, nitems = 0.0, nbatches = 0.0;
    for (int k = 0; k < st.n; k++) {
        busy_ms += pi[k] * d->s_mean_ms[k];
        nitems += items[k];
        nbatches += pi[k];
    }
    for (int k = 0; k < st.n; k++) {
        d->item_w[k] = nitems > 0 ? items[k] / nitems : (k == 0);
        d->cycle_w[k] = busy_ms > 0 ? pi[k] * d->s_mean_ms[k] / busy_ms : (k == 0);
        d->resid_ms[k] = d->s_mean_ms[k] * exp(0.5 * d->s_sigma[k] * d->s_sigma[k]) *
                         residual_share(c, d->util);
    }
    d->batch_eff = nbatches > 0 ? nitems / nbatches : 1.0;
    /* Busy share of a worker's time: batches back to back, idle gaps of one group's
     * inter-arrival time after a batch that found nothing queued. */
    double idle_ms = idle * 1e3 * (d->group / fmax(lw, 1e-300));
    double busy = (b > 1) ? busy_ms / (busy_ms + idle_ms) : 0.0;
    if (b > 1)
        d->p_w1 = busy < 1.0 ? erlang_c(c, c * busy) : 1.0;
    /* Groups of about `burst` items arrive together, so near saturation the c workers
     * of batch b serve about c b / burst groups at a time: Allen-Cunneen for that many
     * servers with Poisson group arrivals (at burst 1, M/G/(cb) itself). */
    double sb = sv->mean_ms[b], cvb2 = expm1(sv->sigma[b] * sv->sigma[b]);
    long servers = (long)fmax(1.0, floor((double)c * b / burst));
    d->p_w2 = erlang_c(servers, servers * d->util);
    d->theta2_ms = sb / (servers * (1.0 - d->util)) * (1.0 + cvb2) / 2.0;
    double es = 0.0, ew1 = 0.0;
    for (int k = 0; k < st.n; k++) {
        es += d->item_w[k] * d->s_mean_ms[k];
        ew1 += d->cycle_w[k] * 0.5 * d->resid_ms[k];
    }
    /* A group of `group` items at a worker takes group / b full batches, one after the
     * other, even with no other load: the items' own rounds (M^X/G/c's within-group wait,
     * which the group-as-one-customer terms above leave out). */
    d->group_wait_ms = fmax(0.0, d->group / b - 1.0) * sb;
    d->mean_ms = es + d->p_w1 * ew1 + d->p_w2 * d->theta2_ms + 0.5 * d->group_wait_ms;
    for (int k = 0; k < st.n; k++) {
        double x = d->theta2_ms > 0 ? d->resid_ms[k] / d->theta2_ms : INFINITY;
        d->resid_growth[k] = x < 700.0 ? exp(x) : INFINITY;
    }
    d->stable = true;
    return true;
}

/* P(W > w), W = W1 + W2: W1 with probability p_w1 uniform on [0, L_k] (mixture over the
 * cycle kinds), W2 with probability p_w2 exponential; closed form per component. */
static double wait_tail_batches(const js_qm_dist *d, double w)
{
    if (w < 0)
        return 1.0;
    double p2 = d->theta2_ms > 0 ? d->p_w2 : 0.0, th = d->theta2_ms;
    double e2 = p2 > 0 ? exp(-w / th) : 0.0;
    double busy = 0.0;
    if (d->p_w1 > 0)
        for (int k = 0; k < d->nsteps; k++) {
            double L = d->resid_ms[k], wk = d->cycle_w[k];
            if (!(wk > 0) || !(L > 0))
                continue;
            double t = w < L ? 1.0 - w / L : 0.0;
            if (p2 > 0) {
                /* exp(-(w - L) / th) = e2 exp(L / th): one exp per call, not per step. */
                double near = w < L ? 1.0
                              : isfinite(d->resid_growth[k]) ? e2 * d->resid_growth[k]
                                                             : exp(-(w - L) / th);
                t += p2 * th / L * (near - e2);
            }
            busy += wk * t;
        }
    return d->p_w1 * busy + (1.0 - d->p_w1) * p2 * e2;
}

/* With the wait for the item's own group's rounds (uniform on [0, G], independent):
 * the average of the other waits' tail over it, by Simpson's rule. */
static double wait_tail(const js_qm_dist *d, double w)
{
    double g = d->group_wait_ms;
    if (!(g > 0))
        return wait_tail_batches(d, w);
    if (w >= g * 64.0)
        return wait_tail_batches(d, w - 0.5 * g); /* far tail: the shift is what matters */
    enum { N = 8 };
    double h = g / N, acc = 0.0;
    for (int i = 0; i <= N; i++)
        acc += wait_tail_batches(d, w - i * h) * (i == 0 || i == N ? 1.0 : (i % 2 ? 4.0 : 2.0));
    return fmin(1.0, acc * h / 3.0 / g);
}

/* P(S_k + W > t) for a lognormal S_k (mean m, shape sg). */
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

double js_qm_tail(const js_qm_dist *d, double t)
{
    if (!d->stable || !(t > 0))
        return 1.0;
    double p = 0.0, w = 0.0;
    for (int k = 0; k < d->nsteps; k++) {
        if (!(d->item_w[k] > 1e-9))
            continue;
        w += d->item_w[k];
        p += d->item_w[k] * tail_one(d, d->s_mean_ms[k], d->s_sigma[k], t);
    }
    return w > 0 ? fmin(1.0, p / w) : 1.0;
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
    int top = d->nsteps - 1;
    double guess = d->s_mean_ms[top] * exp(4.0 * d->s_sigma[top]) + d->resid_ms[top] +
                   d->group_wait_ms;
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
