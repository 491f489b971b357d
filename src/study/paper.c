/* The JigsawServe paper's published figures that `jigsaw compare` sets beside ours: its
 * three applications (our scenario stems), its maximum-demand gains over Unopt per system,
 * the four systems of its trace-driven study and what it reports for them. A file of its
 * own so that the capacity study (capacity.c prints the paper's gain beside every row)
 * depends on these numbers and nothing else, instead of on compare.c, which runs the
 * capacity study and the report. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "study_internal.h"

const char *const js_paper_apps[JS_PAPER_NAPPS] = {"social-media", "traffic-analysis",
                                                   "ar-assistant"};

const unsigned cmp_trace_systems[CMP_NTRACE_SYSTEMS] = {
    JS_FEAT_A | JS_FEAT_S | JS_FEAT_T, JS_FEAT_A | JS_FEAT_S, JS_FEAT_S | JS_FEAT_T,
    JS_FEAT_A | JS_FEAT_T};

bool js_paper_scenario(const char *scenario)
{
    for (int a = 0; a < JS_PAPER_NAPPS; a++) {
        size_t n = strlen(js_paper_apps[a]);
        if (strncmp(scenario, js_paper_apps[a], n) == 0 &&
            (scenario[n] == '\0' || scenario[n] == '-'))
            return true;
    }
    return false;
}

double js_paper_gain(unsigned features)
{
    switch (features) {
    case 0: return 1.0;
    case JS_FEAT_S: return 5.25;
    case JS_FEAT_A: return 1.6;
    case JS_FEAT_T: return 1.1;
    case JS_FEAT_S | JS_FEAT_T: return 7.8;
    case JS_FEAT_A | JS_FEAT_S: return 12.1;
    case JS_FEAT_A | JS_FEAT_S | JS_FEAT_T: return 21.6;
    /* Not published directly: A+S+T is 21.6x Unopt and 11.3x A+T, so A+T is 1.91x. */
    case JS_FEAT_A | JS_FEAT_T: return 21.6 / 11.3;
    default: return NAN;
    }
}

const char *cmp_paper_trace_text(unsigned f)
{
    switch (f) {
    case JS_FEAT_A | JS_FEAT_S | JS_FEAT_T: return "43.3% of slices, < 0.6% violations";
    case JS_FEAT_A | JS_FEAT_S: return "+33% resources vs A+S+T, 6.7% violations";
    case JS_FEAT_S | JS_FEAT_T:
    case JS_FEAT_A | JS_FEAT_T:
        return "> 10% violations and 2x resources in at least one case (S+T or A+T)";
    default: return "";
    }
}
