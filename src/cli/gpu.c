/* jigsaw gpu: the real-GPU backend -- probe, profile, validate, models.
 *
 * probe, profile and validate need a CUDA build (-Dcuda=enabled) and an NVIDIA GPU;
 * without either they exit with code 4 (JS_EXIT_NOTAVAIL) and say why. `models` (the
 * proxies' layer tables) needs neither, and `profile --emulate` / `validate --emulate`
 * rehearse the runtime on the CPU with the emulated device.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_util.h"
#include "jigsaw/cli.h"
#include "jigsaw/diag.h"
#include "jigsaw/gpubackend.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/plan.h"
#include "jigsaw/scenario.h"
#include "jigsaw/trace.h"

#define MAX_ARRIVALS 2000000

static const char *const not_built =
    "gpu %s: this jigsaw was built without the CUDA backend; reconfigure with "
    "'meson setup -Dcuda=enabled' on a machine with the CUDA toolkit (or use --emulate "
    "to rehearse on the CPU)";

static int finish(js_diag *d)
{
    js_diag_print(d);
    return d->code;
}

static int usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "jigsaw gpu %s: %s (see 'jigsaw gpu %s --help')\n", cmd, msg, cmd);
    return JS_EXIT_USAGE;
}

/* Options of a subcommand that takes only --json and --help. Returns 0 to go on,
 * -1 when the help was printed (exit 0), or the usage exit code. */
static int parse_json_help(int argc, char **argv, const char *cmd, const char *help,
                           bool *json)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    *json = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        if (c == 'j')
            *json = true;
        else if (c == 'h') {
            fputs(help, stdout);
            return -1;
        } else
            return usage_error(cmd, "unknown option");
    }
    return 0;
}

/* The --json output: the document, pretty-printed, on stdout. */
static void print_json(const cJSON *o)
{
    char *s = cJSON_Print(o);
    if (s)
        printf("%s\n", s);
    free(s);
}

/* "1,2,4" -> ints (1 <= v <= max_v); returns the count or -1. */
static int parse_list(const char *s, int *out, int cap, int max_v)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 1 || v > max_v || n >= cap)
            return -1;
        out[n++] = (int)v;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return n;
}

static void today(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d", &tm);
}

static void describe_device(const js_gpu_probe *p, char *buf, size_t n)
{
    char date[16];
    today(date, sizeof date);
    /* Truncation of an over-long device description is harmless: it is only a label. */
    int w = snprintf(buf, n, "%s (%d SMs, %.0f GiB; driver %s, CUDA driver %d.%d, runtime %s), ",
                     p->name, p->sms, p->memory_gib, p->driver, p->cuda_driver_version / 1000,
                     (p->cuda_driver_version % 1000) / 10, p->cuda_runtime);
    if (w >= 0 && (size_t)w < n)
        snprintf(buf + w, n - (size_t)w, "%.15s", date);
}

/* Probe the GPU for a command that needs one; exit code 4 with the reason otherwise. */
static int need_gpu(const char *cmd, int device, js_gpu_probe *p, js_diag *d)
{
    if (!js_cuda_built())
        return js_diag_set(d, JS_EXIT_NOTAVAIL, not_built, cmd);
    return js_gpu_probe_full(device, p, d);
}

/* ------------------------------------------------------------------ probe */

static int cmd_probe(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"device", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool json = false;
    int device = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jd:h", opts, NULL)) != -1) {
        if (c == 'j')
            json = true;
        else if (c == 'd') {
            long v;
            if (js_cli_parse_int(optarg, 0, 63, &v) != 0)
                return usage_error("probe", "--device: an integer in 0..63");
            device = (int)v;
        }
        else if (c == 'h') {
            printf("usage: jigsaw gpu probe [--json] [--device N]\n\n"
                   "Print the NVIDIA GPU's name, SMs, memory, driver and CUDA versions, MIG "
                   "mode and\ninstances, and whether MPS is available. Exit code 4 when the "
                   "CUDA backend is not\nbuilt in or no GPU is present.\n");
            return 0;
        } else
            return usage_error("probe", "unknown option");
    }
    js_diag d;
    js_diag_init(&d);
    js_gpu_probe p;
    if (need_gpu("probe", device, &p, &d) != 0)
        return finish(&d);
    cJSON *o = js_gpu_probe_to_json(&p);
    if (!o)
        return JS_EXIT_INTERNAL;
    if (json) {
        print_json(o);
    } else {
        char slug[JS_NAME_MAX];
        js_gpu_slug(p.name, p.memory_gib, slug, sizeof slug);
        printf("device      %s (%d found; profiles go to profiles/%s/)\n", p.name, p.ndevices,
               slug);
        printf("SMs         %d (compute capability %d.%d)\nmemory      %.1f GiB\n", p.sms,
               p.cc_major, p.cc_minor, p.memory_gib);
        printf("driver      %s (CUDA %d.%d), runtime %s\n", p.driver,
               p.cuda_driver_version / 1000, (p.cuda_driver_version % 1000) / 10,
               p.cuda_runtime);
        printf("MIG         %s, %d instance(s)\n",
               p.mig_mode == 1 ? "enabled" : p.mig_mode == 0 ? "disabled" : "unsupported",
               p.nmig);
        for (int i = 0; i < p.nmig; i++)
            printf("  %-12s %d slices %3d SMs %6.1f GiB  %s\n", p.mig_name[i],
                   p.mig_slices[i], p.mig_sms[i], p.mig_memory_gib[i], p.mig_uuid[i]);
        printf("MPS         control %s, daemon %s (%s)\n", p.mps_control ? "found" : "absent",
               p.mps_running ? "running" : "not running", p.mps_pipe_dir);
    }
    cJSON_Delete(o);
    return 0;
}

