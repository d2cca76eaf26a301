#include "ringscope/model/nets/FastOps.h"

#include "nets/AttentionKernel.h"
#include "nets/Gemm.h"
#include "nets/ElementKernels.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

namespace ringscope {

namespace {

constexpr int64_t kGrain = 16384;

/// Whether `t` is a float32 tensor on the CPU, what the kernels here read.
bool cpuFloat(const torch::Tensor& t) {
    return t.scalar_type() == torch::kFloat32 && t.device().is_cpu();
}

/// Whether RingScope's gemm can multiply these tensors: the build has one and all are float32
/// on the CPU (otherwise torch's ops do).
template <class... Tensors> bool gemmRuns(const Tensors&... tensors) {
    return kernels::gemmAvailable() && (cpuFloat(tensors) && ...);
}

/// Whether an op over these tensors records its backward: grad mode is on and one of them
/// requires a gradient.
template <class... Tensors> bool recordsBackward(const Tensors&... tensors) {
    return torch::GradMode::is_enabled() && (tensors.requires_grad() || ...);
}

/// `bias` contiguous, or for none the empty stand-in the products read as "no bias" (autograd
/// functions take no undefined inputs).
torch::Tensor biasOrEmpty(const torch::Tensor& bias, const torch::Tensor& weight) {
    return bias.defined() ? bias.contiguous() : torch::empty({0}, weight.options());
}

/// The element-wise loop `body(begin, end)` over n floats, in blocks over the threads.
template <class Body> void elementwise(int64_t n, const Body& body) {
    at::parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) { body(b, e - b); });
}

/// `body(begin, end)` over `rows` rows of `width` floats each, in blocks of about kGrain floats
/// over the threads.
template <class Body> void forRows(int64_t rows, int64_t width, const Body& body) {
    at::parallel_for(0, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(width, 1)), body);
}

torch::Tensor geluForward(const torch::Tensor& x) {
    RECORD_FUNCTION("ringscope::gelu_forward", std::vector<c10::IValue>());
    torch::Tensor in = x.contiguous();
    torch::Tensor out = torch::empty_like(in);
    const float* src = in.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    elementwise(in.numel(),
                [&](int64_t b, int64_t n) { kernels::geluForward(src + b, dst + b, n); });
    return out;
}

torch::Tensor geluBackward(const torch::Tensor& x, const torch::Tensor& grad) {
    RECORD_FUNCTION("ringscope::gelu_backward", std::vector<c10::IValue>());
    torch::Tensor in = x.contiguous(), g = grad.contiguous();
    torch::Tensor out = torch::empty_like(in);
    const float* src = in.data_ptr<float>();
    const float* gp = g.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    elementwise(in.numel(),
                [&](int64_t b, int64_t n) { kernels::geluBackward(src + b, gp + b, dst + b, n); });
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
    return gemmRuns(qkv) && qkv.dim() == 3 && qkv.size(2) % 3 == 0;
}

AttentionOutput fusedAttention(const torch::Tensor& qkv, int64_t heads) {
    TORCH_CHECK(fusedAttentionRuns(qkv), "fusedAttention needs float32 [B, N, 3d] on the CPU");
    TORCH_CHECK(heads > 0 && (qkv.size(2) / 3) % heads == 0, "fusedAttention: ", heads,
                " heads do not divide d = ", qkv.size(2) / 3);
    const torch::Tensor in = qkv.contiguous();
    if (!recordsBackward(in)) return attentionForward(in, heads);
    const torch::autograd::variable_list out = AttentionFunction::apply(in, heads);
    return {out[0], out[1]};
}

torch::Tensor batchedGemm(const torch::Tensor& a, const torch::Tensor& b) {
    if (!gemmRuns(a, b) || a.dim() != 3) return torch::matmul(a, b);
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

/// A float32 matrix view of `x` [..., c] as rows: its data, row count and row stride (a copy
/// only when the rows do not sit at one stride).
struct Rows {
    torch::Tensor tensor;
    const float* data = nullptr;
    int64_t count = 0, stride = 0;
    explicit Rows(const torch::Tensor& x) : tensor(uniformRows(x) ? x : x.contiguous()) {
        const int64_t cols = tensor.size(-1);
        count = cols == 0 ? 0 : tensor.numel() / cols;
        stride = tensor.dim() >= 2 ? tensor.stride(-2) : cols;
        data = tensor.data_ptr<float>();
    }
};

/// The fixed row blocks of a thin product over `rows` rows: up to 8 of at least 256 rows.
int64_t thinBlocks(int64_t rows) {
    return std::clamp<int64_t>(rows / 256, 1, 8);
}

/// Calls f(begin, end) for every row block, the blocks spread over the threads.
template <typename F> void forRowBlocks(int64_t rows, F&& f) {
    const int64_t blocks = thinBlocks(rows);
    at::parallel_for(0, blocks, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
            f(i, rows * i / blocks, rows * (i + 1) / blocks);
    });
}

