/* jigsaw compare: the CSV and JSON tables in results/ -- the analytical study (capacity,
 * and the wide per-GPU tables the plots read), the trace-driven study (totals and
 * per-interval timelines), the tail check, and the batch-cap sensitivity -- plus the
 * geometric means over the applications that the batch-cap table, REPORT.md
 * (report_md.c) and its "why" section (report_why.c) all quote. Column lists are the
 * files' documentation; REPORT.md's "Files" section names each one. */
#include <math.h>
#include <stdlib.h>

#include "report_internal.h"

int cmp_write_capacity(const cmp_data *c, js_diag *d)
{
    cmp_outbuf b;
    int rc = cmp_ob_open(&b, d);
    if (rc)
        return rc;
    fprintf(b.f, "gpu,app,system,feasible,max_demand_scale,max_rate,gain_vs_unopt,"
                 "paper_gain_vs_unopt,slices_used,gpus_used,pas,binding,relax_gain_capacity,"
                 "relax_gain_latency,relax_gain_accuracy\n");
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "studies") : NULL;
    for (int g = 0; g < c->ngpus; g++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            const cmp_app *ca = &c->gpus[g].apps[a];
            if (!ca->cap_done)
                continue;
            cJSON *one = js_capacity_to_json(&ca->cap);
            if (one && arr) {
                cJSON_AddStringToObject(one, "app", js_paper_apps[a]);
                cJSON_AddItemToArray(arr, one);
            }
            for (int i = 0; i < ca->cap.nrows; i++) {
                const js_capacity_row *r = &ca->cap.rows[i];
                char bind[64];
                js_binding_string(r->binding, r->binding_done, bind, sizeof bind);
                fprintf(b.f, "%s,%s,%s,%d,", c->gpus[g].key, js_paper_apps[a], r->system,
                        r->status == 0);
                cmp_csv_num(b.f, r->status == 0 ? r->max_demand_scale : NAN, 6);
                fputc(',', b.f);
                cmp_csv_num(b.f, r->status == 0 ? r->max_rate : NAN, 6);
                fputc(',', b.f);
                cmp_csv_num(b.f, r->gain_vs_unopt, 5);
                fputc(',', b.f);
                cmp_csv_num(b.f, js_paper_gain(r->features), 5);
                fprintf(b.f, ",%d,%d,", r->slices_used, r->gpus_used);
                cmp_csv_num(b.f, r->pas_min, 5);
                fprintf(b.f, ",%s", bind);
                for (int k = 0; k < JS_BIND_NKINDS; k++) {
                    fputc(',', b.f);
                    cmp_csv_num(b.f, r->relax_gain[k], 5);
                }
                fputc('\n', b.f);
            }
        }
    rc = cmp_commit_table(&b, c->o.out_dir, "capacity", root, d);
    if (rc)
        return rc;

    /* Wide tables for the plots: one row per system, one column per application. */
    for (int g = 0; g < c->ngpus && rc == 0; g++) {
        cmp_outbuf w, q;
        if ((rc = cmp_ob_open(&w, d)) != 0)
            break;
        if ((rc = cmp_ob_open(&q, d)) != 0) {
            fclose(w.f);
            free(w.buf);
            break;
        }
        fprintf(w.f, "system");
        fprintf(q.f, "system");
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            fprintf(w.f, ",%s", js_paper_apps[a]);
            fprintf(q.f, ",%s", js_paper_apps[a]);
        }
        fprintf(w.f, ",paper\n");
        fprintf(q.f, "\n");
        for (int i = 0; i < JS_NSYSTEMS; i++) {
            fprintf(w.f, "%s", js_system_name(js_systems[i]));
            fprintf(q.f, "%s", js_system_name(js_systems[i]));
            for (int a = 0; a < JS_PAPER_NAPPS; a++) {
                const cmp_app *ca = &c->gpus[g].apps[a];
                const js_capacity_row *r =
                    ca->cap_done ? js_capacity_find(&ca->cap, js_systems[i]) : NULL;
                fputc(',', w.f);
                fputc(',', q.f);
                if (r && r->status == 0) {
                    cmp_csv_num(w.f, r->gain_vs_unopt, 5);
                    cmp_csv_num(q.f, r->max_rate, 6);
                } else {
                    /* gnuplot treats "NaN" as missing, an empty field would shift columns */
                    fprintf(w.f, "NaN");
                    fprintf(q.f, "NaN");
                }
            }
            fprintf(w.f, ",%.4f\n", js_paper_gain(js_systems[i]));
            fprintf(q.f, "\n");
        }
        char name[128];
        snprintf(name, sizeof name, "capacity-gains-%s.csv", c->gpus[g].key);
        rc = cmp_ob_commit(&w, c->o.out_dir, name, d);
        snprintf(name, sizeof name, "capacity-rates-%s.csv", c->gpus[g].key);
        if (rc == 0)
            rc = cmp_ob_commit(&q, c->o.out_dir, name, d);
        else {
            fclose(q.f);
            free(q.buf);
        }
    }
    return rc;
}

