/* Worker processes: one process per MPS worker, talking to the parent over a socketpair.
 *
 * Each worker is forked before any CUDA call in the parent, sets its MPS share or MIG
 * instance in its own environment, opens its device and then serves requests: run one
 * batch, or run a timed series (profiling). Sockets rather than pipes so that a write to
 * a dead worker fails with EPIPE (MSG_NOSIGNAL) instead of killing the parent.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jigsaw/gpubackend.h"
#include "jigsaw/util.h"

enum { OP_RUN = 1, OP_SERIES = 2, OP_QUIT = 3 };

typedef struct wreq {
    int32_t op, batch, warmup, reps;
} wreq;

typedef struct wrep {
    int32_t status;       /* exit code, 0 = ok */
    int32_t nvalues;      /* doubles following (series) */
    double elapsed_ms;
    double wall_s;
    char msg[JS_DIAG_MSG_MAX];
} wrep;

typedef struct wslot {
    pid_t pid;
    int fd;
    int busy;
} wslot;

struct js_gpu_pool {
    int n;
    wslot *w;
};

static int write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t k = send(fd, p, len, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* 0 ok, 1 end of stream before any byte, -1 error or short read. */
static int read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t k = read(fd, p + got, len - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k == 0)
            return got == 0 ? 1 : -1;
        if (k < 0)
            return -1;
        got += (size_t)k;
    }
    return 0;
}

/* ------------------------------------------------------------------ worker side */

static void reply_error(int fd, const js_diag *d)
{
    wrep r;
    memset(&r, 0, sizeof r);
    r.status = d->code ? d->code : JS_EXIT_INTERNAL;
    snprintf(r.msg, sizeof r.msg, "%s", d->msg);
    (void)write_full(fd, &r, sizeof r);
}

static int serve_series(int fd, js_gpu_device *dev, const wreq *q, js_diag *d)
{
    double ms = 0;
    for (int i = 0; i < q->warmup; i++)
        if (dev->run_batch(dev, q->batch, &ms, d) != 0)
            return d->code;
    double *lat = malloc(sizeof *lat * (size_t)(q->reps > 0 ? q->reps : 1));
    if (!lat)
        return js_diag_set(d, JS_EXIT_INTERNAL, "worker: out of memory");
    double t0 = js_now_s();
    for (int i = 0; i < q->reps; i++) {
        if (dev->run_batch(dev, q->batch, &lat[i], d) != 0) {
            free(lat);
            return d->code;
        }
    }
    wrep r;
    memset(&r, 0, sizeof r);
    r.nvalues = q->reps;
    r.wall_s = js_now_s() - t0;
    int rc = write_full(fd, &r, sizeof r) ||
             write_full(fd, lat, sizeof *lat * (size_t)q->reps);
    free(lat);
    return rc ? JS_EXIT_INTERNAL : 0;
}

static void worker_main(int fd, const js_device_factory *f, const js_worker_spec *spec)
{
    js_diag d;
    js_diag_init(&d);
    char buf[32];
    if (spec->mig_uuid[0])
        setenv("CUDA_VISIBLE_DEVICES", spec->mig_uuid, 1);
    if (spec->mps_percent > 0) {
        snprintf(buf, sizeof buf, "%d", spec->mps_percent);
        setenv("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE", buf, 1);
    }
    js_gpu_device *dev = NULL;
    if (f->open(f, spec, &dev, &d) != 0) {
        reply_error(fd, &d);
        _exit(1);
    }
    wrep ready;
    memset(&ready, 0, sizeof ready);
    if (write_full(fd, &ready, sizeof ready) != 0) {
        dev->close(dev);
        _exit(1);
    }
    for (;;) {
        wreq q;
        if (read_full(fd, &q, sizeof q) != 0 || q.op == OP_QUIT)
            break;
        if (q.op == OP_RUN) {
            wrep r;
            memset(&r, 0, sizeof r);
            if (dev->run_batch(dev, q.batch, &r.elapsed_ms, &d) != 0) {
                reply_error(fd, &d);
                break;
            }
            if (write_full(fd, &r, sizeof r) != 0)
                break;
        } else if (q.op == OP_SERIES) {
            if (serve_series(fd, dev, &q, &d) != 0) {
                reply_error(fd, &d);
                break;
            }
        }
    }
    dev->close(dev);
    _exit(d.code ? 1 : 0);
}