/// parts[0] + parts[1] + ... in that order (the row blocks' partial products).
torch::Tensor sumInOrder(const torch::Tensor& parts) {
    torch::Tensor sum = parts[0].clone();
    for (int64_t i = 1; i < parts.size(0); ++i)
        sum.add_(parts[i]);
    return sum;
}

/// y [..., n] = x w^T, w [n, k] contiguous.
torch::Tensor thinForward(const torch::Tensor& x, const torch::Tensor& w) {
    RECORD_FUNCTION("ringscope::thin_linear", std::vector<c10::IValue>());
    const Rows in(x);
    const int64_t n = w.size(0), k = w.size(1);
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = n;
    torch::Tensor y = torch::empty(shape, x.options());
    float* out = y.data_ptr<float>();
    const float* pw = w.data_ptr<float>();
    forRowBlocks(in.count, [&](int64_t, int64_t r0, int64_t r1) {
        kernels::gemmRowMajor(false, true, r1 - r0, n, k, 1.0f, in.data + r0 * in.stride, in.stride,
                              pw, k, out + r0 * n, n);
    });
    return y;
}

/// The input gradient g w ([..., n] x [n, k]) and the weight gradient g^T x ([n, k], the row
/// blocks' partial products summed in block order); either may be skipped.
std::pair<torch::Tensor, torch::Tensor> thinBackward(const torch::Tensor& x, const torch::Tensor& w,
                                                     const torch::Tensor& grad, bool wantInput,
                                                     bool wantWeight) {
    RECORD_FUNCTION("ringscope::thin_linear_backward", std::vector<c10::IValue>());
    const Rows g(grad), in(x);
    const int64_t n = w.size(0), k = w.size(1), blocks = thinBlocks(g.count);
    torch::Tensor gx = wantInput ? torch::empty(x.sizes(), x.options()) : torch::Tensor();
    torch::Tensor parts = wantWeight ? torch::empty({blocks, n, k}, w.options()) : torch::Tensor();
    const float* pw = w.data_ptr<float>();
    forRowBlocks(g.count, [&](int64_t i, int64_t r0, int64_t r1) {
        const float* gr = g.data + r0 * g.stride;
        if (wantInput)
            kernels::gemmRowMajor(false, false, r1 - r0, k, n, 1.0f, gr, g.stride, pw, k,
                                  gx.data_ptr<float>() + r0 * k, k);
        if (wantWeight)
            kernels::gemmRowMajor(true, false, n, k, r1 - r0, 1.0f, gr, g.stride,
                                  in.data + r0 * in.stride, in.stride,
                                  parts.data_ptr<float>() + i * n * k, k);
    });
    return {gx, wantWeight ? sumInOrder(parts) : torch::Tensor()};
}

class ThinLinearFunction : public torch::autograd::Function<ThinLinearFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& w) {
        ctx->save_for_backward({x, w});
        return thinForward(x, w);
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        auto [gx, gw] = thinBackward(saved[0], saved[1], grads[0], ctx->needs_input_grad(0),
                                     ctx->needs_input_grad(1));
        return {gx, gw};
    }
};

/// base + the block terms (see addLowRank); a contiguous [G, r, n]. `inPlace` adds them onto
/// base itself, which must then be contiguous (a product's fresh output, see linearLowRank).
torch::Tensor addLowRankForward(const torch::Tensor& base, const torch::Tensor& t,
                                const torch::Tensor& a, double* squares = nullptr,
                                bool inPlace = false) {
    RECORD_FUNCTION("ringscope::add_low_rank", std::vector<c10::IValue>());
    const Rows lows(t);
    const int64_t G = a.size(0), r = a.size(1), n = a.size(2), width = G * n;
    TORCH_INTERNAL_ASSERT(!inPlace || base.is_contiguous());
    const torch::Tensor src = base.contiguous();
    torch::Tensor out = inPlace ? src : torch::empty_like(src);
    const float* ps = src.data_ptr<float>();
    float* po = out.data_ptr<float>();
    const float* pa = a.data_ptr<float>();
    // Each row block copied from base right before its products add onto it (and its squares
    // summed), so that the block is in cache for both.
    forRowBlocks(lows.count, [&](int64_t, int64_t r0, int64_t r1) {
        if (!inPlace) std::copy(ps + r0 * width, ps + r1 * width, po + r0 * width);
        if (squares) kernels::rowSquareSums(ps + r0 * width, (r1 - r0) * G, n, n, squares + r0 * G);
        for (int64_t g = 0; g < G; ++g)
            kernels::gemmRowMajor(false, false, r1 - r0, n, r, 1.0f,
                                  lows.data + r0 * lows.stride + g * r, lows.stride, pa + g * r * n,
                                  n, po + r0 * width + g * n, width, 1.0f);
    });
    return out;
}

