// libFuzzer target `fuzz_safetensors`: ringscope::fuzz::safetensors in FuzzReaders.h says what it
// covers.
#include "FuzzReaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringscope::fuzz::safetensors(data, size);
    return 0;
}
