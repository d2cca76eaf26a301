#include "ringscope/model/data/ImageTensor.h"

#include "io/BmpHeader.h"
#include "io/DecodeGuards.h"
#include "io/ImageHeader.h"

#include "ringscope/model/io/FileIO.h"
#include "ringscope/model/core/Error.h"

#ifdef RINGSCOPE_WITH_LIBWEBP
#include <webp/decode.h>
#endif

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <climits>

namespace ringscope {

double Normalization::meanAt(size_t c) const {
    return mean.empty() ? 0.0 : mean[std::min(c, mean.size() - 1)];
}
double Normalization::stdAt(size_t c) const {
    return std.empty() ? 1.0 : std[std::min(c, std.size() - 1)];
}

nlohmann::json Normalization::toJson() const {
    return {{"mean", mean}, {"std", std}};
}

Normalization Normalization::fromJson(const nlohmann::json& j) {
    Normalization n;
    if (!j.is_object()) return n;
    try {
        if (j.contains("mean")) n.mean = j.at("mean").get<std::vector<double>>();
        if (j.contains("std")) n.std = j.at("std").get<std::vector<double>>();
    } catch (const nlohmann::json::exception& e) {
        throw RingScopeError(std::string("bad normalisation: ") + e.what());
    }
    for (double s : n.std)
        if (!(s > 0.0)) throw RingScopeError("bad normalisation: std must be positive");
    return n;
}

torch::Tensor matToTensor(const cv::Mat& image, const Normalization& normalization) {
    if (image.empty()) throw RingScopeError("empty image");
    cv::Mat rgb;
    switch (image.channels()) {
    case 1:
        rgb = image;
        break;
    case 3:
        cv::cvtColor(image, rgb, cv::COLOR_BGR2RGB);
        break;
    case 4:
        cv::cvtColor(image, rgb, cv::COLOR_BGRA2RGB);
        break;
    default:
        throw RingScopeError("unsupported image with " + std::to_string(image.channels()) +
                             " channels");
    }
    double scale = 1.0;
    switch (rgb.depth()) {
    case CV_8U:
        scale = 1.0 / 255.0;
        break;
    case CV_16U:
        scale = 1.0 / 65535.0;
        break;
    case CV_32F:
    case CV_64F:
        scale = 1.0;
        break;
    default:
        throw RingScopeError("unsupported image pixel depth");
    }
    cv::Mat f;
    rgb.convertTo(f, CV_32F, scale);
    if (!f.isContinuous()) f = f.clone();
    const int64_t H = f.rows, W = f.cols, C = f.channels();
    // HWC view over OpenCV's buffer, then a contiguous CHW copy owned by the tensor.
    torch::Tensor hwc = torch::from_blob(f.data, {H, W, C}, torch::kFloat32);
    torch::Tensor chw = hwc.permute({2, 0, 1}).clone().contiguous();
    for (int64_t c = 0; c < C; ++c)
        chw[c].sub_(normalization.meanAt(size_t(c))).div_(normalization.stdAt(size_t(c)));
    return chw;
}

torch::Tensor preprocessImage(const cv::Mat& image, const InputSpec& spec) {
    if (image.empty()) throw RingScopeError("empty image");
    if (spec.channels != 1 && spec.channels != 3)
        throw RingScopeError("models with " + std::to_string(spec.channels) +
                             " input channels take no images");
    cv::Mat src = image;
    if (src.channels() == 4) cv::cvtColor(src, src, cv::COLOR_BGRA2BGR);
    if (spec.channels == 3 && src.channels() == 1) cv::cvtColor(src, src, cv::COLOR_GRAY2BGR);
    if (spec.channels == 1 && src.channels() == 3) cv::cvtColor(src, src, cv::COLOR_BGR2GRAY);
    const int size = static_cast<int>(spec.size);
    if (src.rows != size || src.cols != size) {
        const bool shrink = src.rows > size || src.cols > size;
        cv::Mat resized;
        cv::resize(src, resized, cv::Size(size, size), 0, 0,
                   shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
        src = resized;
    }
    return matToTensor(src, spec.normalization);
}

namespace {

using detail::ImageFormat;

std::string str(int64_t v) {
    return std::to_string(v);
}

/// What cv::imdecode returned and what the libraries printed meanwhile.
struct Decoded {
    cv::Mat image;
    std::string said;
};

/// cv::imdecode under the pixel limit, with standard error captured. Throws what imdecode throws
/// (cv::Exception) and detail::PixelLimitExceeded.
Decoded decodeGuarded(const std::string& bytes, int64_t maxPixels) {
    detail::StderrCapture capture;
    detail::PixelLimit limit(maxPixels);
    const cv::Mat raw(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    Decoded d;
    d.image = cv::imdecode(raw, cv::IMREAD_UNCHANGED);
    d.said = capture.finish();
    return d;
}

std::string pixelsOverLimit(ImageFormat format, int64_t width, int64_t height, int64_t maxPixels) {
    return std::string(detail::formatName(format)) + " of " + str(width) + " x " + str(height) +
           " pixels is larger than the limit of " + str(maxPixels) + " pixels";
}

/// OpenCV threw: mostly its size check on the header's dimensions (validateInputImageSize, with
/// OPENCV_IO_MAX_IMAGE_WIDTH/HEIGHT/PIXELS), which comes before RingScope's limit.
std::string openCvRefusal(ImageFormat format, const cv::Exception& e, int64_t maxPixels) {
    const std::string reason = detail::openCvReason(e.what()), name = detail::formatName(format);
    if (reason.find("CV_IO_MAX_IMAGE_PIXELS") != std::string::npos)
        return name + " declares a size larger than the limit of " + str(maxPixels) +
               " pixels (OpenCV: " + reason + ")";
    if (reason.find("CV_IO_MAX_IMAGE_") != std::string::npos)
        return name + " declares a width or height larger than OpenCV's limit "
                      "(OPENCV_IO_MAX_IMAGE_WIDTH and _HEIGHT, 1048576 pixels unless set)";
    if (reason.find("size.width > 0") != std::string::npos ||
        reason.find("size.height > 0") != std::string::npos)
        return name + " header declares an empty image";
    return "cannot decode " + name + " data (OpenCV: " + reason + ")";
}

std::string corruptData(ImageFormat format, const std::string& said) {
    const std::string problem =
        std::string("corrupt or truncated ") + detail::formatName(format) + " data";
    const std::string summary = detail::summariseLibraryOutput(said, format == ImageFormat::Jpeg);
    return summary.empty() ? problem : problem + " (" + summary + ")";
}

std::string bmpRefusal(const std::string& bytes) {
    const std::string problem = detail::checkBmp(bytes);
    if (!problem.empty()) return problem;
    const std::string variant = detail::bmpVariantOpenCvLacks(bytes);
    return variant.empty() ? variant
                           : "BMP with " + variant + ", which OpenCV's decoder does not read";
}

/// OpenCV hands a file to the first decoder whose signature test passes. For WebP that test
/// parses the header (libwebp's WebPGetFeatures on the first 32 bytes); when it fails on a file
/// taken for WebP, OpenCV goes on to the decoders after it, DICOM's among them, whose test
/// looks at byte 128 and whose library (GDCM) aborts the process on malformed input (found by
/// fuzz_image). So the same test runs here first: a WebP that OpenCV would not read as WebP is
/// refused. Without libwebp, a WebP that carries the DICOM signature is refused instead.
std::string webpRefusal(const std::string& bytes) {
#ifdef RINGSCOPE_WITH_LIBWEBP
    WebPBitstreamFeatures features;
    const size_t n = std::min<size_t>(bytes.size(), detail::kOpenCvMinWebPBytes);
    if (WebPGetFeatures(reinterpret_cast<const uint8_t*>(bytes.data()), n, &features) ==
        VP8_STATUS_OK)
        return {};
    return "corrupt or truncated WebP header";
#else
    return bytes.size() >= 132 && bytes.compare(128, 4, "DICM") == 0
               ? "WebP file with a DICOM signature at byte 128 (refused unread)"
               : std::string();
#endif
}

/// What is refused on the bytes alone, before a decoder runs ("" for nothing).
std::string refusalBeforeDecoding(const std::string& bytes, ImageFormat format) {
    if (format == ImageFormat::Unknown)
        return "not an image RingScope reads (PNG, JPEG, BMP, WebP, PBM/PGM/PPM)";
    if (format == ImageFormat::Bmp) return bmpRefusal(bytes);
    if (format == ImageFormat::WebP) return webpRefusal(bytes);
    if (format == ImageFormat::Jpeg && detail::isTruncatedJpeg(bytes))
        return "truncated JPEG (no end-of-image marker)";
    return {};
}

/// Decodes, turning every way the decoder can fail or complain into a FileFormatError. What the
/// libraries printed is dropped when the image is good (a PNG's bad iCCP profile, say).
cv::Mat decodeOrRefuse(const std::string& bytes, const std::string& name, ImageFormat format,
                       int64_t maxPixels) {
    Decoded d;
    try {
        d = decodeGuarded(bytes, maxPixels);
    } catch (const detail::PixelLimitExceeded& e) {
        throw FileFormatError(name, pixelsOverLimit(format, e.width, e.height, maxPixels));
    } catch (const cv::Exception& e) {
        throw FileFormatError(name, openCvRefusal(format, e, maxPixels));
    }
    if (d.image.empty() || (format == ImageFormat::Jpeg && detail::jpegOutputReportsDamage(d.said)))
        throw FileFormatError(name, corruptData(format, d.said));
    return d.image;
}

} // namespace

cv::Mat readImage(const std::string& path, const ImageLimits& limits) {
    // The size check comes first: readWholeFile names a missing file or a folder.
    return decodeImage(readWholeFile(path, limits.maxFileBytes), path, limits);
}

cv::Mat decodeImage(const std::string& bytes, const std::string& name, const ImageLimits& limits) {
    // The decoder gets the bytes as one row of a cv::Mat, whose sizes are ints.
    const uint64_t maxBytes = std::min<uint64_t>(limits.maxFileBytes, uint64_t(INT_MAX));
    if (bytes.empty()) throw FileFormatError(name, "the file is empty");
    if (bytes.size() > maxBytes)
        throw FileFormatError(name, "image file larger than the limit of " +
                                        std::to_string(maxBytes) + " bytes");
    const ImageFormat format = detail::detectImageFormat(bytes);
    if (format == ImageFormat::WebP && bytes.size() < detail::kOpenCvMinWebPBytes)
        return decodeImage(detail::padWebP(bytes), name, limits);
    const std::string problem = refusalBeforeDecoding(bytes, format);
    if (!problem.empty()) throw FileFormatError(name, problem);
    const cv::Mat image = decodeOrRefuse(bytes, name, format, limits.maxPixels);
    // Once more on the result, should anything have bypassed the check at allocation.
    if (int64_t(image.cols) > limits.maxPixels / std::max(image.rows, 1))
        throw FileFormatError(name,
                              pixelsOverLimit(format, image.cols, image.rows, limits.maxPixels));
    if (image.dims != 2 || image.channels() > 4 || image.channels() == 2)
        throw FileFormatError(name, "unsupported image layout");
    return image;
}

} // namespace ringscope