/* ------------------------------------------------------------------ parent side */

static void stop_worker(wslot *w)
{
    if (w->pid <= 0)
        return;
    wreq q = {OP_QUIT, 0, 0, 0};
    (void)write_full(w->fd, &q, sizeof q);
    close(w->fd);
    w->fd = -1;
    /* Give it 3 s to close its device, then kill our own child. */
    for (int i = 0; i < 300; i++) {
        pid_t r = waitpid(w->pid, NULL, WNOHANG);
        if (r == w->pid || r < 0) {
            w->pid = 0;
            return;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(w->pid, SIGKILL);
    waitpid(w->pid, NULL, 0);
    w->pid = 0;
}

void js_gpu_pool_stop(js_gpu_pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        stop_worker(&p->w[i]);
    free(p->w);
    free(p);
}

static int read_reply(js_gpu_pool *p, int i, wrep *r, js_diag *d)
{
    int rc = read_full(p->w[i].fd, r, sizeof *r);
    if (rc != 0)
        return js_diag_set(d, JS_EXIT_INTERNAL, "worker %d (pid %d) exited unexpectedly", i,
                           (int)p->w[i].pid);
    if (r->status != 0)
        return js_diag_set(d, r->status, "worker %d: %.900s", i, r->msg);
    return 0;
}

int js_gpu_pool_start(const js_device_factory *f, const js_worker_spec *specs, int n,
                      js_gpu_pool **out, js_diag *d)
{
    *out = NULL;
    js_gpu_pool *p = calloc(1, sizeof *p);
    if (!p || n < 1 || !(p->w = calloc((size_t)n, sizeof *p->w))) {
        free(p);
        return js_diag_set(d, n < 1 ? JS_EXIT_USAGE : JS_EXIT_INTERNAL,
                           n < 1 ? "worker pool: no workers" : "worker pool: out of memory");
    }
    fflush(NULL); /* no duplicated stdio buffers in the children */
    for (int i = 0; i < n; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            js_gpu_pool_stop(p);
            return js_diag_set(d, JS_EXIT_INTERNAL, "worker pool: socketpair: %s",
                               strerror(errno));
        }
        pid_t pid = fork();
        if (pid < 0) {
            close(sv[0]);
            close(sv[1]);
            js_gpu_pool_stop(p);
            return js_diag_set(d, JS_EXIT_INTERNAL, "worker pool: fork: %s", strerror(errno));
        }
        if (pid == 0) {
            close(sv[0]);
            for (int j = 0; j < i; j++) /* siblings' sockets: keep EOF detection exact */
                close(p->w[j].fd);
            worker_main(sv[1], f, &specs[i]);
        }
        close(sv[1]);
        p->w[i].pid = pid;
        p->w[i].fd = sv[0];
        p->n = i + 1;
    }
    /* Every worker reports ready or its error (device open failure). */
    for (int i = 0; i < n; i++) {
        wrep r;
        if (read_reply(p, i, &r, d) != 0) {
            js_gpu_pool_stop(p);
            return d->code;
        }
    }
    *out = p;
    return 0;
}

int js_gpu_pool_submit(js_gpu_pool *p, int i, int batch, js_diag *d)
{
    if (i < 0 || i >= p->n || p->w[i].busy)
        return js_diag_set(d, JS_EXIT_INTERNAL, "worker pool: worker %d is not idle", i);
    wreq q = {OP_RUN, batch, 0, 0};
    if (write_full(p->w[i].fd, &q, sizeof q) != 0)
        return js_diag_set(d, JS_EXIT_INTERNAL, "worker %d: cannot send a batch: %s", i,
                           strerror(errno));
    p->w[i].busy = 1;
    return 0;
}

int js_gpu_pool_wait(js_gpu_pool *p, int64_t timeout_ns, int *worker, double *elapsed_ms,
                     js_diag *d)
{
    struct pollfd *fds = calloc((size_t)p->n, sizeof *fds);
    int *idx = calloc((size_t)p->n, sizeof *idx);
    if (!fds || !idx) {
        free(fds);
        free(idx);
        return js_diag_set(d, JS_EXIT_INTERNAL, "worker pool: out of memory");
    }
    int nf = 0;
    for (int i = 0; i < p->n; i++) {
        if (!p->w[i].busy)
            continue;
        fds[nf].fd = p->w[i].fd;
        fds[nf].events = POLLIN;
        idx[nf++] = i;
    }
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000);
        ts.tv_nsec = (long)(timeout_ns % 1000000000);
        tsp = &ts;
    }
    int rc;
    do
        rc = ppoll(fds, (nfds_t)nf, tsp, NULL);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "worker pool: poll: %s", strerror(errno));
    } else if (rc == 0) {
        rc = 0;
    } else {
        rc = JS_EXIT_INTERNAL;
        for (int k = 0; k < nf; k++) {
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int i = idx[k];
            wrep r;
            p->w[i].busy = 0;
            if (read_reply(p, i, &r, d) != 0) {
                rc = d->code;
                break;
            }
            *worker = i;
            *elapsed_ms = r.elapsed_ms;
            rc = 1;
            break;
        }
    }
    free(fds);
    free(idx);
    return rc;
}

