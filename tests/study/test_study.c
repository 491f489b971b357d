/* Tests of the study module: predictors, GPU alignment and re-layout accounting, interval
 * rates of an arrival process, the capacity study's JSON, the controller on a tiny
 * scenario, and the orderings of the systems on `jigsaw compare --quick`. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jigsaw/study.h"

/* ---- predictors -------------------------------------------------------------------- */

Test(predictor, last5_is_max_of_last_five)
{
    js_predictor p;
    js_predictor_init(&p, JS_PRED_LAST5, 0.5);
    cr_assert_float_eq(js_predictor_predict(&p, 42.0), 42.0, 1e-12, "cold start uses the truth");
    const double seq[] = {10, 50, 20, 30, 40, 35, 5};
    for (int i = 0; i < 5; i++)
        js_predictor_observe(&p, seq[i]);
    cr_assert_float_eq(js_predictor_predict(&p, 0.0), 50.0, 1e-12);
    js_predictor_observe(&p, seq[5]); /* window 50 20 30 40 35 */
    cr_assert_float_eq(js_predictor_predict(&p, 0.0), 50.0, 1e-12);
    js_predictor_observe(&p, seq[6]); /* window 20 30 40 35 5: the 50 fell out */
    cr_assert_float_eq(js_predictor_predict(&p, 0.0), 40.0, 1e-12);
}

Test(predictor, last5_mean_ewma_oracle)
{
    js_predictor m, e, o;
    js_predictor_init(&m, JS_PRED_LAST5_MEAN, 0.5);
    js_predictor_init(&e, JS_PRED_EWMA, 0.25);
    js_predictor_init(&o, JS_PRED_ORACLE, 0.5);
    const double seq[] = {1, 2, 3, 4, 5, 6};
    for (int i = 0; i < 6; i++) {
        js_predictor_observe(&m, seq[i]);
        js_predictor_observe(&e, seq[i]);
        js_predictor_observe(&o, seq[i]);
    }
    cr_assert_float_eq(js_predictor_predict(&m, 0.0), (2 + 3 + 4 + 5 + 6) / 5.0, 1e-12);
    double ew = 1.0;
    for (int i = 1; i < 6; i++)
        ew = 0.25 * seq[i] + 0.75 * ew;
    cr_assert_float_eq(js_predictor_predict(&e, 0.0), ew, 1e-12);
    cr_assert_float_eq(js_predictor_predict(&o, 7.5), 7.5, 1e-12);
}

Test(predictor, quantile_of_the_last_window)
{
    js_predictor p;
    js_predictor_init(&p, JS_PRED_QUANTILE, 0.5);
    cr_assert_float_eq(js_predictor_predict(&p, 3.0), 3.0, 1e-12, "cold start uses the truth");
    js_predictor_observe(&p, 7.0);
    cr_assert_float_eq(js_predictor_predict(&p, 0.0), 7.0, 1e-12, "one observation");
    for (int i = 2; i <= 20; i++)
        js_predictor_observe(&p, (double)i);
    /* Window 9..20; the 0.9 quantile interpolates at rank 0.9 x 11 = 9.9: 18.9. */
    cr_assert_float_eq(js_predictor_predict(&p, 0.0), 18.9, 1e-12);
    js_predictor_set_quantile(&p, 0.5);
    cr_assert_float_eq(js_predictor_predict(&p, 0.0), 14.5, 1e-12);
    js_predictor_set_quantile(&p, 1.5); /* out of range: ignored */
    cr_assert_float_eq(js_predictor_predict(&p, 0.0), 14.5, 1e-12);
}

Test(predictor, names)
{
    js_predictor_kind k;
    cr_assert_eq(js_predictor_parse("last5", &k), 0);
    cr_assert_eq(k, JS_PRED_LAST5);
    cr_assert_eq(js_predictor_parse("EWMA", &k), 0);
    cr_assert_eq(k, JS_PRED_EWMA);
    cr_assert_eq(js_predictor_parse("oracle", &k), 0);
    cr_assert_eq(k, JS_PRED_ORACLE);
    cr_assert_eq(js_predictor_parse("last5-mean", &k), 0);
    cr_assert_eq(k, JS_PRED_LAST5_MEAN);
    cr_assert_eq(js_predictor_parse("quantile", &k), 0);
    cr_assert_eq(k, JS_PRED_QUANTILE);
    cr_assert_str_eq(js_predictor_name(JS_PRED_QUANTILE), "quantile");
    cr_assert_eq(js_predictor_parse("tomorrow", &k), -1);
    cr_assert_str_eq(js_predictor_name(JS_PRED_LAST5), "last5");
}

