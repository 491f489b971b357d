/* `jigsaw compare --quick`: the orderings of the eight systems the paper reports, on the
 * capacity table it writes, and the files it promises. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jigsaw/jsonio.h"
#include "jigsaw/planner.h"

static char outdir[64];
static cJSON *capacity;

static void run_quick(void)
{
    snprintf(outdir, sizeof outdir, "/tmp/jigsaw-compare-XXXXXX");
    cr_assert_not_null(mkdtemp(outdir));
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd %s && %s compare --quick --no-plots --out %s > %s/stdout.txt 2> %s/stderr.txt",
             JS_SOURCE_ROOT, JS_JIGSAW_EXE, outdir, outdir, outdir);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "compare --quick failed (status %d), see %s",
              st, outdir);
    char path[256];
    snprintf(path, sizeof path, "%s/capacity.json", outdir);
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_json_load_file(path, &capacity, &d), 0, "%s", d.msg);
}

/* max_demand_scale of `system` in the study for `app` (0 when infeasible). */
static double scale_of(const cJSON *study, const char *system)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(study, "systems")) {
        if (strcmp(cJSON_GetObjectItem(e, "system")->valuestring, system) != 0)
            continue;
        const cJSON *v = cJSON_GetObjectItem(e, "max_demand_scale");
        return cJSON_IsNumber(v) && cJSON_IsTrue(cJSON_GetObjectItem(e, "feasible"))
                   ? v->valuedouble
                   : 0.0;
    }
    cr_assert_fail("system %s missing", system);
    return NAN;
}

/* The planner is exact within 0.5%: orderings are checked with that tolerance. */
#define TOL 0.995

static const cJSON *study_of(const cJSON *arr, const char *app)
{
    const cJSON *st;
    cJSON_ArrayForEach(st, arr) {
        if (strcmp(cJSON_GetObjectItem(st, "app")->valuestring, app) == 0)
            return st;
    }
    cr_assert_fail("no study of %s", app);
    return NULL;
}

/* With batches capped at 2 (the quick run's cap) a whole GPU under one worker is mostly
 * idle: there every system with S serves at least what every system without S serves on
 * the depth-1 application (the paper's ordering), and JigsawServe's edge over Loki grows
 * on every application where both serve. */
static void check_batch_caps(const cJSON *uncapped)
{
    char path[256];
    snprintf(path, sizeof path, "%s/batch-caps.json", outdir);
    cJSON *caps = NULL;
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_json_load_file(path, &caps, &d), 0, "%s", d.msg);
    cr_assert_eq(cJSON_GetArraySize(caps), 3, "three applications at one cap");
    const cJSON *st;
    cJSON_ArrayForEach(st, caps) {
        cr_assert_eq(cJSON_GetObjectItem(st, "max_batch")->valueint, 2);
        const char *app = cJSON_GetObjectItem(st, "app")->valuestring;
        double capped = cJSON_GetObjectItem(st, "jigsaw_vs_loki")->valuedouble;
        const cJSON *u = cJSON_GetObjectItem(study_of(uncapped, app), "jigsaw_vs_loki");
        if (cJSON_IsNumber(u) && isfinite(capped))
            cr_assert(capped >= TOL * u->valuedouble, "%s: A+S+T / A+T %g capped, %g not",
                      app, capped, u->valuedouble);
    }
    const cJSON *sm = study_of(caps, "social-media");
    double min_s = INFINITY, max_nos = 0.0;
    for (int i = 0; i < JS_NSYSTEMS; i++) {
        double v = scale_of(sm, js_system_name(js_systems[i]));
        if (js_systems[i] & JS_FEAT_S)
            min_s = fmin(min_s, v);
        else
            max_nos = fmax(max_nos, v);
    }
    cr_assert(min_s >= TOL * max_nos, "batch <= 2, social-media: lowest with S %g < highest "
              "without %g", min_s, max_nos);
    cJSON_Delete(caps);
}

