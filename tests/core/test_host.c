/* Tests of the host model (jigsaw/host.h, docs/host-model.md): the cycle rule against its
 * closed form, host 0 changing nothing bit for bit, family defaults and overrides as a
 * scenario resolves them, CPU cores of a cluster, and the shipped defaults file. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "jigsaw/host.h"
#include "jigsaw/scenario.h"

static js_scenario *load_opts(const char *rel, const js_scenario_opts *o)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SRC, rel);
    js_scenario *s = calloc(1, sizeof *s);
    js_diag *d = new_diag();
    cr_assert_not_null(s);
    cr_assert_eq(js_scenario_load_opts(path, o, s, d), 0, "%s", d->msg);
    free(d);
    return s;
}

static void drop(js_scenario *s)
{
    js_scenario_free(s);
    free(s);
}

Test(host, cycle_rule_closed_form)
{
    double lat, thr;
    /* 8 items at 400 items/s: 20 ms of GPU per batch; 3 + 8 x 2 = 19 ms of host. */
    js_host_cost h = {.ms_per_item = 2, .ms_per_batch = 3};
    cr_assert_float_eq(js_host_ms(&h, 8), 19.0, 1e-12);
    js_host_config(19.0, 8, 25.0, 400.0, &lat, &thr);
    cr_assert_float_eq(lat, 44.0, 1e-12);
    cr_assert_float_eq(thr, 8000.0 / 39.0, 1e-9);
    /* Tokens: 15 tokens x 0.5 ms per item. */
    js_host_cost g = {.ms_per_token = 0.5, .tokens_per_item = 15};
    cr_assert_float_eq(js_host_ms(&g, 2), 15.0, 1e-12);
    cr_assert(!js_host_is_zero(&g));
    js_host_cost z = {.ms_per_token = 4, .tokens_per_item = 0};
    cr_assert(js_host_is_zero(&z), "tokens 0: a per-token cost costs nothing");
    /* Unavailable stays unavailable. */
    js_host_config(5.0, 1, 10.0, 0.0, &lat, &thr);
    cr_assert_eq(thr, 0.0);
}

Test(host, ms_validity)
{
    cr_assert(js_host_ms_valid(0.0));
    cr_assert(js_host_ms_valid(JS_HOST_MAX_MS));
    cr_assert(!js_host_ms_valid(-0.001));
    cr_assert(!js_host_ms_valid(NAN));
    cr_assert(!js_host_ms_valid(INFINITY));
    cr_assert(!js_host_ms_valid(JS_HOST_MAX_MS * 1.01));
}

/* Regime none, an explicit 0 and the plain loader give the same bytes in every entry. */
Test(host, zero_changes_nothing)
{
    js_scenario_opts o = js_scenario_opts_default();
    js_scenario *a = load_opts("scenarios/example.json", &o);
    o.host.regime = JS_HOST_REGIME_NONE;
    o.host.ms_per_item = 0.0;
    o.host.ms_per_batch = 0.0;
    js_scenario *b = load_opts("scenarios/example.json", &o);
    cr_assert_eq(a->profiles.n, b->profiles.n);
    for (int i = 0; i < a->profiles.n; i++) {
        const js_profile *pa = a->profiles.items[i], *pb = b->profiles.items[i];
        cr_assert_eq(pa->nentries, pb->nentries);
        cr_assert(!pb->host_applied);
        cr_assert_eq(memcmp(pa->entries, pb->entries, (size_t)pa->nentries * sizeof *pa->entries),
                     0, "%s: entries differ under host 0", pa->model);
    }
    drop(a);
    drop(b);
}

/* Calibrated: every available entry of every profile follows the cycle rule with its
 * family's cost, recomputed here from the raw profile and the defaults file. */
Test(host, calibrated_regime_applies_family_defaults)
{
    js_scenario_opts o = js_scenario_opts_default();
    js_scenario *raw = load_opts("scenarios/traffic-analysis-a100-4.json", &o);
    o.host.regime = JS_HOST_REGIME_CALIBRATED;
    js_scenario *cal = load_opts("scenarios/traffic-analysis-a100-4.json", &o);
    js_diag *d = new_diag();
    js_host_defaults *t = malloc(sizeof *t);
    cr_assert_eq(js_host_defaults_load(SRC "/profiles/host-defaults.json", t, d), 0, "%s",
                 d->msg);
    int checked = 0;
    for (int i = 0; i < raw->profiles.n; i++) {
        const js_profile *pr = raw->profiles.items[i];
        const js_profile *pc = js_profile_set_find(&cal->profiles, pr->model);
        cr_assert_not_null(pc);
        const js_host_family *f = js_host_defaults_find(t, pr->model);
        cr_assert_not_null(f, "%s: no family", pr->model);
        for (int k = 0; k < pr->nentries; k++) {
            const js_profile_entry *er = &pr->entries[k], *ec = &pc->entries[k];
            if (!er->available)
                continue;
            double host = f->cost.ms_per_batch + er->batch * f->cost.ms_per_item;
            double cycle = 1000.0 * er->batch / er->throughput + host;
            cr_assert_float_eq(ec->throughput, 1000.0 * er->batch / cycle, 1e-9 * ec->throughput);
            cr_assert_float_eq(ec->lat_mean_ms, er->lat_mean_ms + host, 1e-9);
            cr_assert_float_eq(ec->lat_p95_ms, er->lat_p95_ms + host, 1e-9);
            cr_assert_float_eq(ec->host_ms, host, 1e-12);
            checked++;
        }
    }
    cr_assert_gt(checked, 500, "only %d entries checked", checked);
    free(t);
    free(d);
    drop(raw);
    drop(cal);
}

