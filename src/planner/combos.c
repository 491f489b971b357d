/* Variant combinations ("variant paths", as Loki enumerates them).
 *
 * With one variant fixed per task, demand is linear in the rate, PAS is a constant and
 * the latency rule only chooses among one variant's configurations: the MILP left per
 * combination is much smaller and tighter than the joint one. The number of
 * combinations of the paper's applications is small (at most a few hundred), so the
 * planner solves them one by one, best lower bound first, and keeps the answers exact
 * by pruning only combinations whose bound cannot beat the incumbent. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner_internal.h"

typedef struct app_list {
    int n, cap;
    int *var;       /* n x ntasks */
    double *logpas;
} app_list;

static int list_push(app_list *l, const int *var, int ntasks, double logpas)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        int *v = realloc(l->var, (size_t)cap * (size_t)ntasks * sizeof *v);
        if (!v)
            return -1;
        l->var = v;
        double *p = realloc(l->logpas, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        l->logpas = p;
        l->cap = cap;
    }
    memcpy(l->var + (size_t)l->n * (size_t)ntasks, var, (size_t)ntasks * sizeof *var);
    l->logpas[l->n++] = logpas;
    return 0;
}

/* Fastest configuration of `variant` the model kept for the task; INFINITY if none. */
static double variant_min_stat(const pl_task *pt, int variant)
{
    double best = INFINITY;
    for (int c = 0; c < pt->ncfg; c++)
        if (pt->cfg[c].variant == variant && pt->cfg[c].stat < best)
            best = pt->cfg[c].stat;
    return best;
}

/* Can the combination be planned at all, ignoring capacity? Every task that receives
 * items needs a configuration of its variant, and with T on every source->sink path of
 * fastest configurations must be within the rule (T off: budgets already filtered). */
static bool combo_viable(const pl_model *m, const pl_app *pa, const int *var)
{
    const js_app *a = pa->a;
    double items[JS_MAX_TASKS] = {0}, w[JS_MAX_TASKS] = {0}, down[JS_MAX_TASKS] = {0};
    js_dag_items_per_request(a, var, items);
    for (int t = 0; t < a->ntasks; t++) {
        w[t] = 0.0;
        if (!(pa->rate > 0.0) || !(items[t] > 0.0))
            continue;
        w[t] = variant_min_stat(&pa->t[t], var[t]);
        if (isinf(w[t]))
            return false;
    }
    if (!(m->feat & JS_FEAT_T) || !pa->latency_active)
        return true;
    for (int k = 0; k < a->ntasks; k++) {
        int t = pa->order[k];
        double best = 0.0;
        for (int e = 0; e < a->nedges; e++)
            if (a->edges[e].to == t && down[a->edges[e].from] > best)
                best = down[a->edges[e].from];
        down[t] = best + w[t];
        if (down[t] > pa->bound_ms + PL_MS_EPS)
            return false;
    }
    return true;
}

static int enumerate_app(const pl_model *m, const pl_app *pa, int t, int *var, double logpas,
                         double rest_max, app_list *l, int cap)
{
    const js_app *a = pa->a;
    bool floor = (m->feat & JS_FEAT_T) && pa->pas_active;
    if (floor && logpas + rest_max < pa->log_floor - PL_LOG_EPS)
        return 0;
    if (t == a->ntasks) {
        if (!combo_viable(m, pa, var))
            return 0;
        if (l->n >= cap)
            return 1;
        return list_push(l, var, a->ntasks, logpas);
    }
    const pl_task *pt = &pa->t[t];
    double hi = -INFINITY;
    for (int v = 0; v < a->tasks[t].nvariants; v++)
        if (pt->allowed[v])
            hi = fmax(hi, pt->logacc[v]);
    for (int v = 0; v < a->tasks[t].nvariants; v++) {
        if (!pt->allowed[v])
            continue;
        var[t] = v;
        int rc = enumerate_app(m, pa, t + 1, var, logpas + pt->logacc[v], rest_max - hi, l, cap);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static double app_rest_max(const pl_app *pa)
{
    double sum = 0.0;
    for (int t = 0; t < pa->a->ntasks; t++) {
        double hi = -INFINITY;
        for (int v = 0; v < pa->a->tasks[t].nvariants; v++)
            if (pa->t[t].allowed[v])
                hi = fmax(hi, pa->t[t].logacc[v]);
        sum += isinf(hi) ? 0.0 : hi;
    }
    return sum;
}

/* The cross product of the applications' lists, in application order. */
static int cross_product(const pl_model *m, const app_list *lists, pl_combos *out)
{
    long total = 1;
    for (int i = 0; i < m->napps; i++)
        total *= lists[i].n;
    out->n = (int)total;
    out->width = 0;
    for (int i = 0; i < m->napps; i++)
        out->width += m->apps[i].a->ntasks;
    out->var = calloc((size_t)total * (size_t)out->width + 1, sizeof *out->var);
    out->logpas = calloc((size_t)total + 1, sizeof *out->logpas);
    if (!out->var || !out->logpas)
        return -1;
    for (long k = 0; k < total; k++) {
        long rem = k;
        int off = 0;
        for (int i = 0; i < m->napps; i++) {
            int nt = m->apps[i].a->ntasks;
            long pick = rem % lists[i].n;
            rem /= lists[i].n;
            memcpy(out->var + (size_t)k * (size_t)out->width + (size_t)off,
                   lists[i].var + (size_t)pick * (size_t)nt, (size_t)nt * sizeof(int));
            out->logpas[k] += lists[i].logpas[pick];
            off += nt;
        }
    }
    return 0;
}

int pl_combos_enumerate(const pl_model *m, int cap, pl_combos *out)
{
    memset(out, 0, sizeof *out);
    app_list *lists = calloc((size_t)m->napps + 1, sizeof *lists);
    if (!lists)
        return -1;
    int rc = 0;
    long total = 1;
    for (int i = 0; i < m->napps && rc == 0; i++) {
        int var[JS_MAX_TASKS] = {0};
        rc = enumerate_app(m, &m->apps[i], 0, var, 0.0, app_rest_max(&m->apps[i]), &lists[i],
                           cap);
        if (rc == 0) {
            total *= lists[i].n;
            if (total > cap)
                rc = 1;
        }
    }
    if (rc == 0 && cross_product(m, lists, out) != 0)
        rc = -1;
    for (int i = 0; i < m->napps; i++) {
        free(lists[i].var);
        free(lists[i].logpas);
    }
    free(lists);
    if (rc != 0)
        pl_combos_free(out);
    return rc;
}

void pl_combos_free(pl_combos *c)
{
    free(c->var);
    free(c->logpas);
    memset(c, 0, sizeof *c);
}
