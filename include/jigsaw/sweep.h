/* sweep: SLO sweeps -- a grid of planner runs (optionally replayed by the simulator),
 * evaluated by local worker processes or MPI ranks, resumable through a journal.
 *
 * A sweep file (JSON, kind "sweep", format_version 1) names a scenario (relative to the
 * sweep file) and a grid:
 *
 *   {
 *     "kind": "sweep", "format_version": 1,
 *     "name": "gain-vs-latency", "description": "...",          (optional)
 *     "scenario": "../../scenarios/social-media-a100-120.json",
 *     "objective": "max-demand" | "min-slices",                  (default max-demand)
 *     "grid": {                                                  (every axis optional)
 *       "gpu":            ["a100-80gb", "h100-80gb"],
 *       "gpus":           [1, 2, 4]              or {"from":1, "to":8, "step":1},
 *       "latency_slo_ms": [100, 200]             or {"values":[...], "apps":["name"]}
 *                                                or {"from":..., "to":..., "step":...},
 *       "accuracy_slo":   [0.8, 0.9]             (same forms as latency_slo_ms),
 *       "demand_scale":   [0.5, 1, 2]            (min-slices only),
 *       "systems":        ["unopt", "A+S+T"]     (default ["A+S+T"])
 *     },
 *     "time_limit_s": 0,            (per planner solve; 0 = the planner's default. A limit
 *                                    makes results timing-dependent: not reproducible)
 *     "rule": "safe" | "paper",     (latency rule, planner.h; default "safe")
 *     "target": "p99",              (safe rule's latency quantile; default "p99")
 *     "simulate": false,                                         (replay every plan)
 *     "simulation": {"duration_s": 60, "seed": 1, "load": 1.0}   (with simulate only)
 *   }
 *
 * Points are the cartesian product of the axes, numbered from 0 in this nesting order
 * (outermost first): gpu, gpus, latency_slo_ms, accuracy_slo, demand_scale, systems --
 * so the systems of one setting are adjacent rows. An absent axis has one value meaning
 * "as in the scenario".
 */
#ifndef JIGSAW_SWEEP_H
#define JIGSAW_SWEEP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "jigsaw/diag.h"
#include "jigsaw/jsonio.h"

#define JS_SWEEP_MAX_POINTS 1000000
#define JS_SWEEP_MAX_AXIS 100000
#define JS_SWEEP_MAX_APPS 32

typedef enum js_sweep_objective {
    JS_SWEEP_MAX_DEMAND = 0, /* largest demand scale the cluster serves (js_plan_max_demand) */
    JS_SWEEP_MIN_SLICES = 1, /* fewest slices at the given demand scale (js_plan_min_slices) */
} js_sweep_objective;

/* One numeric axis. n == 0: the axis is absent (one implicit point, scenario value). */
typedef struct js_sweep_axis {
    int n;
    double *values;
    int napps;                               /* SLO axes: 0 = every app */
    char apps[JS_SWEEP_MAX_APPS][JS_NAME_MAX];
} js_sweep_axis;

typedef struct js_sweep {
    char file[JS_PATH_MAX];          /* the sweep file as given */
    char name[JS_NAME_MAX];
    char scenario_path[JS_PATH_MAX]; /* resolved against the sweep file's directory */
    js_sweep_objective objective;
    int ngpu_types;                  /* 0: the scenario's GPU type */
    char (*gpu_types)[JS_NAME_MAX];
    js_sweep_axis gpus;              /* integral values */
    js_sweep_axis latency_slo_ms;
    js_sweep_axis accuracy_slo;
    js_sweep_axis demand_scale;
    int nsystems;                    /* >= 1 */
    unsigned *systems;               /* JS_FEAT_* sets */
    double time_limit_s;
    int rule;                        /* JS_RULE_SAFE (default) or JS_RULE_PAPER */
    double target_quantile;          /* safe rule's target, default 0.99 */
    bool simulate;
    double sim_duration_s;
    uint64_t sim_seed;
    double sim_load;                 /* arrival rate = plan rate x load */
    long npoints;
    uint64_t checksum;               /* of the definition and the scenario file's bytes */
} js_sweep;

/* The coordinates of one point. Absent axes: gpu_type = -1, gpus = 0, NAN otherwise. */
typedef struct js_sweep_point {
    long index;
    int gpu_type;                    /* index into sweep->gpu_types, or -1 */
    int gpus;
    double latency_slo_ms;
    double accuracy_slo;
    double demand_scale;
    int system_index;                /* index into sweep->systems */
    unsigned system;
} js_sweep_point;

#define JS_SWEEP_STATUS_MAX 24
#define JS_SWEEP_LINE_MAX 512 /* a journal line fits */

/* The result of one point. Unknown/not applicable values are NAN (slices/gpus: -1). */
typedef struct js_sweep_result {
    char status[JS_SWEEP_STATUS_MAX]; /* planner status: "optimal", "feasible", "infeasible" */
    double max_demand_scale;          /* max-demand objective; 0 when infeasible */
    double rate_rps;                  /* total planned request rate over all apps */
    int slices;
    int gpus_used;
    double pas;                       /* lowest PAS over the apps */
    double sim_requests;
    double sim_violation_rate;
    double sim_p99_ms;
    double sim_accuracy;
} js_sweep_result;

void js_sweep_result_init(js_sweep_result *r);

/* Load and validate a sweep file (strict: unknown keys, wrong types, empty or invalid
 * axes are errors naming the file and the JSON path). The scenario file must be
 * readable (its bytes enter the checksum) but is not parsed here. */
