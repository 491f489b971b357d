/* study: the capacity study, the trace-driven controller, the tail check and the
 * comparison with the JigsawServe paper (README "Results", docs/design.md section 4; the
 * report it writes is results/REPORT.md).
 *
 * Everything here is built on the planner (planner.h), the simulator (sim.h) and the
 * arrival processes (trace.h). Library functions never print: progress goes through an
 * optional callback, results come back in structs and are serialised to JSON/CSV/Markdown
 * by the functions below. Owner: the study module.
 */
#ifndef JIGSAW_STUDY_H
#define JIGSAW_STUDY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "jigsaw/diag.h"
#include "jigsaw/plan.h"
#include "jigsaw/planner.h"
#include "jigsaw/scenario.h"
#include "jigsaw/sim.h"
#include "jigsaw/trace.h"

/* Progress callback: `what` names the step, done/total count steps of the whole job. */
typedef void (*js_progress_fn)(void *ctx, const char *what, int done, int total);

/* ------------------------------------------------------------------------------------
 * Capacity: maximum serviceable demand of each system (the paper's analytical study).
 * ---------------------------------------------------------------------------------- */

/* Constraints that bind at the maximum demand, found by re-solving with each one relaxed
 * by `relax` (GPUs x (1 + relax), latency rule statistic / (1 + relax), accuracy floor
 * x (1 - relax)): a constraint binds when relaxing it raises the maximum demand by more
 * than the planner's tolerance (0.5%). */
enum { JS_BIND_CAPACITY = 1u, JS_BIND_LATENCY = 2u, JS_BIND_ACCURACY = 4u };
#define JS_BIND_NKINDS 3

typedef struct js_capacity_row {
    unsigned features;
    char system[16];
    int status;              /* 0: solved; JS_EXIT_INFEASIBLE: serves no demand at all */
    char reason[JS_DIAG_MSG_MAX]; /* planner's reason when infeasible */
    double max_demand_scale; /* multiple of the scenario's rates */
    double max_rate;         /* requests/s at the sources (sum over apps) at that scale */
    double gain_vs_unopt;    /* max_demand_scale / Unopt's; NAN when Unopt is infeasible */
    int slices_used, gpus_used;
    double pas_min;          /* lowest application PAS in the plan */
    /* Addition: the plan's cost at the cluster's price (js_plan_cost_per_hour and
     * js_plan_cost_per_million) at the demand it serves; NAN unknown or infeasible. */
    double cost_per_hour, cost_per_million;
    double gap;              /* planner's relative gap (0 when proven optimal) */
    bool binding_done;
    unsigned binding;        /* JS_BIND_* bits */
    double relax_gain[JS_BIND_NKINDS]; /* relative increase of max demand when relaxed */
    double solve_s;          /* wall time of the max-demand solve */
} js_capacity_row;

typedef struct js_capacity_opts {
    int nsystems;                 /* 0 = all eight */
    unsigned systems[JS_NSYSTEMS];
    int gpus;                     /* 0 = the scenario's cluster */
    double latency_factor;        /* 1 = the paper's rule */
    double max_utilisation;       /* 1 = the paper's rule (js_plan_request) */
    int max_batch;                /* 0 = no batch cap (js_plan_request) */
    int rule;                     /* JS_RULE_PAPER (default) or JS_RULE_SAFE (js_plan_request) */
    double target_quantile;       /* safe rule's target (default 0.99) */
    double time_limit_s;          /* per planning call (default JS_PLAN_DEFAULT_TIME_LIMIT_S), 0 = none */
    bool binding;                 /* run the relaxation analysis (3 more solves a system) */
    double relax;                 /* relaxation step, default 0.05 */
    js_progress_fn progress;
    void *progress_ctx;
} js_capacity_opts;

void js_capacity_opts_init(js_capacity_opts *o);

