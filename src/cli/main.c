/* jigsaw: capacity planner and simulator for compound inference on GPUs.
 * The entry point only dispatches to one subcommand per file in src/cli/. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jigsaw/cli.h"
#include "cli_util.h"
#include "jigsaw/diag.h"
#include "js_config.h"

typedef struct js_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} js_command;

static const js_command commands[] = {
    {"check", js_cmd_check, "validate scenario, profile, GPU and plan files"},
    {"show", js_cmd_show, "print a scenario's task graphs, paths, variants and cluster"},
    {"import", js_cmd_import, "import measured data (ParvaGPU A100 tables) into our formats"},
    {"profile", js_cmd_profile, "fit the performance model, generate and show profiles"},
    {"plan", js_cmd_plan, "plan variants, MIG slices, MPS workers and batches (GLPK MILP)"},
    {"simulate", js_cmd_simulate, "replay a trace or synthetic arrivals through a plan"},
    {"capacity", js_cmd_capacity, "maximum serviceable demand of every system"},
    {"run", js_cmd_run, "trace-driven controller: re-plan every interval and simulate"},
    {"compare", js_cmd_compare, "reproduce the paper's study side by side (the main job)"},
    {"sweep", js_cmd_sweep, "SLO sweeps, parallel locally or across machines with MPI"},
    {"gpu", js_cmd_gpu, "real-GPU backend: probe, profile, validate (CUDA build only)"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: jigsaw [--version] [--help] <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'jigsaw <command> --help' or 'jigsaw help <command>' describes each command.\n"
                 "exit codes: 0 ok, 1 internal failure, 2 usage, 3 infeasible, 4 not available,\n"
                 "            65 bad input data, 66 input missing, 73 output not writable,\n"
                 "            75 time limit reached before any plan was found\n");
}

static const js_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    const char *names[NCOMMANDS + 1];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    names[NCOMMANDS] = "help";
    const char *near = js_cli_suggest(name, names, NCOMMANDS + 1);
    if (near)
        return js_cli_usage_error(NULL, "unknown command '%s'; did you mean '%s'?", name, near);
    return js_cli_usage_error(NULL, "unknown command '%s'", name);
}

/* `jigsaw help [CMD [SUB]]`: the same text as `jigsaw CMD [SUB] --help`. */
static int help_command(int argc, char **argv)
{
    if (argc < 3) {
        usage(stdout);
        return JS_EXIT_OK;
    }
    const js_command *c = find_command(argv[2]);
    if (!c)
        return unknown_command(argv[2]);
    char help[] = "--help";
    char *sub_argv[4] = {argv[2], help, NULL, NULL};
    int sub_argc = 2;
    if (argc >= 4) { /* "help profile show", "help gpu validate" */
        sub_argv[1] = argv[3];
        sub_argv[2] = help;
        sub_argc = 3;
    }
    return c->run(sub_argc, sub_argv);
}

/* Results go to stdout, and a lost write (a full disk, /dev/full) must not exit 0: stdio
 * keeps the first write error in ferror(), and fclose() flushes what is still buffered.
 * Checked once here, after every command, so no command can forget it. A command that
 * already failed keeps its own exit code. */
static int close_stdout(int rc)
{
    bool failed = ferror(stdout) != 0;
    errno = 0;
    if (fclose(stdout) != 0)
        failed = true;
    if (!failed)
        return rc;
    fprintf(stderr, "jigsaw: standard output: cannot write the results%s%s\n",
            errno ? ": " : "", errno ? strerror(errno) : "");
    return rc == JS_EXIT_OK ? JS_EXIT_CANTCREAT : rc;
}

static int run_command(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return JS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("jigsaw %s\n", JS_VERSION);
        return JS_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return JS_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0)
        return help_command(argc, argv);
    const js_command *c = find_command(argv[1]);
    if (c)
        return c->run(argc - 1, argv + 1);
    if (argv[1][0] == '-') {
        static const char *const opts[] = {"--help", "--version"};
        const char *near = js_cli_suggest(argv[1], opts, 2);
        if (near)
            return js_cli_usage_error(NULL, "unknown option '%s'; did you mean '%s'?", argv[1],
                                      near);
        return js_cli_usage_error(NULL, "unknown option '%s'", argv[1]);
    }
    return unknown_command(argv[1]);
}

int main(int argc, char **argv)
{
    return close_stdout(run_command(argc, argv));
}