/* ---- re-layout accounting ---------------------------------------------------------- */

static js_instance inst(int profile, int start, int task)
{
    js_instance i = {.profile = profile, .start = start, .app = 0, .task = task,
                     .variant = 0, .batch = 4, .workers = 1};
    return i;
}

/* A plan with `n` GPUs; layouts given as up to 3 instances per GPU (ninst[g] of them). */
static void make_plan(js_plan *p, int n, const int *ninst, const js_instance (*in)[3])
{
    js_plan_init(p);
    p->ngpus = n;
    p->gpus = calloc((size_t)n, sizeof *p->gpus);
    cr_assert_not_null(p->gpus);
    for (int g = 0; g < n; g++) {
        p->gpus[g].ninstances = ninst[g];
        for (int k = 0; k < ninst[g]; k++)
            p->gpus[g].inst[k] = in[g][k];
    }
}

Test(relayout, same_gpus_in_another_order_are_no_relayout)
{
    /* A100 profile indices: 0=1g 1=2g 2=3g 3=4g 4=7g. */
    js_plan prev, next;
    const int n1[] = {1, 2};
    const js_instance a[2][3] = {{inst(4, 0, 0)}, {inst(2, 4, 1), inst(3, 0, 1)}};
    make_plan(&prev, 2, n1, a);
    const int n2[] = {2, 1};
    const js_instance b[2][3] = {{inst(3, 0, 1), inst(2, 4, 1)}, {inst(4, 0, 0)}};
    make_plan(&next, 2, n2, b);
    cr_assert_eq(js_plan_count_relayouts(&prev, &next), 2, "index by index both differ");
    cr_assert_eq(js_plan_align_gpus(&prev, &next, 4), 0);
    cr_assert_eq(next.ngpus, 4, "padded to the cluster");
    cr_assert_eq(js_plan_count_relayouts(&prev, &next), 0);
    cr_assert(js_gpu_same_contents(&prev.gpus[0], &next.gpus[0]));
    cr_assert(js_gpu_same_contents(&prev.gpus[1], &next.gpus[1]));
    js_plan_free(&prev);
    js_plan_free(&next);
}

Test(relayout, changed_layout_counts_once_and_new_gpu_goes_to_an_empty_one)
{
    js_plan prev, next;
    const int n1[] = {1, 1, 0};
    const js_instance a[3][3] = {{inst(4, 0, 0)}, {inst(4, 0, 1)}, {{0}}};
    make_plan(&prev, 3, n1, a);
    /* GPU running task 1 becomes 3g+4g; task 0's GPU is unchanged; one new 7g GPU. */
    const int n2[] = {1, 2, 1};
    const js_instance b[3][3] = {{inst(4, 0, 2)}, {inst(3, 0, 1), inst(2, 4, 1)},
                                 {inst(4, 0, 0)}};
    make_plan(&next, 3, n2, b);
    cr_assert_eq(js_plan_align_gpus(&prev, &next, 4), 0);
    /* task 0's 7g keeps GPU 0; the 7g running task 2 keeps GPU 1's MIG layout (only its
     * worker changes); the 3g+4g goes to the empty GPU 2. */
    cr_assert(js_gpu_same_contents(&prev.gpus[0], &next.gpus[0]));
    cr_assert(js_gpu_same_layout(&prev.gpus[1], &next.gpus[1]));
    cr_assert_not(js_gpu_same_contents(&prev.gpus[1], &next.gpus[1]));
    cr_assert_eq(next.gpus[2].ninstances, 2);
    cr_assert_eq(js_plan_count_relayouts(&prev, &next), 1, "only the empty GPU is laid out");
    js_plan_free(&prev);
    js_plan_free(&next);
}

Test(relayout, copy_is_deep)
{
    js_plan p, q;
    const int n1[] = {1};
    const js_instance a[1][3] = {{inst(4, 0, 0)}};
    make_plan(&p, 1, n1, a);
    cr_assert_eq(js_plan_copy(&p, &q), 0);
    cr_assert_neq(p.gpus, q.gpus);
    q.gpus[0].inst[0].task = 9;
    cr_assert_eq(p.gpus[0].inst[0].task, 0);
    js_plan_free(&p);
    js_plan_free(&q);
}

/* ---- interval rates ---------------------------------------------------------------- */

static void tmpdir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/jigsaw-study-XXXXXX");
    cr_assert_not_null(mkdtemp(buf));
}

