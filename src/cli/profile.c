/* jigsaw profile: fit the performance model, generate modelled profiles, show a profile,
 * and write the paper's application scenarios. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "jigsaw/cli.h"
#include "cli_util.h"
#include "jigsaw/diag.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/perfmodel.h"
#include "jigsaw/profile.h"
#include "jigsaw/util.h"

#define PATHBUF 4096

static void profile_usage(FILE *out)
{
    fprintf(out,
            "usage: jigsaw profile fit [--json] [-o FILE] [--profiles DIR]\n"
            "       jigsaw profile generate [--gpu a100-80gb|h100-80gb|all] [--sigma S]\n"
            "                               [--max-workers K] [--profiles DIR]\n"
            "       jigsaw profile show VARIANT [--gpu G] [--workers K] [--json]\n"
            "       jigsaw profile scenarios [-o DIR] [--profiles DIR]\n"
            "\n"
            "fit       fit the performance model (%s) to every measured A100 table, print the\n"
            "          leave-one-model-out error table and write the parameters\n"
            "          (default PROFILES/perfmodel-fit.json, written atomically)\n"
            "generate  write modelled profiles PROFILES/<gpu>/<variant>.json for every\n"
            "          catalogue variant without a measured table (H100: all of them)\n"
            "show      print a profile as a table of MIG size x batch x workers\n"
            "scenarios write the paper's three applications (4 and 120 GPUs, A100 and H100)\n"
            "\n"
            "  -p, --profiles DIR   profiles root (default: profiles); reads DIR/models.json,\n"
            "                       DIR/gpus/<gpu>.json, DIR/perfmodel-fit.json\n"
            "  -o, --output PATH    output file (fit) or directory (scenarios)\n"
            "  -g, --gpu G          GPU type (generate: also 'all', the default)\n"
            "  -s, --sigma S        lognormal latency dispersion for p95 (default %.2f)\n"
            "  -k, --max-workers K  MPS workers per instance in generated tables (default 5)\n"
            "  -w, --workers K      show only entries with K workers\n"
            "      --json           machine-readable output\n"
            "  -h, --help           this help\n",
            JS_PM_VERSION, JS_DEFAULT_LATENCY_SIGMA);
}

typedef struct opts {
    const char *profiles;
    const char *output;
    const char *gpu;
    double sigma;
    int max_workers;
    int workers;
    int json;
} opts;

static int parse_opts(int argc, char **argv, const char *cmd, opts *o)
{
    static const struct option lo[] = {
        {"profiles", required_argument, NULL, 'p'}, {"output", required_argument, NULL, 'o'},
        {"gpu", required_argument, NULL, 'g'},      {"sigma", required_argument, NULL, 's'},
        {"max-workers", required_argument, NULL, 'k'},
        {"workers", required_argument, NULL, 'w'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    o->profiles = "profiles";
    o->output = NULL;
    o->gpu = NULL;
    o->sigma = JS_DEFAULT_LATENCY_SIGMA;
    o->max_workers = 5;
    o->workers = 0;
    o->json = 0;
    int ch;
    char *end;
    optind = 1;
    opterr = 0; /* js_cli_bad_option words the errors */
    while ((ch = getopt_long(argc, argv, "p:o:g:s:k:w:h", lo, NULL)) != -1) {
        switch (ch) {
        case 'p': o->profiles = optarg; break;
        case 'o': o->output = optarg; break;
        case 'g': o->gpu = optarg; break;
        case 's':
            o->sigma = strtod(optarg, &end);
            if (*end || !(o->sigma >= 0 && o->sigma < 2)) {
                return js_cli_usage_error(cmd, "--sigma must be a number in [0, 2)");
            }
            break;
        case 'k':
        case 'w': {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 64) {
                return js_cli_usage_error(cmd, "--%s must be an integer in [1, 64]",
                        ch == 'k' ? "max-workers" : "workers");
            }
            if (ch == 'k')
                o->max_workers = (int)v;
            else
                o->workers = (int)v;
            break;
        }
        case 'j': o->json = 1; break;
        case 'h': profile_usage(stdout); return -1;
        default: return js_cli_bad_option(cmd, argv, "p:o:g:s:k:w:h", lo);
        }
    }
    return 0;
}

static int print_json(cJSON *o)
{
    char *text = o ? cJSON_Print(o) : NULL;
    if (!text)
        return JS_EXIT_INTERNAL;
    printf("%s\n", text);
    cJSON_free(text);
    return JS_EXIT_OK;
}

