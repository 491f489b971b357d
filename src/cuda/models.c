/* Proxy workloads: layer tables built from the published architectures.
 *
 * Each table lists the layers that carry a model's compute -- convolutions, depthwise
 * convolutions, linear layers and attention GEMMs -- with their real shapes at the model's
 * input resolution. Element-wise work (batch norm folded into the convolutions, activations,
 * residual adds, pooling, upsampling, softmax, layer norm) is not executed: inference
 * engines fuse it into the neighbouring kernels, and it carries no MACs that the published
 * figures count. The published GMAC/parameter figures come from model-facts.md (sources
 * named per model); js_proxy_table_to_json reports the ratios.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/gpubackend.h"

typedef struct builder {
    js_proxy_model *m;
    int h, w, c;     /* current feature map */
    int overflow;
} builder;

static js_layer *add_layer(builder *b)
{
    if (b->m->nlayers >= JS_PROXY_MAX_LAYERS) {
        b->overflow = 1;
        return NULL;
    }
    js_layer *l = &b->m->layers[b->m->nlayers++];
    memset(l, 0, sizeof *l);
    l->repeat = 1;
    l->count = 1;
    return l;
}

/* Output size of a "same"-padded convolution: ceil(in / stride). This holds for every
 * convolution in these models (ResNet's 7x7/2 with padding 3, YOLOv5's 6x6/2 stem with
 * padding 2, EfficientNet's kxk/2 with padding (k-1)/2). */
static int conv_out(int in, int k, int stride)
{
    (void)k;
    return (in + stride - 1) / stride;
}

/* Convolution on the current map (cin = b->c); moves the map to the output. */
static void conv_k(builder *b, int cout, int kh, int kw, int stride, int depthwise)
{
    js_layer *l = add_layer(b);
    if (!l)
        return;
    l->kind = depthwise ? JS_LAYER_DWCONV : JS_LAYER_CONV;
    l->h = b->h;
    l->w = b->w;
    l->cin = b->c;
    l->cout = depthwise ? b->c : cout;
    l->kh = kh;
    l->kw = kw;
    l->stride = stride;
    l->ho = b->h == 1 ? 1 : conv_out(b->h, kh, stride);
    l->wo = conv_out(b->w, kw, stride);
    b->h = l->ho;
    b->w = l->wo;
    b->c = l->cout;
}

static void conv(builder *b, int cout, int k, int stride)
{
    conv_k(b, cout, k, k, stride, 0);
}

/* A 1-D convolution (kernel k) over length w, not moving the current map. */
static js_layer *conv1d_at(builder *b, int w, int cin, int cout, int k)
{
    builder t = *b;
    t.h = 1;
    t.w = w;
    t.c = cin;
    conv_k(&t, cout, 1, k, 1, 0);
    b->overflow |= t.overflow;
    return t.overflow ? NULL : &b->m->layers[b->m->nlayers - 1];
}

/* A convolution on an explicitly given input, not moving the current map. */
static void conv_at(builder *b, int h, int w, int cin, int cout, int k, int stride)
{
    builder t = *b;
    t.h = h;
    t.w = w;
    t.c = cin;
    conv(&t, cout, k, stride);
    b->overflow |= t.overflow;
}

static void gemm(builder *b, int m, int k, int n, int repeat)
{
    js_layer *l = add_layer(b);
    if (!l)
        return;
    l->kind = JS_LAYER_GEMM;
    l->m = m;
    l->k = k;
    l->n = n;
    l->repeat = repeat;
}

static void bgemm(builder *b, int count, int m, int k, int n, int repeat)
{
    js_layer *l = add_layer(b);
    if (!l)
        return;
    l->kind = JS_LAYER_BGEMM;
    l->count = count;
    l->m = m;
    l->k = k;
    l->n = n;
    l->repeat = repeat;
}

static void pool2(builder *b)
{
    b->h = (b->h + 1) / 2;
    b->w = (b->w + 1) / 2;
}

