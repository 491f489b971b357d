/* jigsaw show: a scenario's task graphs, source->sink paths, variants, fan-outs, cluster. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jigsaw/cli.h"
#include "cli_util.h"
#include "jigsaw/dag.h"
#include "jigsaw/diag.h"
#include "jigsaw/scenario.h"

static void show_usage(FILE *out)
{
    fprintf(out,
            "usage: jigsaw show [--json] [--gpu NAME] SCENARIO\n"
            "\n"
            "Print the scenario's cluster and, per application, its task graph in topological\n"
            "order, every source->sink path, each task's variants with published and normalised\n"
            "accuracy, the fan-outs (per parent variant where they differ), the expected items\n"
            "per request at every task, and the SLOs and demand.\n"
            "\n"
            "  --json       print the same as JSON\n"
            "  --gpu NAME   use GPU type NAME (profiles re-resolved for it) instead of cluster.gpu\n"
            JS_CLI_HOST_HELP
            "  -h, --help   this help\n");
}

static const char *stat_name(js_latency_stat s)
{
    return s == JS_LAT_MEAN ? "mean" : "p95";
}

static int available_entries(const js_profile *p)
{
    int n = 0;
    for (int i = 0; p != NULL && i < p->nentries; i++)
        n += p->entries[i].available;
    return n;
}

static bool is_source(const js_app *a, int t)
{
    for (int i = 0; i < a->nsources; i++)
        if (a->sources[i] == t)
            return true;
    return t == a->source;
}

static void print_path(const js_app *a, const js_path *p)
{
    for (int k = 0; k < p->len; k++)
        printf("%s%s", k ? " -> " : "", a->tasks[p->tasks[k]].name);
}

static int print_app(const js_app *a)
{
    int order[JS_MAX_TASKS], through[JS_MAX_TASKS];
    double items[JS_MAX_TASKS];
    js_dag_topo_order(a, order, NULL);
    js_dag_longest_path_through(a, through);
    js_dag_items_per_request(a, NULL, items);
    printf("\napp %s%s%s\n", a->name, a->description[0] ? ": " : "", a->description);
    printf("  SLO: latency %g ms (rule: sum over every path of %s batch latency <= %g x SLO = "
           "%g ms), accuracy (PAS) >= %g\n",
           a->latency_slo_ms, stat_name(a->rule.stat), a->rule.slo_fraction,
           a->rule.slo_fraction * a->latency_slo_ms, a->accuracy_slo);
    if (a->trace[0])
        printf("  demand: trace %s%s\n", a->trace, a->rate > 0 ? "" : "");
    else
        printf("  demand: %g requests/s\n", a->rate);
    printf("  tasks (topological order):\n");
    for (int k = 0; k < a->ntasks; k++) {
        const js_task *t = &a->tasks[order[k]];
        printf("    %s%s: %g items/request, longest path through it: %d task%s\n", t->name,
               is_source(a, order[k]) ? " (source)" : "", items[order[k]], through[order[k]],
               through[order[k]] == 1 ? "" : "s");
        for (int v = 0; v < t->nvariants; v++) {
            const js_variant *var = &t->variants[v];
            printf("      %-18s ", var->name);
            if (isnan(var->accuracy))
                printf("accuracy n/a (single variant), normalised 1.000");
            else
                printf("accuracy %g%s%s, normalised %.3f", var->accuracy, var->metric[0] ? " " : "",
                       var->metric, var->accuracy_norm);
            printf("  [profile %s: %s, %d/%d configurations available]\n", var->profile_name,
                   var->profile && var->profile->prov.kind == JS_PROV_MODELLED ? "modelled"
                                                                                : "measured",
                   available_entries(var->profile), var->profile ? var->profile->nentries : 0);
        }
    }
    if (a->nedges > 0)
        printf("  edges:\n");
    for (int e = 0; e < a->nedges; e++) {
        const js_edge *ed = &a->edges[e];
        printf("    %s -> %s: fan-out %g (%s)", a->tasks[ed->from].name, a->tasks[ed->to].name,
               ed->fanout, js_fanout_dist_name(ed->dist));
        if (!isnan(ed->fanout_by_variant[0])) {
            printf(" (by %s variant:", a->tasks[ed->from].name);
            for (int v = 0; v < a->tasks[ed->from].nvariants; v++)
                printf(" %s %g", a->tasks[ed->from].variants[v].name, ed->fanout_by_variant[v]);
            printf(")");
        }
        printf("\n");
    }
    js_path *paths = malloc(JS_MAX_PATHS * sizeof *paths);
    if (paths == NULL)
        return JS_EXIT_INTERNAL;
    int np = js_dag_paths(a, paths, JS_MAX_PATHS);
    printf("  source->sink paths (%d):\n", np);
    for (int p = 0; p < np; p++) {
        printf("    ");
        print_path(a, &paths[p]);
        printf("\n");
    }
    free(paths);
    return 0;
}

static void print_text(const js_scenario *s)
{
    const js_cluster *cl = &s->cluster;
    printf("scenario %s (%s)\n", s->name, s->file);
    if (s->description[0])
        printf("  %s\n", s->description);
    printf("cluster: %d x %s (%d compute slices = %d in all), at most %d MPS workers per MIG "
           "instance\n  MIG profiles:",
           cl->gpus, cl->gpu_name, cl->gpu.compute_slices, cl->gpus * cl->gpu.compute_slices,
           cl->max_workers);
    for (int i = 0; i < cl->gpu.nprofiles; i++)
        printf(" %s (%d SMs)", cl->gpu.profiles[i].name, cl->gpu.profiles[i].sms);
    printf("\n  profiles: %s\n", s->profiles.dir);
    double price = js_cluster_price(cl);
    if (isfinite(price) && price == cl->gpu.price_usd_per_hour)
        printf("  price: $%g per GPU-hour (GPU type file%s%s)\n", price,
               cl->gpu.price_date[0] ? ", " : "", cl->gpu.price_date);
    else if (isfinite(price))
        printf("  price: $%g per GPU-hour (cluster.price_per_gpu_hour)\n", price);
    if (cl->cpu_cores_per_node > 0)
        printf("  CPU cores: %d per node of %d GPUs\n", cl->cpu_cores_per_node, cl->gpus_per_node);
    /* Host costs included in the configurations (docs/host-model.md), per profile. */
    for (int i = 0; i < s->profiles.n; i++)
        if (s->profiles.items[i]->host_applied)
            printf("  %s: %s\n", s->profiles.items[i]->model, s->profiles.items[i]->host_note);
}

