#pragma once
// The one matrix product under RingScope's own kernels (linear layers, attention, the low-rank
// level signals): oneDNN's sgemm where the build has it, else the sgemm of the BLAS libtorch
// links; RINGSCOPE_GEMM=blas in the environment picks the BLAS in a build with both (read once,
// at the first product). oneDNN picks its kernels from the CPU's instruction sets at run time,
// and on CPUs with AVX-512 it runs the products of a step about twice as fast as OpenBLAS's
// AVX2 kernels (docs/architecture.md, "Fast paths").
#include <cstdint>

namespace ringscope::kernels {

/// Row-major C [m, n] = alpha * op(A) op(B) + beta * C (op: transposed or not), leading
/// dimensions in elements. Runs on the threads of the caller's OpenMP team: all of them from
/// outside a parallel region, one inside it. k = 0 scales C by beta; m or n = 0 does nothing.
void gemmRowMajor(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                  float beta = 0.0f);

/// Whether this build has a gemm (otherwise callers use torch's ops).
bool gemmAvailable();

/// What runs the products: "oneDNN <version> <instruction set>", "BLAS", or "" without a gemm.
const char* gemmKernels();

/// Turns the timing of gemmRowMajor on or off (off at start) and resets the total: while on,
/// each product adds its duration times the threads it runs on (the caller's team outside a
/// parallel region, one inside) to gemmTimedMs().
void timeGemms(bool on);

/// Thread-milliseconds spent in gemmRowMajor since the last timeGemms(true).
double gemmTimedMs();

} // namespace ringscope::kernels
