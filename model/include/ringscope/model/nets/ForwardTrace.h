#pragma once
/// @file ForwardTrace.h
/// What an analysis can ask a forward pass to record. Tracing is off unless a ForwardTrace is
/// passed to VisionModel::forward: plain inference and training pay nothing for it.

#include <torch/types.h>

#include <functional>
#include <vector>

namespace ringscope {

/// RingFormer level signals of one level, each [B, N, d], and the norms of the terms they are
/// added to.
struct LevelSignalTrace {
    /// [4, B, N] float64: the per-token norms of the terms s_Q, s_K, s_V and s_F are added to
    /// (Linear_X(u) for X in Q, K, V; x1 for F), taken while the pass has them in cache; the
    /// trace keeps no [B, N, d] term (a batch's terms of every level would cost more memory
    /// than the rest of the trace, and a pass over them afterwards reads them from memory).
    torch::Tensor baseNorms;
    /// The signals' low-rank factors, s_X = lowX aX: lowX = x B_X^T [B, N, r] (x1 for F) and
    /// aX = A_X [r, d]. Inner products of signals need only these (r << d); the pass records
    /// no [B, N, d] signal.
    torch::Tensor lowQ, lowK, lowV, lowF;
    torch::Tensor aQ, aK, aV, aF;

    /// The signals themselves [B, N, d], made from their factors on each call:
    /// s_Q, s_K, s_V = signal_X(x) from the raw residual x, s_F = signal_F(x1).
    torch::Tensor q() const { return lowQ.matmul(aQ); }
    torch::Tensor k() const { return lowK.matmul(aK); }
    torch::Tensor v() const { return lowV.matmul(aV); }
    torch::Tensor f() const { return lowF.matmul(aF); }
};

/// Per-application record of a forward pass ("application" = one layer of ViT/OWF, one
/// iteration/level of UiT/RingFormer), in execution order. All tensors are detached.
struct ForwardTrace {
    /// Set to false before the pass to skip the (large) per-token level signals.
    bool recordSignals = true;

    torch::Tensor embedded;               ///< residual stream before the first application [B,N,d]
    std::vector<torch::Tensor> attention; ///< softmax maps P [B,H,N,N] per application
    /// When set, each application's maps P [B,H,N,N] are handed to this function instead of
    /// being kept in `attention` (an analysis of neighbouring applications keeps memory flat).
    std::function<void(const torch::Tensor&)> onAttention;
    /// Attribution: keep the maps in `attention` inside the autograd graph (not detached) and
    /// make `embedded` require grad, so that gradients reach every application's maps. The
    /// caller runs the pass with grad mode on; off (the default), the pass builds no graph.
    bool keepGraph = false;
    /// Intervention: when set, application t's maps (0-based, after the softmax) are replaced
    /// by what it returns before they weigh the values (finite-difference checks, ablations).
    std::function<torch::Tensor(int64_t, const torch::Tensor&)> editAttention;
    /// Attention applications seen so far in this pass (the index `editAttention` gets).
    int64_t attentionApplications = 0;
    std::vector<torch::Tensor> hidden;          ///< residual stream after each application [B,N,d]
    std::vector<LevelSignalTrace> levelSignals; ///< RingFormer: one entry per level
    std::vector<torch::Tensor> levelEncoding;   ///< UiT: E_t [N,d] per level

    /// Empties every record (keeps recordSignals).
    void clear();
};

} // namespace ringscope
