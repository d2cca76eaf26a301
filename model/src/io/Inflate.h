#pragma once
// zlib decompression with an output cap (a hostile stream cannot exhaust memory): gzip files
// (IDX datasets) and raw deflate records (zip archives).
#include <cstdint>
#include <string>

namespace ringscope::detail {

/// True when the bytes start with the gzip magic.
inline bool isGzip(const std::string& b) {
    return b.size() >= 2 && uint8_t(b[0]) == 0x1f && uint8_t(b[1]) == 0x8b;
}

/// Decompresses a gzip stream (`gzip` true) or a raw deflate stream. On success returns the
/// data and leaves `problem` empty; otherwise sets `problem` ("corrupt ...", "truncated ...",
/// "... exceeds the size limit") when the stream is damaged or would exceed `maxBytes`.
std::string inflateStream(const std::string& data, bool gzip, uint64_t maxBytes,
                          std::string& problem);

/// inflateStream() of a gzip file; throws FileFormatError(path, problem) on failure.
std::string gunzip(const std::string& data, const std::string& path, uint64_t maxBytes);

} // namespace ringscope::detail
