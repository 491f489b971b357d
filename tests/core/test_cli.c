/* CLI-level tests of `jigsaw check`, `jigsaw show`, `jigsaw import` and the costs `jigsaw plan`
 * reports (runs JS_JIGSAW_EXE). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "command.h"

#define SRC JS_SOURCE_ROOT
#define EXE JS_JIGSAW_EXE

/* A shell command's stdout (or stderr with `2>&1 >/dev/null`) into *out. */
static int run(const char *cmd, char **out)
{
    return tc_run_command(cmd, out);
}

Test(cli, check_shipped_files_ok)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' check scenarios/*.json profiles/gpus/*.json profiles/*/*.json",
             SRC, EXE);
    char *out = NULL;
    int rc = run(cmd, &out);
    cr_assert_eq(rc, 0, "exit %d:\n%s", rc, out);
    cr_assert(strstr(out, "scenarios/example.json: ok: scenario example") != NULL, "%s", out);
    cr_assert(strstr(out, "profiles/gpus/a100-80gb.json: ok: gpu a100-80gb") != NULL);
    free(out);
}

Test(cli, check_corpus_exit_codes_and_paths)
{
    char manifest[600];
    snprintf(manifest, sizeof manifest, "%s/tests/core/bad/MANIFEST.tsv", SRC);
    FILE *f = fopen(manifest, "r");
    cr_assert_not_null(f);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *file = strtok(line, "\t"), *code = strtok(NULL, "\t"), *want = strtok(NULL, "\t");
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "cd '%s/tests/core/bad' && '%s' check '%s' 2>&1 >/dev/null",
                 SRC, EXE, file);
        char *err = NULL;
        int rc = run(cmd, &err);
        cr_expect_eq(rc, atoi(code), "%s: exit %d, want %s: %s", file, rc, code, err);
        cr_expect(strstr(err, want) != NULL, "%s: stderr lacks \"%s\": %s", file, want, err);
        cr_expect(strstr(err, file) != NULL, "%s: stderr does not name the file: %s", file, err);
        free(err);
        n++;
    }
    fclose(f);
    cr_assert_geq(n, 40);
}

Test(cli, check_missing_file_and_worst_code)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' check no-such-file.json 2>&1", SRC, EXE);
    char *out = NULL;
    cr_assert_eq(run(cmd, &out), 66);
    cr_assert(strstr(out, "no-such-file.json") != NULL);
    free(out);
    /* Mixed: good + bad + missing -> the worst (numerically highest) code, 66. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' check scenarios/example.json tests/core/bad/s-cycle.json nope.json "
             ">/dev/null 2>&1",
             SRC, EXE);
    cr_assert_eq(run(cmd, NULL), 66);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' check scenarios/example.json tests/core/bad/s-cycle.json "
             ">/dev/null 2>&1",
             SRC, EXE);
    cr_assert_eq(run(cmd, NULL), 65);
}

Test(cli, check_json_output)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' check --json scenarios/example.json tests/core/bad/s-cycle.json "
             "2>/dev/null",
             SRC, EXE);
    char *out = NULL;
    cr_assert_eq(run(cmd, &out), 65);
    cJSON *o = cJSON_Parse(out);
    cr_assert_not_null(o, "not JSON: %s", out);
    cr_assert_eq(cJSON_GetArraySize(o), 2);
    cJSON *a = cJSON_GetArrayItem(o, 0), *b = cJSON_GetArrayItem(o, 1);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(a, "ok")));
    cr_assert_str_eq(cJSON_GetObjectItem(a, "kind")->valuestring, "scenario");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(b, "ok")));
    cr_assert_eq(cJSON_GetObjectItem(b, "exit_code")->valueint, 65);
    cr_assert(strstr(cJSON_GetObjectItem(b, "error")->valuestring, "$.apps[0].edges") != NULL);
    cJSON_Delete(o);
    free(out);
}

Test(cli, usage_errors_and_help)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' check >/dev/null 2>&1", EXE);
    cr_assert_eq(run(cmd, NULL), 2);
    snprintf(cmd, sizeof cmd, "'%s' check --bogus x >/dev/null 2>&1", EXE);
    cr_assert_eq(run(cmd, NULL), 2);
    snprintf(cmd, sizeof cmd, "'%s' show a b >/dev/null 2>&1", EXE);
    cr_assert_eq(run(cmd, NULL), 2);
    snprintf(cmd, sizeof cmd, "'%s' import nope x >/dev/null 2>&1", EXE);
    cr_assert_eq(run(cmd, NULL), 2);
    /* A plan can only be checked against its scenario. */
    char dir[] = "/tmp/jigsaw-cli-plan-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "echo '{\"kind\": \"plan\", \"format_version\": 1}' > '%s/p.json' && '%s' check "
             "'%s/p.json' >/dev/null 2>&1",
             dir, EXE, dir);
    cr_assert_eq(run(cmd, NULL), 2);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    static const char *const cmds[] = {"check", "show", "import"};
    for (int i = 0; i < 3; i++) {
        char *out = NULL;
        snprintf(cmd, sizeof cmd, "'%s' %s --help", EXE, cmds[i]);
        cr_assert_eq(run(cmd, &out), 0);
        cr_assert(strstr(out, "usage: jigsaw") != NULL);
        free(out);
    }
}

