/* Tests of GPU types and profiles: the shipped GPU types, MIG placement rules and layout
 * enumeration (against brute force), profiles (measured values, derived tails, round
 * trips, the profile set) and the ParvaGPU importer (profiles and the scenarios it writes). */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "jigsaw/diag.h"
#include "jigsaw/gpu.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/profile.h"
#include "jigsaw/scenario.h"

/* ================================================================== gpu */

static js_gpu_type load_gpu(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/profiles/gpus/%s.json", SRC, name);
    js_gpu_type g;
    js_diag *d = new_diag();
    cr_assert_eq(js_gpu_load(path, &g, d), 0, "%s", d->msg);
    free(d);
    return g;
}

Test(gpu, shipped_types_load)
{
    /* A100-80GB: 1g.10gb, 1g.20gb, 2g, 3g, 4g, 7g (NVIDIA MIG User Guide); H100: no 1g.20gb
     * modelled. */
    static const int a100_sms[] = {14, 14, 28, 42, 56, 98}, h100_sms[] = {16, 32, 60, 64, 132};
    static const int a_slices[] = {1, 1, 2, 3, 4, 7}, a_mem[] = {1, 2, 2, 4, 4, 8};
    static const double a_gib[] = {10, 20, 20, 40, 40, 80};
    static const int h_slices[] = {1, 2, 3, 4, 7};
    js_gpu_type a = load_gpu("a100-80gb"), h = load_gpu("h100-80gb");
    cr_assert_eq(a.nprofiles, 6);
    cr_assert_eq(h.nprofiles, 5);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(a.profiles[i].compute_slices, a_slices[i]);
        cr_assert_eq(a.profiles[i].memory_slices, a_mem[i]);
        cr_assert_eq(a.profiles[i].sms, a100_sms[i]);
        cr_assert_float_eq(a.profiles[i].memory_gib, a_gib[i], 0);
    }
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(h.profiles[i].sms, h100_sms[i]);
        cr_assert_eq(js_gpu_profile_by_slices(&h, h_slices[i]), i);
    }
    /* One compute slice means the profile with the least memory: 1g.10gb, not 1g.20gb. */
    cr_assert_eq(js_gpu_profile_by_slices(&a, 1), 0);
    cr_assert_eq(js_gpu_profile_by_slices(&a, 2), 2);
    cr_assert_eq(js_gpu_profile_by_slices(&a, 7), 5);
    cr_assert_eq(a.profiles[0].nstarts, 7);
    cr_assert_eq(a.profiles[1].nstarts, 4);
    cr_assert_eq(a.profiles[1].starts[3], 6);
    cr_assert_eq(a.profiles[2].nstarts, 3);
    cr_assert_eq(a.profiles[3].starts[1], 4);
    cr_assert_eq(js_gpu_profile_by_name(&a, "4g.40gb"), 4);
    cr_assert_eq(js_gpu_profile_by_name(&a, "1g.20gb"), 1);
    cr_assert_eq(js_gpu_profile_by_name(&a, "5g"), -1);
    cr_assert_eq(js_gpu_profile_by_slices(&a, 5), -1);
    cr_assert_eq(a.max_mps_workers, 8);
    cr_assert(a.sm_clock_mhz > 0 && h.fp16_tflops > a.fp16_tflops);
}

