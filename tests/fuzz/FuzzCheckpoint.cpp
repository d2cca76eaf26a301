// Checkpoint reader: format detection, the zip container, the legacy format, the pickle subset
// and its allow-list, safetensors — everything loadCheckpoint does with a file.
#include "FuzzSupport.h"

#include "ringscope/model/Checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = ringscope::fuzz::scratchPath("checkpoint.pt");
    ringscope::fuzz::writeInput(path, data, size);
    ringscope::CheckpointLimits limits;
    limits.maxTotalBytes = int64_t(256) << 20; // keep each run's memory within libFuzzer's limit
    ringscope::fuzz::expectCleanRefusal([&] { ringscope::loadCheckpoint(path, limits); });
    return 0;
}
