#pragma once
// gzip decompression with an output cap (a hostile .gz cannot exhaust memory).
#include <cstdint>
#include <string>

namespace ringscope::detail {

/// True when the bytes start with the gzip magic.
inline bool isGzip(const std::string& b) {
    return b.size() >= 2 && uint8_t(b[0]) == 0x1f && uint8_t(b[1]) == 0x8b;
}

/// Decompresses a gzip stream. Throws FileFormatError(path, ...) when it is corrupt, truncated,
/// or would exceed `maxBytes`.
std::string gunzip(const std::string& data, const std::string& path, uint64_t maxBytes);

} // namespace ringscope::detail
