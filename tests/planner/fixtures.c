#include "fixtures.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void fx_a100(js_gpu_type *g)
{
    static const struct {
        const char *name;
        int c, m, n, starts[7];
    } p[5] = {
        {"1g.10gb", 1, 1, 7, {0, 1, 2, 3, 4, 5, 6}},
        {"2g.20gb", 2, 2, 3, {0, 2, 4}},
        {"3g.40gb", 3, 4, 2, {0, 4}},
        {"4g.40gb", 4, 4, 1, {0}},
        {"7g.80gb", 7, 8, 1, {0}},
    };
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "a100-80gb");
    g->compute_slices = 7;
    g->memory_slices = 8;
    g->nprofiles = 5;
    g->max_mps_workers = 5;
    for (int i = 0; i < 5; i++) {
        js_mig_profile *mp = &g->profiles[i];
        snprintf(mp->name, sizeof mp->name, "%s", p[i].name);
        mp->compute_slices = p[i].c;
        mp->memory_slices = p[i].m;
        mp->nstarts = p[i].n;
        memcpy(mp->starts, p[i].starts, sizeof p[i].starts);
    }
}

void fx_init(fx_scenario *f, int gpus, int max_workers)
{
    memset(f, 0, sizeof *f);
    snprintf(f->s.name, sizeof f->s.name, "fixture");
    snprintf(f->s.file, sizeof f->s.file, "fixture.json");
    f->s.napps = 1;
    f->s.apps = &f->app;
    fx_a100(&f->s.cluster.gpu);
    snprintf(f->s.cluster.gpu_name, sizeof f->s.cluster.gpu_name, "a100-80gb");
    f->s.cluster.gpus = gpus;
    f->s.cluster.max_workers = max_workers;
    snprintf(f->app.name, sizeof f->app.name, "App");
    f->app.rule.stat = JS_LAT_P95;
    f->app.rule.slo_fraction = 0.5;
}

int fx_task(fx_scenario *f, const char *name, int nvar, const double *acc)
{
    js_app *a = &f->app;
    int t = a->ntasks++;
    js_task *task = &a->tasks[t];
    snprintf(task->name, sizeof task->name, "%s", name);
    task->nvariants = nvar;
    for (int v = 0; v < nvar; v++) {
        js_variant *var = &task->variants[v];
        snprintf(var->name, sizeof var->name, "%s-v%d", name, v);
        snprintf(var->profile_name, sizeof var->profile_name, "%s-v%d", name, v);
        var->accuracy = acc[v];
        js_profile *pr = &f->profiles[t * JS_MAX_VARIANTS + v];
        snprintf(pr->model, sizeof pr->model, "%s", var->name);
        pr->entries = f->entries[t * JS_MAX_VARIANTS + v];
        var->profile = pr;
    }
    return t;
}

void fx_edge(fx_scenario *f, int from, int to, double fanout)
{
    js_edge *e = &f->app.edges[f->app.nedges++];
    e->from = from;
    e->to = to;
    e->fanout = fanout;
    for (int v = 0; v < JS_MAX_VARIANTS; v++)
        e->fanout_by_variant[v] = NAN;
}

void fx_entry(fx_scenario *f, int t, int v, int mig, int batch, int workers, double thr,
              double mean_ms, double p95_ms)
{
    js_profile *pr = &f->profiles[t * JS_MAX_VARIANTS + v];
    js_profile_entry *e = &pr->entries[pr->nentries++];
    e->mig = mig;
    e->batch = batch;
    e->workers = workers;
    e->available = true;
    e->throughput = thr;
    e->lat_mean_ms = mean_ms;
    e->lat_p50_ms = NAN;
    e->lat_p95_ms = p95_ms;
}

