/* Internal to the study module: the data `jigsaw compare` collects (compare.c) and writes
 * (report_*.c, whose own shared declarations are in report_internal.h), and the paper's
 * figures it compares with (paper.c). */
#ifndef JIGSAW_STUDY_INTERNAL_H
#define JIGSAW_STUDY_INTERNAL_H

#include "jigsaw/study.h"

#define CMP_NTRACE_SYSTEMS 4
#define CMP_MAX_GPUS 2
#define CMP_MAX_CAPS 8

/* paper.c: the trace-driven study's systems (A+S+T first), and the paper's result for
 * each ("" when it reports none). */
extern const unsigned cmp_trace_systems[CMP_NTRACE_SYSTEMS];
const char *cmp_paper_trace_text(unsigned features);

/* The safe rule's controllers in the trace-driven study (compare.c). */
#define CMP_NSAFE_TRACE 5
typedef struct cmp_safe_controller {
    js_predictor_kind predictor;
    bool layout_aware;      /* re-layout-aware re-plans (default tolerance) or plain */
    const char *label;
} cmp_safe_controller;
extern const cmp_safe_controller cmp_safe_controllers[CMP_NSAFE_TRACE];

typedef struct cmp_app {
    /* analytical study on the large cluster */
    bool cap_done;
    char cap_err[JS_DIAG_MSG_MAX];
    js_capacity_result cap;
    /* the same under the safe rule (js_compare_opts.safe_rule; no binding analysis) */
    bool cap_safe_done;
    char cap_safe_err[JS_DIAG_MSG_MAX];
    js_capacity_result cap_safe;
    /* Best items/s per compute slice of each task's most accurate variant on the smallest
     * MIG instance (any batch, up to the cluster's MPS workers) and on the whole GPU with
     * one worker (any batch), from the scenario's profiles: what spatial partitioning can
     * gain per slice before latency budgets. */
    int neff;
    struct {
        char variant[JS_NAME_MAX];
        double small, whole;
    } eff[JS_MAX_TASKS];
    /* trace-driven study on the small cluster */
    bool trace_ready;
    char trace_err[JS_DIAG_MSG_MAX];
    double ast_capacity;     /* A+S+T's max rate on the small cluster */
    double trace_peak;       /* peak 5-minute rate after scaling */
    double trace_scale;      /* multiplier applied to the raw trace */
    bool trace_done[CMP_NTRACE_SYSTEMS];
    char run_err[CMP_NTRACE_SYSTEMS][JS_DIAG_MSG_MAX];
    js_controller_result trace[CMP_NTRACE_SYSTEMS];
    /* A+S+T under the safe rule with no headroom, on the day scaled to its own capacity:
     * the controllers of cmp_safe_controllers, the last one perfect foresight (the
     * oracle with minimum-slices re-plans): the lower bound of slices */
    double safe_capacity, safe_trace_scale;
    bool safe_trace_done[CMP_NSAFE_TRACE];
    char safe_trace_err[CMP_NSAFE_TRACE][JS_DIAG_MSG_MAX];
    js_controller_result safe_trace[CMP_NSAFE_TRACE];
    /* A+S+T over 1%: the settings tried and what they gave */
    int nremedies;
    char remedy[2][96];
    double remedy_violation[2], remedy_share[2];
    /* tail check on the small cluster */
    int ntail;
    js_tail_row tail[JS_NSYSTEMS];
    char tail_err[JS_DIAG_MSG_MAX];
} cmp_app;

typedef struct cmp_gpu {
    char key[16];            /* scenario infix: "a100", "h100" */
    char gpu_name[JS_NAME_MAX];
    cmp_app apps[JS_PAPER_NAPPS];
} cmp_gpu;

/* The analytical study again with batch sizes capped (on the first GPU type): how the
 * systems' gains depend on whether whole GPUs can run large batches. */
typedef struct cmp_batchcap {
    int ncaps;
    int caps[CMP_MAX_CAPS];
    bool done[CMP_MAX_CAPS][JS_PAPER_NAPPS];
    char err[CMP_MAX_CAPS][JS_PAPER_NAPPS][JS_DIAG_MSG_MAX];
    js_capacity_result res[CMP_MAX_CAPS][JS_PAPER_NAPPS];
} cmp_batchcap;

typedef struct cmp_data {
    js_compare_opts o;
    char scenarios_found[JS_PATH_MAX]; /* o.scenarios_dir found on the data path */
    int big_gpus, small_gpus;  /* cluster sizes from the scenario file names */
    char trace_file[JS_PATH_MAX];
    int trace_day;             /* day of the trace replayed (0 = 1995-07-01) */
    double window_start_h;     /* hour of the day the replayed window starts at */
    double interval_s, time_compression, downtime_s, peak_fraction, headroom, keep_fraction;
    js_predictor_kind predictor;
    int rate_levels;
    int nraw;                  /* 5-minute rates of the raw day */
    double *raw_rates;
    int ngpus;
    cmp_gpu gpus[CMP_MAX_GPUS];
    cmp_batchcap bc;           /* on gpus[0] */
    js_tail_opts tail;         /* the tail check's settings (run and reported) */
    js_diag warnings;          /* the stages' warnings (scenario loading), passed on at the end */
} cmp_data;

/* report_io.c: writes every table, REPORT.md and the plots into c->o.out_dir. */
int cmp_write_results(const cmp_data *c, js_diag *d);
/* File-name form of a system: "unopt", "a", "s", "t", "at", "st", "as", "ast". */
void cmp_system_slug(unsigned features, char *buf, size_t n);

#endif
