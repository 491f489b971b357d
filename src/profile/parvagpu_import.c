/* parvagpu_import: ParvaGPU's measured A100-80GB tables -> jigsaw profiles and scenarios.
 *
 * Input layout (the public repository MunQ-Lee/ParvaGPU_SC24, MIT licence):
 *   prof_data/<model>.csv  "Mig instance,Batch size,Workload Number,Throughput,Latency"
 *                          throughput per MPS process (items/s), latency seconds per batch,
 *                          a 0,0 row = not measured or out of memory (unavailable)
 *   SLO/SLO_req_rate.csv   one row per demand scenario, one column per model, no header
 *   SLO/SLO_latency.csv    same shape, latency SLO in ms, "N/A" = model absent
 *   LICENSE
 * ParvaGPU's own loader maps SLO columns to models in strcmp order of the csv file names
 * (bert, densenet121, ..., resnet101, resnet152, resnet50, vgg16, vgg19); so do we.
 */
#include "jigsaw/profile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PV_GPU "a100-80gb"
#define PV_MAX_MODELS 64
#define PV_MAX_ROWS 64
#define PV_MAX_FILE (4u * 1024u * 1024u)

typedef struct pv_model {
    char name[JS_NAME_MAX];
} pv_model;

/* ------------------------------------------------------------------ helpers */

/* snprintf into a path buffer; too long is an error (never a silently truncated path). */
static int fmt_path(js_diag *d, char *buf, size_t sz, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fmt_path(js_diag *d, char *buf, size_t sz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sz, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sz)
        return js_diag_set(d, JS_EXIT_DATAERR, "path too long: %.200s...", buf);
    return 0;
}

/* Relative path from directory `from` to directory `to` (both must exist). */
static int relpath(const char *from, const char *to, char *out, size_t outsz, js_diag *d)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (realpath(from, a) == NULL)
        return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: %s", from, strerror(errno));
    if (realpath(to, b) == NULL)
        return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: %s", to, strerror(errno));
    /* Longest common prefix ending at a component boundary. */
    size_t i = 0, common = 0;
    while (a[i] && b[i] && a[i] == b[i]) {
        i++;
        if (a[i] == '/' || a[i] == '\0')
            if (b[i] == '/' || b[i] == '\0')
                common = i;
    }
    if (strcmp(a, "/") == 0 || strcmp(b, "/") == 0)
        common = 0;
    out[0] = '\0';
    size_t n = 0;
    for (const char *p = a + common; *p; p++)
        if (*p == '/') {
            int w = snprintf(out + n, outsz - n, "%s..", n ? "/" : "");
            if (w < 0 || (size_t)w >= outsz - n)
                return js_diag_set(d, JS_EXIT_INTERNAL, "relative path too long");
            n += (size_t)w;
        }
    const char *rest = b + common;
    if (*rest == '/')
        rest++;
    if (*rest) {
        int w = snprintf(out + n, outsz - n, "%s%s", n ? "/" : "", rest);
        if (w < 0 || (size_t)w >= outsz - n)
            return js_diag_set(d, JS_EXIT_INTERNAL, "relative path too long");
        n += (size_t)w;
    }
    if (n == 0)
        snprintf(out, outsz, ".");
    return 0;
}

static char *trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Split `line` at commas in place; returns the field count (at most max). */
static int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (n < max)
            fields[n] = trim(p);
        n++;
        if (comma == NULL)
            break;
        *comma = '\0';
        fields[n - 1] = trim(p);
        p = comma + 1;
    }
    return n;
}

static bool parse_long(const char *s, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* Next line of a NUL-terminated buffer (modified in place); NULL at the end. */
static char *next_line(char **cursor)
{
    char *s = *cursor;
    if (s == NULL || *s == '\0')
        return NULL;
    char *nl = strchr(s, '\n');
    if (nl != NULL) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor = s + strlen(s);
    }
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '\r')
        s[n - 1] = '\0';
    return s;
}

/* ------------------------------------------------------------------ models */

