/* diag: exit codes and diagnostics shared by every module.
 *
 * Every fallible library function takes a `js_diag *` and, on failure, fills it with
 * an exit code and one human-readable message that names the file, the JSON path (or
 * other location) and the problem, e.g.
 *   scenarios/x.json: $.apps[0].tasks[2].variants[0].accuracy: must be in (0, 1], got 1.7
 * Library code never prints and never exits; the CLI prints `d->msg` to stderr and exits
 * with `d->code`. Warnings (non-fatal findings) are collected separately.
 */
#ifndef JIGSAW_DIAG_H
#define JIGSAW_DIAG_H

#include <stddef.h>

/* Documented process exit codes (README "Exit codes"). */
enum js_exit {
    JS_EXIT_OK = 0,
    JS_EXIT_INTERNAL = 1,   /* internal failure (bug, out of memory, solver error) */
    JS_EXIT_USAGE = 2,      /* bad command line */
    JS_EXIT_INFEASIBLE = 3, /* valid input, but no plan meets the SLOs / fits the cluster */
    JS_EXIT_NOTAVAIL = 4,   /* feature not built in or hardware absent (e.g. CUDA, MPI) */
    JS_EXIT_DATAERR = 65,   /* malformed or invalid input data (sysexits EX_DATAERR) */
    JS_EXIT_NOINPUT = 66,   /* input file missing or unreadable (sysexits EX_NOINPUT) */
    JS_EXIT_CANTCREAT = 73, /* output file cannot be written (sysexits EX_CANTCREAT) */
    JS_EXIT_TIMELIMIT = 75, /* the solver's time limit ran out before any plan was found:
                             * nothing is proven, a larger --time-limit may find one
                             * (sysexits EX_TEMPFAIL); never 3, which means proven */
};

#define JS_DIAG_MSG_MAX 1024
#define JS_DIAG_MAX_WARNINGS 32

typedef struct js_diag {
    int code;                   /* 0 while no error was recorded */
    char msg[JS_DIAG_MSG_MAX];  /* the first error, complete sentence, no trailing newline */
    int nwarnings;
    char warnings[JS_DIAG_MAX_WARNINGS][JS_DIAG_MSG_MAX];
} js_diag;

void js_diag_init(js_diag *d);

/* Record an error (only the first one is kept); always returns `code` so callers can
 * `return js_diag_set(d, JS_EXIT_DATAERR, "%s: %s: must be > 0", file, path);`.
 * `d` may be NULL. */
int js_diag_set(js_diag *d, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a warning (kept up to JS_DIAG_MAX_WARNINGS, further ones counted but dropped). */
void js_diag_warn(js_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Collapse a nested diagnostic into `to`: its error (code and message, kept only when `to`
 * has none, as js_diag_set) and its warnings, appended after those of `to` (one already in
 * `to` word for word is not repeated; warnings `from` counted but dropped stay counted).
 * Returns from->code. `to` may be NULL. Use it, not `"%s", local.msg`, where a function
 * runs a step on its own js_diag, so that the step's warnings reach the user. */
int js_diag_forward(js_diag *to, const js_diag *from);
/* The warnings only, for a caller that words or records the nested error itself. */
void js_diag_forward_warnings(js_diag *to, const js_diag *from);

/* Print the error (if any) and warnings to stderr prefixed with "jigsaw: ". */
void js_diag_print(const js_diag *d);

#endif
