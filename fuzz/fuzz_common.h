/* Shared helpers of the libFuzzer targets (see fuzz/meson.build and scripts/fuzz.sh). */
#ifndef JIGSAW_FUZZ_COMMON_H
#define JIGSAW_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
