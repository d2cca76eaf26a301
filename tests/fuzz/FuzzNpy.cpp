// libFuzzer target `fuzz_npy`: ringscope::fuzz::npy in FuzzReaders.h says what it covers.
#include "FuzzReaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringscope::fuzz::npy(data, size);
    return 0;
}
