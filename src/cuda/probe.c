/* Probe: which NVIDIA GPU is here, its memory, MIG mode and instances, and whether MPS is
 * usable. NVML is loaded at run time (dlopen of libnvidia-ml.so.1, shipped with the
 * driver), so the binary neither links against the driver nor needs it to build; when
 * NVML is absent or fails, nvidia-smi's CSV output is parsed instead. */
#include <ctype.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jigsaw/gpubackend.h"

/* The few NVML types and entry points used (ABI of nvml.h, stable since CUDA 11). */
typedef struct nvml_device_st *nvml_device;
typedef struct nvml_memory {
    unsigned long long total, free, used;
} nvml_memory;
typedef struct nvml_attributes {
    unsigned int multiprocessorCount, sharedCopyEngineCount, sharedDecoderCount,
        sharedEncoderCount, sharedJpegCount, sharedOfaCount, gpuInstanceSliceCount,
        computeInstanceSliceCount;
    unsigned long long memorySizeMB;
} nvml_attributes;

typedef struct nvml_api {
    void *lib;
    int (*init)(void);
    int (*shutdown)(void);
    int (*count)(unsigned int *);
    int (*handle)(unsigned int, nvml_device *);
    int (*name)(nvml_device, char *, unsigned int);
    int (*uuid)(nvml_device, char *, unsigned int);
    int (*memory)(nvml_device, nvml_memory *);
    int (*driver)(char *, unsigned int);
    int (*cuda_driver)(int *);
    int (*mig_mode)(nvml_device, unsigned int *, unsigned int *);
    int (*mig_max)(nvml_device, unsigned int *);
    int (*mig_handle)(nvml_device, unsigned int, nvml_device *);
    int (*attributes)(nvml_device, nvml_attributes *);
} nvml_api;

static void *sym(void *lib, const char *name, int *missing)
{
    void *p = dlsym(lib, name);
    if (!p)
        (*missing)++;
    return p;
}

#define NVML_BIND(field, name)                                                             \
    do {                                                                                   \
        void *p_ = sym(a->lib, name, &missing);                                            \
        memcpy(&a->field, &p_, sizeof p_);                                                 \
    } while (0)

static int nvml_load(nvml_api *a)
{
    memset(a, 0, sizeof *a);
    a->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!a->lib)
        return -1;
    int missing = 0;
    NVML_BIND(init, "nvmlInit_v2");
    NVML_BIND(shutdown, "nvmlShutdown");
    NVML_BIND(count, "nvmlDeviceGetCount_v2");
    NVML_BIND(handle, "nvmlDeviceGetHandleByIndex_v2");
    NVML_BIND(name, "nvmlDeviceGetName");
    NVML_BIND(uuid, "nvmlDeviceGetUUID");
    NVML_BIND(memory, "nvmlDeviceGetMemoryInfo");
    NVML_BIND(driver, "nvmlSystemGetDriverVersion");
    if (missing) {
        dlclose(a->lib);
        a->lib = NULL;
        return -1;
    }
    /* Optional: older drivers lack some; their facts are then unknown. */
    NVML_BIND(cuda_driver, "nvmlSystemGetCudaDriverVersion_v2");
    NVML_BIND(mig_mode, "nvmlDeviceGetMigMode");
    NVML_BIND(mig_max, "nvmlDeviceGetMaxMigDeviceCount");
    NVML_BIND(mig_handle, "nvmlDeviceGetMigDeviceHandleByIndex");
    NVML_BIND(attributes, "nvmlDeviceGetAttributes_v2");
    return 0;
}

/* "... MIG 3g.40gb" or "3g.40gb" -> 3; 0 when absent. */
static int slices_from_name(const char *name)
{
    for (const char *p = name; *p; p++)
        if (isdigit((unsigned char)p[0]) && p[1] == 'g' && p[2] == '.' &&
            (p == name || !isalnum((unsigned char)p[-1])))
            return p[0] - '0';
    return 0;
}

static void probe_mig_nvml(const nvml_api *a, nvml_device dev, js_gpu_probe *out)
{
    unsigned int cur = 0, pend = 0, max = 0;
    out->mig_mode = -1;
    if (!a->mig_mode || a->mig_mode(dev, &cur, &pend) != 0)
        return;
    out->mig_mode = cur ? 1 : 0;
    if (!cur || !a->mig_max || !a->mig_handle || a->mig_max(dev, &max) != 0)
        return;
    for (unsigned int i = 0; i < max && out->nmig < JS_PROBE_MAX_MIG; i++) {
        nvml_device m;
        if (a->mig_handle(dev, i, &m) != 0)
            continue;
        int k = out->nmig;
        char name[JS_PROBE_NAME_MAX] = ""; /* the MIG part is copied whole to mig_name */
        a->name(m, name, sizeof name);
        const char *mig = strstr(name, "MIG ");
        snprintf(out->mig_name[k], sizeof out->mig_name[k], "%s", mig ? mig + 4 : name);
        a->uuid(m, out->mig_uuid[k], sizeof out->mig_uuid[k]);
        out->mig_slices[k] = slices_from_name(name);
        nvml_memory mem;
        if (a->memory(m, &mem) == 0)
            out->mig_memory_gib[k] = (double)mem.total / (1024.0 * 1024.0 * 1024.0);
        nvml_attributes at;
        if (a->attributes && a->attributes(m, &at) == 0) {
            out->mig_sms[k] = (int)at.multiprocessorCount;
            if (!out->mig_slices[k])
                out->mig_slices[k] = (int)at.gpuInstanceSliceCount;
        }
        out->nmig++;
    }
}

