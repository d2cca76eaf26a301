#include "ringscope/model/nets/FastOps.h"

#include "nets/AttentionKernel.h"
#include "nets/ElementKernels.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <vector>

namespace ringscope {

namespace {

constexpr int64_t kGrain = 16384;

torch::Tensor geluForward(const torch::Tensor& x) {
    RECORD_FUNCTION("ringscope::gelu_forward", std::vector<c10::IValue>());
    torch::Tensor in = x.contiguous();
    torch::Tensor out = torch::empty_like(in);
    const float* src = in.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, in.numel(), kGrain,
                     [&](int64_t b, int64_t e) { kernels::geluForward(src + b, dst + b, e - b); });
    return out;
}

torch::Tensor geluBackward(const torch::Tensor& x, const torch::Tensor& grad) {
    RECORD_FUNCTION("ringscope::gelu_backward", std::vector<c10::IValue>());
    torch::Tensor in = x.contiguous(), g = grad.contiguous();
    torch::Tensor out = torch::empty_like(in);
    const float* src = in.data_ptr<float>();
    const float* gp = g.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, in.numel(), kGrain, [&](int64_t b, int64_t e) {
        kernels::geluBackward(src + b, gp + b, dst + b, e - b);
    });
    return out;
}

class GeluFunction : public torch::autograd::Function<GeluFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x) {
        ctx->save_for_backward({x});
        return geluForward(x);
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const torch::Tensor x = ctx->get_saved_variables()[0];
        return {geluBackward(x, grads[0])};
    }
};

kernels::AttentionShape attentionShape(const torch::Tensor& qkv, int64_t heads) {
    kernels::AttentionShape s;
    s.batch = qkv.size(0);
    s.tokens = qkv.size(1);
    s.heads = heads;
    s.headDim = qkv.size(2) / 3 / heads;
    return s;
}

/// Grain of a loop over independent products of `macs` multiply-adds each: about 2^16
/// multiply-adds per task, at least one product.
int64_t productGrain(int64_t macs) {
    return std::max<int64_t>(1, 65536 / std::max<int64_t>(1, macs));
}

/// Grain of the attention slice loops (one slice: N x N x dh per product).
int64_t sliceGrain(const kernels::AttentionShape& s) {
    return productGrain(s.tokens * s.tokens * s.headDim);
}

AttentionOutput attentionForward(const torch::Tensor& qkv, int64_t heads) {
    RECORD_FUNCTION("ringscope::attention_forward", std::vector<c10::IValue>());
    const kernels::AttentionShape s = attentionShape(qkv, heads);
    AttentionOutput out;
    out.probs = torch::empty({s.batch, s.heads, s.tokens, s.tokens}, qkv.options());
    out.context = torch::empty({s.batch, s.tokens, s.hidden()}, qkv.options());
    const float* in = qkv.data_ptr<float>();
    float* probs = out.probs.data_ptr<float>();
    float* context = out.context.data_ptr<float>();
    at::parallel_for(0, s.slices(), sliceGrain(s), [&](int64_t b, int64_t e) {
        kernels::attentionForward(s, in, probs, context, b, e);
    });
    return out;
}

torch::Tensor attentionBackward(const torch::Tensor& qkv, const torch::Tensor& probs,
                                const torch::Tensor& grad, int64_t heads) {
    RECORD_FUNCTION("ringscope::attention_backward", std::vector<c10::IValue>());
    const kernels::AttentionShape s = attentionShape(qkv, heads);
    torch::Tensor dcontext = grad.contiguous();
    torch::Tensor dqkv = torch::empty_like(qkv);
    const float* in = qkv.data_ptr<float>();
    const float* p = probs.data_ptr<float>();
    const float* dc = dcontext.data_ptr<float>();
    float* out = dqkv.data_ptr<float>();
    at::parallel_for(0, s.slices(), sliceGrain(s), [&](int64_t b, int64_t e) {
        std::vector<float> scratch(size_t(s.tokens * s.tokens));
        kernels::attentionBackward(s, in, p, dc, out, scratch.data(), b, e);
    });
    return dqkv;
}

class AttentionFunction : public torch::autograd::Function<AttentionFunction> {
public:
    static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                  const torch::Tensor& qkv, int64_t heads) {
        AttentionOutput out = attentionForward(qkv, heads);
        ctx->save_for_backward({qkv, out.probs});
        ctx->saved_data["heads"] = heads;
        ctx->mark_non_differentiable({out.probs});
        return {out.context, out.probs};
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const int64_t heads = ctx->saved_data["heads"].toInt();
        return {attentionBackward(saved[0], saved[1], grads[0], heads), torch::Tensor()};
    }
};

} // namespace

bool fusedAttentionRuns(const torch::Tensor& qkv) {
    return kernels::attentionKernelAvailable() && qkv.scalar_type() == torch::kFloat32 &&
           qkv.device().is_cpu() && qkv.dim() == 3 && qkv.size(2) % 3 == 0;
}