/* ---- trace tables ------------------------------------------------------------------ */

int cmp_write_trace(const cmp_data *c, js_diag *d)
{
    cmp_outbuf b;
    int rc = cmp_ob_open(&b, d);
    if (rc)
        return rc;
    fprintf(b.f, "gpu,app,system,trace_peak_rate,capacity_rate,mean_slice_share,"
                 "peak_slice_share,violation_rate,accuracy,p99_ms,relayouts,plan_changes,"
                 "capped_intervals,requests,paper\n");
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "studies") : NULL;
    if (root) {
        cJSON_AddStringToObject(root, "trace", "NASA-HTTP 1995 (per-second counts)");
        cJSON_AddNumberToObject(root, "trace_day", c->trace_day);
        cJSON_AddNumberToObject(root, "interval_s", c->interval_s);
        cJSON_AddNumberToObject(root, "time_compression", c->time_compression);
        cJSON_AddNumberToObject(root, "relayout_downtime_s", c->downtime_s);
        cJSON_AddNumberToObject(root, "peak_fraction", c->peak_fraction);
        cJSON_AddNumberToObject(root, "headroom", c->headroom);
        cJSON_AddNumberToObject(root, "keep_fraction", c->keep_fraction);
        cJSON_AddNumberToObject(root, "rate_levels", c->rate_levels);
        cJSON_AddStringToObject(root, "predictor", js_predictor_name(c->predictor));
    }
    for (int g = 0; g < c->ngpus && rc == 0; g++)
        for (int a = 0; a < JS_PAPER_NAPPS && rc == 0; a++) {
            const cmp_app *ca = &c->gpus[g].apps[a];
            if (!ca->trace_ready)
                continue;
            cJSON *one = cJSON_CreateObject();
            cJSON *sys = one ? cJSON_AddArrayToObject(one, "systems") : NULL;
            if (one && arr) {
                cJSON_AddStringToObject(one, "gpu", c->gpus[g].key);
                cJSON_AddStringToObject(one, "app", js_paper_apps[a]);
                cJSON_AddNumberToObject(one, "ast_capacity_rate", ca->ast_capacity);
                cJSON_AddNumberToObject(one, "trace_peak_rate", ca->trace_peak);
                cJSON_AddNumberToObject(one, "trace_scale", ca->trace_scale);
                cJSON_AddItemToArray(arr, one);
            }
            for (int k = 0; k < CMP_NTRACE_SYSTEMS; k++) {
                if (!ca->trace_done[k])
                    continue;
                const js_controller_result *r = &ca->trace[k];
                if (sys) {
                    cJSON *e = js_controller_to_json(r, false);
                    if (e) {
                        cJSON_AddStringToObject(e, "paper",
                                                cmp_paper_trace_text(cmp_trace_systems[k]));
                        cJSON_AddItemToArray(sys, e);
                    }
                }
                fprintf(b.f, "%s,%s,%s,%.6g,%.6g,%.6f,%.6f,%.6f,%.6f,%.3f,%d,%d,%d,%llu,\"%s\"\n",
                        c->gpus[g].key, js_paper_apps[a], r->system, ca->trace_peak,
                        r->capacity_rate, r->mean_slice_share, r->peak_slice_share,
                        r->violation_rate, r->accuracy, r->p99_ms, r->relayouts,
                        r->plan_changes, r->capped_intervals,
                        (unsigned long long)r->sim.total.requests,
                        cmp_paper_trace_text(cmp_trace_systems[k]));
                char slug[16], name[160], path[JS_PATH_MAX];
                cmp_system_slug(cmp_trace_systems[k], slug, sizeof slug);
                snprintf(name, sizeof name, "timeline-%s-%s-%s.csv", c->gpus[g].key,
                         js_paper_apps[a], slug);
                snprintf(path, sizeof path, "%s/%s", c->o.out_dir, name);
                rc = js_controller_write_timeline(path, r, d);
                if (rc)
                    break;
            }
            if (rc)
                break;
            /* Wide timeline for the plots: hour, demand, share and violations per system. */
            cmp_outbuf w;
            if ((rc = cmp_ob_open(&w, d)) != 0)
                break;
            fprintf(w.f, "hour,rate");
            for (int k = 0; k < CMP_NTRACE_SYSTEMS; k++)
                fprintf(w.f, ",share_%s", js_system_name(cmp_trace_systems[k]));
            for (int k = 0; k < CMP_NTRACE_SYSTEMS; k++)
                fprintf(w.f, ",violations_%s", js_system_name(cmp_trace_systems[k]));
            fputc('\n', w.f);
            for (int i = 0; i < c->nraw; i++) {
                /* Hour of the day, so that a window (--quick: 06:00-12:00) plots as one. */
                fprintf(w.f, "%.4f,%.6g", c->window_start_h + i * c->interval_s / 3600.0,
                        c->raw_rates[i] * ca->trace_scale);
                for (int pass = 0; pass < 2; pass++)
                    for (int k = 0; k < CMP_NTRACE_SYSTEMS; k++) {
                        const js_controller_result *r = &ca->trace[k];
                        if (ca->trace_done[k] && i < r->nintervals)
                            fprintf(w.f, ",%.6f",
                                    100.0 * (pass == 0 ? r->rows[i].slice_share
                                                       : r->rows[i].violation_rate));
                        else
                            fprintf(w.f, ",NaN");
                    }
                fputc('\n', w.f);
            }
            char name[160];
            snprintf(name, sizeof name, "timeline-%s-%s.csv", c->gpus[g].key, js_paper_apps[a]);
            rc = cmp_ob_commit(&w, c->o.out_dir, name, d);
        }
    if (rc == 0)
        rc = cmp_ob_commit(&b, c->o.out_dir, "trace.csv", d);
    else {
        fclose(b.f);
        free(b.buf);
    }
    if (rc == 0)
        rc = cmp_write_json(c->o.out_dir, "trace.json", root, d);
    else
        cJSON_Delete(root);
    return rc;
}

