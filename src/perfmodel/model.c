/* perfmodel/model.c: the model's equations (see include/jigsaw/perfmodel.h). */
#include <math.h>
#include <string.h>

#include "jigsaw/perfmodel.h"

int js_pm_hw_of(const js_gpu_type *g, int compute_slices, js_pm_hw *out)
{
    int i = js_gpu_profile_by_slices(g, compute_slices);
    if (i < 0 || g->memory_slices <= 0)
        return -1;
    const js_mig_profile *mp = &g->profiles[i];
    out->sms = mp->sms;
    out->mem_frac = (double)mp->memory_slices / (double)g->memory_slices;
    out->mem_gib = mp->memory_gib;
    out->bw_gbs = g->memory_bandwidth_gbs;
    out->clock_mhz = g->sm_clock_mhz;
    return 0;
}

/* Activations retained per item (GiB). The measured tables were taken without
 * torch.no_grad(), so intermediate tensors of the forward pass stay alive; their total
 * grows with the activation count (and, for some architectures, with compute). */
static double act_gib_per_item(const js_pm_params *p, const js_pm_facts *f)
{
    return p->mem_alpha_act * f->act_m + p->mem_alpha_flop * f->gflops;
}

bool js_pm_fits_memory(const js_pm_params *p, const js_pm_facts *f, const js_pm_hw *hw,
                       int batch, int workers)
{
    double per_worker = p->mem_m0 + 4.0 * f->params_m / 1024.0 +
                        (double)batch * act_gib_per_item(p, f);
    return (double)workers * per_worker <= hw->mem_gib;
}

bool js_pm_predict(const js_pm_params *p, const js_pm_facts *f, const js_pm_hw *hw,
                   int batch, int workers, double *lat_ms, double *thr)
{
    *lat_ms = 0.0;
    *thr = 0.0;
    if (hw->sms <= 0 || hw->mem_frac <= 0.0 || hw->bw_gbs <= 0.0 || hw->clock_mhz <= 0.0 ||
        batch < 1 || workers < 1)
        return false;
    if (!js_pm_fits_memory(p, f, hw, batch, workers))
        return false;
    double b = (double)batch, k = (double)workers;
    double t_cpu = p->t0 + p->c_op * f->ops;
    double t_item =
        (p->a_flop * f->gflops + p->a_op * f->ops) * pow(JS_PM_SREF / (double)hw->sms, p->gamma) *
            (JS_PM_FREF_MHZ / hw->clock_mhz) +
        p->a_act * f->act_m * pow(JS_PM_BREF_GBS / (hw->bw_gbs * hw->mem_frac), p->gamma);
    double t_w = p->omega * 4.0 * f->params_m / (hw->bw_gbs * hw->mem_frac);
    double t_gpu = (b + p->h) * t_item + t_w;
    double t_k = k * (1.0 + p->mu * (k - 1.0)) * t_gpu;
    /* Smooth maximum: p -> 1 adds CPU and GPU time, p -> inf overlaps them fully. */
    double hi = fmax(t_cpu, t_k);
    double t = hi * pow(pow(t_cpu / hi, p->p) + pow(t_k / hi, p->p), 1.0 / p->p);
    if (!(t > 0.0) || !isfinite(t))
        return false;
    *lat_ms = t;
    *thr = 1000.0 * b / t;
    return true;
}