static int cmp_model(const void *a, const void *b)
{
    return strcmp(((const pv_model *)a)->name, ((const pv_model *)b)->name);
}

static int list_models(const char *prof_dir, pv_model *models, int *n, js_diag *d)
{
    DIR *dp = opendir(prof_dir);
    if (dp == NULL)
        return js_diag_set(d, JS_EXIT_NOINPUT, "%s: cannot open directory: %s", prof_dir,
                           strerror(errno));
    *n = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL && rc == 0) {
        size_t len = strlen(de->d_name);
        if (len <= 4 || strcmp(de->d_name + len - 4, ".csv") != 0 || de->d_name[0] == '.')
            continue;
        if (*n >= PV_MAX_MODELS)
            rc = js_diag_set(d, JS_EXIT_DATAERR, "%s: more than %d csv files", prof_dir,
                             PV_MAX_MODELS);
        else if (len - 4 >= JS_NAME_MAX)
            rc = js_diag_set(d, JS_EXIT_DATAERR, "%s/%s: file name too long", prof_dir,
                             de->d_name);
        else {
            memcpy(models[*n].name, de->d_name, len - 4);
            models[*n].name[len - 4] = '\0';
            if (!js_name_valid(models[*n].name))
                rc = js_diag_set(d, JS_EXIT_DATAERR, "%s/%s: unusable model name", prof_dir,
                                 de->d_name);
            (*n)++;
        }
    }
    closedir(dp);
    if (rc != 0)
        return rc;
    if (*n == 0)
        return js_diag_set(d, JS_EXIT_NOINPUT, "%s: no <model>.csv files", prof_dir);
    /* strcmp order, exactly as ParvaGPU's loader sorts its file list. */
    qsort(models, (size_t)*n, sizeof *models, cmp_model);
    return 0;
}