/// The gradients of addLowRank in t ([..., G r]) and in a ([G, r, n]); either may be skipped.
std::pair<torch::Tensor, torch::Tensor> addLowRankBackward(const torch::Tensor& t,
                                                           const torch::Tensor& a,
                                                           const torch::Tensor& grad, bool wantLows,
                                                           bool wantFactors) {
    RECORD_FUNCTION("ringscope::add_low_rank_backward", std::vector<c10::IValue>());
    const Rows g(grad), lows(t);
    const int64_t G = a.size(0), r = a.size(1), n = a.size(2), blocks = thinBlocks(g.count);
    torch::Tensor gt = wantLows ? torch::empty(t.sizes(), t.options()) : torch::Tensor();
    torch::Tensor parts =
        wantFactors ? torch::empty({blocks, G, r, n}, a.options()) : torch::Tensor();
    const float* pa = a.data_ptr<float>();
    forRowBlocks(g.count, [&](int64_t i, int64_t r0, int64_t r1) {
        for (int64_t k = 0; k < G; ++k) {
            const float* gr = g.data + r0 * g.stride + k * n;
            if (wantLows)
                kernels::gemmRowMajor(false, true, r1 - r0, r, n, 1.0f, gr, g.stride,
                                      pa + k * r * n, n, gt.data_ptr<float>() + r0 * G * r + k * r,
                                      G * r);
            if (wantFactors)
                kernels::gemmRowMajor(true, false, r, n, r1 - r0, 1.0f,
                                      lows.data + r0 * lows.stride + k * r, lows.stride, gr,
                                      g.stride, parts.data_ptr<float>() + (i * G + k) * r * n, n);
        }
    });
    return {gt, wantFactors ? sumInOrder(parts) : torch::Tensor()};
}

class AddLowRankFunction : public torch::autograd::Function<AddLowRankFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& base,
                                 const torch::Tensor& t, const torch::Tensor& a) {
        ctx->save_for_backward({t, a});
        return addLowRankForward(base, t, a);
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        auto [gt, ga] = addLowRankBackward(saved[0], saved[1], grads[0], ctx->needs_input_grad(1),
                                           ctx->needs_input_grad(2));
        return {ctx->needs_input_grad(0) ? grads[0] : torch::Tensor(), gt, ga};
    }
};

/// y [..., n] = x w^T + bias (+ residual); w [n, k] and bias contiguous, an empty bias for none
/// and an empty residual for none (autograd functions take no undefined inputs). The output
/// starts as bias or residual + bias, one pass per row, and the product adds onto it.
torch::Tensor linearForward(const torch::Tensor& x, const torch::Tensor& w,
                            const torch::Tensor& bias, const torch::Tensor& residual = {}) {
    RECORD_FUNCTION("ringscope::linear", std::vector<c10::IValue>());
    const bool hasBias = bias.numel() > 0, hasResidual = residual.defined() && residual.numel() > 0;
    const Rows in(x);
    const int64_t n = w.size(0), k = w.size(1);
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = n;
    torch::Tensor y = torch::empty(shape, x.options());
    float* out = y.data_ptr<float>();
    const float* pb = hasBias ? bias.data_ptr<float>() : nullptr;
    if (hasResidual) {
        const Rows skip(residual);
        forRows(in.count, n, [&](int64_t b, int64_t e) {
            if (pb)
                kernels::addRowVector(skip.data + b * skip.stride, skip.stride, pb, out + b * n,
                                      e - b, n);
            else
                for (int64_t i = b; i < e; ++i)
                    std::copy(skip.data + i * skip.stride, skip.data + i * skip.stride + n,
                              out + i * n);
        });
    } else if (hasBias) {
        forRows(in.count, n, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i)
                std::copy(pb, pb + n, out + i * n);
        });
    }
    kernels::gemmRowMajor(false, true, in.count, n, k, 1.0f, in.data, in.stride,
                          w.data_ptr<float>(), k, out, n, hasBias || hasResidual ? 1.0f : 0.0f);
    return y;
}

/// The gradients of linear in x (g w), in w (g^T x) and in the bias (the column sums of g, as
/// a product with a row of ones); each may be skipped.
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor>
linearBackward(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& grad,
               bool wantInput, bool wantWeight, bool wantBias) {
    RECORD_FUNCTION("ringscope::linear_backward", std::vector<c10::IValue>());
    const Rows g(grad), in(x);
    const int64_t n = w.size(0), k = w.size(1);
    torch::Tensor gx, gw, gb;
    if (wantInput) {
        gx = torch::empty(x.sizes(), x.options());
        kernels::gemmRowMajor(false, false, g.count, k, n, 1.0f, g.data, g.stride,
                              w.data_ptr<float>(), k, gx.data_ptr<float>(), k);
    }
    if (wantWeight) {
        gw = torch::empty({n, k}, w.options());
        kernels::gemmRowMajor(true, false, n, k, g.count, 1.0f, g.data, g.stride, in.data,
                              in.stride, gw.data_ptr<float>(), k);
    }
    if (wantBias) {
        const torch::Tensor ones = torch::ones({g.count}, w.options());
        gb = torch::empty({n}, w.options());
        kernels::gemmRowMajor(false, false, 1, n, g.count, 1.0f, ones.data_ptr<float>(), g.count,
                              g.data, g.stride, gb.data_ptr<float>(), n);
    }
    return {gx, gw, gb};
}

