#include "ImageHeader.h"

#include <cctype>
#include <cstdlib>

namespace ringscope::detail {
namespace {

uint64_t bigEndian(const std::string& b, size_t pos, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | uint8_t(b[pos + size_t(i)]);
    return v;
}

uint64_t littleEndian(const std::string& b, size_t pos, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | uint8_t(b[pos + size_t(i)]);
    return v;
}

bool startsWith(const std::string& b, const char* magic, size_t n) { return b.size() >= n && b.compare(0, n, magic, n) == 0; }

bool png(const std::string& b, ImageHeader& h) {
    if (b.size() < 24 || b.compare(12, 4, "IHDR") != 0) return false;
    h.width = int64_t(bigEndian(b, 16, 4));
    h.height = int64_t(bigEndian(b, 20, 4));
    return true;
}

/// Walks the JPEG markers up to the first start-of-frame (baseline, progressive, lossless...).
bool jpeg(const std::string& b, ImageHeader& h) {
    size_t pos = 2;
    while (pos + 4 <= b.size()) {
        if (uint8_t(b[pos]) != 0xff) return false;
        const uint8_t marker = uint8_t(b[pos + 1]);
        if (marker == 0xff) { ++pos; continue; }                      // fill byte
        if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) { pos += 2; continue; }
        if (marker == 0xd9 || marker == 0xda) return false;           // no frame before the scan
        const size_t length = size_t(bigEndian(b, pos + 2, 2));
        if (length < 2) return false;
        const bool frame = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
        if (frame) {
            if (pos + 9 > b.size() || length < 7) return false;
            h.height = int64_t(bigEndian(b, pos + 5, 2));
            h.width = int64_t(bigEndian(b, pos + 7, 2));
            return true;
        }
        pos += 2 + length;
    }
    return false;
}

bool bmp(const std::string& b, ImageHeader& h) {
    if (b.size() < 26) return false;
    const uint64_t dib = littleEndian(b, 14, 4);
    if (dib == 12) {
        h.width = int64_t(littleEndian(b, 18, 2));
        h.height = int64_t(littleEndian(b, 20, 2));
    } else {
        h.width = std::llabs(int64_t(int32_t(uint32_t(littleEndian(b, 18, 4)))));
        h.height = std::llabs(int64_t(int32_t(uint32_t(littleEndian(b, 22, 4)))));
    }
    return true;
}

bool webp(const std::string& b, ImageHeader& h) {
    if (b.size() < 30 || b.compare(8, 4, "WEBP") != 0) return false;
    const std::string chunk = b.substr(12, 4);
    if (chunk == "VP8 ") {
        h.width = int64_t(littleEndian(b, 26, 2) & 0x3fff);
        h.height = int64_t(littleEndian(b, 28, 2) & 0x3fff);
    } else if (chunk == "VP8L") {
        const uint64_t bits = littleEndian(b, 21, 4);
        h.width = int64_t(bits & 0x3fff) + 1;
        h.height = int64_t((bits >> 14) & 0x3fff) + 1;
    } else if (chunk == "VP8X") {
        h.width = int64_t(littleEndian(b, 24, 3)) + 1;
        h.height = int64_t(littleEndian(b, 27, 3)) + 1;
    } else {
        return false;
    }
    return true;
}

/// PBM/PGM/PPM: "P1".."P6", then width and height as decimal text (comments allowed).
bool pnm(const std::string& b, ImageHeader& h) {
    size_t pos = 2;
    int64_t values[2] = {0, 0};
    for (int64_t& v : values) {
        while (pos < b.size() && (std::isspace(uint8_t(b[pos])) || b[pos] == '#')) {
            if (b[pos] == '#')
                while (pos < b.size() && b[pos] != '\n') ++pos;
            else
                ++pos;
        }
        size_t digits = 0;
        while (pos < b.size() && std::isdigit(uint8_t(b[pos])) && digits < 10) {
            v = v * 10 + (b[pos++] - '0');
            ++digits;
        }
        if (digits == 0 || digits == 10) return false;
    }
    h.width = values[0];
    h.height = values[1];
    return true;
}

} // namespace

bool readImageHeader(const std::string& b, ImageHeader& h, std::string& problem) {
    bool ok = false;
    if (startsWith(b, "\x89PNG\r\n\x1a\n", 8)) {
        h.format = "PNG";
        ok = png(b, h);
    } else if (startsWith(b, "\xff\xd8\xff", 3)) {
        h.format = "JPEG";
        ok = jpeg(b, h);
    } else if (startsWith(b, "BM", 2)) {
        h.format = "BMP";
        ok = bmp(b, h);
    } else if (startsWith(b, "RIFF", 4)) {
        h.format = "WebP";
        ok = webp(b, h);
    } else if (b.size() >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' && std::isspace(uint8_t(b[2]))) {
        h.format = "PNM";
        ok = pnm(b, h);
    } else {
        problem = "not an image RingScope reads (PNG, JPEG, BMP, WebP, PBM/PGM/PPM)";
        return false;
    }
    if (!ok) problem = "malformed or truncated " + h.format + " header";
    else if (h.width <= 0 || h.height <= 0) {
        problem = h.format + " header declares an empty image";
        ok = false;
    }
    return ok;
}

} // namespace ringscope::detail
