/* perfmodel/catalogue.c: profiles/models.json, the model facts the performance model
 * reads (FLOPs, parameters, operator count, input size, published accuracy). */
#include <math.h>
#include <string.h>

#include "jigsaw/perfmodel.h"

static int load_one(js_jctx *c, const cJSON *o, js_pm_facts *f)
{
    static const char *const required[] = {"name", "family", "arch", "gflops", "params_m",
                                           "ops", "act_m", "input_px", "accuracy", "metric",
                                           "accuracy_source", "measured_a100", NULL};
    static const char *const allowed[] = {"task", "compute_published", "compute_unit",
                                          "facts_source", "notes", "ops_derivation",
                                          "act_source", NULL};
    memset(f, 0, sizeof *f);
    int rc = js_json_check_keys(c, o, allowed, required);
    if (rc == 0)
        rc = js_json_get_name(c, o, "name", true, f->name, sizeof f->name);
    if (rc == 0)
        rc = js_json_get_string(c, o, "family", true, f->family, sizeof f->family);
    if (rc == 0)
        rc = js_json_get_string(c, o, "arch", true, f->arch, sizeof f->arch);
    if (rc == 0)
        rc = js_json_get_number(c, o, "gflops", true, &f->gflops);
    if (rc == 0 && !(f->gflops > 0))
        rc = js_json_err(c, "gflops", "must be > 0, got %g", f->gflops);
    if (rc == 0)
        rc = js_json_get_number(c, o, "params_m", true, &f->params_m);
    if (rc == 0 && !(f->params_m > 0))
        rc = js_json_err(c, "params_m", "must be > 0, got %g", f->params_m);
    if (rc == 0)
        rc = js_json_get_number(c, o, "ops", true, &f->ops);
    if (rc == 0 && !(f->ops >= 1))
        rc = js_json_err(c, "ops", "must be >= 1, got %g", f->ops);
    if (rc == 0)
        rc = js_json_get_number(c, o, "act_m", true, &f->act_m);
    if (rc == 0 && !(f->act_m > 0))
        rc = js_json_err(c, "act_m", "must be > 0, got %g", f->act_m);
    if (rc == 0)
        rc = js_json_get_int_in(c, o, "input_px", 0, 4096, &f->input_px);
    if (rc == 0)
        rc = js_json_get_number(c, o, "accuracy", true, &f->accuracy);
    if (rc == 0 && !(f->accuracy > 0))
        rc = js_json_err(c, "accuracy", "must be > 0, got %g", f->accuracy);
    if (rc == 0)
        rc = js_json_get_string(c, o, "metric", true, f->metric, sizeof f->metric);
    if (rc == 0)
        rc = js_json_get_string(c, o, "accuracy_source", true, f->accuracy_source,
                                sizeof f->accuracy_source);
    if (rc == 0)
        rc = js_json_get_bool(c, o, "measured_a100", true, &f->measured_a100);
    if (rc == 0)
        rc = js_json_get_string(c, o, "notes", false, f->notes, sizeof f->notes);
    return rc;
}

int js_pm_catalogue_load(const char *path, js_pm_catalogue *out, js_diag *d)
{
    memset(out, 0, sizeof *out);
    cJSON *root = NULL;
    int rc = js_json_load_file(path, &root, d);
    if (rc != 0)
        return rc;
    js_jctx c;
    js_jctx_init(&c, path, d);
    static const char *const top[] = {"kind", "format_version", "description", "models",
                                      NULL};
    rc = js_json_check_kind(&c, root, "model-facts");
    if (rc == 0)
        rc = js_json_check_keys(&c, root, top, top);
    const cJSON *arr = NULL;
    if (rc == 0)
        rc = js_json_get_array(&c, root, "models", true, &arr);
    size_t s0 = js_jctx_push_key(&c, "models");
    int i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        if (rc != 0)
            break;
        size_t s1 = js_jctx_push_index(&c, i);
        if (i >= JS_PM_MAX_MODELS) {
            rc = js_diag_set(d, JS_EXIT_DATAERR, "%s: %s: more than %d models", path, c.path,
                             JS_PM_MAX_MODELS);
        } else if (!cJSON_IsObject(o)) {
            rc = js_diag_set(d, JS_EXIT_DATAERR, "%s: %s: must be an object", path, c.path);
        } else {
            rc = load_one(&c, o, &out->m[i]);
            if (rc == 0 && js_pm_catalogue_find(out, out->m[i].name) != NULL)
                rc = js_json_err(&c, "name", "duplicate model \"%s\"", out->m[i].name);
            if (rc == 0)
                out->n = ++i;
        }
        js_jctx_pop(&c, s1);
    }
    js_jctx_pop(&c, s0);
    if (rc == 0 && out->n == 0)
        rc = js_diag_set(d, JS_EXIT_DATAERR, "%s: $.models: empty", path);
    cJSON_Delete(root);
    return rc;
}

const js_pm_facts *js_pm_catalogue_find(const js_pm_catalogue *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->m[i].name, name) == 0)
            return &c->m[i];
    return NULL;
}