typedef struct js_capacity_result {
    char scenario[JS_NAME_MAX];
    char gpu[JS_NAME_MAX];
    int gpus, slices;             /* cluster */
    double latency_factor, max_utilisation;
    int max_batch;
    int rule;
    double target_quantile;
    int nrows;
    js_capacity_row rows[JS_NSYSTEMS];
    double jigsaw_vs_loki;        /* A+S+T / A+T; NAN when either was not run/infeasible */
    double price_per_gpu_hour;    /* USD, js_cluster_price: NAN unknown */
} js_capacity_result;

/* Runs js_plan_max_demand for each requested system. An infeasible system is a row with
 * status JS_EXIT_INFEASIBLE (not an error). Returns 0, or an error code with d set. */
int js_capacity_study(const js_scenario *s, const js_capacity_opts *o,
                      js_capacity_result *r, js_diag *d);
/* "capacity", "capacity+latency", ... ("none" when nothing binds, "-" when not run). */
void js_binding_string(unsigned binding, bool done, char *buf, size_t n);
const js_capacity_row *js_capacity_find(const js_capacity_result *r, unsigned features);
cJSON *js_capacity_to_json(const js_capacity_result *r);
/* Human-readable table. */
void js_capacity_print(FILE *out, const js_capacity_result *r);

/* ------------------------------------------------------------------------------------
 * Predictors of the next interval's demand.
 * ---------------------------------------------------------------------------------- */

typedef enum js_predictor_kind {
    JS_PRED_LAST5 = 0,      /* max of the last 5 interval rates (conservative; default) */
    JS_PRED_LAST5_MEAN = 1, /* mean of the last 5 interval rates */
    JS_PRED_EWMA = 2,       /* exponentially weighted moving average, weight alpha */
    JS_PRED_ORACLE = 3,     /* the true next-interval rate */
    JS_PRED_QUANTILE = 4,   /* a quantile (default 0.9) of the last JS_PRED_QWINDOW rates */
} js_predictor_kind;

#define JS_PRED_WINDOW 5
/* The quantile predictor's window: an hour of the controller's default 5-minute
 * intervals, long enough for a quantile to mean something, short enough to follow a day. */
#define JS_PRED_QWINDOW 12
#define JS_DEFAULT_PRED_QUANTILE 0.9

typedef struct js_predictor {
    js_predictor_kind kind;
    double alpha;           /* EWMA weight of the newest observation, (0, 1] */
    int n;                  /* observations so far */
    double window[JS_PRED_WINDOW]; /* ring buffer of the last rates */
    double ewma;
    double quantile;        /* JS_PRED_QUANTILE: which quantile, (0, 1] */
    double qwindow[JS_PRED_QWINDOW]; /* ring buffer of the last rates (quantile) */
} js_predictor;

int js_predictor_parse(const char *name, js_predictor_kind *out); /* 0 ok, -1 unknown */
const char *js_predictor_name(js_predictor_kind k);
void js_predictor_init(js_predictor *p, js_predictor_kind kind, double alpha);
/* JS_PRED_QUANTILE: the quantile planned for (default JS_DEFAULT_PRED_QUANTILE). */
void js_predictor_set_quantile(js_predictor *p, double quantile);
void js_predictor_observe(js_predictor *p, double rate);
/* Prediction for the next interval. `oracle_next` is used by JS_PRED_ORACLE, and by every
 * predictor before its first observation (a cold start plans for the first interval's
 * true rate, as an operator would provision for a known starting load). */
double js_predictor_predict(const js_predictor *p, double oracle_next);

/* ------------------------------------------------------------------------------------
 * Plan helpers for re-planning: deep copy, layout-stable GPU assignment.
 * ---------------------------------------------------------------------------------- */

/* True when GPU a and b hold the same MIG instances (profile and start). */
bool js_gpu_same_layout(const js_gpu_plan *a, const js_gpu_plan *b);
/* True when they also run the same work (app, task, variant, batch, workers). */
bool js_gpu_same_contents(const js_gpu_plan *a, const js_gpu_plan *b);
/* True when every instance of `next` is already on `old` (profile and start): the GPU
 * keeps its MIG layout and the instances `next` does not use retire (an emptied GPU keeps
 * its layout too). The simulator's plan swap uses the same rule. */
