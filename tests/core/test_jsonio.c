/* Tests of reading and writing files: jsonio (syntax errors, size limits, keys, typed
 * getters, atomic writes) and the corpus of malformed inputs (tests/core/bad/MANIFEST.tsv),
 * each loaded the way `jigsaw check` does. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "jigsaw/diag.h"
#include "jigsaw/gpu.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/profile.h"
#include "jigsaw/scenario.h"

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
        if (rc == 0) {
            rc = js_profile_check_file_name(path, &p, d);
            js_profile_free(&p);
        }
    } else if (kind != NULL && strcmp(kind, "scenario") == 0) {
        js_scenario *s = malloc(sizeof *s);
        rc = js_scenario_load(path, s, d);
        if (rc == 0)
            js_scenario_free(s);
        free(s);
    } else if (kind != NULL && strcmp(kind, "host-defaults") == 0) {
        js_host_defaults *t = malloc(sizeof *t);
        rc = js_host_defaults_load(path, t, d);
        free(t);
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

/* js_diag_forward: the nested error (first one wins) and the warnings, none repeated,
 * the dropped ones still counted. */
Test(diag, forward_keeps_error_and_warnings)
{
    js_diag to, from;
    js_diag_init(&to);
    js_diag_init(&from);
    js_diag_warn(&to, "already here");
    js_diag_warn(&from, "already here");
    js_diag_warn(&from, "scenario: SLO cannot be met");
    js_diag_set(&from, JS_EXIT_DATAERR, "bad input");
    cr_assert_eq(js_diag_forward(&to, &from), JS_EXIT_DATAERR);
    cr_assert_eq(to.code, JS_EXIT_DATAERR);
    cr_assert_str_eq(to.msg, "bad input");
    cr_assert_eq(to.nwarnings, 2);
    cr_assert_str_eq(to.warnings[0], "already here");
    cr_assert_str_eq(to.warnings[1], "scenario: SLO cannot be met");
    /* A second nested error does not replace the first; a clean one changes nothing. */
    js_diag other;
    js_diag_init(&other);
    js_diag_set(&other, JS_EXIT_INTERNAL, "later");
    js_diag_forward(&to, &other);
    cr_assert_str_eq(to.msg, "bad input");
    js_diag_init(&other);
    cr_assert_eq(js_diag_forward(&to, &other), 0);
    cr_assert_eq(to.code, JS_EXIT_DATAERR);
    /* Warnings only; overflow stays counted. */
    js_diag many, sink;
    js_diag_init(&many);
    js_diag_init(&sink);
    for (int i = 0; i < JS_DIAG_MAX_WARNINGS + 5; i++)
        js_diag_warn(&many, "w%d", i);
    js_diag_forward_warnings(&sink, &many);
    cr_assert_eq(sink.code, 0);
    cr_assert_eq(sink.nwarnings, JS_DIAG_MAX_WARNINGS + 5);
    cr_assert_str_eq(sink.warnings[JS_DIAG_MAX_WARNINGS - 1], "w31");
    js_diag_forward(NULL, &many); /* a NULL target is allowed */
}
