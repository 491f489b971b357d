/* jigsaw compare: REPORT.md -- how it was generated, the analytical study per GPU (gains
 * beside the paper's, slices, PAS, binding constraints, the orderings the paper claims),
 * the batch-cap sensitivity, the trace-driven study and the A+S+T violation verdict, the
 * tail check, and the list of files. Every number comes from cmp_data, the same data the
 * tables (report_tables.c) hold; the "why our figures differ" paragraphs are in
 * report_why.c. */
#include <math.h>
#include <string.h>

#include "report_internal.h"

void cmp_fmt_x(char *buf, size_t n, double v)
{
    if (isfinite(v))
        snprintf(buf, n, "%.2fx", v);
    else
        snprintf(buf, n, "-");
}

static void report_capacity(FILE *f, const cmp_data *c, int g)
{
    const cmp_gpu *gp = &c->gpus[g];
    fprintf(f, "\n### %s, %d GPUs (%d slices)\n\n", gp->gpu_name[0] ? gp->gpu_name : gp->key,
            c->big_gpus, c->big_gpus * 7);
    fprintf(f, "Maximum serviceable demand (requests/s) and gain over Unopt per application; "
               "the paper's gain in the last column.\n\n");
    fprintf(f, "| system |");
    for (int a = 0; a < JS_PAPER_NAPPS; a++)
        fprintf(f, " %s req/s | gain |", js_paper_apps[a]);
    fprintf(f, " geo-mean gain | paper gain |\n|---|");
    for (int a = 0; a < JS_PAPER_NAPPS; a++)
        fprintf(f, "---:|---:|");
    fprintf(f, "---:|---:|\n");
    for (int i = 0; i < JS_NSYSTEMS; i++) {
        unsigned fe = js_systems[i];
        fprintf(f, "| %s |", js_system_name(fe));
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            const cmp_app *ca = &gp->apps[a];
            const js_capacity_row *r = ca->cap_done ? js_capacity_find(&ca->cap, fe) : NULL;
            char gain[32];
            if (!r) {
                fprintf(f, " not run | - |");
                continue;
            }
            if (r->status != 0) {
                fprintf(f, " infeasible | - |");
                continue;
            }
            cmp_fmt_x(gain, sizeof gain, r->gain_vs_unopt);
            fprintf(f, " %.4g | %s |", r->max_rate, gain);
        }
        char gm[32], pg[32];
        const js_capacity_result *res[JS_PAPER_NAPPS];
        cmp_gpu_results(c, g, res);
        cmp_fmt_x(gm, sizeof gm, cmp_geomean(res, fe, false));
        cmp_fmt_x(pg, sizeof pg, js_paper_gain(fe));
        fprintf(f, " %s | %s%s |\n", gm, pg, fe == (JS_FEAT_A | JS_FEAT_T) ? " (derived)" : "");
    }
    fprintf(f, "| **A+S+T / A+T** |");
    for (int a = 0; a < JS_PAPER_NAPPS; a++) {
        const cmp_app *ca = &gp->apps[a];
        char x[32];
        cmp_fmt_x(x, sizeof x, ca->cap_done ? ca->cap.jigsaw_vs_loki : NAN);
        fprintf(f, " | %s |", x);
    }
    char gm[32];
    const js_capacity_result *res[JS_PAPER_NAPPS];
    cmp_gpu_results(c, g, res);
    cmp_fmt_x(gm, sizeof gm, cmp_geomean(res, 0, true));
    fprintf(f, " %s | 11.30x |\n", gm);

    fprintf(f, "\nSlices used at the maximum demand, PAS, and the constraints that bind "
               "(relaxing them by 5%% raises the maximum demand by more than 0.5%%):\n\n");
    fprintf(f, "| system |");
    for (int a = 0; a < JS_PAPER_NAPPS; a++)
        fprintf(f, " %s slices / PAS / binding |", js_paper_apps[a]);
    fprintf(f, "\n|---|");
    for (int a = 0; a < JS_PAPER_NAPPS; a++)
        fprintf(f, "---|");
    fputc('\n', f);
    for (int i = 0; i < JS_NSYSTEMS; i++) {
        fprintf(f, "| %s |", js_system_name(js_systems[i]));
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            const cmp_app *ca = &gp->apps[a];
            const js_capacity_row *r =
                ca->cap_done ? js_capacity_find(&ca->cap, js_systems[i]) : NULL;
            if (!r || r->status != 0) {
                fprintf(f, " - |");
                continue;
            }
            char bind[64];
            js_binding_string(r->binding, r->binding_done, bind, sizeof bind);
            fprintf(f, " %d / %.3f / %s |", r->slices_used, r->pas_min, bind);
        }
        fputc('\n', f);
    }
    for (int a = 0; a < JS_PAPER_NAPPS; a++)
        if (gp->apps[a].cap_err[0])
            fprintf(f, "\n%s could not be run: %s\n", js_paper_apps[a], gp->apps[a].cap_err);
}

/* The ordering claims on one application's capacity table. */
typedef struct order_check {
    bool top;       /* A+S+T >= every other system */
    bool s_dom;     /* every system with S >= every system without S */
    bool s_mono;    /* adding S never lowers a system's demand */
    double min_s, max_nos;
} order_check;

