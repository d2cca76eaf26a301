#pragma once
/// @file InMemoryDataset.h
/// A dataset held as one uint8 tensor (MNIST-format IDX files, CIFAR batches).

#include "ringscope/model/data/Dataset.h"

#include <torch/types.h>

namespace ringscope {

class InMemoryDataset : public Dataset {
public:
    /// `images`: uint8 [N, H, W, C] with C = 1 (gray) or 3 (BGR); `labels`: int64 [N] in
    /// [0, classNames.size()). Throws RingScopeError when shapes or labels do not fit.
    InMemoryDataset(torch::Tensor images, torch::Tensor labels, std::vector<std::string> classNames,
                    std::string name);

    int64_t size() const override { return images_.size(0); }
    Sample get(int64_t index) const override;
    const std::vector<std::string>& classNames() const override { return classNames_; }
    std::vector<int64_t> labels() const override;
    std::string description() const override;

    const torch::Tensor& images() const { return images_; }
    const torch::Tensor& labelTensor() const { return labels_; }

private:
    torch::Tensor images_, labels_;
    std::vector<std::string> classNames_;
    std::string name_;
};

} // namespace ringscope
