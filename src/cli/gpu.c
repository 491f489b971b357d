/* jigsaw gpu: the real-GPU backend -- probe, models, profile, diff, validate.
 *
 * probe, profile and validate need a CUDA build (-Dcuda=enabled) and an NVIDIA GPU;
 * without either they exit with code 4 (JS_EXIT_NOTAVAIL) and say why. `models` (the
 * proxies' layer tables) needs neither, and `profile --emulate` / `validate --emulate`
 * rehearse the runtime on the CPU with the emulated device.
 *
 * This file: the dispatcher and the helpers every subcommand uses (gpu_internal.h). The
 * subcommands: gpu_probe.c (probe, models), gpu_profile.c (profile, diff),
 * gpu_validate.c (validate).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpu_internal.h"
#include "jigsaw/cli.h"
#include "cli_util.h"

int gpu_finish(js_diag *d)
{
    js_cli_print_diag("gpu", d);
    return d->code;
}

int gpu_usage_error(const char *cmd, const char *msg)
{
    char full[64];
    snprintf(full, sizeof full, "gpu %s", cmd);
    return js_cli_usage_error(full, "%s", msg);
}

/* Options of a subcommand that takes only --json and --help. Returns 0 to go on,
 * -1 when the help was printed (exit 0), or the usage exit code. */
int gpu_parse_json_help(int argc, char **argv, const char *cmd, const char *help,
                        bool *json)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    *json = false;
    optind = 1;
    opterr = 0; /* js_cli_bad_option words the errors */
    while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        if (c == 'j')
            *json = true;
        else if (c == 'h') {
            fputs(help, stdout);
            return -1;
        } else {
            char full[64];
            snprintf(full, sizeof full, "gpu %s", cmd);
            return js_cli_bad_option(full, argv, "jh", opts);
        }
    }
    return 0;
}

/* The --json output: the document, pretty-printed, on stdout. */
void gpu_print_json(const cJSON *o)
{
    char *s = cJSON_Print(o);
    if (s)
        printf("%s\n", s);
    free(s);
}

void gpu_today(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d", &tm);
}

void gpu_describe_device(const js_gpu_probe *p, char *buf, size_t n)
{
    char date[16];
    gpu_today(date, sizeof date);
    /* Truncation of an over-long device description is harmless: it is only a label. */
    int w = snprintf(buf, n, "%s (%d SMs, %.0f GiB; driver %s, CUDA driver %d.%d, runtime %s), ",
                     p->name, p->sms, p->memory_gib, p->driver, p->cuda_driver_version / 1000,
                     (p->cuda_driver_version % 1000) / 10, p->cuda_runtime);
    if (w >= 0 && (size_t)w < n)
        snprintf(buf + w, n - (size_t)w, "%.15s", date);
}

/* Probe the GPU for a command that needs one; exit code 4 with the reason otherwise. */
int gpu_not_built(const char *cmd, js_diag *d)
{
    return js_diag_set(d, JS_EXIT_NOTAVAIL,
                       "gpu %s: this jigsaw was built without the CUDA backend; reconfigure "
                       "with 'meson setup -Dcuda=enabled' on a machine with the CUDA toolkit "
                       "(or use --emulate to rehearse on the CPU)",
                       cmd);
}

int gpu_need_device(const char *cmd, int device, js_gpu_probe *p, js_diag *d)
{
    if (!js_cuda_built())
        return gpu_not_built(cmd, d);
    return js_gpu_probe_full(device, p, d);
}

/* ------------------------------------------------------------------ dispatcher */

static void gpu_usage(FILE *out)
{
    fprintf(out,
            "usage: jigsaw gpu <probe|models|profile|validate|diff> [options]\n\n"
            "  probe     the NVIDIA GPU: SMs, memory, MIG mode and instances, MPS\n"
            "  models    the proxy workloads' layer tables vs the published FLOPs/params\n"
            "  profile   measure profiles of proxies over MPS shares/MIG, workers, batches\n"
            "  validate  run a plan on the GPU in real time and compare with the simulator\n"
            "  diff      compare two profiles of a model (e.g. measured vs modelled H100)\n\n"
            "probe, profile and validate need a build with -Dcuda=enabled and a GPU; "
            "otherwise\nthey exit with code 4 (not available). This build: CUDA backend %s.\n",
            js_cuda_built() ? "built in" : "not built in");
}

int js_cmd_gpu(int argc, char **argv)
{
    if (argc < 2) {
        gpu_usage(stderr);
        return JS_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        gpu_usage(stdout);
        return 0;
    }
    if (strcmp(sub, "probe") == 0)
        return gpu_cmd_probe(argc - 1, argv + 1);
    if (strcmp(sub, "models") == 0)
        return gpu_cmd_models(argc - 1, argv + 1);
    if (strcmp(sub, "profile") == 0)
        return gpu_cmd_profile(argc - 1, argv + 1);
    if (strcmp(sub, "validate") == 0)
        return gpu_cmd_validate(argc - 1, argv + 1);
    if (strcmp(sub, "diff") == 0)
        return gpu_cmd_diff(argc - 1, argv + 1);
    static const char *const subs[] = {"probe", "models", "profile", "validate", "diff"};
    const char *near = js_cli_suggest(sub, subs, sizeof subs / sizeof subs[0]);
    if (near)
        return js_cli_usage_error("gpu", "unknown subcommand '%s'; did you mean '%s'?", sub,
                                  near);
    return js_cli_usage_error("gpu", "unknown subcommand '%s'", sub);
}