static order_check check_order(const js_capacity_result *res)
{
    order_check oc = {true, true, true, INFINITY, 0.0};
    const js_capacity_row *ast = js_capacity_find(res, JS_FEAT_A | JS_FEAT_S | JS_FEAT_T);
    oc.top = ast && ast->status == 0;
    for (int i = 0; i < res->nrows; i++) {
        const js_capacity_row *r = &res->rows[i];
        double v = r->status == 0 ? r->max_demand_scale : 0.0;
        if (oc.top && v > ast->max_demand_scale * 1.005)
            oc.top = false;
        if (r->features & JS_FEAT_S) {
            oc.min_s = fmin(oc.min_s, v);
            const js_capacity_row *w = js_capacity_find(res, r->features & ~(unsigned)JS_FEAT_S);
            double u = (w && w->status == 0) ? w->max_demand_scale : 0.0;
            if (v < u * 0.995)
                oc.s_mono = false;
        } else {
            oc.max_nos = fmax(oc.max_nos, v);
        }
    }
    oc.s_dom = oc.min_s >= oc.max_nos * 0.995;
    return oc;
}

/* Which of the ordering claims hold in our figures. */
static void report_ordering(FILE *f, const cmp_data *c, int g)
{
    const cmp_gpu *gp = &c->gpus[g];
    for (int a = 0; a < JS_PAPER_NAPPS; a++) {
        const cmp_app *ca = &gp->apps[a];
        if (!ca->cap_done)
            continue;
        order_check oc = check_order(&ca->cap);
        const js_capacity_row *t = js_capacity_find(&ca->cap, JS_FEAT_T);
        const js_capacity_row *u = js_capacity_find(&ca->cap, 0);
        double tgain = (t && u && t->status == 0 && u->status == 0)
                           ? t->max_demand_scale / u->max_demand_scale
                           : NAN;
        char tg[64];
        if (isfinite(tgain))
            snprintf(tg, sizeof tg, "%.3fx", tgain);
        else
            snprintf(tg, sizeof tg, "undefined (Unopt or T serves nothing)");
        fprintf(f, "- %s: A+S+T >= every other system: **%s**; every system with S >= every "
                   "system without S: **%s** (lowest with S %.4g x, highest without %.4g x the "
                   "scenario rate); adding S never lowers a system's demand: **%s**; T alone "
                   "over Unopt: %s.\n",
                js_paper_apps[a], oc.top ? "holds" : "fails", oc.s_dom ? "holds" : "fails",
                oc.min_s, oc.max_nos, oc.s_mono ? "holds" : "fails", tg);
    }
}

/* The analytical study again with batch sizes capped. */
static void report_batch_caps(FILE *f, const cmp_data *c)
{
    const cmp_batchcap *bc = &c->bc;
    if (bc->ncaps == 0)
        return;
    fprintf(f, "\n### Sensitivity: capping the batch size (%s, %d GPUs)\n\n"
               "The same study with every configuration's batch size capped, as a serving "
               "stack with a fixed small batch would run it. The cap takes away what makes a "
               "whole GPU efficient (large batches within the latency budget) and leaves what "
               "partitioning offers (many small instances and MPS workers, each well used at "
               "a small batch). Geometric mean over the applications of each system's gain "
               "over Unopt:\n\n| system |",
            c->gpus[0].gpu_name[0] ? c->gpus[0].gpu_name : c->gpus[0].key, c->big_gpus);
    for (int k = 0; k < bc->ncaps; k++)
        fprintf(f, " batch <= %d |", bc->caps[k]);
    fprintf(f, " no cap | paper |\n|---|");
    for (int k = 0; k <= bc->ncaps + 1; k++)
        fprintf(f, "---:|");
    fputc('\n', f);
    const js_capacity_result *res[CMP_MAX_CAPS + 1][JS_PAPER_NAPPS];
    for (int k = 0; k <= bc->ncaps; k++)
        cmp_cap_results(c, k, res[k]);
    for (int i = 0; i <= JS_NSYSTEMS; i++) {
        bool loki = i == JS_NSYSTEMS;
        unsigned fe = loki ? 0 : js_systems[i];
        fprintf(f, "| %s |", loki ? "**A+S+T / A+T**" : js_system_name(fe));
        for (int k = 0; k <= bc->ncaps; k++) {
            char x[32];
            cmp_fmt_x(x, sizeof x, cmp_geomean(res[k], fe, loki));
            fprintf(f, " %s |", x);
        }
        char pg[32];
        cmp_fmt_x(pg, sizeof pg, loki ? 11.3 : js_paper_gain(fe));
        fprintf(f, " %s |\n", pg);
    }
    fprintf(f, "\nEvery system with S >= every system without S, per application:\n\n");
    for (int k = 0; k <= bc->ncaps; k++) {
        if (k < bc->ncaps)
            fprintf(f, "- batch <= %d:", bc->caps[k]);
        else
            fprintf(f, "- no cap:");
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            if (!res[k][a]) {
                fprintf(f, "%s %s not run", a ? ";" : "", js_paper_apps[a]);
                continue;
            }
            order_check oc = check_order(res[k][a]);
            fprintf(f, "%s %s **%s**", a ? ";" : "", js_paper_apps[a],
                    oc.s_dom ? "holds" : "fails");
            if (!oc.s_dom)
                fprintf(f, " (lowest with S %.4g, highest without %.4g x the scenario rate)",
                        oc.min_s, oc.max_nos);
        }
        fprintf(f, ".\n");
    }
    fprintf(f, "\n![gains against the batch cap](batch-caps.png)\n");
}

