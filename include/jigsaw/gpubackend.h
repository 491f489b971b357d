/* gpubackend: the real-GPU backend (option -Dcuda=enabled) and its device-independent
 * host runtime.
 *
 * Layers:
 *  - Proxy workloads: per model, a table of the layers that carry its compute (convolutions,
 *    depthwise convolutions, GEMMs, attention GEMMs) built from the published architecture,
 *    with FLOPs and weight counts computed from the shapes (js_proxy_*). No ML framework.
 *  - A device interface (js_gpu_device): run one batch of a model and return the elapsed
 *    time. Two implementations: the CUDA device (cuBLAS/cuDNN FP16 tensor-core proxies,
 *    only in a CUDA build) and the emulated device, which sleeps for profiled latencies
 *    (tests, CI, machines without a GPU).
 *  - Worker processes (js_gpu_pool): one process per MPS worker, opened after fork() so
 *    that every worker owns its CUDA context, with its MPS share or MIG instance set in its
 *    environment. The parent never touches CUDA.
 *  - Profiling (js_gpu_profile_run) and real-time plan validation (js_gpu_validate_run),
 *    which feeds a trace through the plan's workers with the simulator's dispatch and
 *    batching rules and compares the outcome with the simulator's prediction.
 *
 * Library code never prints and never exits; errors go through js_diag.
 */
#ifndef JIGSAW_GPUBACKEND_H
#define JIGSAW_GPUBACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "jigsaw/diag.h"
#include "jigsaw/plan.h"
#include "jigsaw/profile.h"
#include "jigsaw/scenario.h"
#include "jigsaw/sim.h"
#include "jigsaw/trace.h"

/* ------------------------------------------------------------------------------------ */
/* Proxy workloads                                                                        */

typedef enum js_layer_kind {
    JS_LAYER_CONV = 0,  /* 2-D convolution (1-D: h = 1), groups = 1 */
    JS_LAYER_DWCONV,    /* depthwise convolution: groups = cin = cout */
    JS_LAYER_GEMM,      /* linear layer: y[batch*m, n] = x[batch*m, k] . W[k, n] */
    JS_LAYER_BGEMM,     /* per item `count` GEMMs (m x k).(k x n) of activations (attention) */
} js_layer_kind;

typedef struct js_layer {
    js_layer_kind kind;
    /* conv / dwconv: input h x w x cin, output ho x wo x cout, kernel kh x kw, stride */
    int h, w, cin, cout, kh, kw, stride, ho, wo;
    /* gemm / bgemm */
    int m, n, k, count;
    int repeat;         /* identical layers executed back to back (>= 1) */
    /* Parameter accounting: distinct weight sets among the repeats (0 = repeat); a layer
     * that reuses weights counted elsewhere (decode steps) has reuses_weights set. A
     * transposed convolution executed as an equal-MAC stride-1 convolution keeps its real
     * parameter count through `upsample` (params x upsample; 0 = 1). */
    int weight_sets;
    bool reuses_weights;
    int upsample;
} js_layer;

#define JS_PROXY_MAX_LAYERS 640

typedef struct js_proxy_model {
    char name[JS_NAME_MAX];      /* profile name, e.g. "resnet50" */
    char family[JS_NAME_MAX];    /* "resnet", "vgg", "efficientnet", "yolov5", "git", "vits" */
    char input[64];              /* e.g. "3x224x224" */
    char notes[512];             /* what the proxy approximates and how */
    int nlayers;
    js_layer layers[JS_PROXY_MAX_LAYERS];
    /* Published figures (model-facts.md), NAN when none: multiply-accumulates per item
     * (GMAC) and parameters (millions), with the source named. */
    double pub_gmacs;
    double pub_params_m;
    char pub_source[256];
    int pub_layers;              /* leading layers the published figures cover, 0 = all */
} js_proxy_model;

typedef struct js_proxy_stats {
    double gmacs;         /* per item */
    double pub_scope_gmacs, pub_scope_params_m; /* over the layers published figures cover */
    double params_m;      /* weights of conv/gemm layers (biases and norms not counted) */
    double weight_mib;    /* FP16 weight bytes, MiB */
    double act_mib;       /* FP16 activation bytes read + written per item, MiB */
    int nkernels;         /* layer executions per batch (sum of repeats) */
} js_proxy_stats;

