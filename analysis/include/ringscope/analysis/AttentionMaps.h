#pragma once
/// @file AttentionMaps.h
/// Attention maps as people look at them: the CLS or a query patch's map on the patch grid,
/// head fusion, attention rollout (Abnar & Zuidema, 2020), and per-head locality measures
/// (attention entropy, 3 x 3 neighbourhood mass). See docs/metrics.md.

#include <torch/types.h>

#include <string>
#include <vector>

namespace ringscope::analysis {

/// How heads are combined into one map.
enum class HeadFusion { Mean, Max, Min };

std::string fusionName(HeadFusion f); ///< "mean", "max", "min"
/// Throws std::invalid_argument listing the choices.
HeadFusion parseFusion(const std::string& s);

/// Side g of the patch grid of N = prefix + g*g tokens (`prefix` tokens before the patches:
/// 1, the class token, for the published families; 0 to 2 for a timm ViT). Throws
/// std::invalid_argument otherwise.
int64_t gridSide(int64_t tokens, int64_t prefix = 1);

/// Query token `query`'s attention over the patches, as a g x g grid (float64):
/// P[b, h, query, prefix:] reshaped row-major. With one prefix token, `query` 0 is CLS and
/// 1..g*g are patches. `attention` is one application's maps [B, H, N, N].
torch::Tensor queryMap(const torch::Tensor& attention, int64_t image, int64_t head,
                       int64_t query = 0, int64_t prefix = 1);

/// Heads combined: [B, H, N, N] -> [B, N, N] (float64).
torch::Tensor fuseHeads(const torch::Tensor& attention, HeadFusion fusion);

/// Query token `query`'s attention over the patch grid, from the attention of one image
/// [A, H, N, N]: per head [A, H, g, g] (the attention's dtype), and with the heads fused
/// [A, g, g] (float64).
torch::Tensor queryMaps(const torch::Tensor& attention, int64_t query, int64_t prefix = 1);
torch::Tensor fusedQueryMaps(const torch::Tensor& attention, int64_t query, HeadFusion fusion,
                             int64_t prefix = 1);

/// Options of attentionRollout().
struct RolloutOptions {
    HeadFusion fusion = HeadFusion::Mean;
    /// Fraction of the smallest weights of each row set to zero before adding the identity
    /// (0: keep all). The diagonal is never discarded.
    double discardRatio = 0.0;
};

/// Joint attention J = R_A ... R_1 with R_a = rownorm(fuse(P_a) + I), over the applications
/// in execution order (iterations, for weight-shared models): [B, N, N] float64.
torch::Tensor attentionRollout(const std::vector<torch::Tensor>& attention,
                               const RolloutOptions& options = {});

/// Mean attention entropy per head (nats): for each image and head, the mean over query
/// tokens of -sum_j P[i, j] log P[i, j]. [B, H] float64.
torch::Tensor attentionEntropy(const torch::Tensor& attention);

/// Attention mass that patch queries keep within their 3 x 3 neighbourhood of patches
/// (the query patch and its up to 8 neighbours on the grid), averaged over query patches:
/// [B, H] float64, in [0, 1]. The first `prefix` tokens are not patches.
torch::Tensor neighbourhoodMass(const torch::Tensor& attention, int64_t prefix = 1);

} // namespace ringscope::analysis
