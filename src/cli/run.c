/* jigsaw run: the trace-driven controller -- re-plan every interval and simulate. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jigsaw/cli.h"
#include "cli_util.h"
#include "jigsaw/diag.h"
#include "jigsaw/study.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: jigsaw run SCENARIO --trace FILE [--system NAME] [options]\n"
            "\n"
            "Replays the trace through the simulator while re-planning every interval from the\n"
            "predicted demand (min-slice MILP; when the prediction exceeds the system's capacity,\n"
            "its max-demand plan serves what it can). Each new plan is applied to the running\n"
            "simulation: instances unchanged on a GPU keep running, and only GPUs whose MIG\n"
            "layout changed are down for the re-layout time. GPUs are re-assigned so that as many\n"
            "as possible keep their layout. Reports per interval and in total: slices used as a\n"
            "share of the cluster, violation rate, served accuracy, re-layouts.\n"
            "\n"
            "options:\n"
            "  --system NAME          unopt, A, S, T, A+T, S+T, A+S, A+S+T (jigsaw), loki\n"
            "                         (default A+S+T, as plan)\n"
            "  --trace FILE           trace file (formats: see scenarios/traces/README.md)\n"
            "  --interval S           re-planning interval in trace seconds (default 300)\n"
            "  --predictor P          ewma (default with the safe rule: follows the mean,\n"
            "                         the reactive checks catch rises), last5 (max of the\n"
            "                         last 5 interval rates: the paper's, default with\n"
            "                         --rule paper), last5-mean, quantile (a quantile of the\n"
            "                         last %d interval rates), oracle (the true next rate)\n"
            "  --ewma-alpha A         weight of the newest interval for ewma (default 0.5)\n"
            "  --quantile Q           quantile planned for by the quantile predictor\n"
            "                         (default %.2g)\n"
            "  --relayout-tolerance T re-plans may use up to T x more slices than the minimum\n"
            "                         to keep GPUs of the layout in force (a MILP stage;\n"
            "                         default %.2g); off: plain minimum-slices re-plans\n"
            "  --headroom H           plan for prediction x (1 + H) (default: 0 with the safe\n"
            "                         rule, whose plans carry the queueing model's headroom;\n"
            "                         %.2g with --rule paper)\n"
            "  --rate-levels N        round planned rates up to multiples of capacity / N and\n"
            "                         solve each level once (default %d; 0 = exact rates;\n"
            "                         re-layout-aware re-plans always plan exact rates)\n"
            "  --keep-fraction K      keep the plan in force while the demand to plan for is\n"
            "                         within [K, 1] x the rate it was made for (default %.2g;\n"
            "                         0 = re-plan every interval)\n"
            "  --react-checks N       watch each interval at N equal steps and re-plan at once\n"
            "                         when a step's arrivals exceed the plan's rate by more\n"
            "                         than %.0f Poisson standard deviations (default %d; 0 = at\n"
            "                         interval starts only; never with --predictor oracle)\n"
            "  --relayout-downtime S  downtime of a GPU whose MIG layout changes, in real seconds\n"
            "                         (default %.0f: destroying/recreating MIG instances ~1-2 s\n"
            "                         plus restarting the workers); scaled by the compression\n"
            "  --time-compression C   trace seconds per simulated second (default 1)\n"
            "  --trace-start S        window start in trace seconds (default 0)\n"
            "  --trace-day N          the window is day N of the trace (start N x 86400 s, one\n"
            "                         day unless --trace-duration; NASA: 0 = 1995-07-01)\n"
            "  --trace-duration S     window length in trace seconds (default: whole trace)\n"
            "  --trace-mean R         rescale the trace to mean R requests/s\n"
            "  --trace-smooth S       average count/rate traces over S-second bins first\n"
            "                         (300 replays 5-minute means as Poisson arrivals, as\n"
            "                         the paper and `jigsaw compare` do; default 0: as\n"
            "                         recorded, e.g. the NASA trace's 1-second bursts)\n"
            "  --scale-to-capacity F  rescale so the busiest interval is F x A+S+T's capacity\n"
            "                         (the paper scaled its trace to the best system)\n"
            "  --app NAME             application the trace drives (default the first)\n"
            "  --gpus N, --gpu TYPE   cluster size / GPU type override\n"
            "  --latency-factor F     tail-safe latency rule factor (default 1)\n"
            "  --max-utilisation U    plan segments to at most U of their throughput (default 1)\n"
            "                         (also spelt --max-utilization)\n"
            "  --max-batch B          plan with batch sizes <= B only (default: no cap)\n"
            "  --rule R               safe (default; queueing-aware) or paper (2 x p95)\n"
            "  --target pQ            safe rule's latency quantile (default p99)\n"
            "  --seed N               random seed (default 1)\n"
            "  --time-limit S         per planning call, seconds (default %g; 0 = none)\n"
            "  --max-requests N       the simulation's work budget (default 5e7 requests)\n"
            "  --timeline FILE.csv    per-interval CSV\n"
            "  --intervals            print the per-interval table too\n"
            "  --json                 JSON on stdout (with per-interval detail)\n"
JS_CLI_HOST_HELP
            "  -h, --help             this help\n",
            JS_PRED_QWINDOW, JS_DEFAULT_PRED_QUANTILE, JS_DEFAULT_RELAYOUT_TOLERANCE,
            JS_DEFAULT_HEADROOM, JS_DEFAULT_RATE_LEVELS, JS_DEFAULT_KEEP_FRACTION,
            JS_REACT_SIGMAS, JS_DEFAULT_REACT_CHECKS, JS_DEFAULT_RELAYOUT_DOWNTIME_S,
            JS_PLAN_DEFAULT_TIME_LIMIT_S);
}

static void progress(void *ctx, const char *what, int done, int total)
{
    (void)ctx;
    fprintf(stderr, "\r\033[K%s: interval %d/%d", what, done, total);
    if (done >= total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Rescale so the busiest interval is `frac` x A+S+T's capacity for the driven app. */
