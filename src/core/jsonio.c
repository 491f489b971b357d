/* jsonio: strict JSON reading and atomic file writing; see include/jigsaw/jsonio.h. */
#include "jigsaw/jsonio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ reading */

int js_read_file(const char *path, size_t max_bytes, char **out, size_t *len, js_diag *d)
{
    *out = NULL;
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return js_diag_set(d, JS_EXIT_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return js_diag_set(d, JS_EXIT_NOINPUT, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > (unsigned long long)max_bytes) {
        fclose(f);
        return js_diag_set(d, JS_EXIT_DATAERR, "%s: file is larger than %zu bytes", path,
                           max_bytes);
    }
    /* One spare byte beyond the expected size shows EOF without growing the buffer. */
    size_t cap = (size_t)st.st_size + 2, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        fclose(f);
        return js_diag_set(d, JS_EXIT_INTERNAL, "%s: out of memory", path);
    }
    /* Read until EOF rather than trusting st_size: the file may change under us. */
    for (;;) {
        if (n + 1 >= cap) {
            size_t ncap = cap * 2 > max_bytes + 2 ? max_bytes + 2 : cap * 2;
            if (n > max_bytes || ncap <= cap) {
                free(buf);
                fclose(f);
                return js_diag_set(d, JS_EXIT_DATAERR, "%s: file is larger than %zu bytes",
                                   path, max_bytes);
            }
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return js_diag_set(d, JS_EXIT_INTERNAL, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return js_diag_set(d, JS_EXIT_NOINPUT, "%s: read error", path);
    }
    if (n > max_bytes) {
        free(buf);
        return js_diag_set(d, JS_EXIT_DATAERR, "%s: file is larger than %zu bytes", path,
                           max_bytes);
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return 0;
}

/* 1-based line and column of byte offset `off` in text. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

int js_json_parse(const char *file, const char *text, size_t len, cJSON **out, js_diag *d)
{
    *out = NULL;
    size_t nul = strnlen(text, len);
    if (nul != len) {
        int line, col;
        line_col(text, nul, &line, &col);
        return js_diag_set(d, JS_EXIT_DATAERR, "%s:%d:%d: JSON syntax error: NUL byte", file,
                           line, col);
    }
    const char *end = NULL;
    /* cJSON's require_null_terminated check needs the terminating NUL inside the length. */
    cJSON *root = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
    if (root == NULL) {
        size_t off = end != NULL && end >= text && end <= text + len ? (size_t)(end - text)
                                                                      : len;
        int line, col;
        line_col(text, off, &line, &col);
        if (off >= len)
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s:%d:%d: JSON syntax error: unexpected end of input", file,
                               line, col);
        /* Quote the offending token only: a word ([A-Za-z0-9_.+-], at most 16 characters)
         * or else the one character. A command pointed at the wrong file (a sweep naming
         * a system file as its scenario) must not echo that file's contents. */
        char near[17];
        size_t k = 0;
        for (; k < sizeof near - 1 && off + k < len; k++) {
            char ch = text[off + k];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || strchr("_.+-", ch) != NULL))
                break;
            near[k] = ch;
        }
        if (k == 0) {
            char ch = text[off];
            near[k++] = (ch > 0x20 && ch < 0x7f) ? ch : '?';
        }
        near[k] = '\0';
        return js_diag_set(d, JS_EXIT_DATAERR, "%s:%d:%d: JSON syntax error near '%s'", file,
                           line, col, near);
    }
    *out = root;
    return 0;
}

#define JS_JSON_MAX_BYTES (64u * 1024u * 1024u)

int js_json_load_file(const char *path, cJSON **out, js_diag *d)
{
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = js_read_file(path, JS_JSON_MAX_BYTES, &text, &len, d);
    if (rc != 0)
        return rc;
    rc = js_json_parse(path, text, len, out, d);
    free(text);
    return rc;
}

/* ------------------------------------------------------------------ writing */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += (size_t)w;
        n -= (size_t)w;
    }
    return 0;
}

int js_mkdir_p(const char *path, js_diag *d)
{
    char buf[JS_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: cannot create directory: %s", buf,
                               strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: cannot create directory: %s", buf,
                           strerror(errno));
    return 0;
}

/* A character device (/dev/null, a terminal) or a FIFO is written through in place: there
 * is nothing to replace atomically, and a rename would put a regular file where the
 * device was. O_TRUNC is meaningless there and no O_CREAT: the target exists. */