void fx_done(fx_scenario *f, double lat_slo, double acc_slo, double rate)
{
    js_app *a = &f->app;
    a->latency_slo_ms = lat_slo;
    a->accuracy_slo = acc_slo;
    a->rate = rate;
    a->source = 0;
    a->nsources = 1;
    a->sources[0] = 0;
    for (int t = 0; t < a->ntasks; t++) {
        double best = 0.0;
        for (int v = 0; v < a->tasks[t].nvariants; v++)
            best = fmax(best, a->tasks[t].variants[v].accuracy);
        for (int v = 0; v < a->tasks[t].nvariants; v++)
            a->tasks[t].variants[v].accuracy_norm = a->tasks[t].variants[v].accuracy / best;
    }
}

static void random_profile(fx_scenario *f, gsl_rng *rng, int t, int v, double speed)
{
    static const int migs[5] = {1, 2, 3, 4, 7};
    for (int mi = 0; mi < 5; mi++) {
        int mig = migs[mi];
        if (mig != 7 && gsl_rng_uniform(rng) < 0.55)
            continue;
        for (int batch = 1; batch <= 4; batch *= 2) {
            if (batch > 1 && gsl_rng_uniform(rng) < 0.6)
                continue;
            for (int w = 1; w <= 2; w++) {
                if (w > 1 && gsl_rng_uniform(rng) < 0.5)
                    continue;
                double thr = speed * pow(mig, 0.75 + 0.2 * gsl_rng_uniform(rng)) *
                             pow(batch, 0.4) / pow(w, 0.6) * (0.9 + 0.2 * gsl_rng_uniform(rng));
                double mean = 1000.0 * batch / thr;
                fx_entry(f, t, v, mig, batch, w, thr, mean, mean * (1.1 + 0.3 * gsl_rng_uniform(rng)));
            }
        }
    }
}

void fx_random(fx_scenario *f, gsl_rng *rng)
{
    int gpus = 1 + (int)gsl_rng_uniform_int(rng, 4);
    fx_init(f, gpus, 2);
    int ntasks = 1 + (int)gsl_rng_uniform_int(rng, 4);
    for (int t = 0; t < ntasks; t++) {
        int nvar = 1 + (int)gsl_rng_uniform_int(rng, ntasks >= 4 ? 2 : 3);
        double acc[3];
        for (int v = 0; v < nvar; v++)
            acc[v] = v == 0 ? 80.0 : 80.0 * (0.85 + 0.15 * gsl_rng_uniform(rng));
        char name[16];
        snprintf(name, sizeof name, "t%d", t);
        fx_task(f, name, nvar, acc);
        for (int v = 0; v < nvar; v++)
            random_profile(f, rng, t, v, 20.0 + 60.0 * gsl_rng_uniform(rng) * (1.0 + v));
    }
    for (int t = 1; t < ntasks; t++) {
        int p = (int)gsl_rng_uniform_int(rng, (unsigned long)t);
        fx_edge(f, p, t, 0.5 + 2.0 * gsl_rng_uniform(rng));
        if (gsl_rng_uniform(rng) < 0.5) {
            js_edge *e = &f->app.edges[f->app.nedges - 1];
            for (int v = 0; v < f->app.tasks[p].nvariants; v++)
                e->fanout_by_variant[v] = e->fanout * (0.6 + 0.8 * gsl_rng_uniform(rng));
        }
        /* occasionally a second parent (a join) */
        if (t >= 2 && gsl_rng_uniform(rng) < 0.25) {
            int q = (int)gsl_rng_uniform_int(rng, (unsigned long)t);
            if (q != p)
                fx_edge(f, q, t, 0.3 + gsl_rng_uniform(rng));
        }
    }
    if (gsl_rng_uniform(rng) < 0.25) {
        f->app.rule.stat = JS_LAT_MEAN;
        f->app.rule.slo_fraction = 0.45;
    }
    double lat = 40.0 + 200.0 * gsl_rng_uniform(rng);
    double acc = 0.7 + 0.3 * gsl_rng_uniform(rng);
    double rate = 5.0 + 150.0 * gsl_rng_uniform(rng);
    fx_done(f, lat, acc, rate);
}
