/* jigsaw gpu validate: run a plan on the GPU in real time (or on the emulated device with
 * --emulate) under a trace or Poisson arrivals, simulate the same plan and arrivals, and
 * write both sets of metrics side by side (JSON and Markdown). The runtime is in
 * src/cuda/validate.c and src/cuda/workers.c; this file reads the inputs and writes the
 * report. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_util.h"
#include "gpu_internal.h"
#include "jigsaw/plan.h"
#include "jigsaw/trace.h"

#define MAX_ARRIVALS 2000000

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
    opterr = 0; /* js_cli_bad_option words the errors */
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
                return gpu_usage_error("validate", "--dispatch: jsed, rr or shared");
            break;
        case 'B':
            bad = js_cli_parse_double(optarg, &vo->cfg.batch_timeout_ms) ||
                  vo->cfg.batch_timeout_ms < 0;
            break;
        case 'E': vo->cfg.early_drop = false; break;
        case 'F': vo->cfg.poisson_fanout = false; break;
        case 'S':
            if (js_cli_parse_seed("gpu validate", optarg, &vo->cfg.seed) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'x': vo->sim_json = optarg; break;
        case 'o': vo->out_dir = optarg; break;
        case 'n': vo->name = optarg; break;
        case 'e': vo->emulate = true; break;
        case 'j': vo->json = true; break;
        case 'h': return validate_help() - 1;
        default:
            return js_cli_bad_option("gpu validate", argv, "s:t:r:D:C:M:a:p:B:EFS:x:o:n:ejh", opts);
        }
        if (bad)
            return gpu_usage_error("validate", "a numeric option is out of range or not a number "
                                           "(see --help)");
    }
    if (optind + 1 != argc)
        return gpu_usage_error("validate", "give exactly one PLAN file");
    vo->plan = argv[optind];
    if (!vo->scenario)
        return gpu_usage_error("validate", "--scenario is required");
    if (!vo->trace == !(vo->rate > 0))
        return gpu_usage_error("validate", "give --trace FILE or --rate R");
    if (!(vo->duration > 0) || !(vo->compression > 0) || vo->cfg.batch_timeout_ms < 0)
        return gpu_usage_error("validate", "--duration and --time-compression must be > 0");
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
            gpu_print_json(j);
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
        gpu_today(date, sizeof date);
        snprintf(device, sizeof device,
                 "the emulated device (workers sleep for the profiled latencies), %s", date);
        vo->cfg.use_mps_shares = false;
    } else if (rc == 0) {
        js_gpu_probe p;
        rc = gpu_need_device("validate", vo->cfg.device_index, &p, d);
        if (rc == 0) {
            gpu_describe_device(&p, device, sizeof device);
            js_cuda_factory(&f);
            if (!p.mps_running)
                js_cli_warn("gpu validate", "no MPS daemon running; "
                                "workers time-slice the GPU");
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

int gpu_cmd_validate(int argc, char **argv)
{
    validate_opts vo;
    int rc = parse_validate_opts(argc, argv, &vo);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    js_diag d;
    js_diag_init(&d);
    if (!vo.emulate && !js_cuda_built()) {
        gpu_not_built("validate", &d);
        return gpu_finish(&d);
    }
    js_scenario s;
    if (js_scenario_load(vo.scenario, &s, &d) != 0)
        return gpu_finish(&d);
    rc = run_validate(&vo, &s, &d);
    js_scenario_free(&s);
    return rc ? gpu_finish(&d) : 0;
}
