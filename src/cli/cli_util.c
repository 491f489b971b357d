/* cli_util: see cli_util.h. */
#include "cli_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ------------------------------------------------------------------ messages */

static void vmessage(const char *cmd, const char *kind, const char *fmt, va_list ap)
{
    bool sub = cmd != NULL && cmd[0] != '\0';
    fprintf(stderr, "jigsaw%s%s: %s: ", sub ? " " : "", sub ? cmd : "", kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void js_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cmd, "error", fmt, ap);
    va_end(ap);
}

void js_cli_warn(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cmd, "warning", fmt, ap);
    va_end(ap);
}

static int point_to_help(const char *cmd)
{
    bool sub = cmd != NULL && cmd[0] != '\0';
    fprintf(stderr, "Try 'jigsaw%s%s --help' for more information.\n", sub ? " " : "",
            sub ? cmd : "");
    return JS_EXIT_USAGE;
}

int js_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cmd, "error", fmt, ap);
    va_end(ap);
    return point_to_help(cmd);
}

void js_cli_print_diag(const char *cmd, const js_diag *d)
{
    int shown = d->nwarnings < JS_DIAG_MAX_WARNINGS ? d->nwarnings : JS_DIAG_MAX_WARNINGS;
    for (int i = 0; i < shown; i++)
        js_cli_warn(cmd, "%s", d->warnings[i]);
    if (d->nwarnings > shown)
        js_cli_warn(cmd, "%d more warnings not shown", d->nwarnings - shown);
    if (d->code != 0)
        js_cli_error(cmd, "%s", d->msg);
}

/* ------------------------------------------------------------------ did you mean */

/* Levenshtein distance, two rows; words longer than 63 characters count as far. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return (size_t)-1;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

const char *js_cli_suggest(const char *word, const char *const *candidates, size_t n)
{
    size_t len = strlen(word), limit = len / 3 > 2 ? len / 3 : 2;
    const char *best = NULL, *prefixed = NULL;
    size_t best_d = (size_t)-1;
    int nprefixed = 0;
    for (size_t i = 0; i < n; i++) {
        size_t dist = edit_distance(word, candidates[i]);
        if (dist < best_d) { /* ties: the first, in the order the caller lists them */
            best_d = dist;
            best = candidates[i];
        }
        if (len > 0 && strncmp(candidates[i], word, len) == 0) {
            prefixed = candidates[i];
            nprefixed++;
        }
    }
    if (best != NULL && best_d <= limit && best_d < len)
        return best;
    return nprefixed == 1 ? prefixed : NULL;
}

/* ------------------------------------------------------------------ option errors */

static bool short_known(const char *shortopts, int c)
{
    return c > 0 && c != ':' && shortopts != NULL && strchr(shortopts, c) != NULL;
}

static int long_option_error(const char *cmd, const char *arg, const struct option *lo)
{
    const char *eq = strchr(arg, '=');
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(eq ? eq - arg : (long)strlen(arg)), arg);
    const char *names[128];
    size_t n = 0, nmatch = 0;
    char matches[256] = "";
    for (; lo != NULL && lo->name != NULL && n < 128; lo++) {
        names[n++] = lo->name;
        if (strcmp(lo->name, name) == 0) {
            if (lo->has_arg == no_argument && eq)
                return js_cli_usage_error(cmd, "option '--%s' takes no value", name);
            return js_cli_usage_error(cmd, "option '--%s' needs a value", name);
        }
        if (name[0] != '\0' && strncmp(lo->name, name, strlen(name)) == 0) {
            snprintf(matches + strlen(matches), sizeof matches - strlen(matches), "%s'--%s'",
                     nmatch ? ", " : "", lo->name);
            nmatch++;
        }
    }
    if (nmatch > 1)
        return js_cli_usage_error(cmd, "option '--%s' is ambiguous: %s", name, matches);
    const char *near = js_cli_suggest(name, names, n);
    if (near)
        return js_cli_usage_error(cmd, "unknown option '--%s'; did you mean '--%s'?", name,
                                  near);
    return js_cli_usage_error(cmd, "unknown option '--%s'", name);
}

int js_cli_bad_option(const char *cmd, char **argv, const char *shortopts,
                      const struct option *longopts)
{
    const char *arg = optind > 0 ? argv[optind - 1] : NULL;
    if (arg != NULL && strncmp(arg, "--", 2) == 0 && arg[2] != '\0')
        return long_option_error(cmd, arg + 2, longopts);
    if (short_known(shortopts, optopt))
        return js_cli_usage_error(cmd, "option '-%c' needs a value", optopt);
    if (optopt > 32 && optopt < 127)
        return js_cli_usage_error(cmd, "unknown option '-%c'", optopt);
    return js_cli_usage_error(cmd, "unknown option '%s'", arg ? arg : "?");
}

/* ------------------------------------------------------------------ shared options */

static int opt_error(const char *cmd, const char *opt, const char *what, const char *s)
{
    js_cli_usage_error(cmd, "%s must be %s, got '%s'", opt, what, s);
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

int js_cli_parse_trace_day(const char *cmd, const char *s, int *day)
{
    long v;
    if (js_cli_parse_int(s, 0, 36500, &v) != 0)
        return opt_error(cmd, "--trace-day", "an integer in 0..36500", s);
    *day = (int)v;
    return 0;
}

int js_cli_apply_trace_day(const char *cmd, int day, bool start_given, double *start_s,
                           double *duration_s)
{
    if (day < 0)
        return 0;
    if (start_given) {
        js_cli_usage_error(cmd, "give --trace-day or --trace-start, not both");
        return -1;
    }
    *start_s = 86400.0 * day;
    if (!(*duration_s > 0))
        *duration_s = 86400.0;
    return 0;
}

int js_cli_host_option(const char *cmd, int c, const char *arg, js_scenario_opts *o)
{
    double v;
    long n;
    switch (c) {
    case JS_CLI_O_HOST_REGIME:
        o->host.regime = js_host_regime_parse(arg);
        if (o->host.regime < 0)
            return opt_error(cmd, "--host-regime", "none or calibrated", arg);
        return 1;
    case JS_CLI_O_HOST_MS:
    case JS_CLI_O_HOST_MS_BATCH:
        if (js_cli_parse_double(arg, &v) != 0 || !js_host_ms_valid(v))
            return opt_error(cmd, c == JS_CLI_O_HOST_MS ? "--host-ms" : "--host-ms-per-batch",
                             "milliseconds in [0, 60000]", arg);
        if (c == JS_CLI_O_HOST_MS)
            o->host.ms_per_item = v;
        else
            o->host.ms_per_batch = v;
        return 1;
    case JS_CLI_O_CPU_CORES:
        if (js_cli_parse_int(arg, 0, 65536, &n) != 0)
            return opt_error(cmd, "--cpu-cores", "an integer in 0..65536 (0: unlimited)", arg);
        o->cpu_cores_per_node = (int)n;
        return 1;
    default:
        return 0;
    }
}
