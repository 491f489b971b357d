/* jigsaw sweep: run an SLO sweep file -- a grid of planner (and simulator) runs -- on
 * local worker processes or MPI ranks, resumably, into one CSV. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jigsaw/cli.h"
#include "cli_util.h"
#include "jigsaw/diag.h"
#include "jigsaw/sweep.h"
#include "jigsaw/util.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: jigsaw sweep SWEEP.json [-o OUT.csv] [-j N] [options]\n"
            "\n"
            "Evaluate every point of the sweep's grid (latency SLO, accuracy SLO, GPUs, demand\n"
            "scale, systems, GPU type) with the planner -- maximum serviceable demand, or\n"
            "fewest slices at a demand -- and, with \"simulate\": true, replay each plan in\n"
            "the simulator. One CSV row per point, in point order, whatever the parallelism.\n"
            "\n"
            "options:\n"
            "  -o, --output OUT.csv  write the CSV here (atomically, once complete) and keep\n"
            "                        a journal OUT.csv.journal of finished points: run the\n"
            "                        same command again after an interruption to resume.\n"
            "                        Without -o the CSV goes to stdout and nothing is kept.\n"
            "  -j, --jobs N          local worker processes (default: online cores)\n"
            "      --keep-journal    keep the journal after the CSV is written\n"
            "      --progress        progress on stderr even when it is not a terminal\n"
            "      --no-progress     no progress line (default: on when stderr is a terminal)\n"
            "      --dry-run         validate the sweep (and its scenario), print the number\n"
            "                        of points and exit\n"
            "      --synthetic MS    testing/benchmarking aid: replace the planner by a\n"
            "                        deterministic synthetic evaluator costing MS..2*MS ms\n"
            "                        of CPU per point (output is not a planning result)\n"
            "  -h, --help            this help\n"
            "\n"
            "MPI: under 'mpirun -np K jigsaw sweep ...' (MPI builds) rank 0 hands out points\n"
            "to all ranks and writes the output, byte-identical to a serial run; -j is\n"
            "ignored there.\n"
            "\n"
            "CSV columns: point, system, gpu, gpus, latency_slo_ms, accuracy_slo,\n"
            "demand_scale (inputs; empty = as in the scenario), status, max_demand_scale,\n"
            "rate_rps, slices, gpus_used, pas (lowest over apps), gain_vs_unopt (when unopt is\n"
            "in the grid: capacity ratio, or for min-slices unopt slices / slices); with\n"
            "simulate: sim_requests, sim_violation_rate, sim_p99_ms, sim_accuracy.\n"
            "\n"
            "plot: gnuplot -c scripts/sweeps.gnuplot OUT.csv OUT.png KIND \"SYSTEMS\" [TITLE]\n"
            "(KIND latency, accuracy or gpus: the swept axis; SYSTEMS the grid's, in order;\n"
            "installed under %s/scripts/).\n"
            "\n"
            "exit codes: 0 ok, 1 internal, 2 usage, 4 MPI not built in, 65 invalid sweep,\n"
            "66 missing input, 73 output not writable, 128+signal interrupted (resumable)\n", js_data_dir());
}

typedef struct sweep_args {
    const char *sweep_path;
    js_sweep_options opts;
    bool dry_run;
    bool progress;       /* draw the progress line on stderr */
    double synthetic_ms; /* < 0: the real planner */
} sweep_args;

/* ---- the progress line (the library reports, the CLI draws) ---- */

typedef struct progress_line {
    double last_s; /* elapsed time of the last line drawn */
} progress_line;

