/* jigsaw compare: the plots -- finding scripts/plot-results.gnuplot and running gnuplot on
 * the tables just written (report_tables.c). The script is found at run time, never
 * through a path baked in at build time: --plot-script, $JIGSAW_PLOT_SCRIPT,
 * scripts/plot-results.gnuplot under the working directory, then the same path beside the
 * scenarios directory (<scenarios>/../scripts/, as scenarios find ../profiles/), then the
 * data search path (JIGSAW_DATA, the installed data directory; util.h). gnuplot
 * gets the results directory, the GPU types and the trace plots as `-c` arguments
 * (ARG1..ARG3), which it never parses, so no path can break or extend its commands. A
 * missing gnuplot or script is a warning: the tables are the results. */
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "jigsaw/util.h"
#include "report_internal.h"

extern char **environ;

#define PLOT_SCRIPT "scripts/plot-results.gnuplot"

static bool file_exists(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The script to run: in buf (n bytes) or a caller's string; NULL when none is found. */
static const char *find_plot_script(const cmp_data *c, char *buf, size_t n)
{
    if (c->o.plot_script)
        return c->o.plot_script;
    const char *env = getenv("JIGSAW_PLOT_SCRIPT");
    if (file_exists(env))
        return env;
    if (file_exists(PLOT_SCRIPT))
        return PLOT_SCRIPT;
    if (c->o.scenarios_dir) {
        int w = snprintf(buf, n, "%s/../" PLOT_SCRIPT, c->o.scenarios_dir);
        if (w > 0 && (size_t)w < n && file_exists(buf))
            return buf;
    }
    if (js_data_find(PLOT_SCRIPT, buf, n) == 0 && file_exists(buf))
        return buf;
    return NULL;
}

void cmp_render_plots(const cmp_data *c, js_diag *d)
{
    char found[JS_PATH_MAX];
    const char *script = find_plot_script(c, found, sizeof found);
    if (!script) {
        js_diag_warn(d, "plots skipped: scripts/plot-results.gnuplot not found (set "
                        "JIGSAW_PLOT_SCRIPT)");
        return;
    }
    char gpus[64] = "";
    for (int g = 0; g < c->ngpus; g++) {
        strncat(gpus, g ? " " : "", sizeof gpus - strlen(gpus) - 1);
        strncat(gpus, c->gpus[g].key, sizeof gpus - strlen(gpus) - 1);
    }
    char traces[512] = "";
    for (int g = 0; g < c->ngpus; g++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            const cmp_app *ca = &c->gpus[g].apps[a];
            if (!ca->trace_ready)
                continue;
            char w[96];
            snprintf(w, sizeof w, "%s%s:%s", traces[0] ? " " : "", c->gpus[g].key,
                     js_paper_apps[a]);
            strncat(traces, w, sizeof traces - strlen(traces) - 1);
        }
    /* gnuplot -c SCRIPT RESDIR GPUS TRACES: posix_spawn wants writable strings. */
    char *argv[] = {strdup("gnuplot"), strdup("-c"), strdup(script), strdup(c->o.out_dir),
                    strdup(gpus), strdup(traces), NULL};
    size_t nargs = sizeof argv / sizeof argv[0] - 1;
    int rc = 0;
    for (size_t i = 0; i < nargs; i++)
        if (!argv[i])
            rc = ENOMEM;
    pid_t pid;
    if (rc == 0)
        rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
    for (size_t i = 0; i < nargs; i++)
        free(argv[i]);
    if (rc != 0) {
        js_diag_warn(d, "plots skipped: cannot run gnuplot: %s", strerror(rc));
        return;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        js_diag_warn(d, "gnuplot %s failed (status %d); the tables are written", script,
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
