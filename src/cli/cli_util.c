/* cli_util: see cli_util.h. */
#include "cli_util.h"

#include <errno.h>
#include <math.h>
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

int js_cli_parse_seed(const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '+')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0)
        return -1;
    *out = v;
    return 0;
}

int js_cli_parse_utilisation(const char *s, double *out)
{
    double v;
    if (js_cli_parse_double(s, &v) != 0 || !(v > 0) || v > 1)
        return -1;
    *out = v;
    return 0;
}

int js_cli_parse_rule(const char *cmd, const char *s, int *rule)
{
    if (js_rule_parse(s, rule) == 0)
        return 0;
    fprintf(stderr, "jigsaw %s: --rule must be paper or safe, got '%s'\n", cmd, s);
    return -1;
}

int js_cli_parse_target(const char *cmd, const char *s, double *quantile)
{
    if (js_target_parse(s, quantile) == 0)
        return 0;
    fprintf(stderr, "jigsaw %s: --target must be a latency quantile such as p95, p99 or "
                    "p99.9 (or a number in (0.5, 1)), got '%s'\n", cmd, s);
    return -1;
}
