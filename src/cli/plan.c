/* jigsaw plan: minimum-slices plan or maximum serviceable demand for one system. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jigsaw/cli.h"
#include "cli_util.h"
#include "jigsaw/dag.h"
#include "jigsaw/diag.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/plan.h"
#include "jigsaw/planner.h"
#include "jigsaw/qmodel.h"
#include "jigsaw/scenario.h"
#include "jigsaw/study.h"


static void plan_usage(FILE *out)
{
    fprintf(out,
        "usage: jigsaw plan SCENARIO [--system NAME] [--rate R [--app NAME] | --scale X]\n"
        "                   [--gpus N] [--gpu TYPE] [--time-limit S] [--max-demand]\n"
        "                   [--latency-factor F] [--max-utilisation U] [--json]\n"
        "                   [--max-batch B] [--rule paper|safe] [--target pQ]\n"
        "                   [--verify-sim[=SECONDS]] [--format FMT] [-o FILE]\n"
        "                   [--max-demand-app NAME] [--joint]\n"
        "\n"
        "Plan every application of SCENARIO on its cluster with the exact MILP (GLPK): for\n"
        "each task a model variant and segments (MIG size, MPS workers, batch, count), placed\n"
        "GPU by GPU by the MIG placement rules, meeting every latency rule and accuracy SLO.\n"
        "Default: the minimum-slices plan (tie-breaks: higher PAS, then fewer GPUs).\n"
        "With a price per GPU-hour (cluster.price_per_gpu_hour, else the GPU type's), the\n"
        "plan's cost per hour (GPUs used x price) and per million requests.\n"
        "\n"
        "  -s, --system NAME     unopt, A, S, T, A+T, S+T, A+S, A+S+T; jigsaw = A+S+T,\n"
        "                        loki = A+T (default A+S+T)\n"
        "      --rate R          demand of one application in requests/s (with --app NAME\n"
        "                        when the scenario has several)\n"
        "      --app NAME        the application --rate applies to\n"
        "      --scale X         multiply every application's demand by X (default 1)\n"
        "      --gpus N          cluster size (default: the scenario's)\n"
        "      --gpu TYPE        GPU type (profiles re-resolved for it)\n"
        "      --max-demand      find the largest common demand scale the cluster serves\n"
        "                        (within 0.5%% of the model's optimum) and its plan\n"
        "      --max-demand-app NAME  the largest demand of application NAME alone, every\n"
        "                        other application held at its rate (a fleet question)\n"
        "      --joint           plan several applications as one MILP instead of one by\n"
        "                        one with their union packed (the exact reference; slow on\n"
        "                        fleets)\n"
        "      --time-limit S    stop the solver after S seconds with the best plan found,\n"
        "                        its bound and gap (default 120; 0: solve to proven\n"
        "                        optimality however long it takes)\n"
        "      --latency-factor F  multiply every configuration's latency statistic by F\n"
        "      --max-utilisation U  plan each segment to at most U (0 < U <= 1) of its\n"
        "                        profiled throughput: spare capacity against queueing\n"
        "                        (default 1, the paper's rule; both are tail-safe options)\n"
        "                        (also spelt --max-utilization)\n"
        "      --max-batch B     only batch sizes <= B (a serving stack's batch cap)\n"
        "      --rule R          safe (default): per task a utilisation level, and on every\n"
        "                        path the queueing model's latency quantile (waiting +\n"
        "                        service, slowest of a request's items) within the SLO;\n"
        "                        paper: the paper's sum of 2 x p95 of batch latency\n"
        "      --target pQ       safe rule: end-to-end latency quantile held within the SLO\n"
        "                        (p95, p99 (default), p99.9, ...): violation budget 1 - Q\n"
        "      --verify-sim[=S]  simulate the plan at its planned demand for S seconds\n"
        "                        (default 120; Poisson arrivals, seed 1) and print the\n"
        "                        measured p99 and violations beside the predicted ones\n"
        "      --json            same as --format json\n"
        "      --format FMT      table (default), json, mig-parted (an nvidia-mig-parted\n"
        "                        config: one config per node of cluster.gpus_per_node\n"
        "                        GPUs, default %d; every GPU listed), csv (deployment\n"
        "                        map: node,gpu,task,variant,mig_start,mig_size,batch,\n"
        "                        mps_workers,app; node = plan GPU index / GPUs per node,\n"
        "                        gpu = index within the node)\n"
        "  -o, --output FILE     write the result to FILE (atomically) instead of stdout\n"
        "      --stats           print solver statistics (time, nodes, size) to stderr\n"
        "  -v, --verbose         show GLPK's progress\n"
        JS_CLI_HOST_HELP
        "  -h, --help            this help\n"
        "\n"
        "exit: 0 planned, 2 usage, 3 infeasible (the reason says which app and SLO and by\n"
        "how much), 65/66 bad or missing input, 73 output not writable, 75 time limit\n"
        "reached before any plan was found (nothing proven)\n",
        JS_DEFAULT_GPUS_PER_NODE);
}

typedef enum { FMT_TABLE, FMT_JSON, FMT_MIGPARTED, FMT_CSV } out_format;

typedef struct plan_opts {
    const char *scenario;
    const char *gpu;
    const char *app;
    const char *max_demand_app; /* --max-demand-app */
    const char *output;
    bool max_demand, stats, have_rate, have_scale;
    double verify_sim_s;   /* > 0: simulate the plan for this long (--verify-sim) */
    double rate;
    out_format fmt;
    js_plan_request req;
    js_scenario_opts sopts; /* host-side costs (--host-*, --cpu-cores) */
} plan_opts;

