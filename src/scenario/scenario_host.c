/* scenario_host: a scenario's host-side costs -- the cluster's CPU cores and the host
 * cost (jigsaw/host.h) applied to each variant's profile as the scenario resolves it.
 * Semantics: docs/host-model.md. */
#include "jigsaw/scenario.h"
#include "jigsaw/util.h"
#include "scenario_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* A node with more cores than this is a typo, not a server. */
#define JS_MAX_CORES_PER_NODE 65536

int scn_load_cpu_cores(js_jctx *c, const cJSON *o, js_cluster *cl)
{
    int per_node = 0, per_gpu = 0;
    bool has_node = cJSON_GetObjectItemCaseSensitive(o, "cpu_cores_per_node") != NULL;
    bool has_gpu = cJSON_GetObjectItemCaseSensitive(o, "cpu_cores_per_gpu") != NULL;
    if (has_node && has_gpu)
        return js_json_err(c, "cpu_cores_per_gpu",
                           "give cpu_cores_per_node or cpu_cores_per_gpu, not both");
    int rc = 0;
    if (has_node)
        rc = js_json_get_int_in(c, o, "cpu_cores_per_node", 1, JS_MAX_CORES_PER_NODE,
                                &per_node);
    if (rc == 0 && has_gpu) {
        rc = js_json_get_int_in(c, o, "cpu_cores_per_gpu", 1, JS_MAX_CORES_PER_NODE, &per_gpu);
        if (rc == 0 && (long)per_gpu * cl->gpus_per_node > JS_MAX_CORES_PER_NODE)
            rc = js_json_err(c, "cpu_cores_per_gpu", "times gpus_per_node (%d) exceeds %d cores",
                             cl->gpus_per_node, JS_MAX_CORES_PER_NODE);
        per_node = per_gpu * cl->gpus_per_node;
    }
    cl->cpu_cores_per_node = per_node;
    return rc;
}

long js_cluster_cpu_cores(const js_cluster *cl, int gpus)
{
    if (cl->cpu_cores_per_node <= 0)
        return 0;
    long per = cl->gpus_per_node > 0 ? cl->gpus_per_node : 1; /* 0: built in memory */
    long nodes = (gpus + per - 1) / per;
    return nodes * cl->cpu_cores_per_node;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* <profiles>/host-defaults.json, else the shipped one (data search path). */
static int load_defaults(js_scenario *s, js_diag *d)
{
    char path[JS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/host-defaults.json", s->profiles_dir);
    if (!is_file(path) && js_data_find("profiles/host-defaults.json", path, sizeof path) != 0)
        return js_diag_set(d, JS_EXIT_NOINPUT,
                           "%s: no host-defaults.json beside the profiles (%s) nor in the "
                           "data directory %s", s->file, s->profiles_dir, js_data_dir());
    s->host_defaults = calloc(1, sizeof *s->host_defaults);
    if (s->host_defaults == NULL)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    return js_host_defaults_load(path, s->host_defaults, d);
}

int js_scenario_host_cost(js_scenario *s, const char *profile_name, js_host_cost *out,
                          js_diag *d)
{
    *out = (js_host_cost){0};
    const js_host_spec *h = &s->host;
    bool want_family = h->regime == JS_HOST_REGIME_CALIBRATED || !isnan(h->ms_per_token);
    if (want_family) {
        if (s->host_defaults == NULL) {
            int rc = load_defaults(s, d);
            if (rc != 0)
                return rc;
        }
        const js_host_family *f = js_host_defaults_find(s->host_defaults, profile_name);
        if (f != NULL) {
            if (h->regime == JS_HOST_REGIME_CALIBRATED)
                *out = f->cost;
            /* Generated tokens are a fact of the model, whatever the regime. */
            out->tokens_per_item = f->cost.tokens_per_item;
        }
    }
    if (!isnan(h->ms_per_item))
        out->ms_per_item = h->ms_per_item;
    if (!isnan(h->ms_per_batch))
        out->ms_per_batch = h->ms_per_batch;
    if (!isnan(h->ms_per_token))
        out->ms_per_token = h->ms_per_token;
    return 0;
}

int scn_apply_host(js_jctx *c, js_scenario *s, const char *profile_name, js_host_cost *out)
{
    js_profile *p = js_profile_set_find(&s->profiles, profile_name);
    js_diag hd;
    js_diag_init(&hd);
    /* The cost depends on the profile name only, so variants sharing a profile agree. */
    int rc = js_scenario_host_cost(s, profile_name, out, &hd);
    if (rc != 0)
        return js_diag_set(c->d, rc, "%s: host costs: %s", c->file, hd.msg);
    if (p != NULL && !p->host_applied)
        js_host_apply_profile(p, out);
    return 0;
}
