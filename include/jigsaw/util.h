/* util: small helpers of src/core shared by every module -- independent random streams,
 * clocks and the shipped-data search path.
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

#include <stddef.h>
#include <stdint.h>

uint64_t js_seed_derive(uint64_t user_seed, const char *stream, uint64_t index);

/* Clocks, in seconds from an arbitrary origin, for measuring durations only: wall time on
 * CLOCK_MONOTONIC, and the process's CPU time (all threads, CLOCK_PROCESS_CPUTIME_ID). */
double js_now_s(void);
double js_cpu_s(void);

/* Shipped data (GPU types, profiles, scenarios, traces, plot scripts) from any working
 * directory. A data-relative name such as "profiles/gpus/a100-80gb.json" is looked up in
 * order in each directory of $JIGSAW_DATA (a colon-separated search path; empty entries
 * are skipped) and then in the installed data directory (<prefix>/share/jigsaw, fixed at
 * configure time). Paths relative to a file the user named (a scenario's "profiles") are
 * the caller's first choice; these functions are the fallback.
 *
 * js_data_find: the first existing entry (regular file or directory) for `rel` into out
 * (n bytes); 0 when found, -1 when not (out then holds "").
 * js_data_resolve: `path` itself when it exists (or is absolute), else js_data_find(path);
 * 0 with out set either way it is found, -1 with out = path when neither has it, so the
 * caller's "cannot open PATH" names what the user typed.
 * js_data_dir: the installed data directory (for messages and --help). */
int js_data_find(const char *rel, char *out, size_t n);
int js_data_resolve(const char *path, char *out, size_t n);
const char *js_data_dir(void);

#endif