static int parse_args(int argc, char **argv, plan_opts *o)
{
    enum { O_RATE = 256, O_APP, O_SCALE, O_GPUS, O_GPU, O_MAXD, O_MDAPP, O_JOINT, O_TL, O_LF, O_MU, O_MB,
           O_JSON, O_FMT, O_STATS, O_RULE, O_TARGET, O_VSIM };
    static const struct option longopts[] = {
        {"system", required_argument, NULL, 's'},
        {"rate", required_argument, NULL, O_RATE},
        {"app", required_argument, NULL, O_APP},
        {"scale", required_argument, NULL, O_SCALE},
        {"gpus", required_argument, NULL, O_GPUS},
        {"gpu", required_argument, NULL, O_GPU},
        {"max-demand", no_argument, NULL, O_MAXD},
        {"max-demand-app", required_argument, NULL, O_MDAPP},
        {"joint", no_argument, NULL, O_JOINT},
        {"time-limit", required_argument, NULL, O_TL},
        {"latency-factor", required_argument, NULL, O_LF},
        {"max-utilisation", required_argument, NULL, O_MU},
        {"max-utilization", required_argument, NULL, O_MU}, /* both spellings */
        {"max-batch", required_argument, NULL, O_MB},
        {"json", no_argument, NULL, O_JSON},
        {"format", required_argument, NULL, O_FMT},
        {"output", required_argument, NULL, 'o'},
        {"stats", no_argument, NULL, O_STATS},
        {"rule", required_argument, NULL, O_RULE},
        {"target", required_argument, NULL, O_TARGET},
        {"verify-sim", optional_argument, NULL, O_VSIM},
        {"verbose", no_argument, NULL, 'v'},
        JS_CLI_HOST_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    js_plan_request_init(&o->req);
    o->sopts = js_scenario_opts_default();
    o->req.rule = JS_RULE_SAFE; /* the command's default: plans that hold their SLO */
    optind = 1;
    opterr = 0;
    int c;
    double x;
    while ((c = getopt_long(argc, argv, "s:o:vh", longopts, NULL)) != -1) {
        {
            int host_rc = js_cli_host_option("plan", c, optarg, &o->sopts);
            if (host_rc < 0)
                return JS_EXIT_USAGE;
            if (host_rc > 0)
                continue;
        }
        switch (c) {
        case 's':
            if (js_system_parse(optarg, &o->req.features) != 0) {
                return js_cli_usage_error("plan", "unknown system '%s' (unopt, A, S, T, A+T, S+T, "
                                "A+S, A+S+T, jigsaw, loki)", optarg);
            }
            break;
        case O_RATE:
            if (js_cli_parse_double(optarg, &o->rate) != 0 || o->rate < 0) {
                return js_cli_usage_error("plan", "--rate must be a number >= 0, got '%s'", optarg);
            }
            o->have_rate = true;
            break;
        case O_APP: o->app = optarg; break;
        case O_SCALE:
            if (js_cli_parse_double(optarg, &x) != 0 || x < 0) {
                return js_cli_usage_error("plan", "--scale must be a number >= 0, got '%s'", optarg);
            }
            o->req.demand_scale = x;
            o->have_scale = true;
            break;
        case O_GPUS:
            if (js_cli_parse_gpus("plan", optarg, &o->req.gpus) != 0)
                return JS_EXIT_USAGE;
            break;
        case O_GPU: o->gpu = optarg; break;
        case O_MAXD: o->max_demand = true; break;
        case O_MDAPP:
            o->max_demand_app = optarg;
            o->max_demand = true;
            break;
        case O_JOINT: o->req.joint = true; break;
        case O_TL:
            if (js_cli_parse_time_limit("plan", optarg, &o->req.time_limit_s) != 0)
                return JS_EXIT_USAGE;
            break;
        case O_LF:
            if (js_cli_parse_latency_factor("plan", optarg, &o->req.latency_factor) != 0)
                return JS_EXIT_USAGE;
            break;
        case O_MU:
            if (js_cli_parse_max_utilisation("plan", optarg, &o->req.max_utilisation) != 0)
                return JS_EXIT_USAGE;
            break;
        case O_MB:
            if (js_cli_parse_max_batch("plan", optarg, &o->req.max_batch) != 0)
                return JS_EXIT_USAGE;
            break;
        case O_JSON: o->fmt = FMT_JSON; break;
        case O_FMT:
            if (strcmp(optarg, "table") == 0) o->fmt = FMT_TABLE;
            else if (strcmp(optarg, "json") == 0) o->fmt = FMT_JSON;
            else if (strcmp(optarg, "mig-parted") == 0) o->fmt = FMT_MIGPARTED;
            else if (strcmp(optarg, "csv") == 0) o->fmt = FMT_CSV;
            else {
                return js_cli_usage_error("plan", "--format must be table, json, mig-parted or csv");
            }
            break;
        case 'o': o->output = optarg; break;
        case O_STATS: o->stats = true; break;
        case O_RULE:
            if (js_cli_parse_rule("plan", optarg, &o->req.rule) != 0)
                return JS_EXIT_USAGE;
            break;
        case O_TARGET:
            if (js_cli_parse_target("plan", optarg, &o->req.target_quantile) != 0)
                return JS_EXIT_USAGE;
            break;
        case O_VSIM:
            o->verify_sim_s = 120.0;
            if (optarg && (js_cli_parse_double(optarg, &x) != 0 || !(x > 0) || x > 1e6)) {
                return js_cli_usage_error("plan", "--verify-sim must be seconds in (0, 1e6], got "
                                "'%s'", optarg);
            }
            if (optarg)
                o->verify_sim_s = x;
            break;
        case 'v': o->req.verbose = 1; break;
        case 'h': plan_usage(stdout); return -1;
        default:
            return js_cli_bad_option("plan", argv, "s:o:vh", longopts);
        }
    }
    if (optind != argc - 1) {
        return js_cli_usage_error("plan", "expected exactly one SCENARIO file");
    }
    o->scenario = argv[optind];
    if (o->have_rate && o->have_scale) {
        return js_cli_usage_error("plan", "give --rate or --scale, not both");
    }
    if (o->max_demand_app && o->have_scale) {
        return js_cli_usage_error("plan", "--max-demand-app holds the other applications at "
                                  "their rates: give --rate/--app or the scenario's, not --scale");
    }
    if (o->app && !o->have_rate) {
        return js_cli_usage_error("plan", "--app selects the application --rate applies to");
    }
    return 0;
}

static const char *stat_word(const js_app *a)
{
    return a->rule.stat == JS_LAT_MEAN ? "mean" : "p95";
}

static void table_app(FILE *f, const js_scenario *s, const js_plan *p, int i)
{
    const js_app_plan *ap = &p->apps[i];
    const js_app *a = &s->apps[ap->app];
    const js_gpu_type *g = &s->cluster.gpu;
    if (strcmp(p->rule, "safe") == 0)
        fprintf(f, "\napp %s: %.6g req/s, PAS %.4f (SLO >= %g), latency SLO %g ms (safe rule: "
                   "p%g of end-to-end latency <= SLO)\n", a->name, ap->rate, ap->pas,
                a->accuracy_slo, a->latency_slo_ms, 100.0 * p->target_quantile);
    else
        fprintf(f, "\napp %s: %.6g req/s, PAS %.4f (SLO >= %g), latency SLO %g ms (rule: sum of "
                   "%s <= %g x SLO = %g ms)\n", a->name, ap->rate, ap->pas, a->accuracy_slo,
                a->latency_slo_ms, stat_word(a), a->rule.slo_fraction,
                a->rule.slo_fraction * a->latency_slo_ms);
    if (isfinite(ap->predicted_p99_ms) || ap->predicted_violation_rate >= 1.0)
        fprintf(f, "  predicted (queueing model, Poisson arrivals): p50 %.1f ms, p99 %.1f ms, "
                   "violations %.2f%%\n", ap->predicted_p50_ms, ap->predicted_p99_ms,
                100.0 * ap->predicted_violation_rate);
    js_path paths[JS_MAX_PATHS];
    int np = js_dag_paths(a, paths, JS_MAX_PATHS);
    for (int k = 0; k < np && k < ap->npaths; k++) {
        fprintf(f, "  path ");
        for (int j = 0; j < paths[k].len; j++)
            fprintf(f, "%s%s", j ? " -> " : "", a->tasks[paths[k].tasks[j]].name);
        fprintf(f, ": %.2f ms\n", ap->path_latency_ms[k]);
    }
    fprintf(f, "  %-16s %-20s %12s %10s %6s  %s\n", "task", "variant", "items/s", "stat ms",
            "util", "segments (count x MIG, batch, MPS workers: items/s each)");
    for (int t = 0; t < ap->ntasks; t++) {
        const js_task_plan *tp = &ap->tasks[t];
        const js_task *task = &a->tasks[tp->task];
        fprintf(f, "  %-16s %-20s %12.2f %10.2f %6.3f ", task->name,
                task->variants[tp->variant].name, tp->demand, tp->latency_budget_ms,
                tp->utilisation);
        if (tp->nsegments == 0)
            fprintf(f, " (none: no demand)");
        for (int k = 0; k < tp->nsegments; k++) {
            const js_segment *sg = &tp->segments[k];
            int prof = js_gpu_profile_by_slices(g, sg->mig);
            fprintf(f, "%s%d x %s b%d w%d: %.1f", k ? "; " : " ", sg->count,
                    prof >= 0 ? g->profiles[prof].name : "?", sg->batch, sg->workers,
                    sg->throughput);
        }
        fprintf(f, "\n");
    }
}

/* One line when the cluster's price is known (js_plan_cost_per_hour). */
static void write_cost(FILE *f, const js_scenario *s, const js_plan *p)
{
    double per_hour = js_plan_cost_per_hour(p, s), per_million = js_plan_cost_per_million(p, s);
    if (!isfinite(per_hour))
        return;
    fprintf(f, "cost: $%.2f/h on %d GPU%s at $%.4g/GPU-h", per_hour, p->gpus_used,
            p->gpus_used == 1 ? "" : "s", js_cluster_price(&s->cluster));
    if (isfinite(per_million))
        fprintf(f, ", $%.4g per million requests", per_million);
    fprintf(f, "\n");
}

static void write_table(FILE *f, const js_scenario *s, const js_plan *p, bool max_demand)
{
    const js_gpu_type *g = &s->cluster.gpu;
    fprintf(f, "scenario %s, system %s, cluster %d x %s\n", s->name, p->system, p->gpus_total,
            g->name);
    if (max_demand) {
        fprintf(f, "maximum demand scale %.6g (proven bound %.6g, gap %.3f%%, %s)", p->demand_scale,
                p->demand_scale_bound, 100.0 * p->gap, p->status);
        int one = s->napps == 1 ? 0 : p->scaled_app;
        if (one >= 0 && one < p->napps)
            fprintf(f, " = %.6g req/s for %s%s", p->apps[one].rate, s->apps[one].name,
                    s->napps > 1 ? " (the others at their rates)" : "");
        fprintf(f, "\n");
    } else {
        fprintf(f, "status %s (bound %g, gap %.3f%%), demand scale %g\n", p->status, p->bound,
                100.0 * p->gap, p->demand_scale);
    }
    fprintf(f, "slices used %d of %d, GPUs used %d of %d\n", p->slices_used,
            p->gpus_total * g->compute_slices, p->gpus_used, p->gpus_total);
    write_cost(f, s, p);
    for (int i = 0; i < p->napps; i++)
        table_app(f, s, p, i);
    fprintf(f, "\nGPU layouts ([start] profile app/task/variant batch workers):\n");
    for (int gi = 0; gi < p->ngpus; gi++) {
        fprintf(f, "  gpu %3d:", gi);
        for (int k = 0; k < p->gpus[gi].ninstances; k++) {
            const js_instance *in = &p->gpus[gi].inst[k];
            const js_app *a = &s->apps[in->app];
            fprintf(f, "%s[%d] %s %s%s%s/%s b%d w%d", k ? " |" : " ", in->start,
                    g->profiles[in->profile].name, s->napps > 1 ? a->name : "",
                    s->napps > 1 ? "/" : "", a->tasks[in->task].name,
                    a->tasks[in->task].variants[in->variant].name, in->batch, in->workers);
        }
        fprintf(f, "\n");
    }
}

/* Valid placements of one GPU's instance multiset (counts per profile), counted up to
 * `limit`: instances of one profile in increasing start order, so each set once. */
static int count_placements(const js_gpu_type *g, int *counts, int p, int min_start,
                            unsigned used, int compute, int limit)
{
    while (p < g->nprofiles && counts[p] == 0) {
        p++;
        min_start = 0;
    }
    if (p == g->nprofiles)
        return 1;
    const js_mig_profile *mp = &g->profiles[p];
    if (compute + mp->compute_slices > g->compute_slices)
        return 0;
    int n = 0;
    for (int k = 0; k < mp->nstarts && n < limit; k++) {
        int st = mp->starts[k];
        unsigned mask = ((1u << mp->memory_slices) - 1u) << st;
        if (st < min_start || st + mp->memory_slices > g->memory_slices || (used & mask))
            continue;
        counts[p]--;
        n += count_placements(g, counts, p, st + 1, used | mask, compute + mp->compute_slices,
                              limit - n);
        counts[p]++;
    }
    return n;
}

static void gpu_counts(const js_plan *p, int i, int *cnt)
{
    memset(cnt, 0, sizeof(int) * JS_MAX_MIG_PROFILES);
    for (int k = 0; i < p->ngpus && k < p->gpus[i].ninstances; k++)
        cnt[p->gpus[i].inst[k].profile]++;
}

/* One device group: the GPUs of node n (indices first..last-1) with the counts of GPU i.
 * mig-parted sets counts and the driver chooses positions; where the counts can be placed
 * in more than one way, a comment gives the planned starts (the CSV has them too). */
static void migparted_group(FILE *f, const js_scenario *s, const js_plan *p, int i, int first,
                            int last, bool *done)
{
    const js_gpu_type *g = &s->cluster.gpu;
    int cnt_i[JS_MAX_MIG_PROFILES], cnt_j[JS_MAX_MIG_PROFILES];
    gpu_counts(p, i, cnt_i);
    int total = 0;
    for (int q = 0; q < g->nprofiles; q++)
        total += cnt_i[q];
    int tmp[JS_MAX_MIG_PROFILES];
    memcpy(tmp, cnt_i, sizeof tmp);
    bool ambiguous = total > 0 && count_placements(g, tmp, 0, 0, 0u, 0, 2) > 1;
    if (ambiguous)
        fprintf(f, "    # positions matter here: the driver may place these instances "
                   "elsewhere;\n    # planned starts (also in --format csv, mig_start):\n");
    for (int j = i; j < last && ambiguous; j++) {
        gpu_counts(p, j, cnt_j);
        if (memcmp(cnt_i, cnt_j, sizeof cnt_i) != 0)
            continue;
        fprintf(f, "    #   GPU %d:", j - first);
        for (int k = 0; j < p->ngpus && k < p->gpus[j].ninstances; k++)
            fprintf(f, " %s@%d", g->profiles[p->gpus[j].inst[k].profile].name,
                    p->gpus[j].inst[k].start);
        fprintf(f, "\n");
    }
    fprintf(f, "    - devices: [");
    bool comma = false;
    for (int j = i; j < last; j++) {
        gpu_counts(p, j, cnt_j);
        if (memcmp(cnt_i, cnt_j, sizeof cnt_i) != 0)
            continue;
        done[j - first] = true;
        fprintf(f, "%s%d", comma ? ", " : "", j - first);
        comma = true;
    }
    if (total == 0) { /* unused: MIG on, no instances, ready for the next plan */
        fprintf(f, "]\n      mig-enabled: true\n      mig-devices: {}\n");
        return;
    }
    fprintf(f, "]\n      mig-enabled: true\n      mig-devices:\n");
    for (int q = 0; q < g->nprofiles; q++)
        if (cnt_i[q])
            fprintf(f, "        \"%s\": %d\n", g->profiles[q].name, cnt_i[q]);
}

/* One mig-parted config per node of cluster.gpus_per_node GPUs, every GPU of the node
 * listed (unused ones without instances), GPUs with equal counts grouped. */
static void write_migparted(FILE *f, const js_scenario *s, const js_plan *p)
{
    int per_node = s->cluster.gpus_per_node;
    int gpus = p->gpus_total > p->ngpus ? p->gpus_total : p->ngpus;
    fprintf(f, "# nvidia-mig-parted configuration written by jigsaw plan\n"
               "# scenario %s, system %s: %d GPUs used of %d (%d GPUs per node, "
               "cluster.gpus_per_node;\n"
               "# apply config jigsaw-node-N on node N: nvidia-mig-parted apply -f FILE -c "
               "jigsaw-node-N)\n"
               "version: v1\nmig-configs:\n  all-disabled:\n    - devices: all\n"
               "      mig-enabled: false\n", s->name, p->system, p->gpus_used, gpus, per_node);
    int nodes = (gpus + per_node - 1) / per_node;
    bool done[64];
    for (int n = 0; n < nodes; n++) {
        int first = n * per_node, last = first + per_node < gpus ? first + per_node : gpus;
        fprintf(f, "  jigsaw-node-%d:\n", n);
        memset(done, 0, sizeof done);
        for (int i = first; i < last; i++)
            if (!done[i - first])
                migparted_group(f, s, p, i, first, last, done);
    }
}

static void write_csv(FILE *f, const js_scenario *s, const js_plan *p)
{
    const js_gpu_type *g = &s->cluster.gpu;
    fprintf(f, "node,gpu,task,variant,mig_start,mig_size,batch,mps_workers,app\n");
    for (int gi = 0; gi < p->ngpus; gi++)
        for (int k = 0; k < p->gpus[gi].ninstances; k++) {
            const js_instance *in = &p->gpus[gi].inst[k];
            const js_app *a = &s->apps[in->app];
            fprintf(f, "%d,%d,%s,%s,%d,%s,%d,%d,%s\n", gi / s->cluster.gpus_per_node,
                    gi % s->cluster.gpus_per_node,
                    a->tasks[in->task].name, a->tasks[in->task].variants[in->variant].name,
                    in->start, g->profiles[in->profile].name, in->batch, in->workers, a->name);
        }
}

static int emit(const plan_opts *o, const char *text, size_t len)
{
    js_diag d;
    js_diag_init(&d);
    if (o->output) {
        if (js_write_file_atomic(o->output, text, len, &d) != 0) {
            js_cli_print_diag("plan", &d);
            return d.code;
        }
        return 0;
    }
    if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
        js_cli_error("plan", "cannot write to stdout");
        return JS_EXIT_CANTCREAT;
    }
    return 0;
}