/* ------------------------------------------------------------------ JSON */

static cJSON *task_json(const js_app *a, int t, const double *items, const int *through)
{
    const js_task *task = &a->tasks[t];
    cJSON *o = cJSON_CreateObject();
    cJSON *vs = o ? cJSON_AddArrayToObject(o, "variants") : NULL;
    bool ok = vs != NULL && cJSON_AddStringToObject(o, "name", task->name) &&
              cJSON_AddBoolToObject(o, "source", is_source(a, t)) &&
              js_json_add_num_or_null(o, "items_per_request", items[t]) &&
              js_json_add_num_or_null(o, "longest_path_through", through[t]);
    for (int v = 0; v < task->nvariants && ok; v++) {
        const js_variant *var = &task->variants[v];
        cJSON *vo = cJSON_CreateObject();
        ok = vo != NULL && cJSON_AddItemToArray(vs, vo);
        if (!ok) {
            cJSON_Delete(vo);
            break;
        }
        ok = cJSON_AddStringToObject(vo, "name", var->name) &&
             cJSON_AddStringToObject(vo, "profile", var->profile_name) &&
             js_json_add_num_or_null(vo, "accuracy", var->accuracy) &&
             js_json_add_num_or_null(vo, "accuracy_norm", var->accuracy_norm) &&
             cJSON_AddStringToObject(vo, "metric", var->metric) &&
             cJSON_AddStringToObject(vo, "provenance",
                                     var->profile && var->profile->prov.kind == JS_PROV_MODELLED
                                         ? "modelled"
                                         : "measured") &&
             js_json_add_num_or_null(vo, "configurations_available",
                                     available_entries(var->profile));
        /* Only with host costs: output without them is as it was. */
        if (ok && !js_host_is_zero(&var->host))
            ok = js_json_add_num_or_null(vo, "host_ms_per_item", var->host.ms_per_item) &&
                 js_json_add_num_or_null(vo, "host_ms_per_batch", var->host.ms_per_batch) &&
                 js_json_add_num_or_null(vo, "host_ms_per_token", var->host.ms_per_token) &&
                 js_json_add_num_or_null(vo, "host_tokens_per_item", var->host.tokens_per_item);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *app_json(const js_app *a)
{
    int order[JS_MAX_TASKS], through[JS_MAX_TASKS];
    double items[JS_MAX_TASKS];
    js_dag_topo_order(a, order, NULL);
    js_dag_longest_path_through(a, through);
    js_dag_items_per_request(a, NULL, items);
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL && cJSON_AddStringToObject(o, "name", a->name) &&
              cJSON_AddStringToObject(o, "description", a->description) &&
              js_json_add_num_or_null(o, "latency_slo_ms", a->latency_slo_ms) &&
              js_json_add_num_or_null(o, "accuracy_slo", a->accuracy_slo) &&
              cJSON_AddStringToObject(o, "rule_stat", stat_name(a->rule.stat)) &&
              js_json_add_num_or_null(o, "rule_slo_fraction", a->rule.slo_fraction) &&
              js_json_add_num_or_null(o, "rate", a->rate) &&
              (a->trace[0] ? cJSON_AddStringToObject(o, "trace", a->trace)
                           : cJSON_AddNullToObject(o, "trace"));
    cJSON *tasks = ok ? cJSON_AddArrayToObject(o, "tasks") : NULL;
    ok = ok && tasks != NULL;
    for (int k = 0; k < a->ntasks && ok; k++) {
        cJSON *to = task_json(a, order[k], items, through);
        ok = to != NULL && cJSON_AddItemToArray(tasks, to);
        if (!ok)
            cJSON_Delete(to);
    }
    cJSON *edges = ok ? cJSON_AddArrayToObject(o, "edges") : NULL;
    ok = ok && edges != NULL;
    for (int e = 0; e < a->nedges && ok; e++) {
        const js_edge *ed = &a->edges[e];
        cJSON *eo = cJSON_CreateObject();
        ok = eo != NULL && cJSON_AddItemToArray(edges, eo);
        if (!ok) {
            cJSON_Delete(eo);
            break;
        }
        ok = cJSON_AddStringToObject(eo, "from", a->tasks[ed->from].name) &&
             cJSON_AddStringToObject(eo, "to", a->tasks[ed->to].name) &&
             js_json_add_num_or_null(eo, "fanout", ed->fanout) &&
             cJSON_AddStringToObject(eo, "fanout_dist", js_fanout_dist_name(ed->dist));
        cJSON *bv = ok ? cJSON_AddObjectToObject(eo, "fanout_by_variant") : NULL;
        ok = ok && bv != NULL;
        for (int v = 0; v < a->tasks[ed->from].nvariants && ok; v++)
            ok = js_json_add_num_or_null(bv, a->tasks[ed->from].variants[v].name,
                                         js_edge_fanout(ed, v)) != NULL;
    }
    js_path *paths = ok ? malloc(JS_MAX_PATHS * sizeof *paths) : NULL;
    cJSON *pa = paths ? cJSON_AddArrayToObject(o, "paths") : NULL;
    ok = ok && pa != NULL;
    int np = ok ? js_dag_paths(a, paths, JS_MAX_PATHS) : 0;
    for (int p = 0; p < np && ok; p++) {
        cJSON *one = js_app_task_names_json(a, paths[p].tasks, paths[p].len);
        ok = one != NULL && cJSON_AddItemToArray(pa, one);
        if (!ok)
            cJSON_Delete(one);
    }
    free(paths);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *scenario_json(const js_scenario *s)
{
    const js_cluster *cl = &s->cluster;
    cJSON *o = cJSON_CreateObject();
    cJSON *c = o ? cJSON_AddObjectToObject(o, "cluster") : NULL;
    bool ok = c != NULL && cJSON_AddStringToObject(o, "name", s->name) &&
              cJSON_AddStringToObject(o, "file", s->file) &&
              cJSON_AddStringToObject(o, "description", s->description) &&
              cJSON_AddStringToObject(c, "gpu", cl->gpu_name) &&
              js_json_add_num_or_null(c, "gpus", cl->gpus) &&
              js_json_add_num_or_null(c, "slices", (double)cl->gpus * cl->gpu.compute_slices) &&
              js_json_add_num_or_null(c, "max_workers", cl->max_workers) &&
              cJSON_AddStringToObject(c, "profiles_dir", s->profiles.dir) &&
              js_json_add_num_if_finite(c, "price_per_gpu_hour_usd", js_cluster_price(cl));
    cJSON *apps = ok ? cJSON_AddArrayToObject(o, "apps") : NULL;
    ok = ok && apps != NULL;
    for (int i = 0; i < s->napps && ok; i++) {
        cJSON *ao = app_json(&s->apps[i]);
        ok = ao != NULL && cJSON_AddItemToArray(apps, ao);
        if (!ok)
            cJSON_Delete(ao);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int js_cmd_show(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"gpu", required_argument, NULL, 'g'},
        JS_CLI_HOST_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, ch;
    const char *gpu = NULL;
    js_scenario_opts sopts = js_scenario_opts_default();
    optind = 1;
    opterr = 0; /* js_cli_bad_option words the errors */
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int host_rc = js_cli_host_option("show", ch, optarg, &sopts);
        if (host_rc < 0)
            return JS_EXIT_USAGE;
        if (host_rc > 0)
            continue;
        switch (ch) {
        case 'j': json = 1; break;
        case 'g': gpu = optarg; break;
        case 'h': show_usage(stdout); return JS_EXIT_OK;
        default: return js_cli_bad_option("show", argv, "h", opts);
        }
    }
    if (argc - optind != 1) {
        return js_cli_usage_error("show", "expected exactly one SCENARIO");
    }
    js_diag *d = malloc(sizeof *d);
    js_scenario *s = malloc(sizeof *s);
    if (d == NULL || s == NULL) {
        free(d);
        free(s);
        return JS_EXIT_INTERNAL;
    }
    js_diag_init(d);
    sopts.gpu = gpu;
    int rc = js_scenario_load_opts(argv[optind], &sopts, s, d);
    js_cli_print_diag("show", d);
    if (rc == 0) {
        if (json) {
            cJSON *o = scenario_json(s);
            char *text = o ? cJSON_Print(o) : NULL;
            cJSON_Delete(o);
            if (text == NULL)
                rc = JS_EXIT_INTERNAL;
            else
                printf("%s\n", text);
            cJSON_free(text);
        } else {
            print_text(s);
            for (int i = 0; i < s->napps && rc == 0; i++)
                rc = print_app(&s->apps[i]);
        }
        js_scenario_free(s);
    }
    free(d);
    free(s);
    return rc;
}
