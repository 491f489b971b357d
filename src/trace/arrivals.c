/* arrivals: synthetic arrival processes and streaming trace replay; see trace.h.
 *
 * Every stream draws from its own gsl_rng_mt19937 seeded with spec->seed (callers derive it
 * per application, jigsaw/util.h), so the same spec gives the same times bit for bit. Trace files are read incrementally through reader.c:
 * memory does not depend on the trace length. */
#include "jigsaw/trace.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "jigsaw/limits.h"
#include "reader.h"

typedef enum { FMT_NONE, FMT_COUNTS, FMT_RATES, FMT_AZURE, FMT_TIMESTAMPS } trace_fmt;

/* A raw trace source: the reader plus what is needed to parse its records. */
typedef struct src {
    js_rd rd;
    bool open;
    trace_fmt fmt;
    uint64_t item;          /* counts: index of the next second */
    double pos;             /* rates: trace time where the next row starts */
    bool have_t0;           /* azure: first timestamp seen */
    int64_t t0_sec;
    double t0_frac;
    double last;            /* timestamps: previous value (monotonicity check) */
    long last_line;
    bool pend_valid;        /* smoothing: part of a raw interval not yet used */
    double pend_st, pend_len, pend_rate;
} src;

struct js_arrivals {
    js_arrival_spec spec;
    gsl_rng *rng;
    double t;               /* simulated time of the last arrival */
    bool done;
    /* gamma / trace cv: unit-mean gamma with this shape in operational time */
    double shape;
    /* mmpp */
    double lam[2];
    int state;
    double switch_t;
    /* trace */
    src s;
    double c, k;            /* compression, rescale factor */
    double win_start, win_end;
    bool seg_valid;
    double seg_end, seg_rate; /* simulated time, simulated rate */
    double mean_c, peak_c;
};

void js_arrival_spec_init(js_arrival_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->kind = JS_ARR_POISSON;
    spec->cv = 1.0;
    spec->mmpp_rate_ratio = 4.0;
    spec->mmpp_mean_sojourn_s = 60.0;
    spec->time_compression = 1.0;
}

int js_arrival_kind_from_name(const char *name)
{
    static const char *const names[] = {"poisson", "gamma", "mmpp", "trace"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* ---- raw trace sources ------------------------------------------------------------ */

static bool blank_or_comment(const char *line)
{
    while (*line == ' ' || *line == '\t')
        line++;
    return *line == '\0' || *line == '#';
}

static bool header_is(const char *line, const char *want)
{
    size_t n = strlen(want);
    if (strncmp(line, want, n) != 0)
        return false;
    for (line += n; *line != '\0'; line++)
        if (!isspace((unsigned char)*line))
            return false;
    return true;
}

static int src_open(src *s, const char *path, js_diag *d)
{
    s->open = false;
    s->fmt = FMT_NONE;
    s->item = 0;
    s->pos = 0;
    s->have_t0 = false;
    s->t0_sec = 0;
    s->t0_frac = 0;
    s->last = 0;
    s->last_line = 0;
    s->pend_valid = false;
    int rc = js_rd_open(&s->rd, path, d);
    if (rc != 0)
        return rc;
    s->open = true;
    char line[512];
    for (;;) {
        int c = js_rd_peek(&s->rd);
        if (c < 0) {
            if (s->rd.code != 0)
                return s->rd.code;
            return js_diag_set(d, JS_EXIT_DATAERR, "%s: empty trace", s->rd.where);
        }
        if (isdigit(c)) {
            s->fmt = FMT_COUNTS;
            return 0;
        }
        long ln = 0;
        rc = js_rd_line(&s->rd, line, sizeof line, &ln);
        if (rc != 1)
            return rc != 0 ? rc
                           : js_diag_set(d, JS_EXIT_DATAERR, "%s: empty trace", s->rd.where);
        if (strncmp(line, "TIMESTAMP,", 10) == 0 || header_is(line, "TIMESTAMP")) {
            s->fmt = FMT_AZURE;
            return 0;
        }
        if (blank_or_comment(line))
            continue;
        if (header_is(line, "timestamp_s")) {
            s->fmt = FMT_TIMESTAMPS;
            return 0;
        }
        if (header_is(line, "duration_s,rate")) {
            s->fmt = FMT_RATES;
            return 0;
        }
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "%s:%ld: unrecognised trace format: expected per-second counts, an "
                           "Azure LLM CSV (TIMESTAMP,...), a 'timestamp_s' or a "
                           "'duration_s,rate' file",
                           s->rd.where, ln);
    }
}

static void src_close(src *s)
{
    if (s->open)
        js_rd_close(&s->rd);
    s->open = false;
}

/* Next count (requests in one trace second). 1 = got one, 0 = end, else error. */
static int src_next_count(src *s, double *count, js_diag *d)
{
    js_rd *r = &s->rd;
    int c = js_rd_getc(r);
    while (c == ' ' || c == '\n' || c == '\t' || c == '\r')
        c = js_rd_getc(r);
    if (c < 0)
        return r->code;
    long line = r->line;
    uint64_t v = 0;
    int ndig = 0;
    while (c >= '0' && c <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return js_diag_set(d, JS_EXIT_DATAERR, "%s:%ld: count %llu: value too large",
                               r->where, line, (unsigned long long)s->item);
        v = v * 10 + (uint64_t)(c - '0');
        ndig++;
        c = js_rd_getc(r);
    }
    if (r->code != 0)
        return r->code;
    if (c == '\0')
        return js_diag_set(d, JS_EXIT_DATAERR, "%s:%ld: count %llu: NUL byte in the number",
                           r->where, line, (unsigned long long)s->item);
    if (ndig == 0 || (c >= 0 && c != ' ' && c != '\n' && c != '\t' && c != '\r'))
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "%s:%ld: count %llu: expected a non-negative integer, got '%c'",
                           r->where, line, (unsigned long long)s->item,
                           c >= 32 && c < 127 ? c : '?');
    if (v > JS_LIMIT_COUNT_PER_S)
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "%s:%ld: count %llu: %llu requests in one second is past the limit "
                           "of %llu (README, plausibility limits)",
                           r->where, line, (unsigned long long)s->item, (unsigned long long)v,
                           JS_LIMIT_COUNT_PER_S);
    if ((double)s->item >= JS_LIMIT_DURATION_S)
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "%s:%ld: the trace is longer than the limit of %g s (README, "
                           "plausibility limits)",
                           r->where, line, JS_LIMIT_DURATION_S);
    *count = (double)v;
    s->item++;
    return 1;
}

