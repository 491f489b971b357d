/* mpi: the sweep driver across MPI ranks.
 *
 * Rank 0 is the master: it hands out points one at a time to whichever rank asks
 * (points differ in cost, so a static split would leave ranks idle), records results in
 * the journal and writes the CSV -- the same bookkeeping and output code as the local
 * driver, so the output is byte-identical. Rank 0 also evaluates points itself on a
 * second thread (with -np 2 both ranks compute); only the main thread calls MPI
 * (MPI_THREAD_FUNNELED).
 *
 * Protocol: a worker sends TAG_MSG (empty at first, then the journal line of its last
 * point or an "E ..." error line); the master answers TAG_WORK with the next point
 * index, or -1 = stop.
 */
#include <stdlib.h>
#include <string.h>

#include "js_config.h"
#include "jigsaw/sweep.h"
#include "sweep_internal.h"

bool js_sweep_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMI_SIZE") != NULL ||
           getenv("PMIX_RANK") != NULL;
}

#if JS_HAVE_MPI

#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

enum { TAG_MSG = 1, TAG_WORK = 2, TAG_DIAG = 3 };
#define MSG_MAX (JS_SWEEP_LINE_MAX + JS_DIAG_MSG_MAX)

typedef struct master {
    pthread_mutex_t mu;
    js_sweep_state *st;     /* NULL when the state could not be opened */
    const js_sweep_evaluator *ev;
    int abort_rc;           /* first error / signal: stop handing out points */
    js_diag *d;
} master;

/* Rank 0's own evaluation thread: takes points from the same queue as the ranks. */
static void *master_compute(void *arg)
{
    master *m = arg;
    char msg[MSG_MAX];
    for (;;) {
        pthread_mutex_lock(&m->mu);
        long i = (m->abort_rc != 0 || m->st == NULL) ? -1 : js_sweep_state_take(m->st);
        pthread_mutex_unlock(&m->mu);
        if (i < 0)
            break;
        js_sweep_eval_message(m->st->sw, m->ev, m->st->checksum, i, msg, sizeof msg);
        pthread_mutex_lock(&m->mu);
        int rc = js_sweep_take_message(m->st, msg, m->d);
        if (rc != 0 && m->abort_rc == 0)
            m->abort_rc = rc;
        pthread_mutex_unlock(&m->mu);
    }
    return NULL;
}

static void sleep_briefly(void)
{
    /* Poll, not block: a blocking MPI receive spins a core, which the compute thread
     * needs. 0.5 ms is small against a planner solve. */
    struct timespec ts = {0, 500000};
    nanosleep(&ts, NULL);
}

/* Wait for a request without spinning: Open MPI's blocking calls busy-poll (and with
 * --oversubscribe spin on sched_yield), burning the core a computing thread needs. */
static void wait_polling(MPI_Request *req)
{
    for (;;) {
        int done = 0;
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        sleep_briefly();
    }
}

static int run_master(const js_sweep *sw, const js_sweep_evaluator *ev,
                      const js_sweep_options *opts, int size, js_diag *d)
{
    js_sweep_state st;
    master m;
    memset(&m, 0, sizeof m);
    pthread_mutex_init(&m.mu, NULL);
    m.ev = ev;
    m.d = d;
    int rc = js_sweep_state_open(&st, sw, ev, opts, d);
    if (rc != 0)
        m.abort_rc = rc;
    else
        m.st = &st;
    js_sweep_signals sig;
    js_sweep_signals_install(&sig);
    pthread_t th;
    bool have_thread = m.st != NULL && pthread_create(&th, NULL, master_compute, &m) == 0;
    int active = size - 1;
    char *buf = malloc(MSG_MAX + 1);
    if (buf == NULL) {
        js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
        m.abort_rc = JS_EXIT_INTERNAL;
        MPI_Abort(MPI_COMM_WORLD, JS_EXIT_INTERNAL);
    }
    while (active > 0) {
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_MSG, MPI_COMM_WORLD, &flag, &status);
        if (!flag) {
            if (js_sweep_stop_signal() != 0) {
                pthread_mutex_lock(&m.mu);
                if (m.abort_rc == 0)
                    m.abort_rc = 128 + js_sweep_stop_signal();
                pthread_mutex_unlock(&m.mu);
            }
            sleep_briefly();
            continue;
        }
        int count = 0;
        MPI_Get_count(&status, MPI_CHAR, &count);
        if (count < 0 || count > MSG_MAX)
            count = -1;
        MPI_Recv(buf, count < 0 ? MSG_MAX : count, MPI_CHAR, status.MPI_SOURCE, TAG_MSG,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        pthread_mutex_lock(&m.mu);
        if (count < 0 && m.abort_rc == 0)
            m.abort_rc = js_diag_set(d, JS_EXIT_INTERNAL, "sweep: oversized MPI message");
        if (count > 0 && m.st != NULL) {
            buf[count] = '\0';
            /* Record even while stopping: a finished point is worth keeping. */
            int r = js_sweep_take_message(m.st, buf, d);
            if (r != 0 && m.abort_rc == 0)
                m.abort_rc = r;
        }
        long next = (m.abort_rc != 0 || m.st == NULL) ? -1 : js_sweep_state_take(m.st);
        pthread_mutex_unlock(&m.mu);
        MPI_Send(&next, 1, MPI_LONG, status.MPI_SOURCE, TAG_WORK, MPI_COMM_WORLD);
        if (next < 0)
            active--;
    }
    free(buf);
    if (have_thread)
        pthread_join(th, NULL);
    js_sweep_signals_restore(&sig);
    rc = m.abort_rc;
    if (rc == 0 && m.st != NULL && m.st->ndone < sw->npoints)
        rc = js_diag_set(d, JS_EXIT_INTERNAL, "sweep: %ld points were never evaluated",
                         sw->npoints - m.st->ndone);
    if (rc == 0)
        rc = js_sweep_state_finish(&st, opts, d);
    else if (m.st != NULL)
        js_sweep_state_report(&st, JS_SWEEP_ABORTED);
    else if (opts->progress != NULL)
        opts->progress(opts->progress_ctx, &(js_sweep_progress){.event = JS_SWEEP_ABORTED,
                                                                .total = sw->npoints,
                                                                .journal_path = ""});
    if (rc > 128 && rc < 128 + 65 && m.st != NULL)
        js_diag_set(d, rc, "sweep interrupted by signal %d after %ld of %ld points; the "
                           "journal %s keeps them: run the same command again to resume",
                    rc - 128, st.ndone, sw->npoints,
                    st.journal_fd >= 0 ? st.journal_path : "(none without -o)");
    if (m.st != NULL)
        js_sweep_state_close(&st);
    pthread_mutex_destroy(&m.mu);
    return rc;
}

