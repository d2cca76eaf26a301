// libFuzzer target `fuzz_cifar`: ringscope::fuzz::cifar in FuzzReaders.h says what it covers.
#include "FuzzReaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringscope::fuzz::cifar(data, size);
    return 0;
}