int js_gpu_pool_series_start(js_gpu_pool *p, int i, int batch, int warmup, int reps,
                             js_diag *d)
{
    if (i < 0 || i >= p->n || p->w[i].busy || reps < 1 || warmup < 0)
        return js_diag_set(d, JS_EXIT_INTERNAL, "worker pool: bad series request");
    wreq q = {OP_SERIES, batch, warmup, reps};
    if (write_full(p->w[i].fd, &q, sizeof q) != 0)
        return js_diag_set(d, JS_EXIT_INTERNAL, "worker %d: cannot send a series: %s", i,
                           strerror(errno));
    p->w[i].busy = 1;
    return 0;
}

int js_gpu_pool_series_collect(js_gpu_pool *p, int i, double *lat_ms, int reps,
                               double *wall_s, js_diag *d)
{
    wrep r;
    p->w[i].busy = 0;
    if (read_reply(p, i, &r, d) != 0)
        return d->code;
    if (r.nvalues != reps)
        return js_diag_set(d, JS_EXIT_INTERNAL, "worker %d: %d timings, expected %d", i,
                           r.nvalues, reps);
    if (read_full(p->w[i].fd, lat_ms, sizeof *lat_ms * (size_t)reps) != 0)
        return js_diag_set(d, JS_EXIT_INTERNAL, "worker %d: truncated timings", i);
    *wall_s = r.wall_s;
    return 0;
}

/* ------------------------------------------------------------------ probe */

int js_gpu_probe_full(int device_index, js_gpu_probe *out, js_diag *d)
{
    int rc = js_gpu_probe_run(out, d);
    if (rc != 0)
        return rc;
    if (!js_cuda_built())
        return 0;
    /* CUDA must not be initialised in the parent (workers are forked later): ask a child. */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return js_diag_set(d, JS_EXIT_INTERNAL, "probe: socketpair: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return js_diag_set(d, JS_EXIT_INTERNAL, "probe: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(sv[0]);
        js_diag cd;
        js_diag_init(&cd);
        wrep r;
        memset(&r, 0, sizeof r);
        js_gpu_probe p = *out;
        r.status = js_cuda_probe(device_index, &p, &cd);
        snprintf(r.msg, sizeof r.msg, "%s", cd.msg);
        int bad = write_full(sv[1], &r, sizeof r) || write_full(sv[1], &p, sizeof p);
        _exit(bad ? 1 : 0);
    }
    close(sv[1]);
    wrep r;
    js_gpu_probe p;
    if (read_full(sv[0], &r, sizeof r) != 0) {
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "probe: the CUDA probe process died");
    } else if (r.status != 0) {
        rc = js_diag_set(d, r.status, "%.900s", r.msg);
        (void)read_full(sv[0], &p, sizeof p);
    } else if (read_full(sv[0], &p, sizeof p) != 0) {
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "probe: truncated CUDA probe reply");
    } else {
        *out = p;
    }
    close(sv[0]);
    waitpid(pid, NULL, 0);
    return rc;
}
