#pragma once
/// @file FastOps.h
/// Element-wise operations that Debian's libtorch runs without SIMD (it dispatches to the
/// baseline CPU kernels), rewritten as plain loops the compiler vectorises. Same functions,
/// same autograd behaviour as the torch ops they replace (first derivatives).

#include <torch/types.h>

namespace ringscope {

/// Exact (erf) GELU, x * Phi(x), with autograd. Float32 tensors use the vectorised kernel
/// (|error| < 1e-6 relative to the float64 value); other dtypes fall back to torch::gelu.
torch::Tensor fastGelu(const torch::Tensor& x);

} // namespace ringscope
