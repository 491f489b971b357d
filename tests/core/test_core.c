/* Tests of the core data layer: jsonio, gpu, profile, scenario, dag, the ParvaGPU importer,
 * and the corpus of malformed inputs (tests/core/bad/MANIFEST.tsv). */
#include <criterion/criterion.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jigsaw/dag.h"
#include "jigsaw/diag.h"
#include "jigsaw/gpu.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/profile.h"
#include "jigsaw/scenario.h"

#define SRC JS_SOURCE_ROOT

static js_diag *new_diag(void)
{
    js_diag *d = malloc(sizeof *d);
    cr_assert_not_null(d);
    js_diag_init(d);
    return d;
}

static void make_tmpdir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/jigsaw-core-test-XXXXXX");
    cr_assert_not_null(mkdtemp(buf));
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static int count_entries(const char *dir)
{
    DIR *dp = opendir(dir);
    cr_assert_not_null(dp);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(dp);
    return n;
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* ================================================================== jsonio */

Test(jsonio, syntax_error_names_line_and_column)
{
    js_diag *d = new_diag();
    cJSON *root = NULL;
    const char *text = "{\n  \"a\": 1,\n  \"b\": tru\n}";
    cr_assert_eq(js_json_parse("x.json", text, strlen(text), &root, d), JS_EXIT_DATAERR);
    cr_assert_null(root);
    cr_assert(strstr(d->msg, "x.json:3:") != NULL, "got: %s", d->msg);
    free(d);
}

Test(jsonio, trailing_garbage_and_nul_rejected)
{
    js_diag *d = new_diag();
    cJSON *root = NULL;
    cr_assert_eq(js_json_parse("t.json", "{} x", 4, &root, d), JS_EXIT_DATAERR);
    js_diag_init(d);
    cr_assert_eq(js_json_parse("t.json", "{}\0{}", 5, &root, d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "NUL") != NULL);
    js_diag_init(d);
    cr_assert_eq(js_json_parse("t.json", "{ }\n", 4, &root, d), 0);
    cJSON_Delete(root);
    free(d);
}

Test(jsonio, missing_file_is_66)
{
    js_diag *d = new_diag();
    cJSON *root = NULL;
    cr_assert_eq(js_json_load_file("/nonexistent/dir/x.json", &root, d), JS_EXIT_NOINPUT);
    cr_assert(strstr(d->msg, "/nonexistent/dir/x.json") != NULL);
    js_diag_init(d);
    cr_assert_eq(js_json_load_file("/tmp", &root, d), JS_EXIT_NOINPUT); /* a directory */
    free(d);
}

Test(jsonio, read_file_size_limit)
{
    char dir[64], path[128];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/big.txt", dir);
    write_text(path, "0123456789");
    js_diag *d = new_diag();
    char *buf = NULL;
    size_t len = 0;
    cr_assert_eq(js_read_file(path, 5, &buf, &len, d), JS_EXIT_DATAERR);
    cr_assert_null(buf);
    js_diag_init(d);
    cr_assert_eq(js_read_file(path, 10, &buf, &len, d), 0);
    cr_assert_eq(len, 10);
    cr_assert_str_eq(buf, "0123456789");
    free(buf);
    free(d);
    rm_rf(dir);
}

Test(jsonio, check_keys_unknown_duplicate_missing)
{
    static const char *const allowed[] = {"b", NULL};
    static const char *const required[] = {"a", NULL};
    js_diag *d = new_diag();
    js_jctx c;
    js_jctx_init(&c, "k.json", d);
    cJSON *o = cJSON_Parse("{\"a\": 1, \"typo\": 2}");
    cr_assert_eq(js_json_check_keys(&c, o, allowed, required), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "k.json: $.typo: unknown field") != NULL, "got: %s", d->msg);
    cJSON_Delete(o);

    js_diag_init(d);
    o = cJSON_Parse("{\"b\": 1}");
    cr_assert_eq(js_json_check_keys(&c, o, allowed, required), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "$.a: missing required field") != NULL, "got: %s", d->msg);
    cJSON_Delete(o);

    js_diag_init(d);
    o = cJSON_Parse("{\"a\": 1, \"a\": 2}");
    cr_assert_eq(js_json_check_keys(&c, o, allowed, required), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "$.a: duplicate field") != NULL, "got: %s", d->msg);
    cJSON_Delete(o);

    js_diag_init(d);
    o = cJSON_Parse("{\"a\": 1, \"b\": 2}");
    cr_assert_eq(js_json_check_keys(&c, o, allowed, required), 0);
    cJSON_Delete(o);
    free(d);
}

Test(jsonio, typed_getters)
{
    js_diag *d = new_diag();
    js_jctx c;
    js_jctx_init(&c, "g.json", d);
    cJSON *o = cJSON_Parse("{\"n\": 2.5, \"i\": 3, \"f\": 3.5, \"s\": \"hey\", \"b\": true, "
                           "\"e\": \"\", \"big\": 1e300, \"arr\": [1], \"obj\": {}}");
    cr_assert_not_null(o);
    double x = 0;
    int i = 0;
    bool b = false;
    char buf[8];
    const cJSON *v = NULL;
    cr_assert_eq(js_json_get_number(&c, o, "n", true, &x), 0);
    cr_assert_float_eq(x, 2.5, 1e-12);
    cr_assert_eq(js_json_get_int(&c, o, "i", true, &i), 0);
    cr_assert_eq(i, 3);
    cr_assert_eq(js_json_get_bool(&c, o, "b", true, &b), 0);
    cr_assert(b);
    cr_assert_eq(js_json_get_string(&c, o, "s", true, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "hey");
    cr_assert_eq(js_json_get_array(&c, o, "arr", true, &v), 0);
    cr_assert_eq(js_json_get_object(&c, o, "obj", true, &v), 0);
    x = 7;
    cr_assert_eq(js_json_get_number(&c, o, "absent", false, &x), 0);
    cr_assert_float_eq(x, 7, 0); /* untouched */

    cr_assert_eq(js_json_get_int(&c, o, "f", true, &i), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "$.f: must be an integer") != NULL, "got: %s", d->msg);
    js_diag_init(d);
    cr_assert_eq(js_json_get_int(&c, o, "big", true, &i), JS_EXIT_DATAERR);
    js_diag_init(d);
    cr_assert_eq(js_json_get_number(&c, o, "s", true, &x), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "$.s: must be a number, got a string") != NULL, "got: %s", d->msg);
    js_diag_init(d);
    cr_assert_eq(js_json_get_string(&c, o, "e", true, buf, sizeof buf), JS_EXIT_DATAERR);
    js_diag_init(d);
    cr_assert_eq(js_json_get_string(&c, o, "n", true, buf, sizeof buf), JS_EXIT_DATAERR);
    js_diag_init(d);
    cr_assert_eq(js_json_get_bool(&c, o, "i", true, &b), JS_EXIT_DATAERR);
    js_diag_init(d);
    cr_assert_eq(js_json_get_array(&c, o, "obj", true, &v), JS_EXIT_DATAERR);
    js_diag_init(d);
    cr_assert_eq(js_json_get_object(&c, o, "absent", true, &v), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "$.absent: missing required field") != NULL);
    cJSON_Delete(o);

    /* 1e999 parses to infinity: a getter must refuse it. */
    o = cJSON_Parse("{\"inf\": 1e999}");
    js_diag_init(d);
    cr_assert_eq(js_json_get_number(&c, o, "inf", true, &x), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "finite") != NULL);
    cJSON_Delete(o);
    free(d);
}

