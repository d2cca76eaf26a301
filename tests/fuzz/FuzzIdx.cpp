// MNIST-format IDX files, plain or gzip-compressed (the gzip inflater included).
#include "FuzzSupport.h"

#include "ringscope/model/IdxDataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = ringscope::fuzz::scratchPath("images-idx3-ubyte.gz");
    ringscope::fuzz::writeInput(path, data, size);
    ringscope::fuzz::expectCleanRefusal([&] { ringscope::readIdx(path); });
    return 0;
}
