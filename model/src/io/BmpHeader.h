#pragma once
// The BMP checks OpenCV's decoder does not make. It decodes BMPs with impossible headers, short
// palettes and out-of-palette pixels into garbage; RingScope refuses them first.
#include <string>

namespace ringscope::detail {

/// Checks a BMP file (it starts with "BM") against what BMP versions allow and what the file
/// holds: a DIB header size some version has (12, 16, 40, 52, 56, 64, 108, 124), one colour
/// plane, 1, 4, 8, 16, 24 or 32 bits per pixel, a compression that fits them, a palette of at
/// most 2^bits colours that ends before the pixel data, a pixel-data offset inside the file,
/// enough bytes for the rows (uncompressed) or an RLE stream that stays inside the file, and no
/// pixel whose colour index is past the palette. Returns an empty string for a sound file, else
/// the problem in one line ("BMP header declares 2 colour planes (must be 1)").
std::string checkBmp(const std::string& bytes);

/// What a BMP that checkBmp accepts has that OpenCV 4.6's decoder does not read ("a 16-byte
/// OS/2 2.x header", "ALPHABITFIELDS compression"); empty for anything else.
std::string bmpVariantOpenCvLacks(const std::string& bytes);

} // namespace ringscope::detail