static void begin(builder *b, js_proxy_model *m, const char *name, const char *family,
                  int h, int w, int c)
{
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    snprintf(m->family, sizeof m->family, "%s", family);
    if (h == 1)
        snprintf(m->input, sizeof m->input, "%dx%d", c, w);
    else
        snprintf(m->input, sizeof m->input, "%dx%dx%d", c, h, w);
    m->pub_gmacs = NAN;
    m->pub_params_m = NAN;
    b->m = m;
    b->h = h;
    b->w = w;
    b->c = c;
    b->overflow = 0;
}

/* ---------------------------------------------------------------- ResNet (torchvision) */

static void build_resnet(builder *b, js_proxy_model *m, int depth)
{
    static const struct { int depth, bottleneck, blocks[4]; double gmacs, params; } cfg[] = {
        {18, 0, {2, 2, 2, 2}, 1.81, 11.689512},  {34, 0, {3, 4, 6, 3}, 3.66, 21.797672},
        {50, 1, {3, 4, 6, 3}, 4.09, 25.557032},  {101, 1, {3, 4, 23, 3}, 7.80, 44.5},
        {152, 1, {3, 8, 36, 3}, 11.51, 60.2},
    };
    int ci = 0;
    for (int i = 0; i < 5; i++)
        if (cfg[i].depth == depth)
            ci = i;
    char name[32];
    snprintf(name, sizeof name, "resnet%d", depth);
    begin(b, m, name, "resnet", 224, 224, 3);
    conv(b, 64, 7, 2);
    pool2(b); /* 3x3/2 max pool */
    int expansion = cfg[ci].bottleneck ? 4 : 1;
    for (int s = 0; s < 4; s++) {
        int planes = 64 << s;
        for (int blk = 0; blk < cfg[ci].blocks[s]; blk++) {
            int stride = (blk == 0 && s > 0) ? 2 : 1;
            int in_h = b->h, in_w = b->w, in_c = b->c;
            if (cfg[ci].bottleneck) { /* torchvision v1.5: stride on the 3x3 */
                conv(b, planes, 1, 1);
                conv(b, planes, 3, stride);
                conv(b, planes * 4, 1, 1);
            } else {
                conv(b, planes, 3, stride);
                conv(b, planes, 3, 1);
            }
            if (blk == 0 && (stride != 1 || in_c != planes * expansion))
                conv_at(b, in_h, in_w, in_c, planes * expansion, 1, stride);
        }
    }
    gemm(b, 1, 512 * expansion, 1000, 1);
    m->pub_gmacs = cfg[ci].gmacs;
    m->pub_params_m = cfg[ci].params;
    snprintf(m->pub_source, sizeof m->pub_source,
             "torchvision IMAGENET1K_V1 docs (\"GFLOPS\" = GMACs), model-facts.md 2a");
    snprintf(m->notes, sizeof m->notes,
             "torchvision ResNet v1.5 at 224x224: every convolution and the classifier; batch "
             "norm folded, pooling and residual adds not executed.");
}

/* ---------------------------------------------------------------- VGG (torchvision) */

static void build_vgg(builder *b, js_proxy_model *m, int depth)
{
    /* convolutions per stage */
    static const struct { int depth, per_stage[5]; double gmacs, params; } cfg[] = {
        {11, {1, 1, 2, 2, 2}, 7.61, 132.86},  {13, {2, 2, 2, 2, 2}, 11.31, 133.047848},
        {16, {2, 2, 3, 3, 3}, 15.47, 138.357544}, {19, {2, 2, 4, 4, 4}, 19.63, 143.667240},
    };
    int ci = 0;
    for (int i = 0; i < 4; i++)
        if (cfg[i].depth == depth)
            ci = i;
    char name[32];
    snprintf(name, sizeof name, "vgg%d", depth);
    begin(b, m, name, "vgg", 224, 224, 3);
    static const int width[5] = {64, 128, 256, 512, 512};
    for (int s = 0; s < 5; s++) {
        for (int i = 0; i < cfg[ci].per_stage[s]; i++)
            conv(b, width[s], 3, 1);
        pool2(b);
    }
    gemm(b, 1, 512 * 7 * 7, 4096, 1);
    gemm(b, 1, 4096, 4096, 1);
    gemm(b, 1, 4096, 1000, 1);
    m->pub_gmacs = cfg[ci].gmacs;
    m->pub_params_m = cfg[ci].params;
    snprintf(m->pub_source, sizeof m->pub_source,
             "torchvision IMAGENET1K_V1 docs (\"GFLOPS\" = GMACs), model-facts.md 1c");
    snprintf(m->notes, sizeof m->notes,
             "torchvision VGG at 224x224: all 3x3 convolutions and the three classifier "
             "layers; pooling and ReLU not executed.");
}

