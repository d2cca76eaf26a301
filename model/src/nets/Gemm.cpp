#include "nets/Gemm.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(RINGSCOPE_WITH_DNNL)
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#endif
#if defined(RINGSCOPE_WITH_BLAS)
extern "C" void sgemm_(const char* transa, const char* transb, const int* m, const int* n,
                       const int* k, const float* alpha, const float* a, const int* lda,
                       const float* b, const int* ldb, const float* beta, float* c, const int* ldc);
#endif

namespace ringscope::kernels {

namespace {

/// C = beta * C over m rows of n (a product with nothing to sum).
void scaleRows(int64_t m, int64_t n, float* c, int64_t ldc, float beta) {
    for (int64_t i = 0; i < m; ++i) {
        float* row = c + i * ldc;
        if (beta == 0.0f)
            std::fill(row, row + n, 0.0f);
        else
            std::transform(row, row + n, row, [beta](float v) { return beta * v; });
    }
}

enum class Backend { None, Dnnl, Blas };

/// oneDNN where built with it, unless RINGSCOPE_GEMM=blas asks for the BLAS (a way around a
/// CPU on which oneDNN's kernels misbehave, and the other side of a comparison); the BLAS
/// where built without oneDNN.
Backend chooseBackend() {
#if defined(RINGSCOPE_WITH_DNNL) && defined(RINGSCOPE_WITH_BLAS)
    const char* wanted = std::getenv("RINGSCOPE_GEMM");
    return wanted && std::strcmp(wanted, "blas") == 0 ? Backend::Blas : Backend::Dnnl;
#elif defined(RINGSCOPE_WITH_DNNL)
    return Backend::Dnnl;
#elif defined(RINGSCOPE_WITH_BLAS)
    return Backend::Blas;
#else
    return Backend::None;
#endif
}

Backend backend() {
    static const Backend chosen = chooseBackend();
    return chosen;
}

#if defined(RINGSCOPE_WITH_DNNL)
void dnnlGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
              const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
              float beta) {
    const dnnl_status_t status = dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, alpha,
                                            a, lda, b, ldb, beta, c, ldc);
    TORCH_CHECK(status == dnnl_success, "oneDNN sgemm failed (status ", int(status), ") on [", m,
                ", ", k, "] x [", k, ", ", n, "]");
}
#endif

#if defined(RINGSCOPE_WITH_BLAS)
// BLAS is column-major: a row-major matrix is its transpose there, so C^T = op(B)^T op(A)^T.
void blasGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
              const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
              float beta) {
    const char ta = transB ? 'T' : 'N', tb = transA ? 'T' : 'N';
    const int M = int(n), N = int(m), K = int(k), la = int(ldb), lb = int(lda), lc = int(ldc);
    sgemm_(&ta, &tb, &M, &N, &K, &alpha, b, &la, a, &lb, &beta, c, &lc);
}
#endif

std::atomic<bool> timing{false};
std::atomic<int64_t> timedNs{0};

/// The threads a product called here runs on: the caller's whole team outside a parallel
/// region, the calling thread alone inside one.
int productThreads() {
#ifdef _OPENMP
    return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
    return 1;
#endif
}

void product(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
             int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, float beta) {
    switch (backend()) {
#if defined(RINGSCOPE_WITH_DNNL)
    case Backend::Dnnl:
        return dnnlGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, beta);
#endif
#if defined(RINGSCOPE_WITH_BLAS)
    case Backend::Blas:
        return blasGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, beta);
#endif
    default:
        TORCH_CHECK(false, "this build of RingScope has no gemm");
    }
}

} // namespace

void gemmRowMajor(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                  float beta) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) return scaleRows(m, n, c, ldc, beta);
    if (!timing.load(std::memory_order_relaxed))
        return product(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, beta);
    const auto t0 = std::chrono::steady_clock::now();
    product(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, beta);
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0);
    timedNs.fetch_add(ns.count() * productThreads(), std::memory_order_relaxed);
}

void timeGemms(bool on) {
    timedNs.store(0);
    timing.store(on);
}

double gemmTimedMs() {
    return double(timedNs.load()) / 1e6;
}

bool gemmAvailable() {
    return backend() != Backend::None;
}

const char* gemmKernels() {
    switch (backend()) {
#if defined(RINGSCOPE_WITH_DNNL)
    case Backend::Dnnl: {
        static const std::string name = [] {
            const dnnl_version_t* v = dnnl_version();
            return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                   std::to_string(v->patch) + " " + dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa());
        }();
        return name.c_str();
    }
#endif
    case Backend::Blas:
        return "BLAS";
    default:
        return "";
    }
}

} // namespace ringscope::kernels