Test(jsonio, path_push_pop)
{
    js_jctx c;
    js_jctx_init(&c, "p.json", NULL);
    size_t a = js_jctx_push_key(&c, "apps");
    size_t b = js_jctx_push_index(&c, 3);
    js_jctx_push_key(&c, "odd key");
    cr_assert_str_eq(c.path, "$.apps[3][\"odd key\"]");
    js_jctx_pop(&c, b);
    cr_assert_str_eq(c.path, "$.apps");
    js_jctx_pop(&c, a);
    cr_assert_str_eq(c.path, "$");
}

Test(jsonio, atomic_write_replaces_and_leaves_no_temp)
{
    char dir[64], path[128];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.json", dir);
    js_diag *d = new_diag();
    cr_assert_eq(js_write_file_atomic(path, "old\n", 4, d), 0);
    cr_assert_eq(js_write_file_atomic(path, "new text\n", 9, d), 0);
    char *buf = NULL;
    cr_assert_eq(js_read_file(path, 100, &buf, NULL, d), 0);
    cr_assert_str_eq(buf, "new text\n");
    free(buf);
    cr_assert_eq(count_entries(dir), 1, "a temporary file was left behind");
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0644);
    free(d);
    rm_rf(dir);
}

Test(jsonio, atomic_write_failure_keeps_old_and_leaves_no_temp)
{
    char dir[64], target[128], inner[160];
    make_tmpdir(dir, sizeof dir);
    /* The target is a non-empty directory: the temp file is created, the rename fails. */
    snprintf(target, sizeof target, "%s/target", dir);
    cr_assert_eq(mkdir(target, 0755), 0);
    snprintf(inner, sizeof inner, "%s/keep.txt", target);
    write_text(inner, "precious");
    js_diag *d = new_diag();
    cr_assert_eq(js_write_file_atomic(target, "x", 1, d), JS_EXIT_CANTCREAT);
    cr_assert(strstr(d->msg, target) != NULL);
    cr_assert_eq(count_entries(dir), 1, "temp file left after a failed write");
    char *buf = NULL;
    js_diag_init(d);
    cr_assert_eq(js_read_file(inner, 100, &buf, NULL, d), 0);
    cr_assert_str_eq(buf, "precious");
    free(buf);
    /* A missing directory: nothing can be created at all. */
    js_diag_init(d);
    snprintf(target, sizeof target, "%s/no/such/dir/f.json", dir);
    cr_assert_eq(js_write_file_atomic(target, "x", 1, d), JS_EXIT_CANTCREAT);
    free(d);
    rm_rf(dir);
}

Test(jsonio, json_write_file_round_trip)
{
    char dir[64], path[128];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/o.json", dir);
    cJSON *o = cJSON_Parse("{\"a\": [1, 2.5, \"x\"]}");
    js_diag *d = new_diag();
    cr_assert_eq(js_json_write_file(path, o, d), 0);
    cJSON *back = NULL;
    cr_assert_eq(js_json_load_file(path, &back, d), 0);
    cr_assert(cJSON_Compare(o, back, 1));
    cJSON_Delete(o);
    cJSON_Delete(back);
    free(d);
    rm_rf(dir);
}

Test(jsonio, names)
{
    cr_assert(js_name_valid("resnet50"));
    cr_assert(js_name_valid("a100-80gb"));
    cr_assert(js_name_valid("A+S+T"));
    cr_assert(!js_name_valid(""));
    cr_assert(!js_name_valid(".hidden"));
    cr_assert(!js_name_valid("../x"));
    cr_assert(!js_name_valid("a b"));
}

/* ================================================================== gpu */

static js_gpu_type load_gpu(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/profiles/gpus/%s.json", SRC, name);
    js_gpu_type g;
    js_diag *d = new_diag();
    cr_assert_eq(js_gpu_load(path, &g, d), 0, "%s", d->msg);
    free(d);
    return g;
}

Test(gpu, shipped_types_load)
{
    static const int a100_sms[] = {14, 28, 42, 56, 98}, h100_sms[] = {16, 32, 60, 64, 132};
    static const int slices[] = {1, 2, 3, 4, 7}, mem[] = {1, 2, 4, 4, 8};
    static const double gib[] = {10, 20, 40, 40, 80};
    js_gpu_type a = load_gpu("a100-80gb"), h = load_gpu("h100-80gb");
    cr_assert_eq(a.nprofiles, 5);
    cr_assert_eq(h.nprofiles, 5);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(a.profiles[i].compute_slices, slices[i]);
        cr_assert_eq(a.profiles[i].memory_slices, mem[i]);
        cr_assert_eq(a.profiles[i].sms, a100_sms[i]);
        cr_assert_eq(h.profiles[i].sms, h100_sms[i]);
        cr_assert_float_eq(a.profiles[i].memory_gib, gib[i], 0);
        cr_assert_eq(js_gpu_profile_by_slices(&a, slices[i]), i);
    }
    cr_assert_eq(a.profiles[0].nstarts, 7);
    cr_assert_eq(a.profiles[1].nstarts, 3);
    cr_assert_eq(a.profiles[2].starts[1], 4);
    cr_assert_eq(js_gpu_profile_by_name(&a, "4g.40gb"), 3);
    cr_assert_eq(js_gpu_profile_by_name(&a, "5g"), -1);
    cr_assert_eq(js_gpu_profile_by_slices(&a, 5), -1);
    cr_assert_eq(a.max_mps_workers, 8);
    cr_assert(a.sm_clock_mhz > 0 && h.fp16_tflops > a.fp16_tflops);
}