/* The offending token of a line for a message: a word of [A-Za-z0-9_.+-] (a number, a
 * name) of at most 16 characters, or else its first character, non-printable as '?'. A
 * message never echoes more of a file than that (a trace option pointed at a system file
 * must not print it). */
static const char *token_of(const char *txt, char *buf, size_t bufsz)
{
    while (*txt == ' ' || *txt == '\t')
        txt++;
    size_t k = 0;
    for (; k + 1 < bufsz && k < 16 && txt[k] != '\0' &&
           (isalnum((unsigned char)txt[k]) || strchr("_.+-", txt[k]) != NULL);
         k++)
        buf[k] = txt[k];
    if (k == 0 && bufsz > 1 && txt[0] != '\0')
        buf[k++] = txt[0] > 0x20 && txt[0] < 0x7f ? txt[0] : '?';
    buf[k] = '\0';
    return buf;
}

/* A decimal number (strtod alone would also read "0x10" as 16, "infinity", "nan"). */
static int parse_double_field(const char *txt, char **end, double *out)
{
    while (*txt == ' ' || *txt == '\t')
        txt++;
    for (const char *p = txt; *p && *p != ',' && *p != ' ' && *p != '\t'; p++)
        if (!isdigit((unsigned char)*p) && strchr("+-.eE", *p) == NULL)
            return -1;
    *out = strtod(txt, end);
    if (*end == txt || !isfinite(*out))
        return -1;
    while (**end == ' ' || **end == '\t')
        (*end)++;
    return 0;
}

/* Next interval of a rates file: [*start, *start + *len) at *rate. */
static int src_next_rate(src *s, double *start, double *len, double *rate, js_diag *d)
{
    char line[512];
    long ln = 0;
    for (;;) {
        int rc = js_rd_line(&s->rd, line, sizeof line, &ln);
        if (rc != 1)
            return rc;
        if (blank_or_comment(line))
            continue;
        char *e = NULL, tok[32];
        double du = 0, ra = 0;
        if (parse_double_field(line, &e, &du) != 0 || *e != ',')
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s:%ld: expected 'duration_s,rate', got duration '%s'",
                               s->rd.where, ln, token_of(line, tok, sizeof tok));
        const char *rate_txt = e + 1;
        if (parse_double_field(rate_txt, &e, &ra) != 0 || *e != '\0')
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s:%ld: expected 'duration_s,rate', got rate '%s'", s->rd.where,
                               ln, token_of(rate_txt, tok, sizeof tok));
        if (!(du > 0) || !(ra >= 0))
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s:%ld: duration must be > 0 and rate >= 0, got %g,%g",
                               s->rd.where, ln, du, ra);
        if (ra > JS_LIMIT_RATE || s->pos + du > JS_LIMIT_DURATION_S)
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s:%ld: %s is past the limit of %g %s (README, plausibility "
                               "limits)",
                               s->rd.where, ln, ra > JS_LIMIT_RATE ? "rate" : "trace length",
                               ra > JS_LIMIT_RATE ? JS_LIMIT_RATE : JS_LIMIT_DURATION_S,
                               ra > JS_LIMIT_RATE ? "requests/s" : "s");
        *start = s->pos;
        *len = du;
        *rate = ra;
        s->pos += du;
        return 1;
    }
}

