/* The eight systems (feature subsets of A, S, T) and the planning request defaults. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jigsaw/planner.h"
#include "jigsaw/util.h"
#include "planner_internal.h"

const unsigned js_systems[JS_NSYSTEMS] = {
    0u,
    JS_FEAT_A,
    JS_FEAT_S,
    JS_FEAT_T,
    JS_FEAT_A | JS_FEAT_T,
    JS_FEAT_S | JS_FEAT_T,
    JS_FEAT_A | JS_FEAT_S,
    JS_FEAT_A | JS_FEAT_S | JS_FEAT_T,
};

static const char *const system_names[8] = {
    /* indexed by the feature bits A=1, S=2, T=4 */
    "unopt", "A", "S", "A+S", "T", "A+T", "S+T", "A+S+T",
};

const char *js_system_name(unsigned features)
{
    return system_names[features & 7u];
}

int js_system_parse(const char *name, unsigned *features)
{
    if (name == NULL || *name == '\0')
        return -1;
    if (strcasecmp(name, "unopt") == 0) {
        *features = 0;
        return 0;
    }
    if (strcasecmp(name, "jigsaw") == 0 || strcasecmp(name, "jigsawserve") == 0) {
        *features = JS_FEAT_A | JS_FEAT_S | JS_FEAT_T;
        return 0;
    }
    if (strcasecmp(name, "loki") == 0) {
        *features = JS_FEAT_A | JS_FEAT_T;
        return 0;
    }
    /* A '+'-separated list of single features, each at most once. */
    unsigned f = 0;
    const char *p = name;
    for (;;) {
        unsigned bit;
        switch (toupper((unsigned char)*p)) {
        case 'A': bit = JS_FEAT_A; break;
        case 'S': bit = JS_FEAT_S; break;
        case 'T': bit = JS_FEAT_T; break;
        default: return -1;
        }
        if (f & bit)
            return -1;
        f |= bit;
        p++;
        if (*p == '\0')
            break;
        if (*p != '+')
            return -1;
        p++;
    }
    *features = f;
    return 0;
}

void js_plan_request_init(js_plan_request *r)
{
    memset(r, 0, sizeof *r);
    r->features = JS_FEAT_A | JS_FEAT_S | JS_FEAT_T;
    r->demand_scale = 1.0;
    r->rate_app = -1;
    r->rate_override = 0.0;
    r->gpus = 0;
    r->time_limit_s = JS_PLAN_DEFAULT_TIME_LIMIT_S;
    r->latency_factor = 1.0;
    r->max_utilisation = 1.0;
    r->verbose = 0;
    r->rule = JS_RULE_PAPER;
    r->target_quantile = 0.99;
    r->scale_app = -1;
}

int js_rule_parse(const char *name, int *rule)
{
    if (strcmp(name, "paper") == 0)
        *rule = JS_RULE_PAPER;
    else if (strcmp(name, "safe") == 0)
        *rule = JS_RULE_SAFE;
    else
        return -1;
    return 0;
}

const char *js_rule_name(int rule)
{
    return rule == JS_RULE_SAFE ? "safe" : "paper";
}

int js_target_parse(const char *text, double *quantile)
{
    const char *num = (text[0] == 'p' || text[0] == 'P') ? text + 1 : text;
    char *end = NULL;
    double v = strtod(num, &end);
    if (end == num || *end != '\0' || !isfinite(v))
        return -1;
    if (num != text)
        v /= 100.0; /* p99.9 -> 0.999 */
    if (!(v > 0.5 && v < 1.0))
        return -1;
    *quantile = v;
    return 0;
}

void pl_request_start(const js_plan_request *r, js_plan_request *started)
{
    *started = *r;
    if (started->deadline_s <= 0.0 && started->time_limit_s > 0.0)
        started->deadline_s = js_now_s() + started->time_limit_s;
}

double pl_request_deadline(const js_plan_request *r)
{
    if (r->deadline_s > 0.0)
        return r->deadline_s;
    return r->time_limit_s > 0.0 ? js_now_s() + r->time_limit_s : 0.0;
}