/* Catalogue, and a GPU type, from the profiles root. */
static int load_catalogue(const opts *o, js_pm_catalogue *cat, js_diag *d)
{
    char path[PATHBUF];
    snprintf(path, sizeof path, "%s/models.json", o->profiles);
    return js_pm_catalogue_load(path, cat, d);
}

static int load_gpu(const opts *o, const char *name, js_gpu_type *g, js_diag *d)
{
    char path[PATHBUF];
    snprintf(path, sizeof path, "%s/gpus/%s.json", o->profiles, name);
    return js_gpu_load(path, g, d);
}

/* ------------------------------------------------------------------ fit */

static void print_err_row(const char *name, const js_pm_err *e)
{
    printf("  %-14s %6d %9.1f %9.1f %9.1f %9.1f %8.1f\n", name, e->n, e->thr_med, e->thr_p90,
           e->lat_med, e->lat_p90, 100.0 * e->mem_agree);
}

static void print_cv(const js_pm_cv *cv, const js_pm_catalogue *cat)
{
    const js_pm_params *p = &cv->full;
    printf("jigsaw performance model %s, fitted to %d measured A100-80GB tables\n",
           JS_PM_VERSION, cv->nmodels);
    printf("parameters: t0 %.4g ms, c_op %.4g ms/op, a_flop %.4g ms/GFLOP,\n"
           "            a_act %.4g ms/M activations, gamma %.4g, h %.4g items, omega %.4g,\n"
           "            mu %.4g, p %.4g, memory m0 %.4g GiB, alpha_act %.4g GiB/M,\n"
           "            alpha_flop %.4g GiB/GFLOP, a_op %.4g ms/op\n",
           p->t0, p->c_op, p->a_flop, p->a_act, p->gamma, p->h, p->omega, p->mu, p->p,
           p->mem_m0, p->mem_alpha_act, p->mem_alpha_flop, p->a_op);
    printf("\nleave-one-model-out (absolute percentage error, %%; avail = configurations whose\n"
           "availability the memory model predicts, %%)\n");
    printf("  %-14s %6s %9s %9s %9s %9s %8s\n", "held out", "points", "thr med", "thr p90",
           "lat med", "lat p90", "avail");
    for (int i = 0; i < cv->nmodels; i++)
        print_err_row(cat->m[cv->model[i]].name, &cv->heldout[i]);
    print_err_row("ALL (pooled)", &cv->overall);
    printf("\nfit on all data, training error:\n");
    print_err_row("training", &cv->train);
    printf("\nnote: measured latencies are rounded to 1 ms in the source tables, which bounds\n"
           "the latency error of batches that take a few ms.\n");
}

static int cmd_fit(const opts *o)
{
    js_diag d;
    js_diag_init(&d);
    js_pm_catalogue *cat = malloc(sizeof *cat);
    js_pm_cv *cv = malloc(sizeof *cv);
    js_pm_obs *obs = NULL;
    int nobs = 0, rc = (!cat || !cv) ? JS_EXIT_INTERNAL : 0;
    js_gpu_type g;
    char dir[PATHBUF], out[PATHBUF];
    snprintf(dir, sizeof dir, "%s/a100-80gb", o->profiles);
    snprintf(out, sizeof out, "%s", o->output ? o->output : "");
    if (!o->output)
        snprintf(out, sizeof out, "%s/perfmodel-fit.json", o->profiles);
    if (rc == 0)
        rc = load_catalogue(o, cat, &d);
    if (rc == 0)
        rc = load_gpu(o, "a100-80gb", &g, &d);
    if (rc == 0)
        rc = js_pm_training_load(cat, dir, &g, &obs, &nobs, &d);
    if (rc == 0)
        rc = js_pm_crossvalidate(cat, obs, nobs, cv, &d);
    cJSON *j = rc == 0 ? js_pm_fit_to_json(cv, cat) : NULL;
    if (rc == 0 && !j)
        rc = js_diag_set(&d, JS_EXIT_INTERNAL, "out of memory");
    if (rc == 0)
        rc = js_json_write_file(out, j, &d);
    if (rc == 0) {
        if (o->json)
            rc = print_json(j);
        else
            print_cv(cv, cat);
    }
    js_cli_print_diag("profile", &d);
    cJSON_Delete(j);
    free(obs);
    free(cat);
    free(cv);
    return rc;
}

/* ------------------------------------------------------------------ generate */

/* A measured table must never be replaced by a modelled one. */
static bool is_measured_file(const char *path)
{
    js_diag d;
    js_diag_init(&d);
    js_profile p;
    if (js_profile_load(path, &p, &d) != 0)
        return false;
    bool m = p.prov.kind == JS_PROV_MEASURED;
    js_profile_free(&p);
    return m;
}