int js_sweep_load(const char *path, js_sweep *out, js_diag *d);
/* The same from a parsed document. On error *out holds nothing to free. */
int js_sweep_from_json(js_jctx *c, const cJSON *root, js_sweep *out);
void js_sweep_free(js_sweep *sw);

/* Coordinates of point `index` (0 <= index < npoints). */
void js_sweep_point_at(const js_sweep *sw, long index, js_sweep_point *p);

/* Pluggable point evaluation: the real one runs the planner (and the simulator); tests
 * and benchmarks may plug a cheap deterministic one. `eval` must be deterministic: the
 * same point gives the same result in every process. It returns 0 (an infeasible point
 * is a result, not an error) or an exit code with d set, which aborts the sweep. */
typedef struct js_sweep_evaluator {
    const char *name;   /* enters the journal checksum */
    void *ctx;
    int (*eval)(void *ctx, const js_sweep *sw, const js_sweep_point *p,
                js_sweep_result *out, js_diag *d);
    void (*destroy)(void *ctx);
} js_sweep_evaluator;

/* The real evaluator: loads the scenario once per GPU type, checks the grid's app names
 * against it, and runs js_plan_max_demand / js_plan_min_slices (+ the simulator). */
int js_sweep_eval_planner_create(const js_sweep *sw, js_sweep_evaluator *out, js_diag *d);
/* A synthetic evaluator: a smooth deterministic function of the coordinates that takes
 * `cost_ms` of CPU time (points differ in cost by up to 2x). For tests and benchmarks. */
int js_sweep_eval_synthetic_create(double cost_ms, js_sweep_evaluator *out, js_diag *d);
void js_sweep_evaluator_destroy(js_sweep_evaluator *ev);

/* Progress of a run, reported to the caller (the library never prints; the CLI draws a
 * progress line from these). */
typedef enum {
    JS_SWEEP_RESUMED,       /* the journal held `resumed` points (> 0): reported once */
    JS_SWEEP_POINT,         /* a point finished */
    JS_SWEEP_COMPLETE,      /* every point done, before the CSV is written */
    JS_SWEEP_ABORTED,       /* the run stops on an error or a signal */
} js_sweep_event;

typedef struct js_sweep_progress {
    js_sweep_event event;
    long done, total;        /* points with a result (resumed ones included), all points */
    long resumed;            /* points loaded from the journal */
    long done_this_run;      /* points evaluated by this run */
    double elapsed_s;        /* since the run started (monotonic clock) */
    const char *journal_path; /* "" without a journal */
} js_sweep_progress;

typedef void (*js_sweep_progress_fn)(void *ctx, const js_sweep_progress *p);

typedef struct js_sweep_options {
    const char *out_path;   /* CSV path; NULL = the CSV goes to csv_stream, no journal */
    FILE *csv_stream;       /* without out_path: where the CSV is written (NULL: nowhere) */
    const char *csv_stream_name; /* its name in messages ("stdout") */
    int jobs;               /* local worker processes; 1 = in-process */
    js_sweep_progress_fn progress; /* NULL: no reports */
    void *progress_ctx;
    bool keep_journal;      /* keep OUT.journal after the CSV is written */
} js_sweep_options;

void js_sweep_options_init(js_sweep_options *o);

/* The journal checksum of a run: the sweep's checksum mixed with the evaluator's name. */
uint64_t js_sweep_run_checksum(const js_sweep *sw, const js_sweep_evaluator *ev);

/* Journal of finished points, "<out>.journal". Each line:
 *   jsweep1 <checksum:16 hex> <index> <status> <9 numbers> <line crc:8 hex>
 * numbers printed with %.17g (exact round trip), "-" for NAN. A line that is truncated
 * or fails its crc is ignored (a kill mid-write); a valid line with another sweep's
 * checksum makes the journal stale (an error: delete it or change the output). */
int js_sweep_journal_format(uint64_t checksum, long index, const js_sweep_result *r,
                            char *buf, size_t bufsz);
/* 1 = parsed, 0 = invalid line (ignored), -1 = valid line of another sweep. */
int js_sweep_journal_parse(const char *line, uint64_t checksum, long npoints, long *index,
                           js_sweep_result *r);

/* The CSV (header + one row per point, in point order). `results` holds every point;
 * gain_vs_unopt is computed here (post-pass) when "unopt" is one of the systems.
 * Returns a malloc'd NUL-terminated string, or NULL when out of memory. */
char *js_sweep_csv(const js_sweep *sw, const js_sweep_result *results);

/* Run the sweep: resume from the journal, evaluate the remaining points on
 * opts->jobs processes, write the CSV atomically once complete. SIGINT/SIGTERM stop it
 * cleanly (journal kept; returns 128 + signal). */
int js_sweep_run(const js_sweep *sw, const js_sweep_evaluator *ev,
                 const js_sweep_options *opts, js_diag *d);

/* True when the process was started by an MPI launcher (OMPI_COMM_WORLD_SIZE, PMI_SIZE
 * or PMIX_RANK in the environment). */
bool js_sweep_mpi_launched(void);
/* The same run over MPI ranks: rank 0 hands out points dynamically (and evaluates on a
 * second thread), writes the journal and the CSV; all ranks return the same code.
 * JS_EXIT_NOTAVAIL when built without MPI. `ev_create` builds each rank's evaluator. */
int js_sweep_run_mpi(const js_sweep *sw,
                     int (*ev_create)(const js_sweep *sw, void *arg, js_sweep_evaluator *ev,
                                      js_diag *d),
                     void *ev_arg, const js_sweep_options *opts, int *rank, js_diag *d);

#endif
