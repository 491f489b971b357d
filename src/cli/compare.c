/* jigsaw compare: the paper's study reproduced side by side (the main job). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "jigsaw/cli.h"
#include "cli_util.h"
#include "jigsaw/diag.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/study.h"
#include "jigsaw/util.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: jigsaw compare [options]\n"
            "\n"
            "Reproduces the JigsawServe study with our profiles and writes the results directory:\n"
            "  1. analytical: the three applications on 120 GPUs, eight systems each: maximum\n"
            "     serviceable demand and gains beside the paper's (S 5.25x, A 1.6x, T 1.1x,\n"
            "     S+T 7.8x, A+S 12.1x, A+S+T 21.6x, A+S+T / A+T 11.3x);\n"
            "  2. trace-driven: each application on 4 GPUs over a day of the NASA trace (5-minute\n"
            "     intervals, scaled so A+S+T's peak is just within its capacity) for A+S+T, A+S,\n"
            "     S+T, A+T: slices used, violations, served accuracy beside the paper's;\n"
            "  3. a tail check of the 2 x p95 rule under Poisson arrivals;\n"
            "on A100 and H100 profiles. Writes CSV + JSON for every table, per-interval timelines,\n"
            "REPORT.md, and PNG/SVG plots (when gnuplot is installed).\n"
            "Reads scenarios/<app>-<gpu>-{120,4}.json and scenarios/traces/nasa*: under the\n"
            "working directory, else on the data path ($JIGSAW_DATA, then %s).\n"
            "\n"
            "options:\n"
            "  --quick                reduced run for tests (A100 only, no binding analysis, a\n"
            "                         6-hour window, short tail check): under a minute\n"
            "  --out DIR              results directory (default results; with --quick\n"
            "                         results-quick, and never a full run's results)\n"
            "  --gpu G                a100-80gb, h100-80gb or all (default all)\n"
            "  --scenarios DIR        scenario directory (default scenarios)\n"
            "  --trace FILE           the NASA trace (default scenarios/traces/nasa*)\n"
            "  --trace-day N          day of the trace (0 = 1995-07-01; default 4 = Jul 5)\n"
            "  --time-compression C   trace seconds per simulated second (default 24)\n"
            "  --peak-fraction F      busiest interval = F x A+S+T's capacity (default 0.95)\n"
            "  --headroom H           controller plans for prediction x (1 + H) (default %.2g)\n"
            "  --rate-levels N        round planned rates up to multiples of capacity / N and\n"
            "                         solve each level once (default %d; 0 = exact rates;\n"
            "                         re-layout-aware re-plans always plan exact rates)\n"
            "  --keep-fraction K      controller keeps its plan while the demand is within\n"
            "                         [K, 1] x what it was made for (default %.2g)\n"
            "  --predictor P          last5 (default), last5-mean, ewma, oracle\n"
            "  --relayout-downtime S  seconds per changed GPU (default %.0f)\n"
            "  --latency-factor F     tail-safe latency rule factor for every plan (default 1)\n"
            "  --max-utilisation U    every plan keeps segments at most U busy (default 1)\n"
            "                         (also spelt --max-utilization)\n"
            "  --max-batch B          every plan uses batch sizes <= B (default: no cap)\n"
            "  --batch-caps LIST      also run the analytical study with batch sizes capped\n"
            "                         at each value, on the first GPU type (default\n"
            "                         1,2,4,8,16; --quick: 2; none = skip)\n"
            "  --no-tail              skip the tail check\n"
            "  --no-trace             skip the trace-driven study (the analytical study alone)\n"
            "  --no-safe-rule         skip the analytical study under the safe rule (the\n"
            "                         queueing-aware rule of `jigsaw plan`; default: run it\n"
            "                         beside the paper's rule)\n"
            "  --no-binding           skip the binding-constraint analysis\n"
            "  --no-plots             do not run gnuplot\n"
            "  --plot-script FILE     gnuplot script (default scripts/plot-results.gnuplot)\n"
            "  --time-limit S         time limit of each plan (default 120 s; 0: none)\n"
            "  --seed N               random seed (default 1)\n"
            "  --json                 print the tables as one JSON document on stdout\n"
            JS_CLI_HOST_HELP
            "  -h, --help             this help\n",
            js_data_dir(), JS_DEFAULT_HEADROOM, JS_DEFAULT_RATE_LEVELS, JS_DEFAULT_KEEP_FRACTION,
            JS_DEFAULT_RELAYOUT_DOWNTIME_S);
}

typedef struct progress_state {
    double t0;
} progress_state;

static void progress(void *ctx, const char *what, int done, int total)
{
    progress_state *p = ctx;
    double el = js_now_s() - p->t0;
    int pct = total > 0 ? (int)(100.0 * done / total) : 0;
    fprintf(stderr, "\r\033[K[%3d%% %4.0fs] %.70s", pct, el, what);
    if (done >= total && strcmp(what, "writing results") == 0)
        fputc('\n', stderr);
    fflush(stderr);
}

static int set_gpu(js_compare_opts *o, const char *g)
{
    if (strcasecmp(g, "all") == 0) {
        o->ngpu_types = 2;
        snprintf(o->gpu_types[0], sizeof o->gpu_types[0], "a100");
        snprintf(o->gpu_types[1], sizeof o->gpu_types[1], "h100");
        return 0;
    }
    if (strncasecmp(g, "a100", 4) == 0 || strncasecmp(g, "h100", 4) == 0) {
        o->ngpu_types = 1;
        snprintf(o->gpu_types[0], sizeof o->gpu_types[0], "%c100",
                 (g[0] == 'a' || g[0] == 'A') ? 'a' : 'h');
        return 0;
    }
    return -1;
}

static void add_file(cJSON *root, const char *dir, const char *name, js_diag *d)
{
    char path[JS_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    cJSON *j = NULL;
    if (js_json_load_file(path, &j, d) == 0)
        cJSON_AddItemToObject(root, name, j);
}

static void print_summary(const char *dir, bool json, js_diag *d)
{
    if (json) {
        cJSON *root = cJSON_CreateObject();
        if (!root)
            return;
        cJSON_AddStringToObject(root, "out_dir", dir);
        add_file(root, dir, "capacity", d);
        add_file(root, dir, "trace", d);
        add_file(root, dir, "tail", d);
        char *text = cJSON_Print(root);
        if (text)
            printf("%s\n", text);
        free(text);
        cJSON_Delete(root);
        return;
    }
    char path[JS_PATH_MAX];
    snprintf(path, sizeof path, "%s/REPORT.md", dir);
    printf("wrote %s (and CSV/JSON tables, timelines and plots in %s/)\n", path, dir);
}

/* "1,2,4" -> batch caps (each >= 1, at most 8 of them); "none" -> no cap study. */
static int parse_caps(const char *arg, js_compare_opts *o)
{
    o->nbatch_caps = 0;
    if (strcmp(arg, "none") == 0)
        return 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", arg);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        long v;
        if (o->nbatch_caps >= 8 || js_cli_parse_int(t, 1, 1 << 20, &v) != 0)
            return -1;
        o->batch_caps[o->nbatch_caps++] = (int)v;
    }
    return o->nbatch_caps > 0 ? 0 : -1;
}