Test(gpu, placement_rules)
{
    js_gpu_type g = load_gpu("a100-80gb");
    enum { G1, G2, G3, G4, G7 };
    js_diag *d = new_diag();
    js_mig_placement ok1[] = {{G4, 0}, {G3, 4}};
    js_mig_placement ok2[] = {{G3, 0}, {G3, 4}};
    js_mig_placement ok3[] = {{G2, 0}, {G1, 2}, {G1, 3}, {G3, 4}};
    js_mig_placement ok4[] = {{G1, 0}, {G1, 1}, {G1, 2}, {G1, 3}, {G1, 4}, {G1, 5}, {G1, 6}};
    js_mig_placement ok5[] = {{G7, 0}};
    cr_assert_eq(js_gpu_layout_check(&g, ok1, 2, d), 0, "%s", d->msg);
    cr_assert_eq(js_gpu_layout_check(&g, ok2, 2, d), 0, "%s", d->msg);
    cr_assert_eq(js_gpu_layout_check(&g, ok3, 4, d), 0, "%s", d->msg);
    cr_assert_eq(js_gpu_layout_check(&g, ok4, 7, d), 0, "%s", d->msg);
    cr_assert_eq(js_gpu_layout_check(&g, ok5, 1, d), 0, "%s", d->msg);

    js_mig_placement two4g[] = {{G4, 0}, {G4, 0}};
    cr_assert_eq(js_gpu_layout_check(&g, two4g, 2, d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "overlaps") != NULL, "got: %s", d->msg);
    js_mig_placement bad_start[] = {{G3, 2}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, bad_start, 1, d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "may not start") != NULL);
    js_mig_placement one_at_7[] = {{G1, 7}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, one_at_7, 1, d), JS_EXIT_DATAERR);
    /* 4g + 2g + 1g: no memory overlap (0-3, 4-5, 6) but 4+2+1 = 7 ok; 4g+2g+2g would be 8. */
    js_mig_placement seven[] = {{G4, 0}, {G2, 4}, {G1, 6}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, seven, 3, d), 0, "%s", d->msg);
    js_mig_placement eight[] = {{G1, 0}, {G1, 1}, {G1, 2}, {G1, 3}, {G1, 4}, {G1, 5}, {G2, 6}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, eight, 7, d), JS_EXIT_DATAERR);
    js_mig_placement bad_index[] = {{9, 0}};
    js_diag_init(d);
    cr_assert_eq(js_gpu_layout_check(&g, bad_index, 1, d), JS_EXIT_DATAERR);
    free(d);
}

/* Brute force over every subset of placements; returns count vectors as a sorted key list. */
typedef struct counts_set {
    int n;
    int c[4096][JS_MAX_MIG_PROFILES];
} counts_set;

static void set_add(counts_set *s, const int *c)
{
    for (int i = 0; i < s->n; i++)
        if (memcmp(s->c[i], c, sizeof s->c[0]) == 0)
            return;
    memcpy(s->c[s->n++], c, sizeof s->c[0]);
}

static bool set_has(const counts_set *s, const int *c)
{
    for (int i = 0; i < s->n; i++)
        if (memcmp(s->c[i], c, sizeof s->c[0]) == 0)
            return true;
    return false;
}

static void brute_force(const js_gpu_type *g, counts_set *all, counts_set *maximal)
{
    js_mig_placement pl[64];
    int np = 0;
    for (int p = 0; p < g->nprofiles; p++)
        for (int k = 0; k < g->profiles[p].nstarts; k++)
            pl[np++] = (js_mig_placement){p, g->profiles[p].starts[k]};
    cr_assert(np <= 20);
    js_diag d;
    for (unsigned long mask = 1; mask < (1UL << np); mask++) {
        js_mig_placement sel[64];
        int n = 0, counts[JS_MAX_MIG_PROFILES] = {0};
        for (int i = 0; i < np; i++)
            if (mask & (1UL << i)) {
                sel[n++] = pl[i];
                counts[pl[i].profile]++;
            }
        if (n > JS_MAX_INSTANCES_PER_GPU)
            continue;
        js_diag_init(&d);
        if (js_gpu_layout_check(g, sel, n, &d) != 0)
            continue;
        set_add(all, counts);
        bool is_max = true;
        for (int i = 0; i < np && is_max; i++) {
            if (mask & (1UL << i))
                continue;
            sel[n] = pl[i];
            js_diag_init(&d);
            if (n + 1 <= JS_MAX_INSTANCES_PER_GPU && js_gpu_layout_check(g, sel, n + 1, &d) == 0)
                is_max = false;
        }
        if (is_max)
            set_add(maximal, counts);
    }
}

static void compare_enumeration(const char *name)
{
    js_gpu_type g = load_gpu(name);
    counts_set *all = calloc(1, sizeof *all), *maximal = calloc(1, sizeof *maximal);
    cr_assert(all && maximal);
    brute_force(&g, all, maximal);
    for (int mode = 0; mode < 2; mode++) {
        js_gpu_layout *ls = NULL;
        int n = 0;
        cr_assert_eq(js_gpu_enumerate_layouts(&g, mode, &ls, &n), 0);
        const counts_set *want = mode ? maximal : all;
        cr_assert_eq(n, want->n, "%s mode %d: %d layouts, brute force %d", name, mode, n,
                     want->n);
        for (int i = 0; i < n; i++) {
            cr_assert(set_has(want, ls[i].count));
            js_diag d;
            js_diag_init(&d);
            cr_assert_eq(js_gpu_layout_check(&g, ls[i].inst, ls[i].ninstances, &d), 0);
            int used = 0;
            for (int k = 0; k < ls[i].ninstances; k++) {
                used += g.profiles[ls[i].inst[k].profile].compute_slices;
                if (k > 0)
                    cr_assert(ls[i].inst[k].start > ls[i].inst[k - 1].start);
            }
            cr_assert_eq(used, ls[i].compute_used);
        }
        free(ls);
    }
    free(all);
    free(maximal);
}

Test(gpu, enumeration_matches_brute_force)
{
    compare_enumeration("a100-80gb");
    compare_enumeration("h100-80gb");
}

Test(gpu, enumeration_known_layouts)
{
    js_gpu_type g = load_gpu("a100-80gb");
    js_gpu_layout *ls = NULL;
    int n = 0;
    cr_assert_eq(js_gpu_enumerate_layouts(&g, 1, &ls, &n), 0);
    /* counts indexed 1g, 2g, 3g, 4g, 7g */
    static const int want[][5] = {
        {0, 0, 1, 1, 0}, {0, 0, 2, 0, 0}, {2, 1, 1, 0, 0}, {7, 0, 0, 0, 0}, {0, 0, 0, 0, 1},
        {1, 1, 0, 1, 0}, {0, 2, 1, 0, 0},
    };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        bool found = false;
        for (int i = 0; i < n && !found; i++)
            found = memcmp(ls[i].count, want[w], sizeof want[w]) == 0;
        cr_assert(found, "maximal layout %zu missing", w);
    }
    for (int i = 0; i < n; i++)
        cr_assert(ls[i].count[3] <= 1, "two 4g on one GPU");
    free(ls);
}

Test(gpu, to_json_round_trip)
{
    js_gpu_type g = load_gpu("h100-80gb"), back;
    cJSON *o = js_gpu_to_json(&g);
    cr_assert_not_null(o);
    js_diag *d = new_diag();
    js_jctx c;
    js_jctx_init(&c, "mem", d);
    cr_assert_eq(js_gpu_from_json(&c, o, &back), 0, "%s", d->msg);
    cr_assert_eq(memcmp(&g, &back, sizeof g), 0);
    cJSON_Delete(o);
    free(d);
}

/* ================================================================== profile */

