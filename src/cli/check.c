/* jigsaw check: validate scenario, profile and GPU type files, one summary line each. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jigsaw/cli.h"
#include "cli_util.h"
#include "jigsaw/diag.h"
#include "jigsaw/gpu.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/perfmodel.h"
#include "jigsaw/plan.h"
#include "jigsaw/profile.h"
#include "jigsaw/scenario.h"
#include "jigsaw/util.h"

static void check_usage(FILE *out)
{
    fprintf(out,
            "usage: jigsaw check [--json] [--scenario SCENARIO] FILE...\n"
            "\n"
            "Validate each FILE (a scenario, profile, GPU type or plan; the top-level \"kind\"\n"
            "says which) and print one summary line per file. Errors and warnings go to\n"
            "stderr and name the file, the JSON path and the problem.\n"
            "\n"
            "  --json                print a JSON array with one object per file instead\n"
            "  --scenario SCENARIO   the scenario plans are checked against (needed for plans)\n"
            JS_CLI_HOST_HELP
            "  -h, --help            this help\n"
            "\n"
            "exit status: 0 when every file is valid, else the highest code met\n"
            "(65 invalid data, 66 missing or unreadable file).\n");
}

typedef struct check_result {
    const char *kind;
    char summary[512];
} check_result;

static int check_gpu(const char *path, const cJSON *root, js_diag *d, check_result *r)
{
    js_gpu_type g;
    js_jctx c;
    js_jctx_init(&c, path, d);
    int rc = js_gpu_from_json(&c, root, &g);
    if (rc != 0)
        return rc;
    js_gpu_layout *layouts = NULL;
    int n = 0;
    rc = js_gpu_enumerate_layouts(&g, 1, &layouts, &n);
    free(layouts);
    if (rc != 0)
        return js_diag_set(d, rc, "%s: $.mig_profiles: cannot enumerate the MIG layouts (%s)",
                           path, rc == JS_EXIT_DATAERR ? "too many combinations" : "out of memory");
    char names[256] = "";
    size_t len = 0;
    for (int i = 0; i < g.nprofiles; i++) {
        int w = snprintf(names + len, sizeof names - len, "%s%s", i ? " " : "", g.profiles[i].name);
        if (w < 0 || (size_t)w >= sizeof names - len)
            break;
        len += (size_t)w;
    }
    snprintf(r->summary, sizeof r->summary,
             "gpu %s: %d compute / %d memory slices, MIG %s, %d maximal layouts, at most %d MPS "
             "workers per instance",
             g.name, g.compute_slices, g.memory_slices, names, n, g.max_mps_workers);
    return 0;
}

/* A profile lives at <profiles>/<gpu>/<model>.json, its GPU type at
 * <profiles>/gpus/<gpu>.json: where that file exists, the profile is checked against it as
 * a scenario using the profile would check it. */
static int check_profile_gpu(const char *path, const js_profile *p, js_diag *d)
{
    char gpath[1024];
    const char *slash = strrchr(path, '/');
    int n = slash != NULL ? (int)(slash - path) : 1;
    if (snprintf(gpath, sizeof gpath, "%.*s/../gpus/%s.json", n, slash ? path : ".", p->gpu) >=
        (int)sizeof gpath)
        return 0;
    FILE *f = fopen(gpath, "r");
    if (f == NULL)
        return 0;
    fclose(f);
    js_gpu_type g;
    js_diag gd;
    js_diag_init(&gd);
    if (js_gpu_load(gpath, &g, &gd) != 0)
        return js_diag_set(d, gd.code, "%s: $.gpu: GPU type file is invalid: %s", path, gd.msg);
    return js_profile_check_gpu(path, p, &g, d);
}

static int check_profile(const char *path, const cJSON *root, js_diag *d, check_result *r)
{
    js_profile p;
    js_jctx c;
    js_jctx_init(&c, path, d);
    int rc = js_profile_from_json(&c, root, &p);
    if (rc != 0)
        return rc;
    rc = js_profile_check_file_name(path, &p, d);
    if (rc == 0)
        rc = check_profile_gpu(path, &p, d);
    if (rc != 0) {
        js_profile_free(&p);
        return rc;
    }
    int avail = 0, derived = 0;
    for (int i = 0; i < p.nentries; i++) {
        avail += p.entries[i].available;
        derived += p.entries[i].available && p.entries[i].p95_derived;
    }
    snprintf(r->summary, sizeof r->summary,
             "profile %s on %s: %s, %d configurations (%d available, %d unavailable)%s", p.model,
             p.gpu, p.prov.kind == JS_PROV_MODELLED ? "modelled" : "measured", p.nentries, avail,
             p.nentries - avail, derived ? ", p95 derived from the mean" : "");
    js_profile_free(&p);
    return 0;
}

