#pragma once
/// @file DataSource.h
/// The data sources of the command line and the app, from one spec string, and batching
/// through the shared preprocessing path.

#include "ringscope/model/data/Dataset.h"
#include "ringscope/model/data/ImageTensor.h"

#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ringscope {

/// An opened data source: either a dataset of images or a ready float batch.
struct DataSource {
    std::string spec;                 ///< as given
    std::unique_ptr<Dataset> dataset; ///< images (null for npy:)
    torch::Tensor npyBatch;           ///< npy: float32 [B, C, H, W] in the model's input space

    int64_t size() const {
        return dataset ? dataset->size() : (npyBatch.defined() ? npyBatch.size(0) : 0);
    }
    std::string description() const;
};

/// Opens `npy:FILE`, `folder:DIR`, `fashion-mnist[:test|train]`, `idx:IMAGES,LABELS` or
/// `cifar:DIR[:test|train]` (test split by default). Throws RingScopeError (FileFormatError for
/// files) with a message naming the spec or file and the problem.
DataSource openDataSource(const std::string& spec);

/// Preprocessed images with their labels.
struct Batch {
    torch::Tensor images;             ///< float32 [B, C, S, S]
    torch::Tensor labels;             ///< int64 [B] (-1 for unlabelled)
    std::vector<int64_t> indices;     ///< dataset indices that made it into the batch
    std::vector<std::string> skipped; ///< one message per unreadable image (left out)
};

/// A per-sample change applied before preprocessing (e.g. augmentation):
/// (image, dataset index) -> image.
using SampleTransform = std::function<cv::Mat(const cv::Mat&, int64_t)>;

/// Reads and preprocesses `indices` of `dataset` with the preprocessing of classify, after
/// `transform` when given. Runs on libtorch's threads when `parallel`, else on the calling
/// thread only (for a loader thread beside a training step). Unreadable images are left out
/// and reported in `skipped`.
Batch makeBatch(const Dataset& dataset, const std::vector<int64_t>& indices, const InputSpec& spec,
                const SampleTransform& transform = {}, bool parallel = true);

} // namespace ringscope