static void assumption_text(const js_gpu_type *g, const js_pm_facts *f, char *buf, size_t n)
{
    const char *gpu_note =
        strcmp(g->name, "a100-80gb") == 0
            ? "A100: direct prediction of the fit."
            : "Not an A100: the A100 fit scaled by documented facts of this GPU (SMs per "
              "instance, SM clock, memory bandwidth, instance memory from gpus/<gpu>.json); "
              "per-SM per-clock throughput and host launch cost assumed as on A100 "
              "(conservative for newer tensor cores).";
    const char *var_note = "";
    if (strcmp(f->family, "git") == 0)
        var_note = " Captioning: 15 generated tokens, beam 4, image encoded once per image.";
    else if (strcmp(f->family, "piper") == 0)
        var_note = " TTS: 3.0 s of audio per request.";
    snprintf(buf, n, "%s%s", gpu_note, var_note);
}

static int generate_gpu(const opts *o, const js_pm_catalogue *cat, const js_pm_params *p,
                        double ht, double hl, const char *gpu, int *written, int *skipped,
                        js_diag *d)
{
    js_gpu_type g;
    int rc = load_gpu(o, gpu, &g, d);
    if (rc)
        return rc;
    int kmax = o->max_workers < g.max_mps_workers ? o->max_workers : g.max_mps_workers;
    char dir[PATHBUF];
    snprintf(dir, sizeof dir, "%s/%s", o->profiles, gpu);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: cannot create directory: %s", dir,
                           strerror(errno));
    for (int i = 0; i < cat->n && rc == 0; i++) {
        const js_pm_facts *f = &cat->m[i];
        char path[PATHBUF];
        snprintf(path, sizeof path, "%s/%s/%s.json", o->profiles, gpu, f->name);
        if (is_measured_file(path)) {
            (*skipped)++;
            continue;
        }
        char note[400];
        assumption_text(&g, f, note, sizeof note);
        js_profile prof;
        rc = js_pm_generate(p, f, &g, kmax, o->sigma, ht, hl, note, &prof, d);
        cJSON *j = rc == 0 ? js_profile_to_json(&prof) : NULL;
        if (rc == 0 && !j)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        if (rc == 0)
            rc = js_json_write_file(path, j, d);
        if (rc == 0)
            (*written)++;
        cJSON_Delete(j);
        js_profile_free(&prof);
    }
    return rc;
}

static int cmd_generate(const opts *o)
{
    js_diag d;
    js_diag_init(&d);
    js_pm_catalogue *cat = malloc(sizeof *cat);
    if (!cat)
        return JS_EXIT_INTERNAL;
    js_pm_params p;
    double ht = NAN, hl = NAN;
    char fit[PATHBUF];
    snprintf(fit, sizeof fit, "%s/perfmodel-fit.json", o->profiles);
    int rc = load_catalogue(o, cat, &d);
    if (rc == 0)
        rc = js_pm_fit_load(fit, &p, &ht, &hl, &d);
    int written = 0, skipped = 0;
    const char *gpus[] = {"a100-80gb", "h100-80gb"};
    for (int i = 0; i < 2 && rc == 0; i++)
        if (!o->gpu || strcmp(o->gpu, "all") == 0 || strcmp(o->gpu, gpus[i]) == 0)
            rc = generate_gpu(o, cat, &p, ht, hl, gpus[i], &written, &skipped, &d);
    if (rc == 0 && o->gpu && strcmp(o->gpu, "all") != 0 && strcmp(o->gpu, gpus[0]) != 0 &&
        strcmp(o->gpu, gpus[1]) != 0)
        rc = generate_gpu(o, cat, &p, ht, hl, o->gpu, &written, &skipped, &d);
    js_cli_print_diag("profile", &d);
    free(cat);
    if (rc)
        return rc;
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        if (j && cJSON_AddNumberToObject(j, "written", written) &&
            cJSON_AddNumberToObject(j, "kept_measured", skipped) &&
            cJSON_AddNumberToObject(j, "sigma", o->sigma))
            rc = print_json(j);
        else
            rc = JS_EXIT_INTERNAL;
        cJSON_Delete(j);
        return rc;
    }
    printf("wrote %d modelled profiles (sigma %.3g); kept %d measured tables unchanged\n",
           written, o->sigma, skipped);
    return JS_EXIT_OK;
}

/* ------------------------------------------------------------------ show */