static void load_profile(const char *gpu, const char *model, js_profile *p)
{
    char path[512];
    snprintf(path, sizeof path, "%s/profiles/%s/%s.json", SRC, gpu, model);
    js_diag *d = new_diag();
    cr_assert_eq(js_profile_load(path, p, d), 0, "%s", d->msg);
    free(d);
}

Test(profile, measured_resnet50_values)
{
    js_profile p;
    load_profile("a100-80gb", "resnet50", &p);
    cr_assert_str_eq(p.model, "resnet50");
    cr_assert_eq(p.prov.kind, JS_PROV_MEASURED);
    cr_assert_eq(p.nentries, 225);
    cr_assert(strstr(p.prov.source, "5f3de1e") != NULL);
    cr_assert(strstr(p.prov.license, "MIT") != NULL);
    /* prof_data/resnet50.csv: 1,1,1,196.762,0.005 and 1,16,4,0,0 */
    const js_profile_entry *e = js_profile_find(&p, 1, 1, 1);
    cr_assert_not_null(e);
    cr_assert_float_eq(e->throughput, 196.762, 1e-9);
    cr_assert_float_eq(e->lat_mean_ms, 5.0, 1e-9);
    cr_assert(e->p95_derived);
    cr_assert_float_eq(e->lat_p95_ms, js_latency_p95_from_mean(5.0, JS_DEFAULT_LATENCY_SIGMA),
                       1e-12);
    cr_assert_null(js_profile_find(&p, 1, 16, 4));
    cr_assert_null(js_profile_find(&p, 5, 1, 1));
    for (int i = 1; i < p.nentries; i++) {
        const js_profile_entry *a = &p.entries[i - 1], *b = &p.entries[i];
        cr_assert(a->mig < b->mig || (a->mig == b->mig && (a->batch < b->batch ||
                                                           (a->batch == b->batch &&
                                                            a->workers < b->workers))));
    }
    js_profile_free(&p);
}

Test(profile, p95_from_mean_formula)
{
    /* lognormal: p95 / mean = exp(1.6449 s - s^2/2) */
    cr_assert_float_eq(js_latency_p95_from_mean(10.0, 0.0), 10.0, 1e-12);
    cr_assert_float_eq(js_latency_p95_from_mean(10.0, 0.1), 10.0 * exp(0.16448536 - 0.005), 1e-6);
    cr_assert_float_eq(js_latency_p95_from_mean(1.0, 0.5), exp(0.5 * 1.6448536269514722 - 0.125),
                       1e-12);
}

Test(profile, round_trip_keeps_measured_tails_drops_derived)
{
    const char *text =
        "{\"kind\":\"profile\",\"format_version\":1,\"model\":\"m\",\"gpu\":\"a100-80gb\","
        "\"provenance\":{\"kind\":\"modelled\",\"source\":\"fit v1\",\"model_version\":\"v1\","
        "\"heldout_mape_throughput\":7.5,\"heldout_mape_latency\":9},"
        "\"entries\":[{\"mig\":7,\"batch\":2,\"workers\":1,\"throughput\":10,\"lat_mean_ms\":4},"
        "{\"mig\":1,\"batch\":1,\"workers\":2,\"throughput\":5,\"lat_mean_ms\":3,"
        "\"lat_p50_ms\":2.9,\"lat_p95_ms\":4.5,\"provenance\":\"measured\"},"
        "{\"mig\":3,\"batch\":1,\"workers\":1,\"available\":false}]}";
    cJSON *root = cJSON_Parse(text);
    js_diag *d = new_diag();
    js_jctx c;
    js_jctx_init(&c, "mem", d);
    js_profile p, q;
    cr_assert_eq(js_profile_from_json(&c, root, &p), 0, "%s", d->msg);
    cr_assert_eq(p.nentries, 3);
    cr_assert_eq(p.entries[0].mig, 1); /* sorted */
    cr_assert_eq(p.entries[0].prov, JS_PROV_MEASURED);
    cr_assert_eq(p.entries[2].prov, JS_PROV_MODELLED);
    cr_assert(!p.entries[0].p95_derived);
    cr_assert(p.entries[2].p95_derived && p.entries[2].p50_derived);
    cr_assert_float_eq(p.prov.heldout_mape_throughput, 7.5, 0);
    cJSON *out = js_profile_to_json(&p);
    cr_assert_not_null(out);
    const cJSON *e2 = cJSON_GetArrayItem(cJSON_GetObjectItem(out, "entries"), 2);
    cr_assert_null(cJSON_GetObjectItem(e2, "lat_p95_ms"), "derived p95 written as data");
    js_jctx_init(&c, "mem2", d);
    cr_assert_eq(js_profile_from_json(&c, out, &q), 0, "%s", d->msg);
    cr_assert_eq(q.nentries, p.nentries);
    for (int i = 0; i < p.nentries; i++) {
        cr_assert_eq(q.entries[i].available, p.entries[i].available);
        cr_assert_eq(q.entries[i].prov, p.entries[i].prov);
        if (p.entries[i].available) {
            cr_assert_float_eq(q.entries[i].lat_p95_ms, p.entries[i].lat_p95_ms, 1e-12);
            cr_assert_float_eq(q.entries[i].throughput, p.entries[i].throughput, 1e-12);
        }
    }
    cr_assert_str_eq(q.prov.model_version, "v1");
    js_profile_free(&p);
    js_profile_free(&q);
    cJSON_Delete(root);
    cJSON_Delete(out);
    free(d);
}

Test(profile, set_caches_and_keeps_pointers)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/profiles/a100-80gb", SRC);
    js_profile_set s;
    js_profile_set_init(&s, dir);
    js_diag *d = new_diag();
    static const char *const models[] = {"resnet50", "resnet101", "resnet152", "vgg16",
                                         "vgg19", "bert", "densenet121", "densenet169",
                                         "densenet201", "inceptionv3", "mobilenetv2", "vgg16"};
    const js_profile *first = js_profile_set_get(&s, "resnet50", d);
    cr_assert_not_null(first, "%s", d->msg);
    const js_profile_entry *e = js_profile_find(first, 1, 1, 1);
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        cr_assert_not_null(js_profile_set_get(&s, models[i], d), "%s", d->msg);
    cr_assert_eq(s.n, 11);
    cr_assert_eq(js_profile_set_get(&s, "resnet50", d), first);
    cr_assert_eq(js_profile_find(first, 1, 1, 1), e);
    cr_assert_null(js_profile_set_get(&s, "nope", d));
    cr_assert_eq(d->code, JS_EXIT_NOINPUT);
    js_diag_init(d);
    cr_assert_null(js_profile_set_get(&s, "../gpus/a100-80gb", d));
    cr_assert_eq(d->code, JS_EXIT_DATAERR);
    js_profile_set_free(&s);
    free(d);
}

/* ================================================================== scenario */