/* A given field replaces the family's for every variant; the others stay. */
Test(host, override_replaces_given_fields)
{
    js_scenario_opts o = js_scenario_opts_default();
    o.host.regime = JS_HOST_REGIME_CALIBRATED;
    o.host.ms_per_item = 2.0;
    js_scenario *s = load_opts("scenarios/example.json", &o);
    js_host_cost h;
    js_diag *d = new_diag();
    cr_assert_eq(js_scenario_host_cost(s, "resnet50", &h, d), 0, "%s", d->msg);
    cr_assert_eq(h.ms_per_item, 2.0);
    cr_assert_eq(h.ms_per_batch, 0.0);
    cr_assert_eq(js_scenario_host_cost(s, "bert", &h, d), 0);
    cr_assert_eq(h.ms_per_item, 2.0);
    cr_assert_float_eq(h.ms_per_batch, 0.05, 1e-12);
    cr_assert_eq(js_scenario_host_cost(s, "git-base", &h, d), 0);
    cr_assert_eq(h.tokens_per_item, 15.0);
    free(d);
    drop(s);
}

Test(host, defaults_file_and_matching)
{
    js_diag *d = new_diag();
    js_host_defaults *t = malloc(sizeof *t);
    cr_assert_eq(js_host_defaults_load(SRC "/profiles/host-defaults.json", t, d), 0, "%s",
                 d->msg);
    for (int i = 0; i < t->n; i++)
        cr_assert_gt(strlen(t->f[i].source), 10, "family %s has no provenance", t->f[i].match);
    cr_assert_str_eq(js_host_defaults_find(t, "yolov5x")->match, "yolov5");
    cr_assert_str_eq(js_host_defaults_find(t, "efficientnet-b3")->match, "efficientnet-");
    cr_assert_str_eq(js_host_defaults_find(t, "tts-piper-low")->match, "tts-piper");
    cr_assert_str_eq(js_host_defaults_find(t, "mystery-net")->match, "*");
    free(t);
    free(d);
}

Test(host, cluster_cpu_cores)
{
    js_cluster cl = {.gpus_per_node = 4, .cpu_cores_per_node = 96};
    cr_assert_eq(js_cluster_cpu_cores(&cl, 4), 96);
    cr_assert_eq(js_cluster_cpu_cores(&cl, 5), 192, "a started node brings all its cores");
    cr_assert_eq(js_cluster_cpu_cores(&cl, 120), 30 * 96);
    cl.cpu_cores_per_node = 0;
    cr_assert_eq(js_cluster_cpu_cores(&cl, 8), 0, "0: unlimited");
}

/* Scenario JSON carries the host spec and cores; without them it is unchanged. */
Test(host, scenario_json_round_trip)
{
    js_scenario_opts o = js_scenario_opts_default();
    js_scenario *s = load_opts("scenarios/example.json", &o);
    cJSON *j = js_scenario_to_json(s);
    cr_assert_null(cJSON_GetObjectItem(j, "host"));
    cr_assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "cluster"), "cpu_cores_per_node"));
    cJSON_Delete(j);
    drop(s);
    o.host.regime = JS_HOST_REGIME_CALIBRATED;
    o.host.ms_per_batch = 1.5;
    o.cpu_cores_per_node = 24;
    s = load_opts("scenarios/example.json", &o);
    j = js_scenario_to_json(s);
    const cJSON *h = cJSON_GetObjectItem(j, "host");
    cr_assert_str_eq(cJSON_GetObjectItem(h, "regime")->valuestring, "calibrated");
    cr_assert_eq(cJSON_GetObjectItem(h, "ms_per_batch")->valuedouble, 1.5);
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "cluster"),
                                     "cpu_cores_per_node")->valueint, 24);
    cJSON_Delete(j);
    drop(s);
}
