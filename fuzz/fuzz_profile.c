/* libFuzzer target: profile parser (js_json_parse + js_profile_from_json + round trip). */
#include <stdlib.h>

#include "fuzz_common.h"
#include "jigsaw/jsonio.h"
#include "jigsaw/profile.h"

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
    free(text);
    return 0;
}
