/* PLACEHOLDER: replaced by the module that implements 'jigsaw compare'. */
#include <stdio.h>
#include "jigsaw/cli.h"
#include "jigsaw/diag.h"

int js_cmd_compare(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "jigsaw compare: not implemented yet\n");
    return JS_EXIT_NOTAVAIL;
}
