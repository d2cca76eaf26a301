#pragma once
// Plain loops for GELU, compiled with vectorising flags in GeluKernel.cpp.
#include <cstdint>

namespace ringscope::kernels {

/// y[i] = x[i] * Phi(x[i]).
void geluForward(const float* x, float* y, int64_t n);
/// gx[i] = g[i] * (Phi(x[i]) + x[i] * phi(x[i])).
void geluBackward(const float* x, const float* g, float* gx, int64_t n);

} // namespace ringscope::kernels
