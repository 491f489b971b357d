/* Unit tests of the sweep module: validation, point order, journal lines, CSV post-pass,
 * and the runner with the synthetic evaluator (serial, -j, resume from a journal). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jigsaw/planner.h"
#include "jigsaw/sweep.h"

#include "fixtures.h"

static char tmpdir[256];

static void make_tmpdir(void)
{
    sweep_fx_make_tmpdir(tmpdir, sizeof tmpdir, "jigsaw-sweep-unit");
}

static void remove_tmpdir(void)
{
    sweep_fx_remove_tmpdir(tmpdir);
}

TestSuite(sweep, .init = make_tmpdir, .fini = remove_tmpdir);

static void write_text(const char *name, const char *text)
{
    sweep_fx_write_text(tmpdir, name, text);
}

/* Parse sweep JSON text from memory; returns the exit code, fills d. */
static int parse_sweep(const char *text, js_sweep *sw, js_diag *d)
{
    js_diag_init(d);
    cJSON *root = cJSON_Parse(text);
    cr_assert_not_null(root, "test JSON does not parse: %s", text);
    js_jctx c = {.file = "t.json", .path = "$", .d = d};
    int rc = js_sweep_from_json(&c, root, sw);
    cJSON_Delete(root);
    return rc;
}

#define HEAD "{\"kind\":\"sweep\",\"format_version\":1,\"scenario\":\"s.json\","

Test(sweep, point_order_is_the_documented_cartesian_product)
{
    js_sweep sw;
    js_diag d;
    cr_assert_eq(parse_sweep(HEAD "\"grid\":{\"gpu\":[\"a100-80gb\",\"h100-80gb\"],"
                                  "\"gpus\":[1,2],\"latency_slo_ms\":[100,200,300],"
                                  "\"accuracy_slo\":[0.9,1],\"systems\":[\"unopt\",\"jigsaw\"]}}",
                             &sw, &d),
                 0, "%s", d.msg);
    cr_assert_eq(sw.npoints, 2 * 2 * 3 * 2 * 2);
    long index = 0;
    /* Nesting order, outermost first: gpu, gpus, latency, accuracy, demand, systems. */
    for (int g = 0; g < 2; g++)
        for (int n = 0; n < 2; n++)
            for (int l = 0; l < 3; l++)
                for (int a = 0; a < 2; a++)
                    for (int s = 0; s < 2; s++, index++) {
                        js_sweep_point p;
                        js_sweep_point_at(&sw, index, &p);
                        cr_assert_eq(p.index, index);
                        cr_assert_eq(p.gpu_type, g);
                        cr_assert_eq(p.gpus, n + 1);
                        cr_assert_eq(p.latency_slo_ms, 100.0 * (l + 1));
                        cr_assert_eq(p.accuracy_slo, a == 0 ? 0.9 : 1.0);
                        cr_assert(isnan(p.demand_scale));
                        cr_assert_eq(p.system_index, s);
                        cr_assert_eq(p.system, s == 0 ? 0u : (JS_FEAT_A | JS_FEAT_S | JS_FEAT_T));
                    }
    js_sweep_free(&sw);
}

Test(sweep, absent_axes_are_one_point_and_default_system_is_jigsaw)
{
    js_sweep sw;
    js_diag d;
    cr_assert_eq(parse_sweep(HEAD "\"grid\":{}}", &sw, &d), 0, "%s", d.msg);
    cr_assert_eq(sw.npoints, 1);
    js_sweep_point p;
    js_sweep_point_at(&sw, 0, &p);
    cr_assert_eq(p.gpu_type, -1);
    cr_assert_eq(p.gpus, 0);
    cr_assert(isnan(p.latency_slo_ms) && isnan(p.accuracy_slo) && isnan(p.demand_scale));
    cr_assert_eq(p.system, JS_FEAT_A | JS_FEAT_S | JS_FEAT_T);
    cr_assert_eq(sw.objective, JS_SWEEP_MAX_DEMAND);
    cr_assert_eq(sw.simulate, false);
    js_sweep_free(&sw);
}

