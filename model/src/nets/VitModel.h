#pragma once
#include "ringscope/model/nets/VisionModel.h"

namespace ringscope {

/// Vanilla ViT: L distinct pre-norm blocks (`transformer.encoder.layer.{l}`).
class VitModel : public VisionModel {
public:
    VitModel(ModelConfig config, StateDict weights)
        : VisionModel(std::move(config), std::move(weights)) {}

protected:
    torch::Tensor encode(torch::Tensor x, const ForwardOptions& options,
                         ForwardTrace* trace) const override;
};

} // namespace ringscope
