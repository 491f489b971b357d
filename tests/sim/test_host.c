/* The simulator's host phases against the planner (docs/host-model.md): a worker's batch
 * holds a host phase then a GPU phase, host phases share their node's CPU cores. Under
 * saturating arrivals the simulated throughput of a plan must be the planner's figure
 * for it (the sum of its segments' throughput, which the planner took from the same
 * host-adjusted configurations), for the whole GPU with one worker and for 1g instances
 * with 1-4 MPS workers, at several host times; with too few cores, the cores bound it
 * (cores x batch / host time, an answer independent of both). */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jigsaw/host.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/plan.h"
#include "jigsaw/planner.h"
#include "jigsaw/scenario.h"
#include "jigsaw/sim.h"
#include "jigsaw/trace.h"
#include "jigsaw/util.h"

#define SRC JS_SOURCE_ROOT
#define SIM_SECONDS 60.0

/* One task (yolov5s: a pm-1 modelled profile, whose latency and throughput agree, so
 * the planner's throughput and the simulator's service time describe the same worker). */
static void write_scenario(const char *path, int max_workers, int cores_per_node)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "{\"kind\": \"scenario\", \"format_version\": 1, \"name\": \"host-one-task\",\n"
            " \"profiles\": \"%s/profiles\",\n"
            " \"cluster\": {\"gpu\": \"a100-80gb\", \"gpus\": 1, \"max_workers\": %d,\n"
            "             \"gpus_per_node\": 1%s%.0d},\n"
            " \"apps\": [{\"name\": \"detect\", \"tasks\": [{\"name\": \"detect\", \"variants\":"
            " [{\"name\": \"yolov5s\", \"profile\": \"yolov5s\", \"accuracy\": 37.4}]}],\n"
            "   \"slo\": {\"latency_ms\": 100000, \"accuracy\": 0.5}, \"demand\": {\"rate\": 10}}]}\n",
            SRC, max_workers, cores_per_node > 0 ? ", \"cpu_cores_per_node\": " : "",
            cores_per_node);
    fclose(f);
}

static js_scenario *load(const char *path, double host_ms)
{
    js_scenario_opts o = js_scenario_opts_default();
    o.host.ms_per_item = host_ms;
    js_scenario *s = calloc(1, sizeof *s);
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_scenario_load_opts(path, &o, s, &d), 0, "%s", d.msg);
    return s;
}

static double plan_capacity(const js_plan *p)
{
    double cap = 0;
    const js_task_plan *tp = &p->apps[0].tasks[0];
    for (int i = 0; i < tp->nsegments; i++)
        cap += tp->segments[i].count * tp->segments[i].throughput;
    return cap;
}

/* Items served per second over SIM_SECONDS of Poisson arrivals at `rate` (no dropping:
 * the queue only grows, every worker stays busy). */
static double simulate(const js_scenario *s, const js_plan *p, double rate)
{
    js_diag d;
    js_diag_init(&d);
    js_arrival_spec sp;
    js_arrival_spec_init(&sp);
    sp.kind = JS_ARR_POISSON;
    sp.rate = rate;
    sp.seed = js_seed_derive(7, "arrivals", 0);
    js_arrivals *arr[1];
    cr_assert_eq(js_arrivals_open(&sp, &arr[0], &d), 0, "%s", d.msg);
    js_sim_config cfg;
    js_sim_config_init(&cfg);
    cfg.seed = 7;
    cfg.early_drop = false;
    cfg.duration_s = SIM_SECONDS;
    js_sim *sim = NULL;
    cr_assert_eq(js_sim_create(s, p, &cfg, arr, &sim, &d), 0, "%s", d.msg);
    cr_assert_eq(js_sim_run_until(sim, SIM_SECONDS, &d), 0, "%s", d.msg);
    js_sim_result r;
    cr_assert_eq(js_sim_result_get(sim, &r), 0);
    double thr = (double)r.items / SIM_SECONDS;
    js_sim_result_free(&r);
    js_sim_destroy(sim);
    js_arrivals_close(arr[0]);
    return thr;
}

typedef struct config {
    const char *system;
    int max_batch, max_workers;
    double host_ms;
} config;