Test(sweep, ranges_give_exact_decimal_values)
{
    js_sweep sw;
    js_diag d;
    cr_assert_eq(parse_sweep(HEAD "\"objective\":\"min-slices\",\"grid\":{"
                                  "\"accuracy_slo\":{\"from\":0.8,\"to\":1.0,\"step\":0.05,"
                                  "\"apps\":[\"x\"]},"
                                  "\"demand_scale\":{\"values\":[0.5,2]},"
                                  "\"gpus\":{\"from\":1,\"to\":7,\"step\":3}}}",
                             &sw, &d),
                 0, "%s", d.msg);
    double want[] = {0.8, 0.85, 0.9, 0.95, 1.0};
    cr_assert_eq(sw.accuracy_slo.n, 5);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(sw.accuracy_slo.values[i], want[i], "value %d: %.17g", i,
                     sw.accuracy_slo.values[i]);
    cr_assert_eq(sw.accuracy_slo.napps, 1);
    cr_assert_str_eq(sw.accuracy_slo.apps[0], "x");
    cr_assert_eq(sw.gpus.n, 3);
    cr_assert_eq(sw.gpus.values[2], 7);
    cr_assert_eq(sw.demand_scale.n, 2);
    cr_assert_eq(sw.npoints, 5 * 2 * 3);
    js_sweep_free(&sw);
}

