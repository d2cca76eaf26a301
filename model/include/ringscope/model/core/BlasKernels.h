#pragma once
/// @file BlasKernels.h
/// Which matrix-product kernels the BLAS under libtorch runs.

#include <string>

namespace ringscope {

/// The kernels in use: OpenBLAS's core name ("Haswell", "SkylakeX", "Cooperlake", ...), or ""
/// when the BLAS is not OpenBLAS. OpenBLAS chooses them at start from the CPU, or from the
/// OPENBLAS_CORETYPE environment variable, which RingScope leaves as it finds it: on some CPUs
/// it is set on purpose, because older OpenBLAS releases compute wrong results there with the
/// kernels they would choose. The benchmarks report it, since sgemm's rate depends on it.
std::string blasKernels();

} // namespace ringscope
