#pragma once
/// @file FusedAdam.h
/// torch::optim::Adam and AdamW whose step runs one vectorised pass per parameter instead of
/// about ten element-wise ops (this libtorch runs those without SIMD, one dispatched call each).

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>

namespace ringscope {

/// Adam with the options, the per-parameter state (AdamParamState: step, exp_avg, exp_avg_sq)
/// and the serialization of torch::optim::Adam, so that anything reading or restoring the
/// state works as with torch's. Float32 CPU parameters with dense contiguous gradients take
/// the fused pass (equal to torch's step to float rounding); with amsgrad, or any other
/// parameter, the whole step is torch's.
class FusedAdam : public torch::optim::Adam {
public:
    using torch::optim::Adam::Adam;
    torch::Tensor step(LossClosure closure = nullptr) override;
};

/// AdamW (decoupled weight decay) in the same way, over AdamWParamState.
class FusedAdamW : public torch::optim::AdamW {
public:
    using torch::optim::AdamW::AdamW;
    torch::Tensor step(LossClosure closure = nullptr) override;
};

} // namespace ringscope
