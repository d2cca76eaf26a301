#pragma once
// Hugging Face safetensors: 8-byte little-endian header length, JSON header, raw data.

#include "io/ByteSource.h"

#include "ringscope/model/core/StateDict.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ringscope::detail {

/// True when the first bytes of a file look like a safetensors header.
bool looksLikeSafeTensors(const std::string& head, uint64_t fileSize);

struct SafeTensorsContents {
    StateDict tensors;                   ///< stored dtypes, in file order
    std::vector<std::string> dtypeNames; ///< stored dtype of each tensor ("float16", ...)
    nlohmann::json metadata;             ///< the `__metadata__` object (strings), or null
};

/// Reads a safetensors file; every offset, size and dtype is validated.
SafeTensorsContents readSafeTensors(ByteSource& source, int64_t maxTotalBytes);

/// Serialises float32 tensors with `__metadata__` = `metadata` (an object of strings).
std::string safeTensorsBytes(const StateDict& tensors, const nlohmann::json& metadata);

} // namespace ringscope::detail
