/* cli_util: see cli_util.h. */
#include "cli_util.h"

#include <math.h>
#include <stdlib.h>

int js_cli_parse_double(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}
