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
    int64_t size = 32;     ///< side in pixels
    int64_t channels = 3;  ///< 1 or 3
    Normalization normalization;
};

/// Resizes to spec.size x spec.size (area interpolation when shrinking, bilinear otherwise),
/// converts gray <-> colour to spec.channels, and normalises: [channels, size, size].
torch::Tensor preprocessImage(const cv::Mat& image, const InputSpec& spec);

/// Reads an image file (PNG, JPEG, BMP, WebP, ...; gray or colour, alpha dropped).
/// Throws FileFormatError naming the file when it is missing or not a decodable image.
cv::Mat readImage(const std::string& path);

} // namespace ringscope
