/* GLPK's fatal errors end in a diagnostic, not abort(): pl_glpk_guarded (planner_internal.h).
 * A fatal error is provoked with an out-of-range column, which GLPK treats like a failed
 * allocation (glp_error, then abort() unless the hook leaves). */
#include <criterion/criterion.h>

#include <glpk.h>
#include <stdbool.h>
#include <string.h>

#include "planner_internal.h"

static int calls;

static int bad_pass(const js_scenario *s, const js_plan_request *r, js_plan *out, js_diag *d)
{
    (void)s, (void)r, (void)out, (void)d;
    calls++;
    glp_prob *lp = glp_create_prob();
    glp_add_cols(lp, 1);
    glp_set_col_bnds(lp, 5, GLP_LO, 0.0, 0.0); /* column 5 of 1: a fatal GLPK error */
    return 0;                                  /* not reached */
}

static int good_pass(const js_scenario *s, const js_plan_request *r, js_plan *out, js_diag *d)
{
    (void)s, (void)r, (void)out, (void)d;
    calls++;
    glp_prob *lp = glp_create_prob();
    glp_add_cols(lp, 1);
    glp_set_col_bnds(lp, 1, GLP_LO, 0.0, 0.0);
    glp_delete_prob(lp);
    return 0;
}

Test(glpk_guard, fatal_error_is_exit_1_and_glpk_is_not_used_again)
{
    js_diag d;
    js_diag_init(&d);
    calls = 0;
    cr_assert_eq(pl_glpk_guarded(good_pass, NULL, NULL, NULL, &d), 0);
    cr_assert_eq(pl_glpk_guarded(bad_pass, NULL, NULL, NULL, &d), JS_EXIT_INTERNAL);
    cr_assert(strstr(d.msg, "GLPK") != NULL && strstr(d.msg, "fatal error") != NULL, "%s",
              d.msg);
    /* Afterwards every call fails at once without running the pass (GLPK is gone). */
    js_diag_init(&d);
    cr_assert_eq(pl_glpk_guarded(good_pass, NULL, NULL, NULL, &d), JS_EXIT_INTERNAL);
    cr_assert_eq(calls, 2, "the pass ran after the fatal error");
}

static bool after_inner;

static int outer_pass(const js_scenario *s, const js_plan_request *r, js_plan *out, js_diag *d)
{
    int rc = pl_glpk_guarded(bad_pass, s, r, out, d); /* inner: a plain call */
    after_inner = true;                              /* not reached: the outer guard jumps */
    return rc;
}

Test(glpk_guard, nested_guard_is_caught_by_the_outermost)
{
    js_diag d;
    js_diag_init(&d);
    calls = 0;
    after_inner = false;
    cr_assert_eq(pl_glpk_guarded(outer_pass, NULL, NULL, NULL, &d), JS_EXIT_INTERNAL);
    cr_assert_eq(calls, 1);
    cr_assert_not(after_inner, "the inner guard caught the error and GLPK was used again");
}
