/* Shell commands for the CLI tests: run one and capture its standard output. */
#ifndef JIGSAW_TEST_COMMAND_H
#define JIGSAW_TEST_COMMAND_H

/* Runs `cmd` through the shell; its standard output (route stderr with 2>&1 in cmd) goes
 * to *out, NUL-terminated and malloc'd (free it; out may be NULL). Returns the exit code,
 * or 128 + the signal that ended it. A Criterion assertion fails the test when the
 * command cannot be started. */
int tc_run_command(const char *cmd, char **out);

#endif
