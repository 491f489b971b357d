/* CUDA device: runs a model's proxy (its layer table, see models.c) on the GPU in FP16
 * with tensor cores.
 *
 *  - convolutions and depthwise convolutions: cuDNN convolution forward, NHWC half
 *    tensors, float accumulation, CUDNN_TENSOR_OP_MATH, group count = channels for
 *    depthwise; algorithm from cuDNN's heuristics (first that fits the workspace);
 *  - linear layers: cublasGemmEx, half in/out, CUBLAS_COMPUTE_32F (tensor cores);
 *  - attention GEMMs: cublasGemmStridedBatchedEx with one GEMM per head and item.
 * Every layer has its own weights (realistic DRAM traffic); activations ping-pong between
 * two buffers sized for the largest layer at the largest batch. Buffers hold small
 * pseudo-random values (power draw of zeros would flatter the clocks). A batch is timed
 * with CUDA events around the whole layer sequence on the worker's stream, so launch gaps
 * count as they would in an eager framework.
 *
 * This file is compiled only with -Dcuda=enabled. It is opened inside a worker process
 * after fork(), with CUDA_MPS_ACTIVE_THREAD_PERCENTAGE or CUDA_VISIBLE_DEVICES already set.
 */
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

extern "C" {
#include "jigsaw/gpubackend.h"
}

