#include "ringscope/model/data/InMemoryDataset.h"

#include "ringscope/model/core/Error.h"

#include <stdexcept>

namespace ringscope {

InMemoryDataset::InMemoryDataset(torch::Tensor images, torch::Tensor labels,
                                 std::vector<std::string> classNames, std::string name)
    : images_(images.contiguous()), labels_(labels.to(torch::kInt64).contiguous()),
      classNames_(std::move(classNames)), name_(std::move(name)) {
    if (images_.scalar_type() != torch::kUInt8 || images_.dim() != 4 ||
        (images_.size(3) != 1 && images_.size(3) != 3))
        throw RingScopeError(name_ + ": images must be uint8 [N, H, W, 1 or 3]");
    if (labels_.dim() != 1 || labels_.size(0) != images_.size(0))
        throw RingScopeError(name_ + ": " + std::to_string(images_.size(0)) + " images but " +
                             std::to_string(labels_.numel()) + " labels");
    if (labels_.numel() > 0) {
        const int64_t lo = labels_.min().item<int64_t>(), hi = labels_.max().item<int64_t>();
        if (lo < 0 || (!classNames_.empty() && hi >= int64_t(classNames_.size())))
            throw RingScopeError(name_ + ": label " + std::to_string(lo < 0 ? lo : hi) +
                                 " outside the " + std::to_string(classNames_.size()) + " classes");
    }
}

Sample InMemoryDataset::get(int64_t index) const {
    if (index < 0 || index >= size()) throw std::out_of_range("dataset index out of range");
    const torch::Tensor img = images_[index];
    const int rows = int(img.size(0)), cols = int(img.size(1)), ch = int(img.size(2));
    // Wrap the tensor's memory, then copy so the sample owns its pixels.
    cv::Mat view(rows, cols, CV_8UC(ch), img.data_ptr<uint8_t>());
    return Sample{view.clone(), labels_.data_ptr<int64_t>()[index]};
}

std::vector<int64_t> InMemoryDataset::labels() const {
    const int64_t* p = labels_.data_ptr<int64_t>();
    return std::vector<int64_t>(p, p + labels_.numel());
}

std::string InMemoryDataset::description() const {
    return name_ + " (" + std::to_string(size()) + " images, " + std::to_string(images_.size(1)) +
           "x" + std::to_string(images_.size(2)) + "x" + std::to_string(images_.size(3)) + ")";
}

} // namespace ringscope
