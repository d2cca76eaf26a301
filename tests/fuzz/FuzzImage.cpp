// libFuzzer target `fuzz_image`: ringscope::fuzz::image in FuzzReaders.h says what it covers.
#include "FuzzReaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringscope::fuzz::image(data, size);
    return 0;
}
