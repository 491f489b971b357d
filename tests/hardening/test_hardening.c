/* Reliability hardening (issue 16), one test per class of fault, through the executable:
 *  1. -o onto a non-regular file (device, FIFO, symlink, directory);
 *  2. results lost on a full stdout (/dev/full) exit 73 for every command that prints;
 *  3. a few bytes of input asking for unbounded work (traces, plans, fan-outs, --rate,
 *     the simulator's request budget);
 *  4. what check accepts, simulate accepts, and the reverse (plans against a scenario,
 *     profiles against their GPU type);
 *  5. solver limits: time limit without a plan is exit 75, never 3; the limit holds;
 *     GLPK's fatal error under a memory limit is exit 1, not SIGABRT;
 *  6. messages quote only the offending token.
 * Fixtures: tests/hardening/{plans,traces,data}, tests/core/bad (scenario and profile
 * limits, in its MANIFEST). */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "command.h"
#include "jigsaw/util.h"

#define SRC JS_SOURCE_ROOT
#define EXE JS_JIGSAW_EXE
#define EXAMPLE SRC "/scenarios/example.json"
#define OKPLAN SRC "/tests/hardening/plans/ok.json"

/* Run a shell command; stdout and stderr together into *out (may be NULL); exit code,
 * or 128 + signal. */
static int run(const char *cmd, char **out)
{
    char full[4096];
    if (strstr(cmd, "2>&1") != NULL) /* the command routes its own streams */
        snprintf(full, sizeof full, "%s", cmd);
    else
        snprintf(full, sizeof full, "{ %s; } 2>&1", cmd);
    return tc_run_command(full, out);
}

static void tmpdir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/jigsaw-hardening-XXXXXX");
    cr_assert_not_null(mkdtemp(buf));
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Each line of a MANIFEST.tsv (file, exit code, text): fn(file, code, text). */
static int each_manifest_line(const char *manifest, void (*fn)(const char *, int, const char *))
{
    FILE *f = fopen(manifest, "r");
    cr_assert_not_null(f, "%s", manifest);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *t1 = strchr(line, '\t');
        cr_assert_not_null(t1, "%s: %s", manifest, line);
        *t1 = '\0';
        char *t2 = strchr(t1 + 1, '\t');
        cr_assert_not_null(t2);
        *t2 = '\0';
        fn(line, atoi(t1 + 1), t2 + 1);
        n++;
    }
    fclose(f);
    return n;
}

/* ---- 1. outputs onto non-regular files --------------------------------------------- */

