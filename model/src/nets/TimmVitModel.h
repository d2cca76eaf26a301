#pragma once
#include "ringscope/model/nets/VisionModel.h"

namespace ringscope {

/// timm's VisionTransformer with timm's key names (`blocks.{l}`, fused `qkv`): class and
/// distillation tokens, position table with or without them, layer scale, token or average
/// pooling with `fc_norm`, DeiT's second head (eval logits: the mean of both heads). Hugging
/// Face ViTs are read into this layout (see HuggingFaceVit.h).
class TimmVitModel : public VisionModel {
public:
    TimmVitModel(ModelConfig config, StateDict weights)
        : VisionModel(std::move(config), std::move(weights)) {}

    torch::Tensor classLens(const torch::Tensor& hidden) const override;

protected:
    torch::Tensor encode(torch::Tensor x, const ForwardOptions& options,
                         ForwardTrace* trace) const override;
    torch::Tensor embed(const torch::Tensor& images, const ForwardOptions& options) const override;
    ForwardOutput readout(const torch::Tensor& x) const override;

private:
    /// forward_features' final norm (identity when the file has none).
    torch::Tensor finalNorm(const torch::Tensor& x) const;
    /// forward_head: pooling, fc_norm and the head(s) on normed tokens.
    torch::Tensor head(const torch::Tensor& normed) const;
    /// LayerNorm with the model's epsilon, or the identity when the weights are absent.
    torch::Tensor timmNorm(const torch::Tensor& x, const std::string& prefix) const;
};

} // namespace ringscope
