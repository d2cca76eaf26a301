#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/model/data/DataSource.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/ModelFactory.h"
#include "ringscope/model/train/ProcessGroup.h"
#include "ringscope/model/data/SubsetDataset.h"
#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/io/Sha256.h"
#include "ringscope/model/train/TrainPlan.h"
#include "ringscope/model/train/Trainer.h"

#include <cmath>
#include <iomanip>
#include <iostream>
#include <numeric>

namespace ringscope::cli {

namespace {

/// The labelled image set behind a data source (npy batches carry no labels), cut to its
/// first `limit` images when given; `subset` then owns the cut.
const Dataset& labelledDataset(const DataSource& src, const std::string& option,
                               std::optional<int64_t> limit, std::unique_ptr<Dataset>& subset) {
    if (!src.dataset)
        throw UsageError{option + " needs an image source with labels, not " + src.spec};
    if (limit) {
        subset = SubsetDataset::first(*src.dataset, *limit);
        return *subset;
    }
    return *src.dataset;
}

/// Where the data of a run comes from: the command line over what a resumed run stored.
TrainData trainData(const CliArgs& args, const std::optional<TrainData>& stored) {
    const bool storedHere = stored && !args.value("data");
    TrainData d;
    d.data = args.value("data").value_or(storedHere ? stored->data : std::string());
    if (d.data.empty()) throw UsageError{"--data is required"};
    d.val = args.value("val").value_or(storedHere ? stored->val : std::string());
    d.holdout = args.integer("holdout");
    if (!d.holdout && storedHere && !args.value("val")) d.holdout = stored->holdout;
    d.limit = args.integer("limit");
    if (!d.limit && storedHere) d.limit = stored->limit;
    d.valLimit = args.integer("val-limit");
    if (!d.valLimit && storedHere) d.valLimit = stored->valLimit;
    if (d.holdout && !d.val.empty()) throw UsageError{"--holdout and --val exclude each other"};
    if (d.holdout && *d.holdout <= 0)
        throw UsageError{"--holdout must lie between 1 and the number of training images - 1"};
    return d;
}

/// Training options: the command line over `base` (the defaults, or a resumed run's recipe).
TrainOptions trainOptions(const CliArgs& args, const std::string& out, const TrainOptions& base) {
    TrainOptions o = base;
    o.epochs = args.integerOr("epochs", o.epochs);
    o.batchSize = args.integerOr("batch", o.batchSize);
    o.lr = args.number("lr").value_or(o.lr);
    o.warmupEpochs = args.number("warmup-epochs").value_or(o.warmupEpochs);
    o.weightDecay = args.number("weight-decay").value_or(o.weightDecay);
    o.labelSmoothing = args.number("label-smoothing").value_or(o.labelSmoothing);
    o.adamw = o.adamw || args.flag("adamw");
    o.augment = o.augment && !args.flag("no-augment");
    o.augmentation.minScale = args.number("crop-scale").value_or(o.augmentation.minScale);
    if (!(o.augmentation.minScale > 0 && o.augmentation.minScale <= 1))
        throw UsageError{"--crop-scale must lie in (0, 1]"};
    o.seed = uint64_t(args.integerOr("seed", int64_t(o.seed)));
    o.earlyStopPatience = args.integerOr("patience", o.earlyStopPatience);
    o.checkpointPath = out;
    o.lastCheckpointPath = args.value("last").value_or(lastCheckpointPathFor(out));
    if (o.epochs <= 0 || o.batchSize <= 0 || !(o.lr > 0))
        throw UsageError{"--epochs, --batch and --lr must be positive"};
    return o;
}

void printProgress(const TrainProgress& p) {
    if (p.epochEnd) {
        std::cerr << "epoch " << p.epoch << "/" << p.epochs << ": loss " << std::fixed
                  << std::setprecision(4) << p.loss << ", train acc " << std::setprecision(4)
                  << p.accuracy;
        if (p.valAccuracy >= 0)
            std::cerr << ", val acc " << p.valAccuracy << ", val loss " << p.valLoss;
        std::cerr << ", ETA " << std::lround(p.etaSeconds) << " s\n";
    } else if (p.step % 50 == 0) {
        std::cerr << "  step " << p.step << "/" << p.totalSteps << " loss " << std::fixed
                  << std::setprecision(4) << p.loss << " lr " << std::scientific
                  << std::setprecision(2) << p.lr << std::fixed << " " << std::setprecision(0)
                  << p.imagesPerSecond << " img/s\n";
    }
}

} // namespace

int trainCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw, {"family",    "encoding", "image-size",    "patch",        "hidden",
                       "heads",     "mlp",      "depth",         "rank",         "channels",
                       "classes",   "dropout",  "data",          "val",          "epochs",
                       "batch",     "lr",       "warmup-epochs", "weight-decay", "label-smoothing",
                       "seed",      "patience", "out",           "threads",      "limit",
                       "val-limit", "holdout",  "crop-scale",    "resume",       "last"},
                 {"adamw", "no-augment", "distributed"});
    const std::string target = args.require("out");
    configureThreads(int(args.integerOr("threads", 0)));
    std::optional<LoadedModel> resumed;
    std::optional<TrainData> stored;
    TrainOptions base;
    if (auto r = args.value("resume")) {
        resumed = loadModelFromArgs(*r, args);
        requireResumable(*resumed);
        base = storedRecipe(resumed->metadata);
        stored = storedTrainData(resumed->metadata);
    }
    const TrainData dataSpec = trainData(args, stored);
    TrainOptions options = trainOptions(args, target, base);
    std::shared_ptr<ProcessGroup> group;
    if (args.flag("distributed")) {
        group = std::make_shared<ProcessGroup>(ProcessGroup::optionsFromEnvironment());
        options.group = group;
    }
    const bool leader = !group || group->rank() == 0;
    std::unique_ptr<TrainingPlan> plan;
    if (resumed) {
        plan = std::make_unique<TrainingPlan>(dataSpec, *resumed, options);
    } else {
        // The model options over defaults whose image size and classes are the data's.
        const auto configure = [&args](const Dataset& fit) {
            ModelConfig defaults;
            defaults.imageSize = fit.get(0).image.rows;
            defaults.classes = fit.numClasses();
            return modelConfigFromArgs(args, defaults);
        };
        plan = std::make_unique<TrainingPlan>(dataSpec, configure, options);
    }
    const VisionModel& model = plan->model();
    if (leader) {
        const Dataset* val = plan->sets().validation();
        std::cerr << (resumed ? "resuming " : "training ") << model.config().summary() << " ("
                  << model.weights().numel() << " parameters) on "
                  << plan->sets().fit().description()
                  << (val ? ", validating on " + val->description() : std::string());
        if (group) std::cerr << ", " << group->worldSize() << " processes";
        std::cerr << "\n";
    }
    const TrainResult r = plan->run(leader ? printProgress : ProgressCallback{});
    nlohmann::json summary = {{"out", target},
                              {"last", options.lastCheckpointPath},
                              {"epochs", r.history.size()},
                              {"first_epoch", r.firstEpoch},
                              {"steps", r.steps},
                              {"best_accuracy", r.bestAccuracy},
                              {"best_epoch", r.bestEpoch},
                              {"stopped_early", r.stoppedEarly},
                              {"cancelled", r.cancelled},
                              {"parameters", model.weights().numel()}};
    summary["weights_sha256"] = weightsFingerprint(model.weights());
    if (group) summary["rank"] = group->rank();
    nlohmann::json history = nlohmann::json::array();
    for (const auto& e : r.history)
        history.push_back(e.toJson());
    summary["history"] = history;
    out << summary.dump() << "\n";
    return 0;
}

int evaluateCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw, withDepthOptions(withModelOptions({"data", "batch", "threads", "limit"})),
                 {"json"});
    configureThreads(int(args.integerOr("threads", 0)));
    LoadedModel loaded = loadModelFromArgs(positionalAt(args, 0, "CHECKPOINT"), args);
    DataSource data = openDataSource(args.require("data"));
    std::unique_ptr<Dataset> subset;
    const Dataset& set = labelledDataset(data, "--data", args.integer("limit"), subset);
    EvalResult r = evaluate(*loaded.model, set, loaded.metadata.inputSpec(),
                            args.integerOr("batch", 256), {}, {}, depthFromArgs(args));
    for (const auto& s : r.skipped)
        std::cerr << "warning: skipped " << s << "\n";
    std::vector<std::vector<int64_t>> confusion;
    for (int64_t i = 0; i < r.confusion.size(0); ++i) {
        const torch::Tensor row = r.confusion[i].contiguous();
        confusion.emplace_back(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
    }
    if (args.flag("json")) {
        out << nlohmann::json({{"checkpoint", loaded.checkpoint.path},
                               {"data", data.description()},
                               {"images", r.count},
                               {"skipped", r.skipped.size()},
                               {"accuracy", r.accuracy},
                               {"loss", r.loss},
                               {"confusion", confusion}})
                   .dump()
            << "\n";
        return 0;
    }
    out << "data:      " << data.description() << "\nimages:    " << r.count << " ("
        << r.skipped.size() << " skipped)\naccuracy:  " << std::fixed << std::setprecision(4)
        << r.accuracy << "\nloss:      " << r.loss << "\nconfusion (rows: true class):\n";
    for (size_t i = 0; i < confusion.size(); ++i) {
        out << "  " << std::setw(14) << std::left
            << loaded.metadata.className(int64_t(i)).substr(0, 14) << std::right;
        for (int64_t v : confusion[i])
            out << std::setw(6) << v;
        out << "\n";
    }
    return 0;
}

} // namespace ringscope::cli