class LinearFunction : public torch::autograd::Function<LinearFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& w, const torch::Tensor& bias) {
        ctx->save_for_backward({x, w});
        return linearForward(x, w, bias);
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        auto [gx, gw, gb] = linearBackward(saved[0], saved[1], grads[0], ctx->needs_input_grad(0),
                                           ctx->needs_input_grad(1), ctx->needs_input_grad(2));
        return {gx, gw, gb};
    }
};

/// residual + x w^T + b (see linearResidual): linear's backward, and the residual's gradient is
/// the output's.
class LinearResidualFunction : public torch::autograd::Function<LinearResidualFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& w, const torch::Tensor& bias,
                                 const torch::Tensor& residual) {
        ctx->save_for_backward({x, w});
        return linearForward(x, w, bias, residual);
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        auto [gx, gw, gb] = linearBackward(saved[0], saved[1], grads[0], ctx->needs_input_grad(0),
                                           ctx->needs_input_grad(1), ctx->needs_input_grad(2));
        return {gx, gw, gb, ctx->needs_input_grad(3) ? grads[0] : torch::Tensor()};
    }
};

/// x w^T + bias + the block terms of t and a (see linearLowRank): the product's output takes
/// the terms in place; the backward is linear's and addLowRank's on the same gradient.
class LinearLowRankFunction : public torch::autograd::Function<LinearLowRankFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& w, const torch::Tensor& bias,
                                 const torch::Tensor& t, const torch::Tensor& a) {
        ctx->save_for_backward({x, w, t, a});
        return addLowRankForward(linearForward(x, w, bias), t, a, nullptr, true);
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        auto [gx, gw, gb] = linearBackward(saved[0], saved[1], grads[0], ctx->needs_input_grad(0),
                                           ctx->needs_input_grad(1), ctx->needs_input_grad(2));
        auto [gt, ga] = addLowRankBackward(saved[2], saved[3], grads[0], ctx->needs_input_grad(3),
                                           ctx->needs_input_grad(4));
        return {gx, gw, gb, gt, ga};
    }
};

/// GELU(x w^T + b) and, when `wantSlope`, GELU' at the same pre-activations (what the backward
/// multiplies the gradient by): the product is taken without the bias, and one pass per row
/// adds the bias and applies the GELU in place, the slope coming from the same evaluation of
/// Phi and phi, so that the backward needs no erf or exp of its own.
std::pair<torch::Tensor, torch::Tensor> linearGeluForward(const torch::Tensor& x,
                                                          const torch::Tensor& w,
                                                          const torch::Tensor& bias,
                                                          bool wantSlope) {
    torch::Tensor y = linearForward(x, w, torch::empty({0}, w.options()));
    RECORD_FUNCTION("ringscope::gelu_forward", std::vector<c10::IValue>());
    const int64_t cols = w.size(0), rows = cols == 0 ? 0 : y.numel() / cols;
    float* out = y.data_ptr<float>();
    const float* pb = bias.data_ptr<float>();
    if (!wantSlope) {
        forRows(rows, cols,
                [&](int64_t r, int64_t e) { kernels::biasGelu(out + r * cols, pb, e - r, cols); });
        return {y, torch::Tensor()};
    }
    torch::Tensor slope = torch::empty_like(y);
    float* s = slope.data_ptr<float>();
    forRows(rows, cols, [&](int64_t r, int64_t e) {
        kernels::biasGeluWithSlope(out + r * cols, pb, s + r * cols, e - r, cols);
    });
    return {y, slope};
}

class LinearGeluFunction : public torch::autograd::Function<LinearGeluFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& w, const torch::Tensor& bias) {
        auto [y, slope] = linearGeluForward(x, w, bias, true);
        ctx->save_for_backward({x, w, slope});
        return y;
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor g = grads[0].contiguous(), slope = saved[2];
        torch::Tensor pre = torch::empty_like(slope); // the gradient in the pre-activations
        {
            RECORD_FUNCTION("ringscope::gelu_backward", std::vector<c10::IValue>());
            const float *pg = g.data_ptr<float>(), *ps = slope.data_ptr<float>();
            float* out = pre.data_ptr<float>();
            elementwise(pre.numel(), [&](int64_t b, int64_t n) {
                kernels::multiply(pg + b, ps + b, out + b, n);
            });
        }
        auto [gx, gw, gb] = linearBackward(saved[0], saved[1], pre, ctx->needs_input_grad(0),
                                           ctx->needs_input_grad(1), ctx->needs_input_grad(2));
        return {gx, gw, gb};
    }
};