Test(output, dev_null_is_written_through_not_replaced)
{
    struct stat before, after;
    cr_assert_eq(stat("/dev/null", &before), 0);
    char cmd[1024], *out = NULL;
    snprintf(cmd, sizeof cmd, "'%s' plan '%s' --rule paper --json -o /dev/null", EXE, EXAMPLE);
    int rc = run(cmd, &out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert_eq(stat("/dev/null", &after), 0);
    cr_assert(S_ISCHR(after.st_mode), "/dev/null is no longer a character device");
    cr_assert_eq(before.st_rdev, after.st_rdev);
    cr_assert_eq(before.st_ino, after.st_ino, "/dev/null was replaced");
    free(out);
}

Test(output, fifo_is_written_through)
{
    char dir[64], fifo[128], cmd[1024], *out = NULL;
    tmpdir(dir, sizeof dir);
    snprintf(fifo, sizeof fifo, "%s/out.fifo", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    /* The reader in the background, as a shell pipeline would have it. */
    snprintf(cmd, sizeof cmd,
             "cat '%s/out.fifo' > '%s/got.json' & '%s' plan '%s' --rule paper --json -o "
             "'%s'; rc=$?; wait; exit $rc",
             dir, dir, EXE, EXAMPLE, fifo);
    int rc = run(cmd, &out);
    cr_assert_eq(rc, 0, "%s", out);
    struct stat st;
    cr_assert_eq(lstat(fifo, &st), 0);
    cr_assert(S_ISFIFO(st.st_mode), "the FIFO was replaced by a regular file");
    char got[160];
    snprintf(got, sizeof got, "%s/got.json", dir);
    cr_assert_eq(stat(got, &st), 0);
    cr_assert_gt(st.st_size, 100, "nothing came through the FIFO");
    free(out);
    rm_rf(dir);
}

Test(output, symlink_is_kept_and_its_target_replaced)
{
    char dir[64], link[128], target[128], cmd[1024], *out = NULL;
    tmpdir(dir, sizeof dir);
    snprintf(target, sizeof target, "%s/target.json", dir);
    snprintf(link, sizeof link, "%s/link.json", dir);
    FILE *f = fopen(target, "w");
    cr_assert_not_null(f);
    fputs("old\n", f);
    fclose(f);
    cr_assert_eq(symlink("target.json", link), 0);
    snprintf(cmd, sizeof cmd, "'%s' plan '%s' --rule paper --json -o '%s'", EXE, EXAMPLE, link);
    int rc = run(cmd, &out);
    cr_assert_eq(rc, 0, "%s", out);
    struct stat st;
    cr_assert_eq(lstat(link, &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "the symbolic link was replaced");
    cr_assert_eq(stat(target, &st), 0);
    cr_assert_gt(st.st_size, 100, "the link's target was not written");
    free(out);
    /* A dangling link is refused: 73, and nothing is created. */
    char dangling[128];
    snprintf(dangling, sizeof dangling, "%s/dangling.json", dir);
    cr_assert_eq(symlink("missing/x.json", dangling), 0);
    snprintf(cmd, sizeof cmd, "'%s' plan '%s' --rule paper --json -o '%s'", EXE, EXAMPLE,
             dangling);
    rc = run(cmd, &out);
    cr_assert_eq(rc, 73, "%s", out);
    cr_assert(strstr(out, "dangling.json") != NULL, "%s", out);
    free(out);
    rm_rf(dir);
}

Test(output, directory_target_is_refused_with_73)
{
    char dir[64], cmd[1024], *out = NULL;
    tmpdir(dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "'%s' plan '%s' --rule paper --json -o '%s'", EXE, EXAMPLE, dir);
    int rc = run(cmd, &out);
    cr_assert_eq(rc, 73, "%s", out);
    cr_assert(strstr(out, "not a regular file") != NULL, "%s", out);
    struct stat st;
    cr_assert_eq(stat(dir, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    free(out);
    rm_rf(dir);
}

/* ---- 2. a full stdout ---------------------------------------------------------------- */

Test(output, full_stdout_exits_73_for_every_command, .timeout = 120)
{
    static const char *const cmds[] = {
        "--version",
        "--help",
        "check " EXAMPLE,
        "check --json " EXAMPLE,
        "show " EXAMPLE,
        "profile show resnet50 --gpu a100-80gb",
        "plan " EXAMPLE " --rule paper",
        "plan " EXAMPLE " --rule paper --json",
        "simulate " EXAMPLE " --plan " OKPLAN " --duration 5",
        "simulate " EXAMPLE " --plan " OKPLAN " --duration 5 --json",
        "capacity " EXAMPLE " --rule paper --systems unopt,A+S+T",
        "run " EXAMPLE " --trace " SRC "/fuzz/seeds/trace/rates.csv --system A+S+T --rule paper",
    };
    if (access("/dev/full", W_OK) != 0)
        cr_skip_test("no /dev/full");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char cmd[2048], *out = NULL;
        snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s 2>&1 >/dev/full", SRC, EXE, cmds[i]);
        /* The command must work at all: the same with a working stdout first. */
        char ok[2048];
        snprintf(ok, sizeof ok, "cd '%s' && '%s' %s >/dev/null", SRC, EXE, cmds[i]);
        int rc0 = run(ok, &out);
        cr_assert_eq(rc0, 0, "jigsaw %s: exit %d\n%s", cmds[i], rc0, out);
        free(out);
        int rc = run(cmd, &out);
        cr_assert_eq(rc, 73, "jigsaw %s >/dev/full: exit %d\n%s", cmds[i], rc, out);
        cr_assert(strstr(out, "standard output") != NULL, "%s", out);
        free(out);
    }
}

/* ---- 3. bounded work ------------------------------------------------------------------ */

static void trace_line(const char *file, int code, const char *text)
{
    char cmd[2048], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "'%s' simulate '%s' --plan '%s' --trace '%s/tests/hardening/traces/%s'", EXE,
             EXAMPLE, OKPLAN, SRC, file);
    double t0 = js_now_s();
    int rc = run(cmd, &out);
    cr_assert_eq(rc, code, "%s: exit %d\n%s", file, rc, out);
    cr_assert(strstr(out, text) != NULL, "%s: message lacks \"%s\":\n%s", file, text, out);
    cr_assert(strstr(out, file) != NULL, "%s: message names no file:\n%s", file, out);
    cr_assert_lt(js_now_s() - t0, 20.0, "%s took too long", file);
    free(out);
}

Test(limits, traces_past_the_limits_are_rejected_quickly, .timeout = 120)
{
    int n = each_manifest_line(SRC "/tests/hardening/traces/MANIFEST.tsv", trace_line);
    cr_assert_geq(n, 8);
}

Test(limits, rate_option_and_request_budget)
{
    char cmd[2048], *out = NULL;
    snprintf(cmd, sizeof cmd, "'%s' simulate '%s' --plan '%s' --rate 1e9", EXE, EXAMPLE, OKPLAN);
    int rc = run(cmd, &out);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "limit") != NULL, "%s", out);
    free(out);
    /* Stated up front: rate x duration past the budget, before any simulation. */
    snprintf(cmd, sizeof cmd, "'%s' simulate '%s' --plan '%s' --rate 1e5 --duration 1000", EXE,
             EXAMPLE, OKPLAN);
    double t0 = js_now_s();
    rc = run(cmd, &out);
    cr_assert_eq(rc, 65, "%s", out);
    cr_assert(strstr(out, "work budget of 50000000") != NULL, "%s", out);
    cr_assert(strstr(out, "--max-requests") != NULL, "%s", out);
    cr_assert_lt(js_now_s() - t0, 10.0);
    free(out);
    /* A trace: checked as requests arrive; the option raises the budget. */
    snprintf(cmd, sizeof cmd,
             "'%s' simulate '%s' --plan '%s' --trace '%s/fuzz/seeds/trace/rates.csv' "
             "--max-requests 50",
             EXE, EXAMPLE, OKPLAN, SRC);
    rc = run(cmd, &out);
    cr_assert_eq(rc, 65, "%s", out);
    cr_assert(strstr(out, "more than 50 requests") != NULL, "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd,
             "'%s' simulate '%s' --plan '%s' --trace '%s/fuzz/seeds/trace/rates.csv' "
             "--max-requests 100000000",
             EXE, EXAMPLE, OKPLAN, SRC);
    rc = run(cmd, &out);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    /* run's simulation has the same budget and option. */
    snprintf(cmd, sizeof cmd,
             "'%s' run '%s' --trace '%s/fuzz/seeds/trace/rates.csv' --system A+S+T --rule paper "
             "--max-requests 50",
             EXE, EXAMPLE, SRC);
    rc = run(cmd, &out);
    cr_assert_eq(rc, 65, "%s", out);
    cr_assert(strstr(out, "more than 50 requests") != NULL, "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' simulate '%s' --plan '%s' --max-requests 0", EXE, EXAMPLE,
             OKPLAN);
    rc = run(cmd, &out);
    cr_assert_eq(rc, 2, "%s", out);
    free(out);
}

/* A plan listing 100,000 GPUs for a 4-GPU cluster: rejected at once by check and simulate. */
Test(limits, plan_with_100000_gpus)
{
    char dir[64], path[128];
    tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/huge.json", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("{\"kind\": \"plan\", \"format_version\": 1, \"system\": \"A+S+T\", \"feasible\": true,"
          " \"apps\": [{\"name\": \"classify-verify\", \"rate\": 1, \"tasks\": ["
          "{\"task\": \"classify\", \"variant\": \"resnet50\", \"segments\": []},"
          "{\"task\": \"verify\", \"variant\": \"vgg16\", \"segments\": []}]}], \"gpus\": [",
          f);
    for (int i = 0; i < 100000; i++)
        fprintf(f, "%s{\"instances\": []}", i ? "," : "");
    fputs("]}\n", f);
    fclose(f);
    for (int k = 0; k < 2; k++) {
        char cmd[1024], *out = NULL;
        if (k == 0)
            snprintf(cmd, sizeof cmd, "'%s' check --scenario '%s' '%s'", EXE, EXAMPLE, path);
        else
            snprintf(cmd, sizeof cmd, "'%s' simulate '%s' --plan '%s' --duration 1", EXE,
                     EXAMPLE, path);
        int rc = run(cmd, &out);
        cr_assert_eq(rc, 65, "%s", out);
        cr_assert(strstr(out, "$.gpus: lists 100000 GPUs, the cluster of scenario example has 4") !=
                      NULL,
                  "%s", out);
        free(out);
    }
    rm_rf(dir);
}

/* ---- 4. one validation path ----------------------------------------------------------- */

static void plan_line(const char *file, int code, const char *path)
{
    char cmd[2048], *out = NULL;
    snprintf(cmd, sizeof cmd, "'%s' check --scenario '%s' '%s/tests/hardening/plans/%s'", EXE,
             EXAMPLE, SRC, file);
    int rc = run(cmd, &out);
    cr_assert_eq(rc, code, "check %s: exit %d\n%s", file, rc, out);
    cr_assert(strstr(out, path) != NULL, "check %s: message lacks %s:\n%s", file, path, out);
    free(out);
    snprintf(cmd, sizeof cmd,
             "'%s' simulate '%s' --plan '%s/tests/hardening/plans/%s' --duration 1", EXE,
             EXAMPLE, SRC, file);
    rc = run(cmd, &out);
    cr_assert_eq(rc, code, "simulate %s: exit %d\n%s", file, rc, out);
    cr_assert(strstr(out, path) != NULL, "simulate %s: message lacks %s:\n%s", file, path, out);
    free(out);
}

Test(validation, check_and_simulate_reject_the_same_plans, .timeout = 120)
{
    int n = each_manifest_line(SRC "/tests/hardening/plans/MANIFEST.tsv", plan_line);
    cr_assert_geq(n, 15);
    /* ... and accept the same plan. */
    plan_line("ok.json", 0, "");
}

Test(validation, profile_checked_against_its_gpu_type)
{
    char cmd[2048], *out = NULL;
    /* check on the profile alone finds its GPU type beside it (../gpus/). */
    snprintf(cmd, sizeof cmd, "'%s' check '%s/tests/hardening/data/profiles/a100-80gb/mig9.json'",
             EXE, SRC);
    int rc = run(cmd, &out);
    cr_assert_eq(rc, 65, "%s", out);
    cr_assert(strstr(out, "$.entries: an entry for a 9-slice instance") != NULL, "%s", out);
    free(out);
    /* A scenario using it is rejected the same way (plan and simulate load scenarios). */
    snprintf(cmd, sizeof cmd, "'%s' plan '%s/tests/hardening/data/scenarios/mig9.json'", EXE, SRC);
    rc = run(cmd, &out);
    cr_assert_eq(rc, 65, "%s", out);
    cr_assert(strstr(out, "9-slice") != NULL, "%s", out);
    free(out);
}

/* ---- 5. solver limits ----------------------------------------------------------------- */

Test(solver, time_limit_without_a_plan_is_75_not_3, .timeout = 120)
{
    static const char *const modes[] = {"", "--max-demand"};
    for (int k = 0; k < 2; k++) {
        char cmd[2048], *out = NULL;
        snprintf(cmd, sizeof cmd,
                 "'%s' plan '%s/scenarios/ar-assistant-h100-120.json' %s --time-limit 0.3", EXE,
                 SRC, modes[k]);
        int rc = run(cmd, &out);
        cr_assert_eq(rc, 75, "%s: exit %d\n%s", modes[k], rc, out);
        cr_assert(strstr(out, "time limit") != NULL, "%s", out);
        cr_assert(strstr(out, "infeasib") == NULL && strstr(out, "no positive demand") == NULL,
                  "a time limit claimed infeasibility:\n%s", out);
        free(out);
    }
}

Test(solver, time_limit_is_honoured, .timeout = 120)
{
    /* The solves stop at the deadline; what follows the last one (the prediction, the
     * output) is slower on a loaded machine and several times slower under the
     * sanitizers. The 10 % figure is measured unloaded (README); this catches the old
     * overruns of 2x and more. */
#ifdef __SANITIZE_ADDRESS__
    const double slack = 2.5;
#else
    const double slack = 1.3;
#endif
    const double limit = 4.0;
    /* Loading the scenario and writing the output are outside the planner's clock: a run
     * whose limit has passed before it starts measures them, and is subtracted. */
    double wall[2];
    const double limits[2] = {0.001, limit};
    for (int k = 0; k < 2; k++) {
        char cmd[2048], *out = NULL;
        snprintf(cmd, sizeof cmd,
                 "'%s' plan '%s/scenarios/traffic-analysis-h100-120.json' --max-demand "
                 "--time-limit %g --json",
                 EXE, SRC, limits[k]);
        double t0 = js_now_s();
        int rc = run(cmd, &out);
        wall[k] = js_now_s() - t0;
        cr_assert(rc == 0 || rc == 75, "exit %d\n%.500s", rc, out);
        free(out);
    }
    cr_assert_lt(wall[1] - wall[0], limit * slack,
                 "--time-limit %g took %.2f s more than a run with no time at all (%.2f s)",
                 limit, wall[1] - wall[0], wall[0]);
}

Test(solver, glpk_fatal_error_under_a_memory_limit_is_exit_1)
{
#ifdef __SANITIZE_ADDRESS__
    cr_skip_test("AddressSanitizer needs more address space than the limit");
#else
    /* 20 MB of address space: GLPK's allocator fails inside the solver (or ours does
     * first); either way a message and exit 1, never SIGABRT. */
    char cmd[2048], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "ulimit -v 20000; '%s' plan '%s/scenarios/traffic-analysis-h100-120.json' "
             "--time-limit 5",
             EXE, SRC);
    int rc = run(cmd, &out);
    cr_assert_eq(rc, 1, "exit %d\n%s", rc, out);
    cr_assert(strstr(out, "out of memory") != NULL, "%s", out);
    free(out);
#endif
}

/* ---- 6. messages quote the offending token only ----------------------------------------- */

Test(messages, a_wrong_file_is_not_echoed)
{
    char dir[64], path[128], cmd[1024], *out = NULL;
    tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/passwd", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("root:x:0:0:root:/root:/bin/bash\nsecret-line\n", f);
    fclose(f);
    /* As a JSON file (what a sweep naming it as its scenario reads) and as a trace. */
    snprintf(cmd, sizeof cmd, "'%s' check '%s'; '%s' simulate '%s' --plan '%s' --trace '%s'",
             EXE, path, EXE, EXAMPLE, OKPLAN, path);
    run(cmd, &out);
    cr_assert(strstr(out, "near 'root'") != NULL, "%s", out);
    cr_assert(strstr(out, "/bin/bash") == NULL && strstr(out, ":x:0") == NULL &&
                  strstr(out, "secret") == NULL,
              "a message echoed the file:\n%s", out);
    free(out);
    rm_rf(dir);
}