/* ------------------------------------------------------------------ models */

static int cmd_models(int argc, char **argv)
{
    bool json;
    int rc = parse_json_help(argc, argv, "models",
                             "usage: jigsaw gpu models [--json]\n\n"
                             "The proxy workloads: per model, the layers executed (from the "
                             "published architecture),\ntheir MACs and weights per item, and "
                             "the ratio to the published figures.\n",
                             &json);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    js_diag d;
    js_diag_init(&d);
    cJSON *t = js_proxy_table_to_json(&d);
    if (!t)
        return finish(&d);
    if (json) {
        print_json(t);
    } else {
        printf("%-16s %-10s %6s %9s %9s %6s %9s %9s %6s %8s %s\n", "model", "input", "layers",
               "GMAC", "pub GMAC", "ratio", "params M", "pub M", "ratio", "act MiB", "scope");
        const cJSON *o;
        cJSON_ArrayForEach(o, t)
        {
            const cJSON *pg = cJSON_GetObjectItem(o, "published_gmacs");
            const cJSON *rg = cJSON_GetObjectItem(o, "gmacs_ratio");
            const cJSON *pp = cJSON_GetObjectItem(o, "published_params_m");
            const cJSON *rp = cJSON_GetObjectItem(o, "params_ratio");
            char b1[16] = "-", b2[16] = "-", b3[16] = "-", b4[16] = "-";
            if (cJSON_IsNumber(pg))
                snprintf(b1, sizeof b1, "%.3f", pg->valuedouble);
            if (cJSON_IsNumber(rg))
                snprintf(b2, sizeof b2, "%.3f", rg->valuedouble);
            if (cJSON_IsNumber(pp))
                snprintf(b3, sizeof b3, "%.2f", pp->valuedouble);
            if (cJSON_IsNumber(rp))
                snprintf(b4, sizeof b4, "%.3f", rp->valuedouble);
            printf("%-16s %-10s %6d %9.3f %9s %6s %9.2f %9s %6s %8.1f %s\n",
                   cJSON_GetObjectItem(o, "model")->valuestring,
                   cJSON_GetObjectItem(o, "input")->valuestring,
                   cJSON_GetObjectItem(o, "layers")->valueint,
                   cJSON_GetObjectItem(o, "gmacs")->valuedouble, b1, b2,
                   cJSON_GetObjectItem(o, "params_m")->valuedouble, b3, b4,
                   cJSON_GetObjectItem(o, "activation_mib_per_item_fp16")->valuedouble,
                   cJSON_GetObjectItem(o, "published_scope")->valuestring);
        }
        printf("\nGMAC and params: the whole proxy per item; ratios: proxy / published over "
               "the layers\nthe published figure covers (scope). act MiB: FP16 activations "
               "read + written per item.\n");
    }
    cJSON_Delete(t);
    return 0;
}

/* ------------------------------------------------------------------ profile */

typedef struct profile_opts {
    js_gpu_profile_config cfg;
    char models[16][JS_NAME_MAX];
    int nmodels;
    const char *profiles_dir, *results_dir, *emulate;
    bool use_mig;
} profile_opts;

static int write_measurements(const char *path, const js_gpu_profile_config *c,
                              const js_gpu_measurement *m, int n, js_diag *d)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    cJSON_AddStringToObject(root, "model", c->model);
    cJSON_AddStringToObject(root, "gpu", c->gpu_name);
    cJSON_AddStringToObject(root, "device", c->device_desc);
    cJSON_AddNumberToObject(root, "warmup", c->warmup);
    cJSON_AddNumberToObject(root, "reps", c->reps);
    cJSON *arr = cJSON_AddArrayToObject(root, "measurements");
    for (int i = 0; arr && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddNumberToObject(o, "mig", m[i].mig);
        cJSON_AddNumberToObject(o, "mps_percent", m[i].mps_percent);
        cJSON_AddNumberToObject(o, "batch", m[i].batch);
        cJSON_AddNumberToObject(o, "workers", m[i].workers);
        cJSON_AddBoolToObject(o, "available", m[i].available);
        cJSON_AddItemToArray(arr, o);
        if (!m[i].available) {
            cJSON_AddStringToObject(o, "error", m[i].error);
            continue;
        }
        cJSON_AddNumberToObject(o, "samples", m[i].samples);
        cJSON_AddNumberToObject(o, "lat_mean_ms", m[i].lat_mean_ms);
        cJSON_AddNumberToObject(o, "lat_p50_ms", m[i].lat_p50_ms);
        cJSON_AddNumberToObject(o, "lat_p95_ms", m[i].lat_p95_ms);
        cJSON_AddNumberToObject(o, "lat_p99_ms", m[i].lat_p99_ms);
        cJSON_AddNumberToObject(o, "throughput", m[i].throughput);
    }
    int rc = js_json_write_file(path, root, d);
    cJSON_Delete(root);
    return rc;
}