static js_scenario *load_scenario(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SRC, rel);
    js_scenario *s = malloc(sizeof *s);
    js_diag *d = new_diag();
    cr_assert_not_null(s);
    cr_assert_eq(js_scenario_load(path, s, d), 0, "%s", d->msg);
    cr_assert_eq(d->nwarnings, 0, "unexpected warning: %s", d->warnings[0]);
    free(d);
    return s;
}

Test(scenario, example_loads_and_normalises)
{
    js_scenario *s = load_scenario("scenarios/example.json");
    cr_assert_eq(s->napps, 1);
    cr_assert_eq(s->cluster.gpus, 4);
    cr_assert_eq(s->cluster.max_workers, 4);
    cr_assert_str_eq(s->cluster.gpu.name, "a100-80gb");
    const js_app *a = &s->apps[0];
    cr_assert_eq(a->ntasks, 2);
    cr_assert_eq(a->source, 0);
    cr_assert_eq(a->rule.stat, JS_LAT_P95);
    cr_assert_float_eq(a->rule.slo_fraction, 0.5, 0);
    const js_task *t = &a->tasks[0];
    cr_assert_eq(t->nvariants, 3);
    cr_assert_float_eq(t->variants[2].accuracy_norm, 1.0, 0);
    cr_assert_float_eq(t->variants[0].accuracy_norm, 76.13 / 78.312, 1e-12);
    cr_assert_not_null(t->variants[0].profile);
    cr_assert_str_eq(t->variants[0].profile->model, "resnet50");
    cr_assert_float_eq(js_edge_fanout(&a->edges[0], 2), 2.2, 1e-12);
    cr_assert_float_eq(js_edge_fanout(&a->edges[0], 0), 1.8, 1e-12);
    cr_assert_float_eq(a->edges[0].fanout, 2.0, 0);
    int variants[2] = {2, 0};
    double items[2];
    js_dag_items_per_request(a, variants, items);
    cr_assert_float_eq(items[1], 2.2, 1e-12);
    cJSON *o = js_scenario_to_json(s);
    cr_assert_not_null(o);
    cJSON_Delete(o);
    js_scenario_free(s);
    free(s);
}

Test(scenario, parvagpu_scenarios)
{
    /* Row 1 of SLO_req_rate.csv: 19,353,N/A,N/A,460,677,N/A,N/A,829,N/A,354 in strcmp order
     * bert, densenet121, densenet169, densenet201, inceptionv3, mobilenetv2, resnet101,
     * resnet152, resnet50, vgg16, vgg19. */
    js_scenario *s = load_scenario("scenarios/parvagpu-slo1.json");
    static const char *const names[] = {"bert", "densenet121", "inceptionv3", "mobilenetv2",
                                        "resnet50", "vgg19"};
    static const double rates[] = {19, 353, 460, 677, 829, 354};
    static const double slos[] = {6434, 183, 418.5, 167, 204.5, 396.5};
    cr_assert_eq(s->napps, 6);
    cr_assert_eq(s->cluster.max_workers, 3);
    for (int i = 0; i < 6; i++) {
        cr_assert_str_eq(s->apps[i].name, names[i]);
        cr_assert_float_eq(s->apps[i].rate, rates[i], 0);
        cr_assert_float_eq(s->apps[i].latency_slo_ms, slos[i], 0);
        cr_assert_eq(s->apps[i].rule.stat, JS_LAT_MEAN);
        cr_assert_float_eq(s->apps[i].rule.slo_fraction, 0.45, 0);
        cr_assert_float_eq(s->apps[i].tasks[0].variants[0].accuracy_norm, 1.0, 0);
    }
    js_scenario_free(s);
    free(s);
    for (int k = 2; k <= 6; k++) {
        char rel[64];
        snprintf(rel, sizeof rel, "scenarios/parvagpu-slo%d.json", k);
        s = load_scenario(rel);
        cr_assert_eq(s->napps, 11);
        js_scenario_free(s);
        free(s);
    }
}

Test(scenario, gpu_override_switches_profiles)
{
    char path[512], h100[512];
    snprintf(path, sizeof path, "%s/scenarios/example.json", SRC);
    snprintf(h100, sizeof h100, "%s/profiles/h100-80gb/resnet50.json", SRC);
    js_scenario *s = malloc(sizeof *s);
    js_diag *d = new_diag();
    int rc = js_scenario_load_gpu(path, "h100-80gb", s, d);
    if (access(h100, R_OK) == 0) {
        cr_assert_eq(rc, 0, "%s", d->msg);
        cr_assert_str_eq(s->cluster.gpu.name, "h100-80gb");
        cr_assert_str_eq(s->apps[0].tasks[0].variants[0].profile->gpu, "h100-80gb");
        js_scenario_free(s);
    } else {
        cr_assert_eq(rc, JS_EXIT_DATAERR);
        cr_assert(strstr(d->msg, ".profile") != NULL);
    }
    js_diag_init(d);
    cr_assert_eq(js_scenario_load_gpu(path, "b200", s, d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "$.cluster.gpu") != NULL, "got: %s", d->msg);
    free(s);
    free(d);
}

/* A scenario in a temp dir that refers to the shipped profiles by absolute path. */
static int load_tmp_scenario(const char *body, js_diag *d)
{
    char dir[64], path[128];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/s.json", dir);
    char *text = malloc(strlen(body) + 1024);
    sprintf(text,
            "{\"kind\":\"scenario\",\"format_version\":1,\"name\":\"t\",\"profiles\":"
            "\"%s/profiles\",\"cluster\":{\"gpu\":\"a100-80gb\",\"gpus\":1},\"apps\":[%s]}",
            SRC, body);
    write_text(path, text);
    free(text);
    js_scenario *s = malloc(sizeof *s);
    int rc = js_scenario_load(path, s, d);
    if (rc == 0)
        js_scenario_free(s);
    free(s);
    rm_rf(dir);
    return rc;
}

Test(scenario, unmeetable_slo_is_a_warning)
{
    js_diag *d = new_diag();
    /* resnet50's fastest mean batch latency is a few ms; 1 ms x 0.5 cannot be met. */
    const char *app = "{\"name\":\"a\",\"tasks\":[{\"name\":\"t\",\"variants\":[{\"name\":"
                      "\"resnet50\",\"profile\":\"resnet50\"}]}],\"slo\":{\"latency_ms\":1,"
                      "\"accuracy\":1},\"demand\":{\"rate\":5}}";
    cr_assert_eq(load_tmp_scenario(app, d), 0, "%s", d->msg);
    cr_assert_eq(d->nwarnings, 1);
    cr_assert(strstr(d->warnings[0], "$.apps[0].slo.latency_ms") != NULL, "got: %s",
              d->warnings[0]);
    js_diag_init(d);
    const char *fine = "{\"name\":\"a\",\"tasks\":[{\"name\":\"t\",\"variants\":[{\"name\":"
                       "\"resnet50\",\"profile\":\"resnet50\"}]}],\"slo\":{\"latency_ms\":100,"
                       "\"accuracy\":1},\"demand\":{\"rate\":5}}";
    cr_assert_eq(load_tmp_scenario(fine, d), 0, "%s", d->msg);
    cr_assert_eq(d->nwarnings, 0);
    free(d);
}