static int cmd_show(const opts *o, const char *variant)
{
    js_diag d;
    js_diag_init(&d);
    char path[PATHBUF];
    const char *gpu = o->gpu ? o->gpu : "a100-80gb";
    snprintf(path, sizeof path, "%s/%s/%s.json", o->profiles, gpu, variant);
    char found[PATHBUF];
    /* Reading only: the shipped profiles from any directory (util.h's search path). */
    if (js_data_resolve(path, found, sizeof found) == 0)
        snprintf(path, sizeof path, "%s", found);
    js_profile p;
    int rc = js_profile_load(path, &p, &d);
    if (rc) {
        js_cli_print_diag("profile", &d);
        return rc;
    }
    js_profile_derive_tails(&p, o->sigma);
    if (o->json) {
        cJSON *j = js_profile_to_json(&p);
        rc = print_json(j);
        cJSON_Delete(j);
        js_profile_free(&p);
        return rc;
    }
    printf("%s on %s: %s\n", p.model, p.gpu,
           p.prov.kind == JS_PROV_MEASURED ? "measured" : "modelled");
    printf("source: %s\n", p.prov.source);
    if (p.prov.kind == JS_PROV_MODELLED)
        printf("model %s, held-out median error: throughput %.1f%%, latency %.1f%%\n",
               p.prov.model_version, p.prov.heldout_mape_throughput,
               p.prov.heldout_mape_latency);
    printf("\n%4s %6s %7s %12s %12s %10s %10s  %s\n", "mig", "batch", "workers",
           "items/s/wkr", "items/s/inst", "mean ms", "p95 ms", "source");
    for (int i = 0; i < p.nentries; i++) {
        const js_profile_entry *e = &p.entries[i];
        if (o->workers && e->workers != o->workers)
            continue;
        if (!e->available) {
            printf("%3dg %6d %7d %12s %12s %10s %10s  %s\n", e->mig, e->batch, e->workers, "-",
                   "-", "-", "-", "unavailable");
            continue;
        }
        printf("%3dg %6d %7d %12.1f %12.1f %10.2f %10.2f  %s\n", e->mig, e->batch, e->workers,
               e->throughput, e->throughput * e->workers, e->lat_mean_ms, e->lat_p95_ms,
               e->prov == JS_PROV_MEASURED ? "measured" : "modelled");
    }
    js_profile_free(&p);
    return JS_EXIT_OK;
}

/* ------------------------------------------------------------------ scenarios */

static int cmd_scenarios(const opts *o)
{
    js_diag d;
    js_diag_init(&d);
    int n = 0;
    const char *dir = o->output ? o->output : "scenarios";
    int rc = js_mkdir_p(dir, &d); /* a new directory is made, as compare --out does */
    if (rc == 0)
        rc = js_pm_write_scenarios(o->profiles, dir, &n, &d);
    js_cli_print_diag("profile", &d);
    if (rc)
        return rc;
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        rc = j && cJSON_AddNumberToObject(j, "scenarios", n) ? print_json(j) : JS_EXIT_INTERNAL;
        cJSON_Delete(j);
        return rc;
    }
    printf("wrote %d scenarios\n", n);
    return JS_EXIT_OK;
}

/* ------------------------------------------------------------------ dispatch */

int js_cmd_profile(int argc, char **argv)
{
    if (argc < 2) {
        profile_usage(stderr);
        return JS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        profile_usage(stdout);
        return JS_EXIT_OK;
    }
    const char *sub = argv[1];
    opts o;
    static const char *const subs[] = {"fit", "generate", "show", "scenarios"};
    bool known = false;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        known = known || strcmp(sub, subs[i]) == 0;
    if (!known) {
        const char *near = js_cli_suggest(sub, subs, sizeof subs / sizeof subs[0]);
        if (near)
            return js_cli_usage_error("profile", "unknown subcommand '%s'; did you mean "
                                      "'%s'?", sub, near);
        return js_cli_usage_error("profile", "unknown subcommand '%s' (fit, generate, show, "
                                  "scenarios)", sub);
    }
    char cmd[32];
    snprintf(cmd, sizeof cmd, "profile %s", sub);
    int rc = parse_opts(argc - 1, argv + 1, cmd, &o);
    if (rc == -1)
        return JS_EXIT_OK;
    if (rc)
        return rc;
    int npos = argc - 1 - optind;
    char **pos = argv + 1 + optind;
    if (strcmp(sub, "fit") == 0 && npos == 0)
        return cmd_fit(&o);
    if (strcmp(sub, "generate") == 0 && npos == 0)
        return cmd_generate(&o);
    if (strcmp(sub, "show") == 0 && npos == 1)
        return cmd_show(&o, pos[0]);
    if (strcmp(sub, "scenarios") == 0 && npos == 0)
        return cmd_scenarios(&o);
    return js_cli_usage_error(cmd, "wrong number of arguments (show takes one VARIANT, the "
                              "others none)");
}