Test(rates, timestamps_are_binned_exactly)
{
    char dir[64], path[128];
    tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/ts.csv", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "timestamp_s\n");
    /* 3 arrivals in [0,10), none in [10,20), 5 in [20,30) */
    const double ts[] = {0.5, 1, 9.99, 20, 21, 22, 23, 29.5};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        fprintf(f, "%g\n", ts[i]);
    fclose(f);
    js_arrival_spec spec;
    js_arrival_spec_init(&spec);
    spec.kind = JS_ARR_TRACE;
    snprintf(spec.path, sizeof spec.path, "%s", path);
    double *rates = NULL;
    int n = 0;
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_arrival_interval_rates(&spec, 10.0, 100, &rates, &n, &d), 0, "%s", d.msg);
    cr_assert_eq(n, 3);
    cr_assert_float_eq(rates[0], 0.3, 1e-12);
    cr_assert_float_eq(rates[1], 0.0, 1e-12);
    cr_assert_float_eq(rates[2], 0.5, 1e-12);
    free(rates);
    cr_assert_neq(js_arrival_interval_rates(&spec, 0.0, 100, &rates, &n, &d), 0);
    unlink(path);
    rmdir(dir);
}

Test(rates, missing_trace_is_noinput)
{
    js_arrival_spec spec;
    js_arrival_spec_init(&spec);
    spec.kind = JS_ARR_TRACE;
    snprintf(spec.path, sizeof spec.path, "/nonexistent/trace.csv");
    double *rates = NULL;
    int n = 0;
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_arrival_interval_rates(&spec, 10.0, 100, &rates, &n, &d), JS_EXIT_NOINPUT);
    cr_assert_null(rates);
}

/* ---- small helpers ----------------------------------------------------------------- */

Test(study, binding_string_and_paper_gains)
{
    char b[64];
    js_binding_string(0, false, b, sizeof b);
    cr_assert_str_eq(b, "-");
    js_binding_string(0, true, b, sizeof b);
    cr_assert_str_eq(b, "none");
    js_binding_string(JS_BIND_CAPACITY | JS_BIND_ACCURACY, true, b, sizeof b);
    cr_assert_str_eq(b, "capacity+accuracy");
    cr_assert_float_eq(js_paper_gain(JS_FEAT_S), 5.25, 1e-12);
    cr_assert_float_eq(js_paper_gain(JS_FEAT_A | JS_FEAT_S | JS_FEAT_T), 21.6, 1e-12);
    cr_assert_float_eq(js_paper_gain(JS_FEAT_A | JS_FEAT_S | JS_FEAT_T) /
                           js_paper_gain(JS_FEAT_A | JS_FEAT_T),
                       11.3, 1e-9);
}

/* ---- a tiny scenario: one task, one GPU ---------------------------------------------- */

/* The tiny scenario on `gpus` A100s with profiles from `profiles` and `cluster_extra`
 * (",\"key\": value" or "") added to its cluster. */
static void write_tiny_scenario_in(const char *dir, char *path, size_t n, int gpus,
                                   const char *profiles, const char *cluster_extra)
{
    snprintf(path, n, "%s/tiny.json", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "{\"kind\": \"scenario\", \"format_version\": 1, \"name\": \"tiny\",\n"
            " \"description\": \"one classifier on %d A100\",\n"
            " \"profiles\": \"%s\",\n"
            " \"cluster\": {\"gpu\": \"a100-80gb\", \"gpus\": %d, \"max_workers\": 2%s},\n"
            " \"apps\": [{\"name\": \"cls\", \"description\": \"resnet\",\n"
            "   \"tasks\": [{\"name\": \"classify\", \"variants\": [\n"
            "     {\"name\": \"resnet50\", \"profile\": \"resnet50\", \"accuracy\": 76.13,"
            " \"metric\": \"ImageNet top-1 (%%)\", \"accuracy_source\": \"torchvision\"},\n"
            "     {\"name\": \"resnet101\", \"profile\": \"resnet101\", \"accuracy\": 77.374,"
            " \"metric\": \"ImageNet top-1 (%%)\", \"accuracy_source\": \"torchvision\"}]}],\n"
            "   \"edges\": [],\n"
            "   \"slo\": {\"latency_ms\": 200, \"accuracy\": 0.95,"
            " \"rule\": {\"stat\": \"p95\", \"slo_fraction\": 0.5}},\n"
            "   \"demand\": {\"rate\": 100}}]}\n",
            gpus, profiles, gpus, cluster_extra);
    fclose(f);
}

