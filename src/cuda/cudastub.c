/* The CUDA device in a build without CUDA (the default): every entry point reports that
 * the backend is not built in (exit code 4, JS_EXIT_NOTAVAIL). */
#include "jigsaw/gpubackend.h"

static int stub_open(const js_device_factory *f, const js_worker_spec *spec,
                     js_gpu_device **out, js_diag *d)
{
    (void)f;
    (void)spec;
    *out = NULL;
    return js_diag_set(d, JS_EXIT_NOTAVAIL,
                       "the CUDA backend is not built in (configure with meson setup "
                       "-Dcuda=enabled on a machine with the CUDA toolkit)");
}

void js_cuda_factory(js_device_factory *out)
{
    out->open = stub_open;
    out->arg = NULL;
}

bool js_cuda_built(void)
{
    return false;
}

int js_cuda_probe(int device_index, js_gpu_probe *io, js_diag *d)
{
    (void)device_index;
    (void)io;
    return js_diag_set(d, JS_EXIT_NOTAVAIL,
                       "the CUDA backend is not built in (configure with meson setup "
                       "-Dcuda=enabled on a machine with the CUDA toolkit)");
}
