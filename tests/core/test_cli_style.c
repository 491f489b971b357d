/* The command line's one error style (src/cli/cli_util.h): every subcommand words a bad
 * command line as "jigsaw CMD: error: ..." plus one line pointing to --help, never the
 * whole help; "did you mean" for subcommands and options; `jigsaw help CMD`; both
 * spellings of --max-utilisation. Runs JS_JIGSAW_EXE. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define SRC JS_SOURCE_ROOT
#define EXE JS_JIGSAW_EXE

typedef struct outcome {
    int code;
    char out[16384];
    char err[16384];
} outcome;

static void slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    size_t got = fread(buf, 1, n - 1, f);
    buf[got] = '\0';
    fclose(f);
}

/* `jigsaw ARGS` from the source root, stdout and stderr kept apart. */
static void jig(const char *args, outcome *o)
{
    char dir[] = "/tmp/jigsaw-cli-style-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >'%s/out' 2>'%s/err'", SRC, EXE, args, dir,
             dir);
    int st = system(cmd);
    o->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    char p[256];
    snprintf(p, sizeof p, "%s/out", dir);
    slurp(p, o->out, sizeof o->out);
    snprintf(p, sizeof p, "%s/err", dir);
    slurp(p, o->err, sizeof o->err);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* A usage error: exit 2, nothing on stdout, exactly the error line and the pointer. */
static void expect_usage_error(const char *args, const char *cmd, const char *message)
{
    outcome o;
    jig(args, &o);
    cr_assert_eq(o.code, 2, "jigsaw %s: exit %d, want 2", args, o.code);
    cr_assert_str_empty(o.out, "jigsaw %s printed on stdout: %s", args, o.out);
    char want[1024];
    snprintf(want, sizeof want, "jigsaw%s%s: error: %s\nTry 'jigsaw%s%s --help' for more "
             "information.\n", *cmd ? " " : "", cmd, message, *cmd ? " " : "", cmd);
    cr_assert_str_eq(o.err, want, "jigsaw %s", args);
    cr_assert_eq(count_lines(o.err), 2);
}

Test(cli_style, unknown_option_every_subcommand)
{
    static const char *const cmds[] = {"check", "show", "import", "plan", "simulate",
                                       "capacity", "run", "compare", "sweep"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char args[128];
        snprintf(args, sizeof args, "%s --bogus", cmds[i]);
        expect_usage_error(args, cmds[i], "unknown option '--bogus'");
    }
    /* Nested subcommands name themselves in full, not as getopt's argv[0] ("show:"). */
    expect_usage_error("profile show --bogus", "profile show", "unknown option '--bogus'");
    expect_usage_error("gpu probe --bogus", "gpu probe", "unknown option '--bogus'");
    expect_usage_error("gpu validate --bogus", "gpu validate", "unknown option '--bogus'");
}

Test(cli_style, did_you_mean)
{
    expect_usage_error("pln", "", "unknown command 'pln'; did you mean 'plan'?");
    expect_usage_error("simulat x", "", "unknown command 'simulat'; did you mean 'simulate'?");
    expect_usage_error("frobnicate", "", "unknown command 'frobnicate'");
    expect_usage_error("--hepl", "", "unknown option '--hepl'; did you mean '--help'?");
    expect_usage_error("plan scenarios/example.json --max-demnd", "plan",
                       "unknown option '--max-demnd'; did you mean '--max-demand'?");
    expect_usage_error("compare --no-plotz", "compare",
                       "unknown option '--no-plotz'; did you mean '--no-plots'?");
    expect_usage_error("simulate x --trace-dya 3", "simulate",
                       "unknown option '--trace-dya'; did you mean '--trace-day'?");
    expect_usage_error("profile shwo x", "profile",
                       "unknown subcommand 'shwo'; did you mean 'show'?");
    expect_usage_error("gpu valdate", "gpu",
                       "unknown subcommand 'valdate'; did you mean 'validate'?");
    /* Far from every option: no guess. */
    expect_usage_error("plan x --zzzzzzzzzz", "plan", "unknown option '--zzzzzzzzzz'");
}

Test(cli_style, values_and_abbreviations)
{
    expect_usage_error("plan x --gpus", "plan", "option '--gpus' needs a value");
    expect_usage_error("plan x -o", "plan", "option '-o' needs a value");
    expect_usage_error("plan x -Q", "plan", "unknown option '-Q'");
    expect_usage_error("plan x --json=yes", "plan", "option '--json' takes no value");
    expect_usage_error("plan x --max 3", "plan",
                       "option '--max' is ambiguous: '--max-demand', '--max-demand-app', "
                       "'--max-utilisation', '--max-utilization', '--max-batch'");
    expect_usage_error("plan scenarios/example.json --max-batch 0", "plan",
                       "--max-batch must be an integer in 1..1048576, got '0'");
    expect_usage_error("check", "check", "no FILE given");
    expect_usage_error("capacity", "capacity", "expected exactly one SCENARIO file");
    expect_usage_error("compare extra", "compare",
                       "unexpected argument 'extra' (compare takes options only)");
    expect_usage_error("compare --peak-fraction 9", "compare",
                       "bad value '9' for --peak-fraction (see --help for its range)");
    expect_usage_error("run x --trace y --headroom -1", "run",
                       "bad value '-1' for --headroom (see --help for its range)");
}