int js_cmd_compare(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"quick", no_argument, NULL, 'q'},
        {"out", required_argument, NULL, 'o'},
        {"gpu", required_argument, NULL, 'G'},
        {"scenarios", required_argument, NULL, 'S'},
        {"trace", required_argument, NULL, 'f'},
        {"trace-day", required_argument, NULL, 'y'},
        {"time-compression", required_argument, NULL, 'c'},
        {"peak-fraction", required_argument, NULL, 'k'},
        {"headroom", required_argument, NULL, 'H'},
        {"keep-fraction", required_argument, NULL, 'K'},
        {"rate-levels", required_argument, NULL, 'L'},
        {"predictor", required_argument, NULL, 'p'},
        {"relayout-downtime", required_argument, NULL, 'r'},
        {"latency-factor", required_argument, NULL, 'l'},
        {"max-utilisation", required_argument, NULL, 'U'},
        {"max-utilization", required_argument, NULL, 'U'}, /* both spellings */
        {"batch-caps", required_argument, NULL, 'b'},
        {"max-batch", required_argument, NULL, 'm'},
        {"no-tail", no_argument, NULL, 'T'},
        {"no-trace", no_argument, NULL, 'R'},
        {"no-safe-rule", no_argument, NULL, 'N'},
        {"no-binding", no_argument, NULL, 'B'},
        {"no-plots", no_argument, NULL, 'P'},
        {"plot-script", required_argument, NULL, 'g'},
        {"time-limit", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, 'e'},
        {"json", no_argument, NULL, 'j'},
        JS_CLI_HOST_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    js_compare_opts o;
    js_compare_opts_init(&o);
    bool json = false, gpu_given = false;
    int c;
    optind = 1;
    opterr = 0; /* js_cli_bad_option words the errors */
    int li = -1;
    while ((c = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
        js_scenario_opts so = {.host = o.host, .cpu_cores_per_node = o.cpu_cores_per_node};
        int host_rc = js_cli_host_option("compare", c, optarg, &so);
        if (host_rc < 0)
            return JS_EXIT_USAGE;
        if (host_rc > 0) {
            o.host = so.host;
            o.cpu_cores_per_node = so.cpu_cores_per_node;
            continue;
        }
        double v = 0.0;
        bool bad = false;
        switch (c) {
        case 'q': o.quick = true; break;
        case 'o': o.out_dir = optarg; break;
        case 'G': bad = set_gpu(&o, optarg) != 0; gpu_given = true; break;
        case 'S': o.scenarios_dir = optarg; break;
        case 'f': o.trace_path = optarg; break;
        case 'y':
            bad = js_cli_parse_double(optarg, &v) || v < 0 || v != floor(v) || v > 100;
            o.trace_day = (int)v;
            break;
        case 'c': bad = js_cli_parse_double(optarg, &o.time_compression) || o.time_compression <= 0; break;
        case 'k':
            bad = js_cli_parse_double(optarg, &o.peak_fraction) || o.peak_fraction <= 0 ||
                  o.peak_fraction > 2;
            break;
        case 'H': bad = js_cli_parse_double(optarg, &o.headroom) || o.headroom < 0; break;
        case 'L':
            bad = js_cli_parse_double(optarg, &v) || v < 0 || v > 10000 || v != floor(v);
            o.rate_levels = (int)v;
            break;
        case 'K':
            bad = js_cli_parse_double(optarg, &o.keep_fraction) || o.keep_fraction < 0 ||
                  o.keep_fraction > 1;
            break;
        case 'p': bad = js_predictor_parse(optarg, &o.predictor) != 0; break;
        case 'r': bad = js_cli_parse_double(optarg, &o.downtime_s) || o.downtime_s < 0; break;
        case 'l':
            if (js_cli_parse_latency_factor("compare", optarg, &o.latency_factor) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'U':
            if (js_cli_parse_max_utilisation("compare", optarg, &o.max_utilisation) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'b': bad = parse_caps(optarg, &o) != 0; break;
        case 'm':
            if (js_cli_parse_max_batch("compare", optarg, &o.max_batch) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'T': o.tail = false; break;
        case 'R': o.trace = false; break;
        case 'N': o.safe_rule = false; break;
        case 'B': o.binding = false; break;
        case 'P': o.plots = false; break;
        case 'g': o.plot_script = optarg; break;
        case 't':
            if (js_cli_parse_time_limit("compare", optarg, &o.time_limit_s) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'e':
            if (js_cli_parse_seed("compare", optarg, &o.seed) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'j': json = true; break;
        case 'h': usage(stdout); return JS_EXIT_OK;
        default: return js_cli_bad_option("compare", argv, "h", longopts);
        }
        if (bad) {
            return js_cli_usage_error("compare", "bad value '%s' for --%s (see --help for "
                                      "its range)", optarg, li >= 0 ? longopts[li].name : "?");
        }
    }
    if (optind != argc)
        return js_cli_usage_error("compare", "unexpected argument '%s' (compare takes "
                                  "options only)", argv[optind]);
    if (o.quick) {
        /* The reduced run: one GPU type, no binding analysis (the tail check stays, short). */
        if (!gpu_given)
            set_gpu(&o, "a100");
        o.binding = false;
    }
    progress_state ps = {js_now_s()};
    if (isatty(STDERR_FILENO)) {
        o.progress = progress;
        o.progress_ctx = &ps;
    }
    js_diag d;
    js_diag_init(&d);
    int rc = js_compare_run(&o, &d);
    if (rc == 0)
        print_summary(o.out_dir ? o.out_dir : js_compare_default_out(o.quick), json, &d);
    js_cli_print_diag("compare", &d);
    return rc;
}
