#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/model/DataSource.h"
#include "ringscope/model/ModelFactory.h"
#include "ringscope/model/SubsetDataset.h"
#include "ringscope/model/Runtime.h"
#include "ringscope/model/Trainer.h"

#include <cmath>
#include <iomanip>
#include <iostream>

namespace ringscope::cli {

namespace {

/// The labelled image set behind a data source (npy batches carry no labels), cut to its
/// first N images when `--<limitOption> N` is given; `subset` then owns the cut.
const Dataset& labelledDataset(const DataSource& src, const std::string& option, const CliArgs& args,
                               const std::string& limitOption, std::unique_ptr<Dataset>& subset) {
    if (!src.dataset) throw UsageError{option + " needs an image source with labels, not " + src.spec};
    if (auto n = args.integer(limitOption)) {
        subset = SubsetDataset::first(*src.dataset, *n);
        return *subset;
    }
    return *src.dataset;
}

TrainOptions trainOptions(const CliArgs& args, const std::string& out) {
    TrainOptions o;
    o.epochs = args.integerOr("epochs", o.epochs);
    o.batchSize = args.integerOr("batch", o.batchSize);
    o.lr = args.number("lr").value_or(o.lr);
    o.warmupEpochs = args.number("warmup-epochs").value_or(o.warmupEpochs);
    o.weightDecay = args.number("weight-decay").value_or(o.weightDecay);
    o.labelSmoothing = args.number("label-smoothing").value_or(o.labelSmoothing);
    o.adamw = args.flag("adamw");
    o.augment = !args.flag("no-augment");
    o.seed = uint64_t(args.integerOr("seed", 0));
    o.earlyStopPatience = args.integerOr("patience", 0);
    o.checkpointPath = out;
    if (o.epochs <= 0 || o.batchSize <= 0 || !(o.lr > 0)) throw UsageError{"--epochs, --batch and --lr must be positive"};
    return o;
}

void printProgress(const TrainProgress& p) {
    if (p.epochEnd) {
        std::cerr << "epoch " << p.epoch << "/" << p.epochs << ": loss " << std::fixed << std::setprecision(4) << p.loss
                  << ", train acc " << std::setprecision(4) << p.accuracy;
        if (p.valAccuracy >= 0) std::cerr << ", val acc " << p.valAccuracy << ", val loss " << p.valLoss;
        std::cerr << ", ETA " << std::lround(p.etaSeconds) << " s\n";
    } else if (p.step % 50 == 0) {
        std::cerr << "  step " << p.step << "/" << p.totalSteps << " loss " << std::fixed << std::setprecision(4)
                  << p.loss << " lr " << std::scientific << std::setprecision(2) << p.lr << std::fixed << " "
                  << std::setprecision(0) << p.imagesPerSecond << " img/s\n";
    }
}

} // namespace

int trainCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw,
                 {"family", "encoding", "image-size", "patch", "hidden", "heads", "mlp", "depth", "rank",
                  "channels", "classes", "dropout", "data", "val", "epochs", "batch", "lr", "warmup-epochs",
                  "weight-decay", "label-smoothing", "seed", "patience", "out", "threads", "limit", "val-limit"},
                 {"adamw", "no-augment"});
    const std::string target = args.require("out");
    configureThreads(int(args.integerOr("threads", 0)));
    DataSource data = openDataSource(args.require("data"));
    std::unique_ptr<Dataset> trainSubset, valSubset;
    const Dataset& trainSet = labelledDataset(data, "--data", args, "limit", trainSubset);
    std::optional<DataSource> val;
    const Dataset* valSet = nullptr;
    if (auto v = args.value("val")) {
        val = openDataSource(*v);
        valSet = &labelledDataset(*val, "--val", args, "val-limit", valSubset);
    }

    ModelConfig defaults;
    const cv::Mat first = trainSet.get(0).image;
    defaults.imageSize = first.rows;
    defaults.classes = trainSet.numClasses();
    const ModelConfig config = modelConfigFromArgs(args, defaults);
    const TrainOptions options = trainOptions(args, target);

    auto model = createModel(config, options.seed);
    ModelMetadata meta;
    meta.config = config;
    meta.classNames = trainSet.classNames();
    meta.dataset = data.spec;
    std::cerr << "training " << config.summary() << " (" << model->weights().numel() << " parameters) on "
              << trainSet.description() << "\n";
    TrainResult r = train(*model, trainSet, valSet, options, meta, printProgress);
    nlohmann::json summary = {{"out", target}, {"epochs", r.history.size()}, {"steps", r.steps},
                              {"best_accuracy", r.bestAccuracy}, {"best_epoch", r.bestEpoch},
                              {"stopped_early", r.stoppedEarly}, {"parameters", model->weights().numel()}};
    nlohmann::json history = nlohmann::json::array();
    for (const auto& e : r.history) history.push_back(e.toJson());
    summary["history"] = history;
    out << summary.dump() << "\n";
    return 0;
}

int evaluateCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw, {"heads", "data", "batch", "threads", "limit"}, {"json"});
    configureThreads(int(args.integerOr("threads", 0)));
    LoadedModel loaded = loadModelFromArgs(positionalAt(args, 0, "CHECKPOINT"), args);
    DataSource data = openDataSource(args.require("data"));
    std::unique_ptr<Dataset> subset;
    const Dataset& set = labelledDataset(data, "--data", args, "limit", subset);
    EvalResult r = evaluate(*loaded.model, set, loaded.metadata.inputSpec(), args.integerOr("batch", 256));
    for (const auto& s : r.skipped) std::cerr << "warning: skipped " << s << "\n";
    std::vector<std::vector<int64_t>> confusion;
    for (int64_t i = 0; i < r.confusion.size(0); ++i) {
        const torch::Tensor row = r.confusion[i].contiguous();
        confusion.emplace_back(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
    }
    if (args.flag("json")) {
        out << nlohmann::json({{"checkpoint", loaded.checkpoint.path}, {"data", data.description()},
                               {"images", r.count}, {"skipped", r.skipped.size()}, {"accuracy", r.accuracy},
                               {"loss", r.loss}, {"confusion", confusion}})
                   .dump()
            << "\n";
        return 0;
    }
    out << "data:      " << data.description() << "\nimages:    " << r.count << " (" << r.skipped.size()
        << " skipped)\naccuracy:  " << std::fixed << std::setprecision(4) << r.accuracy << "\nloss:      " << r.loss
        << "\nconfusion (rows: true class):\n";
    for (size_t i = 0; i < confusion.size(); ++i) {
        out << "  " << std::setw(14) << std::left << loaded.metadata.className(int64_t(i)).substr(0, 14) << std::right;
        for (int64_t v : confusion[i]) out << std::setw(6) << v;
        out << "\n";
    }
    return 0;
}

} // namespace ringscope::cli
