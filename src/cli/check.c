/* PLACEHOLDER: replaced by the module that implements 'jigsaw check'. */
#include <stdio.h>
#include "jigsaw/cli.h"
#include "jigsaw/diag.h"

int js_cmd_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "jigsaw check: not implemented yet\n");
    return JS_EXIT_NOTAVAIL;
}
