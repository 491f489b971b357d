/* libFuzzer target: GPU type parser (js_json_parse + js_gpu_from_json + layout enumeration). */
#include <stdlib.h>

#include "fuzz_common.h"
#include "jigsaw/gpu.h"
#include "jigsaw/jsonio.h"

/* No LLVMFuzzerInitialize: libFuzzer calls it only when defined, and there is nothing to set up. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    js_diag d;
    cJSON *root = fuzz_parse_json(data, size, &d);
    if (root != NULL) {
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
    return 0;
}
