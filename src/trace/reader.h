/* reader: buffered, streaming byte source over a plain or bzip2 file, optionally the first
 * member of a tar archive inside it. Constant memory whatever the file size; tracks the
 * line number for messages. Internal to the trace module. */
#ifndef JS_TRACE_READER_H
#define JS_TRACE_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <bzlib.h>
#include "jigsaw/diag.h"

#define JS_RD_BUF (1u << 16)

typedef struct js_rd {
    const char *path;        /* as given, for messages */
    char where[640];         /* "path" or "path:member" */
    FILE *f;
    BZFILE *bz;
    bool is_bz;
    bool eof;                /* no more bytes after the buffer */
    int code;                /* nonzero once an error was recorded in d */
    uint64_t limit;          /* bytes left in the tar member (UINT64_MAX: no tar) */
    uint64_t consumed;       /* bytes delivered so far */
    long line;               /* 1-based line of the next byte */
    size_t pos, len;
    unsigned char buf[JS_RD_BUF];
    js_diag *d;
} js_rd;

/* Open `path`; bzip2 is detected by its magic, a ustar header inside by its magic. */
int js_rd_open(js_rd *r, const char *path, js_diag *d);
void js_rd_close(js_rd *r);
/* Refill the buffer; returns 0 (maybe at end: r->eof and pos == len) or an error code. */
int js_rd_fill(js_rd *r);

/* Next byte or -1 at the end (check r->code to tell an error from the end). */
static inline int js_rd_getc(js_rd *r)
{
    if (r->pos == r->len) {
        if (r->eof || js_rd_fill(r) != 0 || r->pos == r->len)
            return -1;
    }
    int c = r->buf[r->pos++];
    if (c == '\n')
        r->line++;
    return c;
}

static inline int js_rd_peek(js_rd *r)
{
    if (r->pos == r->len) {
        if (r->eof || js_rd_fill(r) != 0 || r->pos == r->len)
            return -1;
    }
    return r->buf[r->pos];
}

/* Read one line (without the newline) into buf. Returns 1 with a line, 0 at the end of
 * the stream, or an error code (line longer than bufsz - 1, read error). `*lineno` gets
 * the line's number. */
int js_rd_line(js_rd *r, char *buf, size_t bufsz, long *lineno);

#endif