static int probe_nvml(js_gpu_probe *out, char *why, size_t whysz)
{
    nvml_api a;
    if (nvml_load(&a) != 0) {
        snprintf(why, whysz, "libnvidia-ml.so.1 not loadable (no NVIDIA driver)");
        return -1;
    }
    int rc = -1;
    unsigned int n = 0;
    nvml_device dev;
    if (a.init() != 0) {
        snprintf(why, whysz, "NVML failed to initialise (driver not loaded?)");
    } else {
        if (a.count(&n) != 0 || n == 0) {
            snprintf(why, whysz, "NVML sees no GPU");
        } else if (a.handle(0, &dev) != 0) {
            snprintf(why, whysz, "NVML cannot open GPU 0");
        } else {
            out->ndevices = (int)n;
            a.name(dev, out->name, sizeof out->name);
            a.uuid(dev, out->uuid, sizeof out->uuid);
            a.driver(out->driver, sizeof out->driver);
            nvml_memory mem;
            if (a.memory(dev, &mem) == 0)
                out->memory_gib = (double)mem.total / (1024.0 * 1024.0 * 1024.0);
            if (a.cuda_driver)
                a.cuda_driver(&out->cuda_driver_version);
            probe_mig_nvml(&a, dev, out);
            snprintf(out->source, sizeof out->source, "nvml");
            rc = 0;
        }
        a.shutdown();
    }
    dlclose(a.lib);
    return rc;
}

/* Fallback: nvidia-smi. */
static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, strlen(s + i) + 1);
}

static int probe_smi(js_gpu_probe *out, char *why, size_t whysz)
{
    FILE *f = popen("nvidia-smi --query-gpu=name,uuid,memory.total,driver_version,"
                    "mig.mode.current --format=csv,noheader,nounits 2>/dev/null",
                    "r");
    if (!f) {
        snprintf(why + strlen(why), whysz - strlen(why), "; nvidia-smi cannot be run");
        return -1;
    }
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (n++ > 0)
            continue;
        char *field[5] = {0};
        char *save = NULL;
        char *tok = strtok_r(line, ",", &save);
        for (int i = 0; i < 5 && tok; i++, tok = strtok_r(NULL, ",", &save)) {
            trim(tok);
            field[i] = tok;
        }
        if (!field[4])
            continue;
        snprintf(out->name, sizeof out->name, "%s", field[0]);
        snprintf(out->uuid, sizeof out->uuid, "%s", field[1]);
        out->memory_gib = atof(field[2]) / 1024.0;
        snprintf(out->driver, sizeof out->driver, "%s", field[3]);
        out->mig_mode = strcmp(field[4], "Enabled") == 0 ? 1 :
                        strcmp(field[4], "Disabled") == 0 ? 0 : -1;
    }
    int status = pclose(f);
    if (status != 0 || n == 0 || !out->name[0]) {
        snprintf(why + strlen(why), whysz - strlen(why), "; nvidia-smi found no GPU");
        return -1;
    }
    out->ndevices = n;
    snprintf(out->source, sizeof out->source, "nvidia-smi");
    /* MIG instances: "  MIG 3g.40gb     Device  0: (UUID: MIG-...)" under GPU 0. */
    f = popen("nvidia-smi -L 2>/dev/null", "r");
    int gpu = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "GPU ", 4) == 0) {
            gpu++;
            continue;
        }
        char *mig = strstr(line, "MIG ");
        char *uuid = strstr(line, "UUID: ");
        if (gpu != 0 || !mig || !uuid || out->nmig >= JS_PROBE_MAX_MIG)
            continue;
        int k = out->nmig++;
        char *end = strstr(mig + 4, " ");
        size_t len = end ? (size_t)(end - (mig + 4)) : strlen(mig + 4);
        snprintf(out->mig_name[k], sizeof out->mig_name[k], "%.*s", (int)len, mig + 4);
        snprintf(out->mig_uuid[k], sizeof out->mig_uuid[k], "%s", uuid + 6);
        char *close = strchr(out->mig_uuid[k], ')');
        if (close)
            *close = '\0';
        out->mig_slices[k] = slices_from_name(out->mig_name[k]);
    }
    if (f)
        pclose(f);
    return 0;
}