/// Floats of one block of rows of the MLP's hidden gradient: the product writes a block and the
/// multiply by GELU' reads it back while it is still in the core's cache (about 1 MB).
constexpr int64_t kHiddenBlock = 1 << 18;

/// The gradient in an MLP's pre-activations, (g w2) * GELU', for g [..., d] and w2 [d, mlp]:
/// the product one block of rows at a time, each multiplied in place by its slope rows right
/// after. With `biasGradient`, the same pass sums the columns (in double, rows in order: the
/// same bits on any thread count) into the first layer's bias gradient [mlp].
torch::Tensor hiddenGradient(const torch::Tensor& grad, const torch::Tensor& w2,
                             const torch::Tensor& slope, torch::Tensor* biasGradient = nullptr) {
    RECORD_FUNCTION("ringscope::mlp_hidden_backward", std::vector<c10::IValue>());
    const Rows g(grad);
    const int64_t d = w2.size(0), hidden = w2.size(1);
    torch::Tensor pre = torch::empty_like(slope);
    float* out = pre.data_ptr<float>();
    const float* ps = slope.data_ptr<float>();
    std::vector<double> sums(biasGradient ? size_t(hidden) : 0, 0.0);
    const int64_t block = std::max<int64_t>(1, kHiddenBlock / std::max<int64_t>(hidden, 1));
    for (int64_t r0 = 0; r0 < g.count; r0 += block) {
        const int64_t count = std::min(block, g.count - r0), offset = r0 * hidden;
        kernels::gemmRowMajor(false, false, count, hidden, d, 1.0f, g.data + r0 * g.stride,
                              g.stride, w2.data_ptr<float>(), hidden, out + offset, hidden);
        if (!biasGradient) {
            elementwise(count * hidden, [&](int64_t b, int64_t n) {
                kernels::multiplyInto(out + offset + b, ps + offset + b, n);
            });
            continue;
        }
        // Column ranges over the threads: each column's sum stays on one thread.
        at::parallel_for(0, hidden, std::max<int64_t>(16, kGrain / std::max<int64_t>(count, 1)),
                         [&](int64_t c0, int64_t c1) {
                             kernels::multiplyIntoSummingColumns(out + offset + c0,
                                                                 ps + offset + c0, count, c1 - c0,
                                                                 hidden, sums.data() + c0);
                         });
    }
    if (biasGradient)
        *biasGradient =
            torch::tensor(sums, torch::TensorOptions().dtype(torch::kFloat64)).to(slope.dtype());
    return pre;
}

/// residual + fc2(GELU(fc1(x))) (see mlpResidual): linearGelu's forward into linearResidual's,
/// and one backward whose hidden gradient is multiplied by GELU' block by block as the product
/// writes it, instead of in a pass of its own over a second tensor.
class MlpFunction : public torch::autograd::Function<MlpFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& w1, const torch::Tensor& b1,
                                 const torch::Tensor& w2, const torch::Tensor& b2,
                                 const torch::Tensor& residual) {
        auto [h, slope] = linearGeluForward(x, w1, b1, true);
        ctx->save_for_backward({x, w1, w2, h, slope});
        return linearForward(h, w2, b2, residual);
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor& g = grads[0];
        auto need = [&](size_t i) { return ctx->needs_input_grad(i); };
        auto [unused, gw2, gb2] = linearBackward(saved[3], saved[2], g, false, need(3), need(4));
        torch::Tensor gx, gw1, gb1;
        if (need(0) || need(1) || need(2)) {
            const torch::Tensor pre =
                hiddenGradient(g, saved[2], saved[4], need(2) ? &gb1 : nullptr);
            std::tie(gx, gw1, std::ignore) =
                linearBackward(saved[0], saved[1], pre, need(0), need(1), false);
        }
        return {gx, gw1, gb1, gw2, gb2, need(5) ? g : torch::Tensor()};
    }
};

/// A LayerNorm's output and the per-row statistics its backward reads.
struct NormRows {
    torch::Tensor y, mean, rstd;
};

NormRows layerNormForward(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                          double eps) {
    RECORD_FUNCTION("ringscope::layer_norm", std::vector<c10::IValue>());
    const Rows in(x);
    const int64_t cols = x.size(-1);
    NormRows out{torch::empty(x.sizes(), x.options()), torch::empty({in.count}, x.options()),
                 torch::empty({in.count}, x.options())};
    float *y = out.y.data_ptr<float>(), *mean = out.mean.data_ptr<float>(),
          *rstd = out.rstd.data_ptr<float>();
    const float *pw = w.data_ptr<float>(), *pb = b.data_ptr<float>();
    forRows(in.count, cols, [&](int64_t r, int64_t e) {
        kernels::layerNormRows(in.data + r * in.stride, e - r, cols, in.stride, pw, pb, float(eps),
                               y + r * cols, mean + r, rstd + r);
    });
    return out;
}

