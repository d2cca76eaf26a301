#pragma once
// Training from the app: the request the Train view fills in, and the progress updates the
// trainer's callback queues for the GUI thread to collect (plain data, no torch types). The
// run itself is the command line's (ringscope/model/train/TrainPlan.h): the same data split,
// the same recipe defaults, the same "train_data" and "train_options" in the checkpoints.

#include "jobs/BackgroundJob.h"

#include <mutex>
#include <string>
#include <vector>

namespace ringscope::gui {

struct TrainRequest {
    std::string family = "ringformer"; ///< vit, owf, uit, ringformer
    int hidden = 96, heads = 4, mlp = 384, depth = 6, rank = 8, patch = 4;
    std::string data = "fashion-mnist:train";
    long long holdout = 5000; ///< last N images validate (0: no validation)
    long long limit = 0;      ///< first N images only (0: all)
    long long epochs = 10, batch = 128;
    double lr = 1e-3;
    // The recipe beyond epochs, batch and rate (defaults: those of `ringscope-cli train`).
    bool adamw = false;        ///< AdamW (decoupled weight decay) instead of Adam
    double weightDecay = 0.0;  ///< --weight-decay
    double cropScale = 0.05;   ///< --crop-scale: smallest random-resized-crop area (1: flips only)
    double warmupEpochs = 1.0; ///< --warmup-epochs
    std::string out;           ///< best checkpoint; the latest goes next to it (.last)

    /// The request with the recipe defaults of the command line (TrainOptions).
    static TrainRequest withDefaultRecipe();
};

/// One progress report of the trainer.
struct TrainUpdate {
    bool epochEnd = false;
    long long step = 0, totalSteps = 0, epoch = 0, epochs = 0;
    double loss = 0, accuracy = 0, lr = 0, imagesPerSecond = 0, etaSeconds = 0;
    double valLoss = -1, valAccuracy = -1;
};

/// Updates queued by the worker, taken by the GUI thread.
class TrainFeed {
public:
    void push(const TrainUpdate& u);
    std::vector<TrainUpdate> take();

private:
    std::mutex mutex_;
    std::vector<TrainUpdate> pending_;
};

/// What a finished (or cancelled) run leaves.
struct TrainOutcome {
    std::string checkpoint; ///< the best checkpoint ("" when no epoch finished)
    long long epochsDone = 0;
    double bestAccuracy = -1;
    bool cancelled = false;
};

/// Trains a new model as requested. Throws with a clear message for bad data or options.
TrainOutcome runTraining(const TrainRequest& request, TrainFeed& feed, const JobContext& job);

} // namespace ringscope::gui
