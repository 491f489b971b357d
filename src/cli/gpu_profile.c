/* jigsaw gpu profile / diff: measuring profiles of the proxy workloads on the GPU (over
 * MIG instances or MPS shares, workers and batch sizes; --emulate replays existing
 * profiles on the CPU to rehearse the runtime) and comparing two profiles of one model
 * (e.g. measured against modelled H100). The measurement itself is in src/cuda/gprofile.c;
 * this file parses options, writes the profile and the raw measurements. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_util.h"
#include "gpu_internal.h"

/* ------------------------------------------------------------------ profile */

typedef struct profile_opts {
    js_gpu_profile_config cfg;
    char models[16][JS_NAME_MAX];
    int nmodels;
    const char *profiles_dir, *results_dir, *emulate;
    bool use_mig;
} profile_opts;

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
            js_cli_warn("gpu profile", "%s mig %d k %d batch %d is "
                            "unavailable: %s", po->cfg.model, m[i].mig, m[i].workers,
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
    optind = 1;
    opterr = 0; /* js_cli_bad_option words the errors */
    while ((o = getopt_long(argc, argv, "m:s:b:k:W:r:P:R:g:d:e:MS:h", opts, NULL)) != -1) {
        switch (o) {
        case 'm': {
            char buf[1024];
            snprintf(buf, sizeof buf, "%s", optarg);
            char *save = NULL;
            for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (po->nmodels >= 16)
                    return gpu_usage_error("profile", "at most 16 models");
                snprintf(po->models[po->nmodels++], JS_NAME_MAX, "%s", t);
            }
            break;
        }
        case 's':
            if ((c->nshares = parse_list(optarg, c->shares, 8, 7)) < 1)
                return gpu_usage_error("profile", "--shares: up to 8 values in 1..7");
            break;
        case 'b':
            if ((c->nbatches = parse_list(optarg, c->batches, 16, 4096)) < 1)
                return gpu_usage_error("profile", "--batches: up to 16 values in 1..4096");
            break;
        case 'k':
            if ((c->nworkers = parse_list(optarg, c->workers, 8, 8)) < 1)
                return gpu_usage_error("profile", "--workers: up to 8 values in 1..8");
            break;
        case 'W':
            if (js_cli_parse_int(optarg, 0, 100000, &v) != 0)
                return gpu_usage_error("profile", "--warmup: an integer in 0..100000");
            c->warmup = (int)v;
            break;
        case 'r':
            if (js_cli_parse_int(optarg, 1, 100000, &v) != 0)
                return gpu_usage_error("profile", "--reps: an integer in 1..100000");
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
                return gpu_usage_error("profile", "--device: an integer in 0..63");
            c->device_index = (int)v;
            break;
        case 'e':
            po->emulate = optarg;
            break;
        case 'M':
            po->use_mig = true;
            break;
        case 'S':
            if (js_cli_parse_seed("gpu profile", optarg, &c->seed) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'h':
            return profile_help() - 1;
        default:
            return js_cli_bad_option("gpu profile", argv, "m:s:b:k:W:r:P:R:g:d:e:MS:h", opts);
        }
    }
    if (po->nmodels == 0)
        return gpu_usage_error("profile", "--model is required");
    if (c->reps < 1 || c->warmup < 0)
        return gpu_usage_error("profile", "--reps must be >= 1 and --warmup >= 0");
    return 0;
}

int gpu_cmd_profile(int argc, char **argv)
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
            return gpu_finish(&d);
        }
        if (po->nmodels != 1 || strcmp(po->models[0], emu_prof.model) != 0) {
            js_cli_error("gpu profile", "--emulate %s replays model '%s'; give "
                            "--model %s", po->emulate, emu_prof.model, emu_prof.model);
            js_profile_free(&emu_prof);
            free(po);
            return JS_EXIT_USAGE;
        }
        js_emu_factory(&emu, &f);
        if (!po->cfg.gpu_name[0])
            snprintf(po->cfg.gpu_name, sizeof po->cfg.gpu_name, "%s", emu_prof.gpu);
        char date[16];
        gpu_today(date, sizeof date);
        snprintf(po->cfg.device_desc, sizeof po->cfg.device_desc,
                 "the emulated device replaying %s (not a GPU measurement), %s",
                 emu_prof.prov.kind == JS_PROV_MEASURED ? "a measured profile"
                                                        : "a modelled profile",
                 date);
    } else {
        js_gpu_probe p;
        if (gpu_need_device("profile", po->cfg.device_index, &p, &d) != 0) {
            free(po);
            return gpu_finish(&d);
        }
        for (int i = 0; i < po->nmodels; i++) {
            js_proxy_model *pm = malloc(sizeof *pm);
            int bad = !pm || js_proxy_build(po->models[i], pm, &d) != 0;
            free(pm);
            if (bad) {
                free(po);
                return gpu_finish(&d);
            }
        }
        if (p.mig_mode == 1 || po->use_mig) {
            if (p.nmig == 0) {
                js_diag_set(&d, JS_EXIT_NOTAVAIL,
                            "jigsaw gpu profile: MIG is %s but no instance exists; create "
                            "them (nvidia-smi mig -cgi ... -C) or disable MIG",
                            p.mig_mode == 1 ? "enabled" : "requested");
                free(po);
                return gpu_finish(&d);
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
            js_cli_warn("gpu profile", "no MPS daemon is running (%s); "
                            "co-located workers time-slice and shares below 7 have no "
                            "effect (start one with nvidia-cuda-mps-control -d)",
                    p.mps_pipe_dir);
        }
        if (!po->cfg.gpu_name[0])
            js_gpu_slug(p.name, p.memory_gib, po->cfg.gpu_name, sizeof po->cfg.gpu_name);
        gpu_describe_device(&p, po->cfg.device_desc, sizeof po->cfg.device_desc);
        js_cuda_factory(&f);
    }
    for (int i = 0; rc == 0 && i < po->nmodels; i++) {
        snprintf(po->cfg.model, sizeof po->cfg.model, "%s", po->models[i]);
        rc = profile_one(po, &f, po->emulate != NULL, &d);
    }
    js_profile_free(&emu_prof);
    free(po);
    return rc ? gpu_finish(&d) : 0;
}

/* ------------------------------------------------------------------ diff */

int gpu_cmd_diff(int argc, char **argv)
{
    bool json;
    int prc = gpu_parse_json_help(argc, argv, "diff",
                                  "usage: jigsaw gpu diff MEASURED.json REFERENCE.json [--json]\n\n"
                                  "Compare two profiles of one model entry by entry at equal (MIG "
                                  "size, batch, workers),\ne.g. a measured table with our modelled "
                                  "H100 one: relative error of throughput and\nmean latency, and "
                                  "their median absolute percentage errors. Needs no GPU.\n",
                                  &json);
    if (prc != 0)
        return prc < 0 ? 0 : prc;
    if (optind + 2 != argc)
        return gpu_usage_error("diff", "give two profile files");
    js_diag d;
    js_diag_init(&d);
    js_profile a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (js_profile_load(argv[optind], &a, &d) != 0)
        return gpu_finish(&d);
    if (js_profile_load(argv[optind + 1], &b, &d) != 0) {
        js_profile_free(&a);
        return gpu_finish(&d);
    }
    cJSON *o = js_profile_compare_json(&a, &b);
    int rc = o ? 0 : JS_EXIT_INTERNAL;
    if (o && json) {
        gpu_print_json(o);
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
