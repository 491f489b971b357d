/* sim_timeline: the per-interval timeline CSV (js_sim_write_timeline in sim.h).
 *
 * Counters per application and in total are kept for the open interval beside the run's
 * own (record_completion and record_drop in sim_worker.c add to both); an EV_TICK event
 * closes the interval into rows of a growing text buffer, and the buffer is written
 * atomically at the end. Columns are listed in include/jigsaw/sim.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "jigsaw/jsonio.h"
#include "sim_internal.h"

static int tl_append(js_sim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int tl_append(js_sim *sim, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = sim->tl_cap - sim->tl_len;
        int n = vsnprintf(sim->tl_buf ? sim->tl_buf + sim->tl_len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            return JS_EXIT_INTERNAL;
        if ((size_t)n < room) {
            sim->tl_len += (size_t)n;
            return 0;
        }
        size_t ncap = (sim->tl_cap ? sim->tl_cap * 2 : 8192) + (size_t)n;
        char *nb = realloc(sim->tl_buf, ncap);
        if (nb == NULL)
            return oom(sim);
        sim->tl_buf = nb;
        sim->tl_cap = ncap;
    }
}

static void fmt_num(char *buf, size_t n, double v)
{
    if (isfinite(v))
        snprintf(buf, n, "%.6g", v);
    else
        snprintf(buf, n, "%s", "");
}

static int tl_row(js_sim *sim, double t0, double t1, const char *name, const appctr *c,
                  uint64_t arrivals, double slices, double gpus)
{
    char p50[32], p95[32], p99[32], mx[32], acc[32], vr[32];
    uint64_t fin = c->completed + c->dropped;
    fmt_num(vr, sizeof vr, fin ? (double)(c->late + c->dropped) / (double)fin : NAN);
    fmt_num(p50, sizeof p50, js_hist_quantile(&c->h, 0.50));
    fmt_num(p95, sizeof p95, js_hist_quantile(&c->h, 0.95));
    fmt_num(p99, sizeof p99, js_hist_quantile(&c->h, 0.99));
    fmt_num(mx, sizeof mx, c->h.n ? c->h.max : NAN);
    fmt_num(acc, sizeof acc, c->completed ? c->pas_sum / (double)c->completed : NAN);
    return tl_append(sim, "%.6g,%.6g,%s,%llu,%llu,%llu,%llu,%s,%s,%s,%s,%s,%s,%.6g,%.6g\n", t0,
                     t1, name, (unsigned long long)arrivals, (unsigned long long)c->completed,
                     (unsigned long long)c->late, (unsigned long long)c->dropped, vr, p50, p95,
                     p99, mx, acc, slices, gpus);
}

/* Close the interval [tl_start, t_end). */
int sim_tl_flush(js_sim *sim, double t_end)
{
    if (sim->tl_app == NULL || !(t_end > sim->tl_start))
        return 0;
    double save_now = sim->now;
    sim->now = t_end;
    sim_touch_resources(sim);
    sim->now = save_now;
    double len = t_end - sim->tl_start;
    double sl = sim->tl_slices_area / len, gp = sim->tl_gpus_area / len;
    int rc = 0;
    for (int a = 0; a < sim->napps && rc == 0; a++)
        rc = tl_row(sim, sim->tl_start, t_end, sim->s->apps[a].name, &sim->tl_app[a],
                    sim->tl_app[a].requests, sl, gp);
    js_hist_reset(&sim->tl_total.h);
    for (int a = 0; a < sim->napps; a++)
        js_hist_merge(&sim->tl_total.h, &sim->tl_app[a].h);
    if (rc == 0)
        rc = tl_row(sim, sim->tl_start, t_end, "all", &sim->tl_total, sim->tl_total.requests,
                    sl, gp);
    for (int a = 0; a < sim->napps; a++)
        js_hist_reset(&sim->tl_app[a].h), sim->tl_app[a].requests = sim->tl_app[a].completed =
                                              sim->tl_app[a].late = sim->tl_app[a].dropped = 0,
                                              sim->tl_app[a].pas_sum = 0;
    js_hist_reset(&sim->tl_total.h);
    sim->tl_total.requests = sim->tl_total.completed = sim->tl_total.late =
        sim->tl_total.dropped = 0;
    sim->tl_total.pas_sum = 0;
    sim->tl_slices_area = sim->tl_gpus_area = 0;
    sim->tl_start = t_end;
    return rc;
}

int js_sim_write_timeline(js_sim *sim, const char *path, js_diag *d)
{
    if (sim->tl_app == NULL)
        return js_diag_set(d, JS_EXIT_USAGE, "simulator: no timeline was recorded "
                                             "(timeline interval is 0)");
    int rc = sim_tl_flush(sim, sim->now);
    if (rc != 0)
        return js_diag_set(d, rc, "simulator: cannot build the timeline");
    return js_write_file_atomic(path, sim->tl_buf ? sim->tl_buf : "", sim->tl_len, d);
}

int sim_timeline_init(js_sim *sim, double interval_s)
{
    sim->tl_interval = interval_s;
    sim->tl_app = calloc((size_t)sim->napps + 1, sizeof *sim->tl_app);
    if (sim->tl_app == NULL)
        return oom(sim);
    return tl_append(sim, "t_start_s,t_end_s,app,arrivals,completed,late,dropped,"
                          "violation_rate,p50_ms,p95_ms,p99_ms,max_ms,accuracy,slices,"
                          "gpus\n");
}