/// The gradients of LayerNorm in x, weight and bias. The weight and bias sums run in fixed row
/// blocks (thinBlocks), added in block order, so that their bits do not depend on the threads.
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor>
layerNormBackward(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& mean,
                  const torch::Tensor& rstd, const torch::Tensor& grad, bool wantInput) {
    RECORD_FUNCTION("ringscope::layer_norm_backward", std::vector<c10::IValue>());
    const Rows in(x), g(grad);
    const int64_t cols = x.size(-1);
    const torch::Tensor gx = wantInput ? torch::empty(x.sizes(), x.options()) : torch::Tensor();
    const torch::Tensor partial = torch::zeros({thinBlocks(in.count), 2, cols}, x.options());
    float* pgx = wantInput ? gx.data_ptr<float>() : nullptr;
    float* sums = partial.data_ptr<float>();
    const float *pw = w.data_ptr<float>(), *pm = mean.data_ptr<float>(),
                *pr = rstd.data_ptr<float>();
    forRowBlocks(in.count, [&](int64_t block, int64_t r, int64_t e) {
        float* gw = sums + block * 2 * cols;
        kernels::layerNormBackwardRows(in.data + r * in.stride, g.data + r * g.stride, e - r, cols,
                                       in.stride, g.stride, pw, pm + r, pr + r,
                                       pgx ? pgx + r * cols : nullptr, gw, gw + cols);
    });
    const torch::Tensor total = partial.sum(0);
    return {gx, total[0], total[1]};
}

class LayerNormFunction : public torch::autograd::Function<LayerNormFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& w, const torch::Tensor& b, double eps) {
        NormRows out = layerNormForward(x, w, b, eps);
        ctx->save_for_backward({x, w, out.mean, out.rstd});
        return out.y;
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        auto [gx, gw, gb] = layerNormBackward(saved[0], saved[1], saved[2], saved[3], grads[0],
                                              ctx->needs_input_grad(0));
        return {gx, ctx->needs_input_grad(1) ? gw : torch::Tensor(),
                ctx->needs_input_grad(2) ? gb : torch::Tensor(), torch::Tensor()};
    }
};

} // namespace

namespace {

/// Whether a base of `baseSizes` [..., G n] takes the block terms of t [..., G r] and a [G, r, n].
bool lowRankFits(at::IntArrayRef baseSizes, const torch::Tensor& t, const torch::Tensor& a) {
    const int64_t dims = int64_t(baseSizes.size());
    return a.dim() == 3 && dims >= 1 && t.dim() == dims &&
           baseSizes.back() == a.size(0) * a.size(2) && t.size(-1) == a.size(0) * a.size(1) &&
           baseSizes.slice(0, dims - 1) == t.sizes().slice(0, dims - 1);
}

/// addLowRankForward without a backward, and when `baseNorms` is given, the norms [..., G]
/// (float64) of base's column blocks summed as the pass reads each row block.
torch::Tensor addLowRankNoGrad(const torch::Tensor& base, const torch::Tensor& t,
                               const torch::Tensor& factors, torch::Tensor* baseNorms,
                               bool inPlace) {
    if (!baseNorms) return addLowRankForward(base, t, factors, nullptr, inPlace);
    std::vector<int64_t> perGroup = base.sizes().vec(); // [..., G]
    perGroup.back() = factors.size(0);
    torch::Tensor squares = torch::empty(perGroup, base.options().dtype(torch::kFloat64));
    torch::Tensor out = addLowRankForward(base, t, factors, squares.data_ptr<double>(), inPlace);
    *baseNorms = squares.sqrt_();
    return out;
}

} // namespace

torch::Tensor addLowRank(const torch::Tensor& base, const torch::Tensor& t, const torch::Tensor& a,
                         torch::Tensor* baseNorms) {
    TORCH_CHECK(lowRankFits(base.sizes(), t, a), "addLowRank: shapes ", base.sizes(), ", ",
                t.sizes(), " and ", a.sizes(), " do not fit");
    const int64_t G = a.size(0), r = a.size(1), n = a.size(2);
    const bool fast = gemmRuns(base, t, a);
    const torch::Tensor factors = a.contiguous();
    if (fast && !recordsBackward(base, t, factors))
        return addLowRankNoGrad(base, t, factors, baseNorms, false);
    if (baseNorms) *baseNorms = rowNorms(base.detach().unflatten(-1, {G, n}));
    if (fast) return AddLowRankFunction::apply(base, t, factors);
    std::vector<torch::Tensor> terms;
    for (int64_t g = 0; g < G; ++g)
        terms.push_back(torch::matmul(t.narrow(-1, g * r, r), a[g]));
    return base + torch::cat(terms, -1);
}

namespace {

/// Refuses shapes x W^T + b cannot take, naming `op`.
void checkLinearShapes(const char* op, const torch::Tensor& x, const torch::Tensor& weight,
                       const torch::Tensor& bias) {
    TORCH_CHECK(weight.dim() == 2 && x.dim() >= 1 && x.size(-1) == weight.size(1) &&
                    (!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0))),
                op, ": shapes ", x.sizes(), ", ", weight.sizes(), " and ",
                bias.defined() ? bias.sizes() : at::IntArrayRef{}, " do not fit");
}

} // namespace

