/* Tests of the performance model: equations, fit, generated tables, file round trips. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "jigsaw/perfmodel.h"

#define ROOT JS_SOURCE_ROOT "/profiles"

static js_pm_catalogue cat;
static js_gpu_type a100, h100;

static void setup(void)
{
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_pm_catalogue_load(ROOT "/models.json", &cat, &d), 0, "%s", d.msg);
    cr_assert_eq(js_gpu_load(ROOT "/gpus/a100-80gb.json", &a100, &d), 0, "%s", d.msg);
    cr_assert_eq(js_gpu_load(ROOT "/gpus/h100-80gb.json", &h100, &d), 0, "%s", d.msg);
}

TestSuite(perfmodel, .init = setup);

/* ------------------------------------------------------------------ equations */

static js_pm_facts toy_facts(void)
{
    js_pm_facts f;
    memset(&f, 0, sizeof f);
    snprintf(f.name, sizeof f.name, "toy");
    f.gflops = 10.0;
    f.params_m = 25.0;
    f.ops = 100.0;
    f.act_m = 20.0;
    f.input_px = 224;
    return f;
}

static js_pm_params toy_params(void)
{
    js_pm_params p = {.t0 = 1.0, .c_op = 0.02, .a_flop = 0.01, .a_act = 0.005, .a_op = 0.0,
                      .gamma = 1.0, .h = 1.0, .omega = 1.0, .mu = 0.1, .p = 1.0,
                      .mem_m0 = 1.0, .mem_alpha_act = 0.0, .mem_alpha_flop = 0.01};
    return p;
}

Test(perfmodel, known_answer_additive)
{
    /* p = 1: latency = T_cpu + T_k, computed by hand. */
    js_pm_facts f = toy_facts();
    js_pm_params p = toy_params();
    js_pm_hw hw = {.sms = 49, .mem_frac = 0.5, .mem_gib = 40, .bw_gbs = JS_PM_BREF_GBS,
                   .clock_mhz = JS_PM_FREF_MHZ};
    double lat, thr;
    cr_assert(js_pm_predict(&p, &f, &hw, 4, 2, &lat, &thr));
    double t_cpu = 1.0 + 0.02 * 100;                    /* 3 ms */
    double t_item = 0.01 * 10 * 2.0 + 0.005 * 20 * 2.0; /* 0.4 ms */
    double t_w = 4.0 * 25 / (JS_PM_BREF_GBS * 0.5);
    double t_gpu = (4 + 1) * t_item + t_w;                  /* 2.1 ms */
    double t_k = 2 * (1 + 0.1) * t_gpu;
    cr_assert_float_eq(lat, t_cpu + t_k, 1e-9);
    cr_assert_float_eq(thr, 1000.0 * 4 / (t_cpu + t_k), 1e-9);
}

Test(perfmodel, smooth_max_tends_to_max)
{
    js_pm_facts f = toy_facts();
    js_pm_params p = toy_params();
    p.p = 200.0;
    p.mu = 0.0;
    js_pm_hw hw = {.sms = 98, .mem_frac = 1, .mem_gib = 80, .bw_gbs = 2000,
                   .clock_mhz = JS_PM_FREF_MHZ};
    double lat, thr;
    cr_assert(js_pm_predict(&p, &f, &hw, 1, 1, &lat, &thr));
    cr_assert_float_eq(lat, 3.0, 0.02); /* CPU floor dominates a single item */
}

Test(perfmodel, memory_limit_makes_unavailable)
{
    js_pm_facts f = toy_facts();
    js_pm_params p = toy_params();
    /* per worker: 1 + 0.0977 + b * 0.1 GiB; 10 GiB instance */
    js_pm_hw hw = {.sms = 14, .mem_frac = 0.125, .mem_gib = 10, .bw_gbs = 2000,
                   .clock_mhz = JS_PM_FREF_MHZ};
    double lat, thr;
    cr_assert(js_pm_predict(&p, &f, &hw, 64, 1, &lat, &thr));
    cr_assert_not(js_pm_predict(&p, &f, &hw, 128, 1, &lat, &thr));
    cr_assert_eq(thr, 0.0);
    cr_assert(js_pm_fits_memory(&p, &f, &hw, 16, 3));
    cr_assert_not(js_pm_fits_memory(&p, &f, &hw, 16, 4));
}

