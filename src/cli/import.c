/* jigsaw import: convert external measured data into jigsaw's formats. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jigsaw/cli.h"
#include "cli_util.h"
#include "jigsaw/diag.h"
#include "jigsaw/profile.h"

static void import_usage(FILE *out)
{
    fprintf(out,
            "usage: jigsaw import parvagpu DIR [-o PROFILES] [--scenarios-dir DIR] "
            "[--no-scenarios] [--json]\n"
            "\n"
            "Convert ParvaGPU's measured A100-80GB tables (github.com/MunQ-Lee/ParvaGPU_SC24,\n"
            "MIT) into jigsaw profiles and scenarios. DIR holds prof_data/<model>.csv,\n"
            "SLO/SLO_req_rate.csv, SLO/SLO_latency.csv and LICENSE.\n"
            "\n"
            "  -o, --output PROFILES    profiles root (default: profiles); writes\n"
            "                           PROFILES/a100-80gb/<model>.json and LICENSE-parvagpu\n"
            "  -s, --scenarios-dir DIR  where parvagpu-slo<k>.json go (default: scenarios)\n"
            "  -n, --no-scenarios       import the profiles only\n"
            "      --json               print the summary as JSON\n"
            "  -h, --help               this help\n");
}

int js_cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"scenarios-dir", required_argument, NULL, 's'},
        {"no-scenarios", no_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = "profiles", *scen = "scenarios";
    int json = 0, ch;
    optind = 1;
    opterr = 0; /* js_cli_bad_option words the errors */
    while ((ch = getopt_long(argc, argv, "o:s:nh", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 's': scen = optarg; break;
        case 'n': scen = NULL; break;
        case 'j': json = 1; break;
        case 'h': import_usage(stdout); return JS_EXIT_OK;
        default: return js_cli_bad_option("import", argv, "o:s:nh", opts);
        }
    }
    if (argc - optind != 2 || strcmp(argv[optind], "parvagpu") != 0) {
        return js_cli_usage_error("import", "expected 'parvagpu DIR'");
    }
    const char *dir = argv[optind + 1];
    js_diag d;
    js_diag_init(&d);
    int np = 0, ns = 0;
    int rc = js_parvagpu_import(dir, out, scen, &np, &ns, &d);
    js_cli_print_diag("import", &d);
    if (rc != 0)
        return rc;
    if (json) {
        cJSON *o = cJSON_CreateObject();
        char pdir[4096];
        snprintf(pdir, sizeof pdir, "%s/a100-80gb", out);
        char *text = NULL;
        if (o != NULL && cJSON_AddNumberToObject(o, "profiles", np) &&
            cJSON_AddStringToObject(o, "profiles_dir", pdir) &&
            cJSON_AddNumberToObject(o, "scenarios", ns))
            text = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (text == NULL)
            return JS_EXIT_INTERNAL;
        printf("%s\n", text);
        cJSON_free(text);
    } else
        printf("imported %d profiles into %s/a100-80gb and %d scenarios into %s\n", np, out, ns,
               scen ? scen : "(none)");
    return JS_EXIT_OK;
}