static int write_result(const plan_opts *o, const js_scenario *s, const js_plan *p)
{
    if (o->fmt == FMT_JSON) {
        cJSON *root = js_plan_to_json(p, s);
        char *txt = root ? cJSON_Print(root) : NULL;
        cJSON_Delete(root);
        if (!txt) {
            js_cli_error("plan", "out of memory");
            return JS_EXIT_INTERNAL;
        }
        size_t n = strlen(txt);
        char *full = malloc(n + 2);
        if (!full) {
            cJSON_free(txt);
            return JS_EXIT_INTERNAL;
        }
        memcpy(full, txt, n);
        full[n] = '\n';
        full[n + 1] = '\0';
        cJSON_free(txt);
        int rc = emit(o, full, n + 1);
        free(full);
        return rc;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        js_cli_error("plan", "out of memory");
        return JS_EXIT_INTERNAL;
    }
    if (o->fmt == FMT_MIGPARTED)
        write_migparted(f, s, p);
    else if (o->fmt == FMT_CSV)
        write_csv(f, s, p);
    else
        write_table(f, s, p, o->max_demand);
    if (fclose(f) != 0) {
        free(buf);
        return JS_EXIT_INTERNAL;
    }
    int rc = emit(o, buf, len);
    free(buf);
    return rc;
}

