#pragma once
/// @file BatchLanes.h
/// A training step's forward and backward pass run as concurrent lanes: the batch split into
/// one block of images per core, each lane's whole pass on its own core (its products and
/// kernels run single-threaded there), the gradients accumulating into the parameters. Same
/// gradient as one pass over the batch to float rounding, without the fork and join of every
/// op over the cores and the single-core stretches between them.

#include "ringscope/model/nets/VisionModel.h"

#include <torch/types.h>

#include <vector>

namespace ringscope {

/// How trainingPass splits and weighs the batch.
struct LaneOptions {
    /// Lanes: 0 = one per thread of the process (at::get_num_threads()); never more than one
    /// per 8 images. With one lane the pass is the plain single pass.
    int lanes = 0;
    double lossScale = 1.0;      ///< the batch-mean loss is multiplied by this before backward
    double labelSmoothing = 0.0; ///< of the cross-entropy
};

/// What trainingPass returns.
struct TrainingPassResult {
    torch::Tensor logits; ///< [B, classes], detached
    double loss = 0.0;    ///< the batch's mean cross-entropy, before lossScale
    /// Wall milliseconds of each lane's pass (forward, loss, backward), in lane order. Lanes do
    /// equal work, so on idle, equal cores they take equal times; the spread is what uneven
    /// cores (a shared host, another process) cost the step: laneIdleMs().
    std::vector<double> laneMs;
};

/// Mean over the lanes of how long each waited for the slowest: max(laneMs) - mean(laneMs)
/// (0 for one lane). The step's cores spent this long idle at the join, per core.
double laneIdleMs(const TrainingPassResult& result);

/// The lanes trainingPass runs for `batch` images under `options`.
int trainingLanes(int64_t batch, const LaneOptions& options = {});

/// Forward pass with `forward` (train mode, dropout), mean cross-entropy against `labels` and
/// backward, as trainingLanes() concurrent lanes. With dropout and a generator, each lane
/// draws from its own generator seeded from `forward.generator` in lane order, so a run stays
/// reproducible (for a given lane count). An exception in a lane is rethrown after all lanes
/// ended.
TrainingPassResult trainingPass(const VisionModel& model, const torch::Tensor& images,
                                const torch::Tensor& labels, const ForwardOptions& forward,
                                const LaneOptions& options = {});

} // namespace ringscope
