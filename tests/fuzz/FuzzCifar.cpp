// CIFAR-10 / CIFAR-100 binary batches: the first input byte picks the variant, the rest is the
// batch file (test_batch.bin or test.bin) in a scratch folder.
#include "FuzzSupport.h"

#include "ringscope/model/CifarDataset.h"

#include <filesystem>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    static const std::string dir = [] {
        const std::string d = ringscope::fuzz::scratchPath("cifar");
        std::filesystem::create_directories(d);
        return d;
    }();
    const bool cifar100 = data[0] & 1;
    std::filesystem::remove(dir + "/test_batch.bin");
    std::filesystem::remove(dir + "/test.bin");
    ringscope::fuzz::writeInput(dir + (cifar100 ? "/test.bin" : "/test_batch.bin"), data + 1, size - 1);
    ringscope::fuzz::expectCleanRefusal([&] { ringscope::loadCifar(dir, "test"); });
    return 0;
}
