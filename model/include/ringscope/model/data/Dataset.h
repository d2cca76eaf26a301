#pragma once
/// @file Dataset.h
/// Labelled image collections (Fashion-MNIST/IDX, CIFAR, image folders) behind one interface.

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ringscope {

/// One image (8-bit, gray or BGR as OpenCV stores it) and its class (-1 when unlabelled).
struct Sample {
    cv::Mat image;
    int64_t label = -1;
};

/// A read-only, indexable image set. get() is safe to call from several threads at once.
class Dataset {
public:
    virtual ~Dataset() = default;

    /// Number of samples.
    virtual int64_t size() const = 0;
    /// Sample `index` (0 <= index < size()). Throws FileFormatError naming the file when an
    /// image on disk cannot be decoded, std::out_of_range for a bad index.
    virtual Sample get(int64_t index) const = 0;
    /// Class names in label order (empty for an unlabelled set).
    virtual const std::vector<std::string>& classNames() const = 0;
    /// Labels of all samples, without decoding images.
    virtual std::vector<int64_t> labels() const = 0;
    /// Short description for messages and manifests, e.g. "fashion-mnist:test (10000 images)".
    virtual std::string description() const = 0;

    int64_t numClasses() const { return int64_t(classNames().size()); }
};

} // namespace ringscope
