#pragma once
/// @file LevelSignals.h
/// Level signals of the recurrent families and depth dynamics of all families, as
/// docs/metrics.md lists them: RingFormer low-rank maps and per-token signals, UiT
/// level encodings, relative update and cosine between applications, and the class lens.

#include "ringscope/model/nets/ForwardTrace.h"
#include "ringscope/model/nets/VisionModel.h"

#include <torch/types.h>

#include <array>
#include <string>
#include <vector>

namespace ringscope::analysis {

/// The four RingFormer signals, in this order everywhere: Q, K, V, F.
inline const std::array<std::string, 4> kSignalNames = {"Q", "K", "V", "F"};

/// The low-rank map M_X,t = A^T B of one signal X at level t.
struct LowRankMap {
    int signal = 0;    ///< index into kSignalNames
    int64_t level = 0; ///< 0-based
    double frobenius = 0.0;
    std::vector<double> singularValues; ///< r values, descending
};

/// Every RingFormer low-rank map (4 x T), from the weights. Throws std::invalid_argument for
/// other families.
std::vector<LowRankMap> lowRankMaps(const VisionModel& model);

/// The low-rank maps as arrays: Frobenius norms [4, T] and singular values [4, T, r]
/// (float64, signals in kSignalNames order). Throws std::invalid_argument for other families.
struct LowRankSummary {
    torch::Tensor frobenius;
    torch::Tensor singularValues;
};
LowRankSummary lowRankSummary(const VisionModel& model);

/// Per-token RingFormer signal measures of one traced batch.
struct RingSignals {
    torch::Tensor norms;       ///< ||s_X,t|| per token: [4, T, B, N] float64
    torch::Tensor ratios;      ///< ||s_X,t|| / ||term it is added to||: [4, T, B, N]
    torch::Tensor levelCosine; ///< cosine between levels t and t' of s_X, per image: [4, T, T, B]
};

/// Signal measures from a RingFormer trace recorded with recordSignals. Throws
/// std::invalid_argument when the trace has no signals.
RingSignals ringSignals(const ForwardTrace& trace);

/// UiT level encodings against the residual stream they are added to.
struct UitEncodings {
    torch::Tensor norms;  ///< ||E_t|| per token: [T, N]
    torch::Tensor ratios; ///< ||E_t[n]|| / ||h_(t-1)[b, n]||: [T, B, N]
};

/// From a UiT trace (levelEncoding and embedded/hidden). Throws std::invalid_argument when the
/// trace has no level encodings.
UitEncodings uitEncodings(const ForwardTrace& trace);

/// How the residual stream changes per application (h_0 = the embedded tokens).
struct DepthDynamics {
    torch::Tensor relativeUpdate; ///< ||h_a - h_(a-1)|| / ||h_(a-1)|| over all tokens: [A, B]
    torch::Tensor cosine;         ///< cosine(h_a, h_(a-1)) over all tokens: [A, B]
};

DepthDynamics depthDynamics(const ForwardTrace& trace);

/// Class lens: class probabilities head(LN(h_a)[CLS]) after every application: [A, B, classes].
torch::Tensor classLensProbabilities(const VisionModel& model, const ForwardTrace& trace);

} // namespace ringscope::analysis