/* Number of built-in proxies and their names (NULL past the end). */
int js_proxy_count(void);
const char *js_proxy_name(int i);
/* Build the layer table of a named model. JS_EXIT_DATAERR for an unknown name. */
int js_proxy_build(const char *name, js_proxy_model *out, js_diag *d);
void js_proxy_stats_compute(const js_proxy_model *m, js_proxy_stats *out);
/* MACs of one layer for one item (all repeats). */
double js_layer_macs(const js_layer *l);
double js_layer_params(const js_layer *l);
/* Table of every proxy: computed vs published GMAC and parameters, with ratios. */
cJSON *js_proxy_table_to_json(js_diag *d);

/* ------------------------------------------------------------------------------------ */
/* Device interface                                                                       */

/* What one worker process runs: given to the device when it is opened in the worker. */
typedef struct js_worker_spec {
    char model[JS_NAME_MAX];  /* profile name (proxy or emulated profile) */
    int mig;                  /* compute slices (1..7) the worker's share stands for */
    int workers;              /* co-located workers in its instance (for emulated lookups) */
    int max_batch;
    int mps_percent;          /* CUDA_MPS_ACTIVE_THREAD_PERCENTAGE, 0 = leave unset */
    char mig_uuid[96];        /* CUDA_VISIBLE_DEVICES for a MIG instance, "" = none */
    int device_index;         /* CUDA device ordinal when no MIG UUID is given */
    uint64_t seed;            /* emulated device: latency draws */
    /* The plan's latency at max_batch (0 = none): the emulated device uses it for full
     * batches, as the simulator does. */
    double plan_lat_mean_ms, plan_lat_p95_ms;
} js_worker_spec;

typedef struct js_gpu_device js_gpu_device;
struct js_gpu_device {
    const char *kind;         /* "cuda" or "emulated" */
    void *ctx;
    /* Run one batch of the worker's model; *elapsed_ms is the device-side time. */
    int (*run_batch)(js_gpu_device *dev, int batch, double *elapsed_ms, js_diag *d);
    void (*close)(js_gpu_device *dev);
};

/* Opens a device inside a worker process (after fork). */
typedef struct js_device_factory {
    int (*open)(const struct js_device_factory *f, const js_worker_spec *spec,
                js_gpu_device **out, js_diag *d);
    const void *arg;
} js_device_factory;

/* Emulated device: sleeps (clock_nanosleep, absolute deadlines) for the latency the
 * simulator would draw for a batch of n items of the profile named spec.model: the plan's
 * latency for a full batch (n = max_batch) when given, else the profile entry
 * (spec.mig, n, spec.workers) or the nearest larger batch, else the plan's latency. */
typedef enum { JS_EMU_DETERMINISTIC = 0, JS_EMU_LOGNORMAL = 1 } js_emu_dist;
typedef struct js_emu_config {
    int nprofiles;
    const js_profile *const *profiles;  /* looked up by js_profile.model */
    js_emu_dist dist;                   /* lognormal fitted to mean and p95 */
    double time_scale;                  /* sleep = latency * time_scale (1 = real) */
} js_emu_config;
void js_emu_factory(const js_emu_config *cfg, js_device_factory *out);
/* The available entry (mig, batch, workers), else the one with the nearest larger batch,
 * else NULL (the simulator's rule). */
const js_profile_entry *js_emu_find(const js_profile *p, int mig, int batch, int workers);
/* Mean and p95 (ms) of a batch of n under the rule above; 0 ok, -1 when unknown. p95 is
 * NAN when unknown (then the latency is deterministic). */
int js_emu_latency(const js_profile *p, const js_worker_spec *spec, int n, double *mean_ms,
                   double *p95_ms);

/* CUDA device (cuBLAS/cuDNN proxies). In a build without CUDA, open() fails with
 * JS_EXIT_NOTAVAIL. */
void js_cuda_factory(js_device_factory *out);
bool js_cuda_built(void);

/* ------------------------------------------------------------------------------------ */
/* Worker processes                                                                       */

typedef struct js_gpu_pool js_gpu_pool;

/* Fork one worker per spec; each opens its device and reports ready (or its error).
 * Returns when all are ready; on failure every started worker is stopped. */
int js_gpu_pool_start(const js_device_factory *f, const js_worker_spec *specs, int n,
                      js_gpu_pool **out, js_diag *d);
/* Ask worker i to run one batch (worker must be idle). */
int js_gpu_pool_submit(js_gpu_pool *p, int i, int batch, js_diag *d);
/* Wait up to timeout_ns (< 0: forever) for one completion. Returns 1 and fills
 * *worker / *elapsed_ms when one arrived, 0 on timeout, an exit code on failure. */
int js_gpu_pool_wait(js_gpu_pool *p, int64_t timeout_ns, int *worker, double *elapsed_ms,
                     js_diag *d);
