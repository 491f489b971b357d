/* jigsaw gpu probe / models: what the GPU is (SMs, memory, MIG mode and instances, MPS)
 * and what the proxy workloads run (their layer tables against the published FLOPs and
 * parameters). Both only read: nothing is measured or written. probe needs a CUDA build
 * and a GPU; models needs neither. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_util.h"
#include "gpu_internal.h"

int gpu_cmd_probe(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"device", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool json = false;
    int device = 0, c;
    optind = 1;
    opterr = 0; /* js_cli_bad_option words the errors */
    while ((c = getopt_long(argc, argv, "jd:h", opts, NULL)) != -1) {
        if (c == 'j')
            json = true;
        else if (c == 'd') {
            long v;
            if (js_cli_parse_int(optarg, 0, 63, &v) != 0)
                return gpu_usage_error("probe", "--device: an integer in 0..63");
            device = (int)v;
        }
        else if (c == 'h') {
            printf("usage: jigsaw gpu probe [--json] [--device N]\n\n"
                   "Print the NVIDIA GPU's name, SMs, memory, driver and CUDA versions, MIG "
                   "mode and\ninstances, and whether MPS is available. Exit code 4 when the "
                   "CUDA backend is not\nbuilt in or no GPU is present.\n");
            return 0;
        } else
            return js_cli_bad_option("gpu probe", argv, "jd:h", opts);
    }
    js_diag d;
    js_diag_init(&d);
    js_gpu_probe p;
    if (gpu_need_device("probe", device, &p, &d) != 0)
        return gpu_finish(&d);
    cJSON *o = js_gpu_probe_to_json(&p);
    if (!o)
        return JS_EXIT_INTERNAL;
    if (json) {
        gpu_print_json(o);
    } else {
        char slug[JS_NAME_MAX];
        js_gpu_slug(p.name, p.memory_gib, slug, sizeof slug);
        printf("device      %s (%d found; profiles go to profiles/%s/)\n", p.name, p.ndevices,
               slug);
        printf("SMs         %d (compute capability %d.%d)\nmemory      %.1f GiB\n", p.sms,
               p.cc_major, p.cc_minor, p.memory_gib);
        printf("driver      %s (CUDA %d.%d), runtime %s\n", p.driver,
               p.cuda_driver_version / 1000, (p.cuda_driver_version % 1000) / 10,
               p.cuda_runtime);
        printf("MIG         %s, %d instance(s)\n",
               p.mig_mode == 1 ? "enabled" : p.mig_mode == 0 ? "disabled" : "unsupported",
               p.nmig);
        for (int i = 0; i < p.nmig; i++)
            printf("  %-12s %d slices %3d SMs %6.1f GiB  %s\n", p.mig_name[i],
                   p.mig_slices[i], p.mig_sms[i], p.mig_memory_gib[i], p.mig_uuid[i]);
        printf("MPS         control %s, daemon %s (%s)\n", p.mps_control ? "found" : "absent",
               p.mps_running ? "running" : "not running", p.mps_pipe_dir);
    }
    cJSON_Delete(o);
    return 0;
}


int gpu_cmd_models(int argc, char **argv)
{
    bool json;
    int rc = gpu_parse_json_help(argc, argv, "models",
                                 "usage: jigsaw gpu models [--json]\n\n"
                                 "The proxy workloads: per model, the layers executed (from the "
                                 "published architecture),\ntheir MACs and weights per item, and "
                                 "the ratio to the published figures.\n",
                                 &json);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    js_diag d;
    js_diag_init(&d);
    cJSON *t = js_proxy_table_to_json(&d);
    if (!t)
        return gpu_finish(&d);
    if (json) {
        gpu_print_json(t);
    } else {
        printf("%-16s %-10s %6s %9s %9s %6s %9s %9s %6s %8s %s\n", "model", "input", "layers",
               "GMAC", "pub GMAC", "ratio", "params M", "pub M", "ratio", "act MiB", "scope");
        const cJSON *o;
        cJSON_ArrayForEach(o, t)
        {
            const cJSON *pg = cJSON_GetObjectItem(o, "published_gmacs");
            const cJSON *rg = cJSON_GetObjectItem(o, "gmacs_ratio");
            const cJSON *pp = cJSON_GetObjectItem(o, "published_params_m");
            const cJSON *rp = cJSON_GetObjectItem(o, "params_ratio");
            char b1[16] = "-", b2[16] = "-", b3[16] = "-", b4[16] = "-";
            if (cJSON_IsNumber(pg))
                snprintf(b1, sizeof b1, "%.3f", pg->valuedouble);
            if (cJSON_IsNumber(rg))
                snprintf(b2, sizeof b2, "%.3f", rg->valuedouble);
            if (cJSON_IsNumber(pp))
                snprintf(b3, sizeof b3, "%.2f", pp->valuedouble);
            if (cJSON_IsNumber(rp))
                snprintf(b4, sizeof b4, "%.3f", rp->valuedouble);
            printf("%-16s %-10s %6d %9.3f %9s %6s %9.2f %9s %6s %8.1f %s\n",
                   cJSON_GetObjectItem(o, "model")->valuestring,
                   cJSON_GetObjectItem(o, "input")->valuestring,
                   cJSON_GetObjectItem(o, "layers")->valueint,
                   cJSON_GetObjectItem(o, "gmacs")->valuedouble, b1, b2,
                   cJSON_GetObjectItem(o, "params_m")->valuedouble, b3, b4,
                   cJSON_GetObjectItem(o, "activation_mib_per_item_fp16")->valuedouble,
                   cJSON_GetObjectItem(o, "published_scope")->valuestring);
        }
        printf("\nGMAC and params: the whole proxy per item; ratios: proxy / published over "
               "the layers\nthe published figure covers (scope). act MiB: FP16 activations "
               "read + written per item.\n");
    }
    cJSON_Delete(t);
    return 0;
}