AttentionOutput fusedAttention(const torch::Tensor& qkv, int64_t heads) {
    TORCH_CHECK(fusedAttentionRuns(qkv), "fusedAttention needs float32 [B, N, 3d] on the CPU");
    TORCH_CHECK(heads > 0 && (qkv.size(2) / 3) % heads == 0, "fusedAttention: ", heads,
                " heads do not divide d = ", qkv.size(2) / 3);
    const torch::Tensor in = qkv.contiguous();
    if (!(in.requires_grad() && torch::GradMode::is_enabled())) return attentionForward(in, heads);
    const torch::autograd::variable_list out = AttentionFunction::apply(in, heads);
    return {out[0], out[1]};
}

torch::Tensor batchedGemm(const torch::Tensor& a, const torch::Tensor& b) {
    if (!kernels::attentionKernelAvailable() || a.scalar_type() != torch::kFloat32 ||
        b.scalar_type() != torch::kFloat32 || !a.device().is_cpu() || a.dim() != 3)
        return torch::matmul(a, b);
    TORCH_CHECK(b.dim() == 3 && a.size(0) == b.size(0) && a.size(2) == b.size(1),
                "batchedGemm: shapes ", a.sizes(), " and ", b.sizes(), " do not multiply");
    const torch::Tensor x = a.contiguous();
    // A transposed contiguous tensor (a Gram matrix's X^T) is read as it lies, not copied.
    const bool transB = !b.is_contiguous() && b.transpose(1, 2).is_contiguous();
    const torch::Tensor y = transB ? b : b.contiguous();
    const int64_t count = x.size(0), m = x.size(1), k = x.size(2), n = y.size(2);
    torch::Tensor c = torch::empty({count, m, n}, x.options());
    const float* px = x.data_ptr<float>();
    const float* py = y.data_ptr<float>();
    float* pc = c.data_ptr<float>();
    at::parallel_for(0, count, productGrain(m * n * k), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            kernels::gemmRowMajor(false, transB, m, n, k, 1.0f, px + i * m * k, k, py + i * k * n,
                                  transB ? k : n, pc + i * m * n, n);
    });
    return c;
}

namespace {

/// Whether the rows of x's last dimension lie `x.stride(-2)` floats apart throughout (a
/// contiguous tensor, or one whose last dimension was narrowed).
bool uniformRows(const torch::Tensor& x) {
    if (x.dim() < 1 || x.stride(-1) != 1) return false;
    for (int64_t i = 0; i + 2 < x.dim(); ++i)
        if (x.stride(i) != x.size(i + 1) * x.stride(i + 1)) return false;
    return true;
}

} // namespace

torch::Tensor rowNorms(const torch::Tensor& x) {
    if (x.scalar_type() != torch::kFloat32 || !x.device().is_cpu() || x.dim() < 1)
        return torch::linalg_vector_norm(x, 2, std::vector<int64_t>{-1}).to(torch::kFloat64);
    const torch::Tensor in = uniformRows(x) ? x : x.contiguous();
    const int64_t cols = in.size(-1), rows = cols == 0 ? 0 : in.numel() / cols;
    const int64_t stride = in.dim() >= 2 ? in.stride(-2) : cols;
    std::vector<int64_t> shape(in.sizes().begin(), in.sizes().end() - 1);
    torch::Tensor out = torch::empty(shape, in.options().dtype(torch::kFloat64));
    const float* src = in.data_ptr<float>();
    double* dst = out.data_ptr<double>();
    at::parallel_for(0, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(cols, 1)),
                     [&](int64_t b, int64_t e) {
                         kernels::rowSquareSums(src + b * stride, e - b, cols, stride, dst + b);
                     });
    return out.sqrt_();
}

torch::Tensor pairSums(const torch::Tensor& a, const torch::Tensor& b) {
    TORCH_CHECK(a.sizes() == b.sizes() && a.dim() >= 1, "pairSums: shapes ", a.sizes(), " and ",
                b.sizes(), " differ");
    const int64_t B = a.size(0);
    if (a.scalar_type() != torch::kFloat32 || b.scalar_type() != torch::kFloat32 ||
        !a.device().is_cpu()) {
        const torch::Tensor x = a.flatten(1).to(torch::kFloat64),
                            y = b.flatten(1).to(torch::kFloat64);
        return torch::stack({x.square().sum(1), (x - y).square().sum(1), (x * y).sum(1)}, 1);
    }
    const torch::Tensor x = a.contiguous(), y = b.contiguous();
    const int64_t n = B == 0 ? 0 : x.numel() / B;
    torch::Tensor out = torch::empty({B, 3}, x.options().dtype(torch::kFloat64));
    const float* px = x.data_ptr<float>();
    const float* py = y.data_ptr<float>();
    double* po = out.data_ptr<double>();
    at::parallel_for(0, B, std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1)),
                     [&](int64_t begin, int64_t end) {
                         for (int64_t i = begin; i < end; ++i)
                             kernels::pairSums(px + i * n, py + i * n, n, po + 3 * i);
                     });
    return out;
}

torch::Tensor fastGelu(const torch::Tensor& x) {
    if (x.scalar_type() != torch::kFloat32 || !x.device().is_cpu()) return torch::gelu(x);
    if (x.requires_grad() && torch::GradMode::is_enabled()) return GeluFunction::apply(x);
    return geluForward(x);
}

} // namespace ringscope
