#include "nets/AttentionKernel.h"

#include "nets/ElementKernels.h"

#include <cmath>

#ifdef RINGSCOPE_WITH_BLAS
extern "C" void sgemm_(const char* transa, const char* transb, const int* m, const int* n,
                       const int* k, const float* alpha, const float* a, const int* lda,
                       const float* b, const int* ldb, const float* beta, float* c, const int* ldc);
#endif

namespace ringscope::kernels {

// BLAS is column-major: a row-major matrix is its transpose there, so C^T = op(B)^T op(A)^T.
void gemmRowMajor(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                  float beta) {
#ifdef RINGSCOPE_WITH_BLAS
    const char ta = transB ? 'T' : 'N', tb = transA ? 'T' : 'N';
    const int M = int(n), N = int(m), K = int(k), la = int(ldb), lb = int(lda), lc = int(ldc);
    sgemm_(&ta, &tb, &M, &N, &K, &alpha, b, &la, a, &lb, &beta, c, &lc);
#else
    (void)transA, (void)transB, (void)m, (void)n, (void)k, (void)alpha, (void)a, (void)lda, (void)b,
        (void)ldb, (void)c, (void)ldc, (void)beta;
#endif
}

bool attentionKernelAvailable() {
#ifdef RINGSCOPE_WITH_BLAS
    return true;
#else
    return false;
#endif
}

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
