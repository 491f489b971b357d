/* gpu: GPU types, their MIG profiles and placement rules, and valid full-GPU layouts.
 *
 * A GPU type (profiles/gpus/<name>.json) has `compute_slices` (7) and `memory_slices` (8)
 * and a list of MIG profiles. A MIG instance of profile p occupies memory slots
 * [start, start + p.memory_slices) and may only start at one of p.starts. Instances on
 * one GPU may not overlap in memory and their compute slices add up to at most
 * compute_slices. A *layout* is a multiset of placed instances satisfying those rules.
 * docs/design.md section 1 lists the shipped types' profiles, prices and their sources.
 *
 * Optional "price_per_gpu_hour": {"usd": X, "source": "...", "date": "YYYY-MM"}, a public
 * on-demand price of one GPU for one hour with where it was published (usd finite and > 0,
 * source required, date optional). Plans and the capacity study turn it into costs
 * (plan.h); a scenario's cluster.price_per_gpu_hour overrides it (scenario.h).
 */
#ifndef JIGSAW_GPU_H
#define JIGSAW_GPU_H

#include <cjson/cJSON.h>
#include "jigsaw/diag.h"
#include "jigsaw/jsonio.h"

#define JS_MAX_MIG_PROFILES 8
#define JS_MAX_STARTS 8
#define JS_MAX_INSTANCES_PER_GPU 8

typedef struct js_mig_profile {
    char name[JS_NAME_MAX];  /* e.g. "1g.10gb" */
    int compute_slices;      /* 1, 1, 2, 3, 4, 7 (A100-80GB) */
    int memory_slices;       /* 1, 2, 2, 4, 4, 8 */
    int sms;                 /* streaming multiprocessors of one instance */
    double memory_gib;
    int nstarts;
    int starts[JS_MAX_STARTS]; /* valid start positions on the memory axis */
} js_mig_profile;

typedef struct js_gpu_type {
    char name[JS_NAME_MAX];      /* "a100-80gb" */
    char description[256];
    int compute_slices;          /* 7 */
    int memory_slices;           /* 8 */
    int nprofiles;
    js_mig_profile profiles[JS_MAX_MIG_PROFILES]; /* by compute, then memory slices */
    int max_mps_workers;         /* most MPS workers the hardware/software allows per instance */
    /* Documented hardware facts used to scale a performance model between GPU types. */
    double sm_clock_mhz;         /* boost clock */
    double memory_bandwidth_gbs; /* whole GPU */
    double fp16_tflops;          /* dense tensor-core peak, whole GPU */
    /* Added (issue 2): where every number above comes from (JSON "sources", optional). */
    char sources[1536];
    /* Addition: on-demand USD per GPU-hour (JSON "price_per_gpu_hour"), NAN when absent;
     * where it was published and when ("YYYY-MM", "" when not given). */
    double price_usd_per_hour;
    char price_source[512];
    char price_date[8];
} js_gpu_type;

/* A placed instance: index into gpu->profiles and start slot on the memory axis. */
typedef struct js_mig_placement {
    int profile;
    int start;
} js_mig_placement;

typedef struct js_gpu_layout {
    int ninstances;
    js_mig_placement inst[JS_MAX_INSTANCES_PER_GPU]; /* sorted by start */
    int count[JS_MAX_MIG_PROFILES];                  /* instances per profile index */
    int compute_used;
} js_gpu_layout;

int js_gpu_load(const char *path, js_gpu_type *out, js_diag *d);
int js_gpu_from_json(js_jctx *c, const cJSON *root, js_gpu_type *out);
cJSON *js_gpu_to_json(const js_gpu_type *g);

/* Index of the profile with this many compute slices / this name, or -1. Two profiles may
 * share a compute size with different memory (A100-80GB: 1g.10gb and 1g.20gb); profiles
 * (measured per compute size) and the planner's segments then mean the one with the least
 * memory -- the first, as profiles are sorted by compute, then memory slices. */
int js_gpu_profile_by_slices(const js_gpu_type *g, int compute_slices);
int js_gpu_profile_by_name(const js_gpu_type *g, const char *name);

/* Check one GPU's placements against the rules; message names the offending instance. */
int js_gpu_layout_check(const js_gpu_type *g, const js_mig_placement *inst, int n,
                        js_diag *d);

/* Enumerate every valid non-empty layout that is maximal (no further instance of any
 * profile can be added) -- or all valid non-empty layouts when `maximal_only` is false.
 * Layouts with the same per-profile counts are reported once. Caller frees *out. */
int js_gpu_enumerate_layouts(const js_gpu_type *g, int maximal_only, js_gpu_layout **out,
                             int *n);

#endif
