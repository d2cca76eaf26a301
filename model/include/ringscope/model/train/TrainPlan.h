#pragma once
/// @file TrainPlan.h
/// A training run as both front ends set it up (`ringscope-cli train` and the app's Train
/// view): where the images come from and how they are split, the model (new or resumed) and
/// the recipe (TrainOptions, one set of defaults). The checkpoints of every run carry the data
/// split as "train_data" and the recipe as "train_options", so that `train --resume` carries
/// on an app-trained run as well as a command-line one.

#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/train/Trainer.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace ringscope {

/// Where the images of a run come from, and which validate.
struct TrainData {
    std::string data;                ///< data-source spec of the training images
    std::string val;                 ///< a separate validation source ("" : none)
    std::optional<int64_t> holdout;  ///< the last N images of `data` validate instead
    std::optional<int64_t> limit;    ///< first N training images only
    std::optional<int64_t> valLimit; ///< first N validation images only

    nlohmann::json toJson() const;
    /// Reads what toJson() wrote (a missing or malformed field stays unset).
    static TrainData fromJson(const nlohmann::json& j);
};

/// The labelled sets of a run, opened from a TrainData (they own what they are cut from).
class TrainSets {
public:
    /// Throws RingScopeError for an unlabelled source (npy), a hold-out set that leaves no
    /// training image, or a hold-out set together with a validation source.
    explicit TrainSets(const TrainData& data);
    ~TrainSets();
    TrainSets(const TrainSets&) = delete;
    TrainSets& operator=(const TrainSets&) = delete;

    const Dataset& fit() const { return *fit_; }
    const Dataset* validation() const { return val_; }

private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
    const Dataset* fit_ = nullptr;
    const Dataset* val_ = nullptr;
};

/// A new model's configuration for `fit`: `requested` with the data's image size and class
/// count (validated; throws RingScopeError).
ModelConfig configForData(ModelConfig requested, const Dataset& fit);

/// The recipe and data split a checkpoint was trained with (defaults where it says nothing).
TrainOptions storedRecipe(const ModelMetadata& metadata, const TrainOptions& defaults = {});
TrainData storedTrainData(const ModelMetadata& metadata);

/// Throws FileFormatError when `loaded` holds no optimizer state to resume from.
void requireResumable(const LoadedModel& loaded);

/// A training run, ready to start: the sets opened, the model built (or the resumed one), the
/// metadata its checkpoints carry.
class TrainingPlan {
public:
    /// The configuration of a new model, given the training set (see configForData()).
    using Configure = std::function<ModelConfig(const Dataset& fit)>;
    /// A new model of the configuration `configure` returns, trained by `options`.
    TrainingPlan(const TrainData& data, const Configure& configure, TrainOptions options);
    /// Carries on `resumed` (requireResumable) with `options` (usually storedRecipe()).
    TrainingPlan(const TrainData& data, const LoadedModel& resumed, TrainOptions options);

    const TrainSets& sets() const { return sets_; }
    VisionModel& model() { return *model_; }
    const ModelMetadata& metadata() const { return metadata_; }
    const TrainOptions& options() const { return options_; }
    bool resumed() const { return resumed_; }

    /// Trains (see train()); progress and cancel as there.
    TrainResult run(const ProgressCallback& progress = {}, const CancelCallback& cancel = {});

private:
    TrainSets sets_;
    TrainOptions options_;
    ModelMetadata metadata_;
    std::shared_ptr<VisionModel> model_;
    bool resumed_ = false;
};

} // namespace ringscope
