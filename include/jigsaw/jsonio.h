/* jsonio: strict JSON reading and atomic file writing, on top of cJSON.
 *
 * Loaders walk documents through a js_jctx, which carries the file name and the
 * current JSON path ("$.apps[0].tasks[2]") so that every message names both.
 * All getters reject wrong types and non-finite numbers; `js_json_check_keys`
 * rejects unknown keys (typos) and reports missing required ones.
 */
#ifndef JIGSAW_JSONIO_H
#define JIGSAW_JSONIO_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "jigsaw/diag.h"

#define JS_PATH_MAX 512
#define JS_NAME_MAX 64

typedef struct js_jctx {
    const char *file;          /* as given by the user, used in messages */
    char path[JS_PATH_MAX];    /* current JSON path, "$" at the root */
    js_diag *d;
} js_jctx;

/* Read a whole file into a NUL-terminated buffer (caller frees). Missing or unreadable:
 * JS_EXIT_NOINPUT. Larger than max_bytes: JS_EXIT_DATAERR. */
int js_read_file(const char *path, size_t max_bytes, char **out, size_t *len, js_diag *d);

/* Parse a JSON file; syntax errors name the line and column (JS_EXIT_DATAERR). */
int js_json_load_file(const char *path, cJSON **out, js_diag *d);
int js_json_parse(const char *file, const char *text, size_t len, cJSON **out, js_diag *d);

/* Write `text` to `path` atomically: temp file in the same directory, fsync, rename.
 * On any failure the old file (if any) is untouched and no temp file remains.
 * Non-regular targets are never replaced: a character device (/dev/null, a terminal) or a
 * FIFO is written through in place (no temp file, not atomic); a symbolic link is
 * followed and the file it names replaced atomically beside itself (the link stays; a
 * dangling link is refused); a directory, block device or socket is refused. Every
 * failure is JS_EXIT_CANTCREAT. */
int js_write_file_atomic(const char *path, const char *text, size_t len, js_diag *d);
/* mkdir -p: create the directory and its missing parents (mode 0777 less the umask).
 * Errors: JS_EXIT_CANTCREAT naming the directory that could not be made. */
int js_mkdir_p(const char *path, js_diag *d);
/* Serialize with cJSON_Print (plus trailing newline) and write atomically. */
int js_json_write_file(const char *path, const cJSON *root, js_diag *d);

/* Path helpers: push a member or an index onto ctx->path; pop restores. */
size_t js_jctx_push_key(js_jctx *c, const char *key);
size_t js_jctx_push_index(js_jctx *c, int index);
void js_jctx_pop(js_jctx *c, size_t saved_len);

/* Every member of `obj` must be in `allowed` (NULL-terminated); every name in
 * `required` (NULL-terminated, may be NULL) must be present. obj must be an object. */
int js_json_check_keys(js_jctx *c, const cJSON *obj, const char *const *allowed,
                       const char *const *required);

/* Typed getters. `required`: missing is an error; otherwise missing leaves *out as is
 * and returns 0. Errors name file and path of the member. */
int js_json_get_number(js_jctx *c, const cJSON *obj, const char *key, bool required,
                       double *out);
int js_json_get_int(js_jctx *c, const cJSON *obj, const char *key, bool required, int *out);
/* Add v under key, or null when v is not finite (JSON has no NaN or infinity); the added
 * item, or NULL when out of memory. */
cJSON *js_json_add_num_or_null(cJSON *obj, const char *key, double v);
/* Add v under key when it is finite; a non-finite v (unknown, not applicable) is left out
 * (plan and GPU type files). false only when out of memory. */
bool js_json_add_num_if_finite(cJSON *obj, const char *key, double v);
/* A required integer in [lo, hi] ("must be in [lo, hi], got v" otherwise). */
int js_json_get_int_in(js_jctx *c, const cJSON *obj, const char *key, int lo, int hi, int *out);
int js_json_get_bool(js_jctx *c, const cJSON *obj, const char *key, bool required,
                     bool *out);
/* Copies into buf (size bufsz); too long or empty is an error. */
int js_json_get_string(js_jctx *c, const cJSON *obj, const char *key, bool required,
                       char *buf, size_t bufsz);
/* Returns the member if it is an array (NULL and error if required and missing). */
int js_json_get_array(js_jctx *c, const cJSON *obj, const char *key, bool required,
                      const cJSON **out);
int js_json_get_object(js_jctx *c, const cJSON *obj, const char *key, bool required,
                       const cJSON **out);

/* Range checks that produce "$.x: must be in (0, 1], got 1.7" style messages. */
int js_json_err(js_jctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- additions (issue 2, core data layer) --- */

/* Every file format carries top-level "kind" ("gpu", "profile", "scenario", "plan",
 * "sweep", ...) and "format_version" (JS_FORMAT_VERSION). */
#define JS_FORMAT_VERSION 1

/* Start a context at "$" for `file`. */
void js_jctx_init(js_jctx *c, const char *file, js_diag *d);

/* The document's "kind" string, or NULL when absent or not a string. */
const char *js_json_kind(const cJSON *root);

/* root must be an object with "kind" == kind and "format_version" == JS_FORMAT_VERSION. */
int js_json_check_kind(js_jctx *c, const cJSON *root, const char *kind);

/* A name used as a file stem or identifier: 1..JS_NAME_MAX-1 characters from
 * [A-Za-z0-9._+-], not starting with '.'. */
int js_json_get_name(js_jctx *c, const cJSON *obj, const char *key, bool required, char *buf,
                     size_t bufsz);
bool js_name_valid(const char *s);

#endif