static int profile_one(profile_opts *po, const js_device_factory *f, bool emulated, js_diag *d)
{
    js_profile prof;
    js_gpu_measurement *m = NULL;
    int n = 0;
    int rc = js_gpu_profile_run(f, &po->cfg, &prof, &m, &n, d);
    if (rc != 0)
        return rc;
    if (emulated) {
        /* Honest provenance: replaying a profile is not a measurement. */
        prof.prov.kind = JS_PROV_MODELLED;
        snprintf(prof.prov.model_version, sizeof prof.prov.model_version, "emulated");
        for (int i = 0; i < prof.nentries; i++)
            prof.entries[i].prov = JS_PROV_MODELLED;
    }
    char dir[JS_PATH_MAX], path[JS_PATH_MAX + JS_NAME_MAX + 32];
    snprintf(dir, sizeof dir, "%s/%s", po->profiles_dir, po->cfg.gpu_name);
    rc = js_mkdir_p(dir, d);
    cJSON *j = rc == 0 ? js_profile_to_json(&prof) : NULL;
    if (rc == 0 && !j)
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "profile: cannot serialise");
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/%s.json", dir, po->cfg.model);
        rc = js_json_write_file(path, j, d);
        if (rc == 0)
            printf("wrote %s (%d configurations)\n", path, prof.nentries);
    }
    cJSON_Delete(j);
    if (rc == 0 && (rc = js_mkdir_p(po->results_dir, d)) == 0) {
        snprintf(path, sizeof path, "%s/profile-%s-%s.json", po->results_dir, po->cfg.gpu_name,
                 po->cfg.model);
        rc = write_measurements(path, &po->cfg, m, n, d);
        if (rc == 0)
            printf("wrote %s (with p99)\n", path);
    }
    for (int i = 0; rc == 0 && i < n; i++) {
        printf("  %-16s mig %d (MPS %3d%%) k %d b %3d: ", po->cfg.model, m[i].mig,
               m[i].mps_percent, m[i].workers, m[i].batch);
        if (!m[i].available) {
            printf("unavailable (%s)\n", m[i].error);
            fprintf(stderr, "jigsaw gpu profile: warning: %s mig %d k %d batch %d is "
                            "unavailable: %s\n", po->cfg.model, m[i].mig, m[i].workers,
                    m[i].batch, m[i].error);
            continue;
        }
        printf("mean %8.3f p50 %8.3f p95 %8.3f p99 %8.3f ms, %9.1f items/s/worker\n",
               m[i].lat_mean_ms, m[i].lat_p50_ms, m[i].lat_p95_ms, m[i].lat_p99_ms,
               m[i].throughput);
    }
    free(m);
    js_profile_free(&prof);
    return rc;
}

static int profile_help(void)
{
    printf("usage: jigsaw gpu profile --model M[,M...] [options]\n\n"
           "Measure per-batch latency (mean, p50, p95, p99 after warm-up) and per-worker "
           "throughput of\neach model's proxy for every share x co-located workers x batch "
           "size, and write\n<profiles-dir>/<gpu>/<model>.json (marked measured, with device, "
           "driver, CUDA version\nand date) and <results-dir>/profile-<gpu>-<model>.json.\n\n"
           "  --shares LIST       MPS shares in compute slices of 7 (default 1,2,3,4,7);\n"
           "                      each worker gets CUDA_MPS_ACTIVE_THREAD_PERCENTAGE = "
           "100*s/7\n"
           "  --mig               use the GPU's MIG instances instead (MIG must be enabled)\n"
           "  --batches LIST      batch sizes (default 1,2,4,8,16)\n"
           "  --workers LIST      co-located workers (default 1,2)\n"
           "  --warmup N          untimed batches per worker (default 10)\n"
           "  --reps N            timed batches per worker (default 50)\n"
           "  --profiles-dir DIR  default profiles\n"
           "  --results-dir DIR   default results/gpu\n"
           "  --gpu-name NAME     profile directory name (default from the device, e.g. "
           "h100-80gb)\n"
           "  --device N          CUDA device (default 0)\n"
           "  --emulate FILE      no GPU: replay FILE's profile with the emulated device "
           "(output\n                      marked modelled, for rehearsals and tests)\n"
           "Models: see 'jigsaw gpu models'. Exit code 4 without a CUDA build or GPU.\n");
    return 0;
}

