#include "ringscope/analysis/AttentionMaps.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace ringscope::analysis {

namespace {

void checkMaps(const torch::Tensor& attention) {
    if (attention.dim() != 4 || attention.size(2) != attention.size(3))
        throw std::invalid_argument("attention maps must be [B, H, N, N]");
}

} // namespace

std::string fusionName(HeadFusion f) {
    switch (f) {
    case HeadFusion::Mean:
        return "mean";
    case HeadFusion::Max:
        return "max";
    case HeadFusion::Min:
        return "min";
    }
    return "?";
}

HeadFusion parseFusion(const std::string& s) {
    if (s == "mean") return HeadFusion::Mean;
    if (s == "max") return HeadFusion::Max;
    if (s == "min") return HeadFusion::Min;
    throw std::invalid_argument("unknown head fusion '" + s + "' (mean, max, min)");
}

int64_t gridSide(int64_t tokens, int64_t prefix) {
    const auto g = int64_t(std::llround(std::sqrt(double(std::max<int64_t>(tokens - prefix, 0)))));
    if (prefix < 0 || g < 1 || g * g + prefix != tokens)
        throw std::invalid_argument(
            std::to_string(tokens) + " tokens are not a square patch grid" +
            (prefix > 0 ? " after " + std::to_string(prefix) + " prefix token(s)" : std::string()));
    return g;
}

torch::Tensor queryMap(const torch::Tensor& attention, int64_t image, int64_t head, int64_t query,
                       int64_t prefix) {
    checkMaps(attention);
    const int64_t n = attention.size(2), g = gridSide(n, prefix);
    if (image < 0 || image >= attention.size(0) || head < 0 || head >= attention.size(1) ||
        query < 0 || query >= n)
        throw std::out_of_range("attention map index out of range");
    return attention[image][head][query]
        .narrow(0, prefix, n - prefix)
        .to(torch::kFloat64)
        .reshape({g, g});
}

torch::Tensor fuseHeads(const torch::Tensor& attention, HeadFusion fusion) {
    checkMaps(attention);
    const torch::Tensor p = attention.to(torch::kFloat64);
    switch (fusion) {
    case HeadFusion::Mean:
        return p.mean(1);
    case HeadFusion::Max:
        return std::get<0>(p.max(1));
    case HeadFusion::Min:
        return std::get<0>(p.min(1));
    }
    return p.mean(1);
}

torch::Tensor attentionRollout(const std::vector<torch::Tensor>& attention,
                               const RolloutOptions& options) {
    if (attention.empty()) throw std::invalid_argument("rollout needs at least one application");
    if (!(options.discardRatio >= 0.0 && options.discardRatio < 1.0))
        throw std::invalid_argument("the discard ratio must lie in [0, 1)");
    torch::Tensor joint;
    for (const auto& p : attention) {
        torch::Tensor a = fuseHeads(p, options.fusion); // [B, N, N]
        const int64_t n = a.size(-1);
        const torch::Tensor eye = torch::eye(n, torch::kFloat64).expand_as(a);
        const auto drop = int64_t(std::floor(options.discardRatio * double(n)));
        if (drop > 0) {
            // Zero each row's `drop` smallest weights, sparing the diagonal.
            torch::Tensor ranked =
                a.masked_fill(eye.to(torch::kBool), std::numeric_limits<double>::infinity());
            torch::Tensor smallest = std::get<1>(ranked.topk(drop, -1, /*largest=*/false));
            a = a.scatter(-1, smallest, 0.0);
        }
        torch::Tensor r = a + eye;
        r = r / r.sum(-1, true);
        joint = joint.defined() ? torch::matmul(r, joint) : r;
    }
    return joint;
}

torch::Tensor attentionEntropy(const torch::Tensor& attention) {
    checkMaps(attention);
    const torch::Tensor p = attention.to(torch::kFloat64);
    const torch::Tensor plogp =
        torch::where(p > 0, p * torch::log(p.clamp_min(1e-300)), torch::zeros_like(p));
    return (-plogp.sum(-1)).mean(-1);
}

torch::Tensor neighbourhoodMass(const torch::Tensor& attention, int64_t prefix) {
    checkMaps(attention);
    const int64_t n = attention.size(2), g = gridSide(n, prefix), m = n - prefix;
    torch::Tensor mask = torch::zeros({m, m}, torch::kFloat64);
    auto acc = mask.accessor<double, 2>();
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < m; ++j)
            if (std::abs(i / g - j / g) <= 1 && std::abs(i % g - j % g) <= 1) acc[i][j] = 1.0;
    const torch::Tensor patches =
        attention.to(torch::kFloat64).narrow(2, prefix, m).narrow(3, prefix, m); // [B,H,m,m]
    return (patches * mask).sum(-1).mean(-1);
}

torch::Tensor queryMaps(const torch::Tensor& attention, int64_t query, int64_t prefix) {
    const int64_t apps = attention.size(0), heads = attention.size(1), n = attention.size(2);
    const int64_t g = gridSide(n, prefix);
    return attention.select(2, query).narrow(2, prefix, n - prefix).reshape({apps, heads, g, g});
}

torch::Tensor fusedQueryMaps(const torch::Tensor& attention, int64_t query, HeadFusion fusion,
                             int64_t prefix) {
    const int64_t apps = attention.size(0), n = attention.size(2);
    const int64_t g = gridSide(n, prefix);
    return fuseHeads(attention, fusion)
        .select(1, query)
        .narrow(1, prefix, n - prefix)
        .reshape({apps, g, g});
}

} // namespace ringscope::analysis
