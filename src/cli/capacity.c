/* jigsaw capacity: maximum serviceable demand of every system on a scenario's cluster. */
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
            "usage: jigsaw capacity SCENARIO [options]\n"
            "\n"
            "Maximum serviceable demand of each system (the paper's analytical study): the\n"
            "largest multiple of the scenario's demand the cluster serves under the SLOs, the\n"
            "gain over Unopt, A+S+T / A+T (JigsawServe vs Loki), the slices and GPUs used at\n"
            "that demand, and which constraints bind (each is relaxed by 5%%: capacity = 5%%\n"
            "more GPUs, latency = rule statistic / 1.05, accuracy = floor x 0.95; it binds when\n"
            "the maximum demand then rises by more than the planner's 0.5%% tolerance).\n"
            "With a price per GPU-hour (cluster.price_per_gpu_hour, else the GPU type's), also\n"
            "each system's cost per hour and per million requests at that demand.\n"
            "\n"
            "options:\n"
            "  --gpus N             cluster size (default: the scenario's)\n"
            "  --gpu TYPE           GPU type, e.g. a100-80gb, h100-80gb (profiles switch with it)\n"
            "  --systems LIST       comma-separated systems (unopt,A,S,T,A+T,S+T,A+S,A+S+T,\n"
            "                       jigsaw, loki; default all eight)\n"
            "  --latency-factor F   multiply every configuration's latency statistic by F\n"
            "                       (F > 1: a tail-safe rule; default 1 = the paper's 2 x p95)\n"
            "  --max-utilisation U  plan every segment to at most U (0 < U <= 1) of its\n"
            "                       throughput: spare capacity against queueing (default 1)\n"
            "                       (also spelt --max-utilization)\n"
            "  --max-batch B        only batch sizes <= B (a serving stack's batch cap;\n"
            "                       default: every profiled batch size)\n"
            "  --rule R             safe (default): queueing-aware rule, the plan's predicted\n"
            "                       end-to-end quantile within the SLO; paper: 2 x p95\n"
            "  --target pQ          safe rule's latency quantile (default p99)\n"
            "  --tail-safe          also run the tail check (simulated p99 at 80%% of each\n"
            "                       system's capacity, and the latency factor and utilisation\n"
            "                       cap that keep violations < 1%%)\n"
            "  --no-binding         skip the binding-constraint analysis (3 solves a system)\n"
            "  --time-limit S       time limit of each plan (default 120 s; 0: none)\n"
            "  --json               JSON on stdout: per system `system`, `max_demand_scale`,\n"
            "                       `max_rate`, `gain_vs_unopt`, `cost_per_hour_usd`, ...;\n"
            "                       top-level `jigsaw_vs_loki`, `price_per_gpu_hour_usd`\n"
JS_CLI_HOST_HELP
            "  -h, --help           this help\n");
}

static int parse_systems(const char *list, js_capacity_opts *o)
{
    char buf[256];
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
        return -1;
    o->nsystems = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned f;
        if (js_system_parse(tok, &f) != 0 || o->nsystems >= JS_NSYSTEMS)
            return -1;
        for (int i = 0; i < o->nsystems; i++)
            if (o->systems[i] == f)
                return -1;
        o->systems[o->nsystems++] = f;
    }
    return o->nsystems > 0 ? 0 : -1;
}

static void progress(void *ctx, const char *what, int done, int total)
{
    (void)ctx;
    fprintf(stderr, "\r\033[K[%d/%d] %s", done, total, what);
    if (done >= total)
        fputc('\n', stderr);
    fflush(stderr);
}

static int run_tail(const js_scenario *s, const js_capacity_opts *co, bool json, cJSON *root,
                    js_diag *d)
{
    int n = co->nsystems > 0 ? co->nsystems : JS_NSYSTEMS;
    const unsigned *sys = co->nsystems > 0 ? co->systems : js_systems;
    js_tail_row rows[JS_NSYSTEMS];
    js_tail_opts to;
    js_tail_opts_init(&to);
    to.gpus = co->gpus;
    to.time_limit_s = co->time_limit_s;
    for (int i = 0; i < n; i++) {
        int rc = js_tail_check(s, sys[i], &to, &rows[i], d);
        if (rc != 0)
            return rc;
    }
    if (json) {
        cJSON_AddItemToObject(root, "tail", js_tail_to_json(rows, n));
        return 0;
    }
    printf("\ntail check (Poisson arrivals, %.0f s, at %.0f%% of each system's capacity):\n",
           to.sim_seconds, 100.0 * to.load);
    printf("%-6s %10s %8s %8s %9s %6s %7s %6s %9s %9s\n", "system", "req/s", "p99 ms",
           "SLO ms", "viol", "under", "safe F", "U", "viol(F,U)", "cap cost");
    for (int i = 0; i < n; i++) {
        const js_tail_row *t = &rows[i];
        if (t->status != 0) {
            printf("%-6s infeasible\n", t->system);
            continue;
        }
        printf("%-6s %10.4g %8.1f %8.0f %8.2f%% %6s %7.3g %6.2f %8.2f%% %8.1f%%%s\n",
               t->system, t->rate, t->p99_ms, t->slo_ms, 100.0 * t->violation_rate,
               t->under_provisioned ? "yes" : "no", t->safe_factor, t->safe_util,
               100.0 * t->safe_violation, 100.0 * t->capacity_cost,
               t->safe_reached ? "" : "  (goal not reached)");
    }
    printf("\nboth tail-safe rules at their own maximum demand (goal: violations < %.0f%%, "
           "p99 <= SLO):\n", 100.0 * to.target_violation);
    printf("%-6s | %-28s | %-44s\n", "", "F/U search (paper's rule)", "safe rule (queueing model)");
    printf("%-6s | %9s %9s %6s | %9s %9s %9s %9s %6s\n", "system", "viol", "p99 ms", "goal",
           "cap cost", "viol", "p99 ms", "pred p99", "goal");
    for (int i = 0; i < n; i++) {
        const js_tail_row *t = &rows[i];
        if (t->status != 0)
            continue;
        printf("%-6s | %8.2f%% %9.1f %6s | %8.1f%% %8.2f%% %9.1f %9.1f %6s\n", t->system,
               100.0 * t->fu_max_violation, t->fu_max_p99_ms, t->fu_max_reached ? "met" : "no",
               100.0 * t->model_cost, 100.0 * t->model_violation, t->model_p99_ms,
               t->model_pred_p99_ms, t->model_reached ? "met" : "no");
    }
    return 0;
}

