#include "ringscope/model/data/SubsetDataset.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace ringscope {

SubsetDataset::SubsetDataset(const Dataset& base, std::vector<int64_t> indices)
    : base_(base), indices_(std::move(indices)) {
    for (int64_t i : indices_)
        if (i < 0 || i >= base_.size()) throw std::out_of_range("subset index outside the dataset");
}

std::unique_ptr<SubsetDataset> SubsetDataset::first(const Dataset& base, int64_t count) {
    std::vector<int64_t> idx(static_cast<size_t>(std::clamp<int64_t>(count, 0, base.size())));
    std::iota(idx.begin(), idx.end(), 0);
    return std::make_unique<SubsetDataset>(base, std::move(idx));
}

std::unique_ptr<SubsetDataset> SubsetDataset::range(const Dataset& base, int64_t start,
                                                    int64_t count) {
    start = std::clamp<int64_t>(start, 0, base.size());
    std::vector<int64_t> idx(
        static_cast<size_t>(std::clamp<int64_t>(count, 0, base.size() - start)));
    std::iota(idx.begin(), idx.end(), start);
    return std::make_unique<SubsetDataset>(base, std::move(idx));
}

Sample SubsetDataset::get(int64_t index) const {
    if (index < 0 || index >= size()) throw std::out_of_range("dataset index out of range");
    return base_.get(indices_[size_t(index)]);
}

std::vector<int64_t> SubsetDataset::labels() const {
    const std::vector<int64_t> all = base_.labels();
    std::vector<int64_t> out;
    out.reserve(indices_.size());
    for (int64_t i : indices_)
        out.push_back(all[size_t(i)]);
    return out;
}

std::string SubsetDataset::description() const {
    return std::to_string(size()) + " of " + base_.description();
}

} // namespace ringscope
