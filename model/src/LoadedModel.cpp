#include "ringscope/model/LoadedModel.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/HuggingFaceVit.h"
#include "ringscope/model/nets/ModelFactory.h"

namespace ringscope {

InferenceHints inferenceHints(const Checkpoint& checkpoint, const LoadOptions& options) {
    InferenceHints hints;
    hints.heads = options.heads;
    hints.imageSize = options.imageSize;
    hints.levels = options.levels;
    hints.metadata = checkpoint.metadata;
    if (checkpoint.huggingFace.is_object() && checkpoint.huggingFace.contains("config"))
        hints.huggingFaceConfig = checkpoint.huggingFace["config"];
    return hints;
}

namespace {

/// What a timm or Hugging Face file says beyond its weights, where RingScope's own metadata
/// is silent: class names (config.json's id2label) and the input normalisation
/// (preprocessor_config.json, else the origin's usual values), with where it came from.
void timmDefaults(const Checkpoint& ck, ModelMetadata& m) {
    const nlohmann::json& own = ck.metadata;
    const nlohmann::json& hf = ck.huggingFace;
    if (m.classNames.empty() && hf.is_object() && hf.contains("config") &&
        hf["config"].contains("id2label") && hf["config"]["id2label"].is_object()) {
        const nlohmann::json& labels = hf["config"]["id2label"];
        std::vector<std::string> names(size_t(m.config.classes));
        for (int64_t i = 0; i < m.config.classes; ++i) {
            const std::string k = std::to_string(i);
            names[size_t(i)] = labels.contains(k) && labels[k].is_string()
                                   ? labels[k].get<std::string>()
                                   : "class " + k;
        }
        m.classNames = names;
    }
    if (own.is_object() && own.contains("normalization")) {
        m.extra["normalization_source"] = "file metadata";
        return;
    }
    const nlohmann::json pre =
        hf.is_object() && hf.contains("preprocessor") ? hf["preprocessor"] : nlohmann::json();
    if (pre.is_object() && pre.contains("image_mean") && pre.contains("image_std")) {
        m.normalization =
            Normalization::fromJson({{"mean", pre["image_mean"]}, {"std", pre["image_std"]}});
        m.extra["normalization_source"] = "preprocessor_config.json";
    } else if (m.config.timm.origin == "hf") {
        m.normalization = Normalization{};
        m.extra["normalization_source"] = "Hugging Face default (0.5, 0.5)";
    } else {
        m.normalization.mean = {0.485, 0.456, 0.406};
        m.normalization.std = {0.229, 0.224, 0.225};
        m.extra["normalization_source"] = "timm default (ImageNet mean and std)";
    }
}

} // namespace

StateDict modelWeights(const Checkpoint& checkpoint) {
    return isHuggingFaceVit(checkpoint.weights) ? timmWeightsFromHuggingFace(checkpoint.weights)
                                                : checkpoint.weights;
}

InferredConfig inferCheckpoint(const Checkpoint& checkpoint, const InferenceHints& hints) {
    return inferConfig(modelWeights(checkpoint), hints);
}

ModelMetadata metadataFor(const Checkpoint& checkpoint, const ModelConfig& config) {
    ModelMetadata m = ModelMetadata::fromJson(checkpoint.metadata, config);
    // The weights decide the architecture; the metadata only adds heads and dropout.
    m.config = config;
    if (config.family == Family::TimmViT)
        timmDefaults(checkpoint, m);
    else
        m.extra["normalization_source"] =
            checkpoint.metadata.is_object() && checkpoint.metadata.contains("normalization")
                ? "file metadata"
                : "RingScope default (0.5, 0.5)";
    return m;
}

LoadedModel loadModel(const std::string& path, const LoadOptions& options) {
    return modelFromCheckpoint(loadCheckpoint(path), options);
}

LoadedModel modelFromCheckpoint(Checkpoint checkpoint, const LoadOptions& options) {
    LoadedModel out;
    out.checkpoint = std::move(checkpoint);
    const std::string& path = out.checkpoint.path;
    const InferenceHints hints = inferenceHints(out.checkpoint, options);
    try {
        // A Hugging Face ViT runs as the timm ViT it is (the file's own tensors stay in
        // checkpoint.weights for the inspector).
        const StateDict weights = modelWeights(out.checkpoint);
        InferredConfig inferred = inferConfig(weights, hints);
        out.headsSource = inferred.headsSource;
        ModelConfig config = requireConfig(weights, hints);
        out.metadata = metadataFor(out.checkpoint, config);
        if (options.normalization) {
            out.metadata.normalization = *options.normalization;
            out.metadata.extra["normalization_source"] = "given";
        }
        out.model = modelFromWeights(config, weights);
    } catch (const AmbiguousShapeError& e) {
        throw AmbiguousShapeError(path + ": " + e.what(), e.candidates());
    } catch (const ModelMismatchError& e) {
        throw ModelMismatchError(path + ": " + e.what());
    } catch (const RingScopeError& e) {
        throw FileFormatError(path, e.what());
    }
    return out;
}

nlohmann::json metadataForSave(const VisionModel& model, const ModelMetadata& metadata) {
    ModelMetadata m = metadata;
    m.config = model.config();
    return m.toJson();
}

} // namespace ringscope
