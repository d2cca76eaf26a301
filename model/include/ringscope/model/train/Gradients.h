#pragma once
/// @file Gradients.h
/// The gradient bookkeeping around a training step's backward, as the trainer and
/// `ringscope-cli bench` run it: dropping the last step's gradients, and clipping the global norm
/// in vectorised passes over the floats (this libtorch runs its norms and multiplies without
/// SIMD, one dispatched call per parameter).

#include <torch/types.h>

#include <vector>

namespace ringscope {

/// Drops the gradient of every parameter, as PyTorch's zero_grad(set_to_none=True): the next
/// backward stores its gradients in their place instead of adding them onto zeros. Optimizers
/// skip a parameter whose gradient stays undefined.
void clearGradients(const std::vector<torch::Tensor>& params);

/// Scales the gradients so that their global L2 norm is at most maxNorm, as
/// torch::nn::utils::clip_grad_norm_ does: every gradient is multiplied by
/// min(1, maxNorm / (norm + 1e-6)), a non-finite norm included. Returns the norm before clipping.
/// The squares are summed in double over fixed blocks of each gradient, so the norm does not
/// depend on the number of threads; float32 contiguous gradients take the vectorised passes and
/// any other goes through libtorch.
double clipGradientNorm(const std::vector<torch::Tensor>& params, double maxNorm);

} // namespace ringscope
