// Element-wise loops. Compiled with -O3 -ffast-math -fopenmp-simd where the compiler supports it
// (see model/CMakeLists.txt): on glibc the softmax's exp calls then use libmvec's SIMD variants
// (GELU computes its own, inline); elsewhere the loops stay scalar and correct. Nothing else may
// live in this file.
#include "nets/ElementKernels.h"

#include <cmath>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define RINGSCOPE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RINGSCOPE_CLONES
#endif

// The GELU loops also get a clone for AVX-512 and one for AVX2 with FMA (x86-64-v4 and v3):
// their arithmetic is all multiply-adds, which run 3x faster there than on the plain AVX2 clone.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define RINGSCOPE_WIDE_CLONES                                                                      \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define RINGSCOPE_WIDE_CLONES
#endif

namespace ringscope::kernels {

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;

/// exp(x) for x <= 0 (Cephes' expf: Cody-Waite reduction by ln 2 and a degree-6 polynomial,
/// relative error about 2e-7); below -87 it returns exp(-87) (about 1.6e-38), not a denormal.
/// Inline arithmetic, so that the loops below vectorise without calls into libm.
#pragma omp declare simd
inline float expNonPositive(float x) {
    x = x < -87.0f ? -87.0f : x;
    const float n = std::floor(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/// erfc(z) / (t exp(-z^2)) for z >= 0 as a function of t = 1 / (1 + z / 2): exp(c(t)), with c
/// the Chebyshev fit of Numerical Recipes' erfcc (relative error below 1.2e-7 for all z), itself
/// fitted by a degree-11 polynomial in u = 2t - 1 (interpolation at 400 Chebyshev nodes of
/// [-1, 1], relative error below 2.2e-8 in double, 2.1e-7 with float rounding). One polynomial
/// instead of c(t) and a second exponential.
#pragma omp declare simd
inline float erfcScaled(float t) {
    const float u = 2.0f * t - 1.0f;
    float p = 4.483949031e-05f;
    p = p * u + 4.518661193e-05f;
    p = p * u - 1.599136781e-04f;
    p = p * u - 3.069913007e-04f;
    p = p * u + 5.539800145e-04f;
    p = p * u + 1.535862296e-03f;
    p = p * u - 3.297399264e-03f;
    p = p * u - 1.075404964e-02f;
    p = p * u + 1.823129504e-02f;
    p = p * u + 1.397360348e-01f;
    p = p * u + 3.435798330e-01f;
    return p * u + 5.107913475e-01f;
}

/// Phi(v) and phi(v) (the standard normal's CDF and density) with small relative error in both
/// tails: the lower tail is Phi(-|v|) = erfc(|v| / sqrt 2) / 2 itself, not 1 minus something
/// near 1 (where 1 + erf(v / sqrt 2) loses all digits below v = -4).
struct Normal {
    float cdf, pdf;
};
#pragma omp declare simd
inline Normal normalAt(float v) {
    const float z = std::fabs(v) * kInvSqrt2;
    const float t = 1.0f / (1.0f + 0.5f * z);
    const float gauss = expNonPositive(-z * z); // exp(-v^2 / 2)
    const float tail = 0.5f * t * gauss * erfcScaled(t);
    return {v < 0.0f ? tail : 1.0f - tail, gauss * kInvSqrt2Pi};
}

/// Phi(v) alone: the same value as normalAt(v).cdf, without the density.
#pragma omp declare simd
inline float normalCdf(float v) {
    return normalAt(v).cdf;
}
} // namespace

RINGSCOPE_WIDE_CLONES void geluForward(const float* __restrict x, float* __restrict y, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i)
        y[i] = x[i] * normalCdf(x[i]);
}

RINGSCOPE_WIDE_CLONES void biasGelu(float* __restrict x, const float* __restrict bias, int64_t rows,
                                    int64_t cols) {
    for (int64_t r = 0; r < rows; ++r) {
        float* row = x + r * cols;
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) {
            const float v = row[j] + bias[j];
            row[j] = v * normalCdf(v);
        }
    }
}