Test(perfmodel, rejects_bad_configuration)
{
    js_pm_facts f = toy_facts();
    js_pm_params p = toy_params();
    js_pm_hw hw = {.sms = 14, .mem_frac = 0.125, .mem_gib = 10, .bw_gbs = 2000,
                   .clock_mhz = JS_PM_FREF_MHZ};
    double lat, thr;
    cr_assert_not(js_pm_predict(&p, &f, &hw, 0, 1, &lat, &thr));
    cr_assert_not(js_pm_predict(&p, &f, &hw, 1, 0, &lat, &thr));
    hw.sms = 0;
    cr_assert_not(js_pm_predict(&p, &f, &hw, 1, 1, &lat, &thr));
}

/* ------------------------------------------------------------------ fit */

static js_pm_obs *training(int *n)
{
    js_diag d;
    js_diag_init(&d);
    js_pm_obs *obs = NULL;
    cr_assert_eq(js_pm_training_load(&cat, ROOT "/a100-80gb", &a100, &obs, n, &d), 0, "%s",
                 d.msg);
    return obs;
}

static double json_num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    x = b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
    cr_assert(cJSON_IsNumber(x), "missing %s.%s", a, b ? b : "");
    return x->valuedouble;
}

Test(perfmodel, shipped_fit_reproduces_training_tables)
{
    int n = 0;
    js_pm_obs *obs = training(&n);
    cr_assert_gt(n, 2000); /* 11 tables x 225 cells */
    js_diag d;
    js_diag_init(&d);
    js_pm_params p;
    double ht, hl;
    cr_assert_eq(js_pm_fit_load(ROOT "/perfmodel-fit.json", &p, &ht, &hl, &d), 0, "%s",
                 d.msg);
    js_pm_err e;
    cr_assert_eq(js_pm_errors(&p, &cat, obs, n, -1, &e), 0);
    cJSON *root = NULL;
    cr_assert_eq(js_json_load_file(ROOT "/perfmodel-fit.json", &root, &d), 0);
    /* The stated training error is what the shipped parameters give, and it is small. */
    cr_assert_float_eq(e.thr_med, json_num(root, "training_error", "throughput_ape_median"),
                       1e-6);
    cr_assert_float_eq(e.lat_med, json_num(root, "training_error", "latency_ape_median"),
                       1e-6);
    cr_assert_lt(e.thr_med, 15.0);
    cr_assert_lt(e.lat_med, 15.0);
    cr_assert_gt(e.mem_agree, 0.85);
    /* The held-out figures stamped into every modelled profile are the file's. */
    cr_assert_float_eq(ht, json_num(root, "heldout_error", "throughput_ape_median"), 1e-9);
    cJSON_Delete(root);
    free(obs);
}

Test(perfmodel, refit_is_deterministic_and_matches_shipped)
{
    int n = 0;
    js_pm_obs *obs = training(&n);
    js_diag d;
    js_diag_init(&d);
    js_pm_params a, b, shipped;
    double ht, hl;
    cr_assert_eq(js_pm_fit(&cat, obs, n, -1, &a, &d), 0, "%s", d.msg);
    cr_assert_eq(js_pm_fit(&cat, obs, n, -1, &b, &d), 0, "%s", d.msg);
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
    cr_assert_eq(js_pm_fit_load(ROOT "/perfmodel-fit.json", &shipped, &ht, &hl, &d), 0);
    cr_assert_float_eq(a.c_op, shipped.c_op, 1e-6 * shipped.c_op);
    cr_assert_float_eq(a.a_flop, shipped.a_flop, 1e-6 * shipped.a_flop);
    cr_assert_float_eq(a.mem_alpha_act, shipped.mem_alpha_act, 1e-9);
    free(obs);
}

Test(perfmodel, heldout_fit_ignores_the_held_out_model)
{
    int n = 0;
    js_pm_obs *obs = training(&n);
    js_diag d;
    js_diag_init(&d);
    int m = (int)(js_pm_catalogue_find(&cat, "vgg16") - cat.m);
    js_pm_params a, b;
    cr_assert_eq(js_pm_fit(&cat, obs, n, m, &a, &d), 0);
    /* Corrupting the held-out model's data must not move the fit at all. */
    for (int i = 0; i < n; i++)
        if (obs[i].model == m)
            obs[i].thr *= 3.0;
    cr_assert_eq(js_pm_fit(&cat, obs, n, m, &b, &d), 0);
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
    free(obs);
}

