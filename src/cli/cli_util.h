/* cli_util: small option-parsing helpers shared by the subcommands in src/cli/. */
#ifndef JIGSAW_CLI_UTIL_H
#define JIGSAW_CLI_UTIL_H

/* Parse the whole of `s` as a finite number; 0 on success, -1 otherwise (*out untouched). */
int js_cli_parse_double(const char *s, double *out);
/* A utilisation cap (--max-utilisation): a number in (0, 1]; 0 on success, -1 otherwise. */
int js_cli_parse_utilisation(const char *s, double *out);
/* Parse the whole of `s` as a decimal integer in [lo, hi]; 0 on success, -1 otherwise. */
int js_cli_parse_int(const char *s, long lo, long hi, long *out);
/* Same for a seed: a decimal integer in [0, 2^64 - 1]. */
int js_cli_parse_seed(const char *s, unsigned long long *out);

/* The latency rule (--rule paper|safe) and its target (--target p99, p99.9, 0.995):
 * 0 ok; -1 with a message on stderr naming the subcommand `cmd`. */
int js_cli_parse_rule(const char *cmd, const char *s, int *rule);
int js_cli_parse_target(const char *cmd, const char *s, double *quantile);

#endif
