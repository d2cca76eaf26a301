#include "ringscope/model/train/Gradients.h"

#include "nets/ElementKernels.h"

#include <ATen/Parallel.h>

#include <cmath>

namespace ringscope {

namespace {

constexpr int64_t kBlock = 32768; // floats summed per task: fixed, so the sum's order is too

bool vectorisable(const torch::Tensor& g) {
    return g.scalar_type() == torch::kFloat32 && g.device().is_cpu() && g.is_contiguous() &&
           !g.is_sparse();
}

/// Sum of the squares of one gradient, in double.
double squareSum(const torch::Tensor& g) {
    if (!vectorisable(g)) return g.to(torch::kFloat64).square().sum().item<double>();
    const float* data = g.data_ptr<float>();
    const int64_t n = g.numel(), blocks = (n + kBlock - 1) / kBlock;
    std::vector<double> partial(size_t(blocks), 0.0);
    at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
            const int64_t begin = b * kBlock, count = std::min(kBlock, n - begin);
            kernels::rowSquareSums(data + begin, 1, count, count, &partial[size_t(b)]);
        }
    });
    double sum = 0.0;
    for (double s : partial)
        sum += s;
    return sum;
}

void scale(torch::Tensor& g, float factor) {
    if (!vectorisable(g)) {
        g.mul_(factor);
        return;
    }
    float* data = g.data_ptr<float>();
    at::parallel_for(0, g.numel(), kBlock,
                     [&](int64_t b, int64_t e) { kernels::scale(data + b, factor, e - b); });
}

} // namespace

void clearGradients(const std::vector<torch::Tensor>& params) {
    for (const torch::Tensor& p : params)
        if (p.grad().defined()) p.mutable_grad().reset();
}

double clipGradientNorm(const std::vector<torch::Tensor>& params, double maxNorm) {
    torch::NoGradGuard noGrad;
    double squares = 0.0;
    bool any = false;
    for (const torch::Tensor& p : params)
        if (p.grad().defined()) {
            squares += squareSum(p.grad());
            any = true;
        }
    if (!any) return 0.0;
    const double norm = std::sqrt(squares);
    // torch computes the factor in float from the float norm; NaN (a non-finite norm) scales too.
    const float factor = float(maxNorm) / (float(norm) + 1e-6f);
    if (factor >= 1.0f) return norm;
    for (const torch::Tensor& p : params)
        if (p.grad().defined()) {
            torch::Tensor g = p.grad();
            scale(g, factor);
        }
    return norm;
}

} // namespace ringscope
