/* Internal to `jigsaw gpu` (src/cli/gpu*.c): the helpers its subcommands share, all in
 * gpu.c, and the subcommands the dispatcher there calls. */
#ifndef JIGSAW_CLI_GPU_INTERNAL_H
#define JIGSAW_CLI_GPU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "cli_util.h"
#include "jigsaw/diag.h"
#include "jigsaw/gpubackend.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/scenario.h"

/* Prints d's warnings and error; returns its exit code. */
int gpu_finish(js_diag *d);
/* "jigsaw gpu CMD: MSG (see ...)" on stderr; returns JS_EXIT_USAGE. */
int gpu_usage_error(const char *cmd, const char *msg);
/* Options of a subcommand that takes only --json and --help. Returns 0 to go on,
 * -1 when the help was printed (exit 0), or the usage exit code. */
int gpu_parse_json_help(int argc, char **argv, const char *cmd, const char *help, bool *json);
/* The --json output: the document, pretty-printed, on stdout. */
void gpu_print_json(const cJSON *o);
/* Today's date (UTC), YYYY-MM-DD. */
void gpu_today(char *buf, size_t n);
/* "NAME (N SMs, M GiB; driver ..., CUDA driver X.Y, runtime Z), DATE": a label. */
void gpu_describe_device(const js_gpu_probe *p, char *buf, size_t n);
/* Exit code 4 (JS_EXIT_NOTAVAIL) for `gpu CMD` in a build without the CUDA backend. */
int gpu_not_built(const char *cmd, js_diag *d);
/* Probe the GPU for a command that needs one; exit code 4 with the reason otherwise. */
int gpu_need_device(const char *cmd, int device, js_gpu_probe *p, js_diag *d);

int gpu_cmd_probe(int argc, char **argv);    /* gpu_probe.c */
int gpu_cmd_models(int argc, char **argv);   /* gpu_probe.c */
int gpu_cmd_profile(int argc, char **argv);  /* gpu_profile.c */
int gpu_cmd_diff(int argc, char **argv);     /* gpu_profile.c */
int gpu_cmd_validate(int argc, char **argv); /* gpu_validate.c */

#endif
