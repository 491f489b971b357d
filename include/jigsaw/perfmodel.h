/* perfmodel: a fitted analytical performance model for DNN inference on MIG slices
 * with MPS co-location, its cross-validation, and the generation of modelled profiles.
 *
 * Model (version JS_PM_VERSION). For a model variant with F real GFLOPs per item,
 * A million activation elements per item, P million parameters (fp32 weights, 4 bytes
 * each) and D framework operator dispatches per forward pass, on a MIG instance with
 * s SMs, a fraction m of the GPU's memory bandwidth B (GB/s), SM clock f (MHz), batch b
 * and k MPS workers:
 *
 *   T_cpu  = t0 + c_op * D                                   launch floor (ms); does not
 *                                                            shrink with more slices
 *   t_item = (a_flop * F + a_op * D) * (S_ref / s)^gamma * (f_ref / f)
 *                                                            math and per-kernel work,
 *                                                            scales with SMs and clock
 *          + a_act * A * (B_ref / (B m))^gamma               elementwise traffic, scales
 *                                                            with memory bandwidth
 *   T_w    = omega * 4 P / (B m)                             weight read per batch (ms)
 *   T_gpu  = (b + h) * t_item + T_w                          one batch alone on the GPU;
 *                                                            saturates at large b
 *   T_k    = k * (1 + mu (k - 1)) * T_gpu                    k workers share the instance
 *   T      = (T_cpu^p + T_k^p)^(1/p)                         latency per batch (mean, ms)
 *   X      = 1000 b / T                                      per-worker items/s
 *
 * Memory: a configuration is available only when
 *   k * (m0 + 4 P / 1024 + b * (alpha_act * A + alpha_flop * F)) <= instance GiB
 * (CUDA context and allocator slack, weights, activations retained per item).
 *
 * The first group (t0, c_op, a_flop, a_act, a_op, gamma, h, omega, mu, p) is fitted with
 * gsl_multifit_nlinear to log throughput; the memory group is fitted to the measured
 * availability boundary. p95 = mean * exp(1.6449 sigma - sigma^2 / 2) (profile.h).
 */
#ifndef JIGSAW_PERFMODEL_H
#define JIGSAW_PERFMODEL_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "jigsaw/diag.h"
#include "jigsaw/gpu.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/profile.h"

#define JS_PM_VERSION "pm-1"
#define JS_PM_MAX_MODELS 64
#define JS_PM_NPARAMS 10
#define JS_PM_NMEM 3

/* Reference GPU for t_item: A100 (SXM4) full GPU, 98 SMs usable by MIG 7g, 1410 MHz. */
#define JS_PM_SREF 98.0
#define JS_PM_FREF_MHZ 1410.0
#define JS_PM_BREF_GBS 2039.0

/* Facts of one model variant, from profiles/models.json. */
typedef struct js_pm_facts {
    char name[JS_NAME_MAX];        /* profile stem, e.g. "yolov5s" */
    char family[JS_NAME_MAX];      /* task family, e.g. "yolov5" */
    char arch[JS_NAME_MAX];        /* architecture class, e.g. "cnn", "transformer" */
    double gflops;                 /* real FLOPs (2 x MAC) per item at the profiled input */
    double params_m;               /* million parameters */
    double ops;                    /* framework operator dispatches per forward pass */
    double act_m;                  /* million activation elements per item */
    int input_px;                  /* input side (pixels) or 0 where not an image */
    double accuracy;               /* published accuracy in `metric` units */
    char metric[JS_NAME_MAX];
    char accuracy_source[256];
    bool measured_a100;            /* a measured A100 table exists (training data) */
    char notes[1024];              /* how gflops/ops were obtained, assumptions */
} js_pm_facts;

typedef struct js_pm_catalogue {
    int n;
    js_pm_facts m[JS_PM_MAX_MODELS];
} js_pm_catalogue;

int js_pm_catalogue_load(const char *path, js_pm_catalogue *out, js_diag *d);
const js_pm_facts *js_pm_catalogue_find(const js_pm_catalogue *c, const char *name);

/* Fitted parameters (natural units, see the equations above). */
typedef struct js_pm_params {
    double t0, c_op, a_flop, a_act, a_op, gamma, h, omega, mu, p;
    double mem_m0, mem_alpha_act, mem_alpha_flop; /* GiB, GiB per M activations, per GFLOP */
} js_pm_params;

