/* PLACEHOLDER: replaced by the module that implements 'jigsaw profile'. */
#include <stdio.h>
#include "jigsaw/cli.h"
#include "jigsaw/diag.h"

int js_cmd_profile(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "jigsaw profile: not implemented yet\n");
    return JS_EXIT_NOTAVAIL;
}
