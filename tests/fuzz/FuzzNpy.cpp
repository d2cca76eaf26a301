// NumPy .npy: magic, version, header dict (descr, fortran_order, shape), data size.
#include "FuzzSupport.h"

#include "ringscope/model/Npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = ringscope::fuzz::scratchPath("array.npy");
    ringscope::fuzz::writeInput(path, data, size);
    ringscope::fuzz::expectCleanRefusal([&] { ringscope::loadNpy(path); });
    return 0;
}