static int64_t days_from_civil(int64_t y, int m, int dd)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD hh:mm:ss[.f...]" followed by ',' or the end. */
static int parse_azure_time(const char *txt, int64_t *sec, double *frac)
{
    int y, mo, da, h, mi, se, n = 0;
    if (sscanf(txt, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &da, &h, &mi, &se, &n) != 6 ||
        n != 19)
        return -1;
    if (mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || se > 60 || h < 0 ||
        mi < 0 || se < 0)
        return -1;
    const char *p = txt + n;
    double f = 0, scale = 0.1;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p)) {
            f += (*p - '0') * scale;
            scale *= 0.1;
            p++;
        }
    }
    if (*p != ',' && *p != '\0')
        return -1;
    *sec = days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + se;
    *frac = f;
    return 0;
}

/* Next timestamp (trace seconds; Azure: relative to the first row). */
static int src_next_time(src *s, double *t, js_diag *d)
{
    char line[1024];
    long ln = 0;
    for (;;) {
        int rc = js_rd_line(&s->rd, line, sizeof line, &ln);
        if (rc != 1)
            return rc;
        double v = 0;
        if (s->fmt == FMT_AZURE) {
            if (line[0] == '\0')
                continue;
            int64_t sec = 0;
            double frac = 0;
            char tok[32];
            if (parse_azure_time(line, &sec, &frac) != 0)
                return js_diag_set(d, JS_EXIT_DATAERR,
                                   "%s:%ld: malformed timestamp: expected "
                                   "'YYYY-MM-DD hh:mm:ss.fffffff,...', got '%s...'",
                                   s->rd.where, ln, token_of(line, tok, sizeof tok));
            if (!s->have_t0) {
                s->have_t0 = true;
                s->t0_sec = sec;
                s->t0_frac = frac;
            }
            v = (double)(sec - s->t0_sec) + (frac - s->t0_frac);
        } else {
            if (blank_or_comment(line))
                continue;
            char *e = NULL, tok[32];
            if (parse_double_field(line, &e, &v) != 0 || *e != '\0' || v < 0)
                return js_diag_set(d, JS_EXIT_DATAERR,
                                   "%s:%ld: expected a time in seconds (>= 0), got '%s'",
                                   s->rd.where, ln, token_of(line, tok, sizeof tok));
        }
        if (v > JS_LIMIT_DURATION_S)
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s:%ld: time %g s is past the limit of %g s (README, "
                               "plausibility limits)",
                               s->rd.where, ln, v, JS_LIMIT_DURATION_S);
        if (s->last_line > 0 && v < s->last)
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s:%ld: timestamps must not decrease (%.7f after %.7f)",
                               s->rd.where, ln, v, s->last);
        s->last = v;
        s->last_line = ln;
        *t = v;
        return 1;
    }
}

/* Next raw interval of a counts or rates source. */
static int src_next_interval(src *s, double *start, double *len, double *rate, js_diag *d)
{
    if (s->fmt == FMT_RATES)
        return src_next_rate(s, start, len, rate, d);
    *start = (double)s->item;
    *len = 1.0;
    return src_next_count(s, rate, d);
}

/* Clip [start, start+len) to the window; 0 = before it, -1 = past it, 1 = inside. */
static int clip(const js_arrivals *a, double *start, double *len)
{
    double e = *start + *len;
    if (e <= a->win_start)
        return 0;
    if (*start >= a->win_end)
        return -1;
    double s0 = *start > a->win_start ? *start : a->win_start;
    double e0 = e < a->win_end ? e : a->win_end;
    *start = s0;
    *len = e0 - s0;
    return *len > 0 ? 1 : 0;
}

