/* libFuzzer target: profile parser (js_json_parse + js_profile_from_json + round trip). */
#include <stdlib.h>

#include "fuzz_common.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/profile.h"

/* No LLVMFuzzerInitialize: libFuzzer calls it only when defined, and there is nothing to set up. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    js_diag d;
    cJSON *root = fuzz_parse_json(data, size, &d);
    if (root != NULL) {
        js_jctx c;
        js_jctx_init(&c, "fuzz.json", &d);
        js_profile p;
        if (js_profile_from_json(&c, root, &p) == 0) {
            for (int i = 0; i < p.nentries; i++)
                (void)js_profile_find(&p, p.entries[i].mig, p.entries[i].batch,
                                      p.entries[i].workers);
            cJSON *out = js_profile_to_json(&p);
            js_profile back;
            js_diag_init(&d);
            js_jctx_init(&c, "fuzz-roundtrip.json", &d);
            if (out != NULL) {
                if (js_profile_from_json(&c, out, &back) != 0)
                    abort();
                js_profile_free(&back);
            }
            cJSON_Delete(out);
            js_profile_free(&p);
        }
        cJSON_Delete(root);
    }
    return 0;
}