Test(perfmodel, fit_needs_data)
{
    js_diag d;
    js_diag_init(&d);
    js_pm_params p;
    cr_assert_eq(js_pm_fit(&cat, NULL, 0, -1, &p, &d), JS_EXIT_DATAERR);
    js_diag_init(&d);
    js_pm_obs few[3];
    memset(few, 0, sizeof few);
    cr_assert_eq(js_pm_fit(&cat, few, 3, -1, &p, &d), JS_EXIT_DATAERR);
}

/* ------------------------------------------------------------------ generated tables */

static void check_laws(const js_profile *p)
{
    for (int i = 0; i < p->nentries; i++) {
        const js_profile_entry *e = &p->entries[i];
        cr_assert_eq(e->prov, JS_PROV_MODELLED, "%s/%s entry %d not modelled", p->gpu,
                     p->model, i);
        if (!e->available)
            continue;
        const js_profile_entry *nb = js_profile_find(p, e->mig, e->batch * 2, e->workers);
        if (nb)
            cr_assert_geq(nb->lat_mean_ms, e->lat_mean_ms * (1 - 1e-12),
                          "%s/%s: latency falls from batch %d to %d at %dg k%d", p->gpu,
                          p->model, e->batch, e->batch * 2, e->mig, e->workers);
        const js_profile_entry *nk = js_profile_find(p, e->mig, e->batch, e->workers + 1);
        if (nk)
            cr_assert_leq(nk->throughput, e->throughput * (1 + 1e-12),
                          "%s/%s: per-worker throughput rises with workers", p->gpu,
                          p->model);
        for (int m = e->mig + 1; m <= 7; m++) {
            const js_profile_entry *nm = js_profile_find(p, m, e->batch, e->workers);
            if (nm)
                cr_assert_geq(nm->throughput, e->throughput * (1 - 1e-12),
                              "%s/%s: throughput falls from %dg to %dg at batch %d",
                              p->gpu, p->model, e->mig, m, e->batch);
        }
        /* Unavailable is monotone too: a bigger batch never fits where a smaller did not. */
    }
}

static void check_dir(const char *gpu)
{
    int checked = 0;
    for (int i = 0; i < cat.n; i++) {
        if (strcmp(gpu, "a100-80gb") == 0 && cat.m[i].measured_a100)
            continue;
        char path[1024];
        snprintf(path, sizeof path, ROOT "/%s/%s.json", gpu, cat.m[i].name);
        js_diag d;
        js_diag_init(&d);
        js_profile p;
        cr_assert_eq(js_profile_load(path, &p, &d), 0, "%s", d.msg);
        cr_assert_eq(p.prov.kind, JS_PROV_MODELLED);
        cr_assert_str_eq(p.prov.model_version, JS_PM_VERSION);
        cr_assert(p.prov.heldout_mape_throughput > 0 && p.prov.heldout_mape_latency > 0);
        cr_assert(strstr(p.description, "MODELLED") != NULL);
        int avail = 0;
        for (int j = 0; j < p.nentries; j++)
            avail += p.entries[j].available;
        cr_assert_gt(avail, 0, "%s has no available configuration", path);
        check_laws(&p);
        js_profile_free(&p);
        checked++;
    }
    cr_assert_geq(checked, 23);
}

Test(perfmodel, generated_a100_tables_obey_laws) { check_dir("a100-80gb"); }
Test(perfmodel, generated_h100_tables_obey_laws) { check_dir("h100-80gb"); }

Test(perfmodel, measured_tables_stay_measured)
{
    for (int i = 0; i < cat.n; i++) {
        if (!cat.m[i].measured_a100)
            continue;
        char path[1024];
        snprintf(path, sizeof path, ROOT "/a100-80gb/%s.json", cat.m[i].name);
        js_diag d;
        js_diag_init(&d);
        js_profile p;
        cr_assert_eq(js_profile_load(path, &p, &d), 0, "%s", d.msg);
        cr_assert_eq(p.prov.kind, JS_PROV_MEASURED, "%s", path);
        js_profile_free(&p);
    }
}

Test(perfmodel, h100_is_faster_than_a100_at_large_batch)
{
    /* Same fit, more SMs, higher clock and bandwidth: compute-bound cells speed up. */
    js_diag d;
    js_diag_init(&d);
    js_pm_params p;
    double ht, hl;
    cr_assert_eq(js_pm_fit_load(ROOT "/perfmodel-fit.json", &p, &ht, &hl, &d), 0);
    const js_pm_facts *f = js_pm_catalogue_find(&cat, "resnet50");
    js_pm_hw ha, hh;
    cr_assert_eq(js_pm_hw_of(&a100, 7, &ha), 0);
    cr_assert_eq(js_pm_hw_of(&h100, 7, &hh), 0);
    double la, ta, lh, th;
    cr_assert(js_pm_predict(&p, f, &ha, 64, 1, &la, &ta));
    cr_assert(js_pm_predict(&p, f, &hh, 64, 1, &lh, &th));
    cr_assert_gt(th, 1.3 * ta);
    cr_assert_eq(js_pm_hw_of(&a100, 5, &ha), -1); /* no 5g profile */
}

