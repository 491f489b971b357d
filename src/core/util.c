/* util: seed derivation and clocks; see include/jigsaw/util.h. */
#include "jigsaw/util.h"

#include <stddef.h>
#include <time.h>

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
