#include "ringscope/model/train/TrainPlan.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/data/DataSource.h"
#include "ringscope/model/data/SubsetDataset.h"
#include "ringscope/model/nets/ModelFactory.h"

namespace ringscope {

namespace {

std::optional<int64_t> storedInteger(const nlohmann::json& j, const char* key) {
    if (j.is_object() && j.contains(key) && j[key].is_number_integer())
        return j[key].get<int64_t>();
    return std::nullopt;
}

std::string storedString(const nlohmann::json& j, const char* key) {
    if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    return {};
}

} // namespace

nlohmann::json TrainData::toJson() const {
    nlohmann::json j = {{"data", data}};
    if (!val.empty()) j["val"] = val;
    if (holdout) j["holdout"] = *holdout;
    if (limit) j["limit"] = *limit;
    if (valLimit) j["val_limit"] = *valLimit;
    return j;
}

TrainData TrainData::fromJson(const nlohmann::json& j) {
    TrainData d;
    d.data = storedString(j, "data");
    d.val = storedString(j, "val");
    d.holdout = storedInteger(j, "holdout");
    d.limit = storedInteger(j, "limit");
    d.valLimit = storedInteger(j, "val_limit");
    return d;
}

struct TrainSets::Parts {
    DataSource data;
    std::optional<DataSource> valSource;
    std::unique_ptr<Dataset> trainCut, valCut, fitPart, holdoutPart;
};

namespace {

/// The labelled images of `source`, cut to the first `limit` when given (`cut` owns the cut).
const Dataset& labelled(const DataSource& source, std::optional<int64_t> limit,
                        std::unique_ptr<Dataset>& cut) {
    if (!source.dataset)
        throw RingScopeError(source.spec +
                             ": training needs an image source with labels, not an npy batch");
    if (limit) {
        cut = SubsetDataset::first(*source.dataset, *limit);
        return *cut;
    }
    return *source.dataset;
}

} // namespace

TrainSets::TrainSets(const TrainData& d) : parts_(std::make_unique<Parts>()) {
    if (d.data.empty()) throw RingScopeError("no training data given");
    if (d.holdout && !d.val.empty())
        throw RingScopeError("a hold-out set and a validation source exclude each other");
    parts_->data = openDataSource(d.data);
    const Dataset& all = labelled(parts_->data, d.limit, parts_->trainCut);
    fit_ = &all;
    if (!d.val.empty()) {
        parts_->valSource = openDataSource(d.val);
        val_ = &labelled(*parts_->valSource, d.valLimit, parts_->valCut);
    }
    if (d.holdout) {
        const int64_t total = all.size();
        if (*d.holdout <= 0 || *d.holdout >= total)
            throw RingScopeError("the hold-out set must hold between 1 and " +
                                 std::to_string(total - 1) + " of the " + std::to_string(total) +
                                 " training images");
        parts_->fitPart = SubsetDataset::first(all, total - *d.holdout);
        parts_->holdoutPart = SubsetDataset::range(all, total - *d.holdout, *d.holdout);
        fit_ = parts_->fitPart.get();
        val_ = parts_->holdoutPart.get();
    }
}

TrainSets::~TrainSets() = default;

ModelConfig configForData(ModelConfig c, const Dataset& fit) {
    if (fit.size() == 0) throw RingScopeError(fit.description() + ": no training images");
    c.imageSize = fit.get(0).image.rows;
    c.classes = fit.numClasses();
    c.validate();
    return c;
}

TrainOptions storedRecipe(const ModelMetadata& metadata, const TrainOptions& defaults) {
    return TrainOptions::fromJson(metadata.extra.value("train_options", nlohmann::json()),
                                  defaults);
}

TrainData storedTrainData(const ModelMetadata& metadata) {
    return TrainData::fromJson(metadata.extra.value("train_data", nlohmann::json()));
}

void requireResumable(const LoadedModel& loaded) {
    const Checkpoint& ck = loaded.checkpoint;
    if (ck.state) return;
    const std::string why = ck.training.is_object() && ck.training.contains("optimizer_problem")
                                ? ck.training["optimizer_problem"].get<std::string>()
                                : "it holds no optimizer state";
    throw FileFormatError(ck.path, "cannot resume from this checkpoint: " + why);
}

TrainingPlan::TrainingPlan(const TrainData& data, const Configure& configure, TrainOptions options)
    : sets_(data), options_(std::move(options)) {
    metadata_.config = configure(sets_.fit());
    metadata_.classNames = sets_.fit().classNames();
    metadata_.dataset = data.data;
    metadata_.extra["train_data"] = data.toJson();
    model_ = createModel(metadata_.config, options_.seed);
}

TrainingPlan::TrainingPlan(const TrainData& data, const LoadedModel& resumed, TrainOptions options)
    : sets_(data), options_(std::move(options)), metadata_(resumed.metadata), model_(resumed.model),
      resumed_(true) {
    requireResumable(resumed);
    options_.resume = resumed.checkpoint.state;
    metadata_.dataset = data.data;
    metadata_.extra["train_data"] = data.toJson();
}

TrainResult TrainingPlan::run(const ProgressCallback& progress, const CancelCallback& cancel) {
    return train(*model_, sets_.fit(), sets_.validation(), options_, metadata_, progress, cancel);
}

} // namespace ringscope
