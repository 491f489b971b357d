/* journal: the self-validating journal of finished points, the run bookkeeping shared
 * by the local and MPI drivers, and the CSV output. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jigsaw/planner.h"
#include "jigsaw/sweep.h"
#include "jigsaw/util.h"
#include "sweep_internal.h"

#define JOURNAL_MAGIC "jsweep1"
#define JOURNAL_FIELDS 14 /* magic checksum index status 9-numbers crc */
#define JOURNAL_MAX_BYTES (512u << 20)

uint64_t js_sweep_run_checksum(const js_sweep *sw, const js_sweep_evaluator *ev)
{
    return js_sweep_fnv1a(sw->checksum, ev->name, strlen(ev->name));
}

static uint32_t line_crc(const char *text, size_t len)
{
    uint64_t h = js_sweep_fnv1a(0xcbf29ce484222325ull, text, len);
    return (uint32_t)(h ^ (h >> 32));
}

/* %.17g round-trips every double exactly; "-" stands for NAN. */
static int put_num(char *buf, size_t sz, double v)
{
    return isnan(v) ? snprintf(buf, sz, " -") : snprintf(buf, sz, " %.17g", v);
}

int js_sweep_journal_format(uint64_t checksum, long index, const js_sweep_result *r,
                            char *buf, size_t bufsz)
{
    double nums[9] = {r->max_demand_scale, r->rate_rps,          r->slices < 0 ? NAN : r->slices,
                      r->gpus_used < 0 ? NAN : r->gpus_used,     r->pas,
                      r->sim_requests,     r->sim_violation_rate, r->sim_p99_ms,
                      r->sim_accuracy};
    int n = snprintf(buf, bufsz, JOURNAL_MAGIC " %016llx %ld %s", (unsigned long long)checksum,
                     index, r->status[0] ? r->status : "-");
    for (int i = 0; i < 9 && n >= 0 && (size_t)n < bufsz; i++) {
        int m = put_num(buf + n, bufsz - (size_t)n, nums[i]);
        n = m < 0 ? -1 : n + m;
    }
    if (n < 0 || (size_t)n + 11 > bufsz)
        return -1;
    int m = snprintf(buf + n, bufsz - (size_t)n, " %08x\n", line_crc(buf, (size_t)n));
    return m < 0 ? -1 : n + m;
}