static bool on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char dir[1024];
    while (*path) {
        size_t len = strcspn(path, ":");
        if (len > 0 && len < sizeof dir - 64) {
            char full[1200];
            snprintf(full, sizeof full, "%.*s/%s", (int)len, path, prog);
            if (access(full, X_OK) == 0)
                return true;
        }
        path += len;
        if (*path == ':')
            path++;
    }
    (void)dir;
    return false;
}

static void probe_mps(js_gpu_probe *out)
{
    out->mps_control = on_path("nvidia-cuda-mps-control");
    const char *dir = getenv("CUDA_MPS_PIPE_DIRECTORY");
    snprintf(out->mps_pipe_dir, sizeof out->mps_pipe_dir, "%s",
             dir && *dir ? dir : "/tmp/nvidia-mps");
    char ctl[320];
    snprintf(ctl, sizeof ctl, "%s/control", out->mps_pipe_dir);
    struct stat st;
    out->mps_running = stat(ctl, &st) == 0 && S_ISFIFO(st.st_mode);
}

int js_gpu_probe_run(js_gpu_probe *out, js_diag *d)
{
    memset(out, 0, sizeof *out);
    out->mig_mode = -1;
    char why[512] = "";
    if (probe_nvml(out, why, sizeof why) != 0) {
        memset(out, 0, sizeof *out);
        out->mig_mode = -1;
        if (probe_smi(out, why, sizeof why) != 0)
            return js_diag_set(d, JS_EXIT_NOTAVAIL, "no NVIDIA GPU found: %s", why);
    }
    probe_mps(out);
    return 0;
}

void js_gpu_slug(const char *name, double memory_gib, char *out, size_t outsz)
{
    const char *p = name;
    if (strncmp(p, "NVIDIA ", 7) == 0)
        p += 7;
    char model[32];
    size_t n = 0;
    while (p[n] && p[n] != ' ' && p[n] != '-' && n + 1 < sizeof model) {
        model[n] = (char)tolower((unsigned char)p[n]);
        n++;
    }
    model[n] = '\0';
    if (n == 0)
        snprintf(model, sizeof model, "gpu");
    /* Marketed sizes (GB) are close to the GiB the driver reports. */
    static const int sizes[] = {16, 24, 32, 40, 48, 80, 94, 96, 141, 144, 180, 192};
    int gb = (int)lround(memory_gib);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (fabs(memory_gib - sizes[i]) <= 0.05 * sizes[i]) {
            gb = sizes[i];
            break;
        }
    snprintf(out, outsz, "%s-%dgb", model, gb);
}

cJSON *js_gpu_probe_to_json(const js_gpu_probe *p)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char slug[JS_NAME_MAX];
    js_gpu_slug(p->name, p->memory_gib, slug, sizeof slug);
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "profile_dir", slug);
    cJSON_AddStringToObject(o, "uuid", p->uuid);
    cJSON_AddNumberToObject(o, "devices", p->ndevices);
    cJSON_AddStringToObject(o, "driver", p->driver);
    cJSON_AddStringToObject(o, "cuda_runtime", p->cuda_runtime);
    cJSON_AddNumberToObject(o, "cuda_driver_version", p->cuda_driver_version);
    if (p->sms > 0)
        cJSON_AddNumberToObject(o, "sms", p->sms);
    else
        cJSON_AddNullToObject(o, "sms");
    if (p->cc_major > 0) {
        char cc[16];
        snprintf(cc, sizeof cc, "%d.%d", p->cc_major, p->cc_minor);
        cJSON_AddStringToObject(o, "compute_capability", cc);
    }
    cJSON_AddNumberToObject(o, "memory_gib", round(p->memory_gib * 100) / 100);
    cJSON_AddStringToObject(o, "mig_mode",
                            p->mig_mode == 1 ? "enabled" :
                            p->mig_mode == 0 ? "disabled" : "unsupported");
    cJSON *arr = cJSON_AddArrayToObject(o, "mig_instances");
    for (int i = 0; arr && i < p->nmig; i++) {
        cJSON *m = cJSON_CreateObject();
        if (!m)
            break;
        cJSON_AddStringToObject(m, "profile", p->mig_name[i]);
        cJSON_AddStringToObject(m, "uuid", p->mig_uuid[i]);
        cJSON_AddNumberToObject(m, "compute_slices", p->mig_slices[i]);
        if (p->mig_sms[i] > 0)
            cJSON_AddNumberToObject(m, "sms", p->mig_sms[i]);
        cJSON_AddNumberToObject(m, "memory_gib", round(p->mig_memory_gib[i] * 100) / 100);
        cJSON_AddItemToArray(arr, m);
    }
    cJSON *mps = cJSON_AddObjectToObject(o, "mps");
    if (mps) {
        cJSON_AddBoolToObject(mps, "control_binary", p->mps_control);
        cJSON_AddBoolToObject(mps, "daemon_running", p->mps_running);
        cJSON_AddStringToObject(mps, "pipe_directory", p->mps_pipe_dir);
    }
    cJSON_AddStringToObject(o, "source", p->source);
    return o;
}
