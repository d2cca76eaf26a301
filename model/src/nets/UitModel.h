#pragma once
#include "ringscope/model/nets/VisionModel.h"

namespace ringscope {

/// Universal transformer: one shared pre-norm block applied T times, with a level encoding
/// E_t added to the raw residual stream before each application (no position table).
class UitModel : public VisionModel {
public:
    UitModel(ModelConfig config, StateDict weights)
        : VisionModel(std::move(config), std::move(weights)) {}

    /// E_t for 0-based level t: [N, d].
    torch::Tensor levelEncoding(int64_t t) const;

protected:
    torch::Tensor encode(torch::Tensor x, const ForwardOptions& options,
                         ForwardTrace* trace) const override;
    bool usesPositionTable() const override { return false; }
};

} // namespace ringscope
