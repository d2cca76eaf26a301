#pragma once
/// @file HuggingFaceVit.h
/// Hugging Face transformers' ViTForImageClassification read as a timm ViT: the same tensors
/// under timm's names, with q, k and v fused into qkv (the reverse of transformers'
/// convert_vit_timm_to_pytorch.py), so that one model class computes both.

#include "ringscope/model/core/StateDict.h"

namespace ringscope {

/// True when `weights` have the layout of transformers' ViT (`vit.embeddings...`, `classifier`).
bool isHuggingFaceVit(const StateDict& weights);

/// The weights under timm's names. Keys it does not know stay as they are (the model then
/// names them as unexpected); the pooler of a ViTModel is dropped (classification does not
/// use it).
StateDict timmWeightsFromHuggingFace(const StateDict& weights);

} // namespace ringscope
