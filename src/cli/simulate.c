/* jigsaw simulate: replay a trace or synthetic arrivals through a plan (README "The
 * simulator"; semantics in src/sim/NOTES.md). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "jigsaw/cli.h"
#include "cli_util.h"
#include "jigsaw/diag.h"
#include "jigsaw/plan.h"
#include "jigsaw/scenario.h"
#include "jigsaw/limits.h"
#include "jigsaw/sim.h"
#include "jigsaw/trace.h"
#include "jigsaw/util.h"

static void sim_usage(FILE *out)
{
    fprintf(out,
        "usage: jigsaw simulate SCENARIO --plan PLAN.json\n"
        "                       [--trace FILE | --arrivals poisson|gamma|mmpp] [--rate R]\n"
        "                       [--cv C] [--duration S] [--seed N] [--timeline FILE.csv]\n"
        "                       [--json] [options]\n"
        "\n"
        "Discrete-event simulation of PLAN (as written by 'jigsaw plan --json') under an\n"
        "arrival stream per application: end-to-end latency, SLO violations (late +\n"
        "dropped), served accuracy (PAS), slices and GPUs in use, per-task utilisation and\n"
        "queueing. Same inputs and seed give byte-identical output.\n"
        "\n"
        "arrivals (one stream per application, each seeded from --seed):\n"
        "      --arrivals KIND     poisson (default), gamma (renewal, --cv) or mmpp\n"
        "                          (two-state Markov-modulated Poisson)\n"
        "      --rate R            mean requests/s of every application (default: the\n"
        "                          plan's demand for each application)\n"
        "      --cv C              gamma: coefficient of variation of inter-arrival times;\n"
        "                          count/rate traces: gamma renewal in operational time\n"
        "      --mmpp-ratio X      mmpp: high/low rate ratio (default 4)\n"
        "      --mmpp-sojourn S    mmpp: mean time in each state, s (default 60)\n"
        "      --trace FILE        replay a trace: NASA per-second counts (.tbz2 or text),\n"
        "                          Azure LLM CSV, or our 'timestamp_s' / 'duration_s,rate'\n"
        "                          formats (scenarios/traces/README.md)\n"
        "      --trace-mean R      rescale the trace to a mean of R requests/s (default:\n"
        "                          --rate if given, else as recorded)\n"
        "      --trace-peak R      rescale so the trace's peak interval rate is R\n"
        "      --trace-compression C  trace seconds per simulated second (default 1)\n"
        "      --trace-start S     window start in trace seconds (default 0)\n"
        "      --trace-day N       the window is day N of the trace (start N x 86400 s,\n"
        "                          one day unless --trace-duration; NASA: 0 = 1995-07-01)\n"
        "      --trace-duration S  window length in trace seconds (default: all)\n"
        "      --trace-smooth S    average count/rate traces over S-second bins first\n"
        "                          (default 0: as recorded; 60 suits the NASA trace)\n"
        "\n"
        "run:\n"
        "      --duration S        stop arrivals at S simulated seconds (default: end of\n"
        "                          the trace; 600 for synthetic arrivals), then drain\n"
        "      --seed N            random seed (default 1)\n"
        "      --dispatch P        jsed (join-shortest-expected-delay, default), rr\n"
        "                          (round-robin) or shared (one queue per task)\n"
        "      --service D         lognormal (fitted to mean and p95, default),\n"
        "                          deterministic or exponential\n"
        "      --batch-timeout MS  wait up to MS for a full batch (default 0: take what\n"
        "                          is queued when a worker frees)\n"
        "      --early-drop R      drop an item when a batch forms if its request can no\n"
        "                          longer meet its deadline: path (default; now + the\n"
        "                          fastest rest of its path), local (its own task's\n"
        "                          fastest batch-1 latency only) or off\n"
        "      --no-drop           same as --early-drop off\n"
        "      --fanout F          children per item: edge (default; each edge's\n"
        "                          fanout_dist in the scenario), or on every edge\n"
        "                          poisson or mean (randomised rounding of the mean)\n"
        "      --max-requests N    the work budget: requests over all applications the run\n"
        "                          may admit (default %llu; checked before the run when\n"
        "                          rate x duration is known, else when it runs out: exit 65)\n"
        "\n"
        "output:\n"
        "      --timeline FILE     CSV, one row per interval per application and 'all'\n"
        "      --timeline-interval S  (default 60)\n"
        "      --json              JSON on stdout (requests, completed, late, dropped,\n"
        "                          violation_rate, latency_ms{p50,p95,p99,max,mean},\n"
        "                          accuracy, slices_avg, events, apps[], tasks[])\n"
        JS_CLI_HOST_HELP
        "  -h, --help              this help\n"
        "\n"
        "Latency percentiles come from a log-bucketed histogram (relative error <= 0.4%%).\n"
        "A progress line is shown on stderr when it is a terminal and the run exceeds 1 s.\n"
        "exit: 0 ok, 2 usage, 65/66 bad or missing input (65 also: past the work budget),\n"
        "      73 output not writable\n",
        JS_DEFAULT_MAX_REQUESTS);
}

typedef struct progress_state {
    double wall0, last_print, duration;
    bool printed;
} progress_state;

static void on_progress(void *ctx, double t, uint64_t requests, uint64_t events)
{
    progress_state *ps = ctx;
    double now = js_now_s(), el = now - ps->wall0;
    if (el < 1.0 || now - ps->last_print < 0.5)
        return;
    ps->last_print = now;
    ps->printed = true;
    /* An ETA only where the end is known: --duration, or a trace window's length. */
    char eta[48] = "";
    if (ps->duration > 0 && t > 0 && t < ps->duration)
        snprintf(eta, sizeof eta, ", ETA %.0f s", el * (ps->duration - t) / t);
    else if (ps->duration > 0 && t >= ps->duration)
        snprintf(eta, sizeof eta, ", arrivals over, draining");
    fprintf(stderr, "\r\033[Ksimulated %.0f s, %llu requests, %.2f M events/s%s", t,
            (unsigned long long)requests, (double)events / el * 1e-6, eta);
    fflush(stderr);
}

