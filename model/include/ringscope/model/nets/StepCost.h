#pragma once
/// @file StepCost.h
/// The matrix products of one forward pass (or one training step) of a model, counted
/// analytically: what `ringscope-cli bench` measures the machine's GEMM rate on and divides by,
/// to say how close a step runs to that limit.

#include "ringscope/model/nets/ModelConfig.h"

#include <cstdint>
#include <vector>

namespace ringscope {

/// `count` x `batch` independent products [m, k] x [k, n].
struct GemmShape {
    int64_t batch = 1; ///< products in one call (B * H for the attention products)
    int64_t m = 0, n = 0, k = 0;
    int64_t count = 1; ///< calls per pass
    /// Multiply-adds count twice.
    double flops() const {
        return 2.0 * double(batch) * double(m) * double(n) * double(k) * double(count);
    }
};

/// The products of a forward pass of `config` over `batch` images: patch embedding, per
/// application q|k|v, the attention scores and context, the output projection, the MLP (and a
/// RingFormer's low-rank level signals), and the head. With `train`, also the two products
/// per forward product of the backward pass (input and weight gradients; the images need none).
std::vector<GemmShape> stepGemms(const ModelConfig& config, int64_t batch, bool train);

/// The FLOP of all products.
double totalFlops(const std::vector<GemmShape>& gemms);

} // namespace ringscope
