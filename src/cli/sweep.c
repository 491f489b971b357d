/* PLACEHOLDER: replaced by the module that implements 'jigsaw sweep'. */
#include <stdio.h>
#include "jigsaw/cli.h"
#include "jigsaw/diag.h"

int js_cmd_sweep(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "jigsaw sweep: not implemented yet\n");
    return JS_EXIT_NOTAVAIL;
}
