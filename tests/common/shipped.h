/* The scenarios shipped under scenarios/ of the source tree, loaded by name for the tests
 * (a Criterion assertion fails the test when one does not load). */
#ifndef JIGSAW_TEST_SHIPPED_H
#define JIGSAW_TEST_SHIPPED_H

#include "jigsaw/scenario.h"

/* scenarios/<name>.json into *s (js_scenario_free it). */
void tc_load_shipped(const char *name, js_scenario *s);

#endif
