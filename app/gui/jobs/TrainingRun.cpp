#include <torch/types.h>

#include "jobs/TrainingRun.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/ModelConfig.h"
#include "ringscope/model/train/TrainPlan.h"

namespace ringscope::gui {

void TrainFeed::push(const TrainUpdate& u) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back(u);
}

std::vector<TrainUpdate> TrainFeed::take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(pending_, {});
}

TrainRequest TrainRequest::withDefaultRecipe() {
    const TrainOptions o;
    TrainRequest r;
    r.epochs = o.epochs;
    r.batch = o.batchSize;
    r.lr = o.lr;
    r.adamw = o.adamw;
    r.weightDecay = o.weightDecay;
    r.cropScale = o.augmentation.minScale;
    r.warmupEpochs = o.warmupEpochs;
    return r;
}

namespace {

TrainOptions recipeOf(const TrainRequest& r) {
    TrainOptions o;
    o.epochs = r.epochs;
    o.batchSize = r.batch;
    o.lr = r.lr;
    o.adamw = r.adamw;
    o.weightDecay = r.weightDecay;
    o.augmentation.minScale = r.cropScale;
    o.warmupEpochs = r.warmupEpochs;
    o.checkpointPath = r.out;
    o.lastCheckpointPath = lastCheckpointPathFor(r.out);
    if (o.epochs <= 0 || o.batchSize <= 0 || !(o.lr > 0))
        throw RingScopeError("epochs, batch and learning rate must be positive");
    if (!(r.cropScale > 0 && r.cropScale <= 1))
        throw RingScopeError("the crop scale must lie in (0, 1]");
    return o;
}

} // namespace

TrainOutcome runTraining(const TrainRequest& r, TrainFeed& feed, const JobContext& job) {
    if (r.out.empty()) throw RingScopeError("no output file for the trained model");
    TrainData data;
    data.data = r.data;
    if (r.holdout > 0) data.holdout = r.holdout;
    if (r.limit > 0) data.limit = r.limit;
    const auto configure = [&r](const Dataset& fit) {
        ModelConfig c;
        c.family = parseFamily(r.family);
        c.encoding = c.family == Family::UiT ? LevelEncoding::Static : LevelEncoding::None;
        c.patch = r.patch;
        c.channels = 3;
        c.hidden = r.hidden;
        c.heads = r.heads;
        c.mlp = r.mlp;
        c.depth = r.depth;
        c.rank = r.rank;
        return configForData(c, fit);
    };
    TrainingPlan plan(data, configure, recipeOf(r));
    const TrainResult result = plan.run(
        [&](const TrainProgress& p) {
            TrainUpdate u{p.epochEnd,        p.step,       p.totalSteps, p.epoch,
                          p.epochs,          p.loss,       p.accuracy,   p.lr,
                          p.imagesPerSecond, p.etaSeconds, p.valLoss,    p.valAccuracy};
            feed.push(u);
            job.report(p.step, p.totalSteps);
        },
        job.cancel);
    TrainOutcome out;
    out.epochsDone = int64_t(result.history.size());
    out.bestAccuracy = result.bestAccuracy;
    out.cancelled = result.cancelled;
    if (out.epochsDone > 0) out.checkpoint = r.out;
    return out;
}

} // namespace ringscope::gui
