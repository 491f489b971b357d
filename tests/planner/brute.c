/* Exhaustive reference planner; see brute.h. Deliberately simple and slow. */
#include "brute.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NP 5          /* MIG profiles */
#define MAXV 4096     /* encoded count vectors */

typedef struct vec {
    int n[NP];
} vec;

typedef struct bctx {
    const js_scenario *s;
    const js_app *a;
    const js_gpu_type *g;
    unsigned feat;
    int G, maxw;
    double factor;
    double rate;
    int var[JS_MAX_TASKS];
    double level[JS_MAX_TASKS];
    double lev[JS_MAX_TASKS][64];
    int nlev[JS_MAX_TASKS], ilev[JS_MAX_TASKS];
    signed char *packmemo; /* min GPUs per vector, -1 unknown, 99 impossible */
    int dims[NP];
    brute_result best;
} bctx;

static int enc(const bctx *b, const vec *v)
{
    int k = 0;
    for (int p = 0; p < NP; p++) {
        if (v->n[p] >= b->dims[p])
            return -1;
        k = k * b->dims[p] + v->n[p];
    }
    return k;
}

static int slices_of(const bctx *b, const vec *v)
{
    int s = 0;
    for (int p = 0; p < b->g->nprofiles; p++)
        s += v->n[p] * b->g->profiles[p].compute_slices;
    return s;
}

/* ---- packing by backtracking over GPUs and start positions ---- */
typedef struct gstate {
    unsigned mem;
    int compute;
} gstate;

static bool place_rec(const bctx *b, int *left, gstate *gs, int ng)
{
    int p = -1;
    for (int q = b->g->nprofiles - 1; q >= 0; q--) /* biggest remaining first */
        if (left[q] > 0) {
            p = q;
            break;
        }
    if (p < 0)
        return true;
    const js_mig_profile *mp = &b->g->profiles[p];
    for (int i = 0; i < ng; i++) {
        if (gs[i].compute + mp->compute_slices > b->g->compute_slices)
            continue;
        bool empty_seen = false;
        for (int j = 0; j < i; j++)
            if (gs[j].mem == 0 && gs[i].mem == 0)
                empty_seen = true;
        if (empty_seen)
            continue; /* symmetric: an earlier empty GPU was already tried */
        for (int k = 0; k < mp->nstarts; k++) {
            int st = mp->starts[k];
            if (st + mp->memory_slices > b->g->memory_slices)
                continue;
            unsigned bits = ((1u << mp->memory_slices) - 1u) << st;
            if (gs[i].mem & bits)
                continue;
            gs[i].mem |= bits;
            gs[i].compute += mp->compute_slices;
            left[p]--;
            bool ok = place_rec(b, left, gs, ng);
            left[p]++;
            gs[i].compute -= mp->compute_slices;
            gs[i].mem &= ~bits;
            if (ok)
                return true;
        }
    }
    return false;
}

static int min_gpus(bctx *b, const vec *v)
{
    int k = enc(b, v);
    if (k >= 0 && b->packmemo[k] >= 0)
        return b->packmemo[k];
    int res = 99;
    for (int ng = 0; ng <= b->G && res == 99; ng++) {
        gstate gs[8];
        int left[NP];
        memset(gs, 0, sizeof gs);
        memcpy(left, v->n, sizeof left);
        if (place_rec(b, left, gs, ng))
            res = ng;
    }
    if (k >= 0)
        b->packmemo[k] = (signed char)res;
    return res;
}

/* ---- configurations ---- */
static double stat_of(const bctx *b, const js_profile_entry *e)
{
    double v = b->a->rule.stat == JS_LAT_MEAN ? e->lat_mean_ms : e->lat_p95_ms;
    return v * b->factor;
}

static bool cfg_ok(const bctx *b, const js_profile_entry *e)
{
    if (!e->available || e->workers > b->maxw)
        return false;
    if (!(b->feat & JS_FEAT_S) && (e->mig != b->g->compute_slices || e->workers != 1))
        return false;
    return true;
}

static int prof_index(const bctx *b, int mig)
{
    for (int p = 0; p < b->g->nprofiles; p++)
        if (b->g->profiles[p].compute_slices == mig)
            return p;
    return -1;
}

/* Items per request of task t for the chosen variants (recursion over parents). */
static double items(const bctx *b, int t)
{
    const js_app *a = b->a;
    if (t == a->source)
        return 1.0;
    double s = 0.0;
    for (int e = 0; e < a->nedges; e++)
        if (a->edges[e].to == t) {
            const js_edge *ed = &a->edges[e];
            int pv = b->var[ed->from];
            double f = isnan(ed->fanout_by_variant[pv]) ? ed->fanout : ed->fanout_by_variant[pv];
            s += items(b, ed->from) * f;
        }
    return s;
}