static int scale_to_capacity(const js_scenario *s, js_controller_opts *o, double frac,
                             js_diag *d)
{
    js_plan_request req;
    js_plan_request_init(&req);
    req.features = JS_FEAT_A | JS_FEAT_S | JS_FEAT_T;
    req.gpus = o->gpus;
    req.latency_factor = o->latency_factor;
    req.max_utilisation = o->max_utilisation;
    req.rule = o->rule;
    req.target_quantile = o->target_quantile;
    req.max_batch = o->max_batch;
    req.time_limit_s = o->time_limit_s;
    js_plan p;
    js_plan_init(&p);
    int rc = js_plan_max_demand(s, &req, &p, d);
    double cap = p.demand_scale * s->apps[o->app].rate;
    js_plan_free(&p);
    if (rc != 0)
        return rc;
    js_arrival_spec raw = o->arrivals;
    raw.target_mean = raw.target_peak = 0.0;
    double *rates = NULL;
    int n = 0;
    double c = o->time_compression > 0 ? o->time_compression : 1.0;
    rc = js_arrival_interval_rates(&raw, o->interval_s / c, 100000, &rates, &n, d);
    if (rc != 0)
        return rc;
    double peak = 0.0, sum = 0.0;
    for (int k = 0; k < n; k++) {
        peak = rates[k] > peak ? rates[k] : peak;
        sum += rates[k];
    }
    free(rates);
    if (!(peak > 0))
        return js_diag_set(d, JS_EXIT_DATAERR, "%s: the trace window has no arrivals",
                           raw.path);
    /* The mean over whole intervals equals the window's mean when the window is a whole
     * number of intervals (the trace module rescales by the window's mean). */
    double mean = sum / n;
    o->arrivals.target_mean = mean * frac * cap / peak;
    o->arrivals.target_peak = 0.0;
    return 0;
}