/* Why an application's trace-driven run is missing: its error, or the quick run's scope. */
static const char *trace_skip_reason(const cmp_data *c, int a, const char *err)
{
    if (err != NULL && err[0] != '\0')
        return err;
    if (c->o.quick && a > 0)
        return "--quick replays the depth-1 application only";
    return "no result (see the warnings)";
}

/* The rest of a table row after its first `filled` cells: one "-" per empty cell, so
 * every row has the header's number of cells. */
static void dash_cells(FILE *f, int filled, int ncells)
{
    for (int i = filled; i < ncells; i++)
        fprintf(f, " - |");
    fputc('\n', f);
}

static void report_trace(FILE *f, const cmp_data *c, int g)
{
    const cmp_gpu *gp = &c->gpus[g];
    fprintf(f, "\n### %s, %d GPUs (%d slices)\n\n", gp->gpu_name[0] ? gp->gpu_name : gp->key,
            c->small_gpus, c->small_gpus * 7);
    fprintf(f, "| app | system | capacity req/s | mean slices | peak slices | resources vs "
               "A+S+T | violations | served accuracy | p99 ms | re-layouts | intervals over "
               "capacity | paper |\n");
    fprintf(f, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (int a = 0; a < JS_PAPER_NAPPS; a++) {
        const cmp_app *ca = &gp->apps[a];
        if (!ca->trace_ready) {
            fprintf(f, "| %s | - | not run: %s |", js_paper_apps[a],
                    trace_skip_reason(c, a, ca->trace_err));
            dash_cells(f, 3, 12);
            continue;
        }
        double base = ca->trace_done[0] ? ca->trace[0].mean_slice_share : NAN;
        for (int k = 0; k < CMP_NTRACE_SYSTEMS; k++) {
            if (!ca->trace_done[k]) {
                fprintf(f, "| %s | %s | failed: %s |", js_paper_apps[a],
                        js_system_name(cmp_trace_systems[k]),
                        trace_skip_reason(c, a, ca->run_err[k]));
                dash_cells(f, 3, 12);
                continue;
            }
            const js_controller_result *r = &ca->trace[k];
            char rel[32];
            if (isfinite(base) && base > 0)
                snprintf(rel, sizeof rel, "%+.0f%%", 100.0 * (r->mean_slice_share / base - 1.0));
            else
                snprintf(rel, sizeof rel, "-");
            fprintf(f, "| %s | %s | %.4g | %.1f%% | %.1f%% | %s | %.2f%% | %.4f | %.0f | %d | "
                       "%d | %s |\n",
                    js_paper_apps[a], r->system, r->capacity_rate, 100.0 * r->mean_slice_share,
                    100.0 * r->peak_slice_share, rel, 100.0 * r->violation_rate, r->accuracy,
                    r->p99_ms, r->relayouts, r->capped_intervals,
                    cmp_paper_trace_text(cmp_trace_systems[k]));
        }
    }
}

static void report_tail(FILE *f, const cmp_data *c, int g)
{
    const cmp_gpu *gp = &c->gpus[g];
    fprintf(f, "\n### %s, %d GPUs\n\n", gp->gpu_name[0] ? gp->gpu_name : gp->key,
            c->small_gpus);
    fprintf(f, "| app | system | req/s | SLO ms | planned path ms | p99 ms | violations | "
               "under-provisioned | tail-safe F / U | violations (safe) | p99 ms (safe) | "
               "capacity cost | goodput req/s | violations / goodput, local drop |\n");
    fprintf(f, "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for (int a = 0; a < JS_PAPER_NAPPS; a++) {
        const cmp_app *ca = &gp->apps[a];
        for (int i = 0; i < ca->ntail; i++) {
            const js_tail_row *t = &ca->tail[i];
            if (t->status != 0) {
                fprintf(f, "| %s | %s | infeasible |||||||||||\n", js_paper_apps[a], t->system);
                continue;
            }
            char sf[48], sv[32], sp[32], cc[32];
            snprintf(sf, sizeof sf, "%.2f / %.2f%s", t->safe_factor, t->safe_util,
                     t->safe_reached ? "" : " (goal not reached)");
            snprintf(sv, sizeof sv, "%.2f%%", 100.0 * t->safe_violation);
            snprintf(sp, sizeof sp, "%.1f", t->safe_p99_ms);
            snprintf(cc, sizeof cc, "%.1f%%", 100.0 * t->capacity_cost);
            fprintf(f,
                    "| %s | %s | %.4g | %.0f | %.1f | %.1f | %.2f%% | %s | %s | %s | %s | %s | "
                    "%.4g | %.2f%% / %.4g |\n",
                    js_paper_apps[a], t->system, t->rate, t->slo_ms, t->planned_path_ms,
                    t->p99_ms, 100.0 * t->violation_rate, t->under_provisioned ? "yes" : "no",
                    sf, sv, sp, cc, t->goodput, 100.0 * t->local_drop_violation,
                    t->local_drop_goodput);
        }
        if (ca->tail_err[0])
            fprintf(f, "\n%s: %s\n", js_paper_apps[a], ca->tail_err);
    }
}

/* Section 1 under the safe rule: the demand each system serves with p99 <= SLO. */
static void report_safe_capacity(FILE *f, const cmp_data *c, int g)
{
    const cmp_gpu *gp = &c->gpus[g];
    fprintf(f, "\n### %s, %d GPUs: maximum demand under both rules\n\n",
            gp->gpu_name[0] ? gp->gpu_name : gp->key, c->big_gpus);
    fprintf(f, "| system |");
    for (int a = 0; a < JS_PAPER_NAPPS; a++)
        fprintf(f, " %s paper's rule | safe rule | cost |", js_paper_apps[a]);
    fprintf(f, " geo-mean gain (paper's rule) | geo-mean gain (safe rule) |\n|---|");
    for (int a = 0; a < JS_PAPER_NAPPS; a++)
        fprintf(f, "---:|---:|---:|");
    fprintf(f, "---:|---:|\n");
    const js_capacity_result *pres[JS_PAPER_NAPPS], *sres[JS_PAPER_NAPPS];
    for (int a = 0; a < JS_PAPER_NAPPS; a++) {
        const cmp_app *ca = &gp->apps[a];
        pres[a] = ca->cap_done ? &ca->cap : NULL;
        sres[a] = ca->cap_safe_done ? &ca->cap_safe : NULL;
    }
    for (int i = 0; i < JS_NSYSTEMS; i++) {
        unsigned fe = js_systems[i];
        fprintf(f, "| %s |", js_system_name(fe));
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            const js_capacity_row *p = pres[a] ? js_capacity_find(pres[a], fe) : NULL;
            const js_capacity_row *s = sres[a] ? js_capacity_find(sres[a], fe) : NULL;
            double pr = p && p->status == 0 ? p->max_rate : 0.0;
            double sr = s && s->status == 0 ? s->max_rate : 0.0;
            if (!p || !s) {
                fprintf(f, " not run | not run | - |");
                continue;
            }
            char pc[32] = "infeasible", sc[32] = "infeasible", cost[32] = "-";
            if (pr > 0)
                snprintf(pc, sizeof pc, "%.4g", pr);
            if (sr > 0)
                snprintf(sc, sizeof sc, "%.4g", sr);
            if (pr > 0)
                snprintf(cost, sizeof cost, "%.1f%%", 100.0 * (1.0 - sr / pr));
            fprintf(f, " %s | %s | %s |", pc, sc, cost);
        }
        char gp_[32], gs_[32];
        cmp_fmt_x(gp_, sizeof gp_, cmp_geomean(pres, fe, false));
        cmp_fmt_x(gs_, sizeof gs_, cmp_geomean(sres, fe, false));
        fprintf(f, " %s | %s |\n", gp_, gs_);
    }
    char jp[32], js[32];
    cmp_fmt_x(jp, sizeof jp, cmp_geomean(pres, 0, true));
    cmp_fmt_x(js, sizeof js, cmp_geomean(sres, 0, true));
    fprintf(f, "\nA+S+T / A+T (geo-mean over the applications): %s under the paper's rule, %s "
               "under the safe rule (paper: 11.3x).\n", jp, js);
}