Test(gpu, placement_rules)
{
    js_gpu_type g = load_gpu("a100-80gb");
    enum { G1, G1M, G2, G3, G4, G7 }; /* G1M: 1g.20gb */
    js_diag *d = new_diag();
    js_mig_placement ok1[] = {{G4, 0}, {G3, 4}};
    js_mig_placement ok2[] = {{G3, 0}, {G3, 4}};
    js_mig_placement ok3[] = {{G2, 0}, {G1, 2}, {G1, 3}, {G3, 4}};
    js_mig_placement ok4[] = {{G1, 0}, {G1, 1}, {G1, 2}, {G1, 3}, {G1, 4}, {G1, 5}, {G1, 6}};
    js_mig_placement ok5[] = {{G7, 0}};
    cr_assert_eq(js_gpu_layout_check(&g, ok1, 2, d), 0, "%s", d->msg);
    cr_assert_eq(js_gpu_layout_check(&g, ok2, 2, d), 0, "%s", d->msg);
    cr_assert_eq(js_gpu_layout_check(&g, ok3, 4, d), 0, "%s", d->msg);
    cr_assert_eq(js_gpu_layout_check(&g, ok4, 7, d), 0, "%s", d->msg);
    cr_assert_eq(js_gpu_layout_check(&g, ok5, 1, d), 0, "%s", d->msg);

    js_mig_placement two4g[] = {{G4, 0}, {G4, 0}};
    cr_assert_eq(js_gpu_layout_check(&g, two4g, 2, d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "overlaps") != NULL, "got: %s", d->msg);
    js_mig_placement bad_start[] = {{G3, 2}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, bad_start, 1, d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "may not start") != NULL);
    js_mig_placement one_at_7[] = {{G1, 7}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, one_at_7, 1, d), JS_EXIT_DATAERR);
    /* 4g + 2g + 1g: no memory overlap (0-3, 4-5, 6) but 4+2+1 = 7 ok; 4g+2g+2g would be 8. */
    js_mig_placement seven[] = {{G4, 0}, {G2, 4}, {G1, 6}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, seven, 3, d), 0, "%s", d->msg);
    js_mig_placement eight[] = {{G1, 0}, {G1, 1}, {G1, 2}, {G1, 3}, {G1, 4}, {G1, 5}, {G2, 6}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, eight, 7, d), JS_EXIT_DATAERR);
    /* 1g.20gb: two memory slices at even starts, one compute slice; four fill the memory. */
    js_mig_placement four_1g20[] = {{G1M, 0}, {G1M, 2}, {G1M, 4}, {G1M, 6}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, four_1g20, 4, d), 0, "%s", d->msg);
    js_mig_placement odd_1g20[] = {{G1M, 1}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, odd_1g20, 1, d), JS_EXIT_DATAERR);
    js_mig_placement mixed_1g[] = {{G1M, 0}, {G1, 2}, {G3, 4}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, mixed_1g, 3, d), 0, "%s", d->msg);
    js_mig_placement bad_index[] = {{9, 0}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, bad_index, 1, d), JS_EXIT_DATAERR);
    free(d);
}

/* Brute force over every subset of placements; returns count vectors as a sorted key list. */
typedef struct counts_set {
    int n;
    int c[4096][JS_MAX_MIG_PROFILES];
} counts_set;

static void set_add(counts_set *s, const int *c)
{
    for (int i = 0; i < s->n; i++)
        if (memcmp(s->c[i], c, sizeof s->c[0]) == 0)
            return;
    memcpy(s->c[s->n++], c, sizeof s->c[0]);
}

static bool set_has(const counts_set *s, const int *c)
{
    for (int i = 0; i < s->n; i++)
        if (memcmp(s->c[i], c, sizeof s->c[0]) == 0)
            return true;
    return false;
}

static void brute_force(const js_gpu_type *g, counts_set *all, counts_set *maximal)
{
    js_mig_placement pl[64];
    int np = 0;
    for (int p = 0; p < g->nprofiles; p++)
        for (int k = 0; k < g->profiles[p].nstarts; k++)
            pl[np++] = (js_mig_placement){p, g->profiles[p].starts[k]};
    cr_assert(np <= 20);
    js_diag d;
    for (unsigned long mask = 1; mask < (1UL << np); mask++) {
        js_mig_placement sel[64];
        int n = 0, counts[JS_MAX_MIG_PROFILES] = {0};
        for (int i = 0; i < np; i++)
            if (mask & (1UL << i)) {
                sel[n++] = pl[i];
                counts[pl[i].profile]++;
            }
        if (n > JS_MAX_INSTANCES_PER_GPU)
            continue;
        js_diag_init(&d);
        if (js_gpu_layout_check(g, sel, n, &d) != 0)
            continue;
        set_add(all, counts);
        bool is_max = true;
        for (int i = 0; i < np && is_max; i++) {
            if (mask & (1UL << i))
                continue;
            sel[n] = pl[i];
            js_diag_init(&d);
            if (n + 1 <= JS_MAX_INSTANCES_PER_GPU && js_gpu_layout_check(g, sel, n + 1, &d) == 0)
                is_max = false;
        }
        if (is_max)
            set_add(maximal, counts);
    }
}