namespace {

const size_t kWorkspaceLimit = 256u << 20;

struct conv_plan {
    cudnnTensorDescriptor_t x = nullptr, y = nullptr;
    cudnnFilterDescriptor_t w = nullptr;
    cudnnConvolutionDescriptor_t conv = nullptr;
    /* cuDNN's heuristic ranking (within the workspace); the first that executes is kept */
    cudnnConvolutionFwdAlgo_t algos[8] = {};
    int nalgos = 0, cur = 0;
};

struct cuda_ctx {
    js_proxy_model *model = nullptr;
    int max_batch = 0;
    cudaStream_t stream = nullptr;
    cublasHandle_t blas = nullptr;
    cudnnHandle_t dnn = nullptr;
    cudaEvent_t ev0 = nullptr, ev1 = nullptr;
    __half *act[2] = {nullptr, nullptr};
    __half *weights = nullptr;
    size_t *woff = nullptr;           /* per layer offset into weights */
    size_t *wstride = nullptr;        /* per layer elements of one weight set */
    int *wsets = nullptr;             /* per layer distinct weight sets (repeat r uses r % sets) */
    void *workspace = nullptr;
    conv_plan **plans = nullptr;      /* [batch][layer], built on first use */
};

__global__ void fill_kernel(__half *p, size_t n, unsigned seed)
{
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (; i < n; i += stride) {
        unsigned h = (unsigned)(i * 2654435761u) ^ seed;
        h ^= h >> 15;
        h *= 2246822519u;
        h ^= h >> 13;
        float v = ((float)(h & 0xffff) / 65535.0f - 0.5f) * 0.02f;
        p[i] = __float2half(v);
    }
}

int cuda_fail(js_diag *d, const char *what, cudaError_t e)
{
    int code = (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver)
                   ? JS_EXIT_NOTAVAIL : JS_EXIT_INTERNAL;
    return js_diag_set(d, code, "CUDA: %s: %s", what, cudaGetErrorString(e));
}

int dnn_fail(js_diag *d, const char *model, int layer, const char *what, cudnnStatus_t s)
{
    return js_diag_set(d, JS_EXIT_INTERNAL, "cuDNN: %s layer %d: %s: %s", model, layer, what,
                       cudnnGetErrorString(s));
}

int blas_fail(js_diag *d, const char *model, int layer, cublasStatus_t s)
{
    return js_diag_set(d, JS_EXIT_INTERNAL, "cuBLAS: %s layer %d: status %d", model, layer,
                       (int)s);
}

size_t layer_in_elems(const js_layer *l)
{
    switch (l->kind) {
    case JS_LAYER_CONV:
    case JS_LAYER_DWCONV:
        return (size_t)l->h * l->w * l->cin;
    case JS_LAYER_GEMM:
        return (size_t)l->m * l->k;
    case JS_LAYER_BGEMM:
        return (size_t)l->count * ((size_t)l->m * l->k + (size_t)l->k * l->n);
    }
    return 0;
}

size_t layer_out_elems(const js_layer *l)
{
    switch (l->kind) {
    case JS_LAYER_CONV:
    case JS_LAYER_DWCONV:
        /* cuDNN's output may exceed ho x wo by one column for even kernels */
        return (size_t)(l->ho + 1) * (l->wo + 1) * l->cout;
    case JS_LAYER_GEMM:
    case JS_LAYER_BGEMM:
        return (size_t)l->count * l->m * l->n;
    }
    return 0;
}

/* Elements of one weight set, padded to 256 bytes. */
size_t layer_weight_elems(const js_layer *l)
{
    return ((size_t)js_layer_params(l) + 127) / 128 * 128;
}

/* Distinct weight sets the repeats of a layer cycle through: layers repeated for depth
 * have their own weights each; decode steps reuse their decoder's. */
int layer_weight_sets(const js_layer *l)
{
    int sets = l->weight_sets > 0 ? l->weight_sets : l->repeat;
    return sets > 0 ? sets : 1;
}

void destroy_plan(conv_plan *p)
{
    if (p->x)
        cudnnDestroyTensorDescriptor(p->x);
    if (p->y)
        cudnnDestroyTensorDescriptor(p->y);
    if (p->w)
        cudnnDestroyFilterDescriptor(p->w);
    if (p->conv)
        cudnnDestroyConvolutionDescriptor(p->conv);
}

int build_conv_plan(cuda_ctx *c, int li, int batch, conv_plan *p, js_diag *d)
{
    const js_layer *l = &c->model->layers[li];
    const char *name = c->model->name;
    int groups = l->kind == JS_LAYER_DWCONV ? l->cin : 1;
    int pad_h = (l->kh - 1) / 2, pad_w = (l->kw - 1) / 2;
    cudnnStatus_t s;
    if ((s = cudnnCreateTensorDescriptor(&p->x)) != CUDNN_STATUS_SUCCESS ||
        (s = cudnnCreateTensorDescriptor(&p->y)) != CUDNN_STATUS_SUCCESS ||
        (s = cudnnCreateFilterDescriptor(&p->w)) != CUDNN_STATUS_SUCCESS ||
        (s = cudnnCreateConvolutionDescriptor(&p->conv)) != CUDNN_STATUS_SUCCESS)
        return dnn_fail(d, name, li, "descriptor", s);
    if ((s = cudnnSetTensor4dDescriptor(p->x, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF, batch,
                                        l->cin, l->h, l->w)) != CUDNN_STATUS_SUCCESS)
        return dnn_fail(d, name, li, "input tensor", s);
    if ((s = cudnnSetFilter4dDescriptor(p->w, CUDNN_DATA_HALF, CUDNN_TENSOR_NHWC, l->cout,
                                        l->cin / groups, l->kh, l->kw)) !=
        CUDNN_STATUS_SUCCESS)
        return dnn_fail(d, name, li, "filter", s);
    if ((s = cudnnSetConvolution2dDescriptor(p->conv, pad_h, pad_w, l->stride, l->stride, 1,
                                             1, CUDNN_CROSS_CORRELATION,
                                             CUDNN_DATA_FLOAT)) != CUDNN_STATUS_SUCCESS ||
        (s = cudnnSetConvolutionGroupCount(p->conv, groups)) != CUDNN_STATUS_SUCCESS ||
        (s = cudnnSetConvolutionMathType(p->conv, CUDNN_TENSOR_OP_MATH)) !=
            CUDNN_STATUS_SUCCESS)
        return dnn_fail(d, name, li, "convolution", s);
    int n = 0, ch = 0, h = 0, w = 0;
    if ((s = cudnnGetConvolution2dForwardOutputDim(p->conv, p->x, p->w, &n, &ch, &h, &w)) !=
            CUDNN_STATUS_SUCCESS ||
        (s = cudnnSetTensor4dDescriptor(p->y, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF, n, ch, h,
                                        w)) != CUDNN_STATUS_SUCCESS)
        return dnn_fail(d, name, li, "output tensor", s);
    cudnnConvolutionFwdAlgoPerf_t perf[8];
    int returned = 0;
    if ((s = cudnnGetConvolutionForwardAlgorithm_v7(c->dnn, p->x, p->w, p->conv, p->y, 8,
                                                    &returned, perf)) !=
        CUDNN_STATUS_SUCCESS)
        return dnn_fail(d, name, li, "algorithm heuristics", s);
    for (int i = 0; i < returned && p->nalgos < 8; i++)
        if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= kWorkspaceLimit)
            p->algos[p->nalgos++] = perf[i].algo;
    if (p->nalgos > 0)
        return 0;
    return js_diag_set(d, JS_EXIT_INTERNAL,
                       "cuDNN: %s layer %d: no forward algorithm within %zu MiB of workspace",
                       name, li, kWorkspaceLimit >> 20);
}