static int write_through(const char *path, const char *text, size_t len, js_diag *d)
{
    int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: cannot open for writing: %s", path,
                           strerror(errno));
    const char *what = NULL;
    int e = 0;
    if (write_all(fd, text, len) != 0) {
        what = "write";
        e = errno;
    }
    if (close(fd) != 0 && what == NULL) {
        what = "close";
        e = errno;
    }
    if (what != NULL)
        return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: cannot write (%s): %s", path, what,
                           strerror(e));
    return 0;
}

static int write_replacing(const char *path, const char *text, size_t len, js_diag *d);

int js_write_file_atomic(const char *path, const char *text, size_t len, js_diag *d)
{
    /* A symbolic link stays a link: the file it names is replaced (atomically, beside
     * itself), which is what a user who points -o at a link means. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        if (real == NULL)
            return js_diag_set(d, JS_EXIT_CANTCREAT,
                               "%s: cannot write: symbolic link to a missing file (%s)", path,
                               strerror(errno));
        int rc = js_write_file_atomic(real, text, len, d);
        free(real);
        return rc;
    }
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
            return write_through(path, text, len, d);
        return js_diag_set(d, JS_EXIT_CANTCREAT,
                           "%s: cannot write: not a regular file, character device or FIFO",
                           path);
    }
    return write_replacing(path, text, len, d);
}

/* The regular (or new) file: temp file, fsync, rename. */
static int write_replacing(const char *path, const char *text, size_t len, js_diag *d)
{
    /* The temp file lives beside the target so that rename() is atomic (same filesystem). */
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (tmp == NULL)
        return js_diag_set(d, JS_EXIT_INTERNAL, "%s: out of memory", path);
    snprintf(tmp, plen + 16, "%s.XXXXXX.tmp", path);
    int fd = mkstemps(tmp, 4);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: cannot create temporary file: %s", path,
                           strerror(e));
    }
    const char *what = NULL;
    int e = 0;
    if (fchmod(fd, 0644) != 0) {
        what = "chmod";
    } else if (write_all(fd, text, len) != 0) {
        what = "write";
    } else if (fsync(fd) != 0) {
        what = "fsync";
    }
    if (what != NULL)
        e = errno;
    if (close(fd) != 0 && what == NULL) {
        what = "close";
        e = errno;
    }
    if (what == NULL && rename(tmp, path) != 0) {
        what = "rename";
        e = errno;
    }
    if (what != NULL) {
        unlink(tmp);
        free(tmp);
        return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: cannot write (%s): %s", path, what,
                           strerror(e));
    }
    free(tmp);
    /* Make the rename durable; failure here does not un-write the file, so it is ignored. */
    char *dir = strdup(path);
    if (dir != NULL) {
        char *slash = strrchr(dir, '/');
        const char *dname = ".";
        if (slash == dir)
            dname = "/";
        else if (slash != NULL) {
            *slash = '\0';
            dname = dir;
        }
        int dfd = open(dname, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    return 0;
}

int js_json_write_file(const char *path, const cJSON *root, js_diag *d)
{
    char *text = cJSON_Print(root);
    if (text == NULL)
        return js_diag_set(d, JS_EXIT_INTERNAL, "%s: cannot serialise JSON (out of memory)",
                           path);
    size_t n = strlen(text);
    char *buf = malloc(n + 2);
    if (buf == NULL) {
        cJSON_free(text);
        return js_diag_set(d, JS_EXIT_INTERNAL, "%s: out of memory", path);
    }
    memcpy(buf, text, n);
    buf[n] = '\n';
    buf[n + 1] = '\0';
    cJSON_free(text);
    int rc = js_write_file_atomic(path, buf, n + 1, d);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ paths */

static bool is_plain_key(const char *key)
{
    if (key[0] == '\0' || (key[0] >= '0' && key[0] <= '9'))
        return false;
    for (const char *p = key; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return false;
    }
    return true;
}

/* Append formatted text to the path; silently truncates (the path is only for messages). */
static void path_append(js_jctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void path_append(js_jctx *c, const char *fmt, ...)
{
    size_t n = strnlen(c->path, sizeof c->path);
    if (n >= sizeof c->path - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->path + n, sizeof c->path - n, fmt, ap);
    va_end(ap);
}

size_t js_jctx_push_key(js_jctx *c, const char *key)
{
    size_t saved = strnlen(c->path, sizeof c->path);
    if (is_plain_key(key))
        path_append(c, ".%s", key);
    else
        path_append(c, "[\"%.64s\"]", key);
    return saved;
}

size_t js_jctx_push_index(js_jctx *c, int index)
{
    size_t saved = strnlen(c->path, sizeof c->path);
    path_append(c, "[%d]", index);
    return saved;
}

void js_jctx_pop(js_jctx *c, size_t saved_len)
{
    if (saved_len < sizeof c->path)
        c->path[saved_len] = '\0';
}

int js_json_err(js_jctx *c, const char *key, const char *fmt, ...)
{
    char msg[JS_DIAG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t saved = 0;
    if (key != NULL)
        saved = js_jctx_push_key(c, key);
    js_diag_set(c->d, JS_EXIT_DATAERR, "%s: %s: %s", c->file ? c->file : "<input>", c->path,
                msg);
    if (key != NULL)
        js_jctx_pop(c, saved);
    return JS_EXIT_DATAERR;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsObject(v))
        return "an object";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    return "invalid";
}

static bool in_list(const char *const *list, const char *s)
{
    if (list == NULL)
        return false;
    for (; *list != NULL; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

int js_json_check_keys(js_jctx *c, const cJSON *obj, const char *const *allowed,
                       const char *const *required)
{
    if (!cJSON_IsObject(obj))
        return js_json_err(c, NULL, "must be an object, got %s", type_name(obj));
    for (const cJSON *m = obj->child; m != NULL; m = m->next) {
        const char *k = m->string ? m->string : "";
        if (!in_list(allowed, k) && !in_list(required, k)) {
            char list[512] = "";
            size_t n = 0;
            for (const char *const *a = allowed; a != NULL && *a != NULL; a++) {
                int w = snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", *a);
                if (w < 0 || (size_t)w >= sizeof list - n)
                    break;
                n += (size_t)w;
            }
            return js_json_err(c, k, "unknown field (allowed: %s)", list);
        }
        /* cJSON keeps duplicate members; a strict reader must not silently pick one. */
        for (const cJSON *o = obj->child; o != m; o = o->next)
            if (o->string != NULL && strcmp(o->string, k) == 0)
                return js_json_err(c, k, "duplicate field");
    }
    for (const char *const *r = required; r != NULL && *r != NULL; r++)
        if (cJSON_GetObjectItemCaseSensitive(obj, *r) == NULL)
            return js_json_err(c, *r, "missing required field");
    return 0;
}

/* The member `key` of obj, or NULL; an error when it is required and missing. */
static const cJSON *member(js_jctx *c, const cJSON *obj, const char *key, bool required,
                           int *rc)
{
    *rc = 0;
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (v == NULL && required)
        *rc = js_json_err(c, key, "missing required field");
    return v;
}

int js_json_get_number(js_jctx *c, const cJSON *obj, const char *key, bool required,
                       double *out)
{
    int rc;
    const cJSON *v = member(c, obj, key, required, &rc);
    if (v == NULL)
        return rc;
    if (!cJSON_IsNumber(v))
        return js_json_err(c, key, "must be a number, got %s", type_name(v));
    if (!isfinite(v->valuedouble))
        return js_json_err(c, key, "must be a finite number");
    *out = v->valuedouble;
    return 0;
}

int js_json_get_int(js_jctx *c, const cJSON *obj, const char *key, bool required, int *out)
{
    double x = 0;
    int rc;
    const cJSON *v = member(c, obj, key, required, &rc);
    if (v == NULL)
        return rc;
    rc = js_json_get_number(c, obj, key, true, &x);
    if (rc != 0)
        return rc;
    if (x != floor(x) || x < (double)INT_MIN || x > (double)INT_MAX)
        return js_json_err(c, key, "must be an integer, got %g", x);
    *out = (int)x;
    return 0;
}

cJSON *js_json_add_num_or_null(cJSON *obj, const char *key, double v)
{
    return isfinite(v) ? cJSON_AddNumberToObject(obj, key, v) : cJSON_AddNullToObject(obj, key);
}

bool js_json_add_num_if_finite(cJSON *obj, const char *key, double v)
{
    return !isfinite(v) || cJSON_AddNumberToObject(obj, key, v) != NULL;
}

int js_json_get_int_in(js_jctx *c, const cJSON *obj, const char *key, int lo, int hi, int *out)
{
    int rc = js_json_get_int(c, obj, key, true, out);
    if (rc == 0 && (*out < lo || *out > hi))
        rc = js_json_err(c, key, "must be in [%d, %d], got %d", lo, hi, *out);
    return rc;
}

int js_json_get_bool(js_jctx *c, const cJSON *obj, const char *key, bool required,
                     bool *out)
{
    int rc;
    const cJSON *v = member(c, obj, key, required, &rc);
    if (v == NULL)
        return rc;
    if (!cJSON_IsBool(v))
        return js_json_err(c, key, "must be true or false, got %s", type_name(v));
    *out = cJSON_IsTrue(v);
    return 0;
}

int js_json_get_string(js_jctx *c, const cJSON *obj, const char *key, bool required,
                       char *buf, size_t bufsz)
{
    int rc;
    const cJSON *v = member(c, obj, key, required, &rc);
    if (v == NULL)
        return rc;
    if (!cJSON_IsString(v) || v->valuestring == NULL)
        return js_json_err(c, key, "must be a string, got %s", type_name(v));
    size_t n = strlen(v->valuestring);
    if (n == 0)
        return js_json_err(c, key, "must not be empty");
    if (n >= bufsz)
        return js_json_err(c, key, "too long (%zu characters, at most %zu)", n, bufsz - 1);
    memcpy(buf, v->valuestring, n + 1);
    return 0;
}

/* The container member key of obj when is_kind accepts it ("must be <noun>" otherwise). */
static int get_container(js_jctx *c, const cJSON *obj, const char *key, bool required,
                         const cJSON **out, cJSON_bool (*is_kind)(const cJSON *),
                         const char *noun)
{
    int rc;
    const cJSON *v = member(c, obj, key, required, &rc);
    if (v == NULL) {
        if (required)
            *out = NULL;
        return rc;
    }
    if (!is_kind(v))
        return js_json_err(c, key, "must be %s, got %s", noun, type_name(v));
    *out = v;
    return 0;
}

int js_json_get_array(js_jctx *c, const cJSON *obj, const char *key, bool required,
                      const cJSON **out)
{
    return get_container(c, obj, key, required, out, cJSON_IsArray, "an array");
}

int js_json_get_object(js_jctx *c, const cJSON *obj, const char *key, bool required,
                       const cJSON **out)
{
    return get_container(c, obj, key, required, out, cJSON_IsObject, "an object");
}

/* ------------------------------------------------------------------ additions */

void js_jctx_init(js_jctx *c, const char *file, js_diag *d)
{
    c->file = file;
    c->d = d;
    strcpy(c->path, "$");
}

const char *js_json_kind(const cJSON *root)
{
    const cJSON *k = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "kind") : NULL;
    return cJSON_IsString(k) ? k->valuestring : NULL;
}

int js_json_check_kind(js_jctx *c, const cJSON *root, const char *kind)
{
    if (!cJSON_IsObject(root))
        return js_json_err(c, NULL, "must be an object, got %s", type_name(root));
    char k[JS_NAME_MAX];
    int rc = js_json_get_string(c, root, "kind", true, k, sizeof k);
    if (rc != 0)
        return rc;
    if (strcmp(k, kind) != 0)
        return js_json_err(c, "kind", "must be \"%s\", got \"%s\"", kind, k);
    int v = 0;
    rc = js_json_get_int(c, root, "format_version", true, &v);
    if (rc != 0)
        return rc;
    if (v != JS_FORMAT_VERSION)
        return js_json_err(c, "format_version", "unsupported version %d (this build reads %d)",
                           v, JS_FORMAT_VERSION);
    return 0;
}

bool js_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= JS_NAME_MAX || s[0] == '.')
        return false;
    for (const char *p = s; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.' || ch == '+'))
            return false;
    }
    return true;
}

int js_json_get_name(js_jctx *c, const cJSON *obj, const char *key, bool required, char *buf,
                     size_t bufsz)
{
    char tmp[JS_NAME_MAX];
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (v == NULL && !required)
        return 0;
    int rc = js_json_get_string(c, obj, key, required, tmp, sizeof tmp);
    if (rc != 0)
        return rc;
    if (!js_name_valid(tmp))
        return js_json_err(c, key,
                           "must use only letters, digits, '.', '_', '+', '-' and not start "
                           "with '.', got \"%s\"",
                           tmp);
    if (strlen(tmp) >= bufsz)
        return js_json_err(c, key, "too long");
    strcpy(buf, tmp);
    return 0;
}
