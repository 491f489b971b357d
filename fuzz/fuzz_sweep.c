/* libFuzzer target: sweep specifications (js_sweep_from_json, then every point's
 * expansion) and the sweep journal's line parser, which reads files a killed run left. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "jigsaw/sweep.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void journal_line(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (line == NULL)
        return;
    memcpy(line, data, size);
    line[size] = '\0';
    long index = -1;
    js_sweep_result r;
    js_sweep_result_init(&r);
    int rc = js_sweep_journal_parse(line, 0x0123456789abcdefULL, 1000, &index, &r);
    if (rc == 1 && (index < 0 || index >= 1000))
        abort(); /* a parsed line names a point of the sweep */
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    journal_line(data, size);
    js_diag d;
    cJSON *root = fuzz_parse_json(data, size, &d);
    if (root == NULL)
        return 0;
    js_jctx c;
    js_jctx_init(&c, "fuzz.json", &d);
    js_sweep sw;
    memset(&sw, 0, sizeof sw);
    if (js_sweep_from_json(&c, root, &sw) == 0) {
        long n = sw.npoints < 4096 ? sw.npoints : 4096;
        for (long i = 0; i < n; i++) {
            js_sweep_point p;
            js_sweep_point_at(&sw, i, &p);
        }
        js_sweep_free(&sw);
    }
    cJSON_Delete(root);
    return 0;
}
