/* diag: first-error-wins diagnostics; see include/jigsaw/diag.h. */
#include "jigsaw/diag.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void js_diag_init(js_diag *d)
{
    memset(d, 0, sizeof *d);
}

int js_diag_set(js_diag *d, int code, const char *fmt, ...)
{
    if (d == NULL || d->code != 0)
        return code; /* keep the first error: later ones are usually consequences */
    d->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return code;
}

void js_diag_warn(js_diag *d, const char *fmt, ...)
{
    if (d == NULL)
        return;
    if (d->nwarnings < JS_DIAG_MAX_WARNINGS) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->warnings[d->nwarnings], sizeof d->warnings[0], fmt, ap);
        va_end(ap);
    }
    d->nwarnings++;
}

void js_diag_forward_warnings(js_diag *to, const js_diag *from)
{
    if (to == NULL || from == NULL || to == from)
        return;
    int kept = from->nwarnings < JS_DIAG_MAX_WARNINGS ? from->nwarnings : JS_DIAG_MAX_WARNINGS;
    for (int i = 0; i < kept; i++) {
        int have = to->nwarnings < JS_DIAG_MAX_WARNINGS ? to->nwarnings : JS_DIAG_MAX_WARNINGS;
        bool repeat = false;
        for (int k = 0; k < have && !repeat; k++)
            repeat = strcmp(to->warnings[k], from->warnings[i]) == 0;
        if (!repeat)
            js_diag_warn(to, "%s", from->warnings[i]);
    }
    if (from->nwarnings > kept)
        to->nwarnings += from->nwarnings - kept;
}

int js_diag_forward(js_diag *to, const js_diag *from)
{
    js_diag_forward_warnings(to, from);
    if (from->code != 0)
        js_diag_set(to, from->code, "%s", from->msg);
    return from->code;
}

void js_diag_print(const js_diag *d)
{
    int shown = d->nwarnings < JS_DIAG_MAX_WARNINGS ? d->nwarnings : JS_DIAG_MAX_WARNINGS;
    for (int i = 0; i < shown; i++)
        fprintf(stderr, "jigsaw: warning: %s\n", d->warnings[i]);
    if (d->nwarnings > shown)
        fprintf(stderr, "jigsaw: warning: %d more warnings not shown\n", d->nwarnings - shown);
    if (d->code != 0)
        fprintf(stderr, "jigsaw: error: %s\n", d->msg);
}