bool js_gpu_keeps_layout(const js_gpu_plan *old, const js_gpu_plan *next);
/* Reorder next->gpus (padding with empty GPUs to `ngpus`) so that as many GPUs as
 * possible keep their exact contents, then their MIG layout, and new layouts go to GPUs
 * that were empty first. The planner's GPU order is arbitrary, so without this every
 * re-plan would look like a full re-layout. 0, or -1 out of memory. */
int js_plan_align_gpus(const js_plan *prev, js_plan *next, int ngpus);
/* GPUs re-laid out from prev to next (index by index): next needs an instance the GPU
 * does not have (js_gpu_keeps_layout). */
int js_plan_count_relayouts(const js_plan *prev, const js_plan *next);

/* ------------------------------------------------------------------------------------
 * The controller: trace-driven re-planning with the simulator.
 * ---------------------------------------------------------------------------------- */

/* Default MIG re-layout downtime, seconds: destroying and recreating MIG instances takes
 * about 1-2 s per GPU with nvidia-smi, and restarting the model workers (loading weights,
 * CUDA context, warm-up) another few seconds; 5 s is charged per changed GPU. */
#define JS_DEFAULT_RELAYOUT_DOWNTIME_S 5.0
/* Default headroom and hysteresis of the controller (see js_controller_opts and the
 * trace-driven study in results/REPORT.md for how they were chosen). */
#define JS_DEFAULT_HEADROOM 0.4
#define JS_DEFAULT_KEEP_FRACTION 0.5
#define JS_DEFAULT_RATE_LEVELS 20
#define JS_DEFAULT_RELAYOUT_TOLERANCE 0.1
/* Default reactive checks per interval: every minute of a 5-minute interval. */
#define JS_DEFAULT_REACT_CHECKS 5
/* A check scales up when the arrivals since the last one exceed the plan's rate by this
 * many Poisson standard deviations (a false alarm at 0.13 % of checks). */
#define JS_REACT_SIGMAS 3.0

typedef struct js_controller_opts {
    unsigned features;
    int app;                    /* application the trace drives (others: Poisson at rate) */
    js_arrival_spec arrivals;   /* the trace (or a synthetic process for tests); its seed is
                                 * the user's: app i's stream uses
                                 * js_seed_derive(seed, "arrivals", i) (jigsaw/util.h) */
    double interval_s;          /* re-planning interval in trace seconds (300) */
    double time_compression;    /* trace seconds per simulated second (1 = real time) */
    js_predictor_kind predictor;
    double ewma_alpha;
    double pred_quantile;       /* JS_PRED_QUANTILE's quantile (default 0.9) */
    double headroom;            /* plan for prediction x (1 + headroom) */
    /* Hysteresis: keep the plan in force while the demand to plan for stays within
     * [keep_fraction, 1] x the rate that plan was made for; re-plan otherwise (0 = re-plan
     * every interval). Every re-plan may re-lay GPUs out, and each re-layout is downtime. */
    double keep_fraction;
    /* > 0: planned rates are rounded up to multiples of capacity / rate_levels, and the
     * plan of each level is solved once and reused (bounds the MILP solves per run). */
    int rate_levels;
    double relayout_downtime_s; /* real seconds; charged as downtime / time_compression */
    /* Re-layout-aware re-planning (js_plan_request.layout_in_force): every re-plan may use
     * up to this share more slices than the minimum to keep GPUs of the layout in force
     * (default JS_DEFAULT_RELAYOUT_TOLERANCE); < 0: plain minimum-slices re-plans (then
     * the plan of each rate level is solved once and reused). */
    double relayout_tolerance;
    /* Reactive scale-up: each interval is watched at this many equal steps; when the
     * arrivals of a step exceed the rate the plan in force was made for by more than
     * JS_REACT_SIGMAS Poisson standard deviations, the controller re-plans at once for the
     * rate observed in that step (a demand spike the predictor missed costs one step, not
     * the whole interval). 0 or 1: plans change only at interval starts. Never used with
     * perfect foresight (JS_PRED_ORACLE), which has nothing to react to. */
    int react_checks;
    int gpus;                   /* 0 = the scenario's */
    double latency_factor;
    double max_utilisation;     /* planner option, 1 = the paper's rule */
    int max_batch;              /* planner option, 0 = no batch cap */
    int rule;                   /* planner option: JS_RULE_PAPER (default) or JS_RULE_SAFE */
    double target_quantile;     /* safe rule's target (default 0.99) */
    double time_limit_s;        /* per planning call (default JS_PLAN_DEFAULT_TIME_LIMIT_S), 0 = none */
    js_sim_config sim;          /* seed, dispatch, service distribution, early drop */
    js_progress_fn progress;
    void *progress_ctx;
} js_controller_opts;