typedef struct mv_acc {
    const bctx *b;
    const double *bt;
    double demand;
    vec *out;
    int n, cap;
} mv_acc;

static void mv_rec(mv_acc *m, vec *v, int p, int budget, double cap_v)
{
    const bctx *b = m->b;
    if (p == b->g->nprofiles) {
        if (cap_v < m->demand * (1.0 - 1e-9))
            return;
        for (int q = 0; q < NP; q++)
            if (v->n[q] > 0 && cap_v - m->bt[q] >= m->demand * (1.0 - 1e-9))
                return; /* not minimal */
        if (m->n < m->cap)
            m->out[m->n++] = *v;
        return;
    }
    int sl = b->g->profiles[p].compute_slices;
    int lim = m->bt[p] > 0.0 ? budget / sl : 0;
    if (lim > b->dims[p] - 1)
        lim = b->dims[p] - 1;
    for (int k = 0; k <= lim; k++) {
        v->n[p] = k;
        mv_rec(m, v, p + 1, budget - k * sl, cap_v + k * m->bt[p]);
    }
    v->n[p] = 0;
}

/* Minimal count vectors covering `demand` with per-profile best throughputs. */
static int minimal_vectors(const bctx *b, const double *bt, double demand, vec *out, int cap)
{
    vec v;
    memset(&v, 0, sizeof v);
    if (demand <= 0.0) {
        out[0] = v;
        return 1;
    }
    mv_acc m = {b, bt, demand, out, 0, cap};
    mv_rec(&m, &v, 0, b->G * b->g->compute_slices, 0.0);
    return m.n;
}

/* Combine tasks' minimal vectors (DP over reachable totals) and score the result. */
static void evaluate(bctx *b)
{
    const js_app *a = b->a;
    static vec cur[MAXV * 8], nxt[MAXV * 8];
    static vec mins[MAXV];
    static unsigned char seen[29 * 15 * 10 * 8 * 5];
    int ncur = 1;
    memset(&cur[0], 0, sizeof cur[0]);
    double logpas = 0.0;
    for (int t = 0; t < a->ntasks; t++)
        logpas += log(a->tasks[t].variants[b->var[t]].accuracy_norm);
    double pas = exp(logpas);
    for (int t = 0; t < a->ntasks; t++) {
        double bt[NP] = {0};
        const js_profile *pr = a->tasks[t].variants[b->var[t]].profile;
        for (int i = 0; i < pr->nentries; i++) {
            const js_profile_entry *e = &pr->entries[i];
            if (!cfg_ok(b, e) || stat_of(b, e) > b->level[t] + 1e-9)
                continue;
            int p = prof_index(b, e->mig);
            if (p >= 0 && e->throughput * e->workers > bt[p])
                bt[p] = e->throughput * e->workers;
        }
        int nm = minimal_vectors(b, bt, b->rate * items(b, t), mins, MAXV);
        memset(seen, 0, sizeof seen);
        int nn = 0;
        for (int i = 0; i < ncur; i++)
            for (int j = 0; j < nm; j++) {
                vec v;
                for (int p = 0; p < NP; p++)
                    v.n[p] = cur[i].n[p] + mins[j].n[p];
                if (slices_of(b, &v) > b->G * b->g->compute_slices)
                    continue;
                int k = enc(b, &v);
                if (k < 0 || seen[k])
                    continue;
                seen[k] = 1;
                if (nn < MAXV * 8)
                    nxt[nn++] = v;
            }
        memcpy(cur, nxt, (size_t)nn * sizeof cur[0]);
        ncur = nn;
    }
    for (int i = 0; i < ncur; i++) {
        int sl = slices_of(b, &cur[i]);
        if (b->best.feasible && sl > b->best.slices)
            continue;
        int ng = min_gpus(b, &cur[i]);
        if (ng > b->G)
            continue;
        bool better = !b->best.feasible || sl < b->best.slices ||
                      (sl == b->best.slices && pas > b->best.pas * (1.0 + 1e-12)) ||
                      (sl == b->best.slices && fabs(pas - b->best.pas) <= 1e-12 * pas &&
                       ng < b->best.gpus);
        if (better) {
            b->best.feasible = true;
            b->best.slices = sl;
            b->best.pas = pas;
            b->best.gpus = ng;
        }
    }
}

/* Heaviest path sum of the chosen levels (all paths from the source). */
static double path_max(const bctx *b, int t)
{
    double best = 0.0;
    for (int e = 0; e < b->a->nedges; e++)
        if (b->a->edges[e].from == t) {
            double x = path_max(b, b->a->edges[e].to);
            if (x > best)
                best = x;
        }
    return best + b->level[t];
}