static int parse_profile_opts(int argc, char **argv, profile_opts *po)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},   {"shares", required_argument, NULL, 's'},
        {"batches", required_argument, NULL, 'b'}, {"workers", required_argument, NULL, 'k'},
        {"warmup", required_argument, NULL, 'W'},  {"reps", required_argument, NULL, 'r'},
        {"profiles-dir", required_argument, NULL, 'P'},
        {"results-dir", required_argument, NULL, 'R'},
        {"gpu-name", required_argument, NULL, 'g'}, {"device", required_argument, NULL, 'd'},
        {"emulate", required_argument, NULL, 'e'}, {"mig", no_argument, NULL, 'M'},
        {"seed", required_argument, NULL, 'S'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    js_gpu_profile_config *c = &po->cfg;
    memset(po, 0, sizeof *po);
    c->nshares = parse_list("1,2,3,4,7", c->shares, 8, 7);
    c->nbatches = parse_list("1,2,4,8,16", c->batches, 16, 4096);
    c->nworkers = parse_list("1,2", c->workers, 8, 8);
    c->warmup = 10;
    c->reps = 50;
    c->seed = 1;
    po->profiles_dir = "profiles";
    po->results_dir = "results/gpu";
    int o;
    long v;
    unsigned long long seed;
    optind = 1;
    while ((o = getopt_long(argc, argv, "m:s:b:k:W:r:P:R:g:d:e:MS:h", opts, NULL)) != -1) {
        switch (o) {
        case 'm': {
            char buf[1024];
            snprintf(buf, sizeof buf, "%s", optarg);
            char *save = NULL;
            for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (po->nmodels >= 16)
                    return usage_error("profile", "at most 16 models");
                snprintf(po->models[po->nmodels++], JS_NAME_MAX, "%s", t);
            }
            break;
        }
        case 's':
            if ((c->nshares = parse_list(optarg, c->shares, 8, 7)) < 1)
                return usage_error("profile", "--shares: up to 8 values in 1..7");
            break;
        case 'b':
            if ((c->nbatches = parse_list(optarg, c->batches, 16, 4096)) < 1)
                return usage_error("profile", "--batches: up to 16 values in 1..4096");
            break;
        case 'k':
            if ((c->nworkers = parse_list(optarg, c->workers, 8, 8)) < 1)
                return usage_error("profile", "--workers: up to 8 values in 1..8");
            break;
        case 'W':
            if (js_cli_parse_int(optarg, 0, 100000, &v) != 0)
                return usage_error("profile", "--warmup: an integer in 0..100000");
            c->warmup = (int)v;
            break;
        case 'r':
            if (js_cli_parse_int(optarg, 1, 100000, &v) != 0)
                return usage_error("profile", "--reps: an integer in 1..100000");
            c->reps = (int)v;
            break;
        case 'P':
            po->profiles_dir = optarg;
            break;
        case 'R':
            po->results_dir = optarg;
            break;
        case 'g':
            snprintf(c->gpu_name, sizeof c->gpu_name, "%s", optarg);
            break;
        case 'd':
            if (js_cli_parse_int(optarg, 0, 63, &v) != 0)
                return usage_error("profile", "--device: an integer in 0..63");
            c->device_index = (int)v;
            break;
        case 'e':
            po->emulate = optarg;
            break;
        case 'M':
            po->use_mig = true;
            break;
        case 'S':
            if (js_cli_parse_seed(optarg, &seed) != 0)
                return usage_error("profile", "--seed: a non-negative integer");
            c->seed = seed;
            break;
        case 'h':
            return profile_help() - 1;
        default:
            return usage_error("profile", "unknown option");
        }
    }
    if (po->nmodels == 0)
        return usage_error("profile", "--model is required");
    if (c->reps < 1 || c->warmup < 0)
        return usage_error("profile", "--reps must be >= 1 and --warmup >= 0");
    return 0;
}

