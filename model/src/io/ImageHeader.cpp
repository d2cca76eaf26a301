#include "io/ImageHeader.h"

#include <cctype>
#include <cstdint>

namespace ringscope::detail {
namespace {

bool startsWith(const std::string& b, const char* magic, size_t n) {
    return b.size() >= n && b.compare(0, n, magic, n) == 0;
}

bool isPnm(const std::string& b) {
    return b.size() >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' &&
           std::isspace(uint8_t(b[2]));
}

/// Markers without a length field: TEM, RST0..RST7 (SOI and EOI end the walk).
bool isStandalone(uint8_t marker) {
    return marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

/// Offset just past the header of the first start-of-scan, or npos when the segments before it
/// cannot be walked (the decoder then judges the file). Stray bytes between segments are
/// skipped, as libjpeg skips them.
size_t firstScanData(const std::string& b) {
    size_t pos = 2;
    while (pos + 4 <= b.size()) {
        const uint8_t marker = uint8_t(b[pos + 1]);
        if (uint8_t(b[pos]) != 0xff || marker == 0xff || marker == 0x00) {
            ++pos;
            continue;
        }
        if (isStandalone(marker)) {
            pos += 2;
            continue;
        }
        if (marker == 0xd8 || marker == 0xd9) return std::string::npos;
        const size_t length = size_t(uint8_t(b[pos + 2])) << 8 | uint8_t(b[pos + 3]);
        if (length < 2) return std::string::npos;
        pos += 2 + length;
        if (marker == 0xda) return pos;
    }
    return std::string::npos;
}

} // namespace

const char* formatName(ImageFormat format) {
    switch (format) {
    case ImageFormat::Png:
        return "PNG";
    case ImageFormat::Jpeg:
        return "JPEG";
    case ImageFormat::Bmp:
        return "BMP";
    case ImageFormat::WebP:
        return "WebP";
    case ImageFormat::Pnm:
        return "PNM";
    case ImageFormat::Unknown:
        break;
    }
    return "image";
}

ImageFormat detectImageFormat(const std::string& b) {
    if (startsWith(b, "\x89PNG\r\n\x1a\n", 8)) return ImageFormat::Png;
    if (startsWith(b, "\xff\xd8\xff", 3)) return ImageFormat::Jpeg;
    if (startsWith(b, "BM", 2)) return ImageFormat::Bmp;
    if (startsWith(b, "RIFF", 4) && b.size() >= 12 && b.compare(8, 4, "WEBP") == 0)
        return ImageFormat::WebP;
    if (isPnm(b)) return ImageFormat::Pnm;
    return ImageFormat::Unknown;
}

bool isTruncatedJpeg(const std::string& b) {
    const size_t scan = firstScanData(b);
    if (scan == std::string::npos) return b.find("\xff\xd9") == std::string::npos;
    return scan >= b.size() || b.find("\xff\xd9", scan) == std::string::npos;
}

std::string padWebP(const std::string& b) {
    if (b.size() >= kOpenCvMinWebPBytes) return b;
    return b + std::string(kOpenCvMinWebPBytes - b.size(), '\0');
}

} // namespace ringscope::detail