/* Ask worker i to run `warmup` then `reps` batches back to back and return every
 * timed batch's latency (ms, caller-sized array of reps) and the timed loop's wall time. */
int js_gpu_pool_series_start(js_gpu_pool *p, int i, int batch, int warmup, int reps,
                             js_diag *d);
int js_gpu_pool_series_collect(js_gpu_pool *p, int i, double *lat_ms, int reps,
                               double *wall_s, js_diag *d);
void js_gpu_pool_stop(js_gpu_pool *p);

/* ------------------------------------------------------------------------------------ */
/* Profiling                                                                              */

typedef struct js_gpu_profile_config {
    char model[JS_NAME_MAX];
    char gpu_name[JS_NAME_MAX];  /* profile directory name, e.g. "h200-141gb" */
    char device_desc[256];       /* device name, driver, CUDA version, date */
    int nshares;                 /* MPS shares, in compute slices of 7 (e.g. 1, 2, 3, 4, 7) */
    int shares[8];
    int nmig;                    /* MIG instances to use instead of shares (0 = MPS shares) */
    char mig_uuid[8][96];
    int mig_slices[8];
    int nbatches;
    int batches[16];
    int nworkers;
    int workers[8];
    int warmup, reps;
    int device_index;
    uint64_t seed;
} js_gpu_profile_config;

/* One measured configuration. */
typedef struct js_gpu_measurement {
    int mig, batch, workers;
    int mps_percent;             /* 0 when run on a MIG instance */
    /* false: the configuration failed on the device (e.g. out of memory); `error` says
     * why and the profile lists it as unavailable, never as free. */
    bool available;
    char error[200];
    double lat_mean_ms, lat_p50_ms, lat_p95_ms, lat_p99_ms;
    double throughput;           /* items/s of one worker (mean over co-located workers) */
    int samples;
} js_gpu_measurement;

/* Run every configuration; fills a profile marked measured (caller frees with
 * js_profile_free) and the raw measurements (caller frees *meas). A (share, workers) pool
 * whose device fails at some batch size keeps the batches it measured; that batch and
 * the larger ones become unavailable entries (with the device's error), and the run goes
 * on with the next pool. It fails only on bad configuration, host errors, or when no
 * configuration at all could be measured. */
int js_gpu_profile_run(const js_device_factory *f, const js_gpu_profile_config *c,
                       js_profile *out, js_gpu_measurement **meas, int *nmeas, js_diag *d);
/* Summary statistics of a latency sample (sorted in place): GSL quantiles. */
void js_latency_stats(double *ms, int n, double *mean, double *p50, double *p95, double *p99);

/* ------------------------------------------------------------------------------------ */
/* Real-time validation of a plan                                                         */

typedef struct js_validate_config {
    int app;                     /* scenario app the arrivals belong to */
    js_dispatch_policy dispatch; /* the simulator's policies (JSED, RR, SHARED) */
    double batch_timeout_ms;     /* sched.h js_sched_batch_take: 0 = dynamic batching */
    bool early_drop;             /* drop items that can no longer meet their deadline */
    bool poisson_fanout;         /* Poisson(mean) children, else the rounded mean */
    uint64_t seed;
    double drain_timeout_s;      /* after the last arrival, wait this long for completions */
    double duration_s;           /* simulator: arrivals stop here (0 = stream end); the
                                  * real-time run takes the arrival array as given */
    int device_index;
    bool use_mps_shares;         /* set CUDA_MPS_ACTIVE_THREAD_PERCENTAGE = mig/7 */
} js_validate_config;

void js_validate_config_init(js_validate_config *c);

/* The statistics compared between measurement and simulation. */
#define JS_VALIDATE_MAX_TASKS JS_MAX_TASKS
typedef struct js_validate_metrics {
    uint64_t requests, completed, late, dropped;
    double violation_rate;
    double p50_ms, p95_ms, p99_ms, mean_ms;
    int ntasks;
    double util[JS_VALIDATE_MAX_TASKS];         /* busy time / (workers x duration) */
    double mean_batch[JS_VALIDATE_MAX_TASKS];   /* items per batch */
    double batch_ms[JS_VALIDATE_MAX_TASKS];     /* mean device time per batch */
    uint64_t items[JS_VALIDATE_MAX_TASKS];
    double duration_s;
} js_validate_metrics;

typedef struct js_validate_result {
    js_validate_metrics m;
    int nlat;
    double *lat_ms;              /* every completed request's end-to-end latency */
    int nworkers;
} js_validate_result;

/* Run the plan's segments of app c->app as worker processes, feed the arrival times
 * (seconds from start, non-decreasing) in real time, and measure. */