static void write_tiny_scenario(const char *dir, char *path, size_t n, int gpus)
{
    write_tiny_scenario_in(dir, path, n, gpus, JS_SOURCE_ROOT "/profiles", "");
}

/* A fresh directory holding the tiny scenario on one GPU, loaded into *s. */
static void load_tiny_scenario(char *dir, size_t dirsz, char *scen, size_t scensz,
                               js_scenario *s, js_diag *d)
{
    tmpdir(dir, dirsz);
    write_tiny_scenario(dir, scen, scensz, 1);
    js_diag_init(d);
    cr_assert_eq(js_scenario_load(scen, s, d), 0, "%s", d->msg);
}

/* One controller run of A+S+T on the tiny scenario (2 GPUs) over a rates trace of 20 s
 * intervals (`rates`: the CSV's data lines), seed 7, 0.5 s re-layout downtime; `o` holds
 * the options the caller set (its arrivals, features, interval and seeds are set here). */
static void run_tiny_trace(const char *rates, js_controller_opts *o, js_controller_result *r)
{
    char dir[64], scen[128], trace[128];
    tmpdir(dir, sizeof dir);
    write_tiny_scenario(dir, scen, sizeof scen, 2);
    snprintf(trace, sizeof trace, "%s/rates.csv", dir);
    FILE *f = fopen(trace, "w");
    cr_assert_not_null(f);
    fprintf(f, "duration_s,rate\n%s", rates);
    fclose(f);
    js_scenario s;
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_scenario_load(scen, &s, &d), 0, "%s", d.msg);
    js_arrival_spec_init(&o->arrivals);
    o->arrivals.kind = JS_ARR_TRACE;
    snprintf(o->arrivals.path, sizeof o->arrivals.path, "%s", trace);
    o->arrivals.seed = 7;
    o->features = JS_FEAT_A | JS_FEAT_S | JS_FEAT_T;
    o->interval_s = 20.0;
    o->relayout_downtime_s = 0.5;
    o->sim.seed = 7;
    cr_assert_eq(js_controller_run(&s, o, r, &d), 0, "%s", d.msg);
    js_scenario_free(&s);
    unlink(trace);
    unlink(scen);
    rmdir(dir);
}

Test(controller, oracle_on_a_step_trace, .timeout = 120)
{
    js_controller_opts o;
    js_controller_opts_init(&o);
    o.predictor = JS_PRED_ORACLE;
    js_controller_result r;
    /* Four 20 s intervals: low, high, high, low. */
    run_tiny_trace("20,50\n20,400\n20,400\n20,50\n", &o, &r);
    cr_assert_eq(r.nintervals, 4);
    cr_assert_eq(r.cluster_slices, 14);
    uint64_t req = 0;
    for (int k = 0; k < 4; k++) {
        const js_interval_row *w = &r.rows[k];
        /* The oracle plans for the interval's own measured rate (Poisson around 50/400). */
        cr_assert_float_eq(w->rate_predicted, w->rate_actual, 1e-9);
        cr_assert(w->rate_actual > (k == 1 || k == 2 ? 300.0 : 25.0));
        cr_assert(w->slice_share > 0.0 && w->slice_share <= 1.0);
        cr_assert_float_eq(w->slice_share, w->slices_used / 14.0, 1e-12);
        req += w->requests;
        if (k > 0 && r.rows[k - 1].slices_used == w->slices_used && !w->capped &&
            !r.rows[k - 1].capped && w->relayouts > 0)
            cr_assert(w->relayouts <= 2);
    }
    cr_assert_eq(req, r.sim.total.requests, "every request is counted in one interval");
    cr_assert(r.rows[1].slices_used >= r.rows[0].slices_used, "more demand, no fewer slices");
    cr_assert(r.rows[3].slices_used <= r.rows[2].slices_used);
    cr_assert_eq(r.rows[0].relayouts, 0, "the first layout is set up before the start");
    int sum = 0;
    for (int k = 0; k < 4; k++)
        sum += r.rows[k].relayouts;
    cr_assert_eq(sum, r.relayouts);
    cr_assert(r.relayouts <= 2 * r.plan_changes, "at most the cluster's 2 GPUs per change");
    cr_assert(r.accuracy > 0.95 - 1e-9, "served accuracy respects the floor");
    cr_assert(r.violation_rate < 0.2);
    js_controller_result_free(&r);
}

/* The step trace 50, 50, 400, 400 req/s, last5, safe rule, no headroom, with `checks`
 * reactive checks per interval. */
