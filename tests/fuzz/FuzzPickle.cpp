// libFuzzer target `fuzz_pickle`: ringscope::fuzz::pickle in FuzzReaders.h says what it covers.
#include "FuzzReaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringscope::fuzz::pickle(data, size);
    return 0;
}
