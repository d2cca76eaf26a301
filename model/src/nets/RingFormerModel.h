#pragma once
#include "ringscope/model/nets/VisionModel.h"

namespace ringscope {

/// RingFormer: one shared block applied T times; per level, input-dependent low-rank signals
/// (x B^T) A are added to q, k, v (from the raw residual x) and to the MLP input (from x1).
/// The d x d map A^T B is never formed.
class RingFormerModel : public VisionModel {
public:
    RingFormerModel(ModelConfig config, StateDict weights)
        : VisionModel(std::move(config), std::move(weights)) {}

protected:
    torch::Tensor encode(torch::Tensor x, const ForwardOptions& options,
                         ForwardTrace* trace) const override;

private:
    torch::Tensor level(const torch::Tensor& x, int64_t t, const ForwardOptions& options,
                        ForwardTrace* trace) const;
};

} // namespace ringscope
