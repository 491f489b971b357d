/* PLACEHOLDER: replaced by the module that implements 'jigsaw show'. */
#include <stdio.h>
#include "jigsaw/cli.h"
#include "jigsaw/diag.h"

int js_cmd_show(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "jigsaw show: not implemented yet\n");
    return JS_EXIT_NOTAVAIL;
}