static int check_scenario(const char *path, js_diag *d, check_result *r)
{
    js_scenario s;
    int rc = js_scenario_load(path, &s, d);
    if (rc != 0)
        return rc;
    int tasks = 0, variants = 0;
    for (int a = 0; a < s.napps; a++) {
        tasks += s.apps[a].ntasks;
        for (int t = 0; t < s.apps[a].ntasks; t++)
            variants += s.apps[a].tasks[t].nvariants;
    }
    snprintf(r->summary, sizeof r->summary,
             "scenario %s: %d app%s, %d task%s, %d variant%s, %d x %s (at most %d MPS workers "
             "per instance)",
             s.name, s.napps, s.napps == 1 ? "" : "s", tasks, tasks == 1 ? "" : "s", variants,
             variants == 1 ? "" : "s", s.cluster.gpus, s.cluster.gpu_name, s.cluster.max_workers);
    js_scenario_free(&s);
    return 0;
}

static int check_plan(const char *path, const js_scenario *s, js_diag *d, check_result *r)
{
    if (s == NULL)
        return js_diag_set(d, JS_EXIT_USAGE, "%s: checking a plan needs --scenario SCENARIO",
                           path);
    js_plan p;
    js_plan_init(&p);
    int rc = js_plan_load(path, s, &p, d);
    if (rc == 0)
        snprintf(r->summary, sizeof r->summary,
                 "plan for scenario %s: system %s, %s, %d slices on %d GPUs", s->name, p.system,
                 p.feasible ? "feasible" : "infeasible", p.slices_used, p.gpus_used);
    js_plan_free(&p);
    return rc;
}

static int check_model_facts(const char *path, js_diag *d, check_result *r)
{
    js_pm_catalogue *cat = malloc(sizeof *cat); /* large: keep it off the stack */
    if (cat == NULL)
        return js_diag_set(d, JS_EXIT_INTERNAL, "%s: out of memory", path);
    int rc = js_pm_catalogue_load(path, cat, d);
    if (rc == 0)
        snprintf(r->summary, sizeof r->summary, "model facts: %d models", cat->n);
    free(cat);
    return rc;
}

static int check_perfmodel_fit(const char *path, js_diag *d, check_result *r)
{
    js_pm_params p;
    double thr = 0, lat = 0;
    int rc = js_pm_fit_load(path, &p, &thr, &lat, d);
    if (rc == 0)
        snprintf(r->summary, sizeof r->summary,
                 "performance-model fit: held-out median error %.1f%% throughput, %.1f%% latency",
                 thr, lat);
    return rc;
}

static int check_host_defaults(const char *path, js_diag *d, check_result *r)
{
    js_host_defaults t;
    int rc = js_host_defaults_load(path, &t, d);
    if (rc == 0)
        snprintf(r->summary, sizeof r->summary, "host defaults of %d model families", t.n);
    return rc;
}

static int check_one(const char *path, const js_scenario *scen, js_diag *d, check_result *r)
{
    cJSON *root = NULL;
    r->kind = NULL;
    r->summary[0] = '\0';
    int rc = js_json_load_file(path, &root, d);
    if (rc != 0)
        return rc;
    const char *kind = js_json_kind(root);
    js_jctx c;
    js_jctx_init(&c, path, d);
    if (kind == NULL) {
        rc = cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "kind") == NULL
                 ? js_json_err(&c, "kind",
                               "missing required field (\"gpu\", \"profile\", \"scenario\" or "
                               "\"plan\")")
                 : js_json_check_kind(&c, root, "scenario");
    } else if (strcmp(kind, "gpu") == 0) {
        r->kind = "gpu";
        rc = check_gpu(path, root, d, r);
    } else if (strcmp(kind, "profile") == 0) {
        r->kind = "profile";
        rc = check_profile(path, root, d, r);
    } else if (strcmp(kind, "scenario") == 0) {
        r->kind = "scenario";
        rc = check_scenario(path, d, r);
    } else if (strcmp(kind, "plan") == 0) {
        r->kind = "plan";
        rc = check_plan(path, scen, d, r);
    } else if (strcmp(kind, "model-facts") == 0) {
        r->kind = "model-facts";
        rc = check_model_facts(path, d, r);
    } else if (strcmp(kind, "perfmodel-fit") == 0) {
        r->kind = "perfmodel-fit";
        rc = check_perfmodel_fit(path, d, r);
    } else if (strcmp(kind, "host-defaults") == 0) {
        r->kind = "host-defaults";
        rc = check_host_defaults(path, d, r);
    } else {
        rc = js_json_err(&c, "kind",
                         "\"%s\" is not a kind this command checks (gpu, profile, scenario, "
                         "plan, model-facts, perfmodel-fit, host-defaults)",
                         kind);
    }
    cJSON_Delete(root);
    return rc;
}