int js_cmd_capacity(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"gpus", required_argument, NULL, 'g'},
        {"gpu", required_argument, NULL, 'G'},
        {"systems", required_argument, NULL, 's'},
        {"latency-factor", required_argument, NULL, 'l'},
        {"max-utilisation", required_argument, NULL, 'U'},
        {"max-utilization", required_argument, NULL, 'U'}, /* both spellings */
        {"max-batch", required_argument, NULL, 'b'},
        {"rule", required_argument, NULL, 'r'},
        {"target", required_argument, NULL, 'q'},
        {"tail-safe", no_argument, NULL, 'T'},
        {"no-binding", no_argument, NULL, 'B'},
        {"time-limit", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        JS_CLI_HOST_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    js_capacity_opts co;
    js_scenario_opts sopts = js_scenario_opts_default();
    js_capacity_opts_init(&co);
    co.binding = true;
    co.rule = JS_RULE_SAFE; /* the command's default */
    const char *gpu = NULL;
    bool json = false, tail = false;
    int c;
    optind = 1;
    opterr = 0; /* js_cli_bad_option words the errors */
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        {
            int host_rc = js_cli_host_option("capacity", c, optarg, &sopts);
            if (host_rc < 0)
                return JS_EXIT_USAGE;
            if (host_rc > 0)
                continue;
        }
        switch (c) {
        case 'g':
            if (js_cli_parse_gpus("capacity", optarg, &co.gpus) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'G': gpu = optarg; break;
        case 's':
            if (parse_systems(optarg, &co) != 0) {
                return js_cli_usage_error("capacity", "--systems: bad or repeated system in '%s'",
                        optarg);
            }
            break;
        case 'l':
            if (js_cli_parse_latency_factor("capacity", optarg, &co.latency_factor) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'U':
            if (js_cli_parse_max_utilisation("capacity", optarg, &co.max_utilisation) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'b':
            if (js_cli_parse_max_batch("capacity", optarg, &co.max_batch) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'r':
            if (js_cli_parse_rule("capacity", optarg, &co.rule) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'q':
            if (js_cli_parse_target("capacity", optarg, &co.target_quantile) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'T': tail = true; break;
        case 'B': co.binding = false; break;
        case 't':
            if (js_cli_parse_time_limit("capacity", optarg, &co.time_limit_s) != 0)
                return JS_EXIT_USAGE;
            break;
        case 'j': json = true; break;
        case 'h': usage(stdout); return JS_EXIT_OK;
        default: return js_cli_bad_option("capacity", argv, "h", longopts);
        }
    }
    if (optind + 1 != argc)
        return js_cli_usage_error("capacity", "expected exactly one SCENARIO file");
    js_diag d;
    js_diag_init(&d);
    js_scenario s;
    memset(&s, 0, sizeof s);
    sopts.gpu = gpu;
    int rc = js_scenario_load_opts(argv[optind], &sopts, &s, &d);
    if (rc != 0) {
        js_cli_print_diag("capacity", &d);
        return rc;
    }
    if (isatty(STDERR_FILENO))
        co.progress = progress;
    js_capacity_result r;
    rc = js_capacity_study(&s, &co, &r, &d);
    cJSON *root = NULL;
    if (rc == 0 && json) {
        root = js_capacity_to_json(&r);
        if (!root)
            rc = js_diag_set(&d, JS_EXIT_INTERNAL, "out of memory");
    } else if (rc == 0) {
        js_capacity_print(stdout, &r);
    }
    if (rc == 0 && tail)
        rc = run_tail(&s, &co, json, root, &d);
    if (rc == 0 && root) {
        char *text = cJSON_Print(root);
        if (!text)
            rc = js_diag_set(&d, JS_EXIT_INTERNAL, "out of memory");
        else {
            printf("%s\n", text);
            free(text);
        }
    }
    cJSON_Delete(root);
    js_scenario_free(&s);
    js_cli_print_diag("capacity", &d);
    if (rc == 0) {
        /* Exit 3 when no system serves any demand at all. */
        bool any = false;
        for (int i = 0; i < r.nrows; i++)
            any = any || r.rows[i].status == 0;
        if (!any)
            return JS_EXIT_INFEASIBLE;
    }
    return rc;
}