int js_gpu_validate_run(const js_device_factory *f, const js_scenario *s, const js_plan *p,
                        const double *arrivals, int narrivals, const js_validate_config *c,
                        js_validate_result *out, js_diag *d);
void js_validate_result_free(js_validate_result *r);

/* Simulator figures from `jigsaw simulate --json` output (file): reads $.apps[app]
 * (or $.total) .violation_rate, .latency_ms.{p50,p95,p99,mean} and the utilisation of
 * $.tasks[] entries whose "app" is a->name, matched to a's tasks by "task". */
int js_validate_metrics_from_sim_json(const char *file, const cJSON *root, const js_app *a,
                                      int app, js_validate_metrics *out, js_diag *d);
/* The same figures from an in-process simulator result. */
void js_validate_metrics_from_sim(const js_sim_result *r, int app, int ntasks,
                                  js_validate_metrics *out);
/* Run the simulator (sim.h) on the same plan and arrival stream (spec feeds app c->app,
 * other apps get none), with the validation's dispatch, dropping, fan-out and seed, and
 * lognormal service times. */
int js_validate_simulate(const js_scenario *s, const js_plan *p, const js_arrival_spec *spec,
                         const js_validate_config *c, js_validate_metrics *out, js_diag *d);
/* The comparison report: measured, simulated, relative error of each statistic. */
cJSON *js_validate_compare_json(const js_validate_metrics *measured,
                                const js_validate_metrics *simulated, const js_app *a,
                                const char *device_desc);
/* Same as Markdown text (caller frees). */
char *js_validate_compare_markdown(const js_validate_metrics *measured,
                                   const js_validate_metrics *simulated, const js_app *a,
                                   const char *device_desc);
/* Entry-by-entry comparison of profile a (e.g. measured) with b (e.g. modelled) at equal
 * (mig, batch, workers): relative errors and the median absolute percentage errors. */
cJSON *js_profile_compare_json(const js_profile *a, const js_profile *b);
/* (measured - simulated) / simulated; NAN when simulated is 0 and measured is not. */
double js_rel_error(double measured, double simulated);

/* ------------------------------------------------------------------------------------ */
/* Probe                                                                                  */

#define JS_PROBE_MAX_MIG 8
#define JS_PROBE_NAME_MAX 128 /* a device name as NVML or nvidia-smi gives it */
typedef struct js_gpu_probe {
    int ndevices;
    char name[JS_PROBE_NAME_MAX];
    char uuid[96];
    char driver[64];
    char cuda_runtime[32];       /* "13.0" (CUDA build only, else "") */
    int cuda_driver_version;     /* e.g. 13000, 0 if unknown */
    int sms;                     /* 0 when unknown */
    int cc_major, cc_minor;
    double memory_gib;
    int mig_mode;                /* 1 enabled, 0 disabled, -1 unknown / unsupported */
    int nmig;
    char mig_name[JS_PROBE_MAX_MIG][JS_PROBE_NAME_MAX]; /* profile: "1g.10gb" */
    char mig_uuid[JS_PROBE_MAX_MIG][96];
    int mig_slices[JS_PROBE_MAX_MIG];
    int mig_sms[JS_PROBE_MAX_MIG];
    double mig_memory_gib[JS_PROBE_MAX_MIG];
    bool mps_control;            /* nvidia-cuda-mps-control found on PATH */
    bool mps_running;            /* control pipe of a running daemon found */
    char mps_pipe_dir[256];
    char source[64];             /* "nvml", "nvidia-smi" */
} js_gpu_probe;

/* Probe the first NVIDIA GPU through NVML (dlopen of libnvidia-ml.so.1), falling back to
 * nvidia-smi. No GPU or no driver: JS_EXIT_NOTAVAIL with the reason. */
int js_gpu_probe_run(js_gpu_probe *out, js_diag *d);
/* CUDA runtime facts (SMs, compute capability, versions): CUDA build only, otherwise
 * JS_EXIT_NOTAVAIL. Initialises CUDA in the calling process: never call it before fork(). */
int js_cuda_probe(int device_index, js_gpu_probe *io, js_diag *d);
/* Both: NVML/nvidia-smi in this process, then (CUDA build) the CUDA facts from a forked
 * child, so that the caller can still fork workers afterwards. */
int js_gpu_probe_full(int device_index, js_gpu_probe *out, js_diag *d);
cJSON *js_gpu_probe_to_json(const js_gpu_probe *p);
/* "NVIDIA H200" -> "h200-141gb" (lower case, memory rounded). */
void js_gpu_slug(const char *name, double memory_gib, char *out, size_t outsz);

#endif
