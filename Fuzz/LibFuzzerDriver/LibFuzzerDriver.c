// Nothing to compile: the header declares a function of libFuzzer's runtime,
// which -sanitize=fuzzer links in.
#include "LibFuzzerDriver.h"