/* ------------------------------------------------------------------ round trips, errors */

Test(perfmodel, generated_profile_json_round_trip)
{
    js_diag d;
    js_diag_init(&d);
    js_pm_params p;
    double ht, hl;
    cr_assert_eq(js_pm_fit_load(ROOT "/perfmodel-fit.json", &p, &ht, &hl, &d), 0);
    const js_pm_facts *f = js_pm_catalogue_find(&cat, "yolov5s");
    cr_assert_not_null(f);
    js_profile a, b;
    cr_assert_eq(js_pm_generate(&p, f, &h100, 4, 0.2, ht, hl, "test", &a, &d), 0, "%s",
                 d.msg);
    cr_assert_eq(a.nentries, 5 * 9 * 4);
    cJSON *j = js_profile_to_json(&a);
    cr_assert_not_null(j);
    js_jctx c;
    js_jctx_init(&c, "memory", &d);
    cr_assert_eq(js_profile_from_json(&c, j, &b), 0, "%s", d.msg);
    cr_assert_eq(b.nentries, a.nentries);
    cr_assert_eq(b.prov.kind, JS_PROV_MODELLED);
    for (int i = 0; i < a.nentries; i++) {
        const js_profile_entry *x = &a.entries[i];
        const js_profile_entry *y = js_profile_find(&b, x->mig, x->batch, x->workers);
        cr_assert_eq(x->available, y != NULL);
        if (!y)
            continue;
        cr_assert_float_eq(y->throughput, x->throughput, 1e-9 * x->throughput);
        cr_assert_float_eq(y->lat_mean_ms, x->lat_mean_ms, 1e-9 * x->lat_mean_ms);
        /* non-default sigma: tails written explicitly and read back */
        cr_assert_float_eq(y->lat_p95_ms, js_latency_p95_from_mean(x->lat_mean_ms, 0.2),
                           1e-9 * x->lat_mean_ms);
    }
    cJSON_Delete(j);
    js_profile_free(&a);
    js_profile_free(&b);
}

Test(perfmodel, fit_file_round_trip_and_errors)
{
    int n = 0;
    js_pm_obs *obs = training(&n);
    js_pm_cv *cv = calloc(1, sizeof *cv);
    cr_assert_not_null(cv);
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_pm_fit(&cat, obs, n, -1, &cv->full, &d), 0);
    cv->overall.thr_med = 12.5;
    cv->overall.lat_med = 11.5;
    cJSON *j = js_pm_fit_to_json(cv, &cat);
    cr_assert_not_null(j);
    char path[] = "/tmp/js-pm-fit-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(js_json_write_file(path, j, &d), 0, "%s", d.msg);
    js_pm_params p;
    double ht, hl;
    cr_assert_eq(js_pm_fit_load(path, &p, &ht, &hl, &d), 0, "%s", d.msg);
    cr_assert_float_eq(p.t0, cv->full.t0, 1e-12 * cv->full.t0);
    cr_assert_float_eq(p.c_op, cv->full.c_op, 1e-12 * cv->full.c_op);
    cr_assert_float_eq(p.gamma, cv->full.gamma, 1e-12);
    cr_assert_float_eq(p.p, cv->full.p, 1e-12 * cv->full.p);
    cr_assert_float_eq(p.mem_alpha_flop, cv->full.mem_alpha_flop, 1e-15);
    cr_assert_float_eq(ht, 12.5, 1e-12);
    /* a fit of another model version is refused */
    cJSON_ReplaceItemInObject(j, "model_version", cJSON_CreateString("pm-0"));
    cr_assert_eq(js_json_write_file(path, j, &d), 0);
    js_diag_init(&d);
    cr_assert_eq(js_pm_fit_load(path, &p, &ht, &hl, &d), JS_EXIT_DATAERR);
    cr_assert(strstr(d.msg, "model_version") != NULL, "%s", d.msg);
    unlink(path);
    js_diag_init(&d);
    cr_assert_eq(js_pm_fit_load("/nonexistent/fit.json", &p, &ht, &hl, &d), JS_EXIT_NOINPUT);
    cJSON_Delete(j);
    free(cv);
    free(obs);
}