/* ---------------------------------------------------------------- EfficientNet */

static int make_divisible(double v, int divisor)
{
    int nv = (int)((v + divisor / 2.0) / divisor) * divisor;
    if (nv < divisor)
        nv = divisor;
    if (nv < 0.9 * v)
        nv += divisor;
    return nv;
}

static void build_efficientnet(builder *b, js_proxy_model *m, int variant)
{
    static const struct { double width, depth; int res; double gmacs, params; } sc[8] = {
        {1.0, 1.0, 224, 0.39, 5.3}, {1.0, 1.1, 240, 0.70, 7.8}, {1.1, 1.2, 260, 1.0, 9.2},
        {1.2, 1.4, 300, 1.8, 12},   {1.4, 1.8, 380, 4.2, 19},   {1.6, 2.2, 456, 9.9, 30},
        {1.8, 2.6, 528, 19, 43},    {2.0, 3.1, 600, 37, 66},
    };
    /* B0 stages: expand ratio, kernel, stride, output channels, repeats */
    static const int st[7][5] = {
        {1, 3, 1, 16, 1}, {6, 3, 2, 24, 2}, {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
        {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1},
    };
    char name[32];
    snprintf(name, sizeof name, "efficientnet-b%d", variant);
    double wm = sc[variant].width, dm = sc[variant].depth;
    begin(b, m, name, "efficientnet", sc[variant].res, sc[variant].res, 3);
    conv(b, make_divisible(32 * wm, 8), 3, 2);
    for (int s = 0; s < 7; s++) {
        int cout = make_divisible(st[s][3] * wm, 8);
        int reps = (int)ceil(st[s][4] * dm);
        for (int r = 0; r < reps; r++) {
            int cin = b->c;
            int exp = cin * st[s][0];
            if (st[s][0] != 1)
                conv(b, exp, 1, 1);
            conv_k(b, exp, st[s][1], st[s][1], r == 0 ? st[s][2] : 1, 1);
            int sq = cin / 4 > 1 ? cin / 4 : 1; /* squeeze-excitation on the pooled vector */
            gemm(b, 1, exp, sq, 1);
            gemm(b, 1, sq, exp, 1);
            conv(b, cout, 1, 1);
        }
    }
    conv(b, make_divisible(1280 * wm, 8), 1, 1);
    gemm(b, 1, b->c, 1000, 1);
    m->pub_gmacs = sc[variant].gmacs;
    m->pub_params_m = sc[variant].params;
    snprintf(m->pub_source, sizeof m->pub_source,
             "Tan & Le 2019 Table 2 (\"FLOPS\" = multiply-adds), model-facts.md 1b");
    snprintf(m->notes, sizeof m->notes,
             "EfficientNet MBConv at its native resolution: expand/project 1x1 convolutions, "
             "the depthwise kxk convolution executed as a grouped convolution with one group "
             "per channel (cuDNN), squeeze-excitation as two small GEMMs on the pooled vector; "
             "SiLU, the SE sigmoid scaling and drop-connect not executed.");
}

/* ---------------------------------------------------------------- YOLOv5 v6/v7 */

static void c3(builder *b, int c2, int n, int shortcut_unused)
{
    (void)shortcut_unused;
    int h = b->h, w = b->w, c1 = b->c;
    int c_ = c2 / 2;
    conv(b, c_, 1, 1);                 /* cv1 */
    for (int i = 0; i < n; i++) {      /* bottlenecks, e = 1.0 */
        conv(b, c_, 1, 1);
        conv(b, c_, 3, 1);
    }
    conv_at(b, h, w, c1, c_, 1, 1);    /* cv2 on the block input */
    b->c = 2 * c_;                     /* concat(m(cv1), cv2) */
    conv(b, c2, 1, 1);                 /* cv3 */
}

static void build_yolov5(builder *b, js_proxy_model *m, char size)
{
    static const struct { char size; double depth, width, gflops, params; } cfg[] = {
        {'n', 0.33, 0.25, 4.5, 1.9},   {'s', 0.33, 0.50, 16.5, 7.2},
        {'m', 0.67, 0.75, 49.0, 21.2}, {'l', 1.00, 1.00, 109.1, 46.5},
        {'x', 1.33, 1.25, 205.7, 86.7},
    };
    int ci = 0;
    for (int i = 0; i < 5; i++)
        if (cfg[i].size == size)
            ci = i;
    double dm = cfg[ci].depth, wm = cfg[ci].width;
#define CH(x) make_divisible((x) * wm, 8)
#define NR(x) ((int)lround((x) * dm) > 1 ? (int)lround((x) * dm) : 1)
    char name[32];
    snprintf(name, sizeof name, "yolov5%c", size);
    begin(b, m, name, "yolov5", 640, 640, 3);
    /* backbone */
    conv(b, CH(64), 6, 2);
    conv(b, CH(128), 3, 2);
    c3(b, CH(128), NR(3), 1);
    conv(b, CH(256), 3, 2);
    c3(b, CH(256), NR(6), 1);
    builder p3 = *b;                   /* layer 4 output (stride 8) */
    conv(b, CH(512), 3, 2);
    c3(b, CH(512), NR(9), 1);
    builder p4 = *b;                   /* layer 6 output (stride 16) */
    conv(b, CH(1024), 3, 2);
    c3(b, CH(1024), NR(3), 1);
    /* SPPF: cv1 1x1 to c/2, three 5x5 max pools, cv2 1x1 from 4 x c/2 */
    int c_ = b->c / 2;
    conv(b, c_, 1, 1);
    b->c = 4 * c_;
    conv(b, CH(1024), 1, 1);
    /* head */
    conv(b, CH(512), 1, 1);
    builder h10 = *b;
    b->h = p4.h;                       /* upsample x2, concat with layer 6 */
    b->w = p4.w;
    b->c = CH(512) + p4.c;
    c3(b, CH(512), NR(3), 0);
    conv(b, CH(256), 1, 1);
    builder h14 = *b;
    b->h = p3.h;
    b->w = p3.w;
    b->c = CH(256) + p3.c;
    c3(b, CH(256), NR(3), 0);
    builder out3 = *b;
    conv(b, CH(256), 3, 2);
    b->c += h14.c;
    c3(b, CH(512), NR(3), 0);
    builder out4 = *b;
    conv(b, CH(512), 3, 2);
    b->c += h10.c;
    c3(b, CH(1024), NR(3), 0);
    builder out5 = *b;
    /* Detect: 1x1 to 3 anchors x (80 classes + 5) at each scale */
    conv_at(b, out3.h, out3.w, out3.c, 255, 1, 1);
    conv_at(b, out4.h, out4.w, out4.c, 255, 1, 1);
    conv_at(b, out5.h, out5.w, out5.c, 255, 1, 1);
#undef CH
#undef NR
    m->pub_gmacs = cfg[ci].gflops / 2.0; /* Ultralytics reports FLOPs = 2 x MACs */
    m->pub_params_m = cfg[ci].params;
    snprintf(m->pub_source, sizeof m->pub_source,
             "Ultralytics YOLOv5 v6/v7 README (GFLOPs = 2 x GMAC), model-facts.md 1a");
    snprintf(m->notes, sizeof m->notes,
             "YOLOv5 v6 backbone (CSP C3 blocks, SPPF), PAN head and Detect convolutions at "
             "640x640; SiLU, max pools, upsampling and concatenation not executed; "
             "no NMS.");
}

/* ---------------------------------------------------------------- transformers */

/* One pre-norm transformer layer over t tokens: QKV, attention, output, MLP. */
static void transformer_layer(builder *b, int t, int d, int heads, int mlp, int ctx,
                              int repeat)
{
    int dh = d / heads;
    gemm(b, t, d, 3 * d, repeat);         /* Q, K, V projections */
    bgemm(b, heads, t, dh, ctx, repeat);  /* Q . K^T */
    bgemm(b, heads, t, ctx, dh, repeat);  /* softmax(.) . V */
    gemm(b, t, d, d, repeat);             /* output projection */
    gemm(b, t, d, mlp, repeat);
    gemm(b, t, mlp, d, repeat);
}

/* GIT: CLIP ViT image encoder, then a 6-layer BERT-sized decoder over [image; text]
 * tokens: one prefill over the image tokens, then `steps` decode steps for `beam` beams
 * attending to the cache (average context length used for the attention GEMMs). */
static void build_git(builder *b, js_proxy_model *m, int large)
{
    int patch = large ? 14 : 16, d = large ? 1024 : 768, layers = large ? 24 : 12;
    int heads = large ? 16 : 12, mlp = 4 * d;
    int grid = 224 / patch, tokens = grid * grid + 1;
    const int dd = 768, dheads = 12, dmlp = 3072, dlayers = 6, vocab = 30522;
    const int steps = 20, beam = 4;
    begin(b, m, large ? "git-large" : "git-base", "git", 224, 224, 3);
    gemm(b, grid * grid, 3 * patch * patch, d, 1);       /* patch embedding */
    transformer_layer(b, tokens, d, heads, mlp, tokens, layers);
    m->pub_layers = m->nlayers;                          /* published: image tower */
    gemm(b, tokens, d, dd, 1);                           /* visual projection */
    transformer_layer(b, tokens, dd, dheads, dmlp, tokens, dlayers); /* decoder prefill */
    int first_step = m->nlayers;
    int ctx = tokens + steps / 2;
    transformer_layer(b, beam, dd, dheads, dmlp, ctx, dlayers * steps);
    for (int i = first_step; i < m->nlayers; i++) {
        m->layers[i].reuses_weights = true;              /* same weights as the prefill */
        m->layers[i].weight_sets = dlayers;
    }
    gemm(b, beam, dd, vocab, steps);                     /* output vocabulary */
    if (m->nlayers > 0)
        m->layers[m->nlayers - 1].weight_sets = 1;
    m->pub_gmacs = (large ? 162.03 : 35.13) / 2.0;
    m->pub_params_m = large ? 303.97 : 86.19;
    snprintf(m->pub_source, sizeof m->pub_source,
             "open_clip model_profile.csv, CLIP %s image tower (FLOPs = 2 x MACs; the GIT "
             "decoder's compute is unpublished), model-facts.md 2b/2d",
             large ? "ViT-L/14" : "ViT-B/16");
    snprintf(m->notes, sizeof m->notes,
             "GIT_%s: CLIP %s encoder at 224 (%d tokens), visual projection, 6-layer decoder "
             "(768 hidden, 12 heads) prefilled over the image tokens, then %d decode steps of "
             "beam %d with a KV cache (attention over the mean context) and the 30522-word "
             "output layer. The published figures cover the image encoder only; the ratio is "
             "taken over the encoder layers.",
             large ? "L" : "B", large ? "ViT-L/14" : "ViT-B/16", tokens, steps, beam);
}

/* VITS-like TTS (the architecture of Piper's voices): text encoder (6 transformer layers,
 * 2 heads, filter 4 x hidden) over ~100 phonemes, a duration predictor, a 4-step
 * affine-coupling flow of 4 WaveNet layers on the frames, and a HiFi-GAN generator
 * producing `seconds` of audio (hop 256, upsampling 8, 8, 2, 2). Transposed convolutions
 * (upsampling by r with kernel 2r) are executed as stride-1 convolutions of kernel 2 on the
 * upsampled length: the same MACs. Tier sizes follow Piper's training configurations
 * [recalled, unconfirmed]: x-low 96 hidden / 256 generator channels / resblock type 2;
 * low, medium 192 / 256 / type 2 and type 1; high 192 / 512 / type 1. */
static void build_vits(builder *b, js_proxy_model *m, const char *tier)
{
    static const struct {
        const char *tier;
        int hidden, ch, rate, reskern[3], resconvs;
        double params;
    } cfg[] = {
        {"x-low", 96, 256, 16000, {3, 5, 7}, 2, 6},
        {"low", 192, 256, 16000, {3, 5, 7}, 2, 17.5},
        {"medium", 192, 256, 22050, {3, 7, 11}, 6, 17.5},
        {"high", 192, 512, 22050, {3, 7, 11}, 6, 30},
    };
    static const int ups[4] = {8, 8, 2, 2};
    int ci = 0;
    for (int i = 0; i < 4; i++)
        if (strcmp(cfg[i].tier, tier) == 0)
            ci = i;
    const double seconds = 3.0;
    const int hop = 256, phonemes = 100;
    int hidden = cfg[ci].hidden;
    int frames = (int)(seconds * cfg[ci].rate / hop);
    char name[32];
    snprintf(name, sizeof name, "tts-piper-%s", tier);
    begin(b, m, name, "vits", 1, frames, hidden);
    transformer_layer(b, phonemes, hidden, 2, 4 * hidden, phonemes, 6);
    gemm(b, phonemes, hidden, 2 * hidden, 1);            /* prior mean / log-scale */
    conv1d_at(b, phonemes, hidden, 256, 3);              /* duration predictor */
    conv1d_at(b, phonemes, 256, 256, 3);
    for (int f = 0; f < 4; f++) {                        /* flow */
        conv1d_at(b, frames, hidden / 2, hidden, 1);
        js_layer *l = conv1d_at(b, frames, hidden, 2 * hidden, 5);
        if (l)
            l->repeat = 4;
        l = conv1d_at(b, frames, hidden, 2 * hidden, 1);
        if (l)
            l->repeat = 4;
        conv1d_at(b, frames, hidden, hidden / 2, 1);
    }
    b->h = 1;                                            /* HiFi-GAN generator */
    b->w = frames;
    b->c = hidden;
    conv_k(b, cfg[ci].ch, 1, 7, 1, 0);
    int ch = cfg[ci].ch;
    for (int u = 0; u < 4; u++) {
        int in_ch = ch;
        ch /= 2;
        js_layer *l = conv1d_at(b, b->w * ups[u], in_ch, ch, 2);
        if (l)
            l->upsample = ups[u];
        b->w *= ups[u];
        b->c = ch;
        for (int r = 0; r < 3; r++) {
            l = conv1d_at(b, b->w, ch, ch, cfg[ci].reskern[r]);
            if (l)
                l->repeat = cfg[ci].resconvs;
        }
    }
    conv_k(b, 1, 1, 7, 1, 0);
    m->pub_gmacs = NAN;
    m->pub_params_m = cfg[ci].params;
    snprintf(m->pub_source, sizeof m->pub_source,
             "Piper voice tier parameter range (midpoint), model-facts.md 3a; no published "
             "compute");
    snprintf(m->notes, sizeof m->notes,
             "VITS-like Piper %s voice producing %.0f s of %d Hz audio: text encoder, "
             "duration predictor, 4-step WaveNet flow and a HiFi-GAN generator (%d initial "
             "channels); transposed convolutions as equal-MAC stride-1 convolutions; tier "
             "sizes recalled, not confirmed; the posterior encoder (training only) is absent.",
             tier, seconds, cfg[ci].rate, cfg[ci].ch);
}

/* ---------------------------------------------------------------- registry */

static const char *const proxy_names[] = {
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "vgg11", "vgg13", "vgg16", "vgg19",
    "efficientnet-b0", "efficientnet-b1", "efficientnet-b2", "efficientnet-b3",
    "efficientnet-b4", "efficientnet-b5", "efficientnet-b6", "efficientnet-b7",
    "yolov5n", "yolov5s", "yolov5m", "yolov5l", "yolov5x",
    "git-base", "git-large",
    "tts-piper-x-low", "tts-piper-low", "tts-piper-medium", "tts-piper-high",
};
#define NPROXIES ((int)(sizeof proxy_names / sizeof proxy_names[0]))

int js_proxy_count(void)
{
    return NPROXIES;
}

const char *js_proxy_name(int i)
{
    return (i >= 0 && i < NPROXIES) ? proxy_names[i] : NULL;
}

int js_proxy_build(const char *name, js_proxy_model *out, js_diag *d)
{
    builder b;
    int n = 0;
    if (sscanf(name, "resnet%d", &n) == 1 && (n == 18 || n == 34 || n == 50 || n == 101 ||
                                              n == 152))
        build_resnet(&b, out, n);
    else if (sscanf(name, "vgg%d", &n) == 1 && (n == 11 || n == 13 || n == 16 || n == 19))
        build_vgg(&b, out, n);
    else if (strncmp(name, "efficientnet-b", 14) == 0 && name[14] >= '0' && name[14] <= '7' &&
             name[15] == '\0')
        build_efficientnet(&b, out, name[14] - '0');
    else if (strncmp(name, "yolov5", 6) == 0 && name[6] && strchr("nsmlx", name[6]) &&
             name[7] == '\0')
        build_yolov5(&b, out, name[6]);
    else if (strcmp(name, "git-base") == 0 || strcmp(name, "git-large") == 0)
        build_git(&b, out, strcmp(name, "git-large") == 0);
    else if (strncmp(name, "tts-piper-", 10) == 0 &&
             (strcmp(name + 10, "x-low") == 0 || strcmp(name + 10, "low") == 0 ||
              strcmp(name + 10, "medium") == 0 || strcmp(name + 10, "high") == 0))
        build_vits(&b, out, name + 10);
    else
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "proxy model '%s': unknown (see 'jigsaw gpu models')", name);
    if (b.overflow)
        return js_diag_set(d, JS_EXIT_INTERNAL, "proxy model '%s': more than %d layers",
                           name, JS_PROXY_MAX_LAYERS);
    return JS_EXIT_OK;
}

