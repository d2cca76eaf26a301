#include "Gunzip.h"

#include "ringscope/model/Error.h"

#include <zlib.h>

#include <algorithm>

namespace ringscope::detail {

std::string gunzip(const std::string& data, const std::string& path, uint64_t maxBytes) {
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw FileFormatError(path, "cannot initialise gzip");
    std::string out;
    size_t inUsed = 0, produced = 0;
    std::string problem;
    for (;;) {
        if (zs.avail_in == 0 && inUsed < data.size()) {
            const uInt n = uInt(std::min<size_t>(data.size() - inUsed, 1u << 30));
            zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + inUsed));
            zs.avail_in = n;
            inUsed += n;
        }
        if (produced == out.size()) {
            if (produced > maxBytes) { problem = "decompressed data exceeds the size limit"; break; }
            const size_t target = size_t(std::min<uint64_t>(maxBytes + 1, std::max<size_t>(1u << 20, out.size() * 2)));
            out.resize(std::max(target, out.size() + 1));
        }
        const size_t space = std::min<size_t>(out.size() - produced, 1u << 30);
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
        zs.avail_out = uInt(space);
        const int rc = inflate(&zs, Z_NO_FLUSH);
        produced += space - zs.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc == Z_BUF_ERROR && zs.avail_in == 0 && inUsed == data.size()) {
            problem = "truncated gzip data";
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            problem = "corrupt gzip data";
            break;
        }
    }
    inflateEnd(&zs);
    if (problem.empty() && produced > maxBytes) problem = "decompressed data exceeds the size limit";
    if (!problem.empty()) throw FileFormatError(path, problem);
    out.resize(produced);
    return out;
}

} // namespace ringscope::detail