void js_controller_opts_init(js_controller_opts *o);

typedef struct js_interval_row {
    int index;
    double t_start_s;           /* trace seconds from the window start */
    double rate_actual;         /* true mean rate of the interval (requests/s) */
    double rate_predicted;
    double rate_planned;        /* after headroom; capped at the capacity */
    bool capped;                /* predicted demand exceeded capacity: planned at max */
    int slices_used, gpus_used; /* of the plan in force at the interval's end */
    double slice_share;         /* time-weighted mean of slices used / cluster slices */
    int relayouts;              /* GPUs whose MIG layout changed in the interval */
    int reactions;              /* reactive scale-ups inside the interval */
    double pas;                 /* the plan's PAS for the driven app */
    uint64_t requests, completed, late, dropped; /* finished in this interval */
    double violation_rate;      /* (late + dropped) / (completed + dropped) */
} js_interval_row;

typedef struct js_controller_result {
    char system[16];
    char predictor[16];
    int nintervals;
    js_interval_row *rows;
    int cluster_slices;
    double capacity_rate;       /* the system's maximum serviceable rate for the app */
    double mean_slice_share;    /* mean over intervals */
    double peak_slice_share;
    double violation_rate;      /* whole run, from the simulator */
    double accuracy;            /* served accuracy (simulator, traffic-weighted PAS) */
    int relayouts;              /* total GPU re-layouts */
    int plan_changes;           /* plan swaps (interval starts and reactions) */
    int reactions;              /* reactive scale-ups (js_controller_opts.react_checks) */
    int capped_intervals;
    double p99_ms;
    js_sim_result sim;          /* the simulator's totals */
    double wall_s;
} js_controller_result;

int js_controller_run(const js_scenario *s, const js_controller_opts *o,
                      js_controller_result *r, js_diag *d);
void js_controller_result_free(js_controller_result *r);
cJSON *js_controller_to_json(const js_controller_result *r, bool with_intervals);
/* Per-interval CSV (header + one line per interval), written atomically. */
int js_controller_write_timeline(const char *path, const js_controller_result *r,
                                 js_diag *d);
void js_controller_print(FILE *out, const js_controller_result *r, bool per_interval);

/* Mean rate per interval of an arrival process (requests/s), by reading it once:
 * interval k covers simulated time [k*interval_sim_s, (k+1)*interval_sim_s). At most
 * max_intervals; *n gets the number of intervals seen. Caller frees *rates. */
int js_arrival_interval_rates(const js_arrival_spec *spec, double interval_sim_s,
                              int max_intervals, double **rates, int *n, js_diag *d);

/* ------------------------------------------------------------------------------------
 * Tail check: does the paper's 2 x p95 rule hold its SLO under Poisson arrivals?
 * ---------------------------------------------------------------------------------- */

