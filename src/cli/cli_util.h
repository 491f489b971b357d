/* cli_util: small option-parsing helpers shared by the subcommands in src/cli/. */
#ifndef JIGSAW_CLI_UTIL_H
#define JIGSAW_CLI_UTIL_H

#include <stdint.h>

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
 *   --max-utilisation   a number in (0, 1]
 *   --rule              paper or safe
 *   --target            a latency quantile: p95, p99, p99.9 or a number in (0.5, 1) */
int js_cli_parse_seed(const char *cmd, const char *s, uint64_t *out);
int js_cli_parse_max_batch(const char *cmd, const char *s, int *out);
int js_cli_parse_gpus(const char *cmd, const char *s, int *out);
int js_cli_parse_max_requests(const char *cmd, const char *s, uint64_t *out);
int js_cli_parse_time_limit(const char *cmd, const char *s, double *out);
int js_cli_parse_latency_factor(const char *cmd, const char *s, double *out);
int js_cli_parse_max_utilisation(const char *cmd, const char *s, double *out);
int js_cli_parse_rule(const char *cmd, const char *s, int *rule);
int js_cli_parse_target(const char *cmd, const char *s, double *quantile);

#endif
