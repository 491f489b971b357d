/* Helpers shared by the core suites (tests/core/test_*.c): diagnostics, scratch
 * directories and files. */
#include <stdio.h>
#include <stdlib.h>

#include "helpers.h"

js_diag *new_diag(void)
{
    js_diag *d = malloc(sizeof *d);
    cr_assert_not_null(d);
    js_diag_init(d);
    return d;
}

void make_tmpdir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/jigsaw-core-test-XXXXXX");
    cr_assert_not_null(mkdtemp(buf));
}

void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