static void run_step_trace(int checks, js_controller_result *r)
{
    js_controller_opts o;
    js_controller_opts_init(&o);
    o.predictor = JS_PRED_LAST5;
    o.headroom = 0.0;
    o.rule = JS_RULE_SAFE;
    o.react_checks = checks;
    run_tiny_trace("20,50\n20,50\n20,400\n20,400\n", &o, r);
}

Test(controller, reactive_scale_up_catches_a_missed_step, .timeout = 180)
{
    js_controller_result off, on;
    run_step_trace(0, &off);
    run_step_trace(5, &on);
    cr_assert_eq(off.reactions, 0);
    /* last5 predicts 50 req/s for the first 400 req/s interval: only a reaction helps. */
    cr_assert_float_eq(on.rows[2].rate_predicted, on.rows[1].rate_actual, 1e-9);
    cr_assert(on.rows[2].reactions >= 1, "the step is seen inside its interval");
    cr_assert_eq(on.rows[0].reactions + on.rows[1].reactions, 0,
                 "no false alarm at a steady rate (3 sigma, fixed seed)");
    int sum = 0;
    for (int k = 0; k < on.nintervals; k++)
        sum += on.rows[k].reactions;
    cr_assert_eq(sum, on.reactions);
    /* Scaled up after the first of five steps: most of the interval runs the larger plan,
     * and the share is the time-weighted mean of the two plans. */
    cr_assert(on.rows[2].rate_planned > 300.0, "planned %g", on.rows[2].rate_planned);
    cr_assert(on.rows[2].slice_share > off.rows[2].slice_share);
    cr_assert(on.rows[2].slice_share * 14 < on.rows[2].slices_used,
              "the first step ran the smaller plan");
    cr_assert(on.rows[2].violation_rate < off.rows[2].violation_rate,
              "reacting: %g, not reacting: %g", on.rows[2].violation_rate,
              off.rows[2].violation_rate);
    /* The steps split the same simulation: the first two intervals are identical. */
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(on.rows[k].requests, off.rows[k].requests);
        cr_assert_eq(on.rows[k].slices_used, off.rows[k].slices_used);
        cr_assert_float_eq(on.rows[k].violation_rate, off.rows[k].violation_rate, 1e-12);
    }
    js_controller_result_free(&off);
    js_controller_result_free(&on);
}

Test(controller, bad_options_are_usage_errors)
{
    char dir[64], scen[128];
    js_scenario s;
    js_diag d;
    load_tiny_scenario(dir, sizeof dir, scen, sizeof scen, &s, &d);
    js_controller_opts o;
    js_controller_opts_init(&o);
    o.interval_s = 0.0;
    js_controller_result r;
    cr_assert_eq(js_controller_run(&s, &o, &r, &d), JS_EXIT_USAGE);
    js_controller_opts_init(&o);
    o.app = 3;
    js_diag_init(&d);
    cr_assert_eq(js_controller_run(&s, &o, &r, &d), JS_EXIT_USAGE);
    js_controller_opts_init(&o);
    o.react_checks = -1;
    js_diag_init(&d);
    cr_assert_eq(js_controller_run(&s, &o, &r, &d), JS_EXIT_USAGE);
    js_scenario_free(&s);
    unlink(scen);
    rmdir(dir);
}

/* ---- the capacity study on the tiny scenario, and its JSON through the CLI --------- */