static bool parse_num(const char *tok, double *out)
{
    if (strcmp(tok, "-") == 0) {
        *out = NAN;
        return true;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(tok, &end);
    if (end == tok || *end != '\0' || errno != 0 || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool valid_status(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= JS_SWEEP_STATUS_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

int js_sweep_journal_parse(const char *line, uint64_t checksum, long npoints, long *index,
                           js_sweep_result *r)
{
    char buf[JS_SWEEP_LINE_MAX];
    size_t len = strcspn(line, "\n");
    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, line, len);
    buf[len] = '\0';
    /* The crc covers everything before the last space. */
    char *last = strrchr(buf, ' ');
    if (last == NULL || strlen(last + 1) != 8)
        return 0;
    char *end = NULL;
    unsigned long crc = strtoul(last + 1, &end, 16);
    if (*end != '\0' || crc != line_crc(buf, (size_t)(last - buf)))
        return 0;
    *last = '\0';
    char *tok[JOURNAL_FIELDS];
    int ntok = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
        if (ntok == JOURNAL_FIELDS - 1)
            return 0;
        tok[ntok++] = t;
    }
    if (ntok != JOURNAL_FIELDS - 1 || strcmp(tok[0], JOURNAL_MAGIC) != 0)
        return 0;
    unsigned long long ck = strtoull(tok[1], &end, 16);
    if (*end != '\0' || strlen(tok[1]) != 16)
        return 0;
    errno = 0;
    long idx = strtol(tok[2], &end, 10);
    if (*end != '\0' || errno != 0 || idx < 0)
        return 0;
    if (ck != checksum)
        return -1;
    if (idx >= npoints || !valid_status(tok[3]))
        return 0;
    double v[9];
    for (int i = 0; i < 9; i++)
        if (!parse_num(tok[4 + i], &v[i]))
            return 0;
    js_sweep_result_init(r);
    snprintf(r->status, sizeof r->status, "%s", tok[3]);
    r->max_demand_scale = v[0];
    r->rate_rps = v[1];
    r->slices = isnan(v[2]) ? -1 : (int)v[2];
    r->gpus_used = isnan(v[3]) ? -1 : (int)v[3];
    r->pas = v[4];
    r->sim_requests = v[5];
    r->sim_violation_rate = v[6];
    r->sim_p99_ms = v[7];
    r->sim_accuracy = v[8];
    *index = idx;
    return 1;
}

/* ---- CSV ---------------------------------------------------------------------------- */

static void csv_num(FILE *f, double v)
{
    if (!isnan(v))
        fprintf(f, "%.6g", v);
}

static void csv_int(FILE *f, int v)
{
    if (v >= 0)
        fprintf(f, "%d", v);
}

/* Gain of a point over the unopt point of the same setting (same index but system):
 * max-demand: capacity ratio; min-slices: slices saved (unopt slices / slices). */
static double gain_vs_unopt(const js_sweep *sw, const js_sweep_result *res, long i,
                            int unopt_index)
{
    const js_sweep_result *r = &res[i];
    long base = i - i % sw->nsystems;
    const js_sweep_result *u = &res[base + unopt_index];
    if (sw->objective == JS_SWEEP_MAX_DEMAND) {
        if (isnan(r->max_demand_scale) || isnan(u->max_demand_scale) ||
            !(u->max_demand_scale > 0))
            return NAN;
        return r->max_demand_scale / u->max_demand_scale;
    }
    if (r->slices <= 0 || u->slices <= 0)
        return NAN;
    return (double)u->slices / (double)r->slices;
}

char *js_sweep_csv(const js_sweep *sw, const js_sweep_result *results)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    int unopt_index = -1;
    for (int k = 0; k < sw->nsystems; k++)
        if (sw->systems[k] == 0)
            unopt_index = k;
    fputs("point,system,gpu,gpus,latency_slo_ms,accuracy_slo,demand_scale,status,"
          "max_demand_scale,rate_rps,slices,gpus_used,pas,gain_vs_unopt",
          f);
    if (sw->simulate)
        fputs(",sim_requests,sim_violation_rate,sim_p99_ms,sim_accuracy", f);
    fputc('\n', f);
    for (long i = 0; i < sw->npoints; i++) {
        js_sweep_point p;
        js_sweep_point_at(sw, i, &p);
        const js_sweep_result *r = &results[i];
        fprintf(f, "%ld,%s,%s,", i, js_system_name(p.system),
                p.gpu_type >= 0 ? sw->gpu_types[p.gpu_type] : "");
        csv_int(f, p.gpus > 0 ? p.gpus : -1);
        fputc(',', f);
        csv_num(f, p.latency_slo_ms);
        fputc(',', f);
        csv_num(f, p.accuracy_slo);
        fputc(',', f);
        csv_num(f, p.demand_scale);
        fprintf(f, ",%s,", r->status);
        csv_num(f, r->max_demand_scale);
        fputc(',', f);
        csv_num(f, r->rate_rps);
        fputc(',', f);
        csv_int(f, r->slices);
        fputc(',', f);
        csv_int(f, r->gpus_used);
        fputc(',', f);
        csv_num(f, r->pas);
        fputc(',', f);
        csv_num(f, unopt_index >= 0 ? gain_vs_unopt(sw, results, i, unopt_index) : NAN);
        if (sw->simulate) {
            fputc(',', f);
            csv_num(f, r->sim_requests);
            fputc(',', f);
            csv_num(f, r->sim_violation_rate);
            fputc(',', f);
            csv_num(f, r->sim_p99_ms);
            fputc(',', f);
            csv_num(f, r->sim_accuracy);
        }
        fputc('\n', f);
    }
    if (ferror(f)) {
        fclose(f);
        free(text);
        return NULL;
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- run state ---------------------------------------------------------------------- */

/* Read the existing journal: load its valid lines, cut a torn last line (a kill in the
 * middle of a write) so that appends start on a fresh line. */
static int journal_load(js_sweep_state *st, int fd, js_diag *d)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return js_diag_set(d, JS_EXIT_NOINPUT, "%s: cannot stat: %s", st->journal_path,
                           strerror(errno));
    if ((size_t)sb.st_size > JOURNAL_MAX_BYTES)
        return js_diag_set(d, JS_EXIT_DATAERR, "%s: journal larger than %u MiB",
                           st->journal_path, JOURNAL_MAX_BYTES >> 20);
    size_t size = (size_t)sb.st_size;
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
        if (n <= 0) {
            free(buf);
            return js_diag_set(d, JS_EXIT_NOINPUT, "%s: cannot read: %s", st->journal_path,
                               n == 0 ? "file shrank" : strerror(errno));
        }
        got += (size_t)n;
    }
    buf[size] = '\0';
    size_t complete = 0; /* bytes up to and including the last newline */
    long lineno = 0, invalid = 0;
    int rc = 0;
    for (size_t pos = 0; pos < size;) {
        char *nl = memchr(buf + pos, '\n', size - pos);
        if (nl == NULL)
            break; /* torn tail */
        lineno++;
        *nl = '\0';
        long idx = -1;
        js_sweep_result r;
        int ok = js_sweep_journal_parse(buf + pos, st->checksum, st->sw->npoints, &idx, &r);
        if (ok < 0) {
            rc = js_diag_set(d, JS_EXIT_DATAERR,
                             "%s: line %ld: journal of a different sweep (the sweep file, "
                             "its scenario or the evaluator changed since); delete it to "
                             "start over, or write to another output",
                             st->journal_path, lineno);
            break;
        }
        if (ok == 0)
            invalid++;
        else if (!st->done[idx]) {
            st->results[idx] = r;
            st->done[idx] = 1;
            st->ndone++;
        }
        pos = (size_t)(nl - buf) + 1;
        complete = pos;
    }
    free(buf);
    if (rc != 0)
        return rc;
    if (invalid > 0)
        js_diag_warn(d, "%s: %ld corrupt line(s) ignored (their points are recomputed)",
                     st->journal_path, invalid);
    if (complete < size && ftruncate(fd, (off_t)complete) != 0)
        return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: cannot cut its torn last line: %s",
                           st->journal_path, strerror(errno));
    st->nresumed = st->ndone;
    return 0;
}