static void compare_enumeration(const char *name)
{
    js_gpu_type g = load_gpu(name);
    counts_set *all = calloc(1, sizeof *all), *maximal = calloc(1, sizeof *maximal);
    cr_assert(all && maximal);
    brute_force(&g, all, maximal);
    for (int mode = 0; mode < 2; mode++) {
        js_gpu_layout *ls = NULL;
        int n = 0;
        cr_assert_eq(js_gpu_enumerate_layouts(&g, mode, &ls, &n), 0);
        const counts_set *want = mode ? maximal : all;
        cr_assert_eq(n, want->n, "%s mode %d: %d layouts, brute force %d", name, mode, n,
                     want->n);
        for (int i = 0; i < n; i++) {
            cr_assert(set_has(want, ls[i].count));
            js_diag d;
            js_diag_init(&d);
            cr_assert_eq(js_gpu_layout_check(&g, ls[i].inst, ls[i].ninstances, &d), 0);
            int used = 0;
            for (int k = 0; k < ls[i].ninstances; k++) {
                used += g.profiles[ls[i].inst[k].profile].compute_slices;
                if (k > 0)
                    cr_assert(ls[i].inst[k].start > ls[i].inst[k - 1].start);
            }
            cr_assert_eq(used, ls[i].compute_used);
        }
        free(ls);
    }
    free(all);
    free(maximal);
}

Test(gpu, enumeration_matches_brute_force)
{
    compare_enumeration("a100-80gb");
    compare_enumeration("h100-80gb");
}

Test(gpu, enumeration_known_layouts)
{
    js_gpu_type g = load_gpu("a100-80gb");
    js_gpu_layout *ls = NULL;
    int n = 0;
    cr_assert_eq(js_gpu_enumerate_layouts(&g, 1, &ls, &n), 0);
    /* counts indexed 1g.10gb, 1g.20gb, 2g, 3g, 4g, 7g */
    static const int want[][6] = {
        {0, 0, 0, 1, 1, 0}, {0, 0, 0, 2, 0, 0}, {2, 0, 1, 1, 0, 0}, {7, 0, 0, 0, 0, 0},
        {0, 0, 0, 0, 0, 1}, {1, 0, 1, 0, 1, 0}, {0, 0, 2, 1, 0, 0}, {0, 4, 0, 0, 0, 0},
        {0, 2, 0, 0, 1, 0}, {1, 1, 0, 0, 1, 0},
    };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        bool found = false;
        for (int i = 0; i < n && !found; i++)
            found = memcmp(ls[i].count, want[w], sizeof want[w]) == 0;
        cr_assert(found, "maximal layout %zu missing", w);
    }
    for (int i = 0; i < n; i++)
        cr_assert(ls[i].count[4] <= 1, "two 4g on one GPU");
    free(ls);
}

Test(gpu, to_json_round_trip)
{
    js_gpu_type g = load_gpu("h100-80gb"), back;
    cJSON *o = js_gpu_to_json(&g);
    cr_assert_not_null(o);
    js_diag *d = new_diag();
    js_jctx c;
    js_jctx_init(&c, "mem", d);
    cr_assert_eq(js_gpu_from_json(&c, o, &back), 0, "%s", d->msg);
    cr_assert_not_null(cJSON_GetObjectItem(o, "price_per_gpu_hour"));
    cr_assert_eq(memcmp(&g, &back, sizeof g), 0);
    cJSON_Delete(o);
    free(d);
}

/* The shipped A100 type with its "price_per_gpu_hour" replaced by `price` (JSON text;
 * NULL: none), parsed again. */
static int gpu_with_price(const char *price, js_gpu_type *out, js_diag *d)
{
    js_gpu_type g = load_gpu("a100-80gb");
    cJSON *o = js_gpu_to_json(&g);
    cr_assert_not_null(o);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "price_per_gpu_hour");
    if (price != NULL) {
        cJSON *p = cJSON_Parse(price);
        cr_assert_not_null(p, "%s", price);
        cJSON_AddItemToObject(o, "price_per_gpu_hour", p);
    }
    js_jctx c;
    js_jctx_init(&c, "a100.json", d);
    int rc = js_gpu_from_json(&c, o, out);
    cJSON_Delete(o);
    return rc;
}

/* The shipped prices: AWS on-demand 8-GPU instances over 8 (docs/design.md section 1). */
Test(gpu, shipped_prices)
{
    js_gpu_type a = load_gpu("a100-80gb"), h = load_gpu("h100-80gb");
    cr_assert_float_eq(a.price_usd_per_hour, 27.44705 / 8, 1e-4);
    cr_assert_float_eq(h.price_usd_per_hour, 55.04 / 8, 1e-9);
    cr_assert_not_null(strstr(a.price_source, "p4de.24xlarge"), "%s", a.price_source);
    cr_assert_not_null(strstr(h.price_source, "p5.48xlarge"), "%s", h.price_source);
    cr_assert_str_eq(a.price_date, "2026-11");
    cr_assert_str_eq(h.price_date, "2026-11");
}

