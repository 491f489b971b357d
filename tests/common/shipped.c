#include <criterion/criterion.h>
#include <stdio.h>

#include "shipped.h"

void tc_load_shipped(const char *name, js_scenario *s)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/%s.json", JS_SOURCE_ROOT, name);
    js_diag d;
    js_diag_init(&d);
    cr_assert_eq(js_scenario_load(path, s, &d), 0, "%s: %s", path, d.msg);
}