static cJSON *result_json(const char *path, int rc, const js_diag *d, const check_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    bool ok = cJSON_AddStringToObject(o, "file", path) != NULL &&
              (r->kind ? cJSON_AddStringToObject(o, "kind", r->kind)
                       : cJSON_AddNullToObject(o, "kind")) != NULL &&
              cJSON_AddBoolToObject(o, "ok", rc == 0) != NULL &&
              cJSON_AddNumberToObject(o, "exit_code", rc) != NULL;
    if (ok && rc == 0)
        ok = cJSON_AddStringToObject(o, "summary", r->summary) != NULL;
    if (ok && rc != 0)
        ok = cJSON_AddStringToObject(o, "error", d->msg) != NULL;
    cJSON *w = ok ? cJSON_AddArrayToObject(o, "warnings") : NULL;
    ok = ok && w != NULL;
    int shown = d->nwarnings < JS_DIAG_MAX_WARNINGS ? d->nwarnings : JS_DIAG_MAX_WARNINGS;
    for (int i = 0; i < shown && ok; i++) {
        cJSON *s = cJSON_CreateString(d->warnings[i]);
        ok = s != NULL && cJSON_AddItemToArray(w, s);
        if (!ok)
            cJSON_Delete(s);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int js_cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"scenario", required_argument, NULL, 's'},
        JS_CLI_HOST_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, ch;
    const char *scen_path = NULL;
    js_scenario_opts sopts = js_scenario_opts_default();
    optind = 1;
    opterr = 0; /* js_cli_bad_option words the errors */
    while ((ch = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
        int host_rc = js_cli_host_option("check", ch, optarg, &sopts);
        if (host_rc < 0)
            return JS_EXIT_USAGE;
        if (host_rc > 0)
            continue;
        switch (ch) {
        case 'j': json = 1; break;
        case 's': scen_path = optarg; break;
        case 'h': check_usage(stdout); return JS_EXIT_OK;
        default: return js_cli_bad_option("check", argv, "s:h", opts);
        }
    }
    if (optind >= argc) {
        return js_cli_usage_error("check", "no FILE given");
    }
    int worst = 0;
    js_diag *d = malloc(sizeof *d);
    js_scenario *scen = NULL;
    if (d == NULL)
        return JS_EXIT_INTERNAL;
    if (scen_path != NULL) {
        scen = malloc(sizeof *scen);
        js_diag_init(d);
        /* The host options say what the plans were made under (docs/host-model.md). */
        int rc = scen ? js_scenario_load_opts(scen_path, &sopts, scen, d) : JS_EXIT_INTERNAL;
        if (rc != 0) {
            js_cli_print_diag("check", d);
            free(scen);
            free(d);
            return rc;
        }
    }
    cJSON *all = json ? cJSON_CreateArray() : NULL;
    if (json && all == NULL)
        worst = JS_EXIT_INTERNAL;
    for (int i = optind; i < argc; i++) {
        js_diag_init(d);
        check_result r;
        char found[JS_PATH_MAX];
        /* A shipped file named by its data-relative path works from any directory. */
        js_data_resolve(argv[i], found, sizeof found);
        int rc = check_one(found, scen, d, &r);
        if (rc > worst)
            worst = rc;
        js_cli_print_diag("check", d);
        if (json) {
            cJSON *o = result_json(argv[i], rc, d, &r);
            if (o == NULL || !cJSON_AddItemToArray(all, o)) {
                cJSON_Delete(o);
                worst = JS_EXIT_INTERNAL > worst ? JS_EXIT_INTERNAL : worst;
            }
        } else if (rc == 0) {
            printf("%s: ok: %s%s\n", argv[i], r.summary,
                   d->nwarnings ? " (with warnings)" : "");
        } else {
            printf("%s: invalid (exit %d)\n", argv[i], rc);
        }
    }
    free(d);
    if (scen != NULL) {
        js_scenario_free(scen);
        free(scen);
    }
    if (json && all != NULL) {
        char *text = cJSON_Print(all);
        cJSON_Delete(all);
        if (text == NULL)
            return JS_EXIT_INTERNAL;
        printf("%s\n", text);
        cJSON_free(text);
    }
    return worst;
}
