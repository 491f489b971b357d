/* util: seed derivation, clocks and the data search path; see include/jigsaw/util.h. */
#include "jigsaw/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "js_config.h"

#define GOLDEN_GAMMA 0x9E3779B97F4A7C15ull

/* splitmix64's finaliser (Steele, Lea and Flood 2014): a bijection on 64 bits. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* FNV-1a, 64-bit. */
static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (; s != NULL && *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001B3ull;
    }
    return h;
}

uint64_t js_seed_derive(uint64_t user_seed, const char *stream, uint64_t index)
{
    uint64_t z = mix64(user_seed + GOLDEN_GAMMA);
    z = mix64(z ^ fnv1a64(stream));
    return mix64(z + GOLDEN_GAMMA * (index + 1));
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double js_now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

double js_cpu_s(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* ------------------------------------------------------------------ data search path */

static bool data_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
}

static int try_dir(const char *dir, size_t dlen, const char *rel, char *out, size_t n)
{
    int w = snprintf(out, n, "%.*s/%s", (int)dlen, dir, rel);
    return w > 0 && (size_t)w < n && data_exists(out) ? 0 : -1;
}

const char *js_data_dir(void)
{
    return JS_DATADIR;
}

int js_data_find(const char *rel, char *out, size_t n)
{
    if (n == 0)
        return -1;
    const char *env = getenv("JIGSAW_DATA");
    for (const char *p = env; p != NULL && *p != '\0';) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len > 0 && try_dir(p, len, rel, out, n) == 0)
            return 0;
        p = colon ? colon + 1 : p + len;
    }
    if (try_dir(JS_DATADIR, strlen(JS_DATADIR), rel, out, n) == 0)
        return 0;
    out[0] = '\0';
    return -1;
}

int js_data_resolve(const char *path, char *out, size_t n)
{
    if (n == 0)
        return -1;
    if (path[0] == '/' || data_exists(path) || js_data_find(path, out, n) != 0) {
        snprintf(out, n, "%s", path);
        return path[0] == '/' || data_exists(path) ? 0 : -1;
    }
    return 0;
}
