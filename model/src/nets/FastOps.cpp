#include "ringscope/model/nets/FastOps.h"

#include "nets/GeluKernel.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

namespace ringscope {

namespace {

constexpr int64_t kGrain = 16384;

torch::Tensor geluForward(const torch::Tensor& x) {
    torch::Tensor in = x.contiguous();
    torch::Tensor out = torch::empty_like(in);
    const float* src = in.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, in.numel(), kGrain,
                     [&](int64_t b, int64_t e) { kernels::geluForward(src + b, dst + b, e - b); });
    return out;
}

torch::Tensor geluBackward(const torch::Tensor& x, const torch::Tensor& grad) {
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

} // namespace

torch::Tensor fastGelu(const torch::Tensor& x) {
    if (x.scalar_type() != torch::kFloat32 || !x.device().is_cpu()) return torch::gelu(x);
    if (x.requires_grad() && torch::GradMode::is_enabled()) return GeluFunction::apply(x);
    return geluForward(x);
}

} // namespace ringscope
