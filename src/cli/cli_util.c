/* cli_util: see cli_util.h. */
#include "cli_util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "jigsaw/planner.h"

int js_cli_parse_double(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int js_cli_parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int opt_error(const char *cmd, const char *opt, const char *what, const char *s)
{
    fprintf(stderr, "jigsaw %s: %s must be %s, got '%s'\n", cmd, opt, what, s);
    return -1;
}

int js_cli_parse_seed(const char *cmd, const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    /* strtoull would take a sign ("-1" as 2^64 - 1) and leading blanks: digits only. */
    unsigned long long v = *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
    if (end == NULL || *end != '\0' || errno != 0)
        return opt_error(cmd, "--seed", "an integer in [0, 2^64 - 1]", s);
    *out = (uint64_t)v;
    return 0;
}

int js_cli_parse_max_batch(const char *cmd, const char *s, int *out)
{
    long v;
    if (js_cli_parse_int(s, 1, 1L << 20, &v) != 0)
        return opt_error(cmd, "--max-batch", "an integer in 1..1048576", s);
    *out = (int)v;
    return 0;
}

int js_cli_parse_gpus(const char *cmd, const char *s, int *out)
{
    long v;
    if (js_cli_parse_int(s, 1, 100000, &v) != 0)
        return opt_error(cmd, "--gpus", "an integer in 1..100000", s);
    *out = (int)v;
    return 0;
}

int js_cli_parse_max_requests(const char *cmd, const char *s, uint64_t *out)
{
    long v;
    if (js_cli_parse_int(s, 1, 1000000000000L, &v) != 0)
        return opt_error(cmd, "--max-requests", "an integer in 1..1000000000000", s);
    *out = (uint64_t)v;
    return 0;
}

int js_cli_parse_time_limit(const char *cmd, const char *s, double *out)
{
    double v;
    if (js_cli_parse_double(s, &v) != 0 || !(v >= 0))
        return opt_error(cmd, "--time-limit", "seconds >= 0 (0: no limit)", s);
    *out = v;
    return 0;
}

int js_cli_parse_latency_factor(const char *cmd, const char *s, double *out)
{
    double v;
    if (js_cli_parse_double(s, &v) != 0 || !(v > 0))
        return opt_error(cmd, "--latency-factor", "a number > 0", s);
    *out = v;
    return 0;
}

int js_cli_parse_max_utilisation(const char *cmd, const char *s, double *out)
{
    double v;
    if (js_cli_parse_double(s, &v) != 0 || !(v > 0) || v > 1)
        return opt_error(cmd, "--max-utilisation", "a number in (0, 1]", s);
    *out = v;
    return 0;
}

int js_cli_parse_rule(const char *cmd, const char *s, int *rule)
{
    if (js_rule_parse(s, rule) == 0)
        return 0;
    return opt_error(cmd, "--rule", "paper or safe", s);
}

int js_cli_parse_target(const char *cmd, const char *s, double *quantile)
{
    if (js_target_parse(s, quantile) == 0)
        return 0;
    return opt_error(cmd, "--target",
                     "a latency quantile such as p95, p99 or p99.9 (or a number in (0.5, 1))", s);
}
