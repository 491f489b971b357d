/* local: the sweep driver on one machine -- in-process (-j 1) or N forked worker
 * processes fed point by point over pipes (dynamic distribution: a worker gets its next
 * point when it returns a result, so expensive points do not hold up cheap ones). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jigsaw/sweep.h"
#include "sweep_internal.h"

/* The signal that asked the sweep to stop (0: none). Process-wide by nature: it is set
 * by the SIGINT/SIGTERM handler, the only way a handler can talk to the loop. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void signals_install(js_sweep_signals *saved)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocked poll() returns EINTR at once. SA_RESETHAND: a second
     * Ctrl-C kills at once (the journal stays valid either way). */
    sa.sa_flags = SA_RESETHAND;
    stop_signal = 0;
    sigaction(SIGINT, &sa, &saved->intr);
    sigaction(SIGTERM, &sa, &saved->term);
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &saved->pipe); /* a dead worker is an EPIPE, not our death */
}

static void signals_restore(const js_sweep_signals *saved)
{
    sigaction(SIGINT, &saved->intr, NULL);
    sigaction(SIGTERM, &saved->term, NULL);
    sigaction(SIGPIPE, &saved->pipe, NULL);
}

int js_sweep_stop_signal(void)
{
    return stop_signal;
}

void js_sweep_signals_install(js_sweep_signals *saved)
{
    signals_install(saved);
}

void js_sweep_signals_restore(const js_sweep_signals *saved)
{
    signals_restore(saved);
}

/* Evaluate one point and render the message a worker sends back: the journal line,
 * or "E <index> <code> <message>" when evaluation failed. */
int js_sweep_eval_message(const js_sweep *sw, const js_sweep_evaluator *ev, uint64_t checksum,
                          long index, char *buf, size_t bufsz)
{
    js_sweep_point p;
    js_sweep_point_at(sw, index, &p);
    js_sweep_result r;
    js_sweep_result_init(&r);
    js_diag d;
    js_diag_init(&d);
    int rc = ev->eval(ev->ctx, sw, &p, &r, &d);
    if (rc == 0 && js_sweep_journal_format(checksum, index, &r, buf, bufsz) > 0)
        return 0;
    if (rc == 0)
        rc = js_diag_set(&d, JS_EXIT_INTERNAL, "point %ld: result does not fit a journal line",
                         index);
    /* Newlines would split the message; the protocol is line based. */
    for (char *c = d.msg; *c; c++)
        if (*c == '\n')
            *c = ' ';
    snprintf(buf, bufsz, "E %ld %d %s\n", index, rc, d.msg);
    return rc;
}

/* Take a worker's message: record a result, or turn "E ..." into the sweep's error. */
int js_sweep_take_message(js_sweep_state *st, const char *msg, js_diag *d)
{
    if (msg[0] == 'E' && msg[1] == ' ') {
        long index = -1;
        int code = JS_EXIT_INTERNAL, off = 0;
        if (sscanf(msg, "E %ld %d %n", &index, &code, &off) < 2 || off == 0)
            return js_diag_set(d, JS_EXIT_INTERNAL, "sweep: garbled worker message");
        const char *text = msg + off;
        size_t len = strcspn(text, "\n");
        if (code <= 0 || code > 255)
            code = JS_EXIT_INTERNAL;
        return js_diag_set(d, code, "%.*s (sweep point %ld)", (int)len, text, index);
    }
    long index = -1;
    js_sweep_result r;
    if (js_sweep_journal_parse(msg, st->checksum, st->sw->npoints, &index, &r) != 1)
        return js_diag_set(d, JS_EXIT_INTERNAL, "sweep: garbled worker result");
    return js_sweep_state_record(st, index, &r, d);
}

/* ---- in-process ----------------------------------------------------------------------- */

static int run_serial(js_sweep_state *st, const js_sweep_evaluator *ev, js_diag *d)
{
    char msg[JS_SWEEP_LINE_MAX + JS_DIAG_MSG_MAX];
    for (long i = js_sweep_state_take(st); i >= 0; i = js_sweep_state_take(st)) {
        if (stop_signal)
            return 128 + stop_signal;
        js_sweep_eval_message(st->sw, ev, st->checksum, i, msg, sizeof msg);
        int rc = js_sweep_take_message(st, msg, d);
        if (rc != 0)
            return rc;
    }
    return stop_signal ? 128 + stop_signal : 0;
}

/* ---- worker processes --------------------------------------------------------------- */