int js_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"system", required_argument, NULL, 's'},
        {"trace", required_argument, NULL, 'f'},
        {"interval", required_argument, NULL, 'i'},
        {"predictor", required_argument, NULL, 'p'},
        {"ewma-alpha", required_argument, NULL, 'a'},
        {"quantile", required_argument, NULL, 'q'},
        {"relayout-tolerance", required_argument, NULL, 'T'},
        {"headroom", required_argument, NULL, 'H'},
        {"keep-fraction", required_argument, NULL, 'K'},
        {"react-checks", required_argument, NULL, 'Z'},
        {"rate-levels", required_argument, NULL, 'L'},
        {"relayout-downtime", required_argument, NULL, 'r'},
        {"time-compression", required_argument, NULL, 'c'},
        {"trace-start", required_argument, NULL, 'S'},
        {"trace-day", required_argument, NULL, 'y'},
        {"trace-duration", required_argument, NULL, 'D'},
        {"trace-mean", required_argument, NULL, 'm'},
        {"trace-smooth", required_argument, NULL, 'M'},
        {"scale-to-capacity", required_argument, NULL, 'k'},
        {"app", required_argument, NULL, 'A'},
        {"gpus", required_argument, NULL, 'g'},
        {"gpu", required_argument, NULL, 'G'},
        {"latency-factor", required_argument, NULL, 'l'},
        {"max-utilisation", required_argument, NULL, 'U'},
        {"max-utilization", required_argument, NULL, 'U'}, /* both spellings */
        {"max-batch", required_argument, NULL, 'b'},
        {"rule", required_argument, NULL, 'R'},
        {"target", required_argument, NULL, 'Q'},
        {"seed", required_argument, NULL, 'e'},
        {"time-limit", required_argument, NULL, 'W'},
        {"max-requests", required_argument, NULL, 'X'},
        {"timeline", required_argument, NULL, 't'},
        {"intervals", no_argument, NULL, 'I'},
        {"json", no_argument, NULL, 'j'},
        JS_CLI_HOST_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    js_controller_opts o;
    js_scenario_opts sopts = js_scenario_opts_default();
    js_controller_opts_init(&o);
    js_arrival_spec_init(&o.arrivals);
    o.arrivals.kind = JS_ARR_TRACE;
    o.arrivals.seed = 1;
    o.sim.seed = 1;
    const char *system = NULL, *trace = NULL, *timeline = NULL, *gpu = NULL, *app = NULL;
    bool json = false, intervals = false;
    double scale_frac = 0.0;
    bool headroom_given = false, start_given = false, predictor_given = false;
    int trace_day = -1;
    o.rule = JS_RULE_SAFE; /* the command's default */
    int c;
    optind = 1;
    opterr = 0; /* js_cli_bad_option words the errors */
    int li = -1;
    while ((c = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
        {
            int host_rc = js_cli_host_option("run", c, optarg, &sopts);
            if (host_rc < 0)
                return JS_EXIT_USAGE;
            if (host_rc > 0)
                continue;
        }
        double v = 0.0;
        bool bad = false;
        switch (c) {
        case 's': system = optarg; break;
        case 'f': trace = optarg; break;
        case 'i': bad = js_cli_parse_double(optarg, &o.interval_s) || o.interval_s <= 0; break;
        case 'p':
            bad = js_predictor_parse(optarg, &o.predictor) != 0;
            predictor_given = true;
            break;
        case 'a':
            bad = js_cli_parse_double(optarg, &o.ewma_alpha) || o.ewma_alpha <= 0 || o.ewma_alpha > 1;
            break;
        case 'q':
            bad = js_cli_parse_double(optarg, &o.pred_quantile) || o.pred_quantile <= 0 ||
                  o.pred_quantile > 1;
            break;
        case 'T':
            if (strcmp(optarg, "off") == 0)
                o.relayout_tolerance = -1.0;
            else
                bad = js_cli_parse_double(optarg, &o.relayout_tolerance) ||
                      o.relayout_tolerance < 0 || o.relayout_tolerance > 1;
            break;
        case 'H':
            bad = js_cli_parse_double(optarg, &o.headroom) || o.headroom < 0;
            headroom_given = true;
            break;
        case 'R':
            if (js_cli_parse_rule("run", optarg, &o.rule) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'Q':
            if (js_cli_parse_target("run", optarg, &o.target_quantile) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'L':
            bad = js_cli_parse_double(optarg, &v) || v < 0 || v > 10000 || v != floor(v);
            o.rate_levels = (int)v;
            break;
        case 'K':
            bad = js_cli_parse_double(optarg, &o.keep_fraction) || o.keep_fraction < 0 ||
                  o.keep_fraction > 1;
            break;
        case 'Z': {
            long n;
            bad = js_cli_parse_int(optarg, 0, 1000, &n) != 0;
            o.react_checks = bad ? o.react_checks : (int)n;
            break;
        }
        case 'r':
            bad = js_cli_parse_double(optarg, &o.relayout_downtime_s) || o.relayout_downtime_s < 0;
            break;
        case 'c':
            bad = js_cli_parse_double(optarg, &o.time_compression) || o.time_compression <= 0;
            o.arrivals.time_compression = o.time_compression;
            break;
        case 'S':
            bad = js_cli_parse_double(optarg, &o.arrivals.start_s) || o.arrivals.start_s < 0;
            start_given = true;
            break;
        case 'y':
            if (js_cli_parse_trace_day("run", optarg, &trace_day) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'D':
            bad = js_cli_parse_double(optarg, &o.arrivals.duration_s) || o.arrivals.duration_s < 0;
            break;
        case 'm':
            bad = js_cli_parse_double(optarg, &o.arrivals.target_mean) || o.arrivals.target_mean <= 0;
            break;
        case 'M':
            bad = js_cli_parse_double(optarg, &o.arrivals.smooth_s) || o.arrivals.smooth_s < 0;
            break;
        case 'k': bad = js_cli_parse_double(optarg, &scale_frac) || scale_frac <= 0; break;
        case 'A': app = optarg; break;
        case 'g':
            if (js_cli_parse_gpus("run", optarg, &o.gpus) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'G': gpu = optarg; break;
        case 'l':
            if (js_cli_parse_latency_factor("run", optarg, &o.latency_factor) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'U':
            if (js_cli_parse_max_utilisation("run", optarg, &o.max_utilisation) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'b':
            if (js_cli_parse_max_batch("run", optarg, &o.max_batch) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'X':
            if (js_cli_parse_max_requests("run", optarg, &o.sim.max_requests) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'W':
            if (js_cli_parse_time_limit("run", optarg, &o.time_limit_s) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'e':
            if (js_cli_parse_seed("run", optarg, &o.sim.seed) != 0)
                return JS_EXIT_USAGE;
            o.arrivals.seed = o.sim.seed;
            break;
        case 't': timeline = optarg; break;
        case 'I': intervals = true; break;
        case 'j': json = true; break;
        case 'h': usage(stdout); return JS_EXIT_OK;
        default: return js_cli_bad_option("run", argv, "h", longopts);
        }
        if (bad) {
            return js_cli_usage_error("run", "bad value '%s' for --%s (see --help for "
                                      "its range)", optarg, li >= 0 ? longopts[li].name : "?");
        }
    }
    if (!headroom_given && o.rule == JS_RULE_SAFE)
        o.headroom = 0.0;
    if (!predictor_given && o.rule == JS_RULE_SAFE)
        o.predictor = JS_PRED_EWMA; /* results/controller/summary.md */
    if (optind + 1 != argc || !trace)
        return js_cli_usage_error("run", "needs SCENARIO and --trace");
    if (!system)
        system = "A+S+T"; /* as plan: the paper's system */
    if (js_cli_apply_trace_day("run", trace_day, start_given, &o.arrivals.start_s,
                               &o.arrivals.duration_s) != 0)
        return JS_EXIT_USAGE;
    if (js_system_parse(system, &o.features) != 0) {
        return js_cli_usage_error("run", "unknown system '%s'", system);
    }
    if (snprintf(o.arrivals.path, sizeof o.arrivals.path, "%s", trace) >=
        (int)sizeof o.arrivals.path) {
        return js_cli_usage_error("run", "--trace path too long");
    }
    js_diag d;
    js_diag_init(&d);
    js_scenario s;
    memset(&s, 0, sizeof s);
    sopts.gpu = gpu;
    int rc = js_scenario_load_opts(argv[optind], &sopts, &s, &d);
    if (rc != 0) {
        js_cli_print_diag("run", &d);
        return rc;
    }
    if (app) {
        o.app = -1;
        for (int i = 0; i < s.napps; i++)
            if (strcmp(s.apps[i].name, app) == 0)
                o.app = i;
        if (o.app < 0) {
            js_cli_error("run", "%s: no application '%s'", argv[optind], app);
            js_scenario_free(&s);
            return JS_EXIT_USAGE;
        }
    }
    if (scale_frac > 0)
        rc = scale_to_capacity(&s, &o, scale_frac, &d);
    if (isatty(STDERR_FILENO))
        o.progress = progress;
    js_controller_result r;
    memset(&r, 0, sizeof r);
    if (rc == 0)
        rc = js_controller_run(&s, &o, &r, &d);
    if (rc == 0 && timeline)
        rc = js_controller_write_timeline(timeline, &r, &d);
    if (rc == 0 && json) {
        cJSON *root = js_controller_to_json(&r, true);
        char *text = root ? cJSON_Print(root) : NULL;
        if (!text)
            rc = js_diag_set(&d, JS_EXIT_INTERNAL, "out of memory");
        else
            printf("%s\n", text);
        free(text);
        cJSON_Delete(root);
    } else if (rc == 0) {
        js_controller_print(stdout, &r, intervals);
    }
    js_controller_result_free(&r);
    js_scenario_free(&s);
    js_cli_print_diag("run", &d);
    return rc;
}