/* Re-layouts scaled to a day (the quick run replays a window shorter than a day). */
static double relayouts_per_day(const cmp_data *c, const js_controller_result *r)
{
    double window_s = r->nintervals * c->interval_s;
    return window_s > 0 ? r->relayouts * 86400.0 / window_s : NAN;
}

static void trace_safe_row(FILE *f, const cmp_data *c, const char *app, const char *rule,
                           const char *ctl, double headroom, const js_controller_result *r,
                           const js_controller_result *pf)
{
    char ratio[32] = "-";
    if (pf && pf->mean_slice_share > 0)
        snprintf(ratio, sizeof ratio, "%.2f", r->mean_slice_share / pf->mean_slice_share);
    fprintf(f, "| %s | %s | %s | %.2f | %.4g | %.1f%% | %s | %.2f%% | %.4f | %.0f | %.0f | %d |\n",
            app, rule, ctl, headroom, r->capacity_rate, 100.0 * r->mean_slice_share, ratio,
            100.0 * r->violation_rate, r->accuracy, r->p99_ms, relayouts_per_day(c, r),
            r->plan_changes);
}

/* The trace-driven A+S+T under the safe rule beside the paper's rule and the paper. */
static void report_trace_safe(FILE *f, const cmp_data *c, int g)
{
    const cmp_gpu *gp = &c->gpus[g];
    fprintf(f, "\n%s, %d GPUs:\n\n", gp->gpu_name[0] ? gp->gpu_name : gp->key, c->small_gpus);
    fprintf(f, "| app | rule | controller | headroom | capacity req/s | mean slices | x perfect "
               "foresight | violations | served accuracy | p99 ms | re-layouts per day | plan "
               "changes |\n");
    fprintf(f, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int a = 0; a < JS_PAPER_NAPPS; a++) {
        const cmp_app *ca = &gp->apps[a];
        const js_controller_result *pf = ca->safe_trace_done[CMP_NSAFE_TRACE - 1]
                                             ? &ca->safe_trace[CMP_NSAFE_TRACE - 1] : NULL;
        if (ca->trace_done[0])
            trace_safe_row(f, c, js_paper_apps[a], "paper", "last5, rate levels", c->headroom,
                           &ca->trace[0], NULL);
        for (int k = 0; k < CMP_NSAFE_TRACE; k++) {
            if (!ca->safe_trace_done[k]) {
                fprintf(f, "| %s | safe | %s | - | not run: %s |", js_paper_apps[a],
                        cmp_safe_controllers[k].label,
                        trace_skip_reason(c, a, ca->safe_trace_err[k]));
                dash_cells(f, 5, 12);
                continue;
            }
            trace_safe_row(f, c, js_paper_apps[a], "safe", cmp_safe_controllers[k].label, 0.0,
                           &ca->safe_trace[k], k + 1 < CMP_NSAFE_TRACE ? pf : NULL);
        }
    }
}

