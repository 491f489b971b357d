/* cli: the subcommands of the `jigsaw` executable, one source file each in src/cli/.
 * Each takes argc/argv starting at the subcommand name (argv[0] = "check", ...) and
 * returns the process exit code (diag.h). */
#ifndef JIGSAW_CLI_H
#define JIGSAW_CLI_H

int js_cmd_check(int argc, char **argv);
int js_cmd_show(int argc, char **argv);
int js_cmd_import(int argc, char **argv);
int js_cmd_profile(int argc, char **argv);
int js_cmd_plan(int argc, char **argv);
int js_cmd_simulate(int argc, char **argv);
int js_cmd_capacity(int argc, char **argv);
int js_cmd_run(int argc, char **argv);
int js_cmd_compare(int argc, char **argv);
int js_cmd_sweep(int argc, char **argv);
int js_cmd_gpu(int argc, char **argv);

#endif
