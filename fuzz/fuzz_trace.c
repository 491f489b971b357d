/* libFuzzer target: trace readers (bzip2/tar or text per-second counts, Azure LLM CSV,
 * our timestamp and rate files) through js_arrivals_open / js_arrivals_next, plain and with
 * a window, smoothing and rescaling (which add a first streaming pass). The readers take
 * a path, so each input is written to one private temporary file. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "jigsaw/trace.h"

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(path, sizeof path, "/tmp/jigsaw-fuzz-trace-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        abort();
    close(fd);
    return 0;
}

/* Read at most `limit` arrivals: a valid trace may be arbitrarily long. */
static void drain(const js_arrival_spec *spec, long limit)
{
    js_diag d;
    js_diag_init(&d);
    js_arrivals *a = NULL;
    if (js_arrivals_open(spec, &a, &d) != 0)
        return;
    double t, last = -1.0;
    for (long k = 0; k < limit && js_arrivals_next(a, &t, &d) == 0; k++) {
        if (t < last) /* the contract: times never go backwards */
            abort();
        last = t;
    }
    js_arrivals_close(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        abort();
    if (size > 0 && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    js_arrival_spec spec;
    js_arrival_spec_init(&spec);
    spec.kind = JS_ARR_TRACE;
    snprintf(spec.path, sizeof spec.path, "%s", path);
    spec.seed = 1;
    drain(&spec, 20000);
    spec.start_s = 2.0;
    spec.duration_s = 30.0;
    spec.smooth_s = 5.0;
    spec.time_compression = 3.0;
    spec.target_mean = 50.0;
    drain(&spec, 20000);
    return 0;
}