typedef struct js_tail_opts {
    double load;            /* simulate at load x the system's max demand (default 0.8):
                               the min-slice plan for that demand is what is checked */
    double sim_seconds;     /* simulated time per check (default 60) */
    double target_violation;/* tail-safe goal (default 0.01) */
    double max_factor;      /* largest latency factor tried (default 4) */
    int max_iter;           /* search steps (default 4) */
    double util_step;       /* the utilisation cap is lowered by this much a step
                               (default 0.05) */
    double min_util;        /* lowest utilisation cap tried (default 0.5) */
    int max_batch;          /* the serving stack's batch cap for every plan (0 = none) */
    double time_limit_s;
    int gpus;
    uint64_t seed;          /* the user's seed; streams derived from it (jigsaw/util.h) */
} js_tail_opts;

void js_tail_opts_init(js_tail_opts *o);

typedef struct js_tail_row {
    unsigned features;
    char system[16];
    int status;             /* 0, or JS_EXIT_INFEASIBLE when the system serves nothing */
    double rate;            /* simulated rate, requests/s */
    double slo_ms;
    double planned_path_ms; /* largest planned path sum of the rule statistic */
    double p95_ms, p99_ms;
    double violation_rate;
    bool under_provisioned; /* violation rate above target or p99 above the SLO */
    /* The tail-safe rule: latency factor F and utilisation cap U (both 1 when the paper's
     * rule already holds). F alone is searched first; when it does not reach the goal, U
     * is lowered with the best F found. */
    double safe_factor, safe_util;
    double safe_violation, safe_p99_ms;
    double max_scale, safe_max_scale; /* max demand with the rule / the tail-safe rule */
    double capacity_cost;   /* 1 - safe_max_scale / max_scale */
    bool safe_reached;      /* the safe rule met the target (else: the best tried) */
    /* Both tail-safe rules at their own maximum demand: the max-demand plan of the F/U
     * rule found above, and of the queueing-aware safe rule (planner.h JS_RULE_SAFE,
     * target 1 - target_violation), each simulated at the demand it was made for. */
    double fu_max_violation, fu_max_p99_ms;
    bool fu_max_reached;
    double model_max_scale;   /* safe rule's maximum demand (0: infeasible) */
    double model_cost;        /* 1 - model_max_scale / max_scale */
    double model_violation, model_p99_ms;
    double model_pred_p99_ms, model_pred_violation; /* the plan's own prediction */
    bool model_reached;
    /* Early dropping's effect on the paper-rule plan at `rate`: goodput (requests on time
     * per second) with the path-aware rule (the default, as violation_rate above), and
     * violations and goodput with the local rule (jigsaw/sim.h js_drop_rule). */
    double goodput, local_drop_violation, local_drop_goodput;
} js_tail_row;

int js_tail_check(const js_scenario *s, unsigned features, const js_tail_opts *o,
                  js_tail_row *row, js_diag *d);
cJSON *js_tail_to_json(const js_tail_row *rows, int n);

/* ------------------------------------------------------------------------------------
 * compare: the whole study, written to a results directory.
 * ---------------------------------------------------------------------------------- */

#define JS_PAPER_NAPPS 3
extern const char *const js_paper_apps[JS_PAPER_NAPPS]; /* scenario stems */
/* The paper's maximum-demand gains over Unopt, by system (NAN where not published). */
double js_paper_gain(unsigned features);
/* Whether a scenario (by name) is one of the paper's applications ("social-media",
 * "traffic-analysis-a100-120", ...): only those are set beside the paper's figures. */
bool js_paper_scenario(const char *scenario);