Test(capacity, monotone_in_features_on_tiny, .timeout = 120)
{
    char dir[64], scen[128];
    js_scenario s;
    js_diag d;
    load_tiny_scenario(dir, sizeof dir, scen, sizeof scen, &s, &d);
    js_capacity_opts o;
    js_capacity_opts_init(&o);
    o.binding = true;
    js_capacity_result r;
    cr_assert_eq(js_capacity_study(&s, &o, &r, &d), 0, "%s", d.msg);
    cr_assert_eq(r.nrows, 8);
    const js_capacity_row *u = js_capacity_find(&r, 0);
    cr_assert_not_null(u);
    cr_assert_eq(u->status, 0, "%s", u->reason);
    for (int i = 0; i < r.nrows; i++) {
        const js_capacity_row *x = &r.rows[i];
        cr_assert_eq(x->status, 0);
        /* Features only add options: a superset of features serves no less. */
        for (int j = 0; j < r.nrows; j++) {
            const js_capacity_row *y = &r.rows[j];
            if ((x->features & y->features) == y->features)
                cr_assert(x->max_demand_scale >= y->max_demand_scale * 0.995,
                          "%s < %s", x->system, y->system);
        }
        cr_assert_float_eq(x->gain_vs_unopt, x->max_demand_scale / u->max_demand_scale, 1e-12);
        cr_assert_float_eq(x->max_rate, 100.0 * x->max_demand_scale, 1e-9);
        /* One task: T has nothing to re-split. */
        const js_capacity_row *wo = js_capacity_find(&r, x->features & ~(unsigned)JS_FEAT_T);
        cr_assert_float_eq(x->max_demand_scale, wo->max_demand_scale,
                           0.006 * wo->max_demand_scale, "T changes %s", x->system);
        /* On one GPU, more GPUs always raise the maximum: capacity binds. */
        cr_assert(x->binding & JS_BIND_CAPACITY, "%s", x->system);
    }
    cr_assert_float_eq(r.jigsaw_vs_loki,
                       js_capacity_find(&r, 7)->max_demand_scale /
                           js_capacity_find(&r, JS_FEAT_A | JS_FEAT_T)->max_demand_scale,
                       1e-12);
    js_scenario_free(&s);
    unlink(scen);
    rmdir(dir);
}

/* ---- the tail check on the tiny scenario -------------------------------------------- */

static void check_tail_row(const js_tail_opts *o, const js_tail_row *t, double rate)
{
    cr_assert_eq(t->status, 0);
    cr_assert_float_eq(t->rate, o->load * t->max_scale * rate, 1e-9 * t->rate);
    cr_assert(t->violation_rate >= 0 && t->violation_rate <= 1);
    cr_assert(t->p99_ms >= t->p95_ms && t->p95_ms > 0);
    /* The paper's rule: 2 x p95 on every path within the SLO. */
    cr_assert(t->planned_path_ms > 0 && t->planned_path_ms <= 0.5 * t->slo_ms + 1e-9,
              "%g", t->planned_path_ms);
    cr_assert_eq(t->under_provisioned, t->violation_rate > o->target_violation ||
                                           t->p99_ms > t->slo_ms);
    cr_assert(t->safe_factor >= 1.0 && t->safe_factor <= o->max_factor);
    cr_assert(t->safe_util >= o->min_util - 1e-9 && t->safe_util <= 1.0);
    /* The safe rule is the best tried: never more violations than the paper's rule. */
    cr_assert(t->safe_violation <= t->violation_rate);
    if (t->safe_reached)
        cr_assert(t->safe_violation <= o->target_violation && t->safe_p99_ms <= t->slo_ms);
    if (!t->under_provisioned) {
        cr_assert(t->safe_reached);
        cr_assert_float_eq(t->safe_factor, 1.0, 0);
        cr_assert_float_eq(t->safe_util, 1.0, 0);
        cr_assert_float_eq(t->capacity_cost, 0.0, 0);
    } else {
        /* A tighter rule never serves more (bisections are within 0.5%). */
        cr_assert(t->safe_max_scale <= t->max_scale * 1.0051);
        cr_assert_float_eq(t->capacity_cost, 1.0 - t->safe_max_scale / t->max_scale, 1e-12);
        /* Capping utilisation at U costs at least 1 - U of the capacity. */
        cr_assert(t->capacity_cost >= 1.0 - t->safe_util * 1.0051 - 1e-12);
    }
}

Test(tail, rule_search, .timeout = 180)
{
    char dir[64], scen[128];
    js_scenario s;
    js_diag d;
    load_tiny_scenario(dir, sizeof dir, scen, sizeof scen, &s, &d);
    js_tail_opts o;
    js_tail_opts_init(&o);
    o.sim_seconds = 20.0;
    js_tail_row t;
    /* One classifier at 80% of its capacity: the paper's rule keeps the SLO. */
    cr_assert_eq(js_tail_check(&s, JS_FEAT_A | JS_FEAT_S | JS_FEAT_T, &o, &t, &d), 0, "%s",
                 d.msg);
    check_tail_row(&o, &t, s.apps[0].rate);
    cr_assert_not(t.under_provisioned, "violations %g p99 %g", t.violation_rate, t.p99_ms);
    js_scenario_free(&s);
    unlink(scen);
    rmdir(dir);

    /* Traffic analysis on 4 GPUs: a request waits for all of its ~18 objects, which a
     * per-task p95 rule does not see; the tail-safe search has to tighten the rule. */
    js_diag_init(&d);
    cr_assert_eq(js_scenario_load(JS_SOURCE_ROOT "/scenarios/traffic-analysis-a100-4.json", &s,
                                  &d), 0, "%s", d.msg);
    o.sim_seconds = 10.0;
    cr_assert_eq(js_tail_check(&s, JS_FEAT_A | JS_FEAT_S, &o, &t, &d), 0, "%s", d.msg);
    cr_log_info("traffic A+S: violations %.4f p99 %.1f, safe F %.2f U %.2f -> %.4f, cost %.3f",
                t.violation_rate, t.p99_ms, t.safe_factor, t.safe_util, t.safe_violation,
                t.capacity_cost);
    check_tail_row(&o, &t, s.apps[0].rate);
    cr_assert(t.under_provisioned);
    cr_assert(t.safe_violation < t.violation_rate, "the search improves on the paper's rule");
    /* Early dropping's effect: its detector edges are Poisson, so no downstream task is
     * sure to run and the path-aware rule is the local one, byte for byte. */
    cr_assert(t.goodput > 0 && t.goodput <= t.rate * 1.05, "goodput %g", t.goodput);
    cr_assert_eq(t.local_drop_violation, t.violation_rate);
    cr_assert_eq(t.local_drop_goodput, t.goodput);
    cr_assert(t.capacity_cost > 0);
    js_scenario_free(&s);
}