/* Numeric options are parsed whole and range-checked by every subcommand: a bad value is
 * a usage error (2) before any work starts. */
Test(cli, numeric_options_are_strict)
{
    static const char *const bad[] = {
        "plan scenarios/example.json --max-batch 0",
        "plan scenarios/example.json --max-utilisation 1.5",
        "plan scenarios/example.json --latency-factor x",
        "capacity scenarios/example.json --max-batch 2x",
        "capacity scenarios/example.json --max-utilisation 0",
        "run scenarios/example.json --system A+S+T --trace x --max-utilisation -1",
        "run scenarios/example.json --system A+S+T --trace x --trace-smooth -5",
        "compare --batch-caps 0",
        "compare --batch-caps 1,x",
        "compare --max-utilisation nan",
        "gpu probe --device two",
        "gpu profile --model resnet50 --reps 10x",
        "gpu profile --model resnet50 --warmup -1",
        "gpu validate p.json --scenario s.json --rate fast",
        "gpu validate p.json --scenario s.json --rate 10 --seed -3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >/dev/null 2>&1", JS_SOURCE_ROOT, EXE,
                 bad[i]);
        cr_assert_eq(run(cmd, NULL), 2, "jigsaw %s", bad[i]);
    }
}

/* The options several subcommands share go through one parser each (src/cli/cli_util.c):
 * the same values are refused everywhere, with the same words. An exponent or a decimal
 * point in an integer option is refused, not rounded. */