/* Parse one prof_data csv into p->entries (sorted). */
static int parse_profile_csv(const char *path, js_profile *p, js_diag *d)
{
    char *text = NULL;
    int rc = js_read_file(path, PV_MAX_FILE, &text, NULL, d);
    if (rc != 0)
        return rc;
    int cap = 256;
    p->entries = malloc((size_t)cap * sizeof *p->entries);
    if (p->entries == NULL) {
        free(text);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    p->nentries = 0;
    char *cursor = text, *line;
    int lineno = 0;
    bool header = false;
    while ((line = next_line(&cursor)) != NULL && rc == 0) {
        lineno++;
        char *fields[6];
        if (*trim(line) == '\0')
            continue;
        int nf = split_csv(line, fields, 6);
        if (!header) {
            static const char *const want[] = {"Mig instance", "Batch size", "Workload Number",
                                               "Throughput", "Latency"};
            if (nf != 5)
                rc = js_diag_set(d, JS_EXIT_DATAERR,
                                 "%s:%d: header must have 5 columns (Mig instance,Batch "
                                 "size,Workload Number,Throughput,Latency), got %d",
                                 path, lineno, nf);
            for (int i = 0; i < 5 && rc == 0; i++)
                if (strcmp(fields[i], want[i]) != 0)
                    rc = js_diag_set(d, JS_EXIT_DATAERR,
                                     "%s:%d: header column %d must be \"%s\", got \"%.40s\"",
                                     path, lineno, i + 1, want[i], fields[i]);
            header = true;
            continue;
        }
        if (nf != 5) {
            rc = js_diag_set(d, JS_EXIT_DATAERR, "%s:%d: expected 5 columns, got %d", path,
                             lineno, nf);
            break;
        }
        long mig = 0, batch = 0, workers = 0; /* set by the parsers below before any use */
        double tput = 0, lat = 0;
        if (!parse_long(fields[0], &mig) || !(mig == 1 || mig == 2 || mig == 3 || mig == 4 ||
                                              mig == 7))
            rc = js_diag_set(d, JS_EXIT_DATAERR,
                             "%s:%d: Mig instance must be 1, 2, 3, 4 or 7, got \"%.40s\"", path,
                             lineno, fields[0]);
        else if (!parse_long(fields[1], &batch) || batch < 1 || batch > 65536)
            rc = js_diag_set(d, JS_EXIT_DATAERR,
                             "%s:%d: Batch size must be an integer in [1, 65536], got \"%.40s\"",
                             path, lineno, fields[1]);
        else if (!parse_long(fields[2], &workers) || workers < 1 || workers > 64)
            rc = js_diag_set(d, JS_EXIT_DATAERR,
                             "%s:%d: Workload Number must be an integer in [1, 64], got "
                             "\"%.40s\"",
                             path, lineno, fields[2]);
        else if (!parse_double(fields[3], &tput) || tput < 0)
            rc = js_diag_set(d, JS_EXIT_DATAERR,
                             "%s:%d: Throughput must be a number >= 0, got \"%.40s\"", path,
                             lineno, fields[3]);
        else if (!parse_double(fields[4], &lat) || lat < 0)
            rc = js_diag_set(d, JS_EXIT_DATAERR,
                             "%s:%d: Latency must be a number >= 0, got \"%.40s\"", path,
                             lineno, fields[4]);
        if (rc != 0)
            break;
        if (p->nentries == cap) {
            cap *= 2;
            js_profile_entry *ne = realloc(p->entries, (size_t)cap * sizeof *ne);
            if (ne == NULL) {
                rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
                break;
            }
            p->entries = ne;
        }
        js_profile_entry *e = &p->entries[p->nentries++];
        memset(e, 0, sizeof *e);
        e->mig = (int)mig;
        e->batch = (int)batch;
        e->workers = (int)workers;
        e->prov = JS_PROV_MEASURED;
        e->lat_p50_ms = e->lat_p95_ms = NAN;
        /* 0,0 = not measured or out of memory. A single zero is no usable figure either. */
        e->available = tput > 0 && lat > 0;
        e->throughput = e->available ? tput : NAN;
        e->lat_mean_ms = e->available ? lat * 1000.0 : NAN; /* s -> ms */
        for (int i = 0; i < p->nentries - 1; i++)
            if (js_profile_entry_cmp(&p->entries[i], e) == 0) {
                rc = js_diag_set(d, JS_EXIT_DATAERR,
                                 "%s:%d: duplicate row for (mig %ld, batch %ld, workers %ld)",
                                 path, lineno, mig, batch, workers);
                break;
            }
    }
    free(text);
    if (rc == 0 && !header)
        rc = js_diag_set(d, JS_EXIT_DATAERR, "%s: empty file (no header)", path);
    if (rc == 0 && p->nentries == 0)
        rc = js_diag_set(d, JS_EXIT_DATAERR, "%s: no data rows", path);
    int navail = 0;
    for (int i = 0; i < p->nentries; i++)
        navail += p->entries[i].available;
    if (rc == 0 && navail == 0)
        rc = js_diag_set(d, JS_EXIT_DATAERR, "%s: every row is 0,0 (nothing measured)", path);
    if (rc == 0)
        qsort(p->entries, (size_t)p->nentries, sizeof *p->entries, js_profile_entry_cmp);
    return rc;
}

static int write_profile(const js_profile *p, const char *license_text, const char *out_path,
                         js_diag *d)
{
    cJSON *root = js_profile_to_json(p);
    if (root == NULL)
        return js_diag_set(d, JS_EXIT_INTERNAL, "%s: cannot build JSON (out of memory)",
                           out_path);
    cJSON *entries = cJSON_DetachItemFromObjectCaseSensitive(root, "entries");
    int rc = 0;
    /* Keep the licence text before the (long) table, for readers of the file. */
    if (cJSON_AddStringToObject(root, "license_text", license_text) == NULL ||
        !cJSON_AddItemToObject(root, "entries", entries)) {
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "%s: out of memory", out_path);
    }
    if (rc == 0)
        rc = js_json_write_file(out_path, root, d);
    cJSON_Delete(root);
    return rc;
}