static char *run_capture(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
    }
    buf[len] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

Test(capacity_cli, json_keys, .timeout = 120)
{
    char dir[64], scen[128], cmd[512];
    tmpdir(dir, sizeof dir);
    write_tiny_scenario(dir, scen, sizeof scen, 1);
    snprintf(cmd, sizeof cmd, "%s capacity %s --systems unopt,A+T,A+S+T --no-binding --rule paper "
             "--json", JS_JIGSAW_EXE, scen);
    int st;
    char *out = run_capture(cmd, &st);
    cr_assert_eq(st, 0, "%s", out);
    cJSON *root = cJSON_Parse(out);
    cr_assert_not_null(root, "%s", out);
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(root, "jigsaw_vs_loki")));
    cJSON *sys = cJSON_GetObjectItem(root, "systems");
    cr_assert_eq(cJSON_GetArraySize(sys), 3);
    const char *keys[] = {"system", "max_demand_scale", "max_rate", "gain_vs_unopt"};
    cJSON *e;
    cJSON_ArrayForEach(e, sys) {
        for (size_t k = 0; k < 4; k++)
            cr_assert_not_null(cJSON_GetObjectItem(e, keys[k]), "missing %s", keys[k]);
    }
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(sys, 2), "system")->valuestring,
                     "A+S+T");

    cr_assert_str_eq(cJSON_GetObjectItem(root, "rule")->valuestring, "paper");
    /* Under the paper's rule a utilisation cap of U serves U of the demand (bisection
     * within 0.5% each). */
    double full = cJSON_GetObjectItem(cJSON_GetArrayItem(sys, 2), "max_demand_scale")->valuedouble;
    cJSON_Delete(root);
    free(out);
    snprintf(cmd, sizeof cmd, "%s capacity %s --systems A+S+T --no-binding --max-utilisation 0.5 "
             "--rule paper --json", JS_JIGSAW_EXE, scen);
    out = run_capture(cmd, &st);
    cr_assert_eq(st, 0, "%s", out);
    root = cJSON_Parse(out);
    cr_assert_not_null(root, "%s", out);
    cr_assert_float_eq(cJSON_GetObjectItem(root, "max_utilisation")->valuedouble, 0.5, 0);
    sys = cJSON_GetObjectItem(root, "systems");
    double half = cJSON_GetObjectItem(cJSON_GetArrayItem(sys, 0), "max_demand_scale")->valuedouble;
    cr_assert(half > 0.5 * full / 1.0101 && half < 0.5 * full * 1.0101, "%g vs %g", half, full);
    cJSON_Delete(root);
    free(out);
    snprintf(cmd, sizeof cmd, "%s capacity %s --max-utilisation 2 2>&1", JS_JIGSAW_EXE, scen);
    out = run_capture(cmd, &st);
    cr_assert_eq(st, JS_EXIT_USAGE, "%s", out);
    free(out);

    snprintf(cmd, sizeof cmd, "%s capacity %s --systems bogus 2>&1", JS_JIGSAW_EXE, scen);
    out = run_capture(cmd, &st);
    cr_assert_eq(st, JS_EXIT_USAGE, "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "%s capacity %s/missing.json 2>&1", JS_JIGSAW_EXE, dir);
    out = run_capture(cmd, &st);
    cr_assert_eq(st, JS_EXIT_NOINPUT, "%s", out);
    free(out);
    unlink(scen);
    rmdir(dir);
}

