// libFuzzer's entry for programs that have their own main (LLVM's
// "using libFuzzer as a library"): parses libFuzzer's flags from argv and
// runs the fuzzing loop, calling `callback` once per input.
#ifndef LUO_SERIALIZE_LIBFUZZER_DRIVER_H
#define LUO_SERIALIZE_LIBFUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