Test(gpu, price_parsing)
{
    js_diag *d = new_diag();
    js_gpu_type g;
    cr_assert_eq(gpu_with_price("{\"usd\": 4, \"source\": \"a quote\", \"date\": \"2025-06\"}",
                                &g, d), 0, "%s", d->msg);
    cr_assert_float_eq(g.price_usd_per_hour, 4.0, 0);
    cr_assert_str_eq(g.price_source, "a quote");
    cr_assert_str_eq(g.price_date, "2025-06");
    /* Optional: absent is no price; a price without a date is allowed. */
    cr_assert_eq(gpu_with_price(NULL, &g, d), 0, "%s", d->msg);
    cr_assert(isnan(g.price_usd_per_hour));
    cr_assert_eq(gpu_with_price("{\"usd\": 2.5, \"source\": \"q\"}", &g, d), 0, "%s", d->msg);
    cr_assert_float_eq(g.price_usd_per_hour, 2.5, 0);
    cr_assert_str_eq(g.price_date, "");
    static const struct {
        const char *price, *path, *says;
    } bad[] = {
        {"{\"usd\": -1, \"source\": \"q\"}", "$.price_per_gpu_hour.usd", "must be > 0"},
        {"{\"usd\": 0, \"source\": \"q\"}", "$.price_per_gpu_hour.usd", "must be > 0"},
        {"{\"usd\": \"4\", \"source\": \"q\"}", "$.price_per_gpu_hour.usd", "a number"},
        {"{\"usd\": null, \"source\": \"q\"}", "$.price_per_gpu_hour.usd", "a number"},
        {"{\"source\": \"q\"}", "$.price_per_gpu_hour.usd", "missing"},
        {"{\"usd\": 4}", "$.price_per_gpu_hour.source", "missing"},
        {"{\"usd\": 4, \"source\": \"q\", \"date\": \"2025-13\"}", "$.price_per_gpu_hour.date",
         "YYYY-MM"},
        {"{\"usd\": 4, \"source\": \"q\", \"date\": \"June\"}", "$.price_per_gpu_hour.date",
         "YYYY-MM"},
        {"{\"usd\": 4, \"source\": \"q\", \"eur\": 3}", "$.price_per_gpu_hour.eur", ""},
        {"4", "$.price_per_gpu_hour", "an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        js_diag_init(d);
        cr_assert_eq(gpu_with_price(bad[i].price, &g, d), JS_EXIT_DATAERR, "%s", bad[i].price);
        cr_assert_not_null(strstr(d->msg, "a100.json"), "%s", d->msg);
        cr_assert_not_null(strstr(d->msg, bad[i].path), "%s: %s", bad[i].price, d->msg);
        cr_assert_not_null(strstr(d->msg, bad[i].says), "%s: %s", bad[i].price, d->msg);
    }
    free(d);
}

/* ================================================================== profile */

static void load_profile(const char *gpu, const char *model, js_profile *p)
{
    char path[512];
    snprintf(path, sizeof path, "%s/profiles/%s/%s.json", SRC, gpu, model);
    js_diag *d = new_diag();
    cr_assert_eq(js_profile_load(path, p, d), 0, "%s", d->msg);
    free(d);
}

Test(profile, measured_resnet50_values)
{
    js_profile p;
    load_profile("a100-80gb", "resnet50", &p);
    cr_assert_str_eq(p.model, "resnet50");
    cr_assert_eq(p.prov.kind, JS_PROV_MEASURED);
    cr_assert_eq(p.nentries, 225);
    cr_assert(strstr(p.prov.source, "5f3de1e") != NULL);
    cr_assert(strstr(p.prov.license, "MIT") != NULL);
    /* prof_data/resnet50.csv: 1,1,1,196.762,0.005 and 1,16,4,0,0 */
    const js_profile_entry *e = js_profile_find(&p, 1, 1, 1);
    cr_assert_not_null(e);
    cr_assert_float_eq(e->throughput, 196.762, 1e-9);
    cr_assert_float_eq(e->lat_mean_ms, 5.0, 1e-9);
    cr_assert(e->p95_derived);
    cr_assert_float_eq(e->lat_p95_ms, js_latency_p95_from_mean(5.0, JS_DEFAULT_LATENCY_SIGMA),
                       1e-12);
    cr_assert_null(js_profile_find(&p, 1, 16, 4));
    cr_assert_null(js_profile_find(&p, 5, 1, 1));
    for (int i = 1; i < p.nentries; i++) {
        const js_profile_entry *a = &p.entries[i - 1], *b = &p.entries[i];
        cr_assert(a->mig < b->mig || (a->mig == b->mig && (a->batch < b->batch ||
                                                           (a->batch == b->batch &&
                                                            a->workers < b->workers))));
    }
    js_profile_free(&p);
}

Test(profile, p95_from_mean_formula)
{
    /* lognormal: p95 / mean = exp(1.6449 s - s^2/2) */
    cr_assert_float_eq(js_latency_p95_from_mean(10.0, 0.0), 10.0, 1e-12);
    cr_assert_float_eq(js_latency_p95_from_mean(10.0, 0.1), 10.0 * exp(0.16448536 - 0.005), 1e-6);
    cr_assert_float_eq(js_latency_p95_from_mean(1.0, 0.5), exp(0.5 * 1.6448536269514722 - 0.125),
                       1e-12);
}

Test(profile, round_trip_keeps_measured_tails_drops_derived)
{
    const char *text =
        "{\"kind\":\"profile\",\"format_version\":1,\"model\":\"m\",\"gpu\":\"a100-80gb\","
        "\"provenance\":{\"kind\":\"modelled\",\"source\":\"fit v1\",\"model_version\":\"v1\","
        "\"heldout_mape_throughput\":7.5,\"heldout_mape_latency\":9},"
        "\"entries\":[{\"mig\":7,\"batch\":2,\"workers\":1,\"throughput\":10,\"lat_mean_ms\":4},"
        "{\"mig\":1,\"batch\":1,\"workers\":2,\"throughput\":5,\"lat_mean_ms\":3,"
        "\"lat_p50_ms\":2.9,\"lat_p95_ms\":4.5,\"provenance\":\"measured\"},"
        "{\"mig\":3,\"batch\":1,\"workers\":1,\"available\":false}]}";
    cJSON *root = cJSON_Parse(text);
    js_diag *d = new_diag();
    js_jctx c;
    js_jctx_init(&c, "mem", d);
    js_profile p, q;
    cr_assert_eq(js_profile_from_json(&c, root, &p), 0, "%s", d->msg);
    cr_assert_eq(p.nentries, 3);
    cr_assert_eq(p.entries[0].mig, 1); /* sorted */
    cr_assert_eq(p.entries[0].prov, JS_PROV_MEASURED);
    cr_assert_eq(p.entries[2].prov, JS_PROV_MODELLED);
    cr_assert(!p.entries[0].p95_derived);
    cr_assert(p.entries[2].p95_derived && p.entries[2].p50_derived);
    cr_assert_float_eq(p.prov.heldout_mape_throughput, 7.5, 0);
    cJSON *out = js_profile_to_json(&p);
    cr_assert_not_null(out);
    const cJSON *e2 = cJSON_GetArrayItem(cJSON_GetObjectItem(out, "entries"), 2);
    cr_assert_null(cJSON_GetObjectItem(e2, "lat_p95_ms"), "derived p95 written as data");
    js_jctx_init(&c, "mem2", d);
    cr_assert_eq(js_profile_from_json(&c, out, &q), 0, "%s", d->msg);
    cr_assert_eq(q.nentries, p.nentries);
    for (int i = 0; i < p.nentries; i++) {
        cr_assert_eq(q.entries[i].available, p.entries[i].available);
        cr_assert_eq(q.entries[i].prov, p.entries[i].prov);
        if (p.entries[i].available) {
            cr_assert_float_eq(q.entries[i].lat_p95_ms, p.entries[i].lat_p95_ms, 1e-12);
            cr_assert_float_eq(q.entries[i].throughput, p.entries[i].throughput, 1e-12);
        }
    }
    cr_assert_str_eq(q.prov.model_version, "v1");
    js_profile_free(&p);
    js_profile_free(&q);
    cJSON_Delete(root);
    cJSON_Delete(out);
    free(d);
}

Test(profile, set_caches_and_keeps_pointers)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/profiles/a100-80gb", SRC);
    js_profile_set s;
    js_profile_set_init(&s, dir);
    js_diag *d = new_diag();
    static const char *const models[] = {"resnet50", "resnet101", "resnet152", "vgg16",
                                         "vgg19", "bert", "densenet121", "densenet169",
                                         "densenet201", "inceptionv3", "mobilenetv2", "vgg16"};
    const js_profile *first = js_profile_set_get(&s, "resnet50", d);
    cr_assert_not_null(first, "%s", d->msg);
    const js_profile_entry *e = js_profile_find(first, 1, 1, 1);
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        cr_assert_not_null(js_profile_set_get(&s, models[i], d), "%s", d->msg);
    cr_assert_eq(s.n, 11);
    cr_assert_eq(js_profile_set_get(&s, "resnet50", d), first);
    cr_assert_eq(js_profile_find(first, 1, 1, 1), e);
    cr_assert_null(js_profile_set_get(&s, "nope", d));
    cr_assert_eq(d->code, JS_EXIT_NOINPUT);
    js_diag_init(d);
    cr_assert_null(js_profile_set_get(&s, "../gpus/a100-80gb", d));
    cr_assert_eq(d->code, JS_EXIT_DATAERR);
    js_profile_set_free(&s);
    free(d);
}