typedef struct sim_opts {
    const char *scenario, *plan, *trace, *timeline;
    js_arrival_kind kind;
    double rate, cv, mmpp_ratio, mmpp_sojourn;
    double trace_mean, trace_peak, trace_comp, trace_start, trace_dur, trace_smooth;
    double duration, timeline_interval, batch_timeout;
    uint64_t seed, max_requests;
    js_dispatch_policy dispatch;
    js_service_dist service;
    js_sim_fanout fanout;
    js_drop_rule drop_rule;
    bool json, no_drop, kind_given;
    js_scenario_opts sopts; /* host-side costs (--host-*, --cpu-cores) */
} sim_opts;

static int parse_num(const char *opt, const char *arg, double lo, double *out)
{
    double v = 0.0;
    if (js_cli_parse_double(arg, &v) != 0 || v < lo) {
        return js_cli_usage_error("simulate", "%s: expected a number >= %g, got '%s'", opt, lo,
                arg);
    }
    *out = v;
    return 0;
}

enum {
    OPT_PLAN = 256, OPT_TRACE, OPT_ARRIVALS, OPT_RATE, OPT_CV, OPT_MMPP_RATIO,
    OPT_MMPP_SOJOURN, OPT_TMEAN, OPT_TPEAK, OPT_TCOMP, OPT_TSTART, OPT_TDUR, OPT_DURATION,
    OPT_SEED, OPT_TIMELINE, OPT_TLINT, OPT_JSON, OPT_DISPATCH, OPT_SERVICE, OPT_BTO,
    OPT_NODROP, OPT_FANOUT, OPT_TSMOOTH, OPT_TDAY, OPT_EARLY_DROP, OPT_MAXREQ,
};