double js_layer_macs(const js_layer *l)
{
    double macs = 0;
    switch (l->kind) {
    case JS_LAYER_CONV:
        macs = (double)l->ho * l->wo * l->cout * l->cin * l->kh * l->kw;
        break;
    case JS_LAYER_DWCONV:
        macs = (double)l->ho * l->wo * l->cout * l->kh * l->kw;
        break;
    case JS_LAYER_GEMM:
    case JS_LAYER_BGEMM:
        macs = (double)l->count * l->m * l->n * l->k;
        break;
    }
    return macs * l->repeat;
}

double js_layer_params(const js_layer *l)
{
    double p = 0;
    switch (l->kind) {
    case JS_LAYER_CONV:
        p = (double)l->cout * l->cin * l->kh * l->kw;
        break;
    case JS_LAYER_DWCONV:
        p = (double)l->cout * l->kh * l->kw;
        break;
    case JS_LAYER_GEMM:
        p = (double)l->k * l->n;
        break;
    case JS_LAYER_BGEMM:
        p = 0; /* both operands are activations */
        break;
    }
    return p;
}

static double layer_distinct_params(const js_layer *l)
{
    if (l->reuses_weights)
        return 0;
    double p = js_layer_params(l) * (l->upsample > 1 ? l->upsample : 1);
    return p * (l->weight_sets > 0 ? l->weight_sets : l->repeat);
}