/* ================================================================== importer */

Test(importer, mini_fixture)
{
    char dir[64], fixture[512], path[256];
    make_tmpdir(dir, sizeof dir);
    snprintf(fixture, sizeof fixture, "%s/tests/core/fixtures/parvagpu-mini", SRC);
    char profiles[128], scen[128], cmd[600];
    snprintf(profiles, sizeof profiles, "%s/profiles", dir);
    snprintf(scen, sizeof scen, "%s/scenarios", dir);
    js_diag *d = new_diag();
    int np = 0, ns = 0;
    cr_assert_eq(js_parvagpu_import(fixture, profiles, scen, &np, &ns, d), 0, "%s", d->msg);
    cr_assert_eq(np, 2);
    cr_assert_eq(ns, 2);

    js_profile p;
    snprintf(path, sizeof path, "%s/a100-80gb/net10.json", profiles);
    cr_assert_eq(js_profile_load(path, &p, d), 0, "%s", d->msg);
    cr_assert_eq(p.nentries, 5);
    const js_profile_entry *e = js_profile_find(&p, 1, 1, 1);
    cr_assert_not_null(e);
    cr_assert_float_eq(e->throughput, 100, 0);
    cr_assert_float_eq(e->lat_mean_ms, 5, 1e-12);
    cr_assert(e->p95_derived);
    e = js_profile_find(&p, 1, 1, 2);
    cr_assert_float_eq(e->lat_mean_ms, 16.5, 1e-12);
    cr_assert_null(js_profile_find(&p, 1, 2, 1)); /* 0,0 */
    cr_assert_null(js_profile_find(&p, 7, 2, 1)); /* 0 throughput, non-zero latency */
    cr_assert_float_eq(js_profile_find(&p, 7, 1, 1)->lat_mean_ms, 2, 1e-12);
    cr_assert(strstr(p.prov.source, "net10.csv") != NULL);
    js_profile_free(&p);

    snprintf(path, sizeof path, "%s/a100-80gb/LICENSE-parvagpu", profiles);
    char *lic = NULL;
    cr_assert_eq(js_read_file(path, 4096, &lic, NULL, d), 0);
    cr_assert(strstr(lic, "test fixture") != NULL);
    free(lic);

    /* The scenarios need the GPU type beside the profiles. */
    snprintf(cmd, sizeof cmd, "mkdir -p %s/gpus && cp %s/profiles/gpus/a100-80gb.json %s/gpus/",
             profiles, SRC, profiles);
    cr_assert_eq(system(cmd), 0);
    js_scenario *s = malloc(sizeof *s);
    snprintf(path, sizeof path, "%s/parvagpu-slo1.json", scen);
    cr_assert_eq(js_scenario_load(path, s, d), 0, "%s", d->msg);
    cr_assert_eq(s->napps, 1); /* net9 is N/A in row 1 */
    cr_assert_str_eq(s->apps[0].name, "net10");
    cr_assert_float_eq(s->apps[0].rate, 10, 0);
    cr_assert_float_eq(s->apps[0].latency_slo_ms, 100, 0);
    cr_assert_eq(s->cluster.max_workers, 3);
    js_scenario_free(s);
    snprintf(path, sizeof path, "%s/parvagpu-slo2.json", scen);
    cr_assert_eq(js_scenario_load(path, s, d), 0, "%s", d->msg);
    cr_assert_eq(s->napps, 2);
    cr_assert_str_eq(s->apps[1].name, "net9"); /* strcmp order: net10 < net9 */
    cr_assert_float_eq(s->apps[1].rate, 7, 0);
    cr_assert_float_eq(s->apps[1].latency_slo_ms, 80, 0);
    cr_assert_float_eq(s->apps[0].latency_slo_ms, 150.5, 0);
    js_scenario_free(s);
    free(s);

    /* Deterministic: a second import produces the same bytes. */
    snprintf(path, sizeof path, "%s/a100-80gb/net9.json", profiles);
    char *first = NULL, *second = NULL;
    cr_assert_eq(js_read_file(path, 1 << 20, &first, NULL, d), 0);
    cr_assert_eq(js_parvagpu_import(fixture, profiles, scen, &np, &ns, d), 0, "%s", d->msg);
    cr_assert_eq(js_read_file(path, 1 << 20, &second, NULL, d), 0);
    cr_assert_str_eq(first, second);
    free(first);
    free(second);
    free(d);
    rm_rf(dir);
}