static int parse_args(int argc, char **argv, sim_opts *o)
{
    static const struct option longopts[] = {
        {"plan", required_argument, NULL, OPT_PLAN},
        {"trace", required_argument, NULL, OPT_TRACE},
        {"arrivals", required_argument, NULL, OPT_ARRIVALS},
        {"rate", required_argument, NULL, OPT_RATE},
        {"cv", required_argument, NULL, OPT_CV},
        {"mmpp-ratio", required_argument, NULL, OPT_MMPP_RATIO},
        {"mmpp-sojourn", required_argument, NULL, OPT_MMPP_SOJOURN},
        {"trace-mean", required_argument, NULL, OPT_TMEAN},
        {"trace-peak", required_argument, NULL, OPT_TPEAK},
        {"trace-compression", required_argument, NULL, OPT_TCOMP},
        {"trace-start", required_argument, NULL, OPT_TSTART},
        {"trace-day", required_argument, NULL, OPT_TDAY},
        {"trace-duration", required_argument, NULL, OPT_TDUR},
        {"trace-smooth", required_argument, NULL, OPT_TSMOOTH},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"seed", required_argument, NULL, OPT_SEED},
        {"timeline", required_argument, NULL, OPT_TIMELINE},
        {"timeline-interval", required_argument, NULL, OPT_TLINT},
        {"json", no_argument, NULL, OPT_JSON},
        {"dispatch", required_argument, NULL, OPT_DISPATCH},
        {"service", required_argument, NULL, OPT_SERVICE},
        {"batch-timeout", required_argument, NULL, OPT_BTO},
        {"no-drop", no_argument, NULL, OPT_NODROP},
        {"early-drop", required_argument, NULL, OPT_EARLY_DROP},
        {"fanout", required_argument, NULL, OPT_FANOUT},
        {"max-requests", required_argument, NULL, OPT_MAXREQ},
        JS_CLI_HOST_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->kind = JS_ARR_POISSON;
    o->sopts = js_scenario_opts_default();
    o->cv = 1.0;
    o->mmpp_ratio = 4.0;
    o->mmpp_sojourn = 60.0;
    o->trace_comp = 1.0;
    o->timeline_interval = 60.0;
    o->seed = 1;
    o->max_requests = JS_DEFAULT_MAX_REQUESTS;
    optind = 1;
    opterr = 0;
    int c, rc = 0, trace_day = -1;
    bool start_given = false;
    while (rc == 0 && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        {
            int host_rc = js_cli_host_option("simulate", c, optarg, &o->sopts);
            if (host_rc < 0)
                return JS_EXIT_USAGE;
            if (host_rc > 0)
                continue;
        }
        switch (c) {
        case 'h':
            sim_usage(stdout);
            return -1;
        case OPT_PLAN: o->plan = optarg; break;
        case OPT_TRACE: o->trace = optarg; break;
        case OPT_ARRIVALS: {
            int k = js_arrival_kind_from_name(optarg);
            if (k < 0 || k == JS_ARR_TRACE) {
                return js_cli_usage_error("simulate", "--arrivals: expected poisson, gamma or mmpp, "
                                "got '%s'", optarg);
            }
            o->kind = (js_arrival_kind)k;
            o->kind_given = true;
            break;
        }
        case OPT_RATE: rc = parse_num("--rate", optarg, 0, &o->rate); break;
        case OPT_CV: rc = parse_num("--cv", optarg, 0, &o->cv); break;
        case OPT_MMPP_RATIO: rc = parse_num("--mmpp-ratio", optarg, 1, &o->mmpp_ratio); break;
        case OPT_MMPP_SOJOURN:
            rc = parse_num("--mmpp-sojourn", optarg, 0, &o->mmpp_sojourn);
            break;
        case OPT_TMEAN: rc = parse_num("--trace-mean", optarg, 0, &o->trace_mean); break;
        case OPT_TPEAK: rc = parse_num("--trace-peak", optarg, 0, &o->trace_peak); break;
        case OPT_TCOMP:
            rc = parse_num("--trace-compression", optarg, 0, &o->trace_comp);
            break;
        case OPT_TSTART:
            rc = parse_num("--trace-start", optarg, 0, &o->trace_start);
            start_given = true;
            break;
        case OPT_TDAY:
            if (js_cli_parse_trace_day("simulate", optarg, &trace_day) != 0)
                return JS_EXIT_USAGE;
            break;
        case OPT_TDUR: rc = parse_num("--trace-duration", optarg, 0, &o->trace_dur); break;
        case OPT_TSMOOTH:
            rc = parse_num("--trace-smooth", optarg, 0, &o->trace_smooth);
            break;
        case OPT_DURATION: rc = parse_num("--duration", optarg, 0, &o->duration); break;
        case OPT_SEED:
            if (js_cli_parse_seed("simulate", optarg, &o->seed) != 0)
                rc = JS_EXIT_USAGE;
            break;
        case OPT_MAXREQ:
            if (js_cli_parse_max_requests("simulate", optarg, &o->max_requests) != 0)
                rc = JS_EXIT_USAGE;
            break;
        case OPT_TIMELINE: o->timeline = optarg; break;
        case OPT_TLINT:
            rc = parse_num("--timeline-interval", optarg, 0, &o->timeline_interval);
            break;
        case OPT_JSON: o->json = true; break;
        case OPT_DISPATCH:
            if (strcmp(optarg, "jsed") == 0)
                o->dispatch = JS_DISPATCH_JSED;
            else if (strcmp(optarg, "rr") == 0)
                o->dispatch = JS_DISPATCH_RR;
            else if (strcmp(optarg, "shared") == 0)
                o->dispatch = JS_DISPATCH_SHARED;
            else {
                return js_cli_usage_error("simulate", "--dispatch: expected jsed, rr or shared, "
                                "got '%s'", optarg);
            }
            break;
        case OPT_SERVICE:
            if (strcmp(optarg, "lognormal") == 0)
                o->service = JS_SERVICE_LOGNORMAL;
            else if (strcmp(optarg, "deterministic") == 0)
                o->service = JS_SERVICE_DETERMINISTIC;
            else if (strcmp(optarg, "exponential") == 0)
                o->service = JS_SERVICE_EXPONENTIAL;
            else {
                return js_cli_usage_error("simulate", "--service: expected lognormal, "
                                "deterministic or exponential, got '%s'", optarg);
            }
            break;
        case OPT_BTO: rc = parse_num("--batch-timeout", optarg, 0, &o->batch_timeout); break;
        case OPT_NODROP: o->no_drop = true; break;
        case OPT_EARLY_DROP:
            if (strcmp(optarg, "path") == 0 || strcmp(optarg, "local") == 0) {
                o->drop_rule = optarg[0] == 'p' ? JS_DROP_PATH : JS_DROP_LOCAL;
                o->no_drop = false;
            } else if (strcmp(optarg, "off") == 0) {
                o->no_drop = true;
            } else {
                return js_cli_usage_error("simulate", "--early-drop: expected path, local or "
                                          "off, got '%s'", optarg);
            }
            break;
        case OPT_FANOUT:
            if (strcmp(optarg, "edge") == 0)
                o->fanout = JS_SIM_FANOUT_EDGE;
            else if (strcmp(optarg, "poisson") == 0)
                o->fanout = JS_SIM_FANOUT_POISSON;
            else if (strcmp(optarg, "mean") == 0)
                o->fanout = JS_SIM_FANOUT_MEAN;
            else {
                return js_cli_usage_error("simulate", "--fanout: expected edge, poisson or "
                                          "mean, got '%s'", optarg);
            }
            break;
        default:
            return js_cli_bad_option("simulate", argv, "h", longopts);
        }
    }
    if (rc != 0)
        return rc;
    if (optind != argc - 1) {
        return js_cli_usage_error("simulate", "expected one SCENARIO file (see --help)");
    }
    o->scenario = argv[optind];
    if (o->plan == NULL) {
        return js_cli_usage_error("simulate", "--plan PLAN.json is required");
    }
    if (o->trace != NULL && o->kind_given) {
        return js_cli_usage_error("simulate", "give --trace or --arrivals, not both");
    }
    if (o->kind == JS_ARR_GAMMA && !(o->cv > 0)) {
        return js_cli_usage_error("simulate", "gamma arrivals need --cv > 0");
    }
    if (o->timeline != NULL && !(o->timeline_interval > 0)) {
        return js_cli_usage_error("simulate", "--timeline-interval must be > 0");
    }
    if (js_cli_apply_trace_day("simulate", trace_day, start_given, &o->trace_start,
                               &o->trace_dur) != 0)
        return JS_EXIT_USAGE;
    return 0;
}