static double layer_act_bytes(const js_layer *l)
{
    double e = 0;
    switch (l->kind) {
    case JS_LAYER_CONV:
    case JS_LAYER_DWCONV:
        e = (double)l->h * l->w * l->cin + (double)l->ho * l->wo * l->cout;
        break;
    case JS_LAYER_GEMM:
        e = (double)l->m * l->k + (double)l->m * l->n;
        break;
    case JS_LAYER_BGEMM:
        e = (double)l->count * ((double)l->m * l->k + (double)l->k * l->n +
                                (double)l->m * l->n);
        break;
    }
    return 2.0 * e * l->repeat;
}

void js_proxy_stats_compute(const js_proxy_model *m, js_proxy_stats *out)
{
    memset(out, 0, sizeof *out);
    double macs = 0, params = 0, act = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const js_layer *l = &m->layers[i];
        macs += js_layer_macs(l);
        params += layer_distinct_params(l);
        act += layer_act_bytes(l);
        out->nkernels += l->repeat;
        if (i + 1 == m->pub_layers) {
            out->pub_scope_gmacs = macs / 1e9;
            out->pub_scope_params_m = params / 1e6;
        }
    }
    if (m->pub_layers == 0) {
        out->pub_scope_gmacs = macs / 1e9;
        out->pub_scope_params_m = params / 1e6;
    }
    out->gmacs = macs / 1e9;
    out->params_m = params / 1e6;
    out->weight_mib = 2.0 * params / (1024.0 * 1024.0);
    out->act_mib = act / (1024.0 * 1024.0);
}

