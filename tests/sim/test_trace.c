/* Arrival processes and trace readers: rates, reproducibility, shipped traces, errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jigsaw/trace.h"

#define NASA JS_SOURCE_ROOT "/scenarios/traces/nasa-http-1995/workload.tbz2"
#define AZURE_CODE JS_SOURCE_ROOT "/scenarios/traces/azure-llm-2023/AzureLLMInferenceTrace_code.csv"
#define AZURE_CONV JS_SOURCE_ROOT "/scenarios/traces/azure-llm-2023/AzureLLMInferenceTrace_conv.csv"

typedef struct stats {
    uint64_t n;
    double last, mean_gap, cv;
    int rc;
} stats;

/* Drain a stream; gap statistics; rc = the terminating return code (1 = clean end). */
static stats drain(const js_arrival_spec *sp, uint64_t max, js_diag *d)
{
    stats s = {0, 0, 0, 0, 0};
    js_arrivals *a = NULL;
    s.rc = js_arrivals_open(sp, &a, d);
    if (s.rc != 0)
        return s;
    double prev = 0, sum = 0, sum2 = 0, t = 0;
    while (s.n < max && (s.rc = js_arrivals_next(a, &t, d)) == 0) {
        cr_assert(t >= prev, "times must not decrease (%g after %g)", t, prev);
        double g = t - prev;
        sum += g;
        sum2 += g * g;
        prev = t;
        s.n++;
    }
    js_arrivals_close(a);
    s.last = prev;
    if (s.n > 1) {
        s.mean_gap = sum / (double)s.n;
        double var = sum2 / (double)s.n - s.mean_gap * s.mean_gap;
        s.cv = sqrt(var) / s.mean_gap;
    }
    return s;
}

static js_arrival_spec synth(js_arrival_kind k, double rate, double cv, uint64_t seed)
{
    js_arrival_spec sp;
    js_arrival_spec_init(&sp);
    sp.kind = k;
    sp.rate = rate;
    sp.cv = cv;
    sp.seed = seed;
    return sp;
}

Test(synthetic, poisson_gamma_mmpp_rates_and_cv)
{
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp = synth(JS_ARR_POISSON, 50, 1, 1);
    stats s = drain(&sp, 1000000, &d);
    cr_assert(fabs(s.mean_gap * 50 - 1) < 0.005, "poisson mean gap %g", s.mean_gap);
    cr_assert(fabs(s.cv - 1) < 0.01, "poisson cv %g", s.cv);
    sp = synth(JS_ARR_GAMMA, 50, 2.5, 2);
    s = drain(&sp, 1000000, &d);
    cr_assert(fabs(s.mean_gap * 50 - 1) < 0.01, "gamma mean gap %g", s.mean_gap);
    cr_assert(fabs(s.cv - 2.5) < 0.05, "gamma cv %g", s.cv);
    sp = synth(JS_ARR_MMPP, 50, 1, 3);
    sp.mmpp_rate_ratio = 4;
    sp.mmpp_mean_sojourn_s = 10;
    s = drain(&sp, 2000000, &d);
    cr_assert(fabs(s.mean_gap * 50 - 1) < 0.03, "mmpp mean gap %g", s.mean_gap);
    cr_assert(s.cv > 1.05, "mmpp is burstier than Poisson (cv %g)", s.cv);
}

Test(synthetic, same_seed_same_times_bit_for_bit)
{
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp = synth(JS_ARR_GAMMA, 10, 0.5, 99);
    js_arrivals *a, *b;
    cr_assert_eq(js_arrivals_open(&sp, &a, &d), 0);
    cr_assert_eq(js_arrivals_open(&sp, &b, &d), 0);
    for (int i = 0; i < 10000; i++) {
        double x, y;
        cr_assert_eq(js_arrivals_next(a, &x, &d), 0);
        cr_assert_eq(js_arrivals_next(b, &y, &d), 0);
        cr_assert(memcmp(&x, &y, sizeof x) == 0);
    }
    js_arrivals_close(a);
    js_arrivals_close(b);
}

