#include "document/TensorStats.h"

namespace ringscope::gui {

ParameterStat tensorStat(const std::string& name, const torch::Tensor& tensor, bool trainable) {
    const torch::Tensor t = tensor.to(torch::kFloat64);
    ParameterStat p;
    p.name = name;
    std::string shape = "[";
    for (int64_t i = 0; i < t.dim(); ++i)
        shape += (i ? ", " : "") + std::to_string(t.size(i));
    p.shape = shape + "]";
    p.count = t.numel();
    p.trainable = trainable;
    if (t.numel() == 0) return p;
    p.mean = t.mean().item<double>();
    p.std = t.numel() > 1 ? t.std(/*unbiased=*/false).item<double>() : 0.0;
    p.min = t.min().item<double>();
    p.max = t.max().item<double>();
    return p;
}

std::vector<double> tensorHistogram(const torch::Tensor& tensor, int bins) {
    if (tensor.numel() == 0 || bins <= 0) return {};
    const torch::Tensor t = tensor.to(torch::kFloat64).reshape({-1});
    const double lo = t.min().item<double>(), hi = t.max().item<double>();
    const torch::Tensor h = torch::histc(t, bins, lo, hi > lo ? hi : lo + 1.0).contiguous();
    return std::vector<double>(h.data_ptr<double>(), h.data_ptr<double>() + h.numel());
}

} // namespace ringscope::gui