int plans_for_batch(cuda_ctx *c, int batch, js_diag *d)
{
    if (c->plans[batch])
        return 0;
    conv_plan *p = new (std::nothrow) conv_plan[c->model->nlayers];
    if (!p)
        return js_diag_set(d, JS_EXIT_INTERNAL, "CUDA device: out of memory");
    c->plans[batch] = p;
    for (int i = 0; i < c->model->nlayers; i++) {
        const js_layer *l = &c->model->layers[i];
        if (l->kind == JS_LAYER_CONV || l->kind == JS_LAYER_DWCONV)
            if (build_conv_plan(c, i, batch, &p[i], d) != 0)
                return d->code;
    }
    return 0;
}

int run_layer(cuda_ctx *c, int li, int batch, int *flip, js_diag *d)
{
    const js_layer *l = &c->model->layers[li];
    const float one = 1.0f, zero = 0.0f;
    for (int r = 0; r < l->repeat; r++) {
        __half *wt = c->weights + c->woff[li] + (size_t)(r % c->wsets[li]) * c->wstride[li];
        __half *x = c->act[*flip], *y = c->act[1 - *flip];
        if (l->kind == JS_LAYER_CONV || l->kind == JS_LAYER_DWCONV) {
            conv_plan *p = &c->plans[batch][li];
            cudnnStatus_t s;
            /* An algorithm the heuristics offered may still refuse this shape: try the
             * next one (the choice sticks, so this happens during warm-up). */
            while ((s = cudnnConvolutionForward(c->dnn, &one, p->x, x, p->w, wt, p->conv,
                                                p->algos[p->cur], c->workspace,
                                                kWorkspaceLimit, &zero, p->y, y)) ==
                       CUDNN_STATUS_NOT_SUPPORTED &&
                   p->cur + 1 < p->nalgos)
                p->cur++;
            if (s != CUDNN_STATUS_SUCCESS)
                return dnn_fail(d, c->model->name, li, "forward", s);
        } else if (l->kind == JS_LAYER_GEMM) {
            /* row-major Y[bm, n] = X[bm, k] W[k, n] as column-major Y^T = W^T X^T */
            cublasStatus_t s = cublasGemmEx(
                c->blas, CUBLAS_OP_N, CUBLAS_OP_N, l->n, l->m * batch, l->k, &one, wt,
                CUDA_R_16F, l->n, x, CUDA_R_16F, l->k, &zero, y, CUDA_R_16F, l->n,
                CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
            if (s != CUBLAS_STATUS_SUCCESS)
                return blas_fail(d, c->model->name, li, s);
        } else {
            /* per item and head: C[m, n] = A[m, k] B[k, n], both activations */
            long long sa = (long long)l->m * l->k, sb = (long long)l->k * l->n,
                      sc = (long long)l->m * l->n;
            const __half *b = x + sa * l->count * batch;
            cublasStatus_t s = cublasGemmStridedBatchedEx(
                c->blas, CUBLAS_OP_N, CUBLAS_OP_N, l->n, l->m, l->k, &one, b, CUDA_R_16F,
                l->n, sb, x, CUDA_R_16F, l->k, sa, &zero, y, CUDA_R_16F, l->n, sc,
                l->count * batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
            if (s != CUBLAS_STATUS_SUCCESS)
                return blas_fail(d, c->model->name, li, s);
        }
        *flip = 1 - *flip;
    }
    return 0;
}

int cuda_run_batch(js_gpu_device *dev, int batch, double *elapsed_ms, js_diag *d)
{
    cuda_ctx *c = static_cast<cuda_ctx *>(dev->ctx);
    if (batch < 1 || batch > c->max_batch)
        return js_diag_set(d, JS_EXIT_INTERNAL, "CUDA device: batch %d outside 1..%d", batch,
                           c->max_batch);
    if (plans_for_batch(c, batch, d) != 0)
        return d->code;
    cudaError_t e = cudaEventRecord(c->ev0, c->stream);
    if (e != cudaSuccess)
        return cuda_fail(d, "event record", e);
    int flip = 0;
    for (int i = 0; i < c->model->nlayers; i++)
        if (run_layer(c, i, batch, &flip, d) != 0)
            return d->code;
    if ((e = cudaEventRecord(c->ev1, c->stream)) != cudaSuccess ||
        (e = cudaEventSynchronize(c->ev1)) != cudaSuccess)
        return cuda_fail(d, "batch execution", e);
    float ms = 0;
    if ((e = cudaEventElapsedTime(&ms, c->ev0, c->ev1)) != cudaSuccess)
        return cuda_fail(d, "event timing", e);
    *elapsed_ms = ms;
    return 0;
}

void cuda_close(js_gpu_device *dev)
{
    if (!dev)
        return;
    cuda_ctx *c = static_cast<cuda_ctx *>(dev->ctx);
    if (c) {
        if (c->plans) {
            for (int b = 0; b <= c->max_batch; b++) {
                if (!c->plans[b])
                    continue;
                for (int i = 0; i < c->model->nlayers; i++)
                    destroy_plan(&c->plans[b][i]);
                delete[] c->plans[b];
            }
            free(c->plans);
        }
        cudaFree(c->act[0]);
        cudaFree(c->act[1]);
        cudaFree(c->weights);
        cudaFree(c->workspace);
        if (c->ev0)
            cudaEventDestroy(c->ev0);
        if (c->ev1)
            cudaEventDestroy(c->ev1);
        if (c->dnn)
            cudnnDestroy(c->dnn);
        if (c->blas)
            cublasDestroy(c->blas);
        if (c->stream)
            cudaStreamDestroy(c->stream);
        free(c->woff);
        free(c->wstride);
        free(c->wsets);
        free(c->model);
        delete c;
    }
    free(dev);
}

int fill(__half *p, size_t n, unsigned seed, cudaStream_t s, js_diag *d)
{
    fill_kernel<<<1024, 256, 0, s>>>(p, n, seed);
    cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? 0 : cuda_fail(d, "fill kernel", e);
}

int alloc_buffers(cuda_ctx *c, js_diag *d)
{
    size_t act = 0, wtotal = 0;
    size_t nl = (size_t)c->model->nlayers;
    c->woff = static_cast<size_t *>(calloc(nl + 1, sizeof(size_t)));
    c->wstride = static_cast<size_t *>(calloc(nl + 1, sizeof(size_t)));
    c->wsets = static_cast<int *>(calloc(nl + 1, sizeof(int)));
    if (!c->woff || !c->wstride || !c->wsets)
        return js_diag_set(d, JS_EXIT_INTERNAL, "CUDA device: out of memory");
    for (int i = 0; i < c->model->nlayers; i++) {
        const js_layer *l = &c->model->layers[i];
        size_t in = layer_in_elems(l), out = layer_out_elems(l);
        act = std::max(act, std::max(in, out));
        c->woff[i] = wtotal;
        c->wstride[i] = layer_weight_elems(l);
        c->wsets[i] = layer_weight_sets(l);
        wtotal += c->wstride[i] * (size_t)c->wsets[i];
    }
    act *= (size_t)c->max_batch;
    cudaError_t e;
    if ((e = cudaMalloc(&c->act[0], act * sizeof(__half))) != cudaSuccess ||
        (e = cudaMalloc(&c->act[1], act * sizeof(__half))) != cudaSuccess ||
        (e = cudaMalloc(&c->weights, std::max(wtotal, (size_t)128) * sizeof(__half))) !=
            cudaSuccess ||
        (e = cudaMalloc(&c->workspace, kWorkspaceLimit)) != cudaSuccess)
        return cuda_fail(d, "device memory", e);
    if (fill(c->act[0], act, 1u, c->stream, d) || fill(c->act[1], act, 2u, c->stream, d) ||
        fill(c->weights, wtotal, 3u, c->stream, d))
        return d->code;
    if ((e = cudaStreamSynchronize(c->stream)) != cudaSuccess)
        return cuda_fail(d, "initialising buffers", e);
    return 0;
}

int cuda_open(const js_device_factory *f, const js_worker_spec *spec, js_gpu_device **out,
              js_diag *d)
{
    (void)f;
    *out = nullptr;
    js_gpu_device *dev = static_cast<js_gpu_device *>(calloc(1, sizeof *dev));
    cuda_ctx *c = new (std::nothrow) cuda_ctx;
    js_proxy_model *m = static_cast<js_proxy_model *>(malloc(sizeof *m));
    if (!dev || !c || !m) {
        free(dev);
        delete c;
        free(m);
        return js_diag_set(d, JS_EXIT_INTERNAL, "CUDA device: out of memory");
    }
    dev->kind = "cuda";
    dev->ctx = c;
    dev->run_batch = cuda_run_batch;
    dev->close = cuda_close;
    c->model = m;
    c->max_batch = spec->max_batch > 0 ? spec->max_batch : 1;
    int rc = js_proxy_build(spec->model, m, d);
    cudaError_t e = cudaSuccess;
    if (rc == 0 && (e = cudaSetDevice(spec->mig_uuid[0] ? 0 : spec->device_index)) !=
                       cudaSuccess)
        rc = cuda_fail(d, "select device", e);
    if (rc == 0 && (e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking)) !=
                       cudaSuccess)
        rc = cuda_fail(d, "stream", e);
    if (rc == 0 && ((e = cudaEventCreate(&c->ev0)) != cudaSuccess ||
                    (e = cudaEventCreate(&c->ev1)) != cudaSuccess))
        rc = cuda_fail(d, "events", e);
    if (rc == 0 && (cublasCreate(&c->blas) != CUBLAS_STATUS_SUCCESS ||
                    cublasSetStream(c->blas, c->stream) != CUBLAS_STATUS_SUCCESS))
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "cuBLAS: cannot create a handle");
    if (rc == 0 && (cudnnCreate(&c->dnn) != CUDNN_STATUS_SUCCESS ||
                    cudnnSetStream(c->dnn, c->stream) != CUDNN_STATUS_SUCCESS))
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "cuDNN: cannot create a handle");
    if (rc == 0) {
        c->plans = static_cast<conv_plan **>(calloc((size_t)c->max_batch + 1,
                                                    sizeof(conv_plan *)));
        if (!c->plans)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "CUDA device: out of memory");
    }
    if (rc == 0)
        rc = alloc_buffers(c, d);
    /* Warm every batch size the worker may form (cuDNN plans, cuBLAS heuristics, lazy
     * module loading), so that no request of a validation run pays for it. */
    double ms = 0;
    for (int b = 1; rc == 0 && b <= c->max_batch && b <= 64; b++)
        rc = cuda_run_batch(dev, b, &ms, d);
    if (rc != 0) {
        cuda_close(dev);
        return rc;
    }
    *out = dev;
    return 0;
}

} /* namespace */

