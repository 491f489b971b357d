/* Internal helpers shared by the sweep module's files (not part of the API). */
#ifndef JIGSAW_SWEEP_INTERNAL_H
#define JIGSAW_SWEEP_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "jigsaw/sweep.h"

/* FNV-1a 64-bit hash, continued from h (start with 0xcbf29ce484222325). */
uint64_t js_sweep_fnv1a(uint64_t h, const void *data, size_t len);


/* The bookkeeping of one run, shared by the local and the MPI drivers. */
typedef struct js_sweep_state {
    const js_sweep *sw;
    uint64_t checksum;
    js_sweep_result *results;
    unsigned char *done;        /* per point: result known */
    long ndone, nresumed;
    long next;                  /* next point to hand out (skipping done ones) */
    int journal_fd;             /* -1 without journal */
    char journal_path[JS_PATH_MAX + 16];
    /* progress */
    js_sweep_progress_fn progress;
    void *progress_ctx;
    double t_start;
    long done_this_run;
} js_sweep_state;

/* Open (creating or validating + repairing) the journal and load its points. */
int js_sweep_state_open(js_sweep_state *st, const js_sweep *sw, const js_sweep_evaluator *ev,
                        const js_sweep_options *o, js_diag *d);
/* Next point to evaluate, or -1 when every point was handed out. */
long js_sweep_state_take(js_sweep_state *st);
/* Record a finished point: store, journal (append + fsync), progress. */
int js_sweep_state_record(js_sweep_state *st, long index, const js_sweep_result *r,
                          js_diag *d);
/* All points done: write the CSV (atomically, or to opts->csv_stream), drop the journal. */
int js_sweep_state_finish(js_sweep_state *st, const js_sweep_options *o, js_diag *d);
void js_sweep_state_close(js_sweep_state *st);
/* Report `event` to the caller's progress callback (if any). */
void js_sweep_state_report(const js_sweep_state *st, js_sweep_event event);

/* SIGINT/SIGTERM during a run set a flag (read with js_sweep_stop_signal) instead of
 * killing the process; SIGPIPE is ignored. */
typedef struct js_sweep_signals {
    struct sigaction intr, term, pipe;
} js_sweep_signals;
void js_sweep_signals_install(js_sweep_signals *saved);
void js_sweep_signals_restore(const js_sweep_signals *saved);
int js_sweep_stop_signal(void);

/* Evaluate one point into a worker message: its journal line, or
 * "E <index> <code> <message>\n" when evaluation failed (returns that code). */
int js_sweep_eval_message(const js_sweep *sw, const js_sweep_evaluator *ev, uint64_t checksum,
                          long index, char *buf, size_t bufsz);
/* Take a worker message: record the result, or return the error it carries. */
int js_sweep_take_message(js_sweep_state *st, const char *msg, js_diag *d);

#endif