static int depth_up(const js_app *a, int t)
{
    int best = 0;
    for (int e = 0; e < a->nedges; e++)
        if (a->edges[e].to == t) {
            int x = depth_up(a, a->edges[e].from);
            if (x > best)
                best = x;
        }
    return best + 1;
}

static int depth_down(const js_app *a, int t)
{
    int best = 0;
    for (int e = 0; e < a->nedges; e++)
        if (a->edges[e].from == t) {
            int x = depth_down(a, a->edges[e].to);
            if (x > best)
                best = x;
        }
    return best + 1;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Candidate levels of task t: 0 and every distinct statistic of its usable configs. */
static void level_candidates(bctx *b, int t)
{
    const js_app *a = b->a;
    const js_profile *pr = a->tasks[t].variants[b->var[t]].profile;
    int n = 0;
    b->lev[t][n++] = 0.0;
    for (int i = 0; i < pr->nentries && n < 64; i++) {
        if (!cfg_ok(b, &pr->entries[i]))
            continue;
        double lv = stat_of(b, &pr->entries[i]);
        bool dup = false;
        for (int j = 0; j < n; j++)
            dup = dup || b->lev[t][j] == lv;
        if (!dup)
            b->lev[t][n++] = lv;
    }
    qsort(b->lev[t], (size_t)n, sizeof b->lev[t][0], cmp_double);
    b->nlev[t] = n;
}

static bool paths_ok(const bctx *b)
{
    return path_max(b, b->a->source) <=
           b->a->rule.slo_fraction * b->a->latency_slo_ms + 1e-9;
}

static void enum_levels(bctx *b, int t)
{
    const js_app *a = b->a;
    if (t == a->ntasks) {
        if (b->feat & JS_FEAT_T) {
            if (!paths_ok(b))
                return;
            /* Raising a level only adds configurations: evaluate maximal choices only. */
            for (int k = 0; k < a->ntasks; k++) {
                if (b->ilev[k] + 1 >= b->nlev[k])
                    continue;
                double keep = b->level[k];
                b->level[k] = b->lev[k][b->ilev[k] + 1];
                bool ok = paths_ok(b);
                b->level[k] = keep;
                if (ok)
                    return;
            }
        }
        evaluate(b);
        return;
    }
    if (!(b->feat & JS_FEAT_T)) {
        b->level[t] = a->rule.slo_fraction * a->latency_slo_ms /
                      (depth_up(a, t) + depth_down(a, t) - 1);
        enum_levels(b, t + 1);
        return;
    }
    level_candidates(b, t);
    for (int k = 0; k < b->nlev[t]; k++) {
        b->level[t] = b->lev[t][k];
        b->ilev[t] = k;
        enum_levels(b, t + 1);
    }
}

static void enum_variants(bctx *b, int t, double logpas)
{
    const js_app *a = b->a;
    if (t == a->ntasks) {
        if ((b->feat & JS_FEAT_T) && logpas < log(a->accuracy_slo) - 1e-9)
            return;
        enum_levels(b, 0);
        return;
    }
    const js_task *task = &a->tasks[t];
    double best = 0.0;
    for (int v = 0; v < task->nvariants; v++)
        best = fmax(best, task->variants[v].accuracy_norm);
    for (int v = 0; v < task->nvariants; v++) {
        double acc = task->variants[v].accuracy_norm;
        if (!(b->feat & JS_FEAT_A) && acc < best)
            continue;
        if (!(b->feat & JS_FEAT_T) && log(acc) < log(a->accuracy_slo) / a->ntasks - 1e-9)
            continue;
        b->var[t] = v;
        enum_variants(b, t + 1, logpas + log(acc));
    }
}

int brute_plan(const js_scenario *s, const js_plan_request *r, brute_result *out)
{
    bctx b;
    memset(&b, 0, sizeof b);
    if (s->napps != 1 || s->cluster.gpu.nprofiles > NP)
        return -1;
    b.s = s;
    b.a = &s->apps[0];
    b.g = &s->cluster.gpu;
    b.feat = r->features;
    b.G = r->gpus > 0 ? r->gpus : s->cluster.gpus;
    b.maxw = s->cluster.max_workers;
    b.factor = r->latency_factor > 0 ? r->latency_factor : 1.0;
    b.rate = (r->rate_app == 0 ? r->rate_override : b.a->rate) * r->demand_scale;
    int maxdims[NP] = {29, 15, 10, 8, 5};
    int total = 1;
    for (int p = 0; p < NP; p++) {
        b.dims[p] = maxdims[p];
        total *= b.dims[p];
    }
    b.packmemo = malloc((size_t)total);
    if (!b.packmemo)
        return -1;
    memset(b.packmemo, -1, (size_t)total);
    enum_variants(&b, 0, 0.0);
    free(b.packmemo);
    *out = b.best;
    return 0;
}
