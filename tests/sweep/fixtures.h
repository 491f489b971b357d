/* Shared fixtures of the sweep test programs (test_sweep.c, test_sweep_cli.c). */
#ifndef JIGSAW_TESTS_SWEEP_FIXTURES_H
#define JIGSAW_TESTS_SWEEP_FIXTURES_H

#include <stddef.h>

/* A fresh directory "$TMPDIR/<prefix>-XXXXXX" (TMPDIR defaults to /tmp) into dir[n]. */
void sweep_fx_make_tmpdir(char *dir, size_t n, const char *prefix);
/* rm -rf the directory (asserts success). */
void sweep_fx_remove_tmpdir(const char *dir);
/* Write text to dir/name (asserts the file opens). */
void sweep_fx_write_text(const char *dir, const char *name, const char *text);
/* The whole file, NUL-terminated (caller frees), or NULL when it cannot be opened. */
char *sweep_fx_read_text(const char *path);

#endif
