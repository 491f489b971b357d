/* cli_util: small option-parsing helpers shared by the subcommands in src/cli/. */
#ifndef JIGSAW_CLI_UTIL_H
#define JIGSAW_CLI_UTIL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jigsaw/diag.h"
#include "jigsaw/scenario.h"

/* Messages of the command line, one style for every subcommand:
 *   jigsaw CMD: error: MESSAGE
 *   Try 'jigsaw CMD --help' for more information.      (usage errors only)
 *   jigsaw CMD: warning: MESSAGE
 * CMD names the subcommand as typed ("plan", "profile show", "gpu validate"); NULL or ""
 * is jigsaw itself. MESSAGE has no trailing newline. A usage error never prints the whole
 * help, so the error stays on screen. */
void js_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void js_cli_warn(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The error and the line pointing to --help; returns JS_EXIT_USAGE. */
int js_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A js_diag's warnings and error in this style (js_diag_print's content). */
void js_cli_print_diag(const char *cmd, const js_diag *d);

/* After getopt_long returned '?' or ':' (the caller sets opterr = 0 so that getopt prints
 * nothing itself): words the problem -- an unknown option with the closest known one
 * ("did you mean '--max-demand'?"), an ambiguous abbreviation with its candidates, a
 * missing or unexpected value -- from argv[optind - 1], optopt, `shortopts` and
 * `longopts`, and returns JS_EXIT_USAGE. */
int js_cli_bad_option(const char *cmd, char **argv, const char *shortopts,
                      const struct option *longopts);
/* The candidate closest to `word` (edit distance at most a third of its length, at least
 * 2, or `word` a prefix of exactly one), NULL when none is close: "did you mean". */
const char *js_cli_suggest(const char *word, const char *const *candidates, size_t n);

/* Parse the whole of `s` as a finite number; 0 on success, -1 otherwise (*out untouched). */
int js_cli_parse_double(const char *s, double *out);
/* Parse the whole of `s` as a decimal integer in [lo, hi]; 0 on success, -1 otherwise. */
int js_cli_parse_int(const char *s, long lo, long hi, long *out);

/* Options shared by several subcommands, one parser each so that every subcommand accepts
 * the same values and words its error the same way. Each parses the whole of `s`: 0 ok
 * (*out set); -1 with "jigsaw CMD: --OPTION must be ..., got 'S'" on stderr, `cmd` naming
 * the subcommand ("plan", "gpu validate"); the caller exits with JS_EXIT_USAGE.
 *   --seed              a decimal integer in [0, 2^64 - 1] (no sign, no exponent)
 *   --max-batch         a decimal integer in 1..1048576
 *   --gpus              a decimal integer in 1..100000
 *   --max-requests      a decimal integer in 1..10^12 (the simulator's work budget)
 *   --time-limit        seconds >= 0 (0: no limit)
 *   --latency-factor    a number > 0
 *   --max-utilisation   a number in (0, 1] (also spelt --max-utilization)
 *   --rule              paper or safe
 *   --target            a latency quantile: p95, p99, p99.9 or a number in (0.5, 1)
 *   --trace-day         a day of a trace, an integer in 0..36500 (the window then starts
 *                       at day x 86400 trace seconds and lasts a day unless
 *                       --trace-duration says otherwise; not with --trace-start) */
int js_cli_parse_seed(const char *cmd, const char *s, uint64_t *out);
int js_cli_parse_max_batch(const char *cmd, const char *s, int *out);
int js_cli_parse_gpus(const char *cmd, const char *s, int *out);
int js_cli_parse_max_requests(const char *cmd, const char *s, uint64_t *out);
int js_cli_parse_time_limit(const char *cmd, const char *s, double *out);
int js_cli_parse_latency_factor(const char *cmd, const char *s, double *out);
int js_cli_parse_max_utilisation(const char *cmd, const char *s, double *out);
int js_cli_parse_rule(const char *cmd, const char *s, int *rule);
int js_cli_parse_target(const char *cmd, const char *s, double *quantile);
int js_cli_parse_trace_day(const char *cmd, const char *s, int *day);
/* Applies --trace-day to a trace window: start and (when *duration_s is 0) duration.
 * `day` < 0: not given, nothing changes. -1 with a usage error when --trace-start was
 * given too (start_given). */
int js_cli_apply_trace_day(const char *cmd, int day, bool start_given, double *start_s,
                           double *duration_s);

/* Host-side costs (docs/host-model.md), the same four options on plan, capacity,
 * simulate, run and compare: add JS_CLI_HOST_LONGOPTS to the option table, offer each
 * option's code to js_cli_host_option first, print JS_CLI_HOST_HELP in the help, and load
 * the scenario with js_scenario_load_opts. */
enum { JS_CLI_O_HOST_REGIME = 900, JS_CLI_O_HOST_MS, JS_CLI_O_HOST_MS_BATCH, JS_CLI_O_CPU_CORES };
#define JS_CLI_HOST_LONGOPTS                                                              \
    {"host-regime", required_argument, NULL, JS_CLI_O_HOST_REGIME},                       \
    {"host-ms", required_argument, NULL, JS_CLI_O_HOST_MS},                               \
    {"host-ms-per-batch", required_argument, NULL, JS_CLI_O_HOST_MS_BATCH},               \
    {"cpu-cores", required_argument, NULL, JS_CLI_O_CPU_CORES}
#define JS_CLI_HOST_HELP                                                                  \
    "      --host-regime R   host-side costs: none (default, GPU-bound: as profiled) or\n" \
    "                        calibrated (per-family defaults, profiles/host-defaults.json)\n" \
    "      --host-ms MS      host time per item (ms) of every variant, serial in a worker\n" \
    "      --host-ms-per-batch MS  host time per batch (ms) of every variant\n"            \
    "      --cpu-cores N     CPU cores per node shared by worker processes (default: the\n" \
    "                        scenario's cluster.cpu_cores_per_node, else unlimited)\n"
/* 1: c was a host option, applied to *o; 0: not one; -1: bad value (message printed;
 * the caller exits with JS_EXIT_USAGE). */
int js_cli_host_option(const char *cmd, int c, const char *arg, js_scenario_opts *o);

#endif