/* The paper's rule cannot see queueing: warn where its plan runs a task close to
 * saturation (the planner predicted every plan, planner.h). */
static void warn_paper_saturation(const js_scenario *s, const plan_opts *o, const js_plan *p)
{
    if (o->req.rule == JS_RULE_SAFE)
        return;
    for (int i = 0; i < p->napps; i++)
        for (int k = 0; k < p->apps[i].ntasks; k++) {
            const js_task_plan *tp = &p->apps[i].tasks[k];
            if (tp->utilisation > 0.9)
                js_cli_warn("plan", "the paper's rule runs %s/%s at %.0f%% "
                                "of its capacity; queueing there is not in the rule "
                                "(predicted p99 %.0f ms, violations %.1f%%): use --rule safe",
                        s->apps[p->apps[i].app].name,
                        s->apps[p->apps[i].app].tasks[tp->task].name, 100.0 * tp->utilisation,
                        p->apps[i].predicted_p99_ms, 100.0 * p->apps[i].predicted_violation_rate);
        }
}

/* --verify-sim: the plan replayed at its planned demand, measured beside predicted. */
static int verify_sim(const js_scenario *s, const js_plan *p, double seconds, js_diag *d)
{
    js_simcheck_app *m = calloc((size_t)s->napps + 1, sizeof *m);
    if (!m)
        return js_diag_set(d, JS_EXIT_INTERNAL, "out of memory");
    int rc = js_simcheck_plan(s, p, seconds, 0, 1, m, NULL, d);
    if (rc == 0) {
        fprintf(stderr, "verify-sim (%g s, Poisson at the planned rates, seed 1):\n", seconds);
        fprintf(stderr, "  %-20s %10s %12s %12s %12s %12s\n", "app", "requests", "p99 ms",
                "pred p99 ms", "violations", "predicted");
        for (int i = 0; i < p->napps; i++) {
            const js_app_plan *ap = &p->apps[i];
            const js_simcheck_app *r = &m[ap->app];
            fprintf(stderr, "  %-20s %10llu %12.1f %12.1f %11.3f%% %11.3f%%\n",
                    s->apps[ap->app].name, (unsigned long long)r->requests, r->p99_ms,
                    ap->predicted_p99_ms, 100.0 * r->violation_rate,
                    100.0 * ap->predicted_violation_rate);
        }
    }
    free(m);
    return rc;
}

