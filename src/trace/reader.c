/* reader: streaming plain/bzip2(/tar) byte source; see reader.h. */
#include "reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int rd_fail(js_rd *r, int code, const char *what)
{
    r->code = code;
    return js_diag_set(r->d, code, "%s: %s", r->where, what);
}

/* Read up to n raw (decompressed) bytes into dst; *got is what was read. Handles
 * concatenated bzip2 streams (as written by parallel compressors). */
static int rd_raw(js_rd *r, unsigned char *dst, size_t n, size_t *got)
{
    *got = 0;
    if (!r->is_bz) {
        size_t k = fread(dst, 1, n, r->f);
        if (k < n && ferror(r->f))
            return rd_fail(r, JS_EXIT_NOINPUT, "read error");
        *got = k;
        return 0;
    }
    while (*got < n && r->bz != NULL) {
        int err = BZ_OK;
        int k = BZ2_bzRead(&err, r->bz, dst + *got, (int)(n - *got));
        if (err == BZ_OK || err == BZ_STREAM_END) {
            *got += (size_t)k;
            if (err == BZ_OK)
                continue;
            /* End of one stream: another may follow in the unused bytes or the file. */
            void *unused = NULL;
            int nunused = 0;
            unsigned char keep[BZ_MAX_UNUSED];
            BZ2_bzReadGetUnused(&err, r->bz, &unused, &nunused);
            if (err != BZ_OK)
                return rd_fail(r, JS_EXIT_DATAERR, "corrupt bzip2 stream");
            if (nunused > 0)
                memcpy(keep, unused, (size_t)nunused);
            BZ2_bzReadClose(&err, r->bz);
            r->bz = NULL;
            int c = nunused > 0 ? 0 : fgetc(r->f);
            if (nunused == 0 && c == EOF)
                break; /* the real end */
            if (nunused == 0) {
                keep[0] = (unsigned char)c;
                nunused = 1;
            }
            r->bz = BZ2_bzReadOpen(&err, r->f, 0, 0, keep, nunused);
            if (err != BZ_OK)
                return rd_fail(r, JS_EXIT_DATAERR, "trailing garbage after bzip2 stream");
        } else if (err == BZ_UNEXPECTED_EOF) {
            return rd_fail(r, JS_EXIT_DATAERR,
                           "truncated bzip2 stream (the file ends inside compressed data)");
        } else if (err == BZ_DATA_ERROR || err == BZ_DATA_ERROR_MAGIC) {
            return rd_fail(r, JS_EXIT_DATAERR, "corrupt bzip2 data");
        } else if (err == BZ_MEM_ERROR) {
            return rd_fail(r, JS_EXIT_INTERNAL, "out of memory in bzip2");
        } else {
            return rd_fail(r, JS_EXIT_NOINPUT, "bzip2 read error");
        }
    }
    return 0;
}

/* After the member come its padding to a 512-byte block and then a header block, which
 * must be all zero (the end-of-archive marker): a second member would otherwise be
 * silently ignored. `after` holds the n bytes that followed the member in the buffer. An
 * archive that simply ends after the member is accepted. */
static int rd_tar_check_end(js_rd *r, const unsigned char *after, size_t n)
{
    size_t pad = (size_t)((512 - r->limit % 512) % 512), need = pad + 512;
    unsigned char blk[1024];
    size_t have = n < need ? n : need;
    memcpy(blk, after, have);
    if (have < need) {
        size_t got = 0;
        int rc = rd_raw(r, blk + have, need - have, &got);
        if (rc != 0)
            return rc;
        have += got;
    }
    for (size_t i = pad; i < have; i++)
        if (blk[i] != 0)
            return rd_fail(r, JS_EXIT_DATAERR,
                           "the tar archive holds more than one member; only an archive of "
                           "exactly one member is read");
    return 0;
}

int js_rd_fill(js_rd *r)
{
    if (r->code != 0)
        return r->code;
    r->pos = r->len = 0;
    if (r->eof)
        return 0;
    size_t got = 0;
    int rc = rd_raw(r, r->buf, sizeof r->buf, &got);
    if (rc != 0)
        return rc;
    if (r->limit != UINT64_MAX) {
        uint64_t left = r->limit - r->consumed;
        if ((uint64_t)got >= left) {
            int rc2 = rd_tar_check_end(r, r->buf + left, got - (size_t)left);
            if (rc2 != 0)
                return rc2;
            got = (size_t)left;
            r->eof = true;
        } else if (got < sizeof r->buf) {
            char msg[256];
            snprintf(msg, sizeof msg,
                     "truncated: the tar member should hold %llu bytes, the archive ends "
                     "after %llu",
                     (unsigned long long)r->limit,
                     (unsigned long long)(r->consumed + got));
            return rd_fail(r, JS_EXIT_DATAERR, msg);
        }
    } else if (got < sizeof r->buf) {
        r->eof = true;
    }
    r->len = got;
    r->consumed += got;
    return 0;
}