Test(synthetic, bad_parameters_are_usage_errors)
{
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp = synth(JS_ARR_POISSON, 0, 1, 1);
    js_arrivals *a = NULL;
    cr_assert_eq(js_arrivals_open(&sp, &a, &d), 2);
    cr_assert(strstr(d.msg, "rate") != NULL, "%s", d.msg);
    cr_assert_eq(js_arrival_kind_from_name("mmpp"), JS_ARR_MMPP);
    cr_assert_eq(js_arrival_kind_from_name("nope"), -1);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static js_arrival_spec trace_spec(const char *path)
{
    js_arrival_spec sp;
    js_arrival_spec_init(&sp);
    sp.kind = JS_ARR_TRACE;
    snprintf(sp.path, sizeof sp.path, "%s", path);
    sp.seed = 5;
    return sp;
}

Test(own_formats, timestamps_replayed_exactly_with_window_and_compression)
{
    char path[] = "/tmp/js_trace_ts_XXXXXX";
    close(mkstemp(path));
    write_file(path, "# a comment\ntimestamp_s\n0.5\n1.25\n\n2\n# x\n7.5\n");
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp = trace_spec(path);
    js_arrivals *a;
    cr_assert_eq(js_arrivals_open(&sp, &a, &d), 0, "%s", d.msg);
    double want[] = {0.5, 1.25, 2, 7.5}, t;
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(js_arrivals_next(a, &t, &d), 0, "%s", d.msg);
        cr_assert_float_eq(t, want[i], 1e-12);
    }
    cr_assert_eq(js_arrivals_next(a, &t, &d), 1);
    js_arrivals_close(a);
    /* window [1, 5) compressed 2x: 1.25 -> 0.125, 2 -> 0.5 */
    sp.start_s = 1;
    sp.duration_s = 4;
    sp.time_compression = 2;
    cr_assert_eq(js_arrivals_open(&sp, &a, &d), 0, "%s", d.msg);
    cr_assert_eq(js_arrivals_next(a, &t, &d), 0);
    cr_assert_float_eq(t, 0.125, 1e-12);
    cr_assert_eq(js_arrivals_next(a, &t, &d), 0);
    cr_assert_float_eq(t, 0.5, 1e-12);
    cr_assert_eq(js_arrivals_next(a, &t, &d), 1);
    js_arrivals_close(a);
    unlink(path);
}

Test(own_formats, rates_file_counts_match_expectation)
{
    char path[] = "/tmp/js_trace_rate_XXXXXX";
    close(mkstemp(path));
    write_file(path, "duration_s,rate\n100,50\n100,0\n100,150\n");
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp = trace_spec(path);
    stats s = drain(&sp, UINT64_MAX, &d);
    cr_assert_eq(s.rc, 1, "%s", d.msg);
    /* expectation 20000, sd 141 */
    cr_assert(fabs((double)s.n - 20000) < 600, "n = %llu", (unsigned long long)s.n);
    cr_assert(s.last > 200 && s.last <= 300);
    /* rescaled to a mean of 10/s: expectation 3000 over 300 s */
    sp.target_mean = 10;
    s = drain(&sp, UINT64_MAX, &d);
    cr_assert(fabs((double)s.n - 3000) < 250, "n = %llu", (unsigned long long)s.n);
    /* rescaled to a peak of 30/s: x0.2 -> 4000 */
    sp.target_mean = 0;
    sp.target_peak = 30;
    s = drain(&sp, UINT64_MAX, &d);
    cr_assert(fabs((double)s.n - 4000) < 300, "n = %llu", (unsigned long long)s.n);
    unlink(path);
}

Test(own_formats, smoothing_averages_bins_before_peak_rescaling)
{
    char path[] = "/tmp/js_trace_smooth_XXXXXX";
    close(mkstemp(path));
    FILE *f = fopen(path, "w");
    fputs("duration_s,rate\n", f);
    for (int i = 0; i < 100; i++)
        fputs(i % 2 == 0 ? "1,100\n" : "1,0\n", f);
    fclose(f);
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp = trace_spec(path);
    sp.target_peak = 50;
    stats raw = drain(&sp, UINT64_MAX, &d); /* peak 100 -> x0.5: expectation 2500 */
    cr_assert_eq(raw.rc, 1, "%s", d.msg);
    cr_assert(fabs((double)raw.n - 2500) < 200, "n = %llu", (unsigned long long)raw.n);
    sp.smooth_s = 2;                        /* bins average to 50 -> x1: expectation 5000 */
    stats sm = drain(&sp, UINT64_MAX, &d);
    cr_assert_eq(sm.rc, 1, "%s", d.msg);
    cr_assert(fabs((double)sm.n - 5000) < 300, "n = %llu", (unsigned long long)sm.n);
    /* bins that straddle rows: 3 s bins over 1 s rows keep the total */
    sp.target_peak = 0;
    sp.smooth_s = 3;
    sm = drain(&sp, UINT64_MAX, &d);
    cr_assert(fabs((double)sm.n - 5000) < 300, "n = %llu", (unsigned long long)sm.n);
    cr_assert(sm.last <= 100);
    unlink(path);
}

