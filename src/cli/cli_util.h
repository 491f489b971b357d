/* cli_util: small option-parsing helpers shared by the subcommands in src/cli/. */
#ifndef JIGSAW_CLI_UTIL_H
#define JIGSAW_CLI_UTIL_H

/* Parse the whole of `s` as a finite number; 0 on success, -1 otherwise (*out untouched). */
int js_cli_parse_double(const char *s, double *out);

#endif
