#pragma once
/// @file AttentionDistance.h
/// Mean attention distance (MAD), as defined in docs/metrics.md.

#include <torch/types.h>

namespace ringscope::analysis {

/// How attention rows are treated once the CLS row and column are dropped.
enum class MadVariant {
    Published,    ///< rows NOT renormalised (the published analysis; the default)
    Renormalised, ///< each patch row renormalised to sum 1 over patches
};

/// Pixel distances between the patch cells of a g x g grid: [g*g, g*g] float64,
/// D[i, j] = patch * euclidean distance between the cells of patches i and j.
torch::Tensor patchDistanceMatrix(int64_t grid, int64_t patch);

/// MAD of one application's attention maps P [B, H, N, N] (N = g*g + 1): returns [B, H]
/// float64, MAD[b, h] = mean over query patches i of sum_j P'[i, j] * D[i, j].
torch::Tensor meanAttentionDistance(const torch::Tensor& attention, int64_t patch,
                                    MadVariant variant = MadVariant::Published);

} // namespace ringscope::analysis