/* Next raw interval clipped to the window: 1 = got one, 0 = end, else error. */
static int next_clipped(src *s, const js_arrivals *a, double *st, double *len, double *rate,
                        js_diag *d)
{
    if (s->pend_valid) {
        s->pend_valid = false;
        *st = s->pend_st;
        *len = s->pend_len;
        *rate = s->pend_rate;
        return 1;
    }
    for (;;) {
        int rc = src_next_interval(s, st, len, rate, d);
        if (rc != 1)
            return rc;
        int w = clip(a, st, len);
        if (w < 0)
            return 0;
        if (w > 0)
            return 1;
    }
}

/* Next interval after smoothing (average rate over bins of smooth_s trace seconds). */
static int next_interval(src *s, const js_arrivals *a, double *st, double *len, double *rate,
                         js_diag *d)
{
    double S = a->spec.smooth_s;
    if (!(S > 0))
        return next_clipped(s, a, st, len, rate, d);
    double b1 = 0, first = 0, end = 0, sum = 0;
    bool started = false;
    for (;;) {
        double ist, ilen, irate;
        int rc = next_clipped(s, a, &ist, &ilen, &irate, d);
        if (rc == 0)
            break;
        if (rc != 1)
            return rc;
        if (!started) {
            double k = floor((ist - a->win_start) / S);
            b1 = a->win_start + (k + 1) * S;
            first = ist;
            started = true;
        }
        if (ist >= b1) { /* belongs to a later bin */
            s->pend_valid = true;
            s->pend_st = ist;
            s->pend_len = ilen;
            s->pend_rate = irate;
            break;
        }
        if (ist + ilen > b1) { /* straddles the bin's end: split it */
            double part = b1 - ist;
            sum += irate * part;
            end = b1;
            s->pend_valid = true;
            s->pend_st = b1;
            s->pend_len = ilen - part;
            s->pend_rate = irate;
            break;
        }
        sum += irate * ilen;
        end = ist + ilen;
    }
    if (!started || !(end > first))
        return 0;
    *st = first;
    *len = end - first;
    *rate = sum / *len;
    return 1;
}

/* First pass over the window: mean and peak rate (trace units). */
static int trace_stats(js_arrivals *a, double *mean, double *peak, js_diag *d)
{
    src s;
    int rc = src_open(&s, a->spec.path, d);
    double sum = 0, dur = 0, pk = 0;
    if (rc == 0 && (s.fmt == FMT_COUNTS || s.fmt == FMT_RATES)) {
        double st, len, rate;
        while ((rc = next_interval(&s, a, &st, &len, &rate, d)) == 1) {
            sum += rate * len;
            dur += len;
            if (rate > pk)
                pk = rate;
        }
        if (rc == 1)
            rc = 0;
    } else if (rc == 0) {
        double t, last = a->win_start, bin = -1, inbin = 0;
        uint64_t n = 0;
        while ((rc = src_next_time(&s, &t, d)) == 1) {
            if (t < a->win_start)
                continue;
            if (t >= a->win_end)
                break;
            n++;
            last = t;
            double b = floor(t - a->win_start);
            if (b != bin) {
                bin = b;
                inbin = 0;
            }
            inbin++;
            if (inbin > pk)
                pk = inbin;
        }
        if (rc == 1)
            rc = 0;
        sum = (double)n;
        dur = (isfinite(a->win_end) ? a->win_end : last) - a->win_start;
    }
    src_close(&s);
    if (rc != 0)
        return rc;
    if (!(dur > 0) || !(sum > 0))
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "%s: no arrivals in the selected window (start %g s, duration %g s)",
                           a->spec.path, a->spec.start_s, a->spec.duration_s);
    *mean = sum / dur;
    *peak = pk;
    return 0;
}