/* The plan's demand for app a: its planned rate, else the scenario's times the scale. */
static double planned_rate(const js_scenario *s, const js_plan *p, int a)
{
    for (int i = 0; i < p->napps; i++)
        if (p->apps[i].app == a && p->apps[i].rate > 0)
            return p->apps[i].rate;
    return s->apps[a].rate * (p->demand_scale > 0 ? p->demand_scale : 1.0);
}

/* The most requests/s of app a the plan's segments can serve (profiled throughput), from
 * the task that runs out first; NAN when the plan does not say. */
static double plan_capacity(const js_plan *p, int a, int *bottleneck)
{
    double cap = INFINITY;
    for (int i = 0; i < p->napps; i++) {
        const js_app_plan *ap = &p->apps[i];
        if (ap->app != a || !(ap->rate > 0))
            continue;
        for (int t = 0; t < ap->ntasks; t++) {
            const js_task_plan *tp = &ap->tasks[t];
            double served = 0.0;
            for (int k = 0; k < tp->nsegments; k++)
                served += tp->segments[k].throughput * tp->segments[k].count;
            if (tp->demand > 0 && served / tp->demand * ap->rate < cap) {
                cap = served / tp->demand * ap->rate;
                *bottleneck = tp->task;
            }
        }
    }
    return isfinite(cap) ? cap : NAN;
}