/* Each invalid sweep fails with DATAERR naming the JSON path of the problem. */
Test(sweep, validation_errors_name_the_path)
{
    struct {
        const char *json, *expect;
    } cases[] = {
        {"{\"kind\":\"plan\",\"format_version\":1,\"scenario\":\"s\",\"grid\":{}}", "$.kind"},
        {"{\"kind\":\"sweep\",\"format_version\":2,\"scenario\":\"s\",\"grid\":{}}",
         "$.format_version"},
        {"{\"kind\":\"sweep\",\"format_version\":1,\"grid\":{}}", "$.scenario"},
        {HEAD "\"grid\":{},\"extra\":1}", "$.extra"},
        {HEAD "\"grid\":{\"latency\":[1]}}", "$.grid.latency"},
        {HEAD "\"grid\":{\"systems\":[\"A+X\"]}}", "$.grid.systems[0]"},
        {HEAD "\"grid\":{\"systems\":[\"A+S+T\",\"jigsaw\"]}}", "$.grid.systems[1]"},
        {HEAD "\"grid\":{\"latency_slo_ms\":[]}}", "$.grid.latency_slo_ms"},
        {HEAD "\"grid\":{\"latency_slo_ms\":[100,-5]}}", "$.grid.latency_slo_ms[1]"},
        {HEAD "\"grid\":{\"latency_slo_ms\":[100,100]}}", "$.grid.latency_slo_ms[1]"},
        {HEAD "\"grid\":{\"accuracy_slo\":[1.5]}}", "$.grid.accuracy_slo[0]"},
        {HEAD "\"grid\":{\"accuracy_slo\":{\"values\":[0.9],\"apps\":[3]}}}",
         "$.grid.accuracy_slo.apps[0]"},
        {HEAD "\"grid\":{\"gpus\":[2.5]}}", "$.grid.gpus[0]"},
        {HEAD "\"grid\":{\"gpus\":{\"from\":1,\"to\":4,\"step\":0}}}", "$.grid.gpus.step"},
        {HEAD "\"grid\":{\"gpus\":{\"values\":[1],\"apps\":[\"a\"]}}}", "$.grid.gpus.apps"},
        {HEAD "\"grid\":{\"demand_scale\":[1,2]}}", "$.grid.demand_scale"},
        {HEAD "\"grid\":{\"gpu\":[\"../x\"]}}", "$.grid.gpu[0]"},
        {HEAD "\"grid\":{},\"objective\":\"fastest\"}", "$.objective"},
        {HEAD "\"grid\":{},\"simulation\":{\"seed\":1}}", "$.simulation"},
        {HEAD "\"grid\":{},\"simulate\":true,\"simulation\":{\"duration_s\":0}}",
         "$.simulation.duration_s"},
        {HEAD "\"grid\":{},\"time_limit_s\":-1}", "$.time_limit_s"},
        {HEAD "\"grid\":{\"gpus\":{\"from\":1,\"to\":100000,\"step\":1},"
              "\"latency_slo_ms\":{\"from\":1,\"to\":100,\"step\":1}}}", "$.grid"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        js_sweep sw;
        js_diag d;
        int rc = parse_sweep(cases[i].json, &sw, &d);
        cr_assert_eq(rc, JS_EXIT_DATAERR, "case %zu accepted: %s", i, cases[i].json);
        cr_assert_not_null(strstr(d.msg, "t.json"), "case %zu: %s", i, d.msg);
        char want[128];
        snprintf(want, sizeof want, "%s:", cases[i].expect);
        cr_assert_not_null(strstr(d.msg, want), "case %zu: wanted %s in: %s", i, want, d.msg);
        js_sweep_free(&sw);
    }
}

Test(sweep, load_resolves_scenario_and_checksums_it)
{
    write_text("scen.json", "{\"v\": 1}\n");
    write_text("a.json", HEAD "\"grid\":{}}");
    /* The scenario member is relative to the sweep file: point it at scen.json. */
    write_text("b.json", "{\"kind\":\"sweep\",\"format_version\":1,"
                         "\"scenario\":\"scen.json\",\"grid\":{}}");
    write_text("c.json", "{ \"kind\" : \"sweep\", \"format_version\" : 1,\n"
                         "  \"scenario\" : \"scen.json\", \"grid\" : {} }\n");
    char path[512];
    js_diag d;
    js_sweep a, b, c;
    js_diag_init(&d);
    snprintf(path, sizeof path, "%s/a.json", tmpdir);
    cr_assert_eq(js_sweep_load(path, &a, &d), JS_EXIT_NOINPUT, "missing scenario accepted");
    cr_assert_not_null(strstr(d.msg, "s.json"), "%s", d.msg);
    js_diag_init(&d);
    snprintf(path, sizeof path, "%s/b.json", tmpdir);
    cr_assert_eq(js_sweep_load(path, &b, &d), 0, "%s", d.msg);
    char want[512];
    snprintf(want, sizeof want, "%s/scen.json", tmpdir);
    cr_assert_str_eq(b.scenario_path, want);
    snprintf(path, sizeof path, "%s/c.json", tmpdir);
    cr_assert_eq(js_sweep_load(path, &c, &d), 0, "%s", d.msg);
    /* Formatting does not matter; the scenario's content does. */
    cr_assert_eq(b.checksum, c.checksum);
    write_text("scen.json", "{\"v\": 2}\n");
    js_sweep_free(&c);
    cr_assert_eq(js_sweep_load(path, &c, &d), 0, "%s", d.msg);
    cr_assert_neq(b.checksum, c.checksum);
    js_sweep_free(&b);
    js_sweep_free(&c);
    /* Malformed JSON: DATAERR with the file name. */
    write_text("bad.json", "{\"kind\": \"sweep\",,}");
    snprintf(path, sizeof path, "%s/bad.json", tmpdir);
    js_diag_init(&d);
    cr_assert_eq(js_sweep_load(path, &a, &d), JS_EXIT_DATAERR);
    cr_assert_not_null(strstr(d.msg, "bad.json"), "%s", d.msg);
}

Test(sweep, journal_lines_round_trip_and_self_validate)
{
    js_sweep_result r, back;
    js_sweep_result_init(&r);
    snprintf(r.status, sizeof r.status, "optimal");
    r.max_demand_scale = 1.0 / 3.0;
    r.rate_rps = 12345.678901234567;
    r.slices = 840;
    r.gpus_used = 120;
    r.pas = 0.9123456789;
    char line[JS_SWEEP_LINE_MAX];
    int n = js_sweep_journal_format(0xabcdef0123456789ull, 41, &r, line, sizeof line);
    cr_assert_gt(n, 0);
    cr_assert_eq(line[n - 1], '\n');
    long idx = -1;
    cr_assert_eq(js_sweep_journal_parse(line, 0xabcdef0123456789ull, 100, &idx, &back), 1);
    cr_assert_eq(idx, 41);
    cr_assert_str_eq(back.status, "optimal");
    cr_assert_eq(back.max_demand_scale, r.max_demand_scale); /* bit-exact */
    cr_assert_eq(back.rate_rps, r.rate_rps);
    cr_assert_eq(back.slices, 840);
    cr_assert_eq(back.gpus_used, 120);
    cr_assert_eq(back.pas, r.pas);
    cr_assert(isnan(back.sim_p99_ms));
    /* Another sweep's line: -1. Index out of range, torn or altered line: 0. */
    cr_assert_eq(js_sweep_journal_parse(line, 0x1111ull, 100, &idx, &back), -1);
    cr_assert_eq(js_sweep_journal_parse(line, 0xabcdef0123456789ull, 41, &idx, &back), 0);
    char torn[JS_SWEEP_LINE_MAX];
    snprintf(torn, sizeof torn, "%.*s", n / 2, line);
    cr_assert_eq(js_sweep_journal_parse(torn, 0xabcdef0123456789ull, 100, &idx, &back), 0);
    char *digit = strstr(line, " 840 ");
    cr_assert_not_null(digit);
    digit[1] = '9'; /* 940 slices: the crc catches it */
    cr_assert_eq(js_sweep_journal_parse(line, 0xabcdef0123456789ull, 100, &idx, &back), 0);
    cr_assert_eq(js_sweep_journal_parse("", 0, 100, &idx, &back), 0);
    cr_assert_eq(js_sweep_journal_parse("jsweep1 x", 0, 100, &idx, &back), 0);
}

Test(sweep, csv_gain_is_computed_against_the_unopt_row_of_the_same_setting)
{
    js_sweep sw;
    js_diag d;
    cr_assert_eq(parse_sweep(HEAD "\"grid\":{\"latency_slo_ms\":[100,200],"
                                  "\"systems\":[\"A+S+T\",\"unopt\"]}}",
                             &sw, &d),
                 0, "%s", d.msg);
    js_sweep_result r[4];
    double scale[4] = {21.6, 2.0, 5.0, 0.0};
    for (int i = 0; i < 4; i++) {
        js_sweep_result_init(&r[i]);
        snprintf(r[i].status, sizeof r[i].status, i == 3 ? "infeasible" : "optimal");
        r[i].max_demand_scale = scale[i];
    }
    char *csv = js_sweep_csv(&sw, r);
    cr_assert_not_null(csv);
    const char *want =
        "point,system,gpu,gpus,latency_slo_ms,accuracy_slo,demand_scale,status,"
        "max_demand_scale,rate_rps,slices,gpus_used,pas,gain_vs_unopt\n"
        "0,A+S+T,,,100,,,optimal,21.6,,,,,10.8\n"
        "1,unopt,,,100,,,optimal,2,,,,,1\n"
        "2,A+S+T,,,200,,,optimal,5,,,,,\n" /* unopt capacity 0: no ratio */
        "3,unopt,,,200,,,infeasible,0,,,,,\n";
    cr_assert_str_eq(csv, want);
    free(csv);
    js_sweep_free(&sw);
}

/* The runner with the synthetic evaluator: serial and -j 3 give the same bytes, and a
 * run resumed from a partial journal (with a torn last line) too. */
Test(sweep, runner_is_deterministic_and_resumes)
{
    write_text("scen.json", "{}\n");
    write_text("s.json", "{\"kind\":\"sweep\",\"format_version\":1,\"scenario\":\"scen.json\","
                         "\"objective\":\"min-slices\",\"simulate\":true,"
                         "\"grid\":{\"latency_slo_ms\":[20,100,250],\"demand_scale\":[1,3],"
                         "\"gpus\":[1,4],\"systems\":[\"unopt\",\"S\",\"A+S+T\"]}}");
    char path[512], out1[512], out2[512], out3[512];
    snprintf(path, sizeof path, "%s/s.json", tmpdir);
    snprintf(out1, sizeof out1, "%s/o1.csv", tmpdir);
    snprintf(out2, sizeof out2, "%s/o2.csv", tmpdir);
    snprintf(out3, sizeof out3, "%s/o3.csv", tmpdir);
    js_diag d;
    js_diag_init(&d);
    js_sweep sw;
    cr_assert_eq(js_sweep_load(path, &sw, &d), 0, "%s", d.msg);
    cr_assert_eq(sw.npoints, 36);
    js_sweep_evaluator ev;
    cr_assert_eq(js_sweep_eval_synthetic_create(0, &ev, &d), 0);
    js_sweep_options o;
    js_sweep_options_init(&o);
    o.out_path = out1;
    cr_assert_eq(js_sweep_run(&sw, &ev, &o, &d), 0, "%s", d.msg);
    o.out_path = out2;
    o.jobs = 3;
    cr_assert_eq(js_sweep_run(&sw, &ev, &o, &d), 0, "%s", d.msg);
    char *a = sweep_fx_read_text(out1), *b = sweep_fx_read_text(out2);
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    cr_assert_str_eq(a, b);
    /* 37 lines: header + 36 points; infeasible points at 20 ms. */
    int lines = 0;
    for (const char *c = a; *c; c++)
        lines += *c == '\n';
    cr_assert_eq(lines, 37);
    cr_assert_not_null(strstr(a, ",20,,1,infeasible,"));
    /* The journal is gone once the CSV is complete. */
    char jpath[600];
    snprintf(jpath, sizeof jpath, "%s.journal", out1);
    cr_assert_eq(access(jpath, F_OK), -1);

    /* A journal holding 10 points (of this run) and a torn line. */
    snprintf(jpath, sizeof jpath, "%s.journal", out3);
    FILE *j = fopen(jpath, "w");
    cr_assert_not_null(j);
    uint64_t ck = js_sweep_run_checksum(&sw, &ev);
    for (long i = 0; i < 10; i++) {
        js_sweep_point p;
        js_sweep_point_at(&sw, i * 3, &p);
        js_sweep_result r;
        js_sweep_result_init(&r);
        cr_assert_eq(ev.eval(ev.ctx, &sw, &p, &r, &d), 0);
        char line[JS_SWEEP_LINE_MAX];
        cr_assert_gt(js_sweep_journal_format(ck, i * 3, &r, line, sizeof line), 0);
        fputs(line, j);
    }
    fputs("jsweep1 0123", j); /* killed mid-write */
    fclose(j);
    o.out_path = out3;
    o.jobs = 2;
    o.keep_journal = true;
    cr_assert_eq(js_sweep_run(&sw, &ev, &o, &d), 0, "%s", d.msg);
    char *c3 = sweep_fx_read_text(out3);
    cr_assert_str_eq(a, c3);
    /* Torn line cut, 26 new lines appended: 36 valid lines. */
    char *jt = sweep_fx_read_text(jpath);
    lines = 0;
    for (const char *c = jt; *c; c++)
        lines += *c == '\n';
    cr_assert_eq(lines, 36);
    cr_assert_null(strstr(jt, "jsweep1 0123\n"));
    free(jt);

    /* A journal of another sweep definition is refused (stale), not mixed in. */
    js_sweep_evaluator other = ev;
    other.name = "something-else";
    cr_assert_eq(js_sweep_run(&sw, &other, &o, &d), JS_EXIT_DATAERR);
    cr_assert_not_null(strstr(d.msg, "different sweep"), "%s", d.msg);
    free(a);
    free(b);
    free(c3);
    js_sweep_evaluator_destroy(&ev);
    js_sweep_free(&sw);
}

/* An unwritable output fails before any work with CANTCREAT. */
Test(sweep, unwritable_output_is_cantcreat)
{
    write_text("scen.json", "{}\n");
    write_text("s.json", "{\"kind\":\"sweep\",\"format_version\":1,\"scenario\":\"scen.json\","
                         "\"grid\":{}}");
    char path[512], out[600];
    snprintf(path, sizeof path, "%s/s.json", tmpdir);
    snprintf(out, sizeof out, "%s/no/such/dir/o.csv", tmpdir);
    js_diag d;
    js_diag_init(&d);
    js_sweep sw;
    cr_assert_eq(js_sweep_load(path, &sw, &d), 0, "%s", d.msg);
    js_sweep_evaluator ev;
    cr_assert_eq(js_sweep_eval_synthetic_create(0, &ev, &d), 0);
    js_sweep_options o;
    js_sweep_options_init(&o);
    o.out_path = out;
    cr_assert_eq(js_sweep_run(&sw, &ev, &o, &d), JS_EXIT_CANTCREAT);
    cr_assert_not_null(strstr(d.msg, "o.csv.journal"), "%s", d.msg);
    js_sweep_evaluator_destroy(&ev);
    js_sweep_free(&sw);
}