RINGSCOPE_WIDE_CLONES void biasGeluWithSlope(float* __restrict x, const float* __restrict bias,
                                             float* __restrict slope, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; ++r) {
        float* row = x + r * cols;
        float* sr = slope + r * cols;
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) {
            const float v = row[j] + bias[j];
            const Normal d = normalAt(v);
            row[j] = v * d.cdf;
            sr[j] = d.cdf + v * d.pdf;
        }
    }
}

RINGSCOPE_WIDE_CLONES void geluBackward(const float* __restrict x, const float* __restrict g,
                                        float* __restrict gx, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        const Normal d = normalAt(v);
        gx[i] = g[i] * (d.cdf + v * d.pdf);
    }
}

RINGSCOPE_CLONES void multiply(const float* __restrict a, const float* __restrict b,
                               float* __restrict out, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i)
        out[i] = a[i] * b[i];
}

RINGSCOPE_CLONES void multiplyInto(float* __restrict x, const float* __restrict b, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i)
        x[i] *= b[i];
}

RINGSCOPE_CLONES void multiplyIntoSummingColumns(float* __restrict x, const float* __restrict b,
                                                 int64_t rows, int64_t cols, int64_t stride,
                                                 double* __restrict sums) {
    for (int64_t r = 0; r < rows; ++r) {
        float* xr = x + r * stride;
        const float* br = b + r * stride;
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) {
            const float v = xr[j] * br[j];
            xr[j] = v;
            sums[j] += double(v);
        }
    }
}

RINGSCOPE_CLONES void scale(float* __restrict x, float factor, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i)
        x[i] *= factor;
}

RINGSCOPE_CLONES void addRowVector(const float* __restrict x, int64_t stride,
                                   const float* __restrict v, float* __restrict out, int64_t rows,
                                   int64_t cols) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * stride;
        float* o = out + r * cols;
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j)
            o[j] = xr[j] + v[j];
    }
}

RINGSCOPE_WIDE_CLONES void layerNormRows(const float* __restrict x, int64_t rows, int64_t cols,
                                         int64_t stride, const float* __restrict w,
                                         const float* __restrict b, float eps, float* __restrict y,
                                         float* __restrict mean, float* __restrict rstd) {
    const float inv = 1.0f / float(cols);
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * stride;
        float* yr = y + r * cols;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < cols; ++j)
            sum += xr[j];
        const float mu = sum * inv;
        float squares = 0.0f;
#pragma omp simd reduction(+ : squares)
        for (int64_t j = 0; j < cols; ++j)
            squares += (xr[j] - mu) * (xr[j] - mu);
        const float scale = 1.0f / std::sqrt(squares * inv + eps);
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j)
            yr[j] = (xr[j] - mu) * scale * w[j] + b[j];
        mean[r] = mu;
        rstd[r] = scale;
    }
}

RINGSCOPE_WIDE_CLONES void
layerNormBackwardRows(const float* __restrict x, const float* __restrict g, int64_t rows,
                      int64_t cols, int64_t stride, int64_t gradStride, const float* __restrict w,
                      const float* __restrict mean, const float* __restrict rstd,
                      float* __restrict gx, float* __restrict gw, float* __restrict gb) {
    const float inv = 1.0f / float(cols);
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * stride;
        const float* gr = g + r * gradStride;
        const float mu = mean[r], scale = rstd[r];
        float sumG = 0.0f, sumGX = 0.0f; // sum of g w and of g w xhat over the row
#pragma omp simd reduction(+ : sumG, sumGX)
        for (int64_t j = 0; j < cols; ++j) {
            const float xhat = (xr[j] - mu) * scale, gh = gr[j] * w[j];
            sumG += gh;
            sumGX += gh * xhat;
            gw[j] += gr[j] * xhat;
            gb[j] += gr[j];
        }
        if (!gx) continue;
        const float a = sumG * inv, c = sumGX * inv;
        float* gxr = gx + r * cols;
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j)
            gxr[j] = scale * (gr[j] * w[j] - a - (xr[j] - mu) * scale * c);
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
