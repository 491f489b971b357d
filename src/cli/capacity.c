/* PLACEHOLDER: replaced by the module that implements 'jigsaw capacity'. */
#include <stdio.h>
#include "jigsaw/cli.h"
#include "jigsaw/diag.h"

int js_cmd_capacity(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "jigsaw capacity: not implemented yet\n");
    return JS_EXIT_NOTAVAIL;
}