/* The host-side options (docs/host-model.md): one parser, one message, on every command
 * that loads a scenario; NaN, negative and absurd values are usage errors. */
Test(cli_style, host_options_every_command)
{
    static const char *const cmds[] = {"plan x", "capacity x", "simulate x", "run x",
                                       "compare"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char args[256], name[32];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(cmds[i], " "), cmds[i]);
        snprintf(args, sizeof args, "%s --host-ms nan", cmds[i]);
        expect_usage_error(args, name, "--host-ms must be milliseconds in [0, 60000], got 'nan'");
        snprintf(args, sizeof args, "%s --host-ms -1", cmds[i]);
        expect_usage_error(args, name, "--host-ms must be milliseconds in [0, 60000], got '-1'");
        snprintf(args, sizeof args, "%s --host-ms-per-batch 1e9", cmds[i]);
        expect_usage_error(args, name,
                           "--host-ms-per-batch must be milliseconds in [0, 60000], got '1e9'");
        snprintf(args, sizeof args, "%s --host-regime fast", cmds[i]);
        expect_usage_error(args, name, "--host-regime must be none or calibrated, got 'fast'");
        snprintf(args, sizeof args, "%s --cpu-cores -3", cmds[i]);
        expect_usage_error(args, name,
                           "--cpu-cores must be an integer in 0..65536 (0: unlimited), got '-3'");
    }
}

/* A data error is not a usage error: same prefix, no pointer to --help. */
Test(cli_style, data_errors_name_the_command)
{
    outcome o;
    jig("plan no-such-scenario.json", &o);
    cr_assert_eq(o.code, 66);
    cr_assert_str_eq(o.err, "jigsaw plan: error: no-such-scenario.json: cannot open: No such "
                            "file or directory\n");
}

Test(cli_style, help_command)
{
    static const char *const cmds[] = {"plan", "check", "compare", "profile", "gpu"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        outcome a, b;
        char args[64];
        snprintf(args, sizeof args, "help %s", cmds[i]);
        jig(args, &a);
        snprintf(args, sizeof args, "%s --help", cmds[i]);
        jig(args, &b);
        cr_assert_eq(a.code, 0);
        cr_assert_eq(b.code, 0);
        cr_assert_str_eq(a.out, b.out, "help %s differs from %s --help", cmds[i], cmds[i]);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: jigsaw %s", cmds[i]);
        cr_assert_not_null(strstr(a.out, usage), "help %s: %s", cmds[i], a.out);
    }
    outcome top;
    jig("help", &top);
    cr_assert_eq(top.code, 0);
    cr_assert_not_null(strstr(top.out, "commands:"));
    expect_usage_error("help plna", "", "unknown command 'plna'; did you mean 'plan'?");
}

/* --max-utilization is --max-utilisation: same checks, same plan. */
Test(cli_style, utilization_both_spellings)
{
    expect_usage_error("plan scenarios/example.json --max-utilization 1.5", "plan",
                       "--max-utilisation must be a number in (0, 1], got '1.5'");
    outcome a, b, none;
    jig("plan scenarios/example.json --rule paper --max-utilisation 0.5 --json", &a);
    jig("plan scenarios/example.json --rule paper --max-utilization 0.5 --json", &b);
    jig("plan scenarios/example.json --rule paper --json", &none);
    cr_assert_eq(a.code, 0, "%s", a.err);
    cr_assert_eq(b.code, 0, "%s", b.err);
    cr_assert_str_eq(a.out, b.out);
    cr_assert_str_neq(a.out, none.out, "the cap changes the plan (else this proves nothing)");
}

/* simulate and run take compare's --trace-day: day N is the window [N, N + 1) days. */
Test(cli_style, trace_day_is_a_one_day_window)
{
    char dir[] = "/tmp/jigsaw-trace-day-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char args[2048];
    outcome plan, day2, window, day3;
    snprintf(args, sizeof args, "plan scenarios/example.json --rule paper --json -o %s/p.json",
             dir);
    jig(args, &plan);
    cr_assert_eq(plan.code, 0, "%s", plan.err);
    const char *common = "--trace scenarios/traces/nasa-http-1995/workload.tbz2 --trace-mean "
                         "100 --trace-compression 60 --json";
    snprintf(args, sizeof args, "simulate scenarios/example.json --plan %s/p.json %s "
             "--trace-day 2", dir, common);
    jig(args, &day2);
    snprintf(args, sizeof args, "simulate scenarios/example.json --plan %s/p.json %s "
             "--trace-start 172800 --trace-duration 86400", dir, common);
    jig(args, &window);
    snprintf(args, sizeof args, "simulate scenarios/example.json --plan %s/p.json %s "
             "--trace-day 3", dir, common);
    jig(args, &day3);
    cr_assert_eq(day2.code, 0, "%s", day2.err);
    cr_assert_str_eq(day2.out, window.out);
    cr_assert_str_neq(day2.out, day3.out, "another day, other arrivals");
    snprintf(args, sizeof args, "simulate scenarios/example.json --plan %s/p.json %s "
             "--trace-day 2 --trace-start 5", dir, common);
    expect_usage_error(args, "simulate", "give --trace-day or --trace-start, not both");
    expect_usage_error("run scenarios/example.json --trace x --trace-day -1", "run",
                       "--trace-day must be an integer in 0..36500, got '-1'");
    snprintf(args, sizeof args, "rm -rf '%s'", dir);
    cr_assert_eq(system(args), 0);
}

