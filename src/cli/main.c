/* jigsaw: capacity planner and simulator for compound inference on GPUs.
 * The entry point only dispatches to one subcommand per file in src/cli/. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jigsaw/cli.h"
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
    fprintf(out, "\n'jigsaw <command> --help' describes each command.\n"
                 "exit codes: 0 ok, 1 internal failure, 2 usage, 3 infeasible, 4 not available,\n"
                 "            65 bad input data, 66 input missing, 73 output not writable\n");
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
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return JS_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "jigsaw: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return JS_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    return close_stdout(run_command(argc, argv));
}