static void run_worker(const js_sweep *sw, const js_sweep_evaluator *ev)
{
    uint64_t checksum = js_sweep_run_checksum(sw, ev);
    char msg[MSG_MAX];
    int len = 0;
    for (;;) {
        MPI_Send(msg, len, MPI_CHAR, 0, TAG_MSG, MPI_COMM_WORLD);
        long i = -1;
        MPI_Request req;
        MPI_Irecv(&i, 1, MPI_LONG, 0, TAG_WORK, MPI_COMM_WORLD, &req);
        wait_polling(&req);
        if (i < 0)
            break;
        js_sweep_eval_message(sw, ev, checksum, i, msg, sizeof msg);
        len = (int)strlen(msg);
    }
}

/* Every rank built its evaluator; agree on going on, or move the first failing rank's
 * message to rank 0 so that the error is printed once, with its cause. */
static int agree(int rc, int rank, int size, js_diag *d)
{
    int mine = rc != 0 ? rank : size, first = size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == size)
        return 0;
    int code = rc;
    MPI_Bcast(&code, 1, MPI_INT, first, MPI_COMM_WORLD);
    if (first != 0) {
        if (rank == first)
            MPI_Send(d->msg, JS_DIAG_MSG_MAX, MPI_CHAR, 0, TAG_DIAG, MPI_COMM_WORLD);
        if (rank == 0) {
            char msg[JS_DIAG_MSG_MAX];
            MPI_Recv(msg, JS_DIAG_MSG_MAX, MPI_CHAR, first, TAG_DIAG, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            msg[JS_DIAG_MSG_MAX - 1] = '\0';
            js_diag_set(d, code, "rank %d: %s", first, msg);
        }
    }
    return code;
}

int js_sweep_run_mpi(const js_sweep *sw,
                     int (*ev_create)(const js_sweep *sw, void *arg, js_sweep_evaluator *ev,
                                      js_diag *d),
                     void *ev_arg, const js_sweep_options *opts, int *rank_out, js_diag *d)
{
    int provided = 0, rank = 0, size = 1;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return js_diag_set(d, JS_EXIT_NOTAVAIL, "sweep: MPI_Init failed");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    *rank_out = rank;
    js_sweep_evaluator ev;
    memset(&ev, 0, sizeof ev);
    int rc = ev_create(sw, ev_arg, &ev, d);
    rc = agree(rc, rank, size, d);
    if (rc == 0 && size > 1 && provided < MPI_THREAD_FUNNELED)
        rc = js_diag_set(d, JS_EXIT_NOTAVAIL, "sweep: the MPI library offers no thread "
                                              "support (MPI_THREAD_FUNNELED needed)");
    if (rc == 0) {
        if (size == 1) {
            /* One rank: the local driver, in-process (no fork() under MPI). */
            js_sweep_options one = *opts;
            one.jobs = 1;
            rc = js_sweep_run(sw, &ev, &one, d);
        } else if (rank == 0) {
            rc = run_master(sw, &ev, opts, size, d);
        } else {
            run_worker(sw, &ev);
        }
        /* Every rank exits with the master's verdict (waiting without spinning while
         * rank 0 finishes its last point). */
        MPI_Request req;
        MPI_Ibcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD, &req);
        wait_polling(&req);
    }
    js_sweep_evaluator_destroy(&ev);
    MPI_Finalize();
    return rc;
}

#else /* !JS_HAVE_MPI */

int js_sweep_run_mpi(const js_sweep *sw,
                     int (*ev_create)(const js_sweep *sw, void *arg, js_sweep_evaluator *ev,
                                      js_diag *d),
                     void *ev_arg, const js_sweep_options *opts, int *rank_out, js_diag *d)
{
    (void)sw;
    (void)ev_create;
    (void)ev_arg;
    (void)opts;
    *rank_out = 0;
    return js_diag_set(d, JS_EXIT_NOTAVAIL, "sweep: started by an MPI launcher, but this "
                                            "jigsaw was built without MPI (meson option "
                                            "mpi); run it without mpirun, or rebuild");
}

#endif