/* --rate above what the plan can serve is legal (an overload study) but rarely meant:
 * queues then grow without bound and nearly every request is late or dropped. */
static void warn_over_capacity(const sim_opts *o, const js_scenario *s, const js_plan *p)
{
    if (!(o->rate > 0) || o->trace != NULL)
        return;
    for (int a = 0; a < s->napps; a++) {
        int t = -1;
        double cap = plan_capacity(p, a, &t);
        if (isfinite(cap) && t >= 0 && o->rate > 1.05 * cap)
            js_cli_warn("simulate", "--rate %g is %.1fx what the plan serves for %s (%.4g "
                        "requests/s, task %s at its profiled throughput): queues will grow "
                        "without bound; plan for this rate ('jigsaw plan --rate %g') or lower it",
                        o->rate, o->rate / cap, s->apps[a].name, cap,
                        s->apps[a].tasks[t].name, o->rate);
    }
}

/* The work budget stated up front: with synthetic arrivals the expected requests are
 * known before the run (rate x duration per application). Trace replay is checked by the
 * simulator as requests arrive. */
static int check_budget(const sim_opts *o, const js_scenario *s, const js_plan *p,
                        double duration_s, js_diag *d)
{
    if (o->trace != NULL)
        return 0;
    double expected = 0;
    for (int a = 0; a < s->napps; a++)
        expected += (o->rate > 0 ? o->rate : planned_rate(s, p, a)) * duration_s;
    if (expected > (double)o->max_requests)
        return js_diag_set(d, JS_EXIT_DATAERR,
                           "simulate: about %.3g requests in %g s, past the work budget of %llu "
                           "(--max-requests raises it; README, plausibility limits)",
                           expected, duration_s, (unsigned long long)o->max_requests);
    return 0;
}

