// safetensors: header length, JSON header, dtype/shape/offset validation, data ranges.
#include "FuzzSupport.h"

#include "ByteSource.h"
#include "SafeTensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = ringscope::fuzz::scratchPath("weights.safetensors");
    ringscope::fuzz::writeInput(path, data, size);
    ringscope::fuzz::expectCleanRefusal([&] {
        ringscope::detail::ByteSource source(path);
        ringscope::detail::readSafeTensors(source, int64_t(256) << 20);
    });
    return 0;
}
