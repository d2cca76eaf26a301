#pragma once
/// @file Augment.h
/// Training-time image transforms of the published recipe.

#include <opencv2/core.hpp>

#include <cstdint>

namespace ringscope {

/// Random-resized-crop and flip options (torchvision's RandomResizedCrop defaults).
struct AugmentOptions {
    double minScale = 0.05; ///< smallest crop area as a fraction of the image
    double maxScale = 1.0;
    double minRatio = 3.0 / 4.0; ///< aspect-ratio range of the crop
    double maxRatio = 4.0 / 3.0;
    bool horizontalFlip = true; ///< flip with probability 0.5
};

/// Crops a random area (scale and aspect ratio drawn as torchvision does, falling back to a
/// centre crop after 10 tries), resizes it to `size` x `size` (bilinear) and flips it with
/// probability 0.5. The result depends only on the image, `size` and `seed`.
cv::Mat randomResizedCrop(const cv::Mat& image, int size, uint64_t seed,
                          const AugmentOptions& options = {});

} // namespace ringscope