/* ustar header: magic "ustar" at 257, octal size at 124 (12 bytes), name at 0. */
static int rd_tar_header(js_rd *r, const unsigned char *h)
{
    char size[13];
    memcpy(size, h + 124, 12);
    size[12] = '\0';
    errno = 0;
    char *end = NULL;
    unsigned long long n = strtoull(size, &end, 8);
    if (errno != 0 || end == size)
        return rd_fail(r, JS_EXIT_DATAERR, "malformed tar header (size field)");
    char name[101];
    memcpy(name, h, 100);
    name[100] = '\0';
    snprintf(r->where, sizeof r->where, "%s:%s", r->path, name);
    r->limit = n;
    return 0;
}

int js_rd_open(js_rd *r, const char *path, js_diag *d)
{
    memset(r, 0, offsetof(js_rd, buf));
    r->path = path;
    r->d = d;
    r->line = 1;
    r->limit = UINT64_MAX;
    snprintf(r->where, sizeof r->where, "%s", path);
    r->f = fopen(path, "rb");
    if (r->f == NULL)
        return js_diag_set(d, JS_EXIT_NOINPUT, "%s: cannot open trace: %s", path,
                           strerror(errno));
    unsigned char magic[3] = {0, 0, 0};
    size_t k = fread(magic, 1, 3, r->f);
    rewind(r->f);
    if (k == 3 && memcmp(magic, "BZh", 3) == 0) {
        int err = BZ_OK;
        r->is_bz = true;
        r->bz = BZ2_bzReadOpen(&err, r->f, 0, 0, NULL, 0);
        if (err != BZ_OK) {
            js_rd_close(r);
            return js_diag_set(d, JS_EXIT_DATAERR, "%s: cannot start bzip2 decoding", path);
        }
    }
    /* Read the first block raw to look for a tar header. */
    size_t got = 0;
    int rc = rd_raw(r, r->buf, sizeof r->buf, &got);
    if (rc != 0) {
        js_rd_close(r);
        return rc;
    }
    r->len = got;
    r->eof = got < sizeof r->buf;
    if (got >= 512 && memcmp(r->buf + 257, "ustar", 5) == 0) {
        rc = rd_tar_header(r, r->buf);
        if (rc != 0) {
            js_rd_close(r);
            return rc;
        }
        r->pos = 512;
        uint64_t in_buf = got - 512;
        if (in_buf >= r->limit) {
            r->len = 512 + (size_t)r->limit;
            r->eof = true;
            rc = rd_tar_check_end(r, r->buf + r->len, got - r->len);
            if (rc != 0) {
                js_rd_close(r);
                return rc;
            }
        } else if (r->eof) {
            js_rd_close(r);
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s: truncated: the tar member should hold %llu bytes, the "
                               "archive ends after %llu",
                               r->where, (unsigned long long)r->limit,
                               (unsigned long long)in_buf);
        }
        r->consumed = r->len - 512;
    } else {
        r->consumed = got;
    }
    return 0;
}

void js_rd_close(js_rd *r)
{
    if (r->bz != NULL) {
        int err = BZ_OK;
        BZ2_bzReadClose(&err, r->bz);
        r->bz = NULL;
    }
    if (r->f != NULL) {
        fclose(r->f);
        r->f = NULL;
    }
}

int js_rd_line(js_rd *r, char *buf, size_t bufsz, long *lineno)
{
    size_t n = 0;
    *lineno = r->line;
    int c = js_rd_getc(r);
    if (c < 0)
        return r->code;
    while (c >= 0 && c != '\n') {
        if (c == '\0') { /* would end the line early for every string function */
            r->code = JS_EXIT_DATAERR;
            return js_diag_set(r->d, r->code, "%s:%ld: NUL byte in the line", r->where,
                               *lineno);
        }
        if (n + 1 >= bufsz) {
            r->code = JS_EXIT_DATAERR;
            return js_diag_set(r->d, r->code, "%s:%ld: line longer than %zu characters",
                               r->where, *lineno, bufsz - 1);
        }
        buf[n++] = (char)c;
        c = js_rd_getc(r);
    }
    if (c < 0 && r->code != 0)
        return r->code;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    return 1;
}