/* capacity sets the paper's gains beside the paper's applications only. */
Test(cli_style, capacity_paper_column_only_for_paper_apps)
{
    outcome own, paper;
    jig("capacity scenarios/example.json --rule paper --systems unopt,S", &own);
    cr_assert_eq(own.code, 0, "%s", own.err);
    cr_assert_null(strstr(own.out, " paper "), "a user's pipeline has no paper column:\n%s",
                   own.out);
    cr_assert_null(strstr(own.out, "5.25x"), "%s", own.out);
    jig("capacity scenarios/social-media-a100-4.json --rule paper --systems unopt,S", &paper);
    cr_assert_eq(paper.code, 0, "%s", paper.err);
    cr_assert_not_null(strstr(paper.out, " paper "), "%s", paper.out);
    cr_assert_not_null(strstr(paper.out, "5.25x"), "%s", paper.out);
}

/* A profile whose every entry is unavailable says so, not that its table is empty. */
Test(cli_style, all_unavailable_profile_says_so)
{
    outcome o;
    jig("check tests/core/bad/p-all-unavailable.json", &o);
    cr_assert_eq(o.code, 65);
    cr_assert_not_null(strstr(o.err, "\"available\": false"), "%s", o.err);
    cr_assert_null(strstr(o.err, "empty"), "%s", o.err);
}

/* simulate warns when --rate is beyond what the plan's segments serve, and only then. */
Test(cli_style, simulate_rate_above_capacity_warns)
{
    char dir[] = "/tmp/jigsaw-overload-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char args[1024];
    outcome plan, over, under;
    snprintf(args, sizeof args, "plan scenarios/example.json --rule paper --json -o %s/p.json",
             dir);
    jig(args, &plan);
    cr_assert_eq(plan.code, 0, "%s", plan.err);
    snprintf(args, sizeof args, "simulate scenarios/example.json --plan %s/p.json --rate 2000 "
             "--duration 2", dir);
    jig(args, &over);
    cr_assert_eq(over.code, 0, "%s", over.err);
    cr_assert_not_null(strstr(over.err, "jigsaw simulate: warning: --rate 2000 is 9.9x what "
                                        "the plan serves for classify-verify"), "%s", over.err);
    snprintf(args, sizeof args, "simulate scenarios/example.json --plan %s/p.json --rate 150 "
             "--duration 2", dir);
    jig(args, &under);
    cr_assert_eq(under.code, 0, "%s", under.err);
    cr_assert_str_empty(under.err);
    snprintf(args, sizeof args, "rm -rf '%s'", dir);
    cr_assert_eq(system(args), 0);
}

/* compare --quick never replaces a full run's results: refused before any work. */
Test(cli_style, quick_compare_keeps_full_results)
{
    char dir[] = "/tmp/jigsaw-full-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256], args[512];
    snprintf(path, sizeof path, "%s/REPORT.md", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("# JigsawServe reproduced\n\nGenerated by `jigsaw compare` (`scripts/reproduce.sh` "
          "regenerates it).\n", f);
    fclose(f);
    snprintf(args, sizeof args, "compare --quick --out %s", dir);
    outcome o;
    jig(args, &o);
    cr_assert_eq(o.code, 2, "%s", o.err);
    cr_assert_not_null(strstr(o.err, "holds a full run's results"), "%s", o.err);
    snprintf(args, sizeof args, "ls '%s' | wc -l | grep -qx 1", dir);
    cr_assert_eq(system(args), 0, "compare --quick wrote into the full run's directory");
    snprintf(args, sizeof args, "rm -rf '%s'", dir);
    cr_assert_eq(system(args), 0);
}

/* compare without its inputs fails before it makes the results directory. */
Test(cli_style, compare_without_data_makes_no_directory)
{
    char dir[] = "/tmp/jigsaw-nodata-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char args[512];
    snprintf(args, sizeof args, "compare --quick --scenarios %s/none --out %s/out", dir, dir);
    outcome o;
    jig(args, &o);
    cr_assert_eq(o.code, 66, "%s", o.err);
    cr_assert_not_null(strstr(o.err, "jigsaw compare: error: "), "%s", o.err);
    snprintf(args, sizeof args, "test ! -e '%s/out'", dir);
    cr_assert_eq(system(args), 0, "compare left %s/out behind", dir);
    snprintf(args, sizeof args, "rm -rf '%s'", dir);
    cr_assert_eq(system(args), 0);
}