Test(sim_host, simulated_throughput_matches_planner)
{
    char dir[] = "/tmp/jigsaw-sim-host-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    /* Whole GPU with one worker (unopt), and S on one GPU: 1g instances with 1-4 MPS
     * workers (the planner fills the GPU with its best per-slice configuration). */
    static const config cfgs[] = {
        {"unopt", 1, 4, 0}, {"unopt", 1, 4, 2}, {"unopt", 8, 4, 5}, {"unopt", 8, 4, 1},
        {"S", 1, 1, 2},     {"S", 1, 2, 2},     {"S", 1, 3, 2},     {"S", 1, 4, 2},
        {"S", 1, 4, 5},     {"S", 4, 2, 1},     {"S", 2, 4, 0},     {"S", 8, 1, 5},
    };
    int checked = 0, mps = 0;
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++) {
        const config *c = &cfgs[i];
        char path[256];
        snprintf(path, sizeof path, "%s/s%zu.json", dir, i);
        write_scenario(path, c->max_workers, 0);
        js_scenario *s = load(path, c->host_ms);
        js_plan_request r;
        js_plan_request_init(&r);
        cr_assert_eq(js_system_parse(c->system, &r.features), 0);
        r.rule = JS_RULE_PAPER;
        r.max_batch = c->max_batch;
        js_plan p;
        js_plan_init(&p);
        js_diag d;
        js_diag_init(&d);
        cr_assert_eq(js_plan_max_demand(s, &r, &p, &d), 0, "%s", d.msg);
        double cap = plan_capacity(&p);
        double planned = p.apps[0].rate;
        cr_assert(planned <= cap * 1.000001 && planned >= cap * 0.99,
                  "%s: max demand %g against segment capacity %g", c->system, planned, cap);
        const js_segment *sg = &p.apps[0].tasks[0].segments[0];
        mps += sg->workers > 1;
        double sim = simulate(s, &p, 1.3 * cap);
        cr_expect(fabs(sim - cap) <= 0.02 * cap,
                  "%s b<=%d k<=%d host %g ms (%dg w%d b%d): simulated %.2f items/s, planner %.2f",
                  c->system, c->max_batch, c->max_workers, c->host_ms, sg->mig, sg->workers,
                  sg->batch, sim, cap);
        /* The figures, for the log (docs/host-model.md quotes them). */
        fprintf(stderr, "sim_host: %-5s b<=%d k<=%d host %g ms: %d x %dg w%d b%d, planner %.2f, "
                "simulated %.2f items/s (%+.2f%%)\n", c->system, c->max_batch, c->max_workers,
                c->host_ms, sg->count, sg->mig, sg->workers, sg->batch, cap, sim,
                100.0 * (sim - cap) / cap);
        checked++;
        js_plan_free(&p);
        js_scenario_free(s);
        free(s);
        unlink(path);
    }
    cr_assert_geq(checked, 10);
    cr_assert_geq(mps, 3, "only %d plans with MPS workers", mps);
    rmdir(dir);
}

/* Too few cores: 4 workers of one 7g instance share 2 cores, host time 3x the GPU
 * time. Every core busy all the time bounds the throughput at cores x batch / host. */
Test(sim_host, cores_bound_throughput)
{
    char dir[] = "/tmp/jigsaw-sim-host-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/s.json", dir);
    write_scenario(path, 4, 2);
    js_scenario *s = load(path, 0.0);
    const js_profile *pr = s->apps[0].tasks[0].variants[0].profile;
    const js_profile_entry *e = js_profile_find(pr, 7, 1, 4);
    cr_assert_not_null(e);
    double gpu_ms = 1000.0 / e->throughput, host_ms = 3 * gpu_ms;
    js_scenario_free(s);
    free(s);
    s = load(path, host_ms);
    e = js_profile_find(s->apps[0].tasks[0].variants[0].profile, 7, 1, 4);
    /* A plan of one 7g instance, 4 workers, batch 1, placed on GPU 0. */
    js_plan p;
    js_plan_init(&p);
    p.napps = 1;
    p.apps = calloc(1, sizeof *p.apps);
    p.apps[0].ntasks = 1;
    p.apps[0].rate = 1;
    js_segment *sg = &p.apps[0].tasks[0].segments[0];
    p.apps[0].tasks[0].nsegments = 1;
    *sg = (js_segment){.mig = 7, .workers = 4, .batch = 1, .count = 1,
                       .throughput = 4 * e->throughput, .lat_mean_ms = e->lat_mean_ms,
                       .lat_p95_ms = e->lat_p95_ms};
    double bound = 2 * 1000.0 / host_ms;
    double unbounded = 4 * e->throughput;
    cr_assert_lt(bound, 0.8 * unbounded, "the cores must bind in this case");
    double sim = simulate(s, &p, 1.5 * unbounded);
    cr_expect(fabs(sim - bound) <= 0.02 * bound, "simulated %.2f items/s, cores bound %.2f",
              sim, bound);
    fprintf(stderr, "sim_host: 7g w4 b1, 2 cores, host %.2f ms: cores bound %.2f, without the "
            "bound %.2f, simulated %.2f items/s\n", host_ms, bound, unbounded, sim);
    js_plan_free(&p);
    js_scenario_free(s);
    free(s);
    unlink(path);
    rmdir(dir);
}

/* Plan swaps while workers wait for a core or run their host phase: the aborted ones give
 * their place and core up (sim_host.c), every request is accounted for, and the run
 * drains. Debug builds also walk the simulator's invariants at every swap. */
