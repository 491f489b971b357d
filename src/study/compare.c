/* jigsaw compare: the paper's analytical and trace-driven studies, side by side with
 * the published figures, written to a results directory. This file runs the studies into
 * a cmp_data (study_internal.h); the published figures are in paper.c, and report_io.c
 * writes the results directory from the collected data. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "jigsaw/util.h"
#include "study_internal.h"

void js_compare_opts_init(js_compare_opts *o)
{
    memset(o, 0, sizeof *o);
    o->time_limit_s = JS_PLAN_DEFAULT_TIME_LIMIT_S;
    o->out_dir = NULL; /* JS_COMPARE_OUT, or JS_COMPARE_QUICK_OUT for --quick */
    o->scenarios_dir = "scenarios";
    o->ngpu_types = 2;
    snprintf(o->gpu_types[0], sizeof o->gpu_types[0], "a100");
    snprintf(o->gpu_types[1], sizeof o->gpu_types[1], "h100");
    o->latency_factor = 1.0;
    o->max_utilisation = 1.0;
    o->nbatch_caps = -1;
    o->tail = true;
    o->trace = true;
    o->safe_rule = true;
    o->binding = true;
    o->plots = true;
    o->seed = 1;
    o->trace_day = -1;
    o->downtime_s = -1.0;
    o->headroom = -1.0;
    o->keep_fraction = -1.0;
    o->rate_levels = -1;
    o->predictor = JS_PRED_LAST5;
    o->host = js_host_spec_unset();
    o->cpu_cores_per_node = -1;
}

/* ---- progress ---------------------------------------------------------------------- */

typedef struct cmp_progress {
    const js_compare_opts *o;
    char stage[128];
    int base, total, span; /* this stage covers steps [base, base + span) of total */
} cmp_progress;

static void stage_cb(void *ctx, const char *what, int done, int total)
{
    cmp_progress *p = ctx;
    if (!p->o->progress)
        return;
    char buf[256];
    snprintf(buf, sizeof buf, "%s %s", p->stage, what);
    int step = p->base;
    if (total > 0)
        step += (int)((double)p->span * done / total);
    p->o->progress(p->o->progress_ctx, buf, step, p->total);
}

static void stage_begin(cmp_progress *p, int span, const char *kind, const char *a,
                        const char *b)
{
    snprintf(p->stage, sizeof p->stage, "%s %s %s", kind, a, b);
    p->span = span;
    stage_cb(p, "", 0, 1);
}

static void stage_end(cmp_progress *p)
{
    p->base += p->span;
    p->span = 0;
}

/* ---- helpers ----------------------------------------------------------------------- */

/* The NASA trace: the first entry (by name) under <scenarios>/traces/nasa* that is a
 * regular file, looking one directory deep. */
static int find_trace(const char *scen_dir, char *out, size_t n, js_diag *d)
{
    char dir[JS_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/traces", scen_dir);
    struct dirent **list = NULL;
    int cnt = scandir(dir, &list, NULL, alphasort);
    if (cnt < 0)
        return js_diag_set(d, JS_EXIT_NOINPUT, "%s: cannot list the traces: %s", dir,
                           strerror(errno));
    int rc = JS_EXIT_NOINPUT;
    for (int i = 0; i < cnt && rc != 0; i++) {
        if (strncasecmp(list[i]->d_name, "nasa", 4) != 0)
            continue;
        char p[JS_PATH_MAX];
        struct stat st;
        if (snprintf(p, sizeof p, "%.255s/%.255s", dir, list[i]->d_name) >= (int)sizeof p)
            continue;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            snprintf(out, n, "%s", p);
            rc = 0;
        } else if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            char q[JS_PATH_MAX + 32];
            const char *names[] = {"workload.tbz2", "workload.txt"};
            for (int k = 0; k < 2 && rc != 0; k++) {
                snprintf(q, sizeof q, "%.511s/%s", p, names[k]);
                if (stat(q, &st) == 0 && S_ISREG(st.st_mode) && strlen(q) < n) {
                    memcpy(out, q, strlen(q) + 1);
                    rc = 0;
                }
            }
        }
    }
    for (int i = 0; i < cnt; i++)
        free(list[i]);
    free(list);
    if (rc != 0)
        return js_diag_set(d, JS_EXIT_NOINPUT, "%s: no NASA trace (nasa*) found", dir);
    return 0;
}

