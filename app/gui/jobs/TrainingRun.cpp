#include <torch/types.h>

#include "jobs/TrainingRun.h"

#include "ringscope/model/data/DataSource.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/ModelFactory.h"
#include "ringscope/model/data/SubsetDataset.h"
#include "ringscope/model/train/Trainer.h"

namespace ringscope::gui {

void TrainFeed::push(const TrainUpdate& u) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back(u);
}

std::vector<TrainUpdate> TrainFeed::take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(pending_, {});
}

TrainOutcome runTraining(const TrainRequest& r, TrainFeed& feed, const JobContext& job) {
    if (r.out.empty()) throw RingScopeError("no output file for the trained model");
    const DataSource source = openDataSource(r.data);
    if (!source.dataset)
        throw RingScopeError(r.data + ": training needs labelled images, not an npy batch");
    std::unique_ptr<Dataset> cut, fitPart, valPart;
    const Dataset* all = source.dataset.get();
    if (r.limit > 0) {
        cut = SubsetDataset::first(*all, r.limit);
        all = cut.get();
    }
    const Dataset* fit = all;
    const Dataset* val = nullptr;
    if (r.holdout > 0) {
        if (r.holdout >= all->size())
            throw RingScopeError("the hold-out set must be smaller than the " +
                                 std::to_string(all->size()) + " images");
        fitPart = SubsetDataset::first(*all, all->size() - r.holdout);
        valPart = SubsetDataset::range(*all, all->size() - r.holdout, r.holdout);
        fit = fitPart.get();
        val = valPart.get();
    }
    ModelConfig c;
    c.family = parseFamily(r.family);
    c.encoding = c.family == Family::UiT ? LevelEncoding::Static : LevelEncoding::None;
    c.imageSize = fit->get(0).image.rows;
    c.patch = r.patch;
    c.channels = 3;
    c.hidden = r.hidden;
    c.heads = r.heads;
    c.mlp = r.mlp;
    c.depth = r.depth;
    c.rank = r.rank;
    c.classes = fit->numClasses();
    c.validate();
    TrainOptions o;
    o.epochs = r.epochs;
    o.batchSize = r.batch;
    o.lr = r.lr;
    o.adamw = true;
    o.weightDecay = 0.05;
    o.augmentation.minScale = 1.0; // flips only, as for the demo models
    o.checkpointPath = r.out;
    o.lastCheckpointPath = lastCheckpointPathFor(r.out);
    ModelMetadata meta;
    meta.config = c;
    meta.classNames = fit->classNames();
    meta.dataset = r.data;
    auto model = createModel(c, o.seed);
    const TrainResult result = train(
        *model, *fit, val, o, meta,
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
