/* Helpers shared by the core suites (tests/core/test_*.c); each fails the test on error. */
#ifndef JIGSAW_TESTS_CORE_HELPERS_H
#define JIGSAW_TESTS_CORE_HELPERS_H

#include <criterion/criterion.h>

#include <stddef.h>

#include "jigsaw/diag.h"

#define SRC JS_SOURCE_ROOT

/* A fresh js_diag on the heap (the caller frees it). */
js_diag *new_diag(void);
/* mkdtemp under /tmp into buf. */
void make_tmpdir(char *buf, size_t n);
/* Writes text to path (replacing it). */
void write_text(const char *path, const char *text);
/* rm -rf dir. */
void rm_rf(const char *dir);

#endif
