/* Shared helpers of the libFuzzer targets (see fuzz/meson.build and scripts/fuzz.sh). */
#ifndef JIGSAW_FUZZ_COMMON_H
#define JIGSAW_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jigsaw/jsonio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a JSON document named "fuzz.json": initialises d and returns the parsed root
 * (the caller deletes it), or NULL when the input is not JSON or memory ran out. The bytes
 * are copied to a NUL-terminated buffer first because libFuzzer's input is not terminated. */
static inline cJSON *fuzz_parse_json(const uint8_t *data, size_t size, js_diag *d)
{
    js_diag_init(d);
    char *text = malloc(size + 1);
    if (text == NULL)
        return NULL;
    if (size > 0)
        memcpy(text, data, size);
    text[size] = '\0';
    cJSON *root = NULL;
    int rc = js_json_parse("fuzz.json", text, size, &root, d);
    free(text);
    return rc == 0 ? root : NULL;
}

#endif