Test(compare_quick, orderings_and_files, .timeout = 600)
{
    run_quick();
    const cJSON *studies = cJSON_GetObjectItem(capacity, "studies");
    cr_assert_eq(cJSON_GetArraySize(studies), 3, "three applications");
    const cJSON *st;
    cJSON_ArrayForEach(st, studies) {
        const char *app = cJSON_GetObjectItem(st, "app")->valuestring;
        double ast = scale_of(st, "A+S+T");
        cr_assert(ast > 0, "%s: A+S+T serves nothing", app);
        for (int i = 0; i < JS_NSYSTEMS; i++) {
            const char *name = js_system_name(js_systems[i]);
            cr_assert(ast >= TOL * scale_of(st, name), "%s: %s beats A+S+T", app, name);
        }
        /* S only adds options: every system with S serves at least what the same system
         * without S serves. (The paper's stronger claim, that every S system beats every
         * system without S, e.g. S >= A, depends on the profiles; REPORT.md states whether
         * it holds for ours, and the ordering section is checked below.) */
        for (int i = 0; i < JS_NSYSTEMS; i++) {
            unsigned with = js_systems[i];
            if (!(with & JS_FEAT_S))
                continue;
            unsigned without = with & ~(unsigned)JS_FEAT_S;
            double a = scale_of(st, js_system_name(with));
            double b = scale_of(st, js_system_name(without));
            cr_assert(a >= TOL * b, "%s: %s (%g) < %s (%g)", app, js_system_name(with), a,
                      js_system_name(without), b);
        }
        if (strcmp(app, "social-media") == 0) {
            /* Depth 1: graph-aware budgeting has nothing to re-split. */
            for (int i = 0; i < JS_NSYSTEMS; i++) {
                unsigned f = js_systems[i];
                if (!(f & JS_FEAT_T))
                    continue;
                double with = scale_of(st, js_system_name(f));
                double without = scale_of(st, js_system_name(f & ~(unsigned)JS_FEAT_T));
                cr_assert(fabs(with - without) <= 0.006 * fmax(with, without),
                          "social-media: T changes %s: %g vs %g", js_system_name(f), with,
                          without);
            }
        }
    }
    check_batch_caps(studies);
    const char *files[] = {"REPORT.md", "capacity.csv", "trace.csv", "trace.json",
                           "timeline-a100-social-media.csv", "capacity-gains-a100.csv",
                           "batch-caps.csv", "batch-caps.json", "tail.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[256];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", outdir, files[i]);
        cr_assert_eq(stat(p, &sb), 0, "missing %s", p);
        cr_assert(sb.st_size > 0, "empty %s", p);
    }
    char rp[256];
    snprintf(rp, sizeof rp, "%s/REPORT.md", outdir);
    FILE *f = fopen(rp, "r");
    cr_assert_not_null(f);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cr_assert_not_null(strstr(text, "every system with S >= every system without S"));
    cr_assert_not_null(strstr(text, "21.60x"), "the paper's A+S+T gain is beside ours");
    cr_assert_not_null(strstr(text, "11.30x"), "the paper's A+S+T / A+T is beside ours");
    cr_assert_not_null(strstr(text, "43.3% of slices"), "the paper's trace figures too");
    /* Rows for what the quick run leaves out say why, with a cell under every header. */
    cr_assert_null(strstr(text, "||"), "a table row with empty cells");
    cr_assert_null(strstr(text, "not run:  "), "a row without its reason");
    cr_assert_not_null(strstr(text, "| traffic-analysis | - | not run: --quick replays the "
                                    "depth-1 application only |"));
    cJSON_Delete(capacity);
    /* Passed: the outputs go (a failed assertion above leaves them for inspection). */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", outdir);
    cr_assert_eq(system(cmd), 0);
    struct stat sb;
    cr_assert_neq(stat(outdir, &sb), 0, "%s still there", outdir);
}