Test(cli, shared_options_one_parser)
{
    static const struct {
        const char *cmd, *args;
    } subs[] = {
        {"plan", "scenarios/example.json"},
        {"capacity", "scenarios/example.json"},
        {"run", "scenarios/example.json --system A+S+T --trace x"},
        {"compare", ""},
        {"simulate", "scenarios/example.json --plan p.json"},
        {"gpu validate", "p.json --scenario s.json --rate 10"},
        {"gpu profile", "--model resnet50"},
    };
    static const struct {
        const char *opt, *value, *what;
        unsigned in; /* bit i: subs[i] has the option */
    } opts[] = {
        {"--seed", "1e3", "an integer in [0, 2^64 - 1]", 0x7c},
        {"--seed", "-1", "an integer in [0, 2^64 - 1]", 0x7c},
        {"--seed", "18446744073709551616", "an integer in [0, 2^64 - 1]", 0x7c},
        {"--max-batch", "2.0", "an integer in 1..1048576", 0x0f},
        {"--max-batch", "0", "an integer in 1..1048576", 0x0f},
        {"--gpus", "1e1", "an integer in 1..100000", 0x07},
        {"--time-limit", "-1", "seconds >= 0 (0: no limit)", 0x0b},
        {"--latency-factor", "0", "a number > 0", 0x0f},
        {"--max-utilisation", "1.5", "a number in (0, 1]", 0x0f},
        {"--rule", "fast", "paper or safe", 0x07},
        {"--target", "p50",
         "a latency quantile such as p95, p99 or p99.9 (or a number in (0.5, 1))", 0x07},
    };
    int checked = 0;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
            if (!(opts[k].in & (1u << i)))
                continue;
            char cmd[2048], want[512];
            char *err = NULL;
            snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s %s %s %s 2>&1 >/dev/null",
                     JS_SOURCE_ROOT, EXE, subs[i].cmd, subs[i].args, opts[k].opt,
                     opts[k].value);
            cr_assert_eq(run(cmd, &err), 2, "jigsaw %s %s %s", subs[i].cmd, opts[k].opt,
                         opts[k].value);
            snprintf(want, sizeof want, "jigsaw %s: error: %s must be %s, got '%s'\nTry "
                     "'jigsaw %s --help' for more information.\n", subs[i].cmd, opts[k].opt,
                     opts[k].what, opts[k].value, subs[i].cmd);
            cr_assert_str_eq(err, want, "jigsaw %s %s %s", subs[i].cmd, opts[k].opt,
                             opts[k].value);
            free(err);
            checked++;
        }
    }
    cr_assert_eq(checked, 43);
}

/* A seed is an integer, not a double: 2^53 + 1 and 2^53 give different runs. */
Test(cli, seed_is_not_rounded_through_a_double)
{
    char dir[] = "/tmp/jigsaw-cli-seed-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' plan scenarios/example.json --json -o '%s/p.json'",
             JS_SOURCE_ROOT, EXE, dir);
    cr_assert_eq(run(cmd, NULL), 0);
    char *out[2] = {NULL, NULL};
    static const char *const seeds[2] = {"9007199254740992", "9007199254740993"};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && '%s' simulate scenarios/example.json --plan '%s/p.json' "
                 "--duration 20 --json --seed %s",
                 JS_SOURCE_ROOT, EXE, dir, seeds[i]);
        cr_assert_eq(run(cmd, &out[i]), 0, "%s", cmd);
    }
    cr_assert(strlen(out[0]) > 100);
    cr_assert_str_neq(out[0], out[1]);
    free(out[0]);
    free(out[1]);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(cli, show_example)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' show scenarios/example.json", SRC, EXE);
    char *out = NULL;
    cr_assert_eq(run(cmd, &out), 0, "%s", out);
    cr_assert(strstr(out, "classify -> verify") != NULL, "%s", out);
    cr_assert(strstr(out, "normalised 1.000") != NULL);
    cr_assert(strstr(out, "resnet152 2.2") != NULL);
    cr_assert(strstr(out, "4 x a100-80gb") != NULL);
    free(out);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' show --json scenarios/example.json", SRC, EXE);
    cr_assert_eq(run(cmd, &out), 0);
    cJSON *o = cJSON_Parse(out);
    cr_assert_not_null(o, "not JSON: %s", out);
    cJSON *app = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "apps"), 0);
    cJSON *paths = cJSON_GetObjectItem(app, "paths");
    cr_assert_eq(cJSON_GetArraySize(paths), 1);
    cJSON *tasks = cJSON_GetObjectItem(app, "tasks");
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(tasks, 1), "items_per_request")->valuedouble,
                 2.0);
    cJSON_Delete(o);
    free(out);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' show tests/core/bad/s-cycle.json 2>&1", SRC, EXE);
    cr_assert_eq(run(cmd, &out), 65);
    cr_assert(strstr(out, "$.apps[0].edges") != NULL);
    free(out);
}

