#include "nets/AttentionKernel.h"

#include "nets/ElementKernels.h"
#include "nets/Gemm.h"

#include <cmath>

namespace ringscope::kernels {

void attentionForward(const AttentionShape& s, const float* qkv, float* probs, float* context,
                      int64_t begin, int64_t end) {
    const int64_t N = s.tokens, H = s.heads, dh = s.headDim, d = s.hidden(), row = 3 * d;
    const float scale = float(1.0 / std::sqrt(double(dh)));
    for (int64_t slice = begin; slice < end; ++slice) {
        const int64_t b = slice / H, h = slice % H;
        const float* q = qkv + b * N * row + h * dh;
        const float* k = q + d;
        const float* v = q + 2 * d;
        float* p = probs + slice * N * N;
        gemmRowMajor(false, true, N, N, dh, scale, q, row, k, row, p, N);
        softmaxRows(p, N, N);
        gemmRowMajor(false, false, N, dh, N, 1.0f, p, N, v, row, context + b * N * d + h * dh, d);
    }
}

void attentionBackward(const AttentionShape& s, const float* qkv, const float* probs,
                       const float* dcontext, float* dqkv, float* scratch, int64_t begin,
                       int64_t end) {
    const int64_t N = s.tokens, H = s.heads, dh = s.headDim, d = s.hidden(), row = 3 * d;
    const float scale = float(1.0 / std::sqrt(double(dh)));
    for (int64_t slice = begin; slice < end; ++slice) {
        const int64_t b = slice / H, h = slice % H;
        const int64_t offset = b * N * row + h * dh;
        const float* q = qkv + offset;
        const float* k = q + d;
        const float* v = q + 2 * d;
        const float* p = probs + slice * N * N;
        const float* dc = dcontext + b * N * d + h * dh;
        float* dq = dqkv + offset;
        gemmRowMajor(true, false, N, dh, N, 1.0f, p, N, dc, d, dq + 2 * d, row);     // dV = P^T dC
        gemmRowMajor(false, true, N, N, dh, 1.0f, dc, d, v, row, scratch, N);        // dP = dC V^T
        softmaxBackwardRows(p, scratch, N, N);                                       // dS
        gemmRowMajor(false, false, N, dh, N, scale, scratch, N, k, row, dq, row);    // dQ = dS K
        gemmRowMajor(true, false, N, dh, N, scale, scratch, N, q, row, dq + d, row); // dK
    }
}

} // namespace ringscope::kernels