Test(sim_host, plan_swaps_during_host_phases)
{
    char dir[] = "/tmp/jigsaw-sim-host-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/s.json", dir);
    /* Plans for unlimited cores, simulated with 3: their workers queue for cores. */
    write_scenario(path, 4, 0);
    js_scenario *free_cores = load(path, 4.0);
    write_scenario(path, 4, 3);
    js_scenario *s = load(path, 4.0);
    js_plan_request r;
    js_plan_request_init(&r);
    r.features = JS_FEAT_S | JS_FEAT_A | JS_FEAT_T;
    r.rule = JS_RULE_PAPER;
    r.max_batch = 2;
    js_plan big, small;
    js_plan_init(&big);
    js_plan_init(&small);
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_plan_max_demand(free_cores, &r, &big, &d), 0, "%s", d.msg);
    r.demand_scale = 0.3 * big.demand_scale;
    cr_assert_eq(js_plan_min_slices(free_cores, &r, &small, &d), 0, "%s", d.msg);
    int workers = 0;
    for (int g = 0; g < big.ngpus; g++)
        for (int i = 0; i < big.gpus[g].ninstances; i++)
            workers += big.gpus[g].inst[i].workers;
    cr_assert_gt(workers, 3, "the plan must have more workers than cores");
    js_arrival_spec sp;
    js_arrival_spec_init(&sp);
    sp.kind = JS_ARR_POISSON;
    sp.rate = 1.5 * plan_capacity(&big);
    sp.seed = 3;
    js_arrivals *arr[1];
    cr_assert_eq(js_arrivals_open(&sp, &arr[0], &d), 0, "%s", d.msg);
    js_sim_config cfg;
    js_sim_config_init(&cfg);
    cfg.seed = 3;
    cfg.duration_s = 12.0;
    js_sim *sim = NULL;
    cr_assert_eq(js_sim_create(s, &big, &cfg, arr, &sim, &d), 0, "%s", d.msg);
    for (int k = 1; k <= 5; k++) {
        cr_assert_eq(js_sim_run_until(sim, 2.0 * k, &d), 0, "%s", d.msg);
        cr_assert_eq(js_sim_apply_plan(sim, k % 2 ? &small : &big, 0.5, &d), 0, "%s", d.msg);
    }
    cr_assert_eq(js_sim_run(sim, &d), 0, "%s", d.msg);
    js_sim_result res;
    cr_assert_eq(js_sim_result_get(sim, &res), 0, "requests not conserved");
    cr_assert_eq(res.total.in_flight, 0);
    cr_assert_gt(res.total.completed, 100);
    cr_assert_eq(res.total.requests, res.total.completed + res.total.dropped);
    js_sim_result_free(&res);
    js_sim_destroy(sim);
    js_arrivals_close(arr[0]);
    js_plan_free(&big);
    js_plan_free(&small);
    js_scenario_free(s);
    free(s);
    js_scenario_free(free_cores);
    free(free_cores);
    unlink(path);
    rmdir(dir);
}

/* A plan file records the host costs its latencies include; loading it against a scenario
 * under other costs is exit 65 naming $.host, under the same ones it round-trips. */
Test(sim_host, plan_file_records_host_costs)
{
    char dir[] = "/tmp/jigsaw-sim-host-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256], ppath[256];
    snprintf(path, sizeof path, "%s/s.json", dir);
    snprintf(ppath, sizeof ppath, "%s/p.json", dir);
    write_scenario(path, 4, 0);
    js_scenario *with = load(path, 2.0), *without = load(path, 0.0);
    js_plan_request r;
    js_plan_request_init(&r);
    r.rule = JS_RULE_PAPER;
    js_plan p, back;
    js_plan_init(&p);
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_plan_min_slices(with, &r, &p, &d), 0, "%s", d.msg);
    cJSON *j = js_plan_to_json(&p, with);
    cr_assert_not_null(cJSON_GetObjectItem(j, "host"));
    cr_assert_eq(js_json_write_file(ppath, j, &d), 0, "%s", d.msg);
    cJSON_Delete(j);
    cr_assert_eq(js_plan_load(ppath, with, &back, &d), 0, "%s", d.msg);
    js_plan_free(&back);
    js_diag_init(&d);
    cr_assert_eq(js_plan_load(ppath, without, &back, &d), JS_EXIT_DATAERR);
    cr_assert(strstr(d.msg, "$.host") != NULL && strstr(d.msg, "2 ms/item") != NULL, "%s",
              d.msg);
    /* Without host costs the plan has no "host" member: files as before. */
    js_plan_free(&p);
    js_plan_init(&p);
    cr_assert_eq(js_plan_min_slices(without, &r, &p, &d), 0, "%s", d.msg);
    j = js_plan_to_json(&p, without);
    cr_assert_null(cJSON_GetObjectItem(j, "host"));
    cJSON_Delete(j);
    js_plan_free(&p);
    js_scenario_free(with);
    js_scenario_free(without);
    free(with);
    free(without);
    unlink(ppath);
    unlink(path);
    rmdir(dir);
}
