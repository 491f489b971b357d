/* scenario: loading, validating and resolving scenarios; see include/jigsaw/scenario.h. */
#include "jigsaw/scenario.h"
#include "jigsaw/limits.h"
#include "jigsaw/util.h"
#include "scenario_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define JS_MAX_APPS 64
#define JS_DEFAULT_MAX_WORKERS 4 /* the paper's limit on MPS workers per instance */

/* ------------------------------------------------------------------ small helpers */

int js_app_task_by_name(const js_app *a, const char *name)
{
    for (int t = 0; t < a->ntasks; t++)
        if (strcmp(a->tasks[t].name, name) == 0)
            return t;
    return -1;
}

/* Directory part of a path ("." when there is none). */
static void dir_of(const char *path, char *out, size_t outsz)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(out, outsz, ".");
    else if (slash == path)
        snprintf(out, outsz, "/");
    else
        snprintf(out, outsz, "%.*s", (int)(slash - path), path);
}

/* base + "/" + rel unless rel is absolute; false when it does not fit. */
static bool join_path(char *out, size_t outsz, const char *base, const char *rel)
{
    int n = rel[0] == '/' || strcmp(base, ".") == 0 ? snprintf(out, outsz, "%s", rel)
                                                    : snprintf(out, outsz, "%s/%s", base, rel);
    return n >= 0 && (size_t)n < outsz;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int get_positive(js_jctx *c, const cJSON *o, const char *key, bool required, double *out)
{
    int rc = js_json_get_number(c, o, key, required, out);
    if (rc == 0 && !isnan(*out) && !(*out > 0))
        rc = js_json_err(c, key, "must be > 0, got %g", *out);
    return rc;
}

/* ------------------------------------------------------------------ cluster */

double js_cluster_price(const js_cluster *cl)
{
    return cl->price_per_gpu_hour > 0 ? cl->price_per_gpu_hour : NAN;
}

/* cluster.price_per_gpu_hour, when given, prices the file's own GPU type (`file_gpu`);
 * with another type given on the command line that type's price stands, as the file's
 * figure was for a different GPU. */
static int load_price(js_jctx *c, const cJSON *o, const char *file_gpu, js_cluster *cl)
{
    double price = NAN;
    int rc = get_positive(c, o, "price_per_gpu_hour", false, &price);
    if (rc != 0 || isnan(price))
        return rc;
    if (strcmp(file_gpu, cl->gpu_name) == 0)
        cl->price_per_gpu_hour = price;
    else
        js_diag_warn(c->d, "%s: %s.price_per_gpu_hour ($%g) is for GPU type %s; %s is priced by "
                     "its own type file", c->file, c->path, price, file_gpu, cl->gpu_name);
    return 0;
}

static int load_cluster(js_jctx *c, const cJSON *root, const char *gpu_override,
                        js_scenario *s)
{
    static const char *const required[] = {"gpu", "gpus", NULL};
    static const char *const allowed[] = {"max_workers", "gpus_per_node", "cpu_cores_per_node",
                                          "cpu_cores_per_gpu", "price_per_gpu_hour", NULL};
    const cJSON *o = NULL;
    int rc = js_json_get_object(c, root, "cluster", true, &o);
    if (rc != 0)
        return rc;
    js_cluster *cl = &s->cluster;
    size_t s0 = js_jctx_push_key(c, "cluster");
    rc = js_json_check_keys(c, o, allowed, required);
    if (rc == 0)
        rc = js_json_get_name(c, o, "gpu", true, cl->gpu_name, sizeof cl->gpu_name);
    char file_gpu[JS_NAME_MAX];
    snprintf(file_gpu, sizeof file_gpu, "%s", cl->gpu_name);
    if (rc == 0 && gpu_override != NULL) {
        if (!js_name_valid(gpu_override))
            rc = js_json_err(c, "gpu", "GPU override \"%s\" is not a valid name", gpu_override);
        else
            snprintf(cl->gpu_name, sizeof cl->gpu_name, "%s", gpu_override);
    }
    if (rc == 0)
        rc = js_json_get_int_in(c, o, "gpus", 1, JS_LIMIT_GPUS, &cl->gpus);
    char gpath[JS_PATH_MAX * 2];
    if (rc == 0) {
        char rel[JS_PATH_MAX];
        snprintf(rel, sizeof rel, "gpus/%s.json", cl->gpu_name);
        char shipped[JS_PATH_MAX * 2], shipped_rel[JS_PATH_MAX + 16];
        snprintf(shipped_rel, sizeof shipped_rel, "profiles/%s", rel);
        if (!join_path(gpath, sizeof gpath, s->profiles_dir, rel))
            rc = js_json_err(c, "gpu", "path too long");
        else if (file_exists(gpath))
            ;
        /* A user's own profile folder may hold profiles only: the shipped GPU types
         * (JIGSAW_DATA, then the installed data directory) complete it. */
        else if (js_data_find(shipped_rel, shipped, sizeof shipped) == 0 &&
                 file_exists(shipped))
            snprintf(gpath, sizeof gpath, "%s", shipped);
        else
            rc = js_json_err(c, "gpu", "no GPU type file %s (nor in JIGSAW_DATA or %s)", gpath,
                             js_data_dir());
    }
    if (rc == 0) {
        js_diag gd;
        js_diag_init(&gd);
        if (js_gpu_load(gpath, &cl->gpu, &gd) != 0)
            rc = js_json_err(c, "gpu", "GPU type file is invalid: %s", gd.msg);
    }
    if (rc == 0) {
        cl->max_workers = cl->gpu.max_mps_workers < JS_DEFAULT_MAX_WORKERS
                              ? cl->gpu.max_mps_workers
                              : JS_DEFAULT_MAX_WORKERS;
        rc = js_json_get_int(c, o, "max_workers", false, &cl->max_workers);
    }
    cl->gpus_per_node = JS_DEFAULT_GPUS_PER_NODE;
    if (rc == 0)
        rc = js_json_get_int(c, o, "gpus_per_node", false, &cl->gpus_per_node);
    if (rc == 0 && (cl->gpus_per_node < 1 || cl->gpus_per_node > 64))
        rc = js_json_err(c, "gpus_per_node", "must be in [1, 64], got %d", cl->gpus_per_node);
    if (rc == 0)
        rc = scn_load_cpu_cores(c, o, cl);
    cl->price_per_gpu_hour = cl->gpu.price_usd_per_hour;
    if (rc == 0)
        rc = load_price(c, o, file_gpu, cl);
    if (rc == 0 && (cl->max_workers < 1 || cl->max_workers > cl->gpu.max_mps_workers))
        rc = js_json_err(c, "max_workers", "must be in [1, %d] (the GPU type's max_mps_workers), "
                         "got %d",
                         cl->gpu.max_mps_workers, cl->max_workers);
    js_jctx_pop(c, s0);
    return rc;
}

/* ------------------------------------------------------------------ tasks */

static int check_profile_against_gpu(js_jctx *c, const js_profile *p, const js_scenario *s)
{
    if (strcmp(p->gpu, s->cluster.gpu_name) != 0)
        return js_json_err(c, "profile", "profile \"%s\" is for GPU \"%s\", the cluster has \"%s\"",
                           p->model, p->gpu, s->cluster.gpu_name);
    js_diag pd;
    js_diag_init(&pd);
    if (js_profile_check_gpu(p->model, p, &s->cluster.gpu, &pd) != 0)
        return js_json_err(c, "profile", "profile %s", pd.msg);
    for (int i = 0; i < p->nentries; i++) {
        if (js_gpu_profile_by_slices(&s->cluster.gpu, p->entries[i].mig) < 0) {
            js_diag_warn(c->d,
                         "%s: %s.profile: profile \"%s\" has entries for %d-slice instances, "
                         "which GPU \"%s\" does not offer; they are ignored",
                         c->file, c->path, p->model, p->entries[i].mig, s->cluster.gpu_name);
            break;
        }
    }
    return 0;
}

static int load_variant(js_jctx *c, const cJSON *o, js_scenario *s, js_variant *v)
{
    static const char *const required[] = {"name", "profile", NULL};
    static const char *const allowed[] = {"accuracy", "metric", "accuracy_source", NULL};
    v->accuracy = NAN;
    int rc = js_json_check_keys(c, o, allowed, required);
    if (rc == 0)
        rc = js_json_get_name(c, o, "name", true, v->name, sizeof v->name);
    if (rc == 0)
        rc = js_json_get_name(c, o, "profile", true, v->profile_name, sizeof v->profile_name);
    if (rc == 0)
        rc = get_positive(c, o, "accuracy", false, &v->accuracy);
    if (rc == 0)
        rc = js_json_get_string(c, o, "metric", false, v->metric, sizeof v->metric);
    if (rc == 0)
        rc = js_json_get_string(c, o, "accuracy_source", false, v->accuracy_source,
                                sizeof v->accuracy_source);
    if (rc != 0)
        return rc;
    js_diag pd;
    js_diag_init(&pd);
    v->profile = js_profile_set_get(&s->profiles, v->profile_name, &pd);
    if (v->profile == NULL) {
        if (pd.code == JS_EXIT_NOINPUT)
            return js_json_err(c, "profile", "no profile %s/%s.json for GPU \"%s\"",
                               s->profiles.dir, v->profile_name, s->cluster.gpu_name);
        return js_json_err(c, "profile", "profile is invalid: %s", pd.msg);
    }
    rc = check_profile_against_gpu(c, v->profile, s);
    if (rc == 0)
        rc = scn_apply_host(c, s, v->profile_name, &v->host);
    return rc;
}

/* Normalise accuracies to the task's best variant (best = 1.0). */
static int normalise_accuracy(js_jctx *c, js_task *t)
{
    int with = 0;
    double best = 0;
    for (int v = 0; v < t->nvariants; v++)
        if (!isnan(t->variants[v].accuracy)) {
            with++;
            if (t->variants[v].accuracy > best)
                best = t->variants[v].accuracy;
        }
    if (with == 0 && t->nvariants == 1) {
        t->variants[0].accuracy_norm = 1.0; /* a single variant is its own best */
        return 0;
    }
    for (int v = 0; v < t->nvariants; v++) {
        if (isnan(t->variants[v].accuracy)) {
            size_t s0 = js_jctx_push_key(c, "variants");
            size_t s1 = js_jctx_push_index(c, v);
            int rc = js_json_err(c, "accuracy",
                                 "missing: a task with several variants needs every variant's "
                                 "accuracy");
            js_jctx_pop(c, s1);
            js_jctx_pop(c, s0);
            return rc;
        }
        if (strcmp(t->variants[v].metric, t->variants[0].metric) != 0) {
            size_t s0 = js_jctx_push_key(c, "variants");
            size_t s1 = js_jctx_push_index(c, v);
            int rc = js_json_err(c, "metric",
                                 "all variants of a task must use one accuracy metric "
                                 "(\"%s\" vs \"%s\")",
                                 t->variants[v].metric, t->variants[0].metric);
            js_jctx_pop(c, s1);
            js_jctx_pop(c, s0);
            return rc;
        }
        t->variants[v].accuracy_norm = t->variants[v].accuracy / best;
    }
    return 0;
}

static int load_task(js_jctx *c, const cJSON *o, js_scenario *s, js_task *t)
{
    static const char *const required[] = {"name", "variants", NULL};
    int rc = js_json_check_keys(c, o, NULL, required);
    if (rc == 0)
        rc = js_json_get_name(c, o, "name", true, t->name, sizeof t->name);
    const cJSON *arr = NULL;
    if (rc == 0)
        rc = js_json_get_array(c, o, "variants", true, &arr);
    if (rc != 0)
        return rc;
    int n = cJSON_GetArraySize(arr);
    if (n < 1 || n > JS_MAX_VARIANTS)
        return js_json_err(c, "variants", "must hold 1 to %d variants, got %d", JS_MAX_VARIANTS,
                           n);
    size_t s0 = js_jctx_push_key(c, "variants");
    int i = 0;
    for (const cJSON *e = arr->child; e != NULL && rc == 0; e = e->next, i++) {
        size_t s1 = js_jctx_push_index(c, i);
        rc = load_variant(c, e, s, &t->variants[i]);
        for (int j = 0; j < i && rc == 0; j++)
            if (strcmp(t->variants[j].name, t->variants[i].name) == 0)
                rc = js_json_err(c, "name", "duplicate variant name \"%s\"", t->variants[i].name);
        js_jctx_pop(c, s1);
    }
    js_jctx_pop(c, s0);
    t->nvariants = i;
    if (rc == 0)
        rc = normalise_accuracy(c, t);
    return rc;
}

static int load_tasks(js_jctx *c, const cJSON *o, js_scenario *s, js_app *a)
{
    const cJSON *arr = NULL;
    int rc = js_json_get_array(c, o, "tasks", true, &arr);
    if (rc != 0)
        return rc;
    int n = cJSON_GetArraySize(arr);
    if (n < 1 || n > JS_MAX_TASKS)
        return js_json_err(c, "tasks", "must hold 1 to %d tasks, got %d", JS_MAX_TASKS, n);
    size_t s0 = js_jctx_push_key(c, "tasks");
    int i = 0;
    for (const cJSON *e = arr->child; e != NULL && rc == 0; e = e->next, i++) {
        size_t s1 = js_jctx_push_index(c, i);
        rc = load_task(c, e, s, &a->tasks[i]);
        for (int j = 0; j < i && rc == 0; j++)
            if (strcmp(a->tasks[j].name, a->tasks[i].name) == 0)
                rc = js_json_err(c, "name", "duplicate task name \"%s\"", a->tasks[i].name);
        js_jctx_pop(c, s1);
    }
    js_jctx_pop(c, s0);
    a->ntasks = i;
    return rc;
}

/* ------------------------------------- sources and graph (edges: scenario_edges.c) */

/* The declared entry tasks ("sources": [names]); absent leaves nsources 0. */
static int load_sources(js_jctx *c, const cJSON *o, js_app *a)
{
    const cJSON *arr = NULL;
    int rc = js_json_get_array(c, o, "sources", false, &arr);
    if (rc != 0 || arr == NULL)
        return rc;
    int n = cJSON_GetArraySize(arr);
    if (n < 1 || n > a->ntasks)
        return js_json_err(c, "sources", "must list 1 to %d entry tasks, got %d", a->ntasks, n);
    size_t s0 = js_jctx_push_key(c, "sources");
    int i = 0;
    for (const cJSON *e = arr->child; e != NULL && rc == 0; e = e->next, i++) {
        size_t s1 = js_jctx_push_index(c, i);
        int t = cJSON_IsString(e) ? js_app_task_by_name(a, e->valuestring) : -1;
        if (!cJSON_IsString(e))
            rc = js_json_err(c, NULL, "must be a task name (a string)");
        else if (t < 0)
            rc = js_json_err(c, NULL, "no task named \"%.64s\"", e->valuestring);
        for (int j = 0; j < i && rc == 0; j++)
            if (a->sources[j] == t)
                rc = js_json_err(c, NULL, "task \"%s\" listed twice", a->tasks[t].name);
        if (rc == 0)
            a->sources[i] = t;
        js_jctx_pop(c, s1);
    }
    js_jctx_pop(c, s0);
    if (rc == 0)
        a->nsources = n;
    return rc;
}

/* The entry tasks are exactly the parentless ones (one unless "sources" lists several),
 * everything is reachable from them, and there is no cycle. */
static int check_graph(js_jctx *c, const cJSON *o, js_app *a)
{
    bool has_parent[JS_MAX_TASKS] = {false};
    for (int e = 0; e < a->nedges; e++)
        has_parent[a->edges[e].to] = true;
    int nsrc = 0, src[JS_MAX_TASKS];
    for (int t = 0; t < a->ntasks; t++)
        if (!has_parent[t])
            src[nsrc++] = t;
    int rc = load_sources(c, o, a);
    if (rc != 0)
        return rc;
    if (nsrc == 0)
        return js_json_err(c, "edges",
                           "no source task: every task has a parent, so the graph has a cycle");
    if (a->nsources == 0) {
        if (nsrc > 1)
            return js_json_err(c, "edges",
                               "more than one source task (\"%s\" and \"%s\" have no parent); "
                               "an application needs exactly one, or must list its parallel "
                               "entry tasks in \"sources\"",
                               a->tasks[src[0]].name, a->tasks[src[1]].name);
        a->nsources = 1;
        a->sources[0] = src[0];
    } else {
        for (int i = 0; i < a->nsources; i++)
            if (has_parent[a->sources[i]]) {
                size_t s0 = js_jctx_push_key(c, "sources");
                size_t s1 = js_jctx_push_index(c, i);
                rc = js_json_err(c, NULL, "task \"%s\" has a parent, so it is no entry task",
                                 a->tasks[a->sources[i]].name);
                js_jctx_pop(c, s1);
                js_jctx_pop(c, s0);
                return rc;
            }
        if (nsrc != a->nsources) {
            int stray = -1;
            for (int k = 0; k < nsrc && stray < 0; k++) {
                bool listed = false;
                for (int i = 0; i < a->nsources; i++)
                    listed = listed || a->sources[i] == src[k];
                if (!listed)
                    stray = src[k];
            }
            return js_json_err(c, "sources",
                               "task \"%s\" has no parent but is not listed: no single source",
                               a->tasks[stray].name);
        }
    }
    a->source = a->sources[0];
    bool seen[JS_MAX_TASKS] = {false};
    int stack[JS_MAX_TASKS], sp = 0;
    for (int i = 0; i < a->nsources; i++) {
        stack[sp++] = a->sources[i];
        seen[a->sources[i]] = true;
    }
    while (sp > 0) {
        int t = stack[--sp];
        for (int e = 0; e < a->nedges; e++)
            if (a->edges[e].from == t && !seen[a->edges[e].to]) {
                seen[a->edges[e].to] = true;
                stack[sp++] = a->edges[e].to;
            }
    }
    for (int t = 0; t < a->ntasks; t++)
        if (!seen[t]) {
            size_t s0 = js_jctx_push_key(c, "tasks");
            size_t s1 = js_jctx_push_index(c, t);
            rc = js_json_err(c, NULL, "task \"%s\" is unreachable from the source \"%s\"",
                             a->tasks[t].name, a->tasks[a->source].name);
            js_jctx_pop(c, s1);
            js_jctx_pop(c, s0);
            return rc;
        }
    int order[JS_MAX_TASKS];
    js_diag td;
    js_diag_init(&td);
    if (js_dag_topo_order(a, order, &td) != 0)
        return js_json_err(c, "edges", "%s", td.msg);
    return 0;
}

/* ------------------------------------------------------------------ SLO and demand */

static int load_slo(js_jctx *c, const cJSON *o, js_app *a)
{
    static const char *const required[] = {"latency_ms", "accuracy", NULL};
    static const char *const allowed[] = {"rule", NULL};
    const cJSON *slo = NULL;
    int rc = js_json_get_object(c, o, "slo", true, &slo);
    if (rc != 0)
        return rc;
    size_t s0 = js_jctx_push_key(c, "slo");
    rc = js_json_check_keys(c, slo, allowed, required);
    if (rc == 0)
        rc = get_positive(c, slo, "latency_ms", true, &a->latency_slo_ms);
    if (rc == 0)
        rc = js_json_get_number(c, slo, "accuracy", true, &a->accuracy_slo);
    if (rc == 0 && !(a->accuracy_slo > 0 && a->accuracy_slo <= 1))
        rc = js_json_err(c, "accuracy", "must be in (0, 1], got %g", a->accuracy_slo);
    a->rule.stat = JS_LAT_P95;
    a->rule.slo_fraction = 0.5; /* the paper's rule: 2 x p95 <= SLO */
    const cJSON *rule = NULL;
    if (rc == 0)
        rc = js_json_get_object(c, slo, "rule", false, &rule);
    if (rc == 0 && rule != NULL) {
        static const char *const rreq[] = {"stat", "slo_fraction", NULL};
        size_t s1 = js_jctx_push_key(c, "rule");
        char stat[16];
        rc = js_json_check_keys(c, rule, NULL, rreq);
        if (rc == 0)
            rc = js_json_get_string(c, rule, "stat", true, stat, sizeof stat);
        if (rc == 0) {
            if (strcmp(stat, "p95") == 0)
                a->rule.stat = JS_LAT_P95;
            else if (strcmp(stat, "mean") == 0)
                a->rule.stat = JS_LAT_MEAN;
            else
                rc = js_json_err(c, "stat", "must be \"p95\" or \"mean\", got \"%s\"", stat);
        }
        if (rc == 0)
            rc = js_json_get_number(c, rule, "slo_fraction", true, &a->rule.slo_fraction);
        if (rc == 0 && !(a->rule.slo_fraction > 0 && a->rule.slo_fraction <= 1))
            rc = js_json_err(c, "slo_fraction", "must be in (0, 1], got %g",
                             a->rule.slo_fraction);
        js_jctx_pop(c, s1);
    }
    js_jctx_pop(c, s0);
    return rc;
}

static int load_demand(js_jctx *c, const cJSON *o, const char *scen_dir, js_app *a)
{
    static const char *const allowed[] = {"rate", "trace", NULL};
    const cJSON *dem = NULL;
    int rc = js_json_get_object(c, o, "demand", true, &dem);
    if (rc != 0)
        return rc;
    size_t s0 = js_jctx_push_key(c, "demand");
    rc = js_json_check_keys(c, dem, allowed, NULL);
    a->rate = NAN;
    if (rc == 0)
        rc = js_json_get_number(c, dem, "rate", false, &a->rate);
    if (rc == 0 && (a->rate < 0 || a->rate > JS_LIMIT_RATE))
        rc = js_json_err(c, "rate",
                         "must be in [0, %g] requests/s (README, plausibility limits), got %g",
                         JS_LIMIT_RATE, a->rate);
    if (rc == 0)
        rc = js_json_get_string(c, dem, "trace", false, a->trace, sizeof a->trace);
    if (rc == 0 && a->trace[0]) {
        char full[JS_PATH_MAX * 2];
        if (!join_path(full, sizeof full, scen_dir, a->trace))
            rc = js_json_err(c, "trace", "path too long");
        else if (!file_exists(full))
            rc = js_json_err(c, "trace", "no trace file %s", full);
    }
    if (rc == 0 && isnan(a->rate) && !a->trace[0])
        rc = js_json_err(c, NULL, "needs a rate (requests/s) or a trace");
    if (isnan(a->rate))
        a->rate = 0; /* trace-driven: the rate comes from the trace */
    js_jctx_pop(c, s0);
    return rc;
}

/* ------------------------------------------------------------------ SLO feasibility */

/* Smallest rule statistic any usable configuration of task t can reach (INFINITY if none). */
static double best_stat(const js_app *a, int t, const js_cluster *cl)
{
    double best = INFINITY;
    const js_task *task = &a->tasks[t];
    for (int v = 0; v < task->nvariants; v++) {
        const js_profile *p = task->variants[v].profile;
        for (int i = 0; p != NULL && i < p->nentries; i++) {
            const js_profile_entry *e = &p->entries[i];
            if (!e->available || e->workers > cl->max_workers ||
                js_gpu_profile_by_slices(&cl->gpu, e->mig) < 0)
                continue;
            double x = a->rule.stat == JS_LAT_MEAN ? e->lat_mean_ms : e->lat_p95_ms;
            if (x < best)
                best = x;
        }
    }
    return best;
}

static void warn_unmeetable(js_jctx *c, const js_app *a, const js_cluster *cl)
{
    double best[JS_MAX_TASKS];
    for (int t = 0; t < a->ntasks; t++) {
        best[t] = best_stat(a, t, cl);
        if (isinf(best[t]))
            js_diag_warn(c->d,
                         "%s: %s.tasks[%d]: task \"%s\" has no usable profiled configuration "
                         "(with at most %d workers on GPU \"%s\")",
                         c->file, c->path, t, a->tasks[t].name, cl->max_workers, cl->gpu_name);
    }
    js_path *paths = malloc(JS_MAX_PATHS * sizeof *paths);
    if (paths == NULL)
        return;
    int np = js_dag_paths(a, paths, JS_MAX_PATHS);
    double allowed = a->rule.slo_fraction * a->latency_slo_ms;
    for (int p = 0; p < np; p++) {
        double sum = 0;
        for (int k = 0; k < paths[p].len; k++)
            sum += best[paths[p].tasks[k]];
        if (sum > allowed && isfinite(sum)) {
            js_diag_warn(c->d,
                         "%s: %s.slo.latency_ms: no profiled configuration can meet it: the "
                         "path from \"%s\" to \"%s\" needs at least %.3g ms of %s batch latency "
                         "but the rule allows %.3g ms (%g x %g)",
                         c->file, c->path, a->tasks[paths[p].tasks[0]].name,
                         a->tasks[paths[p].tasks[paths[p].len - 1]].name, sum,
                         a->rule.stat == JS_LAT_MEAN ? "mean" : "p95", allowed,
                         a->rule.slo_fraction, a->latency_slo_ms);
            break;
        }
    }
    free(paths);
}

/* ------------------------------------------------------------------ apps */

static int load_app(js_jctx *c, const cJSON *o, js_scenario *s, const char *scen_dir, js_app *a)
{
    static const char *const required[] = {"name", "tasks", "slo", "demand", NULL};
    static const char *const allowed[] = {"description", "edges", "sources", NULL};
    int rc = js_json_check_keys(c, o, allowed, required);
    if (rc == 0)
        rc = js_json_get_name(c, o, "name", true, a->name, sizeof a->name);
    if (rc == 0)
        rc = js_json_get_string(c, o, "description", false, a->description,
                                sizeof a->description);
    if (rc == 0)
        rc = load_tasks(c, o, s, a);
    if (rc == 0)
        rc = scn_load_edges(c, o, a);
    if (rc == 0)
        rc = check_graph(c, o, a);
    if (rc == 0) {
        js_path *paths = malloc(JS_MAX_PATHS * sizeof *paths);
        if (paths == NULL)
            rc = js_diag_set(c->d, JS_EXIT_INTERNAL, "out of memory");
        else if (js_dag_paths(a, paths, JS_MAX_PATHS) < 0)
            rc = js_json_err(c, "edges", "more than %d source-to-sink paths", JS_MAX_PATHS);
        free(paths);
    }
    if (rc == 0 && !(js_dag_max_items_per_request(a) <= JS_LIMIT_ITEMS_PER_REQUEST))
        rc = js_json_err(c, "edges",
                         "one request can make %g items at a task, past the limit of %g "
                         "(README, plausibility limits)",
                         js_dag_max_items_per_request(a), JS_LIMIT_ITEMS_PER_REQUEST);
    if (rc == 0)
        rc = load_slo(c, o, a);
    if (rc == 0)
        rc = load_demand(c, o, scen_dir, a);
    if (rc == 0)
        warn_unmeetable(c, a, &s->cluster);
    return rc;
}

static int load_apps(js_jctx *c, const cJSON *root, js_scenario *s, const char *scen_dir)
{
    const cJSON *arr = NULL;
    int rc = js_json_get_array(c, root, "apps", true, &arr);
    if (rc != 0)
        return rc;
    int n = cJSON_GetArraySize(arr);
    if (n < 1 || n > JS_MAX_APPS)
        return js_json_err(c, "apps", "must hold 1 to %d applications, got %d", JS_MAX_APPS, n);
    s->apps = calloc((size_t)n, sizeof *s->apps);
    if (s->apps == NULL)
        return js_diag_set(c->d, JS_EXIT_INTERNAL, "%s: out of memory", c->file);
    size_t s0 = js_jctx_push_key(c, "apps");
    int i = 0;
    for (const cJSON *e = arr->child; e != NULL && rc == 0; e = e->next, i++) {
        size_t s1 = js_jctx_push_index(c, i);
        rc = load_app(c, e, s, scen_dir, &s->apps[i]);
        for (int j = 0; j < i && rc == 0; j++)
            if (strcmp(s->apps[j].name, s->apps[i].name) == 0)
                rc = js_json_err(c, "name", "duplicate application name \"%s\"",
                                 s->apps[i].name);
        js_jctx_pop(c, s1);
    }
    js_jctx_pop(c, s0);
    s->napps = i;
    return rc;
}

/* ------------------------------------------------------------------ entry points */

static int scenario_from_json(js_jctx *c, const cJSON *root, const char *path,
                              const js_scenario_opts *opts, js_scenario *s)
{
    static const char *const required[] = {"kind", "format_version", "name", "cluster", "apps",
                                           NULL};
    static const char *const allowed[] = {"description", "profiles", "host", NULL};
    const char *gpu_override = opts->gpu;
    int rc = js_json_check_kind(c, root, "scenario");
    if (rc == 0)
        rc = js_json_check_keys(c, root, allowed, required);
    if (rc == 0)
        rc = js_json_get_name(c, root, "name", true, s->name, sizeof s->name);
    if (rc == 0)
        rc = js_json_get_string(c, root, "description", false, s->description,
                                sizeof s->description);
    char scen_dir[JS_PATH_MAX], prof_rel[JS_PATH_MAX] = "../profiles";
    dir_of(path, scen_dir, sizeof scen_dir);
    if (rc == 0)
        rc = js_json_get_string(c, root, "profiles", false, prof_rel, sizeof prof_rel);
    if (rc == 0 && !join_path(s->profiles_dir, sizeof s->profiles_dir, scen_dir, prof_rel))
        rc = js_json_err(c, "profiles", "path too long");
    /* A shipped scenario copied away from its ../profiles still finds the shipped ones. */
    if (rc == 0 && !dir_exists(s->profiles_dir) && prof_rel[0] != '/') {
        char shipped[JS_PATH_MAX];
        if (js_data_find("profiles", shipped, sizeof shipped) == 0 && dir_exists(shipped))
            snprintf(s->profiles_dir, sizeof s->profiles_dir, "%s", shipped);
    }
    if (rc == 0)
        rc = load_cluster(c, root, gpu_override, s);
    if (rc == 0 && opts->cpu_cores_per_node >= 0)
        s->cluster.cpu_cores_per_node = opts->cpu_cores_per_node;
    /* Before the applications: their variants' profiles take the host cost as they load. */
    if (rc == 0)
        rc = js_host_spec_from_json(c, root, "host", &s->host);
    s->host = js_host_spec_merge(s->host, opts->host);
    if (rc == 0) {
        char pdir[JS_PATH_MAX];
        if (!join_path(pdir, sizeof pdir, s->profiles_dir, s->cluster.gpu_name))
            rc = js_json_err(c, "profiles", "path too long");
        else
            js_profile_set_init(&s->profiles, pdir);
    }
    if (rc == 0)
        rc = load_apps(c, root, s, scen_dir);
    return rc;
}

js_scenario_opts js_scenario_opts_default(void)
{
    return (js_scenario_opts){.gpu = NULL, .host = js_host_spec_unset(),
                              .cpu_cores_per_node = -1};
}

int js_scenario_load_gpu(const char *path, const char *gpu_override, js_scenario *out,
                         js_diag *d)
{
    js_scenario_opts o = js_scenario_opts_default();
    o.gpu = gpu_override;
    return js_scenario_load_opts(path, &o, out, d);
}

int js_scenario_load_opts(const char *path, const js_scenario_opts *opts, js_scenario *out,
                          js_diag *d)
{
    memset(out, 0, sizeof *out);
    /* A path that is not there may name a shipped scenario ("scenarios/example.json"). */
    char found[JS_PATH_MAX];
    if (js_data_resolve(path, found, sizeof found) == 0)
        path = found;
    snprintf(out->file, sizeof out->file, "%s", path);
    cJSON *root = NULL;
    int rc = js_json_load_file(path, &root, d);
    if (rc != 0)
        return rc;
    js_jctx c;
    js_jctx_init(&c, path, d);
    rc = scenario_from_json(&c, root, path, opts, out);
    cJSON_Delete(root);
    if (rc != 0)
        js_scenario_free(out);
    return rc;
}

int js_scenario_load(const char *path, js_scenario *out, js_diag *d)
{
    return js_scenario_load_gpu(path, NULL, out, d);
}

void js_scenario_free(js_scenario *s)
{
    if (s == NULL)
        return;
    for (int a = 0; a < s->napps && s->apps != NULL; a++)
        for (int e = 0; e < JS_MAX_TASKS * 4; e++)
            free(s->apps[a].edge_hist[e]);
    free(s->apps);
    s->apps = NULL;
    s->napps = 0;
    js_profile_set_free(&s->profiles);
    free(s->host_defaults);
    s->host_defaults = NULL;
}