/* The hardware of one MIG instance as the model sees it. */
typedef struct js_pm_hw {
    int sms;
    double mem_frac;      /* memory slices / GPU memory slices */
    double mem_gib;       /* instance memory */
    double bw_gbs;        /* whole-GPU memory bandwidth */
    double clock_mhz;
} js_pm_hw;

/* Instance `compute_slices` of GPU type g; -1 if that MIG size does not exist. */
int js_pm_hw_of(const js_gpu_type *g, int compute_slices, js_pm_hw *out);

/* Predicted mean batch latency (ms) and per-worker throughput (items/s); returns false
 * when the configuration does not fit the instance memory (then outputs are 0). */
bool js_pm_predict(const js_pm_params *p, const js_pm_facts *f, const js_pm_hw *hw,
                   int batch, int workers, double *lat_ms, double *thr);
bool js_pm_fits_memory(const js_pm_params *p, const js_pm_facts *f, const js_pm_hw *hw,
                       int batch, int workers);

/* One measured configuration (training / test data). */
typedef struct js_pm_obs {
    int model;            /* index into the catalogue */
    int mig;
    js_pm_hw hw;
    int batch, workers;
    bool available;
    double thr, lat_ms;   /* measured, when available */
} js_pm_obs;

/* Training data: every measured entry of <gpu_dir>/<name>.json for the catalogue's
 * models with measured_a100 (modelled entries are skipped). Caller frees *out. */
int js_pm_training_load(const js_pm_catalogue *c, const char *gpu_dir, const js_gpu_type *g,
                        js_pm_obs **out, int *nout, js_diag *d);

/* Fit on the observations whose model is not `exclude` (-1: all). */
int js_pm_fit(const js_pm_catalogue *c, const js_pm_obs *obs, int nobs, int exclude,
              js_pm_params *out, js_diag *d);

/* Absolute percentage errors of throughput and latency over the available observations
 * of one model (model = -1: all). Fills median and 90th percentile; n = count. */
typedef struct js_pm_err {
    int n;
    double thr_med, thr_p90, lat_med, lat_p90;
    double mem_agree;     /* fraction of configurations whose availability is predicted */
} js_pm_err;

int js_pm_errors(const js_pm_params *p, const js_pm_catalogue *c, const js_pm_obs *obs,
                 int nobs, int model, js_pm_err *out);

/* Leave-one-model-out cross-validation over the catalogue's measured models. */
typedef struct js_pm_cv {
    int nmodels;
    int model[JS_PM_MAX_MODELS];
    js_pm_err heldout[JS_PM_MAX_MODELS];
    js_pm_err overall;      /* pooled over all held-out predictions */
    js_pm_err train;        /* the all-data fit on its own training data */
    js_pm_params full;      /* fit on all data */
} js_pm_cv;

int js_pm_crossvalidate(const js_pm_catalogue *c, const js_pm_obs *obs, int nobs,
                        js_pm_cv *out, js_diag *d);

/* The fit file (profiles/perfmodel-fit.json). */
cJSON *js_pm_fit_to_json(const js_pm_cv *cv, const js_pm_catalogue *c);
int js_pm_fit_load(const char *path, js_pm_params *p, double *heldout_thr_med,
                   double *heldout_lat_med, js_diag *d);

/* Modelled profile of variant f on GPU g: MIG sizes of g x batch 1..256 (powers of two)
 * x workers 1..max_workers; entries that do not fit memory are "available": false.
 * Latency tails from the lognormal `sigma`. Caller frees with js_profile_free. */
int js_pm_generate(const js_pm_params *p, const js_pm_facts *f, const js_gpu_type *g,
                   int max_workers, double sigma, double heldout_thr, double heldout_lat,
                   const char *assumption, js_profile *out, js_diag *d);

/* The paper's three applications (social-media, traffic-analysis, ar-assistant), each on
 * 4 and 120 GPUs of A100-80GB and H100-80GB: <out_dir>/<app>-<gpu short>-<n>.json.
 * Accuracies come from <profiles_root>/models.json. Returns the count in *nwritten. */
int js_pm_write_scenarios(const char *profiles_root, const char *out_dir, int *nwritten,
                          js_diag *d);

#endif