/* ---- tail tables ------------------------------------------------------------------- */

/* The analytical study under both rules: maximum demand, its cost, gains. */
int cmp_write_safe_capacity(const cmp_data *c, js_diag *d)
{
    if (!c->o.safe_rule)
        return 0;
    cmp_outbuf b;
    int rc = cmp_ob_open(&b, d);
    if (rc)
        return rc;
    fprintf(b.f, "gpu,app,system,paper_rule_max_rate,safe_rule_max_rate,safe_rule_cost,"
                 "paper_rule_gain_vs_unopt,safe_rule_gain_vs_unopt,safe_rule_slices_used\n");
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "studies") : NULL;
    for (int g = 0; g < c->ngpus; g++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            const cmp_app *ca = &c->gpus[g].apps[a];
            if (!ca->cap_done || !ca->cap_safe_done)
                continue;
            cJSON *one = js_capacity_to_json(&ca->cap_safe);
            if (one && arr) {
                cJSON_AddStringToObject(one, "app", js_paper_apps[a]);
                cJSON_AddItemToArray(arr, one);
            }
            for (int i = 0; i < ca->cap.nrows; i++) {
                const js_capacity_row *p = &ca->cap.rows[i];
                const js_capacity_row *s = js_capacity_find(&ca->cap_safe, p->features);
                double pr = p->status == 0 ? p->max_rate : 0.0;
                double sr = s && s->status == 0 ? s->max_rate : 0.0;
                fprintf(b.f, "%s,%s,%s,", c->gpus[g].key, js_paper_apps[a], p->system);
                cmp_csv_num(b.f, pr, 6);
                fputc(',', b.f);
                cmp_csv_num(b.f, sr, 6);
                fputc(',', b.f);
                cmp_csv_num(b.f, pr > 0 ? 1.0 - sr / pr : NAN, 5);
                fputc(',', b.f);
                cmp_csv_num(b.f, p->gain_vs_unopt, 5);
                fputc(',', b.f);
                cmp_csv_num(b.f, s ? s->gain_vs_unopt : NAN, 5);
                fprintf(b.f, ",%d\n", s && s->status == 0 ? s->slices_used : 0);
            }
        }
    return cmp_commit_table(&b, c->o.out_dir, "capacity-rules", root, d);
}