static int import_profiles(const char *dir, const pv_model *models, int nmodels,
                           const char *out_dir, const char *license_text, js_diag *d)
{
    for (int m = 0; m < nmodels; m++) {
        char in[JS_PATH_MAX * 2], out[JS_PATH_MAX * 2];
        int rc = fmt_path(d, in, sizeof in, "%s/prof_data/%s.csv", dir, models[m].name);
        if (rc == 0)
            rc = fmt_path(d, out, sizeof out, "%s/%s.json", out_dir, models[m].name);
        if (rc != 0)
            return rc;
        js_profile p;
        memset(&p, 0, sizeof p);
        snprintf(p.model, sizeof p.model, "%s", models[m].name);
        snprintf(p.gpu, sizeof p.gpu, "%s", PV_GPU);
        snprintf(p.description, sizeof p.description,
                 "%s on one NVIDIA A100-80GB: per-MPS-worker throughput and mean per-batch "
                 "latency over MIG size x batch x MPS workers, as measured by ParvaGPU. Rows "
                 "the authors could not run (0,0) are unavailable. Known quirks (e.g. "
                 "mobilenetv2 4g batch 256 with 2 workers above its 7g figure, densenet169 "
                 "jumping at 3g) are kept as measured.",
                 models[m].name);
        p.prov.kind = JS_PROV_MEASURED;
        p.prov.heldout_mape_throughput = p.prov.heldout_mape_latency = NAN;
        snprintf(p.prov.source, sizeof p.prov.source,
                 "Measured by the ParvaGPU authors (SC '24) on one NVIDIA A100-80GB in the "
                 "NVIDIA PyTorch 21.11 container (eager PyTorch). Origin: "
                 "github.com/MunQ-Lee/ParvaGPU_SC24 commit 5f3de1e, prof_data/%s.csv; "
                 "latency converted from s to ms; throughput is per MPS worker; p50/p95 not "
                 "measured (derived at load).",
                 models[m].name);
        snprintf(p.prov.license, sizeof p.prov.license,
                 "MIT License, Copyright (c) 2024 sslab6943 (ParvaGPU_SC24); full text in "
                 "license_text and in LICENSE-parvagpu beside this file");
        rc = parse_profile_csv(in, &p, d);
        if (rc == 0)
            rc = write_profile(&p, license_text, out, d);
        js_profile_free(&p);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ scenarios */

/* Parse an SLO csv: rows x nmodels; NAN where "N/A". */
static int parse_slo_csv(const char *path, int nmodels, double vals[][PV_MAX_MODELS], int *nrows,
                         js_diag *d)
{
    char *text = NULL;
    int rc = js_read_file(path, PV_MAX_FILE, &text, NULL, d);
    if (rc != 0)
        return rc;
    char *cursor = text, *line;
    int lineno = 0;
    *nrows = 0;
    while ((line = next_line(&cursor)) != NULL && rc == 0) {
        lineno++;
        if (*trim(line) == '\0')
            continue;
        if (*nrows >= PV_MAX_ROWS) {
            rc = js_diag_set(d, JS_EXIT_DATAERR, "%s:%d: more than %d rows", path, lineno,
                             PV_MAX_ROWS);
            break;
        }
        char *fields[PV_MAX_MODELS + 1];
        int nf = split_csv(line, fields, PV_MAX_MODELS + 1);
        if (nf != nmodels) {
            rc = js_diag_set(d, JS_EXIT_DATAERR,
                             "%s:%d: expected %d columns (one per prof_data csv), got %d", path,
                             lineno, nmodels, nf);
            break;
        }
        for (int i = 0; i < nmodels && rc == 0; i++) {
            double v;
            if (strcmp(fields[i], "N/A") == 0)
                vals[*nrows][i] = NAN;
            else if (parse_double(fields[i], &v) && v >= 0)
                vals[*nrows][i] = v;
            else
                rc = js_diag_set(d, JS_EXIT_DATAERR,
                                 "%s:%d: column %d must be a number >= 0 or N/A, got \"%.40s\"",
                                 path, lineno, i + 1, fields[i]);
        }
        (*nrows)++;
    }
    free(text);
    if (rc == 0 && *nrows == 0)
        rc = js_diag_set(d, JS_EXIT_DATAERR, "%s: no rows", path);
    return rc;
}

static cJSON *app_json(const char *model, double rate, double slo_ms)
{
    /* Model names are validated file stems (no quotes or escapes), so text is exact. */
    char buf[1024];
    int n = snprintf(buf, sizeof buf,
                     "{\"name\":\"%s\",\"tasks\":[{\"name\":\"%s\",\"variants\":[{\"name\":"
                     "\"%s\",\"profile\":\"%s\"}]}],\"slo\":{\"latency_ms\":%.17g,"
                     "\"accuracy\":1,\"rule\":{\"stat\":\"mean\",\"slo_fraction\":0.45}},"
                     "\"demand\":{\"rate\":%.17g}}",
                     model, model, model, model, slo_ms, rate);
    if (n < 0 || (size_t)n >= sizeof buf)
        return NULL;
    return cJSON_Parse(buf);
}

static int write_scenarios(const pv_model *models, int nmodels, double rates[][PV_MAX_MODELS],
                           double slos[][PV_MAX_MODELS], int nrows, const char *scen_dir,
                           const char *profiles_rel, int *nwritten, js_diag *d)
{
    for (int r = 0; r < nrows; r++) {
        char path[JS_PATH_MAX * 2], name[JS_NAME_MAX], desc[1024];
        snprintf(name, sizeof name, "parvagpu-slo%d", r + 1);
        int rc = fmt_path(d, path, sizeof path, "%s/%s.json", scen_dir, name);
        if (rc != 0)
            return rc;
        snprintf(desc, sizeof desc,
                 "ParvaGPU (SC '24) demand scenario %d: one single-task application per model "
                 "present in row %d of SLO/SLO_req_rate.csv (requests/s) and SLO/SLO_latency.csv "
                 "(ms) of github.com/MunQ-Lee/ParvaGPU_SC24 commit 5f3de1e (MIT License, "
                 "Copyright (c) 2024 sslab6943). Models marked N/A are omitted. ParvaGPU's rule: "
                 "mean batch latency below 0.45 x SLO, at most 3 MPS workers per MIG instance. "
                 "(ParvaGPU's own loader truncates the SLO values to integers; the CSV values "
                 "are kept here.)",
                 r + 1, r + 1);
        cJSON *root = cJSON_CreateObject();
        cJSON *cluster = root ? cJSON_CreateObject() : NULL;
        bool ok = root != NULL && cluster != NULL &&
                  cJSON_AddStringToObject(root, "kind", "scenario") != NULL &&
                  cJSON_AddNumberToObject(root, "format_version", JS_FORMAT_VERSION) != NULL &&
                  cJSON_AddStringToObject(root, "name", name) != NULL &&
                  cJSON_AddStringToObject(root, "description", desc) != NULL &&
                  cJSON_AddStringToObject(root, "profiles", profiles_rel) != NULL &&
                  cJSON_AddStringToObject(cluster, "gpu", PV_GPU) != NULL &&
                  cJSON_AddNumberToObject(cluster, "gpus", 24) != NULL &&
                  cJSON_AddNumberToObject(cluster, "max_workers", 3) != NULL &&
                  cJSON_AddItemToObject(root, "cluster", cluster);
        if (!ok && cluster != NULL && cluster->string == NULL)
            cJSON_Delete(cluster);
        cJSON *apps = ok ? cJSON_AddArrayToObject(root, "apps") : NULL;
        ok = ok && apps != NULL;
        int napps = 0;
        for (int m = 0; m < nmodels && ok; m++) {
            double rate = rates[r][m], slo = slos[r][m];
            /* ParvaGPU keeps a model only when both its rate and its SLO are non-zero. */
            if (isnan(rate) || isnan(slo) || rate <= 0 || slo <= 0)
                continue;
            cJSON *app = app_json(models[m].name, rate, slo);
            ok = app != NULL && cJSON_AddItemToArray(apps, app);
            if (!ok)
                cJSON_Delete(app);
            napps++;
        }
        if (!ok)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "%s: out of memory", path);
        else if (napps == 0)
            rc = js_diag_set(d, JS_EXIT_DATAERR, "SLO row %d: no model has a rate and an SLO",
                             r + 1);
        if (rc == 0)
            rc = js_json_write_file(path, root, d);
        cJSON_Delete(root);
        if (rc != 0)
            return rc;
        (*nwritten)++;
    }
    return 0;
}

/* ------------------------------------------------------------------ entry point */

int js_parvagpu_import(const char *dir, const char *profiles_root, const char *scenarios_dir,
                       int *nprofiles, int *nscenarios, js_diag *d)
{
    *nprofiles = *nscenarios = 0;
    pv_model *models = calloc(PV_MAX_MODELS, sizeof *models);
    double(*rates)[PV_MAX_MODELS] = calloc(PV_MAX_ROWS, sizeof *rates);
    double(*slos)[PV_MAX_MODELS] = calloc(PV_MAX_ROWS, sizeof *slos);
    char *license = NULL;
    int rc = 0, nmodels = 0, nrows = 0, nrows2 = 0;
    char path[JS_PATH_MAX * 2], out_dir[JS_PATH_MAX * 2];
    if (models == NULL || rates == NULL || slos == NULL)
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    if (rc == 0) {
        rc = fmt_path(d, path, sizeof path, "%s/prof_data", dir);
        if (rc == 0)
            rc = list_models(path, models, &nmodels, d);
    }
    if (rc == 0) {
        rc = fmt_path(d, path, sizeof path, "%s/LICENSE", dir);
        if (rc == 0)
            rc = js_read_file(path, 65536, &license, NULL, d);
    }
    /* Read everything before writing anything: a bad SLO file must not leave half an import. */
    if (rc == 0 && scenarios_dir != NULL) {
        rc = fmt_path(d, path, sizeof path, "%s/SLO/SLO_req_rate.csv", dir);
        if (rc == 0)
            rc = parse_slo_csv(path, nmodels, rates, &nrows, d);
        if (rc == 0) {
            rc = fmt_path(d, path, sizeof path, "%s/SLO/SLO_latency.csv", dir);
            if (rc == 0)
                rc = parse_slo_csv(path, nmodels, slos, &nrows2, d);
        }
        if (rc == 0 && nrows != nrows2)
            rc = js_diag_set(d, JS_EXIT_DATAERR,
                             "%s/SLO: SLO_req_rate.csv has %d rows but SLO_latency.csv %d", dir,
                             nrows, nrows2);
    }
    if (rc == 0) {
        rc = fmt_path(d, out_dir, sizeof out_dir, "%s/%s", profiles_root, PV_GPU);
        if (rc == 0)
            rc = js_mkdir_p(out_dir, d);
    }
    if (rc == 0)
        rc = import_profiles(dir, models, nmodels, out_dir, license, d);
    if (rc == 0) {
        *nprofiles = nmodels;
        rc = fmt_path(d, path, sizeof path, "%s/LICENSE-parvagpu", out_dir);
        if (rc == 0)
            rc = js_write_file_atomic(path, license, strlen(license), d);
    }
    if (rc == 0 && scenarios_dir != NULL) {
        char rel[JS_PATH_MAX];
        rc = js_mkdir_p(scenarios_dir, d);
        if (rc == 0)
            rc = relpath(scenarios_dir, profiles_root, rel, sizeof rel, d);
        if (rc == 0)
            rc = write_scenarios(models, nmodels, rates, slos, nrows, scenarios_dir, rel,
                                 nscenarios, d);
    }
    free(license);
    free(models);
    free(rates);
    free(slos);
    return rc;
}
