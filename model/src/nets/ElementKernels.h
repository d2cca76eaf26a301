#pragma once
// Plain loops for GELU and the softmax rows of attention, compiled with vectorising flags in
// ElementKernels.cpp.
#include <cstdint>

namespace ringscope::kernels {

/// y[i] = x[i] * Phi(x[i]).
void geluForward(const float* x, float* y, int64_t n);
/// gx[i] = g[i] * (Phi(x[i]) + x[i] * phi(x[i])).
void geluBackward(const float* x, const float* g, float* gx, int64_t n);

/// Softmax of each of `rows` rows of `cols` contiguous floats, in place (max subtracted first).
void softmaxRows(float* x, int64_t rows, int64_t cols);
/// Softmax backward in place: g[i,j] = p[i,j] * (g[i,j] - sum_k p[i,k] g[i,k]), for `rows` rows
/// of `cols` contiguous floats (g holds dL/dp on entry, dL/ds on return).
void softmaxBackwardRows(const float* p, float* g, int64_t rows, int64_t cols);

} // namespace ringscope::kernels