/* The safe rule's controllers on the trace-driven day (trace-safe.csv/json). */
int cmp_write_trace_safe(const cmp_data *c, js_diag *d)
{
    if (!c->o.safe_rule)
        return 0;
    cmp_outbuf b;
    int rc = cmp_ob_open(&b, d);
    if (rc)
        return rc;
    fprintf(b.f, "gpu,app,predictor,layout_aware,mean_slice_share,share_vs_perfect_foresight,"
                 "violation_rate,p99_ms,relayouts,plan_changes,intervals\n");
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "runs") : NULL;
    for (int g = 0; g < c->ngpus; g++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            const cmp_app *ca = &c->gpus[g].apps[a];
            const js_controller_result *pf = ca->safe_trace_done[CMP_NSAFE_TRACE - 1]
                                                 ? &ca->safe_trace[CMP_NSAFE_TRACE - 1] : NULL;
            for (int k = 0; k < CMP_NSAFE_TRACE; k++) {
                if (!ca->safe_trace_done[k])
                    continue;
                const js_controller_result *r = &ca->safe_trace[k];
                cJSON *one = js_controller_to_json(r, false);
                if (one && arr) {
                    cJSON_AddStringToObject(one, "gpu", c->gpus[g].key);
                    cJSON_AddStringToObject(one, "app", js_paper_apps[a]);
                    cJSON_AddBoolToObject(one, "layout_aware", cmp_safe_controllers[k].layout_aware);
                    cJSON_AddItemToArray(arr, one);
                }
                fprintf(b.f, "%s,%s,%s,%d,", c->gpus[g].key, js_paper_apps[a], r->predictor,
                        cmp_safe_controllers[k].layout_aware ? 1 : 0);
                cmp_csv_num(b.f, r->mean_slice_share, 5);
                fputc(',', b.f);
                cmp_csv_num(b.f, pf && pf->mean_slice_share > 0
                                     ? r->mean_slice_share / pf->mean_slice_share : NAN, 4);
                fputc(',', b.f);
                cmp_csv_num(b.f, r->violation_rate, 5);
                fputc(',', b.f);
                cmp_csv_num(b.f, r->p99_ms, 5);
                fprintf(b.f, ",%d,%d,%d\n", r->relayouts, r->plan_changes, r->nintervals);
            }
        }
    return cmp_commit_table(&b, c->o.out_dir, "trace-safe", root, d);
}

