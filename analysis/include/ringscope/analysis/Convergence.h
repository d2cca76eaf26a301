#pragma once
/// @file Convergence.h
/// What the repeated block does over depth, per application t and image (docs/metrics.md,
/// "Depth dynamics"): how far the residual stream still moves, how the class lens p_t settles,
/// when an exit rule would stop, and how each head's attention changes between applications.
/// The functions here are pure tensor arithmetic on the measures, so the app, the command line
/// and the tests compute exits and curves from the same per-image numbers.

#include <torch/types.h>

#include <array>
#include <string>
#include <vector>

namespace ringscope::analysis {

/// Per-image measures after every application t = 1..K of one pass (rows: t, columns: images),
/// float64 unless stated. h_0 is the embedded input, p_0 the uniform distribution.
struct ConvergenceMeasures {
    torch::Tensor latentStep;      ///< ||h_t - h_(t-1)|| / ||h_t|| per token, mean over tokens
    torch::Tensor cosineGap;       ///< 1 - cos(h_t, h_(t-1)) per token, mean over tokens
    torch::Tensor entropy;         ///< H(p_t), nats
    torch::Tensor entropyChange;   ///< |H(p_t) - H(p_(t-1))|
    torch::Tensor kl;              ///< KL(p_t || p_(t-1)), nats
    torch::Tensor prediction;      ///< argmax p_t (int64)
    torch::Tensor trueProbability; ///< p_t(true class) (NaN: unlabelled)
    torch::Tensor trueRank;        ///< 1 + classes ranked above the true one (NaN: unlabelled)
    torch::Tensor loss;            ///< -log p_t(true class) (NaN: unlabelled)
    torch::Tensor labels;          ///< [images] int64, -1: unknown

    int64_t applications() const { return latentStep.defined() ? latentStep.size(0) : 0; }
    int64_t images() const { return labels.defined() ? labels.size(0) : 0; }
    /// Appends the images of `more` (same number of applications).
    void append(const ConvergenceMeasures& more);
};

/// ||h_t - h_(t-1)|| / ||h_t|| per token after every application: [K, B, N] float64 from the
/// embedded input h_0 [B, N, d] and the streams h_1..h_K.
torch::Tensor tokenLatentSteps(const torch::Tensor& embedded,
                               const std::vector<torch::Tensor>& hidden);

/// The measures of one batch from its residual streams h_0..h_K ([B, N, d] each) and the
/// class-lens logits after each application ([B, classes] each).
ConvergenceMeasures convergenceOf(const torch::Tensor& embedded,
                                  const std::vector<torch::Tensor>& hidden,
                                  const std::vector<torch::Tensor>& lensLogits,
                                  const torch::Tensor& labels);

/// Per application t: the share of labelled images the lens gets right at t, the mean
/// probability of the true class, and the mean cross-entropy (NaN without labels). Because
/// running K applications computes exactly the first K of a longer run, row K is what a run of
/// K applications outputs.
struct DepthCurves {
    torch::Tensor accuracy, confidence, loss; ///< [K] float64
    torch::Tensor argmaxChanged;              ///< [K] share of images whose argmax changed at t
    torch::Tensor meanRank;                   ///< [K] mean rank of the true class
};
DepthCurves depthCurves(const ConvergenceMeasures& m);

/// The exit rules of the recurrent-depth literature (Huginn's evaluators).
enum class ExitRule { LatentStep, CosineGap, EntropyChange, Kl, SameArgmax };
inline constexpr std::array<ExitRule, 5> kExitRules = {ExitRule::LatentStep, ExitRule::CosineGap,
                                                       ExitRule::EntropyChange, ExitRule::Kl,
                                                       ExitRule::SameArgmax};
/// "latent_step", "cosine_gap", "entropy_change", "kl", "same_argmax".
std::string exitRuleName(ExitRule rule);

/// Thresholds of the exit rules; the defaults are Huginn's.
struct ExitThresholds {
    double latentStep = 0.03;
    double cosineGap = 1e-3;
    double entropyChange = 1e-3;
    double kl = 1e-3;
    int64_t sameArgmax = 5; ///< applications in a row with the same argmax
    double of(ExitRule rule) const;
};

/// The application (1-based) at which `rule` with `threshold` stops each image: the first t
/// whose measure is below the threshold (SameArgmax: the first t >= n whose last n argmaxes
/// agree, n = threshold); K when it never fires. [images] int64.
torch::Tensor exitDepths(const ConvergenceMeasures& m, ExitRule rule, double threshold);

/// What an exit rule does over the images.
struct ExitOutcome {
    torch::Tensor depth;           ///< [images] int64, 1-based
    double meanApplications = 0.0; ///< mean of depth
    double accuracy = 0.0;         ///< of the lens at each image's exit (NaN: no labels)
    /// [K, 3] int64: images stopping at t whose lens is right, wrong, or that have no label.
    torch::Tensor histogram;
};
ExitOutcome exitOutcome(const ConvergenceMeasures& m, ExitRule rule, double threshold);

/// The thresholds of a rule's adaptive-compute curve: a log grid around the default (the
/// default included), or n = 1..K for SameArgmax.
std::vector<double> adaptiveThresholds(ExitRule rule, const ExitThresholds& defaults,
                                       int64_t applications);
/// Accuracy against mean applications used, one row per threshold: [thresholds, 3] float64
/// (threshold, mean applications, accuracy).
torch::Tensor adaptiveCurve(const ConvergenceMeasures& m, ExitRule rule,
                            const std::vector<double>& thresholds);

/// Jensen-Shannon divergence (nats) between the attention rows of two applications, per head,
/// summed over the queries of a batch: maps [B, H, N, N] -> [H] (divide by B * N for a mean).
torch::Tensor attentionJsSum(const torch::Tensor& current, const torch::Tensor& previous);
/// Per head, the application after which it stops changing: the smallest t (1-based) such
/// that JS(t') < threshold for every t' > t; -1 when it still changes at the last application
/// (or K = 1). `js` [K - 1, H]: row i is JS between applications i + 2 and i + 1. [H] int64.
torch::Tensor headSettling(const torch::Tensor& js, double threshold);

} // namespace ringscope::analysis
