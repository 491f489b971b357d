/* PLACEHOLDER: replaced by the module that implements 'jigsaw import'. */
#include <stdio.h>
#include "jigsaw/cli.h"
#include "jigsaw/diag.h"

int js_cmd_import(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "jigsaw import: not implemented yet\n");
    return JS_EXIT_NOTAVAIL;
}