torch::Tensor linearLowRank(const torch::Tensor& x, const torch::Tensor& weight,
                            const torch::Tensor& bias, const torch::Tensor& t,
                            const torch::Tensor& a, torch::Tensor* baseNorms) {
    checkLinearShapes("linearLowRank", x, weight, bias);
    std::vector<int64_t> baseSizes = x.sizes().vec(); // the product's [..., out]
    baseSizes.back() = weight.size(0);
    // Anything else goes the composite way, which names what does not fit.
    const bool fast = gemmRuns(x, weight, t, a) && (!bias.defined() || cpuFloat(bias)) &&
                      weight.numel() > 0 && lowRankFits(baseSizes, t, a);
    const torch::Tensor w = fast ? weight.contiguous() : weight;
    const torch::Tensor factors = fast ? a.contiguous() : a;
    const torch::Tensor b = fast ? biasOrEmpty(bias, w) : bias;
    if (!fast || (baseNorms && recordsBackward(x, w, b, t, factors)))
        return addLowRank(linear(x, weight, bias), t, a, baseNorms);
    if (recordsBackward(x, w, b, t, factors))
        return LinearLowRankFunction::apply(x, w, b, t, factors);
    return addLowRankNoGrad(linearForward(x, w, b), t, factors, baseNorms, true);
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias) {
    checkLinearShapes("linear", x, weight, bias);
    if (!gemmRuns(x, weight) || (bias.defined() && !cpuFloat(bias)) || weight.numel() == 0) {
        const torch::Tensor y = torch::matmul(x, weight.t());
        return bias.defined() ? y + bias : y;
    }
    const torch::Tensor w = weight.contiguous();
    const torch::Tensor b = biasOrEmpty(bias, w);
    if (recordsBackward(x, w, b)) return LinearFunction::apply(x, w, b);
    return linearForward(x, w, b);
}

torch::Tensor linearResidual(const torch::Tensor& x, const torch::Tensor& weight,
                             const torch::Tensor& bias, const torch::Tensor& residual) {
    checkLinearShapes("linearResidual", x, weight, bias);
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = weight.size(0);
    TORCH_CHECK(residual.sizes() == at::IntArrayRef(shape), "linearResidual: residual ",
                residual.sizes(), " does not fit the product of ", x.sizes(), " and ",
                weight.sizes());
    if (!gemmRuns(x, weight, residual) || (bias.defined() && !cpuFloat(bias)) ||
        weight.numel() == 0)
        return residual + linear(x, weight, bias);
    const torch::Tensor w = weight.contiguous();
    const torch::Tensor b = biasOrEmpty(bias, w);
    if (recordsBackward(x, w, b, residual)) return LinearResidualFunction::apply(x, w, b, residual);
    return linearForward(x, w, b, residual);
}

torch::Tensor layerNorm(const torch::Tensor& x, const torch::Tensor& weight,
                        const torch::Tensor& bias, double eps) {
    const bool fits = x.dim() >= 1 && weight.dim() == 1 && weight.size(0) == x.size(-1) &&
                      bias.defined() && bias.sizes() == weight.sizes();
    if (!fits || !cpuFloat(x) || !cpuFloat(weight) || !cpuFloat(bias) || x.numel() == 0)
        return torch::layer_norm(x, {x.dim() >= 1 ? x.size(-1) : 0}, weight, bias, eps);
    const torch::Tensor w = weight.contiguous(), b = bias.contiguous();
    if (recordsBackward(x, w, b)) return LayerNormFunction::apply(x, w, b, eps);
    return layerNormForward(x, w, b, eps).y;
}

torch::Tensor linearGelu(const torch::Tensor& x, const torch::Tensor& weight,
                         const torch::Tensor& bias) {
    if (!gemmRuns(x, weight) || !bias.defined() || !cpuFloat(bias) || weight.numel() == 0)
        return fastGelu(linear(x, weight, bias));
    TORCH_CHECK(weight.dim() == 2 && x.dim() >= 1 && x.size(-1) == weight.size(1) &&
                    bias.dim() == 1 && bias.size(0) == weight.size(0),
                "linearGelu: shapes ", x.sizes(), ", ", weight.sizes(), " and ", bias.sizes(),
                " do not fit");
    const torch::Tensor w = weight.contiguous(), b = bias.contiguous();
    if (recordsBackward(x, w, b)) return LinearGeluFunction::apply(x, w, b);
    return linearGeluForward(x, w, b, false).first;
}