/* The capacity study's costs: each system's plan at its maximum demand, its GPUs at the
 * scenario's $4 per GPU-hour, over the requests it serves in an hour; without a price
 * (a GPU type file with none) neither the keys nor the table's columns. */
Test(capacity_cli, cost, .timeout = 120)
{
    char dir[64], scen[128], cmd[1024];
    tmpdir(dir, sizeof dir);
    write_tiny_scenario_in(dir, scen, sizeof scen, 2, JS_SOURCE_ROOT "/profiles",
                           ", \"price_per_gpu_hour\": 4");
    snprintf(cmd, sizeof cmd, "%s capacity %s --systems unopt,A+S+T --no-binding --rule paper "
             "--json", JS_JIGSAW_EXE, scen);
    int st;
    char *out = run_capture(cmd, &st);
    cr_assert_eq(st, 0, "%s", out);
    cJSON *root = cJSON_Parse(out);
    cr_assert_not_null(root, "%s", out);
    cr_assert_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(root, "price_per_gpu_hour_usd")),
                       4.0, 0);
    cJSON *e;
    int checked = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "systems")) {
        double gpus = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "gpus_used"));
        double rate = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "max_rate"));
        double hour = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "cost_per_hour_usd"));
        double million =
            cJSON_GetNumberValue(cJSON_GetObjectItem(e, "cost_per_million_requests_usd"));
        cr_assert(gpus >= 1 && rate > 0, "%s", out);
        cr_assert_float_eq(hour, 4.0 * gpus, 1e-12, "%s", out);
        cr_assert_float_eq(million, 4.0 * gpus / (rate * 3600.0) * 1e6, 1e-9 * million, "%s",
                           out);
        checked++;
    }
    cr_assert_eq(checked, 2);
    cJSON_Delete(root);
    free(out);
    snprintf(cmd, sizeof cmd, "%s capacity %s --systems unopt --no-binding --rule paper "
             "2>/dev/null", JS_JIGSAW_EXE, scen);
    out = run_capture(cmd, &st);
    cr_assert_eq(st, 0, "%s", out);
    cr_assert_not_null(strstr(out, ", $4/GPU-h\n"), "%s", out);
    cr_assert_not_null(strstr(out, "$/M req"), "%s", out);
    int gpus = 0;
    double rate = 0, hour = 0, million = 0;
    const char *row = strstr(out, "\nunopt ");
    cr_assert_not_null(row, "%s", out);
    cr_assert_eq(sscanf(row, " unopt %*g %lg %*s %*d %d %*g %lg %lg", &rate, &gpus, &hour,
                        &million), 4, "%s", out);
    cr_assert_float_eq(hour, 4.0 * gpus, 0.006, "%s", out);
    cr_assert_float_eq(million, 4.0 * gpus / (rate * 3600.0) * 1e6, 1e-3 * million, "%s", out);
    free(out);
    unlink(scen);

    /* A GPU type file without a price: the study has no cost to report. */
    snprintf(cmd, sizeof cmd, "mkdir -p %s/profiles/gpus && ln -s %s/profiles/a100-80gb "
             "%s/profiles/a100-80gb && sed -e '/\"price_per_gpu_hour\": {/,/^  },$/d' "
             "%s/profiles/gpus/a100-80gb.json > %s/profiles/gpus/a100-80gb.json",
             dir, JS_SOURCE_ROOT, dir, JS_SOURCE_ROOT, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    char profiles[128];
    snprintf(profiles, sizeof profiles, "%s/profiles", dir);
    write_tiny_scenario_in(dir, scen, sizeof scen, 2, profiles, "");
    snprintf(cmd, sizeof cmd, "%s capacity %s --systems unopt --no-binding --rule paper --json",
             JS_JIGSAW_EXE, scen);
    out = run_capture(cmd, &st);
    cr_assert_eq(st, 0, "%s", out);
    cr_assert_null(strstr(out, "cost_per_hour_usd"), "%s", out);
    cr_assert_null(strstr(out, "price_per_gpu_hour_usd"), "%s", out);
    cr_assert_not_null(strstr(out, "max_rate"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "%s capacity %s --systems unopt --no-binding --rule paper "
             "2>/dev/null", JS_JIGSAW_EXE, scen);
    out = run_capture(cmd, &st);
    cr_assert_eq(st, 0, "%s", out);
    cr_assert_null(strstr(out, "$/h"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
