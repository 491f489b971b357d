/* PLACEHOLDER: replaced by the module that implements 'jigsaw plan'. */
#include <stdio.h>
#include "jigsaw/cli.h"
#include "jigsaw/diag.h"

int js_cmd_plan(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "jigsaw plan: not implemented yet\n");
    return JS_EXIT_NOTAVAIL;
}
