/* jigsaw compare: writing results/ -- the order in which the parts are written
 * (cmp_write_results) and the helpers every writer shares: a text buffer committed
 * atomically (js_write_file_atomic), JSON files, a CSV table with its JSON twin, the CSV
 * number format, and the file-name form of a system. The parts are in report_tables.c,
 * report_md.c and report_plots.c; their shared declarations in report_internal.h. */
#include <math.h>
#include <stdlib.h>

#include "report_internal.h"

void cmp_system_slug(unsigned features, char *buf, size_t n)
{
    if (features == 0) {
        snprintf(buf, n, "unopt");
        return;
    }
    snprintf(buf, n, "%s%s%s", (features & JS_FEAT_A) ? "a" : "", (features & JS_FEAT_S) ? "s" : "",
             (features & JS_FEAT_T) ? "t" : "");
}

int cmp_ob_open(cmp_outbuf *b, js_diag *d)
{
    b->buf = NULL;
    b->len = 0;
    b->f = open_memstream(&b->buf, &b->len);
    return b->f ? 0 : js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
}

int cmp_ob_commit(cmp_outbuf *b, const char *dir, const char *name, js_diag *d)
{
    char path[JS_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (fclose(b->f) != 0) {
        free(b->buf);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    int rc = js_write_file_atomic(path, b->buf, b->len, d);
    free(b->buf);
    return rc;
}

int cmp_write_json(const char *dir, const char *name, cJSON *root, js_diag *d)
{
    char path[JS_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!root)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    int rc = js_json_write_file(path, root, d);
    cJSON_Delete(root);
    return rc;
}

/* Numbers in CSV: empty when unknown. */
void cmp_csv_num(FILE *f, double v, int digits)
{
    if (isfinite(v))
        fprintf(f, "%.*g", digits, v);
}

/* <stem>.csv from the buffer and <stem>.json from root (consumed), both atomically. */
int cmp_commit_table(cmp_outbuf *b, const char *dir, const char *stem, cJSON *root,
                     js_diag *d)
{
    char csv[64], json[64];
    snprintf(csv, sizeof csv, "%s.csv", stem);
    snprintf(json, sizeof json, "%s.json", stem);
    int rc = cmp_ob_commit(b, dir, csv, d);
    if (rc == 0)
        return cmp_write_json(dir, json, root, d);
    cJSON_Delete(root);
    return rc;
}

/* Every table first, then REPORT.md (which cites them), then the plots (drawn from them). */
int cmp_write_results(const cmp_data *c, js_diag *d)
{
    int rc = cmp_write_capacity(c, d);
    if (rc == 0)
        rc = c->o.trace ? cmp_write_trace(c, d) : 0;
    if (rc == 0)
        rc = cmp_write_safe_capacity(c, d);
    if (rc == 0)
        rc = cmp_write_trace_safe(c, d);
    if (rc == 0)
        rc = cmp_write_tail(c, d);
    if (rc == 0)
        rc = cmp_write_batch_caps(c, d);
    if (rc == 0)
        rc = cmp_write_report(c, d);
    if (rc == 0 && c->o.plots)
        cmp_render_plots(c, d);
    return rc;
}