static int open_trace(js_arrivals *a, js_diag *d)
{
    const js_arrival_spec *sp = &a->spec;
    if (!(sp->time_compression > 0) || !isfinite(sp->time_compression))
        return js_diag_set(d, JS_EXIT_USAGE, "trace time compression must be > 0, got %g",
                           sp->time_compression);
    if (sp->start_s < 0 || sp->duration_s < 0 || sp->target_mean < 0 || sp->target_peak < 0 ||
        sp->smooth_s < 0 || !isfinite(sp->smooth_s))
        return js_diag_set(d, JS_EXIT_USAGE,
                           "trace window, smoothing and rescaling targets must be >= 0");
    if (sp->start_s > JS_LIMIT_DURATION_S || sp->duration_s > JS_LIMIT_DURATION_S ||
        sp->smooth_s > JS_LIMIT_DURATION_S || sp->time_compression > JS_LIMIT_DURATION_S)
        return js_diag_set(d, JS_EXIT_USAGE,
                           "trace window, smoothing and time compression must be <= %g "
                           "(README, plausibility limits)",
                           JS_LIMIT_DURATION_S);
    if (sp->target_mean > JS_LIMIT_RATE || sp->target_peak > JS_LIMIT_RATE)
        return js_diag_set(d, JS_EXIT_USAGE,
                           "trace rescaling target must be <= %g requests/s (README, "
                           "plausibility limits)",
                           JS_LIMIT_RATE);
    if (sp->target_mean > 0 && sp->target_peak > 0)
        return js_diag_set(d, JS_EXIT_USAGE,
                           "rescale a trace to a target mean or to a target peak, not both");
    a->c = sp->time_compression;
    a->k = 1.0;
    a->win_start = sp->start_s;
    a->win_end = sp->duration_s > 0 ? sp->start_s + sp->duration_s : INFINITY;
    a->mean_c = a->peak_c = NAN;
    if (sp->target_mean > 0 || sp->target_peak > 0) {
        double mean = 0, peak = 0;
        int rc = trace_stats(a, &mean, &peak, d);
        if (rc != 0)
            return rc;
        a->mean_c = mean * a->c;
        a->peak_c = peak * a->c;
        a->k = sp->target_mean > 0 ? sp->target_mean / a->mean_c : sp->target_peak / a->peak_c;
    }
    int rc = src_open(&a->s, sp->path, d);
    if (rc != 0)
        return rc;
    return 0;
}

/* ---- generation ------------------------------------------------------------------- */

/* Unit-rate operational time to the next arrival: Exp(1), or gamma with mean 1. */
static double unit_gap(js_arrivals *a)
{
    if (a->shape == 1.0)
        return gsl_ran_exponential(a->rng, 1.0);
    return gsl_ran_gamma(a->rng, a->shape, 1.0 / a->shape);
}

/* Non-homogeneous process with piecewise-constant intensity: invert the cumulative
 * intensity, walking intervals as needed (exact, constant memory). */
static int next_modulated(js_arrivals *a, double *t, js_diag *d)
{
    double need = unit_gap(a);
    for (;;) {
        if (a->seg_valid) {
            double avail = a->seg_rate * (a->seg_end - a->t);
            if (a->seg_rate > 0 && avail >= need) {
                double nt = a->t + need / a->seg_rate;
                a->t = nt < a->seg_end ? nt : a->seg_end;
                *t = a->t;
                return 0;
            }
            need -= avail;
            a->t = a->seg_end;
            a->seg_valid = false;
        }
        double st, len, rate;
        int rc = next_interval(&a->s, a, &st, &len, &rate, d);
        if (rc == 0)
            return 1;
        if (rc != 1)
            return rc;
        /* Simulated time of the interval; intervals are contiguous in the formats read. */
        a->t = (st - a->win_start) / a->c;
        a->seg_end = (st + len - a->win_start) / a->c;
        a->seg_rate = rate * a->c * a->k;
        a->seg_valid = true;
        if (!(a->seg_rate <= JS_LIMIT_RATE))
            return js_diag_set(d, JS_EXIT_DATAERR,
                               "%s: trace second %g: %g requests/s after time compression and "
                               "rescaling is past the limit of %g (README, plausibility limits)",
                               a->s.rd.where, st, a->seg_rate, JS_LIMIT_RATE);
    }
}

static int next_timestamp(js_arrivals *a, double *t, js_diag *d)
{
    for (;;) {
        double tr;
        int rc = src_next_time(&a->s, &tr, d);
        if (rc == 0)
            return 1;
        if (rc != 1)
            return rc;
        if (tr < a->win_start)
            continue;
        if (tr >= a->win_end)
            return 1;
        a->t = (tr - a->win_start) / (a->c * a->k);
        *t = a->t;
        return 0;
    }
}

static int next_mmpp(js_arrivals *a, double *t)
{
    double sojourn_rate = 1.0 / a->spec.mmpp_mean_sojourn_s;
    for (;;) {
        double cand = a->t + gsl_ran_exponential(a->rng, 1.0 / a->lam[a->state]);
        if (cand < a->switch_t) {
            a->t = cand;
            *t = cand;
            return 0;
        }
        /* Memoryless: restart from the switch in the other state. */
        a->t = a->switch_t;
        a->state ^= 1;
        a->switch_t = a->t + gsl_ran_exponential(a->rng, 1.0 / sojourn_rate);
    }
}