Test(perfmodel, catalogue_rejects_bad_facts)
{
    const char *bad = "{\"kind\":\"model-facts\",\"format_version\":1,\"description\":\"x\","
                      "\"models\":[{\"name\":\"m\",\"family\":\"f\",\"arch\":\"cnn\","
                      "\"gflops\":-1,\"params_m\":1,\"ops\":10,\"act_m\":1,\"input_px\":224,"
                      "\"accuracy\":1,\"metric\":\"x\",\"accuracy_source\":\"s\","
                      "\"measured_a100\":false}]}";
    char path[] = "/tmp/js-pm-cat-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    js_diag d;
    js_diag_init(&d);
    js_pm_catalogue *c = malloc(sizeof *c);
    cr_assert_eq(js_pm_catalogue_load(path, c, &d), JS_EXIT_DATAERR);
    cr_assert(strstr(d.msg, "gflops") != NULL, "%s", d.msg);
    unlink(path);
    free(c);
}

Test(perfmodel, catalogue_facts_are_consistent)
{
    cr_assert_geq(cat.n, 34);
    const char *must[] = {"yolov5n", "yolov5x", "efficientnet-b0", "efficientnet-b7", "vgg11",
                          "resnet18", "resnet152", "git-base", "git-large",
                          "tts-piper-x-low", "tts-piper-medium", "tts-piper-high", NULL};
    for (int i = 0; must[i]; i++)
        cr_assert_not_null(js_pm_catalogue_find(&cat, must[i]), "%s missing", must[i]);
    /* torchvision "GFLOPS" are MACs: ResNet-50 4.09 GMAC = 8.18 real GFLOP */
    cr_assert_float_eq(js_pm_catalogue_find(&cat, "resnet50")->gflops, 8.18, 1e-9);
    int measured = 0;
    for (int i = 0; i < cat.n; i++)
        measured += cat.m[i].measured_a100;
    cr_assert_eq(measured, 11);
}

Test(perfmodel, h100_never_slower_than_a100_for_the_same_slice)
{
    /* More SMs per instance, a higher clock and more bandwidth, same memory: every
     * available A100 configuration is available on H100 and at least as fast. */
    for (int i = 0; i < cat.n; i++) {
        if (cat.m[i].measured_a100)
            continue;
        char pa[1024], ph[1024];
        snprintf(pa, sizeof pa, ROOT "/a100-80gb/%s.json", cat.m[i].name);
        snprintf(ph, sizeof ph, ROOT "/h100-80gb/%s.json", cat.m[i].name);
        js_diag d;
        js_diag_init(&d);
        js_profile a, h;
        cr_assert_eq(js_profile_load(pa, &a, &d), 0, "%s", d.msg);
        cr_assert_eq(js_profile_load(ph, &h, &d), 0, "%s", d.msg);
        for (int j = 0; j < a.nentries; j++) {
            const js_profile_entry *e = &a.entries[j];
            if (!e->available)
                continue;
            const js_profile_entry *x = js_profile_find(&h, e->mig, e->batch, e->workers);
            cr_assert_not_null(x, "%s: %dg b%d k%d missing on H100", cat.m[i].name, e->mig,
                               e->batch, e->workers);
            cr_assert_geq(x->throughput, e->throughput * (1 - 1e-12));
        }
        js_profile_free(&a);
        js_profile_free(&h);
    }
}

Test(perfmodel, shipped_crossvalidation_is_reproduced)
{
    int n = 0;
    js_pm_obs *obs = training(&n);
    js_pm_cv *cv = calloc(1, sizeof *cv);
    cr_assert_not_null(cv);
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_pm_crossvalidate(&cat, obs, n, cv, &d), 0, "%s", d.msg);
    cr_assert_eq(cv->nmodels, 11);
    cJSON *root = NULL;
    cr_assert_eq(js_json_load_file(ROOT "/perfmodel-fit.json", &root, &d), 0);
    cr_assert_float_eq(cv->overall.thr_med,
                       json_num(root, "heldout_error", "throughput_ape_median"), 1e-6);
    cr_assert_float_eq(cv->overall.lat_med,
                       json_num(root, "heldout_error", "latency_ape_median"), 1e-6);
    /* The target: held-out median error <= 15% on throughput and latency. */
    cr_assert_leq(cv->overall.thr_med, 15.0);
    cr_assert_leq(cv->overall.lat_med, 15.0);
    /* Every held-out model is predicted from data that excludes it. */
    for (int i = 0; i < cv->nmodels; i++)
        cr_assert_gt(cv->heldout[i].n, 100);
    cJSON_Delete(root);
    free(cv);
    free(obs);
}