static void report_tail_at_max(FILE *f, const cmp_data *c, int g)
{
    const cmp_gpu *gp = &c->gpus[g];
    fprintf(f, "\n%s, %d GPUs:\n\n", gp->gpu_name[0] ? gp->gpu_name : gp->key, c->small_gpus);
    fprintf(f, "| app | system | F/U cost | F/U violations | F/U p99 ms | F/U goal | safe cost | "
               "safe violations | safe p99 ms | predicted p99 ms | safe goal |\n");
    fprintf(f, "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|\n");
    int both = 0, safe_only = 0, fu_only = 0, cheaper = 0, rows = 0;
    for (int a = 0; a < JS_PAPER_NAPPS; a++) {
        const cmp_app *ca = &gp->apps[a];
        for (int i = 0; i < ca->ntail; i++) {
            const js_tail_row *t = &ca->tail[i];
            if (t->status != 0)
                continue;
            bool fu_ok = t->fu_max_reached, sf_ok = t->model_reached;
            rows++;
            both += fu_ok && sf_ok;
            safe_only += sf_ok && !fu_ok;
            fu_only += fu_ok && !sf_ok;
            cheaper += sf_ok && (!fu_ok || t->model_cost < t->capacity_cost - 1e-9);
            fprintf(f, "| %s | %s | %.1f%% | %.2f%% | %.1f | %s | %.1f%% | %.2f%% | %.1f | %.1f "
                       "| %s |\n", js_paper_apps[a], t->system, 100.0 * t->capacity_cost,
                    100.0 * t->fu_max_violation, t->fu_max_p99_ms, fu_ok ? "met" : "not met",
                    100.0 * t->model_cost, 100.0 * t->model_violation, t->model_p99_ms,
                    t->model_pred_p99_ms, sf_ok ? "met" : "not met");
        }
    }
    fprintf(f, "\nOf %d feasible cases the goal is met by both rules in %d, by the safe rule "
               "only in %d, by the F/U rule only in %d; the safe rule meets it at a lower "
               "cost than the F/U rule (or where the F/U rule does not meet it) in %d.\n",
            rows, both, safe_only, fu_only, cheaper);
}

/* The A+S+T violation verdict the issue asks for. */
static void report_ast_verdict(FILE *f, const cmp_data *c)
{
    double worst = 0.0;
    const char *where_g = NULL, *where_a = NULL;
    int n = 0;
    for (int g = 0; g < c->ngpus; g++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            const cmp_app *ca = &c->gpus[g].apps[a];
            if (!ca->trace_done[0])
                continue;
            n++;
            if (ca->trace[0].violation_rate >= worst) {
                worst = ca->trace[0].violation_rate;
                where_g = c->gpus[g].key;
                where_a = js_paper_apps[a];
            }
        }
    if (n == 0) {
        fprintf(f, "\nThe trace-driven study did not run (see the warnings above).\n");
        return;
    }
    if (worst < 0.01)
        fprintf(f, "\n**A+S+T's violation rate is under 1%% in every trace-driven run** "
                   "(worst %.2f%%, %s %s) with the default settings.\n",
                100.0 * worst, where_a, where_g);
    else
        fprintf(f, "\n**A+S+T's violation rate reaches %.2f%% (%s, %s), above the 1%% goal.** "
                   "Its violations are concentrated in the intervals where the GPUs are re-laid "
                   "out (every GPU whose MIG layout changes is down for the re-layout time, and "
                   "a min-slice plan leaves little spare capacity to absorb it) and where the "
                   "demand jumps above the last-5 prediction (the NASA trace's 5-minute rates "
                   "are bursty); near the day's peak the plan is capped at the capacity and "
                   "there is no headroom at all. Settings measured on the same runs:\n\n",
                100.0 * worst, where_a, where_g);
    for (int g = 0; g < c->ngpus; g++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            const cmp_app *ca = &c->gpus[g].apps[a];
            if (!ca->trace_done[0] || ca->trace[0].violation_rate < 0.01)
                continue;
            fprintf(f, "- %s %s: default %.2f%% violations, %.1f%% slices", js_paper_apps[a],
                    c->gpus[g].key, 100.0 * ca->trace[0].violation_rate,
                    100.0 * ca->trace[0].mean_slice_share);
            for (int i = 0; i < ca->nremedies; i++)
                fprintf(f, "; `%s`: %.2f%% violations, %.1f%% slices", ca->remedy[i],
                        100.0 * ca->remedy_violation[i], 100.0 * ca->remedy_share[i]);
            fprintf(f, ".\n");
        }
}