torch::Tensor mlpResidual(const torch::Tensor& x, const torch::Tensor& w1, const torch::Tensor& b1,
                          const torch::Tensor& w2, const torch::Tensor& b2,
                          const torch::Tensor& residual) {
    const bool fits = w1.dim() == 2 && w2.dim() == 2 && b1.defined() && b1.dim() == 1 &&
                      b1.size(0) == w1.size(0) && w2.size(1) == w1.size(0) && x.dim() >= 1 &&
                      x.size(-1) == w1.size(1) &&
                      (!b2.defined() || (b2.dim() == 1 && b2.size(0) == w2.size(0)));
    if (!fits || !gemmRuns(x, w1, b1, w2, residual) || (b2.defined() && !cpuFloat(b2)) ||
        w1.numel() == 0 || w2.numel() == 0)
        return linearResidual(linearGelu(x, w1, b1), w2, b2, residual);
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = w2.size(0);
    TORCH_CHECK(residual.sizes() == at::IntArrayRef(shape), "mlpResidual: residual ",
                residual.sizes(), " does not fit the output of ", x.sizes(), ", ", w1.sizes(),
                " and ", w2.sizes());
    const torch::Tensor w1c = w1.contiguous(), b1c = b1.contiguous(), w2c = w2.contiguous();
    const torch::Tensor b2c = biasOrEmpty(b2, w2);
    if (recordsBackward(x, w1c, b1c, w2c, b2c, residual))
        return MlpFunction::apply(x, w1c, b1c, w2c, b2c, residual);
    return linearForward(linearGeluForward(x, w1c, b1c, false).first, w2c, b2c, residual);
}

torch::Tensor thinLinear(const torch::Tensor& x, const torch::Tensor& weight) {
    TORCH_CHECK(weight.dim() == 2 && x.dim() >= 1 && x.size(-1) == weight.size(1),
                "thinLinear: shapes ", x.sizes(), " and ", weight.sizes(), " do not multiply");
    if (!gemmRuns(x, weight)) return torch::matmul(x, weight.t());
    const torch::Tensor w = weight.contiguous();
    if (recordsBackward(x, w)) return ThinLinearFunction::apply(x, w);
    return thinForward(x, w);
}

torch::Tensor rowNorms(const torch::Tensor& x) {
    if (!cpuFloat(x) || x.dim() < 1)
        return torch::linalg_vector_norm(x, 2, std::vector<int64_t>{-1}).to(torch::kFloat64);
    const Rows in(x);
    const int64_t cols = x.size(-1);
    std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end() - 1);
    torch::Tensor out = torch::empty(shape, x.options().dtype(torch::kFloat64));
    double* dst = out.data_ptr<double>();
    forRows(in.count, cols, [&](int64_t b, int64_t e) {
        kernels::rowSquareSums(in.data + b * in.stride, e - b, cols, in.stride, dst + b);
    });
    return out.sqrt_();
}

torch::Tensor pairSums(const torch::Tensor& a, const torch::Tensor& b) {
    TORCH_CHECK(a.sizes() == b.sizes() && a.dim() >= 1, "pairSums: shapes ", a.sizes(), " and ",
                b.sizes(), " differ");
    const int64_t B = a.size(0);
    if (!cpuFloat(a) || !cpuFloat(b)) {
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
    forRows(B, n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            kernels::pairSums(px + i * n, py + i * n, n, po + 3 * i);
    });
    return out;
}

torch::Tensor weightedRowSums(const torch::Tensor& x, const torch::Tensor& w) {
    TORCH_CHECK(x.dim() >= 2 && w.dim() == 2 && x.size(-2) == w.size(0) && x.size(-1) == w.size(1),
                "weightedRowSums: shapes ", x.sizes(), " and ", w.sizes(), " do not fit");
    const int64_t R = x.size(-2), C = x.size(-1);
    const torch::Tensor slices = cpuFloat(x) ? x.reshape({-1, R, C}) : x;
    if (slices.dim() != 3 || slices.stride(2) != 1 || slices.numel() == 0)
        return (x * w.to(x.scalar_type())).sum(-1);
    const torch::Tensor weights = w.to(torch::kFloat32).contiguous();
    const int64_t S = slices.size(0), sliceStride = slices.stride(0), rowStride = slices.stride(1);
    torch::Tensor out = torch::empty({S, R}, slices.options());
    const float* px = slices.data_ptr<float>();
    const float* pw = weights.data_ptr<float>();
    float* po = out.data_ptr<float>();
    forRows(S, R * C, [&](int64_t b, int64_t e) {
        for (int64_t s = b; s < e; ++s)
            kernels::weightedRowSums(px + s * sliceStride, R, C, rowStride, pw, po + s * R);
    });
    return out.view(x.sizes().slice(0, x.dim() - 1));
}

std::string productKernels() {
    return kernels::gemmKernels();
}

void timeProducts(bool on) {
    kernels::timeGemms(on);
}

double timedProductMs() {
    return kernels::gemmTimedMs();
}

torch::Tensor fastGelu(const torch::Tensor& x) {
    if (!cpuFloat(x)) return torch::gelu(x);
    if (recordsBackward(x)) return GeluFunction::apply(x);
    return geluForward(x);
}

} // namespace ringscope