typedef struct worker {
    pid_t pid;
    int to_fd;      /* master -> worker: point indices, one per line */
    int from_fd;    /* worker -> master: result messages, one per line */
    long point;     /* in flight, -1 idle */
    char buf[JS_SWEEP_LINE_MAX + JS_DIAG_MSG_MAX];
    size_t len;
} worker;

static int write_line(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The worker's loop: read an index, evaluate, answer; EOF = done. Never returns. */
static void worker_main(const js_sweep *sw, const js_sweep_evaluator *ev, uint64_t checksum,
                        int in_fd, int out_fd)
{
    signal(SIGINT, SIG_DFL); /* Ctrl-C reaches the whole process group: just die */
    signal(SIGTERM, SIG_DFL);
    char in[64];
    size_t have = 0;
    char msg[JS_SWEEP_LINE_MAX + JS_DIAG_MSG_MAX];
    for (;;) {
        char *nl = memchr(in, '\n', have);
        if (nl == NULL) {
            if (have == sizeof in)
                _exit(JS_EXIT_INTERNAL);
            ssize_t n = read(in_fd, in + have, sizeof in - have);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                _exit(0);
            have += (size_t)n;
            continue;
        }
        *nl = '\0';
        long index = strtol(in, NULL, 10);
        size_t used = (size_t)(nl - in) + 1;
        memmove(in, in + used, have - used);
        have -= used;
        js_sweep_eval_message(sw, ev, checksum, index, msg, sizeof msg);
        if (write_line(out_fd, msg, strlen(msg)) != 0)
            _exit(JS_EXIT_INTERNAL);
    }
}

static int spawn_workers(js_sweep_state *st, const js_sweep_evaluator *ev, worker *w, int n,
                         js_diag *d)
{
    fflush(NULL); /* the children must not flush copies of our buffers */
    for (int i = 0; i < n; i++) {
        int down[2], up[2];
        if (pipe2(down, O_CLOEXEC) != 0)
            return js_diag_set(d, JS_EXIT_INTERNAL, "sweep: pipe: %s", strerror(errno));
        if (pipe2(up, O_CLOEXEC) != 0) {
            close(down[0]);
            close(down[1]);
            return js_diag_set(d, JS_EXIT_INTERNAL, "sweep: pipe: %s", strerror(errno));
        }
        pid_t pid = fork();
        if (pid < 0) {
            int e = errno;
            close(down[0]);
            close(down[1]);
            close(up[0]);
            close(up[1]);
            return js_diag_set(d, JS_EXIT_INTERNAL, "sweep: fork: %s", strerror(e));
        }
        if (pid == 0) {
            /* Child: keep only its own two pipe ends (and no journal: one writer). */
            if (st->journal_fd >= 0)
                close(st->journal_fd);
            for (int j = 0; j < i; j++) {
                close(w[j].to_fd);
                close(w[j].from_fd);
            }
            close(down[1]);
            close(up[0]);
            worker_main(st->sw, ev, st->checksum, down[0], up[1]);
        }
        close(down[0]);
        close(up[1]);
        w[i].pid = pid;
        w[i].to_fd = down[1];
        w[i].from_fd = up[0];
        w[i].point = -1;
        w[i].len = 0;
    }
    return 0;
}

/* Give worker `w` its next point, or close its input (no more work). */
static int feed(js_sweep_state *st, worker *w, bool stopping)
{
    long i = stopping ? -1 : js_sweep_state_take(st);
    w->point = i;
    if (i < 0) {
        if (w->to_fd >= 0)
            close(w->to_fd);
        w->to_fd = -1;
        return 0;
    }
    char line[32];
    int n = snprintf(line, sizeof line, "%ld\n", i);
    return write_line(w->to_fd, line, (size_t)n);
}

static int worker_died(const worker *w, js_diag *d)
{
    int status = 0;
    pid_t r = waitpid(w->pid, &status, 0);
    if (r == w->pid && WIFSIGNALED(status))
        return js_diag_set(d, JS_EXIT_INTERNAL,
                           "sweep: worker process %d was killed by signal %d while "
                           "evaluating point %ld",
                           (int)w->pid, WTERMSIG(status), w->point);
    return js_diag_set(d, JS_EXIT_INTERNAL,
                       "sweep: worker process %d exited while evaluating point %ld",
                       (int)w->pid, w->point);
}

/* Drain complete lines from a worker; each is one result. */
static int worker_read(js_sweep_state *st, worker *w, bool stopping, js_diag *d)
{
    ssize_t n = read(w->from_fd, w->buf + w->len, sizeof w->buf - 1 - w->len);
    if (n < 0 && errno == EINTR)
        return 0;
    if (n <= 0) {
        close(w->from_fd);
        w->from_fd = -1;
        return w->point >= 0 ? worker_died(w, d) : 0;
    }
    w->len += (size_t)n;
    w->buf[w->len] = '\0';
    char *nl;
    while ((nl = memchr(w->buf, '\n', w->len)) != NULL) {
        int rc = js_sweep_take_message(st, w->buf, d);
        size_t used = (size_t)(nl - w->buf) + 1;
        memmove(w->buf, w->buf + used, w->len - used);
        w->len -= used;
        w->buf[w->len] = '\0';
        if (rc != 0)
            return rc;
        if (feed(st, w, stopping) != 0)
            return js_diag_set(d, JS_EXIT_INTERNAL, "sweep: worker %d stopped reading",
                               (int)w->pid);
    }
    if (w->len == sizeof w->buf - 1)
        return js_diag_set(d, JS_EXIT_INTERNAL, "sweep: worker message too long");
    return 0;
}

static void reap_workers(worker *w, int n, bool kill_them)
{
    for (int i = 0; i < n; i++) {
        if (w[i].pid <= 0)
            continue;
        if (w[i].to_fd >= 0)
            close(w[i].to_fd);
        if (w[i].from_fd >= 0)
            close(w[i].from_fd);
        if (kill_them)
            kill(w[i].pid, SIGTERM);
        while (waitpid(w[i].pid, NULL, 0) < 0 && errno == EINTR)
            ;
        w[i].pid = 0;
    }
}

static int run_parallel(js_sweep_state *st, const js_sweep_evaluator *ev, int jobs,
                        js_diag *d)
{
    worker *w = calloc((size_t)jobs, sizeof *w);
    struct pollfd *pfd = calloc((size_t)jobs, sizeof *pfd);
    if (w == NULL || pfd == NULL) {
        free(w);
        free(pfd);
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    }
    int rc = spawn_workers(st, ev, w, jobs, d);
    for (int i = 0; rc == 0 && i < jobs; i++)
        if (feed(st, &w[i], false) != 0)
            rc = js_diag_set(d, JS_EXIT_INTERNAL, "sweep: cannot reach worker %d", (int)w[i].pid);
    while (rc == 0) {
        if (stop_signal) {
            rc = 128 + stop_signal;
            break;
        }
        int n = 0;
        for (int i = 0; i < jobs; i++) {
            if (w[i].from_fd < 0)
                continue;
            pfd[n].fd = w[i].from_fd;
            pfd[n].events = POLLIN;
            pfd[n].revents = 0;
            n++;
        }
        if (n == 0)
            break; /* every worker finished and closed its output */
        if (poll(pfd, (nfds_t)n, -1) < 0) {
            if (errno != EINTR)
                rc = js_diag_set(d, JS_EXIT_INTERNAL, "sweep: poll: %s", strerror(errno));
            continue;
        }
        int k = 0;
        for (int i = 0; rc == 0 && i < jobs; i++) {
            if (w[i].from_fd < 0)
                continue;
            if (pfd[k++].revents != 0)
                rc = worker_read(st, &w[i], false, d);
        }
    }
    reap_workers(w, jobs, rc != 0);
    free(w);
    free(pfd);
    return rc;
}

int js_sweep_run(const js_sweep *sw, const js_sweep_evaluator *ev,
                 const js_sweep_options *opts, js_diag *d)
{
    js_sweep_state st;
    int rc = js_sweep_state_open(&st, sw, ev, opts, d);
    if (rc != 0)
        return rc;
    js_sweep_signals saved;
    signals_install(&saved);
    long left = sw->npoints - st.ndone;
    int jobs = opts->jobs < 1 ? 1 : opts->jobs;
    if (jobs > left)
        jobs = left > 0 ? (int)left : 1;
    rc = jobs == 1 ? run_serial(&st, ev, d) : run_parallel(&st, ev, jobs, d);
    signals_restore(&saved);
    if (rc == 0)
        rc = js_sweep_state_finish(&st, opts, d);
    else
        js_sweep_state_report(&st, JS_SWEEP_ABORTED);
    if (rc > 128 && rc < 128 + 65)
        js_diag_set(d, rc, "sweep interrupted by signal %d after %ld of %ld points; the "
                           "journal%s%s keeps them: run the same command again to resume",
                    rc - 128, st.ndone, sw->npoints, st.journal_fd >= 0 ? " " : "",
                    st.journal_fd >= 0 ? st.journal_path : " (none without -o)");
    js_sweep_state_close(&st);
    return rc;
}

void js_sweep_options_init(js_sweep_options *o)
{
    memset(o, 0, sizeof *o);
    o->jobs = 1;
}
