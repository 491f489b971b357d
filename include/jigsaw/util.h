/* util: small helpers of src/core shared by every module -- independent random streams
 * and clocks.
 *
 * Random streams. Every consumer of randomness (an application's arrival stream, the
 * simulator's service times, its fan-out counts, ...) draws from its own generator,
 * seeded by js_seed_derive(user_seed, stream, index): the user's seed (--seed, a sweep's
 * "seed"), the stream's name and an index within the stream (the application's index for
 * "arrivals", 0 where there is one stream of the kind). Streams in use:
 *   "arrivals", app  each application's arrival process (js_arrivals), in every caller;
 *   "service", 0     the simulator's service times;
 *   "fanout", 0      the simulator's random fan-out counts;
 *   "service", k     the emulated GPU's worker k (jigsaw gpu validate).
 * No two streams share a generator, so inter-arrival and service times are independent
 * (tests/sim/test_internals.c checks their correlation). The result is a splitmix64 mix
 * of the seed, a FNV-1a hash of the name and the index; all 64 bits are mixed, so the
 * low 32 bits that GSL's mt19937 keeps are as good as any. Same arguments, same seed on
 * every platform. */
#ifndef JIGSAW_UTIL_H
#define JIGSAW_UTIL_H

#include <stdint.h>

uint64_t js_seed_derive(uint64_t user_seed, const char *stream, uint64_t index);

/* Clocks, in seconds from an arbitrary origin, for measuring durations only: wall time on
 * CLOCK_MONOTONIC, and the process's CPU time (all threads, CLOCK_PROCESS_CPUTIME_ID). */
double js_now_s(void);
double js_cpu_s(void);

#endif
