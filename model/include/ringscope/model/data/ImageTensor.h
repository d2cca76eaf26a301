#pragma once
/// @file ImageTensor.h
/// From images (OpenCV) to model input tensors: the one preprocessing path shared by
/// classification, analysis and datasets.

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <torch/types.h>

#include <string>
#include <vector>

namespace ringscope {

/// Per-channel normalisation x' = (x - mean) / std on [0, 1] pixel values.
/// Default: mean 0.5, std 0.5 (the published CIFAR transform).
struct Normalization {
    std::vector<double> mean{0.5, 0.5, 0.5};
    std::vector<double> std{0.5, 0.5, 0.5};

    /// Value for channel c (the last value repeats for extra channels).
    double meanAt(size_t c) const;
    double stdAt(size_t c) const;

    nlohmann::json toJson() const;
    /// Reads {"mean": [...], "std": [...]}; missing fields keep the defaults. Throws
    /// RingScopeError for a zero or negative std.
    static Normalization fromJson(const nlohmann::json& j);
};

/// Converts an 8-bit, 16-bit or float image (gray, BGR or BGRA as OpenCV stores them) to a
/// contiguous float32 tensor [C, H, W]: BGR(A) -> RGB, scaled to [0, 1] (by 255 or 65535;
/// float images are taken as already in [0, 1]), then normalised. C is 1 for gray, 3 for colour
/// (alpha is dropped). The tensor owns its memory (a copy).
torch::Tensor matToTensor(const cv::Mat& image, const Normalization& normalization = {});

/// What a model expects as input.
struct InputSpec {
    int64_t size = 32;    ///< side in pixels
    int64_t channels = 3; ///< 1 or 3
    Normalization normalization;
};

/// Resizes to spec.size x spec.size (area interpolation when shrinking, bilinear otherwise),
/// converts gray <-> colour to spec.channels, and normalises: [channels, size, size].
torch::Tensor preprocessImage(const cv::Mat& image, const InputSpec& spec);

/// Limits that keep a hostile image from exhausting memory. The file size is checked before the
/// file is read, the pixel count when the decoder allocates the image: after it has read the
/// dimensions from the file's header, before it decodes any pixel. OpenCV's own limits apply
/// first (OPENCV_IO_MAX_IMAGE_WIDTH and _HEIGHT, 2^20, and OPENCV_IO_MAX_IMAGE_PIXELS, 2^30,
/// unless set in the environment before the program starts), so maxPixels above 2^30 changes
/// nothing.
struct ImageLimits {
    uint64_t maxFileBytes = uint64_t(256) << 20; ///< 256 MiB
    int64_t maxPixels = int64_t(1) << 26;        ///< 67 megapixels (8192 x 8192)
};
/// Reads an image file: PNG, JPEG, BMP, WebP or PBM/PGM/PPM, 8- or 16-bit, gray or colour
/// (the decoder keeps alpha; preprocessImage drops it). Other formats are refused before any
/// decoder runs, and so are BMPs with impossible headers or out-of-palette pixels and JPEGs cut
/// before their end-of-image marker. What the codec libraries print does not reach standard error
/// (except on Windows): it becomes part of the message for a refused image and is dropped for a
/// good one (a PNG's broken colour profile, say). Standard error is redirected during each decode,
/// so decodes in different threads take turns. Throws FileFormatError naming the file when it is
/// missing, not one of these formats, corrupt, or over the limits.
cv::Mat readImage(const std::string& path, const ImageLimits& limits = {});
/// The same for an image already in memory; `name` stands for the file in messages.
cv::Mat decodeImage(const std::string& bytes, const std::string& name,
                    const ImageLimits& limits = {});

} // namespace ringscope