static int load_scenario(const cmp_data *c, const char *app, const char *gpu, int gpus,
                         js_scenario *s, js_diag *d)
{
    char path[JS_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s-%s-%d.json", c->o.scenarios_dir, app, gpu, gpus);
    memset(s, 0, sizeof *s);
    js_scenario_opts so = js_scenario_opts_default();
    so.host = c->o.host;
    so.cpu_cores_per_node = c->o.cpu_cores_per_node;
    return js_scenario_load_opts(path, &so, s, d);
}

/* ---- the analytical study ---------------------------------------------------------- */

/* Best throughput per compute slice of `p` on MIG instances of `slices` (0 when none). */
static double best_per_slice(const js_profile *p, int slices, int max_workers, int max_batch)
{
    double best = 0.0;
    for (int i = 0; i < p->nentries; i++) {
        const js_profile_entry *e = &p->entries[i];
        if (e->available && e->mig == slices && e->workers <= max_workers &&
            (max_batch <= 0 || e->batch <= max_batch))
            best = fmax(best, e->throughput * e->workers / slices);
    }
    return best;
}

static void slice_efficiency(const js_scenario *s, int max_batch, cmp_app *ca)
{
    const js_gpu_type *g = &s->cluster.gpu;
    int smallest = g->compute_slices;
    for (int k = 0; k < g->nprofiles; k++)
        if (g->profiles[k].compute_slices < smallest)
            smallest = g->profiles[k].compute_slices;
    ca->neff = 0;
    for (int i = 0; i < s->napps; i++)
        for (int t = 0; t < s->apps[i].ntasks && ca->neff < JS_MAX_TASKS; t++) {
            const js_task *task = &s->apps[i].tasks[t];
            const js_variant *best = NULL;
            for (int v = 0; v < task->nvariants; v++)
                if (task->variants[v].profile &&
                    (!best || task->variants[v].accuracy_norm > best->accuracy_norm))
                    best = &task->variants[v];
            if (!best)
                continue;
            snprintf(ca->eff[ca->neff].variant, sizeof ca->eff[ca->neff].variant, "%s",
                     best->name);
            ca->eff[ca->neff].small = best_per_slice(best->profile, smallest,
                                                     s->cluster.max_workers, max_batch);
            /* The whole GPU with one worker: the only segment without S. */
            ca->eff[ca->neff].whole = best_per_slice(best->profile, g->compute_slices, 1,
                                                     max_batch);
            ca->neff++;
        }
}

static void run_capacity(cmp_data *c, cmp_gpu *g, int a, cmp_progress *pr)
{
    cmp_app *ca = &g->apps[a];
    int span = JS_NSYSTEMS * (c->o.binding ? 4 : 1);
    stage_begin(pr, span, "capacity", g->key, js_paper_apps[a]);
    js_scenario s;
    js_diag d;
    js_diag_init(&d);
    int rc = load_scenario(c, js_paper_apps[a], g->key, c->big_gpus, &s, &d);
    js_diag_forward_warnings(&c->warnings, &d);
    if (rc == 0) {
        if (!g->gpu_name[0])
            snprintf(g->gpu_name, sizeof g->gpu_name, "%s", s.cluster.gpu_name);
        js_capacity_opts co;
        js_capacity_opts_init(&co);
        co.latency_factor = c->o.latency_factor;
        co.max_utilisation = c->o.max_utilisation;
        co.max_batch = c->o.max_batch;
        co.time_limit_s = c->o.time_limit_s;
        co.binding = c->o.binding;
        co.progress = stage_cb;
        co.progress_ctx = pr;
        rc = js_capacity_study(&s, &co, &ca->cap, &d);
        slice_efficiency(&s, c->o.max_batch, ca);
        if (rc == 0)
            ca->cap_done = true;
        else
            snprintf(ca->cap_err, sizeof ca->cap_err, "%s", d.msg);
        if (rc == 0 && c->o.safe_rule) {
            /* The same study under the safe rule: what holding p99 <= SLO costs. */
            js_diag sd;
            js_diag_init(&sd);
            co.rule = JS_RULE_SAFE;
            co.binding = false;
            co.progress = NULL;
            int src = js_capacity_study(&s, &co, &ca->cap_safe, &sd);
            if (src == 0)
                ca->cap_safe_done = true;
            else
                snprintf(ca->cap_safe_err, sizeof ca->cap_safe_err, "%s", sd.msg);
        }
        js_scenario_free(&s);
    } else {
        snprintf(ca->cap_err, sizeof ca->cap_err, "%s", d.msg);
    }
    stage_end(pr);
}

/* ---- sensitivity to a batch-size cap ----------------------------------------------- */

static void run_batch_caps(cmp_data *c, cmp_progress *pr)
{
    cmp_batchcap *bc = &c->bc;
    cmp_gpu *g = &c->gpus[0];
    for (int k = 0; k < bc->ncaps; k++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            char what[64];
            snprintf(what, sizeof what, "batch <= %d", bc->caps[k]);
            stage_begin(pr, JS_NSYSTEMS, what, g->key, js_paper_apps[a]);
            js_scenario s;
            js_diag d;
            js_diag_init(&d);
            int rc = load_scenario(c, js_paper_apps[a], g->key, c->big_gpus, &s, &d);
            js_diag_forward_warnings(&c->warnings, &d);
            if (rc == 0) {
                js_capacity_opts co;
                js_capacity_opts_init(&co);
                co.latency_factor = c->o.latency_factor;
                co.max_utilisation = c->o.max_utilisation;
                co.max_batch = bc->caps[k];
                co.time_limit_s = c->o.time_limit_s;
                co.progress = stage_cb;
                co.progress_ctx = pr;
                rc = js_capacity_study(&s, &co, &bc->res[k][a], &d);
                js_scenario_free(&s);
            }
            if (rc == 0)
                bc->done[k][a] = true;
            else
                snprintf(bc->err[k][a], sizeof bc->err[k][a], "%s", d.msg);
            stage_end(pr);
        }
}

/* ---- the trace-driven study -------------------------------------------------------- */

static int scan_day(cmp_data *c, js_diag *d)
{
    js_arrival_spec spec;
    js_arrival_spec_init(&spec);
    spec.kind = JS_ARR_TRACE;
    snprintf(spec.path, sizeof spec.path, "%s", c->trace_file);
    spec.start_s = c->trace_day * 86400.0;
    spec.duration_s = c->o.quick ? 6 * 3600.0 : 86400.0;
    if (c->o.quick)
        spec.start_s += 6 * 3600.0; /* 06:00-12:00: the morning rise to the daily peak */
    spec.time_compression = 1.0;
    spec.seed = c->o.seed;
    c->window_start_h = fmod(spec.start_s, 86400.0) / 3600.0;
    return js_arrival_interval_rates(&spec, c->interval_s, 100000, &c->raw_rates, &c->nraw, d);
}

static double raw_peak(const cmp_data *c)
{
    double m = 0.0;
    for (int k = 0; k < c->nraw; k++)
        if (c->raw_rates[k] > m)
            m = c->raw_rates[k];
    return m;
}

/* Rates file (trace module's "duration_s,rate" format): the day's 5-minute means scaled
 * by `scale`, each interval compressed to interval/compression simulated seconds. The
 * paper replayed 5-minute averages too; within an interval arrivals are Poisson. */
static int write_rates_file(const cmp_data *c, const char *path, double scale, js_diag *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    fprintf(f, "duration_s,rate\n");
    for (int k = 0; k < c->nraw; k++)
        fprintf(f, "%.9g,%.9g\n", c->interval_s / c->time_compression, c->raw_rates[k] * scale);
    if (fclose(f) != 0) {
        free(buf);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    int rc = js_write_file_atomic(path, buf, len, d);
    free(buf);
    return rc;
}

/* A+S+T above 1% violations: measure which controller setting brings it under 1%, so the
 * report can say so with a number. Each remedy adds to the previous one. */
static void try_remedies(const cmp_data *c, cmp_app *ca, const js_scenario *s,
                         const js_controller_opts *base)
{
    static const struct {
        const char *what;
        double headroom, keep;
        bool no_downtime;
    } remedies[] = {
        {"--headroom 0.6 --keep-fraction 0.4", 0.6, 0.4, false},
        {"--headroom 0.6 --keep-fraction 0.4 --relayout-downtime 0", 0.6, 0.4, true},
    };
    (void)c;
    for (size_t i = 0; i < sizeof remedies / sizeof remedies[0]; i++) {
        js_controller_opts co = *base;
        co.progress = NULL;
        co.headroom = remedies[i].headroom;
        co.keep_fraction = remedies[i].keep;
        if (remedies[i].no_downtime)
            co.relayout_downtime_s = 0.0;
        js_controller_result r;
        js_diag d;
        js_diag_init(&d);
        if (js_controller_run(s, &co, &r, &d) != 0)
            return;
        ca->nremedies = (int)i + 1;
        snprintf(ca->remedy[i], sizeof ca->remedy[i], "%s", remedies[i].what);
        ca->remedy_violation[i] = r.violation_rate;
        ca->remedy_share[i] = r.mean_slice_share;
        js_controller_result_free(&r);
        if (ca->remedy_violation[i] < 0.01)
            return;
    }
}

const cmp_safe_controller cmp_safe_controllers[CMP_NSAFE_TRACE] = {
    {JS_PRED_LAST5, true, "last5, re-layout-aware"},
    {JS_PRED_EWMA, true, "ewma, re-layout-aware"},
    {JS_PRED_QUANTILE, true, "quantile, re-layout-aware"},
    {JS_PRED_LAST5, false, "last5, minimum slices"},
    {JS_PRED_ORACLE, false, "perfect foresight"},
};

/* A+S+T under the safe rule, no headroom: the day scaled so that its busiest interval
 * is the same fraction of the safe rule's capacity, replayed with each controller of
 * cmp_safe_controllers; the last is perfect foresight (the lower bound of slices). */
static void run_trace_safe(cmp_data *c, cmp_gpu *g, int a, const js_scenario *s)
{
    cmp_app *ca = &g->apps[a];
    js_diag d;
    js_diag_init(&d);
    js_plan_request req;
    js_plan_request_init(&req);
    req.features = JS_FEAT_A | JS_FEAT_S | JS_FEAT_T;
    req.rule = JS_RULE_SAFE;
    req.max_batch = c->o.max_batch;
    req.time_limit_s = c->o.time_limit_s;
    js_plan p;
    js_plan_init(&p);
    int rc = js_plan_max_demand(s, &req, &p, &d);
    char rates_path[JS_PATH_MAX];
    snprintf(rates_path, sizeof rates_path, "%s/trace-%s-%s-rates-safe.csv", c->o.out_dir,
             g->key, js_paper_apps[a]);
    if (rc == 0) {
        ca->safe_capacity = p.demand_scale * s->apps[0].rate;
        double peak = raw_peak(c);
        ca->safe_trace_scale = peak > 0 ? c->peak_fraction * ca->safe_capacity / peak : 0.0;
        rc = write_rates_file(c, rates_path, ca->safe_trace_scale, &d);
    }
    js_plan_free(&p);
    for (int k = 0; k < CMP_NSAFE_TRACE; k++) {
        const cmp_safe_controller *sc = &cmp_safe_controllers[k];
        if (rc != 0) {
            snprintf(ca->safe_trace_err[k], sizeof ca->safe_trace_err[k], "%s", d.msg);
            continue;
        }
        js_controller_opts co;
        js_controller_opts_init(&co);
        co.features = req.features;
        co.rule = JS_RULE_SAFE;
        co.arrivals.kind = JS_ARR_TRACE;
        snprintf(co.arrivals.path, sizeof co.arrivals.path, "%s", rates_path);
        co.arrivals.time_compression = 1.0;
        co.arrivals.seed = c->o.seed;
        co.interval_s = c->interval_s;
        co.time_compression = c->time_compression;
        co.predictor = sc->predictor;
        co.relayout_tolerance = sc->layout_aware ? JS_DEFAULT_RELAYOUT_TOLERANCE : -1.0;
        co.headroom = 0.0;
        co.keep_fraction = c->keep_fraction;
        /* The reference plans each interval's own rate, not a level above it: the
         * lower bound of slices. */
        co.rate_levels = sc->predictor == JS_PRED_ORACLE ? 0 : c->rate_levels;
        co.relayout_downtime_s = c->downtime_s;
        co.max_batch = c->o.max_batch;
        co.time_limit_s = c->o.time_limit_s;
        co.sim.seed = c->o.seed;
        js_diag kd;
        js_diag_init(&kd);
        if (js_controller_run(s, &co, &ca->safe_trace[k], &kd) == 0)
            ca->safe_trace_done[k] = true;
        else
            snprintf(ca->safe_trace_err[k], sizeof ca->safe_trace_err[k], "%s", kd.msg);
    }
}

static void run_trace_app(cmp_data *c, cmp_gpu *g, int a, cmp_progress *pr)
{
    cmp_app *ca = &g->apps[a];
    js_scenario s;
    js_diag d;
    js_diag_init(&d);
    stage_begin(pr, CMP_NTRACE_SYSTEMS, "trace", g->key, js_paper_apps[a]);
    int rc = load_scenario(c, js_paper_apps[a], g->key, c->small_gpus, &s, &d);
    js_diag_forward_warnings(&c->warnings, &d);
    if (rc != 0) {
        snprintf(ca->trace_err, sizeof ca->trace_err, "%s", d.msg);
        stage_end(pr);
        return;
    }
    if (!g->gpu_name[0])
        snprintf(g->gpu_name, sizeof g->gpu_name, "%s", s.cluster.gpu_name);
    /* Scale the day so that A+S+T's peak interval is just within its capacity. */
    js_plan_request req;
    js_plan_request_init(&req);
    req.features = JS_FEAT_A | JS_FEAT_S | JS_FEAT_T;
    req.latency_factor = c->o.latency_factor;
    req.max_utilisation = c->o.max_utilisation;
    req.max_batch = c->o.max_batch;
    req.time_limit_s = c->o.time_limit_s;
    js_plan p;
    js_plan_init(&p);
    rc = js_plan_max_demand(&s, &req, &p, &d);
    char rates_path[JS_PATH_MAX];
    snprintf(rates_path, sizeof rates_path, "%s/trace-%s-%s-rates.csv", c->o.out_dir, g->key,
             js_paper_apps[a]);
    if (rc == 0) {
        ca->ast_capacity = p.demand_scale * s.apps[0].rate;
        double peak = raw_peak(c);
        ca->trace_scale = peak > 0 ? c->peak_fraction * ca->ast_capacity / peak : 0.0;
        ca->trace_peak = peak * ca->trace_scale;
        rc = write_rates_file(c, rates_path, ca->trace_scale, &d);
    }
    js_plan_free(&p);
    if (rc != 0) {
        snprintf(ca->trace_err, sizeof ca->trace_err, "%s", d.msg);
        js_scenario_free(&s);
        stage_end(pr);
        return;
    }
    ca->trace_ready = true;
    for (int k = 0; k < CMP_NTRACE_SYSTEMS; k++) {
        js_controller_opts co;
        js_controller_opts_init(&co);
        co.features = cmp_trace_systems[k];
        co.arrivals.kind = JS_ARR_TRACE;
        snprintf(co.arrivals.path, sizeof co.arrivals.path, "%s", rates_path);
        co.arrivals.time_compression = 1.0; /* the rates file is already compressed */
        co.arrivals.seed = c->o.seed;
        co.interval_s = c->interval_s;
        co.time_compression = c->time_compression;
        co.predictor = c->predictor;
        co.headroom = c->headroom;
        co.keep_fraction = c->keep_fraction;
        /* The paper's controller: each rate level's minimum plan, solved once. */
        co.relayout_tolerance = -1.0;
        co.rate_levels = c->rate_levels;
        co.relayout_downtime_s = c->downtime_s;
        co.latency_factor = c->o.latency_factor;
        co.max_utilisation = c->o.max_utilisation;
        co.max_batch = c->o.max_batch;
        co.time_limit_s = c->o.time_limit_s;
        co.sim.seed = c->o.seed;
        cmp_progress sub = *pr;
        sub.base = pr->base + k;
        sub.span = 1;
        snprintf(sub.stage, sizeof sub.stage, "%s", pr->stage);
        co.progress = stage_cb;
        co.progress_ctx = &sub;
        js_diag_init(&d);
        rc = js_controller_run(&s, &co, &ca->trace[k], &d);
        if (rc == 0)
            ca->trace_done[k] = true;
        if (rc == 0 && k == 0 && ca->trace[0].violation_rate >= 0.01)
            try_remedies(c, ca, &s, &co);
        else
            snprintf(ca->run_err[k], sizeof ca->run_err[k], "%s", d.msg);
    }
    if (c->o.safe_rule)
        run_trace_safe(c, g, a, &s);
    js_scenario_free(&s);
    stage_end(pr);
}

/* ---- the tail check ---------------------------------------------------------------- */

static void run_tail_app(cmp_data *c, cmp_gpu *g, int a, cmp_progress *pr)
{
    cmp_app *ca = &g->apps[a];
    js_scenario s;
    js_diag d;
    js_diag_init(&d);
    stage_begin(pr, JS_NSYSTEMS, "tail", g->key, js_paper_apps[a]);
    int rc = load_scenario(c, js_paper_apps[a], g->key, c->small_gpus, &s, &d);
    js_diag_forward_warnings(&c->warnings, &d);
    if (rc != 0) {
        snprintf(ca->tail_err, sizeof ca->tail_err, "%s", d.msg);
        stage_end(pr);
        return;
    }
    for (int k = 0; k < JS_NSYSTEMS; k++) {
        stage_cb(pr, js_system_name(js_systems[k]), k, JS_NSYSTEMS);
        js_diag_init(&d);
        rc = js_tail_check(&s, js_systems[k], &c->tail, &ca->tail[ca->ntail], &d);
        if (rc != 0) {
            snprintf(ca->tail_err, sizeof ca->tail_err, "%s: %.900s",
                     js_system_name(js_systems[k]), d.msg);
            break;
        }
        ca->ntail++;
    }
    js_scenario_free(&s);
    stage_end(pr);
}

/* ---- driver ------------------------------------------------------------------------ */

static void free_data(cmp_data *c)
{
    for (int g = 0; g < c->ngpus; g++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            cmp_app *ca = &c->gpus[g].apps[a];
            for (int k = 0; k < CMP_NTRACE_SYSTEMS; k++)
                if (ca->trace_done[k])
                    js_controller_result_free(&ca->trace[k]);
            for (int k = 0; k < CMP_NSAFE_TRACE; k++)
                if (ca->safe_trace_done[k])
                    js_controller_result_free(&ca->safe_trace[k]);
        }
    free(c->raw_rates);
    free(c);
}

static void collect_errors(const cmp_data *c, js_diag *d)
{
    js_diag_forward_warnings(d, &c->warnings);
    for (int g = 0; g < c->ngpus; g++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            const cmp_app *ca = &c->gpus[g].apps[a];
            if (ca->cap_err[0])
                js_diag_warn(d, "capacity %s %s: %s", c->gpus[g].key, js_paper_apps[a],
                             ca->cap_err);
            if (ca->trace_err[0])
                js_diag_warn(d, "trace %s %s: %s", c->gpus[g].key, js_paper_apps[a],
                             ca->trace_err);
            for (int k = 0; k < CMP_NTRACE_SYSTEMS; k++)
                if (ca->run_err[k][0])
                    js_diag_warn(d, "trace %s %s %s: %s", c->gpus[g].key, js_paper_apps[a],
                                 js_system_name(cmp_trace_systems[k]), ca->run_err[k]);
            if (ca->tail_err[0])
                js_diag_warn(d, "tail %s %s: %s", c->gpus[g].key, js_paper_apps[a],
                             ca->tail_err);
        }
    for (int k = 0; k < c->bc.ncaps; k++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++)
            if (c->bc.err[k][a][0])
                js_diag_warn(d, "batch <= %d %s %s: %s", c->bc.caps[k], c->gpus[0].key,
                             js_paper_apps[a], c->bc.err[k][a]);
}

static bool nothing_done(const cmp_data *c)
{
    for (int g = 0; g < c->ngpus; g++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            const cmp_app *ca = &c->gpus[g].apps[a];
            if (ca->cap_done || ca->trace_ready || ca->ntail > 0)
                return false;
        }
    return true;
}

const char *js_compare_default_out(bool quick)
{
    return quick ? JS_COMPARE_QUICK_OUT : JS_COMPARE_OUT;
}

/* The first line after the title of a REPORT.md says how it was generated; a full run's
 * lacks "--quick". A quick run never replaces a full run's results (they are committed). */
static int guard_full_results(const char *out_dir, js_diag *d)
{
    char path[JS_PATH_MAX + 16], line[512];
    snprintf(path, sizeof path, "%s/REPORT.md", out_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    bool full = false;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Generated by `jigsaw compare", 28) == 0) {
            full = strstr(line, "--quick") == NULL;
            break;
        }
    fclose(f);
    if (full)
        return js_diag_set(d, JS_EXIT_USAGE, "%s holds a full run's results (%s); a --quick "
                           "run does not replace them: choose another --out", out_dir, path);
    return 0;
}

/* Result files (top level of out_dir) that this run did not write: left by an earlier run
 * with other settings (another GPU type, the quick run). Named in one warning. */
static void warn_stale(const char *out_dir, const struct timespec *t0, js_diag *d)
{
    static const char *const kinds[] = {".csv", ".json", ".png", ".svg", ".md"};
    struct dirent **list = NULL;
    int cnt = scandir(out_dir, &list, NULL, alphasort);
    char names[768] = "";
    int nstale = 0;
    for (int i = 0; i < cnt; i++) {
        const char *nm = list[i]->d_name;
        size_t len = strlen(nm);
        bool result = false;
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            size_t kl = strlen(kinds[k]);
            result = result || (len > kl && strcmp(nm + len - kl, kinds[k]) == 0);
        }
        char p[JS_PATH_MAX + 256];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", out_dir, nm);
        if (result && stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
            (st.st_mtim.tv_sec < t0->tv_sec ||
             (st.st_mtim.tv_sec == t0->tv_sec && st.st_mtim.tv_nsec < t0->tv_nsec))) {
            if (nstale < 6)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         nstale ? ", " : "", nm);
            nstale++;
        }
        free(list[i]);
    }
    free(list);
    if (nstale > 0)
        js_diag_warn(d, "%s: %d file%s not written by this run (stale, from an earlier run "
                     "with other settings; remove them): %s%s", out_dir, nstale,
                     nstale == 1 ? "" : "s", names, nstale > 6 ? ", ..." : "");
}

int js_compare_run(const js_compare_opts *o, js_diag *d)
{
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    /* Whole seconds: some filesystems keep coarse modification times. */
    t0.tv_nsec = 0;
    cmp_data *c = calloc(1, sizeof *c);
    if (!c)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    c->o = *o;
    if (!c->o.out_dir)
        c->o.out_dir = js_compare_default_out(o->quick);
    o = &c->o;
    /* The shipped scenarios and trace from any working directory (util.h). */
    if (js_data_resolve(o->scenarios_dir, c->scenarios_found, sizeof c->scenarios_found) == 0)
        c->o.scenarios_dir = c->scenarios_found;
    /* --quick: the analytical study on the 4-GPU scenarios (the 120-GPU MILPs of the deeper
     * applications take minutes with GLPK), the trace-driven study and the tail check on
     * the depth-1 application only. */
    c->big_gpus = o->quick ? 4 : 120;
    c->small_gpus = 4;
    /* Wednesday 1995-07-05: a working day after the 4 July holiday. */
    c->trace_day = o->trace_day >= 0 ? o->trace_day : 4;
    c->interval_s = 300.0;
    /* A day in 1 simulated hour (the quick run: 6 hours in 6 minutes): 12.5 s per 5-minute
     * interval keeps thousands of requests per interval at these rates. */
    c->time_compression = o->time_compression > 0 ? o->time_compression
                                                  : (o->quick ? 60.0 : 24.0);
    c->downtime_s = o->downtime_s >= 0 ? o->downtime_s : JS_DEFAULT_RELAYOUT_DOWNTIME_S;
    c->peak_fraction = o->peak_fraction > 0 ? o->peak_fraction : 0.95;
    c->headroom = o->headroom >= 0 ? o->headroom : JS_DEFAULT_HEADROOM;
    c->rate_levels = o->rate_levels >= 0 ? o->rate_levels : JS_DEFAULT_RATE_LEVELS;
    c->keep_fraction = o->keep_fraction >= 0 ? o->keep_fraction : JS_DEFAULT_KEEP_FRACTION;
    c->predictor = o->predictor;
    c->ngpus = o->ngpu_types < CMP_MAX_GPUS ? o->ngpu_types : CMP_MAX_GPUS;
    for (int g = 0; g < c->ngpus; g++) {
        const size_t n = sizeof c->gpus[g].key;
        if (snprintf(c->gpus[g].key, n, "%s", o->gpu_types[g]) >= (int)n) {
            int rc = js_diag_set(d, JS_EXIT_USAGE, "GPU type \"%s\": at most %zu characters",
                                 o->gpu_types[g], n - 1);
            c->ngpus = 0;
            free_data(c);
            return rc;
        }
    }
    if (o->nbatch_caps < 0 && o->max_batch > 0) {
        c->bc.ncaps = 0; /* the whole study already runs under a cap */
    } else if (o->nbatch_caps < 0) {
        static const int full[] = {1, 2, 4, 8, 16};
        c->bc.ncaps = o->quick ? 1 : (int)(sizeof full / sizeof full[0]);
        for (int k = 0; k < c->bc.ncaps; k++)
            c->bc.caps[k] = o->quick ? 2 : full[k];
    } else {
        c->bc.ncaps = o->nbatch_caps < CMP_MAX_CAPS ? o->nbatch_caps : CMP_MAX_CAPS;
        memcpy(c->bc.caps, o->batch_caps, sizeof c->bc.caps[0] * (size_t)c->bc.ncaps);
    }
    if (c->ngpus < 1)
        c->bc.ncaps = 0;
    js_tail_opts_init(&c->tail);
    c->tail.seed = o->seed;
    c->tail.time_limit_s = o->time_limit_s;
    c->tail.sim_seconds = o->quick ? 10.0 : 60.0;
    c->tail.max_batch = o->max_batch;

    int rc = o->quick ? guard_full_results(o->out_dir, d) : 0;
    if (rc == 0) {
        if (o->trace_path) {
            if (snprintf(c->trace_file, sizeof c->trace_file, "%s", o->trace_path) >=
                (int)sizeof c->trace_file)
                rc = js_diag_set(d, JS_EXIT_USAGE, "trace path too long: %s", o->trace_path);
        } else {
            rc = find_trace(o->scenarios_dir, c->trace_file, sizeof c->trace_file, d);
        }
    }
    if (rc == 0)
        rc = scan_day(c, d);
    /* Only now that the inputs are there: a run without data leaves no empty directory. */
    if (rc == 0)
        rc = js_mkdir_p(o->out_dir, d);
    if (rc != 0) {
        free_data(c);
        return rc;
    }

    cmp_progress pr;
    memset(&pr, 0, sizeof pr);
    pr.o = o;
    pr.total = c->ngpus * (JS_PAPER_NAPPS * JS_NSYSTEMS * (o->binding ? 4 : 1) +
                           (o->quick ? 1 : JS_PAPER_NAPPS) *
                               ((o->trace ? CMP_NTRACE_SYSTEMS : 0) +
                                (o->tail ? JS_NSYSTEMS : 0))) +
               c->bc.ncaps * JS_PAPER_NAPPS * JS_NSYSTEMS;
    for (int g = 0; g < c->ngpus; g++) {
        for (int a = 0; a < JS_PAPER_NAPPS; a++)
            run_capacity(c, &c->gpus[g], a, &pr);
        if (g == 0)
            run_batch_caps(c, &pr);
        int napps_sim = o->quick ? 1 : JS_PAPER_NAPPS;
        for (int a = 0; a < napps_sim && o->trace; a++)
            run_trace_app(c, &c->gpus[g], a, &pr);
        if (o->tail)
            for (int a = 0; a < napps_sim; a++)
                run_tail_app(c, &c->gpus[g], a, &pr);
    }
    if (o->progress)
        o->progress(o->progress_ctx, "writing results", pr.total, pr.total);
    collect_errors(c, d);
    if (nothing_done(c))
        rc = js_diag_set(d, JS_EXIT_NOINPUT,
                         "no scenario could be run (looked for %s/<app>-<gpu>-<n>.json)",
                         o->scenarios_dir);
    else
        rc = cmp_write_results(c, d);
    if (rc == 0)
        warn_stale(o->out_dir, &t0, d);
    free_data(c);
    return rc;
}
