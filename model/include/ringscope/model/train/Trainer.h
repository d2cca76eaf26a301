#pragma once
/// @file Trainer.h
/// Supervised training of a VisionModel with the published recipe: Adam (or AdamW), linear
/// warm-up then cosine decay per step, gradient clipping, optional label smoothing,
/// evaluation every epoch, best-checkpoint keeping and early stop. Progress and cancel
/// callbacks make it usable from a GUI thread's worker.

#include "ringscope/model/data/Augment.h"
#include "ringscope/model/data/Dataset.h"
#include "ringscope/model/ModelMetadata.h"
#include "ringscope/model/checkpoint/TrainingState.h"
#include "ringscope/model/core/RunControl.h"
#include "ringscope/model/nets/VisionModel.h"

#include <torch/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ringscope {

class ProcessGroup;

/// Options of train(); the defaults follow the published training script.
struct TrainOptions {
    int64_t epochs = 10;
    int64_t batchSize = 128;
    double lr = 1e-3;
    double weightDecay = 0.0; ///< with adamw: decoupled decay, else L2 in Adam
    bool adamw = false;
    double warmupEpochs = 1.0; ///< linear warm-up length (may be fractional)
    double clipNorm = 1.0;     ///< gradient clipping by global norm (0: off)
    double labelSmoothing = 0.0;
    bool augment = true; ///< random-resized-crop + horizontal flip on training images
    AugmentOptions augmentation;
    uint64_t seed = 0;             ///< model init, shuffling and augmentation
    int64_t earlyStopPatience = 0; ///< epochs without improvement before stopping (0: never)
    int64_t evalBatchSize = 256;
    /// Where the best model (by validation accuracy, else the latest) is saved after each
    /// epoch, atomically, as a training container (optimizer and scheduler state included).
    /// Empty: not saved.
    std::string checkpointPath;
    /// Where the latest epoch is saved (training container), to resume from. Empty: not saved.
    std::string lastCheckpointPath;
    /// Continue from this state (Checkpoint::state of a saved run) instead of starting anew:
    /// the epoch count, learning-rate schedule and Adam moments carry on, and with the same
    /// options and data the run ends with exactly the parameters of an uninterrupted one.
    std::optional<TrainingState> resume;
    /// Data-parallel training: every process of the group trains its share of each batch
    /// (the batch size is the global one), gradients are summed over the group, metrics are
    /// combined, and only rank 0 writes checkpoints. Null: this process alone.
    std::shared_ptr<ProcessGroup> group;

    /// The recipe as stored in checkpoint metadata ("train_options").
    nlohmann::json toJson() const;
    /// Reads a recipe written by toJson() over `fallback`, field by field.
    static TrainOptions fromJson(const nlohmann::json& j, const TrainOptions& fallback);
};

/// What the progress callback receives (after every step, and at each epoch end).
struct TrainProgress {
    int64_t step = 0, totalSteps = 0; ///< optimizer steps done / planned
    int64_t epoch = 0, epochs = 0;    ///< 1-based current epoch
    double loss = 0.0;                ///< mean training loss of the epoch so far
    double accuracy = 0.0;            ///< training accuracy of the epoch so far
    double lr = 0.0;
    double imagesPerSecond = 0.0;
    double etaSeconds = 0.0;
    bool epochEnd = false;
    double valLoss = -1.0, valAccuracy = -1.0; ///< at an epoch end with a validation set
};

/// One epoch of the history kept in the checkpoint metadata.
struct EpochRecord {
    int64_t epoch = 0;
    double trainLoss = 0, trainAccuracy = 0, valLoss = -1, valAccuracy = -1, lr = 0, seconds = 0;
    double dataWaitShare = 0; ///< share of the epoch spent waiting for batches
    nlohmann::json toJson() const;
};

/// Result of train().
struct TrainResult {
    std::vector<EpochRecord> history;
    double bestAccuracy = -1.0;
    int64_t bestEpoch = 0;
    int64_t steps = 0;
    bool cancelled = false;
    bool stoppedEarly = false;
    int64_t firstEpoch = 1; ///< epoch this call started at (> 1 when resumed)
};

/// Result of evaluate().
struct EvalResult {
    int64_t count = 0; ///< images evaluated
    double loss = 0.0; ///< mean cross-entropy
    double accuracy = 0.0;
    torch::Tensor confusion;          ///< int64 [classes, classes], rows = true class
    std::vector<std::string> skipped; ///< unreadable images
    bool cancelled = false;
};

using ProgressCallback = std::function<void(const TrainProgress&)>;
/// Asked between steps whether to stop: the type of RunControl::cancel (core/RunControl.h).
using CancelCallback = decltype(RunControl::cancel);

/// Where the latest epoch goes next to the best checkpoint `out`: "run.pt" -> "run.last.pt"
/// (".last" appended when the file name has no extension).
std::string lastCheckpointPathFor(const std::string& out);

/// Learning rate at `step` of `total`: linear warm-up over `warmup` steps, then cosine to 0.
double scheduledLr(double baseLr, int64_t step, int64_t warmup, int64_t total);

/// Trains `model` in place. `metadata` (class names, normalisation, dataset) is stored in the
/// checkpoints with the growing history (which continues the metadata's history on resume). Labels
/// must lie in [0, model classes). Throws RingScopeError when the data does not fit the model
/// (class count, unlabelled images).
TrainResult train(VisionModel& model, const Dataset& trainSet, const Dataset* valSet,
                  const TrainOptions& options, ModelMetadata metadata,
                  const ProgressCallback& progress = {}, const CancelCallback& cancel = {});

/// Accuracy, loss and confusion matrix of `model` on a labelled dataset (`forward`: how many
/// applications each pass runs).
EvalResult evaluate(const VisionModel& model, const Dataset& data, const InputSpec& spec,
                    int64_t batchSize = 256, const ProgressCallback& progress = {},
                    const CancelCallback& cancel = {}, const ForwardOptions& forward = {});

} // namespace ringscope
