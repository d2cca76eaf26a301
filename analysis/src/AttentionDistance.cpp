#include "ringscope/analysis/AttentionDistance.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/FastOps.h"

#include <cmath>

namespace ringscope::analysis {

torch::Tensor patchDistanceMatrix(int64_t grid, int64_t patch) {
    auto idx = torch::arange(grid * grid, torch::kInt64);
    auto rows = torch::div(idx, grid, "floor").to(torch::kFloat64);
    auto cols = torch::remainder(idx, grid).to(torch::kFloat64);
    auto dr = rows.unsqueeze(1) - rows.unsqueeze(0);
    auto dc = cols.unsqueeze(1) - cols.unsqueeze(0);
    return torch::sqrt(dr * dr + dc * dc) * double(patch);
}

torch::Tensor meanAttentionDistance(const torch::Tensor& attention, int64_t patch,
                                    MadVariant variant, int64_t prefix) {
    if (attention.dim() != 4 || attention.size(2) != attention.size(3))
        throw RingScopeError("attention maps must be [B, H, N, N]");
    const int64_t N = attention.size(2), m = N - prefix;
    const int64_t grid =
        static_cast<int64_t>(std::llround(std::sqrt(double(std::max<int64_t>(m, 0)))));
    if (prefix < 0 || grid < 1 || grid * grid != m)
        throw RingScopeError("attention maps do not cover a square patch grid after " +
                             std::to_string(prefix) + " prefix token(s)");
    torch::Tensor p = attention.narrow(2, prefix, m).narrow(3, prefix, m);
    if (variant == MadVariant::Renormalised) {
        p = p.to(torch::kFloat64);
        p = p / p.sum(-1, true).clamp_min(1e-300);
    }
    // Each query's distance in the maps' precision, read in place (weightedRowSums), the mean
    // over queries in float64: a float64 copy of every map cost more than the forward pass.
    const torch::Tensor d = patchDistanceMatrix(grid, patch).to(p.scalar_type());
    return weightedRowSums(p, d).to(torch::kFloat64).mean(-1); // [B, H]
}

} // namespace ringscope::analysis
