// libFuzzer target `fuzz_checkpoint`: ringscope::fuzz::checkpoint in FuzzReaders.h says what it
// covers.
#include "FuzzReaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringscope::fuzz::checkpoint(data, size);
    return 0;
}
