#pragma once
// The dimensions an image file declares, read from its header before anything is decoded, so
// that a hostile file cannot make the decoder allocate without bound.
#include <cstdint>
#include <string>

namespace ringscope::detail {

struct ImageHeader {
    std::string format; ///< "PNG", "JPEG", "BMP", "WebP", "PNM"
    int64_t width = 0, height = 0;
};

/// Reads the header of a PNG, JPEG, BMP, WebP or PNM (PBM/PGM/PPM) file. Returns false with
/// `problem` set for any other format or a header that is truncated or malformed.
bool readImageHeader(const std::string& bytes, ImageHeader& header, std::string& problem);

} // namespace ringscope::detail
