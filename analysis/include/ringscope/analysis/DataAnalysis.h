#pragma once
/// @file DataAnalysis.h
/// Metrics over a whole data source, streamed in batches: memory does not grow with the
/// number of images (except for per-image outputs that are small: MAD [A, images, H], lens
/// [A, images, classes]), inference uses all cores, and progress and cancel callbacks let a
/// GUI worker or the command line report and stop the work.

#include "ringscope/analysis/AttentionDistance.h"
#include "ringscope/analysis/Cka.h"
#include "ringscope/analysis/Convergence.h"
#include "ringscope/model/core/RunControl.h"
#include "ringscope/model/data/DataSource.h"
#include "ringscope/model/nets/VisionModel.h"

#include <functional>
#include <string>
#include <vector>

namespace ringscope::analysis {

/// Progress and cancellation of a run over a data source (ringscope/model/core/RunControl.h).
using ringscope::RunControl;

/// The examples of a data source in fixed batches, preprocessed for any model's input spec
/// (so that two models see the same examples). `npy:` batches are fed as they are.
class BatchStream {
public:
    /// `limit` < 0: all examples. Throws std::invalid_argument for an empty source or a
    /// non-positive batch size.
    BatchStream(const DataSource& source, int64_t batchSize, int64_t limit = -1);

    int64_t total() const { return total_; }
    int64_t batchSize() const { return batchSize_; }
    int64_t batches() const { return (total_ + batchSize_ - 1) / batchSize_; }
    /// Batch `i` for a model expecting `spec`. Unreadable images are left out and listed in
    /// Batch::skipped. Throws RingScopeError when an npy batch does not have the model's
    /// input shape.
    Batch batch(int64_t i, const InputSpec& spec) const;

private:
    const DataSource& source_;
    int64_t batchSize_, total_;
};

/// A model with the input it expects.
struct ModelInput {
    const VisionModel* model = nullptr;
    InputSpec spec;
    ForwardOptions forward{}; ///< applications to run and the depth policy (default: as trained)
};

/// What every run reports besides its numbers.
struct RunReport {
    int64_t examples = 0;             ///< examples that went into the result
    std::vector<std::string> skipped; ///< unreadable images, one message each
    bool cancelled = false;
};

struct MadRun : RunReport {
    torch::Tensor mad; ///< [A, examples, H] float64
};

/// Hands every non-empty batch of `data` (preprocessed for `spec`) and its index to `fn`, in
/// order: stops when `control` is cancelled (report.cancelled), lists unreadable images in
/// report.skipped, counts report.examples and reports progress. The loop every run over data
/// shares.
void forEachBatch(const BatchStream& data, const InputSpec& spec, RunReport& report,
                  const RunControl& control, const std::function<void(int64_t, const Batch&)>& fn);

/// MAD of every application, image and head.
MadRun madOverData(const ModelInput& model, const BatchStream& data,
                   MadVariant variant = MadVariant::Published, const RunControl& control = {});

struct CkaRun : RunReport {
    torch::Tensor cka;           ///< [A_a, A_b] float64
    int64_t skippedExamples = 0; ///< in a last minibatch too small for the unbiased estimator
};

/// CKA between the applications of `a` and of `b` (or of `a` with itself when `b.model` is
/// null), accumulated over every batch of `data` (the batch size is the minibatch size).
CkaRun ckaOverData(const ModelInput& a, const ModelInput& b, const BatchStream& data,
                   const CkaOptions& options, const RunControl& control = {});

struct CkaTripleRun : RunReport {
    torch::Tensor aa, bb, ab; ///< [A_a, A_a], [A_b, A_b], [A_a, A_b] float64
    int64_t skippedExamples = 0;
};

/// A x A, B x B and A x B in one pass over the data (each model runs once per batch).
CkaTripleRun ckaTripleOverData(const ModelInput& a, const ModelInput& b, const BatchStream& data,
                               const CkaOptions& options, const RunControl& control = {});

struct LensRun : RunReport {
    torch::Tensor probabilities; ///< [A, examples, classes] float64
    torch::Tensor labels;        ///< [examples] int64 (-1: unknown)
    torch::Tensor
        accuracy; ///< [A] share of labelled examples whose lens argmax is right (NaN: no labels)
};

/// Class-lens probabilities after every application.
LensRun lensOverData(const ModelInput& model, const BatchStream& data,
                     const RunControl& control = {});

/// Mean and standard deviation of a measure over images and tokens, per level (and signal).
struct LevelsRun : RunReport {
    std::string family;
    // All families, per application: relative update and cosine to the previous stream.
    torch::Tensor relativeUpdateMean, relativeUpdateStd; ///< [A]
    torch::Tensor cosineMean, cosineStd;                 ///< [A]
    // RingFormer (undefined otherwise).
    torch::Tensor signalNormMean, signalNormStd;   ///< [4, T]
    torch::Tensor signalRatioMean, signalRatioStd; ///< [4, T]
    torch::Tensor signalRatioPerToken;             ///< [4, T, N], mean over images
    torch::Tensor levelCosine;                     ///< [4, T, T], mean over images
    // UiT (undefined otherwise).
    torch::Tensor encodingNorm;                        ///< [T] mean over tokens of ||E_t||
    torch::Tensor encodingRatioMean, encodingRatioStd; ///< [T]
};

/// Level signals (RingFormer, UiT) and depth dynamics (all families).
LevelsRun levelsOverData(const ModelInput& model, const BatchStream& data,
                         const RunControl& control = {});

/// One model run for K applications under one depth policy: the per-image convergence
/// measures after every application and the change of each head's attention.
struct DepthRun : RunReport {
    std::string policy;       ///< "repeat-last", "cycle", "extend", or "trained" (K <= T)
    int64_t applications = 0; ///< K
    ConvergenceMeasures measures;
    /// [K - 1, H]: row i is the Jensen-Shannon divergence between the attention of
    /// applications i + 2 and i + 1, mean over images and query tokens (nats).
    torch::Tensor headJs;
};

/// Runs `model` (its forward options: K and the policy) over the data once; every K' <= K is
/// read from this run (a run of K' applications computes the first K' of it).
DepthRun depthOverData(const ModelInput& model, const BatchStream& data,
                       const RunControl& control = {});

} // namespace ringscope::analysis