static int import_with(const char *csv, const char *rates, js_diag *d)
{
    char dir[64], p[256];
    make_tmpdir(dir, sizeof dir);
    snprintf(p, sizeof p, "%s/prof_data", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/SLO", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/prof_data/m.csv", dir);
    write_text(p, csv);
    snprintf(p, sizeof p, "%s/SLO/SLO_req_rate.csv", dir);
    write_text(p, rates);
    snprintf(p, sizeof p, "%s/SLO/SLO_latency.csv", dir);
    write_text(p, "100\n");
    snprintf(p, sizeof p, "%s/LICENSE", dir);
    write_text(p, "MIT\n");
    char out[128], scen[128];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(scen, sizeof scen, "%s/scen", dir);
    int np, ns;
    int rc = js_parvagpu_import(dir, out, scen, &np, &ns, d);
    rm_rf(dir);
    return rc;
}

Test(importer, malformed_inputs)
{
    static const char hdr[] = "Mig instance,Batch size,Workload Number,Throughput,Latency\n";
    js_diag *d = new_diag();
    char csv[512];
    snprintf(csv, sizeof csv, "%s1,1,1,10,0.01\n", hdr);
    cr_assert_eq(import_with(csv, "5\n", d), 0, "%s", d->msg);
    struct {
        const char *body, *rates, *want;
    } bad[] = {
        {"1,1,1,10\n", "5\n", "m.csv:2: expected 5 columns"},
        {"5,1,1,10,0.01\n", "5\n", "m.csv:2: Mig instance"},
        {"1,0,1,10,0.01\n", "5\n", "Batch size"},
        {"1,1,1,-3,0.01\n", "5\n", "Throughput"},
        {"1,1,1,10,abc\n", "5\n", "Latency"},
        {"1,1,1,10,0.01\n1,1,1,11,0.02\n", "5\n", "m.csv:3: duplicate"},
        {"1,1,1,0,0\n", "5\n", "nothing measured"},
        {"1,1,1,10,0.01\n", "5,6\n", "SLO_req_rate.csv:1: expected 1 columns"},
        {"1,1,1,10,0.01\n", "x\n", "SLO_req_rate.csv:1: column 1"},
        {"1,1,1,10,0.01\n", "5\n6\n", "has 2 rows"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        js_diag_init(d);
        snprintf(csv, sizeof csv, "%s%s", hdr, bad[i].body);
        cr_assert_eq(import_with(csv, bad[i].rates, d), JS_EXIT_DATAERR, "case %zu", i);
        cr_assert(strstr(d->msg, bad[i].want) != NULL, "case %zu: got %s", i, d->msg);
    }
    js_diag_init(d);
    cr_assert_eq(import_with("Mig,Batch\n1,1\n", "5\n", d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "header") != NULL);
    js_diag_init(d);
    int np, ns;
    cr_assert_eq(js_parvagpu_import("/nonexistent", "/tmp/x", NULL, &np, &ns, d),
                 JS_EXIT_NOINPUT);
    free(d);
}