static int open_arrivals(const sim_opts *o, const js_scenario *s, const js_plan *p,
                         js_arrivals **arr, js_diag *d)
{
    for (int a = 0; a < s->napps; a++) {
        js_arrival_spec sp;
        js_arrival_spec_init(&sp);
        sp.seed = js_seed_derive(o->seed, "arrivals", (uint64_t)a);
        sp.cv = o->cv;
        if (o->trace != NULL) {
            sp.kind = JS_ARR_TRACE;
            if (strlen(o->trace) >= sizeof sp.path)
                return js_diag_set(d, JS_EXIT_USAGE, "--trace: path too long");
            snprintf(sp.path, sizeof sp.path, "%s", o->trace);
            sp.time_compression = o->trace_comp;
            sp.target_mean = o->trace_mean > 0 ? o->trace_mean : o->trace_peak > 0 ? 0 : o->rate;
            sp.target_peak = o->trace_peak;
            sp.start_s = o->trace_start;
            sp.duration_s = o->trace_dur;
            sp.smooth_s = o->trace_smooth;
        } else {
            sp.kind = o->kind;
            sp.rate = o->rate > 0 ? o->rate : planned_rate(s, p, a);
            sp.mmpp_rate_ratio = o->mmpp_ratio;
            sp.mmpp_mean_sojourn_s = o->mmpp_sojourn;
            if (!(sp.rate > 0))
                continue; /* no demand for this application: no stream */
        }
        int rc = js_arrivals_open(&sp, &arr[a], d);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void fmt_ms(char *buf, size_t n, double v)
{
    if (isfinite(v))
        snprintf(buf, n, "%.1f", v);
    else
        snprintf(buf, n, "-");
}

static void print_row(const char *name, const js_app_metrics *m)
{
    char p50[24], p95[24], p99[24], mx[24];
    fmt_ms(p50, sizeof p50, m->latency_ms.p50);
    fmt_ms(p95, sizeof p95, m->latency_ms.p95);
    fmt_ms(p99, sizeof p99, m->latency_ms.p99);
    fmt_ms(mx, sizeof mx, m->latency_ms.max);
    printf("%-22s %10llu %10llu %8llu %8llu %7.3f%% %8s %8s %8s %9s %6.4f\n", name,
           (unsigned long long)m->requests, (unsigned long long)m->completed,
           (unsigned long long)m->late, (unsigned long long)m->dropped,
           100 * m->violation_rate, p50, p95, p99, mx,
           isfinite(m->accuracy) ? m->accuracy : 0.0);
}

static void print_text(const js_sim_result *r, const js_scenario *s)
{
    printf("%-22s %10s %10s %8s %8s %8s %8s %8s %8s %9s %6s\n", "application", "requests",
           "completed", "late", "dropped", "viol", "p50 ms", "p95 ms", "p99 ms", "max ms", "PAS");
    for (int a = 0; a < r->napps; a++)
        print_row(s->apps[a].name, &r->apps[a]);
    if (r->napps > 1)
        print_row("all", &r->total);
    printf("\n%-22s %-14s %-12s %7s %9s %8s %6s %9s\n", "application", "task", "variant",
           "workers", "items", "batch", "util", "queue ms");
    for (int i = 0; i < r->ntasks; i++) {
        const js_task_metrics *t = &r->tasks[i];
        const js_app *ap = &s->apps[t->app];
        printf("%-22s %-14s %-12s %7d %9llu %8.2f %6.3f %9.2f\n", ap->name,
               ap->tasks[t->task].name, ap->tasks[t->task].variants[t->variant].name,
               t->workers, (unsigned long long)t->items, t->batch_mean, t->utilisation,
               t->queue_ms_mean);
    }
    printf("\nsimulated %.1f s; slices in use %.2f (time-averaged), GPUs %.2f; %llu events "
           "in %.2f s (%.2f M events/s)\n",
           r->sim_time_s, r->slices_avg, r->gpus_avg, (unsigned long long)r->events, r->wall_s,
           r->wall_s > 0 ? (double)r->events / r->wall_s * 1e-6 : 0.0);
}

int js_cmd_simulate(int argc, char **argv)
{
    sim_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc < 0)
        return JS_EXIT_OK;
    if (rc != 0)
        return rc;
    js_diag d;
    js_diag_init(&d);
    js_scenario s;
    js_plan p;
    memset(&s, 0, sizeof s);
    js_plan_init(&p);
    js_arrivals **arr = NULL;
    js_sim *sim = NULL;
    js_sim_result r;
    memset(&r, 0, sizeof r);
    bool have_s = false, have_r = false;
    rc = js_scenario_load_opts(o.scenario, &o.sopts, &s, &d);
    have_s = rc == 0;
    if (rc == 0)
        rc = js_plan_load(o.plan, &s, &p, &d);
    if (rc == 0) {
        arr = calloc((size_t)s.napps + 1, sizeof *arr);
        if (arr == NULL)
            rc = js_diag_set(&d, JS_EXIT_INTERNAL, "out of memory");
    }
    if (rc == 0) {
        warn_over_capacity(&o, &s, &p);
        rc = open_arrivals(&o, &s, &p, arr, &d);
    }
    if (rc == 0)
        rc = check_budget(&o, &s, &p, o.duration > 0 ? o.duration : 600, &d);
    progress_state ps = {js_now_s(), 0, 0, false};
    if (rc == 0) {
        js_sim_config cfg;
        js_sim_config_init(&cfg);
        cfg.seed = o.seed;
        cfg.duration_s = o.duration > 0 ? o.duration : o.trace != NULL ? 0 : 600;
        cfg.max_requests = o.max_requests;
        cfg.dispatch = o.dispatch;
        cfg.service = o.service;
        cfg.batch_timeout_ms = o.batch_timeout;
        cfg.early_drop = !o.no_drop;
        cfg.drop_rule = o.drop_rule;
        cfg.fanout = o.fanout;
        if (o.timeline != NULL) {
            cfg.timeline_interval_s = o.timeline_interval;
            cfg.timeline_path = o.timeline;
        }
        ps.duration = cfg.duration_s;
        if (!(ps.duration > 0) && o.trace != NULL && o.trace_dur > 0)
            ps.duration = o.trace_dur / (o.trace_comp > 0 ? o.trace_comp : 1.0);
        if (isatty(STDERR_FILENO)) {
            cfg.progress = on_progress;
            cfg.progress_ctx = &ps;
        }
        rc = js_sim_create(&s, &p, &cfg, arr, &sim, &d);
    }
    if (rc == 0)
        rc = js_sim_run(sim, &d);
    if (ps.printed)
        fprintf(stderr, "\r%*s\r", 78, "");
    if (rc == 0) {
        rc = js_sim_result_get(sim, &r);
        if (rc != 0)
            js_diag_set(&d, rc, "simulator: conservation check failed (arrivals != completed "
                                "+ dropped + in flight)");
        have_r = rc == 0;
    }
    if (rc == 0 && o.json) {
        cJSON *j = js_sim_result_to_json(&r, &s);
        char *txt = j != NULL ? cJSON_Print(j) : NULL;
        if (txt == NULL)
            rc = js_diag_set(&d, JS_EXIT_INTERNAL, "out of memory writing JSON");
        else
            printf("%s\n", txt);
        cJSON_free(txt);
        cJSON_Delete(j);
    } else if (rc == 0) {
        print_text(&r, &s);
    }
    js_cli_print_diag("simulate", &d);
    if (have_r)
        js_sim_result_free(&r);
    js_sim_destroy(sim);
    if (arr != NULL)
        for (int a = 0; a < s.napps; a++)
            js_arrivals_close(arr[a]);
    free(arr);
    js_plan_free(&p);
    if (have_s)
        js_scenario_free(&s);
    return rc;
}
