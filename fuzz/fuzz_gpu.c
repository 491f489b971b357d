/* libFuzzer target: GPU type parser (js_json_parse + js_gpu_from_json + layout enumeration). */
#include <stdlib.h>

#include "fuzz_common.h"
#include "jigsaw/gpu.h"
#include "jigsaw/jsonio.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    for (size_t i = 0; i < size; i++)
        text[i] = (char)data[i];
    text[size] = '\0';
    js_diag d;
    js_diag_init(&d);
    cJSON *root = NULL;
    if (js_json_parse("fuzz.json", text, size, &root, &d) == 0) {
        js_jctx c;
        js_jctx_init(&c, "fuzz.json", &d);
        js_gpu_type g;
        if (js_gpu_from_json(&c, root, &g) == 0) {
            /* A loaded type must survive enumeration and a write/read round trip. */
            js_gpu_layout *ls = NULL;
            int n = 0;
            if (js_gpu_enumerate_layouts(&g, 1, &ls, &n) == 0)
                for (int i = 0; i < n; i++)
                    if (js_gpu_layout_check(&g, ls[i].inst, ls[i].ninstances, NULL) != 0)
                        abort();
            free(ls);
            cJSON *out = js_gpu_to_json(&g);
            js_gpu_type back;
            js_diag_init(&d);
            js_jctx_init(&c, "fuzz-roundtrip.json", &d);
            if (out != NULL && js_gpu_from_json(&c, out, &back) != 0)
                abort();
            cJSON_Delete(out);
        }
        cJSON_Delete(root);
    }
    free(text);
    return 0;
}
