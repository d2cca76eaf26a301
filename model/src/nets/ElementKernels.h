#pragma once
// Plain loops for GELU, the softmax rows of attention and the sums of the analyses, compiled with
// vectorising flags in ElementKernels.cpp.
#include <cstdint>

namespace ringscope::kernels {

/// y[i] = x[i] * Phi(x[i]) (the exact GELU; Phi from an erfc fit whose relative error stays
/// below 1e-5 down to x = -8, where 1 + erf(x / sqrt 2) has no digit left).
void geluForward(const float* x, float* y, int64_t n);
/// GELU(x[r, j] + bias[j]) in place over `rows` contiguous rows of `cols` floats.
void biasGelu(float* x, const float* bias, int64_t rows, int64_t cols);
/// As biasGelu, and slope[r, j] = GELU'(v) = Phi(v) + v phi(v) of the same v = x[r, j] +
/// bias[j]: both from one evaluation of Phi and phi, what the backward needs saved.
void biasGeluWithSlope(float* x, const float* bias, float* slope, int64_t rows, int64_t cols);
/// gx[i] = g[i] * (Phi(x[i]) + x[i] * phi(x[i])).
void geluBackward(const float* x, const float* g, float* gx, int64_t n);
/// out[i] = a[i] * b[i].
void multiply(const float* a, const float* b, float* out, int64_t n);
/// x[i] *= b[i].
void multiplyInto(float* x, const float* b, int64_t n);
/// x[r * stride + j] *= b[r * stride + j] over `rows` rows of `cols` floats, and sums[j] += each
/// product (in double, rows in order): a hidden gradient times GELU' and its column sums, the
/// first layer's bias gradient, in one pass.
void multiplyIntoSummingColumns(float* x, const float* b, int64_t rows, int64_t cols,
                                int64_t stride, double* sums);
/// x[i] *= factor.
void scale(float* x, float factor, int64_t n);
/// out[r, j] = x[r * stride + j] + v[j] over `rows` rows of `cols` floats (out contiguous): a
/// residual plus a bias, where a product then adds onto it.
void addRowVector(const float* x, int64_t stride, const float* v, float* out, int64_t rows,
                  int64_t cols);

/// LayerNorm of `rows` rows of `cols` floats (row r at x + r * stride) into y (contiguous):
/// y = (x - mean) * rstd * w + b with rstd = 1 / sqrt(biased variance + eps); the rows' mean and
/// rstd are stored for the backward.
void layerNormRows(const float* x, int64_t rows, int64_t cols, int64_t stride, const float* w,
                   const float* b, float eps, float* y, float* mean, float* rstd);
/// LayerNorm's backward over `rows` rows (x and g at their strides): gx (contiguous; skipped
/// when null) = rstd * (g w - mean(g w) - xhat mean(g w xhat)), and the weight and bias
/// gradients, sum g xhat and sum g, added into gw and gb.
void layerNormBackwardRows(const float* x, const float* g, int64_t rows, int64_t cols,
                           int64_t stride, int64_t gradStride, const float* w, const float* mean,
                           const float* rstd, float* gx, float* gw, float* gb);

/// Softmax of each of `rows` rows of `cols` contiguous floats, in place (max subtracted first).
void softmaxRows(float* x, int64_t rows, int64_t cols);
/// Softmax backward in place: g[i,j] = p[i,j] * (g[i,j] - sum_k p[i,k] g[i,k]), for `rows` rows
/// of `cols` contiguous floats (g holds dL/dp on entry, dL/ds on return).
void softmaxBackwardRows(const float* p, float* g, int64_t rows, int64_t cols);

/// The scalars of one Adam step on one parameter (torch::optim::Adam's and AdamW's formulas).
struct AdamScalars {
    float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
    float gain1 = 0.1f, gain2 = 0.001f; ///< 1 - beta1, 1 - beta2, rounded from double as torch
    float l2 = 0.0f;                    ///< Adam's weight decay: added to the gradient as l2 * p
    float keep = 1.0f;            ///< AdamW's decoupled decay: p *= keep (1 - lr * decay) first
    float stepSize = 1e-3f;       ///< lr / (1 - beta1^t)
    float rootCorrection2 = 1.0f; ///< sqrt(1 - beta2^t)
};
/// One Adam step over n floats: m = b1 m + gain1 g, v = b2 v + gain2 g^2,
/// p -= stepSize * m / (sqrt(v) / rootCorrection2 + eps), with g = grad + l2 * p and p first
/// scaled by `keep`.
void adamUpdate(float* p, const float* grad, float* m, float* v, int64_t n, const AdamScalars& s);

/// out[i] = sum_j x[i * stride + j]^2 for `rows` rows of `cols` contiguous floats, summed in
/// double.
void rowSquareSums(const float* x, int64_t rows, int64_t cols, int64_t stride, double* out);
/// Over n floats: out[0] = sum a^2, out[1] = sum (a - b)^2, out[2] = sum a b, summed in double.
void pairSums(const float* a, const float* b, int64_t n, double* out);
/// out[i] = sum_j x[i * stride + j] * w[i * cols + j] for `rows` rows of `cols` floats (each
/// row of x weighted by its own row of w), summed in float.
void weightedRowSums(const float* x, int64_t rows, int64_t cols, int64_t stride, const float* w,
                     float* out);

} // namespace ringscope::kernels
