#include "io/Inflate.h"

#include "ringscope/model/core/Error.h"

#include <zlib.h>

#include <algorithm>

namespace ringscope::detail {

std::string inflateStream(const std::string& data, bool gzip, uint64_t maxBytes,
                          std::string& problem) {
    problem.clear();
    z_stream zs{};
    if (inflateInit2(&zs, gzip ? 16 + MAX_WBITS : -MAX_WBITS) != Z_OK) {
        problem = "cannot initialise decompression";
        return {};
    }
    std::string out;
    size_t inUsed = 0, produced = 0;
    for (;;) {
        if (zs.avail_in == 0 && inUsed < data.size()) {
            const uInt n = uInt(std::min<size_t>(data.size() - inUsed, 1u << 30));
            zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + inUsed));
            zs.avail_in = n;
            inUsed += n;
        }
        if (produced == out.size()) {
            if (produced > maxBytes) {
                problem = "decompressed data exceeds the size limit";
                break;
            }
            const size_t target = size_t(
                std::min<uint64_t>(maxBytes + 1, std::max<size_t>(1u << 20, out.size() * 2)));
            out.resize(std::max(target, out.size() + 1));
        }
        const size_t space = std::min<size_t>(out.size() - produced, 1u << 30);
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
        zs.avail_out = uInt(space);
        const int rc = inflate(&zs, Z_NO_FLUSH);
        produced += space - zs.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc == Z_BUF_ERROR && zs.avail_in == 0 && inUsed == data.size()) {
            problem = gzip ? "truncated gzip data" : "truncated compressed data";
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            problem = gzip ? "corrupt gzip data" : "corrupt compressed data";
            break;
        }
    }
    inflateEnd(&zs);
    if (problem.empty() && produced > maxBytes)
        problem = "decompressed data exceeds the size limit";
    out.resize(problem.empty() ? produced : 0);
    return out;
}

std::string gunzip(const std::string& data, const std::string& path, uint64_t maxBytes) {
    std::string problem;
    std::string out = inflateStream(data, true, maxBytes, problem);
    if (!problem.empty()) throw FileFormatError(path, problem);
    return out;
}

} // namespace ringscope::detail