/* The host-side costs the study ran under, when any (docs/host-model.md). */
static void report_host_regime(FILE *f, const cmp_data *c)
{
    const js_host_spec *h = &c->o.host;
    bool any = h->regime == JS_HOST_REGIME_CALIBRATED || !isnan(h->ms_per_item) ||
               !isnan(h->ms_per_batch) || c->o.cpu_cores_per_node >= 0;
    if (!any)
        return;
    fprintf(f, "\nHost-side costs (`docs/host-model.md`): every configuration's latency and "
               "throughput include a worker's serial host time per batch, added to the "
               "profiled GPU time by the host model (the profiles' measured figures are "
               "unchanged on disk)");
    if (h->regime == JS_HOST_REGIME_CALIBRATED)
        fprintf(f, "; the calibrated per-family defaults of `profiles/host-defaults.json`");
    if (!isnan(h->ms_per_item))
        fprintf(f, "; %g ms per item for every variant", h->ms_per_item);
    if (!isnan(h->ms_per_batch))
        fprintf(f, "; %g ms per batch for every variant", h->ms_per_batch);
    if (c->o.cpu_cores_per_node > 0)
        fprintf(f, "; %d CPU cores per node shared by the worker processes",
                c->o.cpu_cores_per_node);
    fprintf(f, ".\n");
}

/* Section 2: the trace-driven study (skipped with --no-trace). */
static void report_trace_section(FILE *f, const cmp_data *c)
{
    fprintf(f, "\n## 2. Trace-driven study: %d GPUs over a day of the NASA trace\n\n",
            c->small_gpus);
    fprintf(f, "Settings: NASA-HTTP 1995, day %d (1995-07-%02d), %s, 5-minute means replayed as "
               "Poisson arrivals (as the paper replayed 5-minute averages), scaled per "
               "application so that the busiest 5-minute interval is %.0f%% of A+S+T's capacity "
               "(the paper scaled to the best system); time compressed %.0fx (each 5-minute "
               "interval lasts %.1f simulated seconds; rates are unchanged, only the number of "
               "requests per interval shrinks). Re-planning every interval with the min-slice "
               "MILP for the demand predicted by `%s` (the maximum of the last 5 interval "
               "rates; the first interval is provisioned for its true rate); when the prediction "
               "exceeds the system's capacity the max-demand plan serves what it can. MIG "
               "re-layout costs %.0f s of downtime per changed GPU (destroying and recreating MIG "
               "instances plus restarting workers), scaled with the time compression; unchanged "
               "instances keep running, and GPUs are re-assigned so that as many as possible "
               "keep their layout. Plans are made for the prediction x %.2f (headroom), rounded "
               "up to one of %d equal steps of the system's capacity (each step's plan is solved "
               "once and reused); the plan in force is kept while the demand to plan for stays "
               "within [%.2f, 1] x the rate it was made for (hysteresis: fewer re-layouts). "
               "Each interval is also watched at %d equal steps: when a step's arrivals exceed "
               "the rate the plan in force was made for by more than %.0f Poisson standard "
               "deviations (a spike the predictor missed), the controller re-plans at once for "
               "the rate observed in that step (a reactive scale-up; never with perfect "
               "foresight).\n",
            c->trace_day, c->trace_day + 1, c->o.quick ? "06:00-12:00 only (--quick)" : "00:00-24:00",
            100.0 * c->peak_fraction, c->time_compression, c->interval_s / c->time_compression,
            js_predictor_name(c->predictor), c->downtime_s, 1.0 + c->headroom, c->rate_levels,
            c->keep_fraction, JS_DEFAULT_REACT_CHECKS, JS_REACT_SIGMAS);
    for (int g = 0; g < c->ngpus; g++)
        report_trace(f, c, g);
    report_ast_verdict(f, c);
    for (int g = 0, shown = 0; g < c->ngpus && !shown; g++)
        for (int a = 0; a < JS_PAPER_NAPPS && !shown; a++)
            if (c->gpus[g].apps[a].trace_ready) {
                fprintf(f, "\n![trace](trace-%s-%s.png)\n", c->gpus[g].key, js_paper_apps[a]);
                shown = 1;
            }
    if (c->o.safe_rule) {
        fprintf(f, "\n### A+S+T under the safe rule, without headroom\n\n"
                   "The controller re-plans with the safe rule and no headroom factor (the plans "
                   "carry the queueing model's own spare capacity), on the same day scaled so "
                   "that its busiest interval is %.0f%% of A+S+T's capacity under the safe rule; "
                   "beside it the paper's rule with its headroom of %.2f and, as the lower bound "
                   "of slices, the same controller with perfect foresight of each interval's "
                   "demand and minimum-slices re-plans. Predictors: `last5` (the maximum of the "
                   "last 5 intervals), `ewma` (weight 0.5), `quantile` (the %.0fth percentile of "
                   "the last %d intervals). Re-layout-aware re-plans may use up to %.0f%% more "
                   "slices than the minimum to keep GPUs in the MIG layout in force (a MILP "
                   "stage); minimum-slices re-plans do not. The paper: 43.3%% of the slices on "
                   "average with < 0.6%% violations.\n",
                100.0 * c->peak_fraction, c->headroom, 100.0 * JS_DEFAULT_PRED_QUANTILE,
                JS_PRED_QWINDOW, 100.0 * JS_DEFAULT_RELAYOUT_TOLERANCE);
        for (int g = 0; g < c->ngpus; g++)
            report_trace_safe(f, c, g);
    }
    cmp_why_trace(f, c);
}