static void fsync_dir_of(const char *path)
{
    char dir[JS_PATH_MAX + 16];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd); /* best effort: the journal's directory entry survives a crash */
        close(fd);
    }
}

static int journal_open(js_sweep_state *st, const char *out_path, js_diag *d)
{
    int n = snprintf(st->journal_path, sizeof st->journal_path, "%s.journal", out_path);
    if (n < 0 || (size_t)n >= sizeof st->journal_path)
        return js_diag_set(d, JS_EXIT_USAGE, "%s: output path too long", out_path);
    int fd = open(st->journal_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: cannot open the sweep journal: %s",
                           st->journal_path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        return js_diag_set(d, e == EWOULDBLOCK ? JS_EXIT_CANTCREAT : JS_EXIT_INTERNAL,
                           "%s: %s", st->journal_path,
                           e == EWOULDBLOCK ? "another sweep is writing this output now"
                                            : strerror(e));
    }
    int rc = journal_load(st, fd, d);
    if (rc != 0) {
        close(fd);
        return rc;
    }
    fsync_dir_of(st->journal_path);
    st->journal_fd = fd;
    return 0;
}

int js_sweep_state_open(js_sweep_state *st, const js_sweep *sw, const js_sweep_evaluator *ev,
                        const js_sweep_options *o, js_diag *d)
{
    memset(st, 0, sizeof *st);
    st->sw = sw;
    st->journal_fd = -1;
    st->checksum = js_sweep_run_checksum(sw, ev);
    st->results = calloc((size_t)sw->npoints, sizeof *st->results);
    st->done = calloc((size_t)sw->npoints, 1);
    if (st->results == NULL || st->done == NULL) {
        js_sweep_state_close(st);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory (%ld points)", sw->npoints);
    }
    for (long i = 0; i < sw->npoints; i++)
        js_sweep_result_init(&st->results[i]);
    if (o->out_path != NULL) {
        int rc = journal_open(st, o->out_path, d);
        if (rc != 0) {
            js_sweep_state_close(st);
            return rc;
        }
    }
    st->progress = o->progress;
    st->progress_ctx = o->progress_ctx;
    st->t_start = js_now_s();
    if (st->nresumed > 0)
        js_sweep_state_report(st, JS_SWEEP_RESUMED);
    return 0;
}

