/* A program of a library user: compiled against the installed jigsaw with pkg-config
 * (tests/install/install-test.sh). It loads a shipped scenario found on the data path,
 * plans it with the paper's rule and checks the plan independently; it prints
 * "slices N gpus G" for the script to compare with the installed binary's answer. */
#include <stdio.h>

#include <jigsaw/planner.h>
#include <jigsaw/scenario.h>
#include <jigsaw/util.h>

int main(void)
{
    char path[4096];
    if (js_data_find("scenarios/example.json", path, sizeof path) != 0) {
        fprintf(stderr, "use_library: scenarios/example.json not on the data path\n");
        return 66;
    }
    js_diag d;
    js_diag_init(&d);
    js_scenario s;
    int rc = js_scenario_load(path, &s, &d);
    if (rc != 0) {
        fprintf(stderr, "use_library: %s\n", d.msg);
        return rc;
    }
    js_plan_request r;
    js_plan_request_init(&r);
    r.rule = JS_RULE_PAPER;
    js_plan p;
    js_plan_init(&p);
    rc = js_plan_min_slices(&s, &r, &p, &d);
    if (rc == 0)
        rc = js_plan_verify(&s, &r, &p, &d);
    if (rc == 0)
        printf("slices %d gpus %d\n", p.slices_used, p.gpus_used);
    else
        fprintf(stderr, "use_library: %s\n", d.msg);
    js_plan_free(&p);
    js_scenario_free(&s);
    return rc;
}
