#pragma once
#include "ringscope/model/nets/VisionModel.h"

namespace ringscope {

/// One wide feed-forward: L distinct attention blocks, one MLP shared by all layers.
class OwfModel : public VisionModel {
public:
    OwfModel(ModelConfig config, StateDict weights)
        : VisionModel(std::move(config), std::move(weights)) {}

protected:
    torch::Tensor encode(torch::Tensor x, const ForwardOptions& options,
                         ForwardTrace* trace) const override;
};

} // namespace ringscope