int js_arrivals_next(js_arrivals *a, double *t, js_diag *d)
{
    if (a->done)
        return 1;
    int rc = 0;
    switch (a->spec.kind) {
    case JS_ARR_POISSON:
        a->t += gsl_ran_exponential(a->rng, 1.0 / a->spec.rate);
        *t = a->t;
        break;
    case JS_ARR_GAMMA:
        a->t += gsl_ran_gamma(a->rng, a->shape, 1.0 / (a->spec.rate * a->shape));
        *t = a->t;
        break;
    case JS_ARR_MMPP:
        rc = next_mmpp(a, t);
        break;
    case JS_ARR_TRACE:
        rc = a->s.fmt == FMT_COUNTS || a->s.fmt == FMT_RATES ? next_modulated(a, t, d)
                                                             : next_timestamp(a, t, d);
        break;
    }
    if (rc != 0) {
        a->done = true;
        return rc;
    }
    return 0;
}

static int check_synthetic(const js_arrival_spec *sp, js_diag *d)
{
    if (!(sp->rate > 0) || !isfinite(sp->rate))
        return js_diag_set(d, JS_EXIT_USAGE, "arrival rate must be > 0, got %g", sp->rate);
    if (sp->rate > JS_LIMIT_RATE)
        return js_diag_set(d, JS_EXIT_USAGE,
                           "arrival rate %g requests/s is past the limit of %g (README, "
                           "plausibility limits)",
                           sp->rate, JS_LIMIT_RATE);
    if (sp->kind == JS_ARR_GAMMA && (!(sp->cv > 0) || !isfinite(sp->cv)))
        return js_diag_set(d, JS_EXIT_USAGE, "gamma arrivals need a CV > 0, got %g", sp->cv);
    if (sp->kind == JS_ARR_MMPP &&
        (!(sp->mmpp_rate_ratio >= 1) || !(sp->mmpp_mean_sojourn_s > 0)))
        return js_diag_set(d, JS_EXIT_USAGE,
                           "MMPP needs a high/low rate ratio >= 1 and a mean sojourn > 0 s");
    return 0;
}

int js_arrivals_open(const js_arrival_spec *spec, js_arrivals **out, js_diag *d)
{
    *out = NULL;
    js_arrivals *a = calloc(1, sizeof *a);
    if (a == NULL)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory opening arrivals");
    a->spec = *spec;
    a->spec.path[sizeof a->spec.path - 1] = '\0';
    a->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (a->rng == NULL) {
        free(a);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory opening arrivals");
    }
    gsl_rng_set(a->rng, spec->seed);
    a->shape = 1.0;
    int rc = 0;
    switch (spec->kind) {
    case JS_ARR_POISSON:
    case JS_ARR_GAMMA:
    case JS_ARR_MMPP:
        rc = check_synthetic(spec, d);
        if (rc == 0 && spec->kind == JS_ARR_GAMMA)
            a->shape = 1.0 / (spec->cv * spec->cv);
        if (rc == 0 && spec->kind == JS_ARR_MMPP) {
            /* Equal mean sojourns: the mean rate is the average of the two rates. */
            a->lam[0] = 2.0 * spec->rate / (1.0 + spec->mmpp_rate_ratio);
            a->lam[1] = a->lam[0] * spec->mmpp_rate_ratio;
            a->state = 0;
            a->switch_t = gsl_ran_exponential(a->rng, spec->mmpp_mean_sojourn_s);
        }
        break;
    case JS_ARR_TRACE:
        if (spec->path[0] == '\0') {
            rc = js_diag_set(d, JS_EXIT_USAGE, "trace arrivals need a file");
            break;
        }
        if (spec->cv > 0 && isfinite(spec->cv) && spec->cv != 1.0)
            a->shape = 1.0 / (spec->cv * spec->cv);
        rc = open_trace(a, d);
        break;
    default:
        rc = js_diag_set(d, JS_EXIT_USAGE, "unknown arrival process %d", (int)spec->kind);
    }
    if (rc != 0) {
        js_arrivals_close(a);
        return rc;
    }
    *out = a;
    return 0;
}

void js_arrivals_close(js_arrivals *a)
{
    if (a == NULL)
        return;
    src_close(&a->s);
    if (a->rng != NULL)
        gsl_rng_free(a->rng);
    free(a);
}