static void expect_error(const char *text, int code, const char *needle1, const char *needle2)
{
    char path[] = "/tmp/js_trace_bad_XXXXXX";
    close(mkstemp(path));
    write_file(path, text);
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp = trace_spec(path);
    stats s = drain(&sp, UINT64_MAX, &d);
    cr_assert_eq(s.rc, code, "rc %d for %s (%s)", s.rc, text, d.msg);
    cr_assert(strstr(d.msg, path) != NULL, "message names the file: %s", d.msg);
    cr_assert(strstr(d.msg, needle1) != NULL, "message '%s' lacks '%s'", d.msg, needle1);
    if (needle2 != NULL)
        cr_assert(strstr(d.msg, needle2) != NULL, "message '%s' lacks '%s'", d.msg, needle2);
    unlink(path);
}

Test(errors, malformed_and_truncated_lines_name_file_and_line)
{
    expect_error("timestamp_s\n1\n2\nabc\n", 65, ":4:", "expected a time");
    expect_error("timestamp_s\n1\n3\n2\n", 65, ":4:", "must not decrease");
    expect_error("duration_s,rate\n10,5\n10\n", 65, ":3:", "duration_s,rate");
    expect_error("duration_s,rate\n10,-5\n", 65, ":2:", "rate >= 0");
    expect_error("hello,world\n", 65, ":1:", "unrecognised trace format");
    expect_error("1 2 3 x 5", 65, "count 3", "non-negative integer");
    expect_error("TIMESTAMP,ContextTokens,GeneratedTokens\n"
                 "2023-11-16 18:17:03.9799600,4808,10\n2023-11-16 18:1",
                 65, ":3:", "malformed timestamp");
    expect_error("", 65, "empty trace", NULL);
}

Test(errors, missing_file_is_noinput)
{
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp = trace_spec("/nonexistent/trace.csv");
    js_arrivals *a = NULL;
    cr_assert_eq(js_arrivals_open(&sp, &a, &d), 66);
    cr_assert(strstr(d.msg, "/nonexistent/trace.csv") != NULL);
}

Test(shipped, azure_traces_counts_and_span)
{
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp = trace_spec(AZURE_CODE);
    stats s = drain(&sp, UINT64_MAX, &d);
    cr_assert_eq(s.rc, 1, "%s", d.msg);
    cr_assert_eq(s.n, 8819);
    cr_assert(fabs(s.last - 3435.95) < 0.01, "span %g", s.last);
    sp = trace_spec(AZURE_CONV);
    s = drain(&sp, UINT64_MAX, &d);
    cr_assert_eq(s.rc, 1, "%s", d.msg);
    cr_assert_eq(s.n, 19366);
    /* rescaled to 50 req/s by stretching time: same count, span / (50 / 5.53) */
    sp.target_mean = 50;
    s = drain(&sp, UINT64_MAX, &d);
    cr_assert_eq(s.n, 19366);
    cr_assert(fabs(19366.0 / s.last - 50) < 0.01, "rate %g", 19366.0 / s.last);
}

Test(shipped, nasa_first_hour_rescaled_and_compressed)
{
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp = trace_spec(NASA);
    sp.duration_s = 3600;
    stats raw = drain(&sp, UINT64_MAX, &d);
    cr_assert_eq(raw.rc, 1, "%s", d.msg);
    /* As recorded the first hour holds a few thousand requests (a Poisson sample). */
    cr_assert(raw.n > 500 && raw.n < 10000, "n %llu", (unsigned long long)raw.n);
    sp.target_mean = 200;
    stats s = drain(&sp, UINT64_MAX, &d);
    cr_assert_eq(s.rc, 1, "%s", d.msg);
    cr_assert(fabs((double)s.n / 720000.0 - 1) < 0.005, "n %llu", (unsigned long long)s.n);
    cr_assert(s.last <= 3600 && s.last > 3590);
    /* One trace minute per simulated second: the hour lasts 60 s. */
    sp.time_compression = 60;
    s = drain(&sp, UINT64_MAX, &d);
    cr_assert(fabs((double)s.n / 12000.0 - 1) < 0.03, "n %llu", (unsigned long long)s.n);
    cr_assert(s.last <= 60 && s.last > 59);
}

Test(shipped, truncated_bzip2_is_a_clear_error)
{
    FILE *in = fopen(NASA, "rb");
    cr_assert_not_null(in);
    char path[] = "/tmp/js_trace_trunc_XXXXXX";
    close(mkstemp(path));
    FILE *out = fopen(path, "wb");
    static char buf[100000];
    size_t n = fread(buf, 1, sizeof buf, in);
    fwrite(buf, 1, n, out);
    fclose(out);
    fclose(in);
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp = trace_spec(path);
    stats s = drain(&sp, UINT64_MAX, &d);
    cr_assert_eq(s.rc, 65, "rc %d: %s", s.rc, d.msg);
    cr_assert(strstr(d.msg, "truncated") != NULL, "%s", d.msg);
    cr_assert(strstr(d.msg, path) != NULL, "%s", d.msg);
    unlink(path);
}
