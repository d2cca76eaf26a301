#pragma once
// What RingScope looks at in an image file before a decoder sees it: the format, from the magic
// bytes alone, and (for JPEG) whether the image data is complete. The dimensions are not parsed
// here: OpenCV's decoder reads them, and the pixel limit is checked before it allocates (see
// DecodeGuards.h).
#include <cstddef>
#include <string>

namespace ringscope::detail {

/// The image formats RingScope reads.
enum class ImageFormat { Unknown, Png, Jpeg, Bmp, WebP, Pnm };

/// The format's name in messages: "PNG", "JPEG", "BMP", "WebP", "PNM" ("image" for Unknown).
const char* formatName(ImageFormat format);

/// Recognises PNG, JPEG, BMP, WebP (RIFF ... WEBP) and PBM/PGM/PPM (P1 ... P6) by their magic
/// bytes. Nothing else in the header is judged. Unknown for any other file (TIFF, PAM, PFM, ...).
ImageFormat detectImageFormat(const std::string& bytes);

/// True when a JPEG stops before its end-of-image marker: no FF D9 after the main image's first
/// start-of-scan (segments before it are skipped by their lengths, so an EXIF thumbnail's marker
/// does not count). OpenCV's decoder would return such an image with its missing rows unfilled.
bool isTruncatedJpeg(const std::string& bytes);

/// OpenCV 4.6 refuses WebP files shorter than this (its WEBP_HEADER_SIZE), though a one-colour
/// lossless WebP can be shorter.
constexpr size_t kOpenCvMinWebPBytes = 32;

/// The bytes padded with zeros to kOpenCvMinWebPBytes (libwebp ignores data past the RIFF chunk).
std::string padWebP(const std::string& bytes);

} // namespace ringscope::detail
