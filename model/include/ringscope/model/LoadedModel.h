#pragma once
/// @file LoadedModel.h
/// A checkpoint file turned into a ready model: weights read, architecture inferred, metadata
/// parsed.

#include "ringscope/model/nets/ArchitectureInference.h"
#include "ringscope/model/checkpoint/Checkpoint.h"
#include "ringscope/model/nets/HuggingFaceVit.h"
#include "ringscope/model/ModelMetadata.h"
#include "ringscope/model/nets/VisionModel.h"

#include <memory>
#include <optional>
#include <string>

namespace ringscope {

/// Options of loadModel().
struct LoadOptions {
    std::optional<int64_t> heads;     ///< used when the file does not say
    std::optional<int64_t> imageSize; ///< only for ambiguous learnable UiT tables
    std::optional<int64_t> levels;    ///< only for ambiguous learnable UiT tables
    /// Input normalisation over what the file says or the default (mean and std per channel).
    std::optional<Normalization> normalization;
};

/// A model with the file it came from.
struct LoadedModel {
    Checkpoint checkpoint;  ///< raw file contents (weights, metadata, training info)
    ModelMetadata metadata; ///< parsed metadata (defaults where the file is silent)
    HeadsSource headsSource = HeadsSource::Unknown;
    std::shared_ptr<VisionModel> model;
};

/// What inference knows about a checkpoint: the options given, and the file's own metadata.
InferenceHints inferenceHints(const Checkpoint& checkpoint, const LoadOptions& options);

/// The weights as the model reads them: the file's own, or for a Hugging Face ViT the same
/// tensors under timm's names (see HuggingFaceVit.h), its q|k|v fused as `fused` says.
StateDict modelWeights(const Checkpoint& checkpoint, FusedQkv fused = FusedQkv::Values);

/// What inference makes of a checkpoint's weights (modelWeights) with `hints`.
InferredConfig inferCheckpoint(const Checkpoint& checkpoint, const InferenceHints& hints);

/// The metadata a model of `config` from `checkpoint` runs with: the file's RingScope metadata
/// over the defaults; for a timm ViT also the class names of config.json and the normalisation
/// of preprocessor_config.json, else the origin's usual one (timm: ImageNet mean and std;
/// Hugging Face: 0.5), with `extra["normalization_source"]` saying which.
ModelMetadata metadataFor(const Checkpoint& checkpoint, const ModelConfig& config);

/// Builds the model of a checkpoint already read (the weights are shared, not copied). Throws
/// ModelMismatchError (prefixed with the path; AmbiguousShapeError for a level table that
/// needs --image-size or --levels) when the weights fit no model or the heads are unknown.
LoadedModel modelFromCheckpoint(Checkpoint checkpoint, const LoadOptions& options = {});

/// Reads a checkpoint and builds its model. Throws FileFormatError / UnsafePickleError for the
/// file and ModelMismatchError (prefixed with the path) when the weights fit no model or the
/// heads are unknown.
LoadedModel loadModel(const std::string& path, const LoadOptions& options = {});

/// Metadata to store with a model (config, class names, normalisation, ...).
nlohmann::json metadataForSave(const VisionModel& model, const ModelMetadata& metadata);

} // namespace ringscope
