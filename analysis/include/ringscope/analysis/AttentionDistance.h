#pragma once
/// @file AttentionDistance.h
/// Mean attention distance (MAD), as defined in docs/metrics.md.

#include <torch/types.h>

namespace ringscope::analysis {

/// How attention rows are treated once the prefix (CLS) rows and columns are dropped.
enum class MadVariant {
    Published,    ///< rows NOT renormalised (the published analysis; the default)
    Renormalised, ///< each patch row renormalised to sum 1 over patches
};

/// Pixel distances between the patch cells of a g x g grid: [g*g, g*g] float64,
/// D[i, j] = patch * euclidean distance between the cells of patches i and j.
torch::Tensor patchDistanceMatrix(int64_t grid, int64_t patch);

/// MAD of one application's attention maps P [B, H, N, N] (N = prefix + g*g; the prefix
/// tokens, CLS and a distillation token, are dropped): returns [B, H] float64,
/// MAD[b, h] = mean over query patches i of sum_j P'[i, j] * D[i, j].
torch::Tensor meanAttentionDistance(const torch::Tensor& attention, int64_t patch,
                                    MadVariant variant = MadVariant::Published, int64_t prefix = 1);

} // namespace ringscope::analysis
