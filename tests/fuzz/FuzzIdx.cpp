// libFuzzer target `fuzz_idx`: ringscope::fuzz::idx in FuzzReaders.h says what it covers.
#include "FuzzReaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringscope::fuzz::idx(data, size);
    return 0;
}