Test(scenario, profile_for_other_gpu_rejected)
{
    char dir[64], sub[128], path[160], ppath[192], cmd[512];
    make_tmpdir(dir, sizeof dir);
    snprintf(sub, sizeof sub, "%s/profiles/a100-80gb", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/profiles/gpus %s && cp %s/profiles/gpus/a100-80gb.json %s/profiles/gpus/",
             dir, sub, SRC, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(ppath, sizeof ppath, "%s/m.json", sub);
    write_text(ppath, "{\"kind\":\"profile\",\"format_version\":1,\"model\":\"m\",\"gpu\":"
                      "\"h100-80gb\",\"provenance\":{\"kind\":\"measured\",\"source\":\"x\"},"
                      "\"entries\":[{\"mig\":1,\"batch\":1,\"workers\":1,\"throughput\":1,"
                      "\"lat_mean_ms\":1}]}");
    snprintf(path, sizeof path, "%s/scenarios/s.json", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/scenarios", dir);
    cr_assert_eq(system(cmd), 0);
    write_text(path, "{\"kind\":\"scenario\",\"format_version\":1,\"name\":\"t\",\"cluster\":"
                     "{\"gpu\":\"a100-80gb\",\"gpus\":1},\"apps\":[{\"name\":\"a\",\"tasks\":"
                     "[{\"name\":\"t\",\"variants\":[{\"name\":\"m\",\"profile\":\"m\"}]}],"
                     "\"slo\":{\"latency_ms\":100,\"accuracy\":1},\"demand\":{\"rate\":1}}]}");
    js_scenario *s = malloc(sizeof *s);
    js_diag *d = new_diag();
    cr_assert_eq(js_scenario_load(path, s, d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "$.apps[0].tasks[0].variants[0].profile") != NULL, "got: %s",
              d->msg);
    cr_assert(strstr(d->msg, "h100-80gb") != NULL);
    free(s);
    free(d);
    rm_rf(dir);
}

Test(scenario, missing_file_is_66)
{
    js_scenario *s = malloc(sizeof *s);
    js_diag *d = new_diag();
    cr_assert_eq(js_scenario_load("/nonexistent/s.json", s, d), JS_EXIT_NOINPUT);
    free(s);
    free(d);
}

/* ================================================================== dag */

static js_app *make_app(int n, const int (*edges)[2], const double *fanouts, int ne)
{
    js_app *a = calloc(1, sizeof *a);
    cr_assert_not_null(a);
    a->ntasks = n;
    for (int t = 0; t < n; t++) {
        snprintf(a->tasks[t].name, sizeof a->tasks[t].name, "t%d", t);
        a->tasks[t].nvariants = 2;
    }
    bool has_parent[JS_MAX_TASKS] = {false};
    for (int e = 0; e < ne; e++) {
        a->edges[e].from = edges[e][0];
        a->edges[e].to = edges[e][1];
        a->edges[e].fanout = fanouts[e];
        for (int v = 0; v < JS_MAX_VARIANTS; v++)
            a->edges[e].fanout_by_variant[v] = NAN;
        has_parent[edges[e][1]] = true;
    }
    a->nedges = ne;
    for (int t = 0; t < n; t++)
        if (!has_parent[t]) {
            a->source = t;
            a->sources[a->nsources++] = t;
        }
    return a;
}

Test(dag, diamond)
{
    /* 0 -> 1 (x2), 0 -> 2 (x3), 1 -> 3 (x5), 2 -> 3 (x7), 3 -> 4 (x0.5) */
    static const int ed[][2] = {{0, 1}, {0, 2}, {1, 3}, {2, 3}, {3, 4}};
    static const double f[] = {2, 3, 5, 7, 0.5};
    js_app *a = make_app(5, ed, f, 5);
    int order[JS_MAX_TASKS];
    cr_assert_eq(js_dag_topo_order(a, order, NULL), 0);
    static const int want_order[] = {0, 1, 2, 3, 4};
    cr_assert_arr_eq(order, want_order, sizeof want_order);
    js_path paths[8];
    cr_assert_eq(js_dag_paths(a, paths, 8), 2);
    static const int p0[] = {0, 1, 3, 4}, p1[] = {0, 2, 3, 4};
    cr_assert_eq(paths[0].len, 4);
    cr_assert_arr_eq(paths[0].tasks, p0, sizeof p0);
    cr_assert_arr_eq(paths[1].tasks, p1, sizeof p1);
    cr_assert_eq(js_dag_paths(a, paths, 1), -1);
    double items[JS_MAX_TASKS];
    js_dag_items_per_request(a, NULL, items);
    cr_assert_float_eq(items[0], 1, 0);
    cr_assert_float_eq(items[1], 2, 0);
    cr_assert_float_eq(items[2], 3, 0);
    cr_assert_float_eq(items[3], 2 * 5 + 3 * 7, 1e-12);
    cr_assert_float_eq(items[4], 31 * 0.5, 1e-12);
    int through[JS_MAX_TASKS];
    js_dag_longest_path_through(a, through);
    for (int t = 0; t < 5; t++)
        cr_assert_eq(through[t], 4);
    int sinks[JS_MAX_TASKS];
    cr_assert_eq(js_dag_sinks(a, sinks), 1);
    cr_assert_eq(sinks[0], 4);
    free(a);
}

Test(dag, uneven_branches_and_variant_fanout)
{
    /* 2 is the source: 2 -> 0 (x1.5), 2 -> 1 (x4), 1 -> 3 (x2). Paths: 2-0, 2-1-3. */
    static const int ed[][2] = {{2, 0}, {2, 1}, {1, 3}};
    static const double f[] = {1.5, 4, 2};
    js_app *a = make_app(4, ed, f, 3);
    cr_assert_eq(a->source, 2);
    a->edges[1].fanout_by_variant[0] = 3;
    a->edges[1].fanout_by_variant[1] = 5;
    int order[JS_MAX_TASKS];
    cr_assert_eq(js_dag_topo_order(a, order, NULL), 0);
    static const int want_order[] = {2, 0, 1, 3};
    cr_assert_arr_eq(order, want_order, sizeof want_order);
    js_path paths[8];
    cr_assert_eq(js_dag_paths(a, paths, 8), 2);
    cr_assert_eq(paths[0].len, 2);
    cr_assert_eq(paths[1].len, 3);
    int through[JS_MAX_TASKS];
    js_dag_longest_path_through(a, through);
    cr_assert_eq(through[0], 2);
    cr_assert_eq(through[1], 3);
    cr_assert_eq(through[2], 3);
    cr_assert_eq(through[3], 3);
    double items[JS_MAX_TASKS];
    int var[4] = {0, 0, 1, 0};
    js_dag_items_per_request(a, var, items);
    cr_assert_float_eq(items[1], 5, 0);  /* parent 2 runs variant 1 */
    cr_assert_float_eq(items[3], 10, 0);
    cr_assert_float_eq(items[0], 1.5, 0); /* edge without per-variant values */
    var[2] = 0;
    js_dag_items_per_request(a, var, items);
    cr_assert_float_eq(items[3], 6, 0);
    js_dag_items_per_request(a, NULL, items);
    cr_assert_float_eq(items[3], 8, 0);
    int sinks[JS_MAX_TASKS];
    cr_assert_eq(js_dag_sinks(a, sinks), 2);
    cr_assert_eq(sinks[0], 0);
    cr_assert_eq(sinks[1], 3);
    free(a);
}

Test(dag, two_entry_tasks)
{
    /* Parallel branches fed by one request: 0 -> 2 (x2), 1 -> 2 (x3), 2 -> 3 (x1). */
    static const int ed[][2] = {{0, 2}, {1, 2}, {2, 3}};
    static const double f[] = {2, 3, 1};
    js_app *a = make_app(4, ed, f, 3);
    cr_assert_eq(a->nsources, 2);
    js_path paths[8];
    cr_assert_eq(js_dag_paths(a, paths, 8), 2);
    cr_assert_eq(paths[0].tasks[0], 0);
    cr_assert_eq(paths[1].tasks[0], 1);
    double items[JS_MAX_TASKS];
    js_dag_items_per_request(a, NULL, items);
    cr_assert_float_eq(items[0], 1, 0);
    cr_assert_float_eq(items[1], 1, 0);
    cr_assert_float_eq(items[2], 5, 0);
    cr_assert_float_eq(items[3], 5, 0);
    int through[JS_MAX_TASKS];
    js_dag_longest_path_through(a, through);
    for (int t = 0; t < 4; t++)
        cr_assert_eq(through[t], 3);
    free(a);
}

Test(scenario, declared_parallel_sources)
{
    js_diag *d = new_diag();
    const char *app =
        "{\"name\":\"a\",\"sources\":[\"x\",\"y\"],\"tasks\":["
        "{\"name\":\"x\",\"variants\":[{\"name\":\"resnet50\",\"profile\":\"resnet50\"}]},"
        "{\"name\":\"y\",\"variants\":[{\"name\":\"vgg16\",\"profile\":\"vgg16\"}]}],"
        "\"slo\":{\"latency_ms\":500,\"accuracy\":1},\"demand\":{\"rate\":5}}";
    cr_assert_eq(load_tmp_scenario(app, d), 0, "%s", d->msg);
    free(d);
}

Test(dag, cycle_detected)
{
    static const int ed[][2] = {{0, 1}, {1, 2}, {2, 1}};
    static const double f[] = {1, 1, 1};
    js_app *a = make_app(3, ed, f, 3);
    a->source = 0;
    int order[JS_MAX_TASKS];
    js_diag *d = new_diag();
    cr_assert_eq(js_dag_topo_order(a, order, d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "\"t1\"") != NULL || strstr(d->msg, "\"t2\"") != NULL, "got %s",
              d->msg);
    free(d);
    free(a);
}

Test(dag, path_explosion_capped)
{
    /* A ladder of 2-way diamonds: 2^10 paths > JS_MAX_PATHS. */
    int ed[40][2];
    double f[40];
    int ne = 0, n = 1;
    for (int k = 0; k < 10; k++) {
        int top = n - 1, l = n, r = n + 1, j = n + 2;
        int e4[4][2] = {{top, l}, {top, r}, {l, j}, {r, j}};
        for (int i = 0; i < 4; i++) {
            ed[ne][0] = e4[i][0];
            ed[ne][1] = e4[i][1];
            f[ne++] = 1;
        }
        n += 3;
    }
    js_app *a = make_app(n, (const int(*)[2])ed, f, ne);
    js_path *paths = malloc(JS_MAX_PATHS * sizeof *paths);
    cr_assert_eq(js_dag_paths(a, paths, JS_MAX_PATHS), -1);
    cr_assert_eq(js_dag_paths(a, paths, 0), -1);
    free(paths);
    free(a);
}

/* ================================================================== importer */

Test(importer, mini_fixture)
{
    char dir[64], fixture[512], path[256];
    make_tmpdir(dir, sizeof dir);
    snprintf(fixture, sizeof fixture, "%s/tests/core/fixtures/parvagpu-mini", SRC);
    char profiles[128], scen[128], cmd[600];
    snprintf(profiles, sizeof profiles, "%s/profiles", dir);
    snprintf(scen, sizeof scen, "%s/scenarios", dir);
    js_diag *d = new_diag();
    int np = 0, ns = 0;
    cr_assert_eq(js_parvagpu_import(fixture, profiles, scen, &np, &ns, d), 0, "%s", d->msg);
    cr_assert_eq(np, 2);
    cr_assert_eq(ns, 2);

    js_profile p;
    snprintf(path, sizeof path, "%s/a100-80gb/net10.json", profiles);
    cr_assert_eq(js_profile_load(path, &p, d), 0, "%s", d->msg);
    cr_assert_eq(p.nentries, 5);
    const js_profile_entry *e = js_profile_find(&p, 1, 1, 1);
    cr_assert_not_null(e);
    cr_assert_float_eq(e->throughput, 100, 0);
    cr_assert_float_eq(e->lat_mean_ms, 5, 1e-12);
    cr_assert(e->p95_derived);
    e = js_profile_find(&p, 1, 1, 2);
    cr_assert_float_eq(e->lat_mean_ms, 16.5, 1e-12);
    cr_assert_null(js_profile_find(&p, 1, 2, 1)); /* 0,0 */
    cr_assert_null(js_profile_find(&p, 7, 2, 1)); /* 0 throughput, non-zero latency */
    cr_assert_float_eq(js_profile_find(&p, 7, 1, 1)->lat_mean_ms, 2, 1e-12);
    cr_assert(strstr(p.prov.source, "net10.csv") != NULL);
    js_profile_free(&p);

    snprintf(path, sizeof path, "%s/a100-80gb/LICENSE-parvagpu", profiles);
    char *lic = NULL;
    cr_assert_eq(js_read_file(path, 4096, &lic, NULL, d), 0);
    cr_assert(strstr(lic, "test fixture") != NULL);
    free(lic);

    /* The scenarios need the GPU type beside the profiles. */
    snprintf(cmd, sizeof cmd, "mkdir -p %s/gpus && cp %s/profiles/gpus/a100-80gb.json %s/gpus/",
             profiles, SRC, profiles);
    cr_assert_eq(system(cmd), 0);
    js_scenario *s = malloc(sizeof *s);
    snprintf(path, sizeof path, "%s/parvagpu-slo1.json", scen);
    cr_assert_eq(js_scenario_load(path, s, d), 0, "%s", d->msg);
    cr_assert_eq(s->napps, 1); /* net9 is N/A in row 1 */
    cr_assert_str_eq(s->apps[0].name, "net10");
    cr_assert_float_eq(s->apps[0].rate, 10, 0);
    cr_assert_float_eq(s->apps[0].latency_slo_ms, 100, 0);
    cr_assert_eq(s->cluster.max_workers, 3);
    js_scenario_free(s);
    snprintf(path, sizeof path, "%s/parvagpu-slo2.json", scen);
    cr_assert_eq(js_scenario_load(path, s, d), 0, "%s", d->msg);
    cr_assert_eq(s->napps, 2);
    cr_assert_str_eq(s->apps[1].name, "net9"); /* strcmp order: net10 < net9 */
    cr_assert_float_eq(s->apps[1].rate, 7, 0);
    cr_assert_float_eq(s->apps[1].latency_slo_ms, 80, 0);
    cr_assert_float_eq(s->apps[0].latency_slo_ms, 150.5, 0);
    js_scenario_free(s);
    free(s);

    /* Deterministic: a second import produces the same bytes. */
    snprintf(path, sizeof path, "%s/a100-80gb/net9.json", profiles);
    char *first = NULL, *second = NULL;
    cr_assert_eq(js_read_file(path, 1 << 20, &first, NULL, d), 0);
    cr_assert_eq(js_parvagpu_import(fixture, profiles, scen, &np, &ns, d), 0, "%s", d->msg);
    cr_assert_eq(js_read_file(path, 1 << 20, &second, NULL, d), 0);
    cr_assert_str_eq(first, second);
    free(first);
    free(second);
    free(d);
    rm_rf(dir);
}

static int import_with(const char *csv, const char *rates, js_diag *d)
{
    char dir[64], p[256];
    make_tmpdir(dir, sizeof dir);
    snprintf(p, sizeof p, "%s/prof_data", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/SLO", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/prof_data/m.csv", dir);
    write_text(p, csv);
    snprintf(p, sizeof p, "%s/SLO/SLO_req_rate.csv", dir);
    write_text(p, rates);
    snprintf(p, sizeof p, "%s/SLO/SLO_latency.csv", dir);
    write_text(p, "100\n");
    snprintf(p, sizeof p, "%s/LICENSE", dir);
    write_text(p, "MIT\n");
    char out[128], scen[128];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(scen, sizeof scen, "%s/scen", dir);
    int np, ns;
    int rc = js_parvagpu_import(dir, out, scen, &np, &ns, d);
    rm_rf(dir);
    return rc;
}

Test(importer, malformed_inputs)
{
    static const char hdr[] = "Mig instance,Batch size,Workload Number,Throughput,Latency\n";
    js_diag *d = new_diag();
    char csv[512];
    snprintf(csv, sizeof csv, "%s1,1,1,10,0.01\n", hdr);
    cr_assert_eq(import_with(csv, "5\n", d), 0, "%s", d->msg);
    struct {
        const char *body, *rates, *want;
    } bad[] = {
        {"1,1,1,10\n", "5\n", "m.csv:2: expected 5 columns"},
        {"5,1,1,10,0.01\n", "5\n", "m.csv:2: Mig instance"},
        {"1,0,1,10,0.01\n", "5\n", "Batch size"},
        {"1,1,1,-3,0.01\n", "5\n", "Throughput"},
        {"1,1,1,10,abc\n", "5\n", "Latency"},
        {"1,1,1,10,0.01\n1,1,1,11,0.02\n", "5\n", "m.csv:3: duplicate"},
        {"1,1,1,0,0\n", "5\n", "nothing measured"},
        {"1,1,1,10,0.01\n", "5,6\n", "SLO_req_rate.csv:1: expected 1 columns"},
        {"1,1,1,10,0.01\n", "x\n", "SLO_req_rate.csv:1: column 1"},
        {"1,1,1,10,0.01\n", "5\n6\n", "has 2 rows"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        js_diag_init(d);
        snprintf(csv, sizeof csv, "%s%s", hdr, bad[i].body);
        cr_assert_eq(import_with(csv, bad[i].rates, d), JS_EXIT_DATAERR, "case %zu", i);
        cr_assert(strstr(d->msg, bad[i].want) != NULL, "case %zu: got %s", i, d->msg);
    }
    js_diag_init(d);
    cr_assert_eq(import_with("Mig,Batch\n1,1\n", "5\n", d), JS_EXIT_DATAERR);
    cr_assert(strstr(d->msg, "header") != NULL);
    js_diag_init(d);
    int np, ns;
    cr_assert_eq(js_parvagpu_import("/nonexistent", "/tmp/x", NULL, &np, &ns, d),
                 JS_EXIT_NOINPUT);
    free(d);
}

/* ================================================================== malformed corpus */

/* Load any file the way `jigsaw check` does, by its "kind". */
static int load_any(const char *path, js_diag *d)
{
    cJSON *root = NULL;
    int rc = js_json_load_file(path, &root, d);
    if (rc != 0)
        return rc;
    const char *kind = js_json_kind(root);
    js_jctx c;
    js_jctx_init(&c, path, d);
    if (kind != NULL && strcmp(kind, "gpu") == 0) {
        js_gpu_type g;
        rc = js_gpu_from_json(&c, root, &g);
    } else if (kind != NULL && strcmp(kind, "profile") == 0) {
        js_profile p;
        rc = js_profile_from_json(&c, root, &p);
        if (rc == 0)
            js_profile_free(&p);
    } else if (kind != NULL && strcmp(kind, "scenario") == 0) {
        js_scenario *s = malloc(sizeof *s);
        rc = js_scenario_load(path, s, d);
        if (rc == 0)
            js_scenario_free(s);
        free(s);
    } else {
        rc = js_json_check_kind(&c, root, "scenario");
        if (rc == 0)
            rc = JS_EXIT_INTERNAL;
    }
    cJSON_Delete(root);
    return rc;
}

Test(corpus, every_malformed_input_fails_with_its_path)
{
    char dir[512], manifest[600];
    snprintf(dir, sizeof dir, "%s/tests/core/bad", SRC);
    snprintf(manifest, sizeof manifest, "%s/MANIFEST.tsv", dir);
    FILE *f = fopen(manifest, "r");
    cr_assert_not_null(f);
    char line[1024];
    int n = 0;
    js_diag *d = new_diag();
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *file = strtok(line, "\t"), *code = strtok(NULL, "\t"), *want = strtok(NULL, "\t");
        cr_assert(file && code && want, "bad manifest line %d", n + 1);
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, file);
        js_diag_init(d);
        int rc = load_any(path, d);
        cr_expect_eq(rc, atoi(code), "%s: exit %d, want %s (%s)", file, rc, code, d->msg);
        cr_expect(strstr(d->msg, want) != NULL, "%s: message lacks \"%s\": %s", file, want,
                  d->msg);
        n++;
    }
    fclose(f);
    free(d);
    cr_assert_geq(n, 40, "only %d malformed inputs", n);
}