static void print_stats(const js_plan *p)
{
    /* Statistics, not an error: the plain command prefix. */
    fprintf(stderr, "jigsaw plan: system %s: %s, %.3f s (%.3f s CPU), %ld nodes, %d solves, MILP "
                    "%d rows x %d cols (%d integer), %d of %d configurations after pruning; "
                    "slices %d on %d GPUs\n",
            p->system, p->status, p->stats.seconds, p->stats.cpu_seconds, p->stats.nodes, p->stats.solves,
            p->stats.rows, p->stats.cols, p->stats.int_cols, p->stats.configs,
            p->stats.configs_raw, p->slices_used, p->gpus_used);
}

static int infeasible_json(const plan_opts *o, const js_diag *d)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return JS_EXIT_INTERNAL;
    cJSON_AddStringToObject(root, "kind", "plan");
    cJSON_AddStringToObject(root, "system", js_system_name(o->req.features));
    cJSON_AddBoolToObject(root, "feasible", false);
    cJSON_AddStringToObject(root, "status", "infeasible");
    cJSON_AddStringToObject(root, "reason", d->msg);
    char *txt = cJSON_Print(root);
    cJSON_Delete(root);
    if (!txt)
        return JS_EXIT_INTERNAL;
    printf("%s\n", txt);
    cJSON_free(txt);
    return 0;
}

