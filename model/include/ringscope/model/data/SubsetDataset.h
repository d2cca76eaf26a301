#pragma once
/// @file SubsetDataset.h
/// A view of some samples of another dataset (e.g. the first N, or one rank's shard).

#include "ringscope/model/data/Dataset.h"

#include <memory>

namespace ringscope {

class SubsetDataset : public Dataset {
public:
    /// Samples `indices` of `base` (which must outlive the view). Throws std::out_of_range for
    /// an index outside `base`.
    SubsetDataset(const Dataset& base, std::vector<int64_t> indices);
    /// The first `count` samples (all when count exceeds the size).
    static std::unique_ptr<SubsetDataset> first(const Dataset& base, int64_t count);
    /// `count` samples from `start` (clamped to the base).
    static std::unique_ptr<SubsetDataset> range(const Dataset& base, int64_t start, int64_t count);

    int64_t size() const override { return int64_t(indices_.size()); }
    Sample get(int64_t index) const override;
    const std::vector<std::string>& classNames() const override { return base_.classNames(); }
    std::vector<int64_t> labels() const override;
    std::string description() const override;

private:
    const Dataset& base_;
    std::vector<int64_t> indices_;
};

} // namespace ringscope
