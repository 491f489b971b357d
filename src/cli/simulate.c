/* PLACEHOLDER: replaced by the module that implements 'jigsaw simulate'. */
#include <stdio.h>
#include "jigsaw/cli.h"
#include "jigsaw/diag.h"

int js_cmd_simulate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "jigsaw simulate: not implemented yet\n");
    return JS_EXIT_NOTAVAIL;
}
