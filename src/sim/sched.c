/* sched: dispatch and batch-formation rules; see include/jigsaw/sched.h. */
#include "jigsaw/sched.h"

int js_sched_pick_jsed(const js_sched_worker *w, int n, double now)
{
    return js_sched_pick_jsed_inline(w, n, now);
}

int js_sched_pick_rr(const js_sched_worker *w, int n, int *cursor)
{
    for (int k = 0; k < n; k++) {
        int i = (*cursor + k) % n;
        if (w[i].up) {
            *cursor = (i + 1) % n;
            return i;
        }
    }
    return -1;
}

int js_sched_batch_take(int queued, int max_batch, double oldest_enqueued, double now,
                        double timeout_s, double *wake_at)
{
    if (queued <= 0)
        return 0;
    if (queued >= max_batch)
        return max_batch;
    if (timeout_s <= 0 || now >= oldest_enqueued + timeout_s)
        return queued;
    *wake_at = oldest_enqueued + timeout_s;
    return 0;
}