typedef struct js_compare_opts {
    bool quick;
    const char *out_dir;        /* NULL: js_compare_default_out(quick) */
    const char *scenarios_dir;  /* "scenarios"; else found on the data path (util.h) */
    const char *trace_path;     /* NULL: <scenarios_dir>/traces/nasa-*.csv found by name */
    int ngpu_types;
    char gpu_types[2][JS_NAME_MAX]; /* "a100", "h100" (scenario file infix) */
    double latency_factor;
    double max_utilisation;     /* every plan's (js_plan_request); 1 = the paper's rule */
    int max_batch;              /* every plan's batch cap (js_plan_request); 0 = none */
    /* Sensitivity of the analytical study to a batch-size cap (first GPU type only):
     * nbatch_caps < 0 = the default caps (1,2,4,8,16; --quick: 2), 0 = skip. */
    int nbatch_caps;
    int batch_caps[8];
    bool tail;                  /* run the tail check */
    bool trace;                 /* run the trace-driven study (default; off: --no-trace) */
    bool safe_rule;             /* also the analytical study under the safe rule (default) */
    bool binding;               /* run the binding analysis on the 120-GPU study */
    bool plots;                 /* run gnuplot when found */
    const char *plot_script;    /* NULL: search */
    double time_limit_s;
    uint64_t seed;
    /* Trace-driven study settings; 0 (or < 0 where noted) = the documented default. */
    int trace_day;              /* day of the NASA trace, 0 = 1995-07-01; < 0: 4 (Jul 5) */
    double time_compression;    /* <= 0: 24 (a day in one simulated hour; 60 --quick) */
    double peak_fraction;       /* <= 0: 0.95 of A+S+T's capacity at the day's peak */
    double headroom;            /* < 0: JS_DEFAULT_HEADROOM */
    double keep_fraction;       /* < 0: JS_DEFAULT_KEEP_FRACTION */
    int rate_levels;            /* < 0: JS_DEFAULT_RATE_LEVELS */
    js_predictor_kind predictor;/* default last5 (max of the last 5 intervals) */
    double downtime_s;          /* < 0: JS_DEFAULT_RELAYOUT_DOWNTIME_S */
    js_progress_fn progress;
    void *progress_ctx;
    /* Host-side costs of every scenario loaded (docs/host-model.md); default: none. */
    js_host_spec host;
    int cpu_cores_per_node;     /* >= 0 replaces the scenarios'; -1 keeps theirs */
} js_compare_opts;

void js_compare_opts_init(js_compare_opts *o);
/* Where results go without --out: the full run writes the committed results/, the quick
 * run a directory of its own so that it never replaces them. A quick run also refuses an
 * out_dir whose REPORT.md comes from a full run (exit 2), and every run warns about
 * result files in out_dir that it did not write (stale, from other settings). */
#define JS_COMPARE_OUT "results"
#define JS_COMPARE_QUICK_OUT "results-quick"
const char *js_compare_default_out(bool quick);
/* Runs everything and writes out_dir. Warnings (e.g. gnuplot missing) go to d->warnings. */
int js_compare_run(const js_compare_opts *o, js_diag *d);

/* ---- A plan simulated at its planned demand (plan --verify-sim, the safe-rule
 * benchmark) ---- */
typedef struct js_simcheck_app {
    uint64_t requests;
    double p50_ms, p95_ms, p99_ms, violation_rate;
    double goodput;             /* requests completed within the SLO per simulated second */
} js_simcheck_app;
/* Poisson arrivals at every application's planned rate for `seconds` (or until
 * `max_requests` requests per application have arrived, when > 0), lognormal service,
 * JSED, early dropping, Poisson fan-out; out[i] for scenario application i, and all
 * applications together in *total (may be NULL). Arrival and simulator streams are
 * derived from `seed` (jigsaw/util.h). */
int js_simcheck_plan(const js_scenario *s, const js_plan *p, double seconds,
                     uint64_t max_requests, uint64_t seed, js_simcheck_app *out,
                     js_simcheck_app *total, js_diag *d);
/* The same with the given early-drop rule (js_simcheck_plan: the path-aware default). */
int js_simcheck_plan_drop(const js_scenario *s, const js_plan *p, double seconds,
                          uint64_t max_requests, uint64_t seed, js_drop_rule rule,
                          js_simcheck_app *out, js_simcheck_app *total, js_diag *d);

#endif