/* GPUs with instances in a plan's JSON, counted from its layouts. */
static int gpus_with_instances(const cJSON *plan)
{
    int n = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(plan, "gpus"))
        n += cJSON_GetArraySize(cJSON_GetObjectItem(g, "instances")) > 0;
    return n;
}

/* plan reports its cost at the scenario's price: scenarios/example.json (200 requests/s)
 * with cluster.price_per_gpu_hour 4; simulate still reads the plan; show gives the price;
 * without the override, the GPU type's price. */
Test(cli, plan_reports_cost)
{
    char dir[] = "/tmp/jigsaw-cost-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char cmd[4096], want[256], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "sed -e 's/\"max_workers\": 4/\"max_workers\": 4, \"price_per_gpu_hour\": 4/' "
             "-e 's|\"profiles\": \"../profiles\"|\"profiles\": \"%s/profiles\"|' "
             "'%s/scenarios/example.json' > '%s/s.json' && grep -q price_per_gpu_hour '%s/s.json'",
             SRC, SRC, dir, dir);
    cr_assert_eq(run(cmd, NULL), 0, "%s", cmd);
    snprintf(cmd, sizeof cmd, "'%s' plan '%s/s.json' --rule paper --system S --json -o '%s/p.json'",
             EXE, dir, dir);
    cr_assert_eq(run(cmd, NULL), 0, "%s", cmd);
    snprintf(cmd, sizeof cmd, "cat '%s/p.json'", dir);
    cr_assert_eq(run(cmd, &out), 0);
    cJSON *plan = cJSON_Parse(out);
    free(out);
    cr_assert_not_null(plan);
    int n = gpus_with_instances(plan);
    double hour = 4.0 * n, million = hour / (200.0 * 3600.0) * 1e6;
    cr_assert(n >= 1);
    cr_assert_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(plan, "price_per_gpu_hour_usd")),
                       4.0, 0);
    cr_assert_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(plan, "cost_per_hour_usd")), hour,
                       1e-12);
    cr_assert_float_eq(
        cJSON_GetNumberValue(cJSON_GetObjectItem(plan, "cost_per_million_requests_usd")),
        million, 1e-9 * million);
    cJSON_Delete(plan);
    snprintf(cmd, sizeof cmd, "'%s' simulate '%s/s.json' --plan '%s/p.json' --duration 2 "
             ">/dev/null 2>&1", EXE, dir, dir);
    cr_assert_eq(run(cmd, NULL), 0, "simulate refuses a plan with its costs");

    snprintf(cmd, sizeof cmd, "'%s' plan '%s/s.json' --rule paper --system S", EXE, dir);
    cr_assert_eq(run(cmd, &out), 0, "%s", out);
    snprintf(want, sizeof want, "\ncost: $%.2f/h on %d GPU%s at $4/GPU-h, $%.4g per million "
             "requests\n", hour, n, n == 1 ? "" : "s", million);
    cr_assert_not_null(strstr(out, want), "want %s in:\n%s", want, out);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' show '%s/s.json'", EXE, dir);
    cr_assert_eq(run(cmd, &out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "price: $4 per GPU-hour (cluster.price_per_gpu_hour)"), "%s",
                       out);
    free(out);
    /* Another GPU type on the command line: its own price, and a warning that the file's
     * is not used. */
    snprintf(cmd, sizeof cmd, "'%s' plan '%s/s.json' --gpu h100-80gb 2>&1", EXE, dir);
    cr_assert_eq(run(cmd, &out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "warning: "), "%s", out);
    cr_assert_not_null(strstr(out, "$.cluster.price_per_gpu_hour ($4) is for GPU type a100-80gb"),
                       "%s", out);
    cr_assert_null(strstr(out, "at $4/GPU-h"), "%s", out);
    free(out);

    /* The shipped type's price, read here from its file. */
    snprintf(cmd, sizeof cmd, "cat '%s/profiles/gpus/a100-80gb.json'", SRC);
    cr_assert_eq(run(cmd, &out), 0);
    cJSON *gpu = cJSON_Parse(out);
    free(out);
    double price = cJSON_GetNumberValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(gpu, "price_per_gpu_hour"), "usd"));
    cJSON_Delete(gpu);
    cr_assert(price > 0);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' plan scenarios/example.json --rule paper --system S",
             SRC, EXE);
    cr_assert_eq(run(cmd, &out), 0, "%s", out);
    snprintf(want, sizeof want, "/h on %d GPU%s at $%.4g/GPU-h, $%.4g per million requests\n", n,
             n == 1 ? "" : "s", price, price * n / (200.0 * 3600.0) * 1e6);
    cr_assert_not_null(strstr(out, want), "want %s in:\n%s", want, out);
    free(out);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(cli, import_fixture)
{
    char dir[] = "/tmp/jigsaw-cli-test-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' import parvagpu '%s/tests/core/fixtures/parvagpu-mini' -o '%s/p' "
             "--scenarios-dir '%s/s' --json",
             EXE, SRC, dir, dir);
    char *out = NULL;
    cr_assert_eq(run(cmd, &out), 0, "%s", out);
    cJSON *o = cJSON_Parse(out);
    cr_assert_not_null(o);
    cr_assert_eq(cJSON_GetObjectItem(o, "profiles")->valueint, 2);
    cr_assert_eq(cJSON_GetObjectItem(o, "scenarios")->valueint, 2);
    cJSON_Delete(o);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' check '%s/p/a100-80gb/net9.json' >/dev/null", EXE, dir);
    cr_assert_eq(run(cmd, NULL), 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* One application's maximum demand on a shared cluster (--max-demand-app): the JSON names
 * it, the other applications keep their rates, the bound is above the scale; a name not
 * in the scenario and --scale beside it are usage errors. */
Test(cli, max_demand_of_one_application, .timeout = 240)
{
    char cmd[2048], *out = NULL;
    const char *fleet = SRC "/scenarios/fleet/paper-trio-a100-120.json";
    snprintf(cmd, sizeof cmd, "'%s' plan '%s' --gpus 24 --rule paper --max-demand-app "
             "ar-assistant --format json 2>/dev/null", EXE, fleet);
    cr_assert_eq(run(cmd, &out), 0);
    cJSON *p = cJSON_Parse(out);
    cr_assert_not_null(p);
    cr_assert_str_eq(cJSON_GetObjectItem(p, "scaled_app")->valuestring, "ar-assistant");
    double scale = cJSON_GetObjectItem(p, "demand_scale")->valuedouble;
    double bound = cJSON_GetObjectItem(p, "demand_scale_bound")->valuedouble;
    cr_assert(scale > 0.0 && bound >= scale, "scale %g bound %g", scale, bound);
    const cJSON *apps = cJSON_GetObjectItem(p, "apps");
    cr_assert_eq(cJSON_GetArraySize(apps), 3);
    /* The fleet's rates: social media 3000, traffic analysis 1500 (held), AR assistant
     * 1500 x scale. */
    cr_assert_float_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(apps, 0), "rate")->valuedouble,
                       3000.0, 1e-6);
    cr_assert_float_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(apps, 1), "rate")->valuedouble,
                       1500.0, 1e-6);
    cr_assert_float_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(apps, 2), "rate")->valuedouble,
                       1500.0 * scale, 1e-6 * 1500.0 * scale);
    cJSON_Delete(p);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' plan '%s' --max-demand-app nosuch >/dev/null 2>&1", EXE,
             fleet);
    cr_assert_eq(run(cmd, NULL), 2);
    snprintf(cmd, sizeof cmd, "'%s' plan '%s' --max-demand-app ar-assistant --scale 2 "
             ">/dev/null 2>&1", EXE, fleet);
    cr_assert_eq(run(cmd, NULL), 2);
}
