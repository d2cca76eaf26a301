#pragma once
/// @file ModelFactory.h
/// Creating models: freshly initialised as the published code does, or from weights.

#include "ringscope/model/nets/VisionModel.h"

#include <cstdint>
#include <memory>

namespace ringscope {

/// A new model with the published initialisation (PyTorch default Linear/Conv2d init for the
/// attention projections, patch embedding and head; Xavier-uniform MLP weights with N(0, 1e-6)
/// biases; zero CLS token; sinusoid position table; RingFormer *_01 factors zero and *_02 factors
/// N(0, 1e-6); UiT static table or N(0, 1) learnable table). Deterministic for a seed.
std::unique_ptr<VisionModel> createModel(const ModelConfig& config, uint64_t seed = 0);

/// A model over existing weights. Checks strictly: every key of parameterLayout(config) present
/// with its shape and nothing else; otherwise throws ModelMismatchError naming the keys and both
/// shapes. Tensors are converted to contiguous float32.
std::unique_ptr<VisionModel> modelFromWeights(const ModelConfig& config, const StateDict& weights);

/// The fixed sinusoid position table [1, N, d] of ViT/OWF/RingFormer.
torch::Tensor sinusoidPositionTable(int64_t tokens, int64_t hidden);

/// The UiT static level table [T, 1, N, d].
torch::Tensor uitStaticLevelTable(int64_t levels, int64_t tokens, int64_t hidden);

} // namespace ringscope