int cmp_write_tail(const cmp_data *c, js_diag *d)
{
    if (!c->o.tail)
        return 0;
    cmp_outbuf b;
    int rc = cmp_ob_open(&b, d);
    if (rc)
        return rc;
    fprintf(b.f, "gpu,app,system,feasible,rate,slo_ms,planned_path_ms,p95_ms,p99_ms,"
                 "violation_rate,under_provisioned,safe_latency_factor,safe_max_utilisation,"
                 "safe_violation_rate,safe_p99_ms,max_demand_scale,safe_max_demand_scale,"
                 "capacity_cost,safe_reached,fu_at_max_violation_rate,fu_at_max_p99_ms,"
                 "fu_at_max_reached,safe_rule_max_demand_scale,safe_rule_capacity_cost,"
                 "safe_rule_violation_rate,safe_rule_p99_ms,safe_rule_predicted_p99_ms,"
                 "safe_rule_reached,goodput,local_drop_violation_rate,local_drop_goodput\n");
    cJSON *root = cJSON_CreateArray();
    for (int g = 0; g < c->ngpus; g++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            const cmp_app *ca = &c->gpus[g].apps[a];
            if (ca->ntail == 0)
                continue;
            cJSON *one = cJSON_CreateObject();
            if (one && root) {
                cJSON_AddStringToObject(one, "gpu", c->gpus[g].key);
                cJSON_AddStringToObject(one, "app", js_paper_apps[a]);
                cJSON_AddItemToObject(one, "systems", js_tail_to_json(ca->tail, ca->ntail));
                cJSON_AddItemToArray(root, one);
            }
            for (int i = 0; i < ca->ntail; i++) {
                const js_tail_row *t = &ca->tail[i];
                fprintf(b.f, "%s,%s,%s,%d", c->gpus[g].key, js_paper_apps[a], t->system,
                        t->status == 0);
                const double v[] = {t->rate, t->slo_ms, t->planned_path_ms, t->p95_ms,
                                    t->p99_ms, t->violation_rate};
                for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
                    fputc(',', b.f);
                    cmp_csv_num(b.f, t->status == 0 ? v[k] : NAN, 6);
                }
                fprintf(b.f, ",%d", t->under_provisioned);
                const double w[] = {t->safe_factor, t->safe_util, t->safe_violation,
                                    t->safe_p99_ms, t->max_scale, t->safe_max_scale,
                                    t->capacity_cost};
                for (size_t k = 0; k < sizeof w / sizeof w[0]; k++) {
                    fputc(',', b.f);
                    cmp_csv_num(b.f, t->status == 0 ? w[k] : NAN, 6);
                }
                fprintf(b.f, ",%d", t->status == 0 && t->safe_reached);
                const double x[] = {t->fu_max_violation, t->fu_max_p99_ms};
                for (size_t k = 0; k < sizeof x / sizeof x[0]; k++) {
                    fputc(',', b.f);
                    cmp_csv_num(b.f, t->status == 0 ? x[k] : NAN, 6);
                }
                fprintf(b.f, ",%d", t->status == 0 && t->fu_max_reached);
                const double y[] = {t->model_max_scale, t->model_cost, t->model_violation,
                                    t->model_p99_ms, t->model_pred_p99_ms};
                for (size_t k = 0; k < sizeof y / sizeof y[0]; k++) {
                    fputc(',', b.f);
                    cmp_csv_num(b.f, t->status == 0 ? y[k] : NAN, 6);
                }
                fprintf(b.f, ",%d", t->status == 0 && t->model_reached);
                const double z[] = {t->goodput, t->local_drop_violation, t->local_drop_goodput};
                for (size_t k = 0; k < sizeof z / sizeof z[0]; k++) {
                    fputc(',', b.f);
                    cmp_csv_num(b.f, t->status == 0 ? z[k] : NAN, 6);
                }
                fputc('\n', b.f);
            }
        }
    rc = cmp_commit_table(&b, c->o.out_dir, "tail", root, d);
    return rc;
}

/* Geometric mean over the applications (NULL = not run) of system f's gain over Unopt,
 * or, with f == 0, of A+S+T / A+T; NAN where it is undefined for every application. */
double cmp_geomean(const js_capacity_result *const res[JS_PAPER_NAPPS], unsigned f,
                   bool jigsaw_vs_loki)
{
    double lsum = 0.0;
    int n = 0;
    for (int a = 0; a < JS_PAPER_NAPPS; a++) {
        if (!res[a])
            continue;
        const js_capacity_row *r = js_capacity_find(res[a], f);
        double v = jigsaw_vs_loki ? res[a]->jigsaw_vs_loki
                                  : (r && r->status == 0 ? r->gain_vs_unopt : NAN);
        if (isfinite(v) && v > 0) {
            lsum += log(v);
            n++;
        }
    }
    return n > 0 ? exp(lsum / n) : NAN;
}