static int cmd_profile(int argc, char **argv)
{
    profile_opts *po = calloc(1, sizeof *po);
    if (!po)
        return JS_EXIT_INTERNAL;
    int rc = parse_profile_opts(argc, argv, po);
    if (rc != 0) {
        free(po);
        return rc < 0 ? 0 : rc;
    }
    js_diag d;
    js_diag_init(&d);
    js_device_factory f;
    js_profile emu_prof;
    memset(&emu_prof, 0, sizeof emu_prof);
    const js_profile *emu_list[1] = {&emu_prof};
    js_emu_config emu = {1, emu_list, JS_EMU_LOGNORMAL, 1.0};
    if (po->emulate) {
        if (js_profile_load(po->emulate, &emu_prof, &d) != 0) {
            free(po);
            return finish(&d);
        }
        if (po->nmodels != 1 || strcmp(po->models[0], emu_prof.model) != 0) {
            fprintf(stderr, "jigsaw gpu profile: --emulate %s replays model '%s'; give "
                            "--model %s\n", po->emulate, emu_prof.model, emu_prof.model);
            js_profile_free(&emu_prof);
            free(po);
            return JS_EXIT_USAGE;
        }
        js_emu_factory(&emu, &f);
        if (!po->cfg.gpu_name[0])
            snprintf(po->cfg.gpu_name, sizeof po->cfg.gpu_name, "%s", emu_prof.gpu);
        char date[16];
        today(date, sizeof date);
        snprintf(po->cfg.device_desc, sizeof po->cfg.device_desc,
                 "the emulated device replaying %s (not a GPU measurement), %s",
                 emu_prof.prov.kind == JS_PROV_MEASURED ? "a measured profile"
                                                        : "a modelled profile",
                 date);
    } else {
        js_gpu_probe p;
        if (need_gpu("profile", po->cfg.device_index, &p, &d) != 0) {
            free(po);
            return finish(&d);
        }
        for (int i = 0; i < po->nmodels; i++) {
            js_proxy_model *pm = malloc(sizeof *pm);
            int bad = !pm || js_proxy_build(po->models[i], pm, &d) != 0;
            free(pm);
            if (bad) {
                free(po);
                return finish(&d);
            }
        }
        if (p.mig_mode == 1 || po->use_mig) {
            if (p.nmig == 0) {
                js_diag_set(&d, JS_EXIT_NOTAVAIL,
                            "jigsaw gpu profile: MIG is %s but no instance exists; create "
                            "them (nvidia-smi mig -cgi ... -C) or disable MIG",
                            p.mig_mode == 1 ? "enabled" : "requested");
                free(po);
                return finish(&d);
            }
            /* one instance per size: a profile has one entry per (mig, batch, workers) */
            po->cfg.nmig = 0;
            for (int i = 0; i < p.nmig; i++) {
                bool seen = p.mig_slices[i] < 1 || p.mig_slices[i] > 7;
                for (int j = 0; j < po->cfg.nmig; j++)
                    seen |= po->cfg.mig_slices[j] == p.mig_slices[i];
                if (seen)
                    continue;
                int k = po->cfg.nmig++;
                snprintf(po->cfg.mig_uuid[k], sizeof po->cfg.mig_uuid[k], "%s", p.mig_uuid[i]);
                po->cfg.mig_slices[k] = p.mig_slices[i];
            }
        } else if (!p.mps_running) {
            fprintf(stderr, "jigsaw gpu profile: warning: no MPS daemon is running (%s); "
                            "co-located workers time-slice and shares below 7 have no "
                            "effect (start one with nvidia-cuda-mps-control -d)\n",
                    p.mps_pipe_dir);
        }
        if (!po->cfg.gpu_name[0])
            js_gpu_slug(p.name, p.memory_gib, po->cfg.gpu_name, sizeof po->cfg.gpu_name);
        describe_device(&p, po->cfg.device_desc, sizeof po->cfg.device_desc);
        js_cuda_factory(&f);
    }
    for (int i = 0; rc == 0 && i < po->nmodels; i++) {
        snprintf(po->cfg.model, sizeof po->cfg.model, "%s", po->models[i]);
        rc = profile_one(po, &f, po->emulate != NULL, &d);
    }
    js_profile_free(&emu_prof);
    free(po);
    return rc ? finish(&d) : 0;
}

/* ------------------------------------------------------------------ validate */

typedef struct validate_opts {
    const char *plan, *scenario, *trace, *out_dir, *name, *sim_json;
    double rate, duration, compression, mean_rate;
    bool emulate, json;
    js_validate_config cfg;
} validate_opts;

static int validate_help(void)
{
    printf("usage: jigsaw gpu validate PLAN --scenario FILE (--trace FILE | --rate R) "
           "[options]\n\n"
           "Run the plan's segments of one app as concurrent worker processes (MPS clients "
           "with the\nplanned shares, CUDA_MPS_ACTIVE_THREAD_PERCENTAGE = 100*slices/7), "
           "feed them the trace in\nreal time through the simulator's dispatch and batching "
           "rules, record each request's\nend-to-end latency, and compare with the simulator "
           "on the same plan and arrivals:\nviolation rate, p50/p95/p99 and per-task "
           "utilisation, with the relative error of each.\nWrites <out>/<name>.json and "
           "<out>/<name>.md.\n\n"
           "  --scenario FILE      the scenario the plan was made for (required)\n"
           "  --trace FILE         arrival trace (formats of 'jigsaw simulate')\n"
           "  --rate R             or Poisson arrivals at R requests/s\n"
           "  --duration S         seconds of arrivals (default 60; trace window length)\n"
           "  --time-compression X trace seconds per real second (default 1)\n"
           "  --mean-rate R        rescale the trace to R requests/s on average\n"
           "  --app N              application index (default 0)\n"
           "  --dispatch P         jsed (default), rr or shared\n"
           "  --batch-timeout MS   batching timeout (default 0: dynamic batching)\n"
           "  --no-early-drop      keep items that can no longer meet their deadline\n"
           "  --mean-fanout        rounded mean fan-out instead of Poisson\n"
           "  --seed N             default 1\n"
           "  --sim FILE           compare with this 'jigsaw simulate --json' output instead "
           "of\n                       running the simulator here\n"
           "  --out DIR            default results/gpu\n"
           "  --name NAME          report name (default validate-<app>)\n"
           "  --emulate            no GPU: workers sleep for the profiled latencies\n"
           "  --json               print the report as JSON\n"
           "Exit code 4 without a CUDA build or GPU (unless --emulate).\n");
    return 0;
}

