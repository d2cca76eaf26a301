#include "ringscope/model/train/FusedAdam.h"

#include "nets/ElementKernels.h"

#include <ATen/Parallel.h>
#include <c10/util/string_utils.h>

#include <cmath>
#include <functional>

namespace ringscope {

namespace {

constexpr int64_t kGrain = 32768;

using StateMap =
    ska::flat_hash_map<std::string, std::unique_ptr<torch::optim::OptimizerParamState>>;

bool fusable(const torch::Tensor& p) {
    if (!p.grad().defined()) return true; // skipped
    const torch::Tensor& g = p.grad();
    return p.scalar_type() == torch::kFloat32 && p.device().is_cpu() && p.is_contiguous() &&
           g.scalar_type() == torch::kFloat32 && !g.is_sparse() && g.is_contiguous() &&
           g.sizes() == p.sizes();
}

/// Whether every parameter of every group can take the fused pass.
template <class Options>
bool allFusable(const std::vector<torch::optim::OptimizerParamGroup>& groups) {
    for (const auto& group : groups) {
        if (static_cast<const Options&>(group.options()).amsgrad()) return false;
        for (const auto& p : group.params())
            if (!fusable(p)) return false;
    }
    return true;
}

/// The step of Adam (decoupled = false) or AdamW over torch's state objects, created as torch
/// creates them on a parameter's first step.
template <class Options, class State>
void fusedStep(std::vector<torch::optim::OptimizerParamGroup>& groups, StateMap& state,
               bool decoupled) {
    for (auto& group : groups) {
        const auto& o = static_cast<const Options&>(group.options());
        for (auto& p : group.params()) {
            if (!p.grad().defined()) continue;
            const std::string key = c10::guts::to_string(p.unsafeGetTensorImpl());
            auto found = state.find(key);
            if (found == state.end()) {
                auto fresh = std::make_unique<State>();
                fresh->step(0);
                fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
                fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
                found = state.emplace(key, std::move(fresh)).first;
            }
            auto& s = static_cast<State&>(*found->second);
            s.step(s.step() + 1);
            const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
            const double t = double(s.step());
            kernels::AdamScalars k;
            k.beta1 = float(beta1);
            k.beta2 = float(beta2);
            k.gain1 = float(1.0 - beta1);
            k.gain2 = float(1.0 - beta2);
            k.eps = float(o.eps());
            k.l2 = decoupled ? 0.0f : float(o.weight_decay());
            k.keep = decoupled ? float(1.0 - o.lr() * o.weight_decay()) : 1.0f;
            k.stepSize = float(o.lr() / (1.0 - std::pow(beta1, t)));
            k.rootCorrection2 = float(std::sqrt(1.0 - std::pow(beta2, t)));
            float* pp = p.data_ptr<float>();
            const float* pg = p.grad().data_ptr<float>();
            float* pm = s.exp_avg().template data_ptr<float>();
            float* pv = s.exp_avg_sq().template data_ptr<float>();
            at::parallel_for(0, p.numel(), kGrain, [&](int64_t b, int64_t e) {
                kernels::adamUpdate(pp + b, pg + b, pm + b, pv + b, e - b, k);
            });
        }
    }
}

/// The step of either optimizer: the fused pass when every parameter takes it, else torch's.
template <class Options, class State>
torch::Tensor fusedOrTorch(std::vector<torch::optim::OptimizerParamGroup>& groups, StateMap& state,
                           bool decoupled, const torch::optim::Optimizer::LossClosure& closure,
                           const std::function<torch::Tensor()>& torchStep) {
    if (!allFusable<Options>(groups)) return torchStep();
    torch::NoGradGuard noGrad;
    torch::Tensor loss;
    if (closure) {
        at::AutoGradMode enableGrad(true);
        loss = closure();
    }
    fusedStep<Options, State>(groups, state, decoupled);
    return loss;
}

} // namespace

torch::Tensor FusedAdam::step(LossClosure closure) {
    return fusedOrTorch<torch::optim::AdamOptions, torch::optim::AdamParamState>(
        param_groups_, state_, false, closure, [&] { return torch::optim::Adam::step(closure); });
}

torch::Tensor FusedAdamW::step(LossClosure closure) {
    return fusedOrTorch<torch::optim::AdamWOptions, torch::optim::AdamWParamState>(
        param_groups_, state_, true, closure, [&] { return torch::optim::AdamW::step(closure); });
}

} // namespace ringscope