void cmp_gpu_results(const cmp_data *c, int g, const js_capacity_result *res[JS_PAPER_NAPPS])
{
    for (int a = 0; a < JS_PAPER_NAPPS; a++)
        res[a] = c->gpus[g].apps[a].cap_done ? &c->gpus[g].apps[a].cap : NULL;
}

/* The results of cap k (k == ncaps: the uncapped main study on the first GPU). */
void cmp_cap_results(const cmp_data *c, int k, const js_capacity_result *res[JS_PAPER_NAPPS])
{
    if (k == c->bc.ncaps) {
        cmp_gpu_results(c, 0, res);
        return;
    }
    for (int a = 0; a < JS_PAPER_NAPPS; a++)
        res[a] = c->bc.done[k][a] ? &c->bc.res[k][a] : NULL;
}

/* batch-caps-gains.csv (plot input): per cap, geo-mean gains of a few systems. */
static int write_batch_cap_gains(const cmp_data *c, js_diag *d)
{
    static const unsigned shown[] = {JS_FEAT_S, JS_FEAT_A, JS_FEAT_A | JS_FEAT_T,
                                      JS_FEAT_A | JS_FEAT_S | JS_FEAT_T};
    cmp_outbuf b;
    int rc = cmp_ob_open(&b, d);
    if (rc)
        return rc;
    fprintf(b.f, "batch_cap");
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        fprintf(b.f, ",%s", js_system_name(shown[i]));
    fprintf(b.f, ",A+S+T / A+T\n");
    for (int k = 0; k <= c->bc.ncaps; k++) {
        const js_capacity_result *res[JS_PAPER_NAPPS];
        cmp_cap_results(c, k, res);
        if (k < c->bc.ncaps)
            fprintf(b.f, "%d", c->bc.caps[k]);
        else
            fprintf(b.f, "none");
        for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
            fputc(',', b.f);
            cmp_csv_num(b.f, cmp_geomean(res, shown[i], false), 6);
        }
        fputc(',', b.f);
        cmp_csv_num(b.f, cmp_geomean(res, 0, true), 6);
        fputc('\n', b.f);
    }
    return cmp_ob_commit(&b, c->o.out_dir, "batch-caps-gains.csv", d);
}

/* batch-caps.csv / .json: the analytical study with batch sizes capped (first GPU). */
int cmp_write_batch_caps(const cmp_data *c, js_diag *d)
{
    const cmp_batchcap *bc = &c->bc;
    if (bc->ncaps == 0)
        return 0;
    cmp_outbuf b;
    int rc = cmp_ob_open(&b, d);
    if (rc)
        return rc;
    fprintf(b.f, "gpu,batch_cap,app,system,feasible,max_demand_scale,max_rate,gain_vs_unopt,"
                 "jigsaw_vs_loki\n");
    cJSON *root = cJSON_CreateArray();
    for (int k = 0; k < bc->ncaps; k++)
        for (int a = 0; a < JS_PAPER_NAPPS; a++) {
            if (!bc->done[k][a])
                continue;
            const js_capacity_result *r = &bc->res[k][a];
            cJSON *one = js_capacity_to_json(r);
            if (one && root) {
                cJSON_AddStringToObject(one, "app", js_paper_apps[a]);
                cJSON_AddItemToArray(root, one);
            } else {
                cJSON_Delete(one);
            }
            for (int i = 0; i < r->nrows; i++) {
                const js_capacity_row *x = &r->rows[i];
                fprintf(b.f, "%s,%d,%s,%s,%d", c->gpus[0].key, bc->caps[k], js_paper_apps[a],
                        x->system, x->status == 0);
                const double v[] = {x->max_demand_scale, x->max_rate, x->gain_vs_unopt,
                                    r->jigsaw_vs_loki};
                for (size_t q = 0; q < sizeof v / sizeof v[0]; q++) {
                    fputc(',', b.f);
                    cmp_csv_num(b.f, x->status == 0 || q == 3 ? v[q] : NAN, 6);
                }
                fputc('\n', b.f);
            }
        }
    rc = cmp_commit_table(&b, c->o.out_dir, "batch-caps", root, d);
    if (rc == 0)
        rc = write_batch_cap_gains(c, d);
    return rc;
}
