#pragma once
/// @file HuggingFaceVit.h
/// Hugging Face transformers' ViTForImageClassification read as a timm ViT: the same tensors
/// under timm's names, with q, k and v fused into qkv (the reverse of transformers'
/// convert_vit_timm_to_pytorch.py), so that one model class computes both.

#include "ringscope/model/core/StateDict.h"

namespace ringscope {

/// True when `weights` have the layout of transformers' ViT (`vit.embeddings...`, `classifier`).
bool isHuggingFaceVit(const StateDict& weights);

/// What timmWeightsFromHuggingFace makes of the fused q|k|v tensors.
enum class FusedQkv {
    Values, ///< the concatenation of q, k and v (a copy)
    Shapes  ///< a zero tensor of the concatenation's shape, expanded from one element (no copy,
            ///< for what reads shapes only: architecture inference)
};

/// The weights under timm's names. Keys it does not know stay as they are (the model then
/// names them as unexpected); the pooler of a ViTModel is dropped (classification does not
/// use it).
StateDict timmWeightsFromHuggingFace(const StateDict& weights, FusedQkv fused = FusedQkv::Values);

} // namespace ringscope