static int parse_validate_opts(int argc, char **argv, validate_opts *vo)
{
    static const struct option opts[] = {
        {"scenario", required_argument, NULL, 's'}, {"trace", required_argument, NULL, 't'},
        {"rate", required_argument, NULL, 'r'},     {"duration", required_argument, NULL, 'D'},
        {"time-compression", required_argument, NULL, 'C'},
        {"mean-rate", required_argument, NULL, 'M'},
        {"app", required_argument, NULL, 'a'},      {"dispatch", required_argument, NULL, 'p'},
        {"batch-timeout", required_argument, NULL, 'B'},
        {"no-early-drop", no_argument, NULL, 'E'},  {"mean-fanout", no_argument, NULL, 'F'},
        {"seed", required_argument, NULL, 'S'},     {"sim", required_argument, NULL, 'x'},
        {"out", required_argument, NULL, 'o'},      {"name", required_argument, NULL, 'n'},
        {"emulate", no_argument, NULL, 'e'},        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    memset(vo, 0, sizeof *vo);
    js_validate_config_init(&vo->cfg);
    vo->duration = 60;
    vo->compression = 1;
    vo->out_dir = "results/gpu";
    int o;
    long v;
    bool bad = false;
    optind = 1;
    while ((o = getopt_long(argc, argv, "s:t:r:D:C:M:a:p:B:EFS:x:o:n:ejh", opts, NULL)) != -1) {
        switch (o) {
        case 's': vo->scenario = optarg; break;
        case 't': vo->trace = optarg; break;
        case 'r': bad = js_cli_parse_double(optarg, &vo->rate) || !(vo->rate > 0); break;
        case 'D': bad = js_cli_parse_double(optarg, &vo->duration) || !(vo->duration > 0); break;
        case 'C':
            bad = js_cli_parse_double(optarg, &vo->compression) || !(vo->compression > 0);
            break;
        case 'M':
            bad = js_cli_parse_double(optarg, &vo->mean_rate) || !(vo->mean_rate > 0);
            break;
        case 'a':
            bad = js_cli_parse_int(optarg, 0, 1000000, &v) != 0; /* checked against the scenario */
            vo->cfg.app = bad ? 0 : (int)v;
            break;
        case 'p':
            if (strcmp(optarg, "jsed") == 0)
                vo->cfg.dispatch = JS_DISPATCH_JSED;
            else if (strcmp(optarg, "rr") == 0)
                vo->cfg.dispatch = JS_DISPATCH_RR;
            else if (strcmp(optarg, "shared") == 0)
                vo->cfg.dispatch = JS_DISPATCH_SHARED;
            else
                return usage_error("validate", "--dispatch: jsed, rr or shared");
            break;
        case 'B':
            bad = js_cli_parse_double(optarg, &vo->cfg.batch_timeout_ms) ||
                  vo->cfg.batch_timeout_ms < 0;
            break;
        case 'E': vo->cfg.early_drop = false; break;
        case 'F': vo->cfg.poisson_fanout = false; break;
        case 'S': {
            unsigned long long seed;
            bad = js_cli_parse_seed(optarg, &seed) != 0;
            vo->cfg.seed = seed;
            break;
        }
        case 'x': vo->sim_json = optarg; break;
        case 'o': vo->out_dir = optarg; break;
        case 'n': vo->name = optarg; break;
        case 'e': vo->emulate = true; break;
        case 'j': vo->json = true; break;
        case 'h': return validate_help() - 1;
        default: return usage_error("validate", "unknown option");
        }
        if (bad)
            return usage_error("validate", "a numeric option is out of range or not a number "
                                           "(see --help)");
    }
    if (optind + 1 != argc)
        return usage_error("validate", "give exactly one PLAN file");
    vo->plan = argv[optind];
    if (!vo->scenario)
        return usage_error("validate", "--scenario is required");
    if (!vo->trace == !(vo->rate > 0))
        return usage_error("validate", "give --trace FILE or --rate R");
    if (!(vo->duration > 0) || !(vo->compression > 0) || vo->cfg.batch_timeout_ms < 0)
        return usage_error("validate", "--duration and --time-compression must be > 0");
    return 0;
}

static int read_arrivals(const js_arrival_spec *spec, double stop_s, double **out, int *n,
                         js_diag *d)
{
    js_arrivals *a = NULL;
    int rc = js_arrivals_open(spec, &a, d);
    if (rc != 0)
        return rc;
    int cap = 4096, k = 0;
    double *v = malloc(sizeof *v * (size_t)cap);
    if (!v) {
        js_arrivals_close(a);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    double t;
    while ((rc = js_arrivals_next(a, &t, d)) == 0) {
        if (t >= stop_s)
            break;
        if (k == MAX_ARRIVALS) {
            rc = js_diag_set(d, JS_EXIT_USAGE, "validate: more than %d arrivals; shorten "
                             "--duration", MAX_ARRIVALS);
            break;
        }
        if (k == cap) {
            double *nv = realloc(v, sizeof *v * (size_t)cap * 2);
            if (!nv) {
                rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
                break;
            }
            v = nv;
            cap *= 2;
        }
        v[k++] = t;
    }
    js_arrivals_close(a);
    if (rc != 0 && rc != 1) {
        free(v);
        return rc;
    }
    *out = v;
    *n = k;
    return 0;
}

/* Emulated device over the scenario's profiles of this app's variants. */
static int emu_profiles(const js_scenario *s, int app, const js_profile ***list, int *n)
{
    const js_app *a = &s->apps[app];
    const js_profile **v = calloc((size_t)JS_MAX_TASKS * JS_MAX_VARIANTS, sizeof *v);
    if (!v)
        return -1;
    int k = 0;
    for (int t = 0; t < a->ntasks; t++)
        for (int i = 0; i < a->tasks[t].nvariants; i++)
            if (a->tasks[t].variants[i].profile)
                v[k++] = a->tasks[t].variants[i].profile;
    *list = v;
    *n = k;
    return 0;
}

static int write_report(const validate_opts *vo, const js_app *a, const js_validate_result *r,
                        const js_validate_metrics *sim, const char *device, js_diag *d)
{
    cJSON *j = js_validate_compare_json(&r->m, sim, a, device);
    char *md = js_validate_compare_markdown(&r->m, sim, a, device);
    int rc = (!j || !md) ? js_diag_set(d, JS_EXIT_INTERNAL, "out of memory") : 0;
    if (rc == 0) {
        cJSON_AddStringToObject(j, "plan", vo->plan);
        cJSON_AddStringToObject(j, "arrivals", vo->trace ? vo->trace : "poisson");
        cJSON_AddNumberToObject(j, "seed", (double)vo->cfg.seed);
        cJSON_AddNumberToObject(j, "workers", r->nworkers);
    }
    char name[JS_NAME_MAX + 16], path[JS_PATH_MAX + 2 * JS_NAME_MAX];
    if (vo->name)
        snprintf(name, sizeof name, "%s", vo->name);
    else
        snprintf(name, sizeof name, "validate-%s", a->name);
    if (rc == 0)
        rc = js_mkdir_p(vo->out_dir, d);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/%s.json", vo->out_dir, name);
        rc = js_json_write_file(path, j, d);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/%s.md", vo->out_dir, name);
        rc = js_write_file_atomic(path, md, strlen(md), d);
    }
    if (rc == 0) {
        if (vo->json) {
            print_json(j);
        } else {
            printf("%s\nwrote %s/%s.json and .md\n", md, vo->out_dir, name);
        }
    }
    cJSON_Delete(j);
    free(md);
    return rc;
}

static int run_validate(validate_opts *vo, js_scenario *s, js_diag *d)
{
    js_plan plan;
    js_plan_init(&plan);
    int rc = js_plan_load(vo->plan, s, &plan, d);
    if (rc != 0)
        return rc;
    if (vo->cfg.app < 0 || vo->cfg.app >= s->napps) {
        js_plan_free(&plan);
        return js_diag_set(d, JS_EXIT_USAGE, "--app %d: the scenario has %d app(s)",
                           vo->cfg.app, s->napps);
    }
    js_arrival_spec spec;
    js_arrival_spec_init(&spec);
    spec.seed = vo->cfg.seed;
    if (vo->trace) {
        spec.kind = JS_ARR_TRACE;
        snprintf(spec.path, sizeof spec.path, "%s", vo->trace);
        spec.time_compression = vo->compression;
        spec.target_mean = vo->mean_rate > 0 ? vo->mean_rate : 0;
        spec.duration_s = vo->duration * vo->compression; /* window in trace seconds */
    } else {
        spec.kind = JS_ARR_POISSON;
        spec.rate = vo->rate;
    }
    vo->cfg.duration_s = vo->duration;
    double *arr = NULL;
    int narr = 0;
    rc = read_arrivals(&spec, vo->duration, &arr, &narr, d);
    js_device_factory f;
    const js_profile **plist = NULL;
    int np = 0;
    js_emu_config emu;
    char device[512];
    if (rc == 0 && vo->emulate) {
        if (emu_profiles(s, vo->cfg.app, &plist, &np) != 0)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        emu.nprofiles = np;
        emu.profiles = plist;
        emu.dist = JS_EMU_LOGNORMAL;
        emu.time_scale = 1.0;
        js_emu_factory(&emu, &f);
        char date[16];
        today(date, sizeof date);
        snprintf(device, sizeof device,
                 "the emulated device (workers sleep for the profiled latencies), %s", date);
        vo->cfg.use_mps_shares = false;
    } else if (rc == 0) {
        js_gpu_probe p;
        rc = need_gpu("validate", vo->cfg.device_index, &p, d);
        if (rc == 0) {
            describe_device(&p, device, sizeof device);
            js_cuda_factory(&f);
            if (!p.mps_running)
                fprintf(stderr, "jigsaw gpu validate: warning: no MPS daemon running; "
                                "workers time-slice the GPU\n");
        }
    }
    js_validate_result res;
    memset(&res, 0, sizeof res);
    if (rc == 0)
        rc = js_gpu_validate_run(&f, s, &plan, arr, narr, &vo->cfg, &res, d);
    js_validate_metrics sim;
    memset(&sim, 0, sizeof sim);
    if (rc == 0 && vo->sim_json) {
        cJSON *root = NULL;
        rc = js_json_load_file(vo->sim_json, &root, d);
        if (rc == 0)
            rc = js_validate_metrics_from_sim_json(vo->sim_json, root, &s->apps[vo->cfg.app],
                                                   vo->cfg.app, &sim, d);
        cJSON_Delete(root);
    } else if (rc == 0) {
        rc = js_validate_simulate(s, &plan, &spec, &vo->cfg, &sim, d);
    }
    if (rc == 0)
        rc = write_report(vo, &s->apps[vo->cfg.app], &res, &sim, device, d);
    js_validate_result_free(&res);
    free(plist);
    free(arr);
    js_plan_free(&plan);
    return rc;
}

static int cmd_validate(int argc, char **argv)
{
    validate_opts vo;
    int rc = parse_validate_opts(argc, argv, &vo);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    js_diag d;
    js_diag_init(&d);
    if (!vo.emulate && !js_cuda_built()) {
        js_diag_set(&d, JS_EXIT_NOTAVAIL, not_built, "validate");
        return finish(&d);
    }
    js_scenario s;
    if (js_scenario_load(vo.scenario, &s, &d) != 0)
        return finish(&d);
    rc = run_validate(&vo, &s, &d);
    js_scenario_free(&s);
    return rc ? finish(&d) : 0;
}

/* ------------------------------------------------------------------ diff */

static int cmd_diff(int argc, char **argv)
{
    bool json;
    int prc = parse_json_help(argc, argv, "diff",
                              "usage: jigsaw gpu diff MEASURED.json REFERENCE.json [--json]\n\n"
                              "Compare two profiles of one model entry by entry at equal (MIG "
                              "size, batch, workers),\ne.g. a measured table with our modelled "
                              "H100 one: relative error of throughput and\nmean latency, and "
                              "their median absolute percentage errors. Needs no GPU.\n",
                              &json);
    if (prc != 0)
        return prc < 0 ? 0 : prc;
    if (optind + 2 != argc)
        return usage_error("diff", "give two profile files");
    js_diag d;
    js_diag_init(&d);
    js_profile a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (js_profile_load(argv[optind], &a, &d) != 0)
        return finish(&d);
    if (js_profile_load(argv[optind + 1], &b, &d) != 0) {
        js_profile_free(&a);
        return finish(&d);
    }
    cJSON *o = js_profile_compare_json(&a, &b);
    int rc = o ? 0 : JS_EXIT_INTERNAL;
    if (o && json) {
        print_json(o);
    } else if (o) {
        printf("%s: %s vs %s\n%4s %5s %7s %12s %12s %8s %10s %10s %8s\n", a.model, a.gpu, b.gpu,
               "mig", "batch", "workers", "items/s", "ref items/s", "err", "lat ms",
               "ref lat ms", "err");
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "entries"))
        {
            printf("%4d %5d %7d %12.1f %12.1f %+7.1f%% %10.3f %10.3f %+7.1f%%\n",
                   cJSON_GetObjectItem(e, "mig")->valueint,
                   cJSON_GetObjectItem(e, "batch")->valueint,
                   cJSON_GetObjectItem(e, "workers")->valueint,
                   cJSON_GetObjectItem(e, "throughput")->valuedouble,
                   cJSON_GetObjectItem(e, "ref_throughput")->valuedouble,
                   100 * cJSON_GetObjectItem(e, "throughput_rel_error")->valuedouble,
                   cJSON_GetObjectItem(e, "lat_mean_ms")->valuedouble,
                   cJSON_GetObjectItem(e, "ref_lat_mean_ms")->valuedouble,
                   100 * cJSON_GetObjectItem(e, "latency_rel_error")->valuedouble);
        }
        const cJSON *mt = cJSON_GetObjectItem(o, "median_ape_throughput_pct");
        const cJSON *ml = cJSON_GetObjectItem(o, "median_ape_latency_pct");
        printf("matched %d entries; median APE throughput %.1f%%, latency %.1f%%\n",
               cJSON_GetObjectItem(o, "matched")->valueint,
               cJSON_IsNumber(mt) ? mt->valuedouble : NAN,
               cJSON_IsNumber(ml) ? ml->valuedouble : NAN);
    }
    cJSON_Delete(o);
    js_profile_free(&a);
    js_profile_free(&b);
    return rc;
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
        return cmd_probe(argc - 1, argv + 1);
    if (strcmp(sub, "models") == 0)
        return cmd_models(argc - 1, argv + 1);
    if (strcmp(sub, "profile") == 0)
        return cmd_profile(argc - 1, argv + 1);
    if (strcmp(sub, "validate") == 0)
        return cmd_validate(argc - 1, argv + 1);
    if (strcmp(sub, "diff") == 0)
        return cmd_diff(argc - 1, argv + 1);
    fprintf(stderr, "jigsaw gpu: unknown subcommand '%s'\n", sub);
    gpu_usage(stderr);
    return JS_EXIT_USAGE;
}
