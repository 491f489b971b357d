/* jigsaw simulate from the command line: output keys, byte-identical reruns, timeline,
 * exit codes. Plans the shipped example scenario first (fast). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#define EXE JS_JIGSAW_EXE
#define SCEN JS_SOURCE_ROOT "/scenarios/example.json"

static char dir[] = "/tmp/js_sim_cli_XXXXXX";

static char cmdbuf[4096];

static int run_cmd(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Format a shell command (literal format, so the compiler checks it) and run it. */
#define sh(...) (snprintf(cmdbuf, sizeof cmdbuf, __VA_ARGS__), run_cmd(cmdbuf))

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' plan '%s' --json -o '%s/plan.json' >/dev/null", EXE, SCEN,
             dir);
    cr_assert_eq(system(cmd), 0, "planning the example failed");
}

static void teardown(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(cli, .init = setup, .fini = teardown);

Test(cli, json_keys_identical_reruns_and_timeline)
{
#define RUN_ONCE                                                                           \
    sh("'" EXE "' simulate '" SCEN "' --plan '%s/plan.json' --duration 120 --seed 5 --json "   \
       "--timeline '%s/tl.csv' > \"$PWD/o.json\"", dir, dir)
    cr_assert_eq(chdir(dir), 0);
    cr_assert_eq(RUN_ONCE, 0);
    char *a = slurp("o.json");
    char *tl1 = slurp("tl.csv");
    cr_assert_eq(RUN_ONCE, 0);
    char *b = slurp("o.json");
    char *tl2 = slurp("tl.csv");
    cr_assert_str_eq(a, b, "same inputs and seed must give the same bytes");
    cr_assert_str_eq(tl1, tl2);
    cJSON *j = cJSON_Parse(a);
    cr_assert_not_null(j);
    const char *keys[] = {"requests", "completed", "late", "dropped", "violation_rate",
                          "latency_ms", "accuracy", "slices_avg", "events", "apps", "tasks"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        cr_assert_not_null(cJSON_GetObjectItem(j, keys[i]), "missing key %s", keys[i]);
    const cJSON *lat = cJSON_GetObjectItem(j, "latency_ms");
    cr_assert_not_null(cJSON_GetObjectItem(lat, "p99"));
    double req = cJSON_GetObjectItem(j, "requests")->valuedouble;
    double fin = cJSON_GetObjectItem(j, "completed")->valuedouble +
                 cJSON_GetObjectItem(j, "dropped")->valuedouble +
                 cJSON_GetObjectItem(j, "in_flight")->valuedouble;
    cr_assert(req > 0 && req == fin, "conservation in the JSON");
    /* Arrivals stop at 120 s and the run ends when the last request in flight finishes
     * (sim_time_s > 120 at ~200 req/s): the header, then two 60 s intervals and the drain
     * interval [120, sim_time_s), each as an app row and an "all" row. */
    double end = cJSON_GetObjectItem(j, "sim_time_s")->valuedouble;
    cr_assert(end > 120.0 && end < 125.0, "sim_time_s %g", end);
    static const double t0[3] = {0, 60, 120}, t1[2] = {60, 120};
    int lines = 0;
    const char *p = tl1;
    for (const char *q; (q = strchr(p, '\n')) != NULL; p = q + 1, lines++) {
        if (lines == 0)
            continue;
        double a0 = -1, a1 = -1;
        cr_assert_eq(sscanf(p, "%lf,%lf,", &a0, &a1), 2, "row %d", lines);
        int k = (lines - 1) / 2;
        cr_assert(k < 3, "timeline has more than 3 intervals:\n%s", tl1);
        cr_assert_eq(a0, t0[k], "row %d starts at %g", lines, a0);
        double want = k < 2 ? t1[k] : end;
        cr_assert(fabs(a1 - want) <= 1e-5 * want, "row %d ends at %g, want %g", lines, a1, want);
    }
    cr_assert_eq(lines, 1 + 3 * 2, "timeline lines %d:\n%s", lines, tl1);
    cJSON_Delete(j);
    free(a);
    free(b);
    free(tl1);
    free(tl2);
}

Test(cli, exit_codes)
{
    cr_assert_eq(sh("'" EXE "' simulate '" SCEN "' 2>/dev/null"), 2, "no --plan");
    cr_assert_eq(sh("'" EXE "' simulate '" SCEN "' --plan '%s/plan.json' --arrivals x "
                    "2>/dev/null", dir), 2);
    cr_assert_eq(sh("'" EXE "' simulate '" SCEN "' --plan '%s/none.json' 2>/dev/null", dir),
                 66);
    cr_assert_eq(sh("'" EXE "' simulate '" SCEN "' --plan '%s/plan.json' --trace "
                    "'%s/none.csv' 2>/dev/null", dir, dir), 66);
    cr_assert_eq(sh("'" EXE "' simulate '" SCEN "' --plan '%s/plan.json' --duration 5 "
                    "--timeline '%s/no/such/dir.csv' >/dev/null 2>&1", dir, dir), 73);
    cr_assert_eq(sh("'" EXE "' simulate --help >/dev/null"), 0);
}