extern "C" void js_cuda_factory(js_device_factory *out)
{
    out->open = cuda_open;
    out->arg = nullptr;
}

extern "C" bool js_cuda_built(void)
{
    return true;
}

extern "C" int js_cuda_probe(int device_index, js_gpu_probe *io, js_diag *d)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess)
        return js_diag_set(d, JS_EXIT_NOTAVAIL, "CUDA sees no usable GPU: %s",
                           cudaGetErrorString(e));
    if (device_index < 0 || device_index >= n)
        return js_diag_set(d, JS_EXIT_NOTAVAIL, "CUDA device %d not present (%d found)",
                           device_index, n);
    cudaDeviceProp prop;
    if ((e = cudaGetDeviceProperties(&prop, device_index)) != cudaSuccess)
        return js_diag_set(d, JS_EXIT_NOTAVAIL, "CUDA: device properties: %s",
                           cudaGetErrorString(e));
    io->sms = prop.multiProcessorCount;
    io->cc_major = prop.major;
    io->cc_minor = prop.minor;
    if (!io->name[0])
        snprintf(io->name, sizeof io->name, "%.127s", prop.name);
    if (!(io->memory_gib > 0))
        io->memory_gib = (double)prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0);
    int rt = 0, drv = 0;
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    snprintf(io->cuda_runtime, sizeof io->cuda_runtime, "%d.%d", rt / 1000, (rt % 1000) / 10);
    if (!io->cuda_driver_version)
        io->cuda_driver_version = drv;
    return 0;
}