int js_cmd_plan(int argc, char **argv)
{
    plan_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? JS_EXIT_OK : rc;
    js_diag d;
    js_diag_init(&d);
    js_scenario s;
    o.sopts.gpu = o.gpu; /* NULL: the scenario's own */
    rc = js_scenario_load_opts(o.scenario, &o.sopts, &s, &d);
    if (rc != 0) {
        js_cli_print_diag("plan", &d);
        return rc;
    }
    /* The scenario's warnings now: planning under the safe rule starts its diagnostics
     * afresh between attempts. */
    if (d.nwarnings > 0)
        js_cli_print_diag("plan", &d);
    js_diag_init(&d);
    if (o.have_rate) {
        int ai = -1;
        for (int i = 0; i < s.napps; i++)
            if (o.app ? strcmp(s.apps[i].name, o.app) == 0 : s.napps == 1)
                ai = i;
        if (ai < 0) {
            fprintf(stderr, o.app ? "jigsaw plan: no application named '%s'\n"
                                  : "jigsaw plan: --rate needs --app NAME: the scenario has "
                                    "several applications%s\n", o.app ? o.app : "");
            js_scenario_free(&s);
            return JS_EXIT_USAGE;
        }
        o.req.rate_app = ai;
        o.req.rate_override = o.rate;
    }
    if (o.max_demand_app) {
        o.req.scale_app = -1;
        for (int i = 0; i < s.napps; i++)
            if (strcmp(s.apps[i].name, o.max_demand_app) == 0)
                o.req.scale_app = i;
        if (o.req.scale_app < 0) {
            fprintf(stderr, "jigsaw plan: --max-demand-app: no application named '%s'\n",
                    o.max_demand_app);
            js_scenario_free(&s);
            return JS_EXIT_USAGE;
        }
    }
    js_plan p;
    rc = o.max_demand ? js_plan_max_demand(&s, &o.req, &p, &d)
                      : js_plan_min_slices(&s, &o.req, &p, &d);
    if (rc == 0)
        warn_paper_saturation(&s, &o, &p);
    if (rc == 0 && d.nwarnings > 0)
        js_cli_print_diag("plan", &d);
    if (rc == 0) {
        if (o.stats)
            print_stats(&p);
        rc = write_result(&o, &s, &p);
        if (rc == 0 && o.verify_sim_s > 0)
            rc = verify_sim(&s, &p, o.verify_sim_s, &d);
    } else {
        if (rc == JS_EXIT_INFEASIBLE && o.fmt == FMT_JSON && !o.output)
            infeasible_json(&o, &d);
        js_cli_print_diag("plan", &d);
    }
    js_plan_free(&p);
    js_scenario_free(&s);
    return rc;
}
