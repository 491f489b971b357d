/* Internal to the writer of results/ (src/study/report_*.c): what its files share.
 * cmp_write_results (report_io.c, declared in study_internal.h) writes the tables
 * (report_tables.c), then REPORT.md (report_md.c, with report_why.c's reasoning), then
 * the plots (report_plots.c). Every file is written whole or not at all: text goes to a
 * cmp_outbuf first and is committed atomically. */
#ifndef JIGSAW_STUDY_REPORT_INTERNAL_H
#define JIGSAW_STUDY_REPORT_INTERNAL_H

#include <stdio.h>

#include "study_internal.h"

/* ---- report_io.c ------------------------------------------------------------------- */

/* A text buffer that is written atomically when complete. */
typedef struct cmp_outbuf {
    char *buf;
    size_t len;
    FILE *f;
} cmp_outbuf;

int cmp_ob_open(cmp_outbuf *b, js_diag *d);
/* Writes <dir>/<name> atomically from the buffer, which it frees. */
int cmp_ob_commit(cmp_outbuf *b, const char *dir, const char *name, js_diag *d);
/* Writes <dir>/<name> from root (consumed; NULL: out of memory). */
int cmp_write_json(const char *dir, const char *name, cJSON *root, js_diag *d);
/* <stem>.csv from the buffer and <stem>.json from root (consumed), both atomically. */
int cmp_commit_table(cmp_outbuf *b, const char *dir, const char *stem, cJSON *root,
                     js_diag *d);
/* Numbers in CSV: %.*g, empty when unknown. */
void cmp_csv_num(FILE *f, double v, int digits);

/* ---- report_tables.c --------------------------------------------------------------- */

int cmp_write_capacity(const cmp_data *c, js_diag *d);   /* capacity*.csv, .json */
int cmp_write_trace(const cmp_data *c, js_diag *d);      /* trace.*, timeline-*.csv */
int cmp_write_tail(const cmp_data *c, js_diag *d);       /* tail.* (when it ran) */
int cmp_write_safe_capacity(const cmp_data *c, js_diag *d); /* capacity-rules.* */
int cmp_write_trace_safe(const cmp_data *c, js_diag *d);    /* trace-safe.* */
int cmp_write_batch_caps(const cmp_data *c, js_diag *d); /* batch-caps*.csv, .json */

/* Geometric mean over the applications (NULL = not run) of system f's gain over Unopt,
 * or, with jigsaw_vs_loki, of A+S+T / A+T; NAN where it is undefined for every one. */
double cmp_geomean(const js_capacity_result *const res[JS_PAPER_NAPPS], unsigned f,
                   bool jigsaw_vs_loki);
/* The analytical study's results on GPU g, per application (NULL = not run). */
void cmp_gpu_results(const cmp_data *c, int g, const js_capacity_result *res[JS_PAPER_NAPPS]);
/* The results of batch cap k (k == ncaps: the uncapped main study on the first GPU). */
void cmp_cap_results(const cmp_data *c, int k, const js_capacity_result *res[JS_PAPER_NAPPS]);

/* ---- report_md.c ------------------------------------------------------------------- */

int cmp_write_report(const cmp_data *c, js_diag *d); /* REPORT.md */
/* "1.23x", or "-" when v is not finite. */
void cmp_fmt_x(char *buf, size_t n, double v);

/* ---- report_why.c: REPORT.md's "Why our ... differ from the paper's" sections ------- */

void cmp_why_capacity(FILE *f, const cmp_data *c);
void cmp_why_trace(FILE *f, const cmp_data *c);

/* ---- report_plots.c ---------------------------------------------------------------- */

/* Runs gnuplot on the tables; a missing gnuplot or script, or a failure, is a warning. */
void cmp_render_plots(const cmp_data *c, js_diag *d);

#endif