/* ------------------------------------------------------------------ command line */

static int run_cli(const char *args, char *out, size_t outsz)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s 2>/dev/null", JS_SOURCE_ROOT, JS_JIGSAW_EXE,
             args);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    size_t n = fread(out, 1, outsz - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(perfmodel, cli_show_json_and_errors)
{
    static char out[1 << 20];
    cr_assert_eq(run_cli("profile show yolov5m --gpu h100-80gb --json", out, sizeof out), 0);
    cJSON *j = cJSON_Parse(out);
    cr_assert_not_null(j);
    js_diag d;
    js_diag_init(&d);
    js_jctx c;
    js_jctx_init(&c, "stdout", &d);
    js_profile p;
    cr_assert_eq(js_profile_from_json(&c, j, &p), 0, "%s", d.msg);
    cr_assert_eq(p.prov.kind, JS_PROV_MODELLED);
    js_profile_free(&p);
    cJSON_Delete(j);
    cr_assert_eq(run_cli("profile show resnet50 --workers 1", out, sizeof out), 0);
    cr_assert(strstr(out, "measured") != NULL);
    cr_assert_eq(run_cli("profile show no-such-model", out, sizeof out), JS_EXIT_NOINPUT);
    cr_assert_eq(run_cli("profile frobnicate", out, sizeof out), JS_EXIT_USAGE);
    cr_assert_eq(run_cli("profile generate --sigma -1", out, sizeof out), JS_EXIT_USAGE);
    cr_assert_eq(run_cli("profile --help", out, sizeof out), 0);
    cr_assert(strstr(out, "jigsaw profile fit") != NULL);
}

Test(perfmodel, cli_fit_json_writes_file)
{
    static char out[1 << 20];
    char path[] = "/tmp/js-pm-clifit-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    char args[256];
    snprintf(args, sizeof args, "profile fit --json -o '%s'", path);
    cr_assert_eq(run_cli(args, out, sizeof out), 0);
    cJSON *j = cJSON_Parse(out);
    cr_assert_not_null(j);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "model_version")->valuestring, JS_PM_VERSION);
    js_diag d;
    js_diag_init(&d);
    js_pm_params p;
    double ht, hl;
    cr_assert_eq(js_pm_fit_load(path, &p, &ht, &hl, &d), 0, "%s", d.msg);
    cr_assert_float_eq(ht, json_num(j, "heldout_error", "throughput_ape_median"), 1e-9);
    cJSON_Delete(j);
    unlink(path);
}

/* Golden: `jigsaw profile scenarios -o DIR` writes the twelve shipped paper scenarios
 * (src/perfmodel/scenarios.c) byte for byte, and nothing else; DIR is made when missing. */
Test(perfmodel, profile_scenarios_regenerates_the_shipped_files, .timeout = 120)
{
    static const char *const apps[] = {"ar-assistant", "social-media", "traffic-analysis"};
    static const char *const gpus[] = {"a100", "h100"};
    static const int sizes[] = {4, 120};
    char dir[] = "/tmp/jigsaw-scenarios-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char cmd[1024], out[600];
    snprintf(out, sizeof out, "%s/new/sub", dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' profile scenarios -o '%s' > '%s/stdout.txt'",
             JS_SOURCE_ROOT, JS_JIGSAW_EXE, out, dir);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d", cmd, st);
    int compared = 0;
    for (int a = 0; a < 3; a++)
        for (int g = 0; g < 2; g++)
            for (int n = 0; n < 2; n++) {
                snprintf(cmd, sizeof cmd, "cmp '%s/%s-%s-%d.json' '%s/scenarios/%s-%s-%d.json'",
                         out, apps[a], gpus[g], sizes[n], JS_SOURCE_ROOT, apps[a], gpus[g],
                         sizes[n]);
                cr_assert_eq(system(cmd), 0, "%s", cmd);
                compared++;
            }
    cr_assert_eq(compared, 12);
    /* Nothing else: the twelve files; stdout says how many it wrote. */
    snprintf(cmd, sizeof cmd, "test \"$(ls '%s' | wc -l)\" -eq 12 && "
             "grep -qx 'wrote 12 scenarios' '%s/stdout.txt'", out, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