cJSON *js_proxy_table_to_json(js_diag *d)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr) {
        js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    js_proxy_model *m = malloc(sizeof *m);
    if (!m) {
        cJSON_Delete(arr);
        js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    for (int i = 0; i < NPROXIES; i++) {
        if (js_proxy_build(proxy_names[i], m, d) != 0) {
            free(m);
            cJSON_Delete(arr);
            return NULL;
        }
        js_proxy_stats st;
        js_proxy_stats_compute(m, &st);
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            free(m);
            cJSON_Delete(arr);
            js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
            return NULL;
        }
        cJSON_AddStringToObject(o, "model", m->name);
        cJSON_AddStringToObject(o, "input", m->input);
        cJSON_AddNumberToObject(o, "layers", m->nlayers);
        cJSON_AddNumberToObject(o, "kernels", st.nkernels);
        cJSON_AddNumberToObject(o, "gmacs", st.gmacs);
        js_json_add_num_or_null(o, "published_gmacs", m->pub_gmacs);
        js_json_add_num_or_null(o, "gmacs_ratio", st.pub_scope_gmacs / m->pub_gmacs);
        cJSON_AddNumberToObject(o, "params_m", st.params_m);
        js_json_add_num_or_null(o, "published_params_m", m->pub_params_m);
        js_json_add_num_or_null(o, "params_ratio", st.pub_scope_params_m / m->pub_params_m);
        cJSON_AddStringToObject(o, "published_scope",
                                m->pub_layers ? "image encoder" : "whole model");
        cJSON_AddNumberToObject(o, "scope_gmacs", st.pub_scope_gmacs);
        cJSON_AddNumberToObject(o, "scope_params_m", st.pub_scope_params_m);
        cJSON_AddNumberToObject(o, "weight_mib_fp16", st.weight_mib);
        cJSON_AddNumberToObject(o, "activation_mib_per_item_fp16", st.act_mib);
        cJSON_AddStringToObject(o, "published_source", m->pub_source);
        cJSON_AddStringToObject(o, "notes", m->notes);
    }
    free(m);
    return arr;
}
