/* PLACEHOLDER: replaced by the module that implements 'jigsaw gpu'. */
#include <stdio.h>
#include "jigsaw/cli.h"
#include "jigsaw/diag.h"

int js_cmd_gpu(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "jigsaw gpu: not implemented yet\n");
    return JS_EXIT_NOTAVAIL;
}
