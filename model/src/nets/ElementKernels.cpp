// Element-wise loops. Compiled with -O3 -ffast-math -fopenmp-simd where the compiler supports it
// (see model/CMakeLists.txt): on glibc the erf/exp calls then use libmvec's SIMD variants;
// elsewhere the loops stay scalar and correct. Nothing else may live in this file.
#include "nets/ElementKernels.h"

#include <cmath>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define RINGSCOPE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RINGSCOPE_CLONES
#endif

namespace ringscope::kernels {

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;
} // namespace

RINGSCOPE_CLONES void geluForward(const float* __restrict x, float* __restrict y, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i)
        y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * kInvSqrt2));
}

RINGSCOPE_CLONES void geluBackward(const float* __restrict x, const float* __restrict g,
                                   float* __restrict gx, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        const float cdf = 0.5f * (1.0f + erff(v * kInvSqrt2));
        const float pdf = expf(-0.5f * v * v) * kInvSqrt2Pi;
        gx[i] = g[i] * (cdf + v * pdf);
    }
}

RINGSCOPE_CLONES void softmaxRows(float* __restrict x, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; ++r) {
        float* row = x + r * cols;
        float top = row[0];
        for (int64_t j = 1; j < cols; ++j)
            top = row[j] > top ? row[j] : top;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < cols; ++j) {
            row[j] = expf(row[j] - top);
            sum += row[j];
        }
        const float inv = 1.0f / sum;
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j)
            row[j] *= inv;
    }
}

RINGSCOPE_CLONES void softmaxBackwardRows(const float* __restrict p, float* __restrict g,
                                          int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* pr = p + r * cols;
        float* gr = g + r * cols;
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int64_t j = 0; j < cols; ++j)
            dot += pr[j] * gr[j];
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j)
            gr[j] = pr[j] * (gr[j] - dot);
    }
}

RINGSCOPE_CLONES void adamUpdate(float* __restrict p, const float* __restrict grad,
                                 float* __restrict m, float* __restrict v, int64_t n,
                                 const AdamScalars& s) {
    const float b1 = s.beta1, b2 = s.beta2, c1 = s.gain1, c2 = s.gain2;
    const float l2 = s.l2, keep = s.keep, eps = s.eps, stepSize = s.stepSize,
                root2 = s.rootCorrection2;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
        const float g = grad[i] + l2 * p[i];
        const float mi = m[i] * b1 + g * c1;
        const float vi = v[i] * b2 + g * g * c2;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * keep - stepSize * mi / (std::sqrt(vi) / root2 + eps);
    }
}

RINGSCOPE_CLONES void rowSquareSums(const float* __restrict x, int64_t rows, int64_t cols,
                                    int64_t stride, double* __restrict out) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* row = x + r * stride;
        double sum = 0.0;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < cols; ++j)
            sum += double(row[j]) * double(row[j]);
        out[r] = sum;
    }
}

RINGSCOPE_CLONES void pairSums(const float* __restrict a, const float* __restrict b, int64_t n,
                               double* __restrict out) {
    double aa = 0.0, dd = 0.0, ab = 0.0;
#pragma omp simd reduction(+ : aa, dd, ab)
    for (int64_t i = 0; i < n; ++i) {
        const double x = a[i], y = b[i], diff = x - y;
        aa += x * x;
        dd += diff * diff;
        ab += x * y;
    }
    out[0] = aa;
    out[1] = dd;
    out[2] = ab;
}

RINGSCOPE_CLONES void weightedRowSums(const float* __restrict x, int64_t rows, int64_t cols,
                                      int64_t stride, const float* __restrict w,
                                      float* __restrict out) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * stride;
        const float* wr = w + r * cols;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < cols; ++j)
            sum += xr[j] * wr[j];
        out[r] = sum;
    }
}

} // namespace ringscope::kernels