long js_sweep_state_take(js_sweep_state *st)
{
    while (st->next < st->sw->npoints && st->done[st->next])
        st->next++;
    if (st->next >= st->sw->npoints)
        return -1;
    return st->next++;
}

void js_sweep_state_report(const js_sweep_state *st, js_sweep_event event)
{
    if (st->progress == NULL)
        return;
    js_sweep_progress p = {
        .event = event,
        .done = st->ndone,
        .total = st->sw->npoints,
        .resumed = st->nresumed,
        .done_this_run = st->done_this_run,
        .elapsed_s = js_now_s() - st->t_start,
        .journal_path = st->journal_path,
    };
    st->progress(st->progress_ctx, &p);
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int js_sweep_state_record(js_sweep_state *st, long index, const js_sweep_result *r,
                          js_diag *d)
{
    if (index < 0 || index >= st->sw->npoints)
        return js_diag_set(d, JS_EXIT_INTERNAL, "sweep: result for unknown point %ld", index);
    if (st->done[index])
        return 0;
    st->results[index] = *r;
    st->done[index] = 1;
    st->ndone++;
    st->done_this_run++;
    if (st->journal_fd >= 0) {
        char line[JS_SWEEP_LINE_MAX];
        int n = js_sweep_journal_format(st->checksum, index, r, line, sizeof line);
        if (n < 0)
            return js_diag_set(d, JS_EXIT_INTERNAL, "sweep: journal line too long");
        /* One write per line (O_APPEND) then fsync: a finished point survives a crash;
         * a torn line is detected by its crc and recomputed. */
        if (write_all(st->journal_fd, line, (size_t)n) != 0 || fsync(st->journal_fd) != 0)
            return js_diag_set(d, JS_EXIT_CANTCREAT, "%s: cannot append: %s",
                               st->journal_path, strerror(errno));
    }
    js_sweep_state_report(st, JS_SWEEP_POINT);
    return 0;
}

int js_sweep_state_finish(js_sweep_state *st, const js_sweep_options *o, js_diag *d)
{
    js_sweep_state_report(st, JS_SWEEP_COMPLETE);
    char *csv = js_sweep_csv(st->sw, st->results);
    if (csv == NULL)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory writing the CSV");
    int rc = 0;
    if (o->out_path != NULL) {
        rc = js_write_file_atomic(o->out_path, csv, strlen(csv), d);
        if (rc == 0 && !o->keep_journal && unlink(st->journal_path) != 0)
            js_diag_warn(d, "%s: cannot remove: %s", st->journal_path, strerror(errno));
    } else if (o->csv_stream != NULL) {
        size_t len = strlen(csv);
        if (fwrite(csv, 1, len, o->csv_stream) != len || fflush(o->csv_stream) != 0)
            rc = js_diag_set(d, JS_EXIT_CANTCREAT, "cannot write the CSV to %s: %s",
                             o->csv_stream_name != NULL ? o->csv_stream_name : "its stream",
                             strerror(errno));
    }
    free(csv);
    return rc;
}

void js_sweep_state_close(js_sweep_state *st)
{
    if (st->journal_fd >= 0)
        close(st->journal_fd); /* also releases the lock */
    st->journal_fd = -1;
    free(st->results);
    free(st->done);
    st->results = NULL;
    st->done = NULL;
}