int cmp_write_report(const cmp_data *c, js_diag *d)
{
    cmp_outbuf b;
    int rc = cmp_ob_open(&b, d);
    if (rc)
        return rc;
    FILE *f = b.f;
    fprintf(f, "# JigsawServe reproduced: our figures beside the paper's\n\n");
    char flags[512] = "";
    size_t fl = 0;
#define FLAG(...)                                                                          \
    do {                                                                                   \
        int w_ = snprintf(flags + fl, sizeof flags - fl, __VA_ARGS__);                     \
        if (w_ > 0 && (size_t)w_ < sizeof flags - fl)                                      \
            fl += (size_t)w_;                                                              \
    } while (0)
    if (c->o.quick)
        FLAG(" --quick");
    if (c->ngpus == 1)
        FLAG(" --gpu %s", c->gpus[0].key);
    if (c->o.time_limit_s > 0)
        FLAG(" --time-limit %g", c->o.time_limit_s);
    if (!c->o.tail)
        FLAG(" --no-tail");
    if (!c->o.trace)
        FLAG(" --no-trace");
    if (!c->o.safe_rule)
        FLAG(" --no-safe-rule");
    if (!c->o.binding && !c->o.quick)
        FLAG(" --no-binding");
    if (c->o.latency_factor != 1.0)
        FLAG(" --latency-factor %g", c->o.latency_factor);
    if (c->o.max_utilisation != 1.0)
        FLAG(" --max-utilisation %g", c->o.max_utilisation);
    if (c->o.max_batch > 0)
        FLAG(" --max-batch %d", c->o.max_batch);
    if (c->o.nbatch_caps == 0 && c->o.max_batch == 0)
        FLAG(" --batch-caps none");
    for (int k = 0; k < c->o.nbatch_caps; k++)
        FLAG("%s%d", k ? "," : " --batch-caps ", c->o.batch_caps[k]);
    if (strcmp(c->o.out_dir, js_compare_default_out(c->o.quick)) != 0)
        FLAG(" --out %s", c->o.out_dir);
    if (c->o.seed != 1)
        FLAG(" --seed %llu", (unsigned long long)c->o.seed);
    if (c->o.host.regime == JS_HOST_REGIME_CALIBRATED)
        FLAG(" --host-regime calibrated");
    if (!isnan(c->o.host.ms_per_item))
        FLAG(" --host-ms %g", c->o.host.ms_per_item);
    if (!isnan(c->o.host.ms_per_batch))
        FLAG(" --host-ms-per-batch %g", c->o.host.ms_per_batch);
    if (c->o.cpu_cores_per_node >= 0)
        FLAG(" --cpu-cores %d", c->o.cpu_cores_per_node);
#undef FLAG
    fprintf(f, "Generated by `jigsaw compare%s` (`scripts/reproduce.sh%s` regenerates it). Every "
               "table below is also in this directory as CSV and JSON; the plots are rendered "
               "from those files by `scripts/plot-results.gnuplot`. Same inputs and seed give "
               "the same bytes. Controller settings other than the defaults are listed in "
               "section 2.\n\n",
            flags, flags);
    fprintf(f, "The paper (Devata, Singh, Adve, \"Serving Compound Inference Systems on "
               "Datacenter GPUs\", arXiv 2603.08797) measured on 4 x H100-SXM with its own "
               "profiles; its code and profiles are not public. Ours come from the shipped "
               "profiles (measured A100-80GB tables from ParvaGPU where they exist, the fitted "
               "performance model elsewhere, every entry marked). What must carry over is the "
               "method and the ordering of the systems, not the exact numbers.\n");

    fprintf(f, "\n## 1. Analytical study: maximum serviceable demand\n");
    fprintf(f, "\nEach system's largest common multiple of the scenario's demand that the "
               "cluster can serve under the SLOs (planner: exact GLPK MILP, within 0.5%% of the "
               "model's optimum), on %d GPUs.\n",
            c->big_gpus);
    report_host_regime(f, c);
    for (int g = 0; g < c->ngpus; g++)
        report_capacity(f, c, g);
    fprintf(f, "\n### Orderings\n\n");
    for (int g = 0; g < c->ngpus; g++) {
        fprintf(f, "%s:\n\n", c->gpus[g].key);
        report_ordering(f, c, g);
        fputc('\n', f);
    }
    fprintf(f, "![capacity](capacity-%s.png) ![gains vs paper](gains-vs-paper.png)\n",
            c->gpus[0].key);

    if (c->o.safe_rule) {
        fprintf(f, "\n### The same study under the safe rule\n\n"
                   "The paper's rule plans to the last item/s of every segment and sees neither "
                   "queueing nor the wait for a request's fanned-out items, so its maximum "
                   "demand is not one a cluster can serve within the SLO (section 3). The safe "
                   "rule (`jigsaw plan --rule safe`, the default of `plan`, `capacity`, `run` and "
                   "`sweep`; docs/queueing-model.md) plans so that the predicted p99 of "
                   "end-to-end latency stays within the SLO. Requests/s each system serves under "
                   "both rules; cost = the drop in maximum demand. `capacity-rules.csv` has the "
                   "table.\n");
        for (int g = 0; g < c->ngpus; g++)
            report_safe_capacity(f, c, g);
    }
    report_batch_caps(f, c);
    cmp_why_capacity(f, c);

    if (c->o.trace)
        report_trace_section(f, c);
    else
        fprintf(f, "\n## 2. Trace-driven study\n\nNot run (`--no-trace`): this directory holds "
                   "the analytical study alone.\n");

    if (c->o.tail) {
        fprintf(f, "\n## 3. Tail check: does the 2 x p95 rule keep the SLO?\n\n");
        const js_tail_opts *to = &c->tail;
        fprintf(f, "Each system's min-slice plan at %.0f%% of its maximum demand, simulated for "
                   "%.0f s under Poisson arrivals. Under-provisioned: violations above %.0f%% or "
                   "p99 above the SLO. The tail-safe rule has two knobs, both planner options "
                   "(`plan`, `capacity`, `run`, `compare`): `--latency-factor F` multiplies every "
                   "configuration's rule statistic by F (less room per path for batch latency), "
                   "and `--max-utilisation U` plans every segment to at most U of its profiled "
                   "throughput (spare capacity for queueing, which a rule on batch latencies "
                   "cannot see). F is searched first, from the measured p99 overshoot (at least "
                   "15%% a step, at most %g); when F alone does not reach the goal, U is lowered "
                   "in steps of %.2f with the best F, at the same demand, until the goal is met "
                   "or the plan no longer fits the cluster. The capacity cost is the drop in "
                   "maximum demand under the tail-safe rule. \"goal not reached\": no rule "
                   "tried meets the goal at this demand on this cluster; the row shows the best "
                   "one tried.\n",
                   100.0 * to->load, to->sim_seconds, 100.0 * to->target_violation,
                   to->max_factor, to->util_step);
        for (int g = 0; g < c->ngpus; g++)
            report_tail(f, c, g);
        fprintf(f, "\n### Both tail-safe rules at their own maximum demand\n\n"
                   "The validation of the safe rule: each rule's max-demand plan simulated at "
                   "the demand it was made for (%.0f s, Poisson), against the same goal "
                   "(violations below %.0f%%, p99 within the SLO). F/U: the rule the search "
                   "above found at %.0f%% load, now at its own maximum demand. Safe rule: the "
                   "queueing-aware rule; cost = the drop in maximum demand against the paper's "
                   "rule; predicted = the plan's own p99 prediction.\n",
                   to->sim_seconds, 100.0 * to->target_violation, 100.0 * to->load);
        for (int g = 0; g < c->ngpus; g++)
            report_tail_at_max(f, c, g);
    }
    fprintf(f, "\n## Files\n\n"
               "- `capacity.csv`, `capacity.json`: the analytical study (every system, app, GPU).\n"
               "- `capacity-gains-<gpu>.csv`, `capacity-rates-<gpu>.csv`: the same, one column "
               "per application (plot input).\n"
               "- `trace.csv`, `trace.json`: the trace-driven study's totals; "
               "`timeline-<gpu>-<app>-<system>.csv`: per interval; `timeline-<gpu>-<app>.csv`: "
               "all systems side by side (plot input); `trace-<gpu>-<app>-rates.csv`: the scaled, "
               "compressed 5-minute rates replayed.\n"
               "- `tail.csv`, `tail.json`: the tail check (with both tail-safe rules at their "
               "own maximum demand).\n"
               "- `capacity-rules.csv`, `capacity-rules.json`: the analytical study under the "
               "paper's and the safe rule.\n"
               "- `trace-safe.csv`, `trace-safe.json`: the safe rule's controllers on the "
               "trace-driven day (share of slices against perfect foresight, re-layouts).\n"
               "- `*.png`, `*.svg`: the plots.\n");
    return cmp_ob_commit(&b, c->o.out_dir, "REPORT.md", d);
}
