#include "io/BmpHeader.h"

#include <cstdint>
#include <cstdlib>

namespace ringscope::detail {
namespace {

enum Compression : int64_t { kRgb = 0, kRle8 = 1, kRle4 = 2, kBitfields = 3, kAlphaBitfields = 6 };

/// What a BMP declares in its file header (14 bytes) and DIB header.
struct Bmp {
    int64_t fileSize = 0, offset = 0, headerSize = 0;
    int64_t width = 0, height = 0, planes = 0, bits = 0, compression = kRgb;
    int64_t colours = 0;    ///< palette entries declared (0: 2^bits)
    int64_t entryBytes = 4; ///< 3 in the OS/2 1.x (12-byte) header
    int64_t headersEnd = 0; ///< end of the headers and bit masks: where the palette starts
};

std::string str(int64_t v) {
    return std::to_string(v);
}

int64_t littleEndian(const std::string& b, size_t pos, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | uint8_t(b[pos + size_t(i)]);
    return int64_t(v);
}

int64_t signed32(const std::string& b, size_t pos) {
    return int64_t(int32_t(uint32_t(littleEndian(b, pos, 4))));
}

bool knownHeaderSize(int64_t size) {
    for (int64_t s : {12, 16, 40, 52, 56, 64, 108, 124})
        if (s == size) return true;
    return false;
}

/// The RGB(A) masks that follow a 40-byte header for the bit-field compressions.
int64_t maskBytes(const Bmp& h) {
    if (h.headerSize != 40) return 0;
    return h.compression == kBitfields ? 12 : h.compression == kAlphaBitfields ? 16 : 0;
}

void readDibFields(const std::string& b, Bmp& h) {
    if (h.headerSize == 12) { // OS/2 1.x: 16-bit unsigned dimensions, 3-byte palette entries
        h.width = littleEndian(b, 18, 2);
        h.height = littleEndian(b, 20, 2);
        h.planes = littleEndian(b, 22, 2);
        h.bits = littleEndian(b, 24, 2);
        h.entryBytes = 3;
        return;
    }
    h.width = signed32(b, 18);
    h.height = signed32(b, 22);
    h.planes = littleEndian(b, 26, 2);
    h.bits = littleEndian(b, 28, 2);
    if (h.headerSize >= 40) {
        h.compression = littleEndian(b, 30, 4);
        h.colours = littleEndian(b, 46, 4);
    }
}

/// Reads the headers; a problem for a truncated header or a size no BMP version has.
std::string readHeaders(const std::string& b, Bmp& h) {
    const std::string truncated =
        "truncated BMP header (the file has " + str(int64_t(b.size())) + " bytes)";
    if (b.size() < 18) return truncated;
    h.fileSize = int64_t(b.size());
    h.offset = littleEndian(b, 10, 4);
    h.headerSize = littleEndian(b, 14, 4);
    if (!knownHeaderSize(h.headerSize))
        return "BMP header declares a header size of " + str(h.headerSize) +
               " bytes, which no BMP version has (12, 16, 40, 52, 56, 64, 108 or 124)";
    if (h.fileSize < 14 + h.headerSize) return truncated;
    readDibFields(b, h);
    h.headersEnd = 14 + h.headerSize + maskBytes(h);
    return {};
}

const char* compressionName(int64_t c) {
    switch (c) {
    case kRgb:
        return "RGB";
    case kRle8:
        return "RLE8";
    case kRle4:
        return "RLE4";
    case kBitfields:
        return "BITFIELDS";
    case 4:
        return "JPEG";
    case 5:
        return "PNG";
    case kAlphaBitfields:
        return "ALPHABITFIELDS";
    default:
        return nullptr;
    }
}

bool compressionFits(int64_t c, int64_t bits) {
    if (c == kRgb) return true;
    if (c == kRle8) return bits == 8;
    if (c == kRle4) return bits == 4;
    if (c == kBitfields || c == kAlphaBitfields) return bits == 16 || bits == 32;
    return false; // JPEG and PNG need 0 bits per pixel; other values are no compression
}

std::string compressionProblem(const Bmp& h) {
    const char* name = compressionName(h.compression);
    if (!name) return "BMP header declares an unknown compression " + str(h.compression);
    return "BMP header declares compression " + str(h.compression) + " (" + name +
           "), which does not fit " + str(h.bits) + " bits per pixel";
}

/// Planes, bits per pixel, compression and dimensions.
std::string checkFields(const Bmp& h) {
    if (h.planes != 1) return "BMP header declares " + str(h.planes) + " colour planes (must be 1)";
    const int64_t b = h.bits;
    if (b != 1 && b != 4 && b != 8 && b != 16 && b != 24 && b != 32)
        return "BMP header declares " + str(b) + " bits per pixel (must be 1, 4, 8, 16, 24 or 32)";
    if (!compressionFits(h.compression, b)) return compressionProblem(h);
    if (h.width <= 0)
        return "BMP header declares a width of " + str(h.width) + " pixels (must be positive)";
    if (h.height == 0) return "BMP header declares a height of 0 pixels";
    return {};
}

int64_t paletteColours(const Bmp& h) {
    return h.colours == 0 ? int64_t(1) << h.bits : h.colours;
}

/// The pixel-data offset and, for 1, 4 and 8 bits per pixel, the palette before it.
std::string checkLayout(const Bmp& h) {
    if (h.offset > h.fileSize)
        return "BMP pixel data offset " + str(h.offset) + " is past the end of the file (" +
               str(h.fileSize) + " bytes)";
    if (h.offset < h.headersEnd)
        return "BMP pixel data offset " + str(h.offset) +
               " lies inside the headers (they end at byte " + str(h.headersEnd) + ")";
    if (h.bits > 8) return {};
    const int64_t colours = paletteColours(h);
    if (colours > (int64_t(1) << h.bits))
        return "BMP header declares a palette of " + str(colours) + " colours, more than " +
               str(h.bits) + " bits per pixel can index (" + str(int64_t(1) << h.bits) + ")";
    if (h.headersEnd + colours * h.entryBytes > h.offset)
        return "BMP palette of " + str(colours) +
               " colours runs past the start of the pixel data (offset " + str(h.offset) + ")";
    return {};
}

std::string outOfPalette(int64_t index, int64_t colours) {
    return "BMP pixel uses colour index " + str(index) + ", past its palette of " + str(colours) +
           " colours";
}

int64_t rowBytes(const Bmp& h) {
    return (h.width * h.bits + 31) / 32 * 4;
}

int64_t indexAt(const uint8_t* row, int64_t x, int64_t bits) {
    if (bits == 8) return row[x];
    if (bits == 4) return (row[x / 2] >> (x % 2 ? 0 : 4)) & 15;
    return (row[x / 8] >> (7 - x % 8)) & 1;
}

/// Uncompressed rows: enough bytes for all of them, and (with a short palette) every index in it.
std::string checkRows(const std::string& b, const Bmp& h) {
    const int64_t rows = std::llabs(h.height), stride = rowBytes(h),
                  available = h.fileSize - h.offset;
    if (rows > available / stride)
        return "BMP pixel data has " + str(available) + " bytes, fewer than " + str(rows) +
               " rows of " + str(stride) + " bytes need";
    const int64_t colours = h.bits <= 8 ? paletteColours(h) : 0;
    if (h.bits > 8 || colours == (int64_t(1) << h.bits)) return {};
    const auto* data = reinterpret_cast<const uint8_t*>(b.data()) + h.offset;
    for (int64_t y = 0; y < rows; ++y)
        for (int64_t x = 0; x < h.width; ++x) {
            const int64_t index = indexAt(data + y * stride, x, h.bits);
            if (index >= colours) return outOfPalette(index, colours);
        }
    return {};
}

/// The indices of an encoded run: `count` pixels alternating the two nibbles (RLE4) or one index.
std::string checkRun(uint8_t count, uint8_t value, bool rle4, int64_t colours) {
    if (!rle4) return value < colours ? std::string() : outOfPalette(value, colours);
    if ((value >> 4) >= colours) return outOfPalette(value >> 4, colours);
    if (count > 1 && (value & 15) >= colours) return outOfPalette(value & 15, colours);
    return {};
}

/// The indices of an absolute run of `count` pixels starting at `pos`.
std::string checkAbsolute(const std::string& b, size_t pos, uint8_t count, bool rle4,
                          int64_t colours) {
    for (size_t i = 0; i < count; ++i) {
        const uint8_t byte = uint8_t(b[pos + (rle4 ? i / 2 : i)]);
        const int64_t index = !rle4 ? byte : i % 2 ? byte & 15 : byte >> 4;
        if (index >= colours) return outOfPalette(index, colours);
    }
    return {};
}

/// Walks an RLE8 or RLE4 stream to its end-of-bitmap marker (or the end of the file): every
/// run inside the file, every index in the palette.
std::string checkRle(const std::string& b, const Bmp& h) {
    const bool rle4 = h.compression == kRle4;
    const int64_t colours = paletteColours(h);
    const std::string runsPast =
        std::string("BMP ") + (rle4 ? "RLE4" : "RLE8") + " data runs past the end of the file";
    size_t pos = size_t(h.offset);
    while (pos < b.size()) {
        if (pos + 2 > b.size()) return runsPast;
        const uint8_t count = uint8_t(b[pos]), value = uint8_t(b[pos + 1]);
        pos += 2;
        std::string problem;
        if (count > 0) {
            problem = checkRun(count, value, rle4, colours);
        } else if (value == 1) {
            return {};           // end of bitmap
        } else if (value >= 2) { // delta (2 bytes) or absolute run (padded to 16 bits)
            const size_t bytes = value == 2 ? 2
                                 : rle4     ? ((value + 1) / 2 + 1) & ~1u
                                            : (value + 1) & ~1u;
            if (pos + bytes > b.size()) return runsPast;
            if (value > 2) problem = checkAbsolute(b, pos, value, rle4, colours);
            pos += bytes;
        }
        if (!problem.empty()) return problem;
    }
    return {};
}

} // namespace

std::string checkBmp(const std::string& bytes) {
    Bmp h;
    std::string problem = readHeaders(bytes, h);
    if (problem.empty()) problem = checkFields(h);
    if (problem.empty()) problem = checkLayout(h);
    if (!problem.empty()) return problem;
    if (h.compression == kRle8 || h.compression == kRle4) return checkRle(bytes, h);
    return checkRows(bytes, h);
}

std::string bmpVariantOpenCvLacks(const std::string& bytes) {
    Bmp h;
    if (!readHeaders(bytes, h).empty()) return {};
    if (h.headerSize == 16) return "a 16-byte OS/2 2.x header";
    if (h.compression == kAlphaBitfields) return "ALPHABITFIELDS compression";
    return {};
}

} // namespace ringscope::detail