static void fmt_duration(char *buf, size_t sz, double s)
{
    if (!(s < 1e8))
        snprintf(buf, sz, "?");
    else if (s >= 3600)
        snprintf(buf, sz, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else if (s >= 60)
        snprintf(buf, sz, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, sz, "%.0fs", s);
}

/* At most four lines a second, "\r"-redrawn; always the last one. */
static void draw(progress_line *pl, const js_sweep_progress *p, bool force)
{
    if (!force && p->elapsed_s - pl->last_s < 0.25)
        return;
    pl->last_s = p->elapsed_s;
    double rate = p->elapsed_s > 0 ? (double)p->done_this_run / p->elapsed_s : 0;
    long left = p->total - p->done;
    char eta[32];
    fmt_duration(eta, sizeof eta, rate > 0 ? (double)left / rate : INFINITY);
    fprintf(stderr, "\rjigsaw sweep: %ld/%ld points, %.2f points/s, ETA %s   ", p->done,
            p->total, rate, left == 0 ? "0s" : eta);
    fflush(stderr);
}

static void on_progress(void *ctx, const js_sweep_progress *p)
{
    progress_line *pl = ctx;
    switch (p->event) {
    case JS_SWEEP_RESUMED:
        js_cli_error("sweep", "resuming: %ld of %ld points already in %s", p->resumed,
                p->total, p->journal_path);
        break;
    case JS_SWEEP_POINT: draw(pl, p, p->done == p->total); break;
    case JS_SWEEP_COMPLETE:
        draw(pl, p, true);
        fputc('\n', stderr);
        break;
    case JS_SWEEP_ABORTED: fputc('\n', stderr); break;
    }
}

static int parse_positive_int(const char *s, int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < 1 || v > 4096)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_args(int argc, char **argv, sweep_args *a)
{
    enum { OPT_KEEP = 256, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_DRY, OPT_SYNTH };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'},
        {"keep-journal", no_argument, NULL, OPT_KEEP},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"dry-run", no_argument, NULL, OPT_DRY},
        {"synthetic", required_argument, NULL, OPT_SYNTH},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    js_sweep_options_init(&a->opts);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    a->opts.jobs = cores >= 1 && cores <= 4096 ? (int)cores : 1;
    a->opts.csv_stream = stdout;
    a->opts.csv_stream_name = "stdout";
    a->progress = isatty(STDERR_FILENO) == 1;
    a->synthetic_ms = -1;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "o:j:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            a->opts.out_path = optarg;
            break;
        case 'j':
            if (parse_positive_int(optarg, &a->opts.jobs) != 0) {
                return js_cli_usage_error("sweep", "-j: expected an integer in [1, 4096], got "
                                "'%s'", optarg);
            }
            break;
        case OPT_KEEP:
            a->opts.keep_journal = true;
            break;
        case OPT_PROGRESS:
            a->progress = true;
            break;
        case OPT_NO_PROGRESS:
            a->progress = false;
            break;
        case OPT_DRY:
            a->dry_run = true;
            break;
        case OPT_SYNTH: {
            char *end = NULL;
            a->synthetic_ms = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(a->synthetic_ms >= 0 &&
                                                   a->synthetic_ms <= 60000)) {
                return js_cli_usage_error("sweep", "--synthetic: expected milliseconds in "
                                "[0, 60000], got '%s'", optarg);
            }
            break;
        }
        case 'h':
            usage(stdout);
            return -1;
        default:
            return js_cli_bad_option("sweep", argv, "o:j:h", longopts);
        }
    }
    if (optind != argc - 1) {
        return js_cli_usage_error("sweep", "expected exactly one sweep file");
    }
    a->sweep_path = argv[optind];
    return 0;
}

static int make_evaluator(const js_sweep *sw, void *arg, js_sweep_evaluator *ev, js_diag *d)
{
    const sweep_args *a = arg;
    if (a->synthetic_ms >= 0)
        return js_sweep_eval_synthetic_create(a->synthetic_ms, ev, d);
    return js_sweep_eval_planner_create(sw, ev, d);
}

static int finish(int rc, const js_diag *d, bool print)
{
    if (print && (rc != 0 || d->nwarnings > 0))
        js_cli_print_diag("sweep", d);
    return rc;
}

int js_cmd_sweep(int argc, char **argv)
{
    sweep_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? JS_EXIT_OK : rc;
    progress_line pl = {.last_s = -INFINITY};
    if (a.progress) {
        a.opts.progress = on_progress;
        a.opts.progress_ctx = &pl;
    }
    js_diag d;
    js_diag_init(&d);
    js_sweep sw;
    char found[4096];
    /* The shipped sweeps (scripts/sweeps/...) from any directory (util.h). */
    rc = js_sweep_load(js_data_resolve(a.sweep_path, found, sizeof found) == 0 ? found
                                                                               : a.sweep_path,
                       &sw, &d);
    if (rc != 0)
        return finish(rc, &d, true);
    if (a.dry_run || !js_sweep_mpi_launched()) {
        js_sweep_evaluator ev;
        rc = make_evaluator(&sw, &a, &ev, &d);
        if (rc == 0 && a.dry_run)
            printf("%s: %ld points\n", a.sweep_path, sw.npoints);
        else if (rc == 0)
            rc = js_sweep_run(&sw, &ev, &a.opts, &d);
        js_sweep_evaluator_destroy(&ev);
        js_sweep_free(&sw);
        return finish(rc, &d, true);
    }
    int rank = 0;
    rc = js_sweep_run_mpi(&sw, make_evaluator, &a, &a.opts, &rank, &d);
    js_sweep_free(&sw);
    return finish(rc, &d, rank == 0);
}
