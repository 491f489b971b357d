/* PLACEHOLDER: replaced by the module that implements 'jigsaw run'. */
#include <stdio.h>
#include "jigsaw/cli.h"
#include "jigsaw/diag.h"

int js_cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "jigsaw run: not implemented yet\n");
    return JS_EXIT_NOTAVAIL;
}
