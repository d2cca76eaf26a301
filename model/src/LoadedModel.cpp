#include "ringscope/model/LoadedModel.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/HuggingFaceVit.h"
#include "ringscope/model/nets/ModelFactory.h"

#include <filesystem>

namespace ringscope {

InferenceHints inferenceHints(const Checkpoint& checkpoint, const LoadOptions& options) {
    InferenceHints hints;
    hints.heads = options.heads;
    hints.imageSize = options.imageSize;
    hints.levels = options.levels;
    hints.metadata = checkpoint.metadata;
    if (checkpoint.huggingFace.is_object() && checkpoint.huggingFace.contains("config"))
        hints.huggingFaceConfig = checkpoint.huggingFace["config"];
    if (checkpoint.huggingFace.is_object() && checkpoint.huggingFace.contains("timm"))
        hints.timmConfig = checkpoint.huggingFace["timm"];
    return hints;
}

namespace {

/// Class names from a Hugging Face config.json's id2label ("class i" where it has none).
std::vector<std::string> huggingFaceClassNames(const nlohmann::json& config, int64_t classes) {
    const nlohmann::json& labels = config["id2label"];
    std::vector<std::string> names(static_cast<size_t>(classes));
    for (int64_t i = 0; i < classes; ++i) {
        const std::string k = std::to_string(i);
        names[size_t(i)] = labels.contains(k) && labels[k].is_string()
                               ? labels[k].get<std::string>()
                               : "class " + k;
    }
    return names;
}

/// Class names from timm's config.json: label_names (a list, or a dict from index to name),
/// each replaced by its label_descriptions entry where there is one ("tench, Tinca tinca" for
/// "n01440764"); empty unless it names every class.
std::vector<std::string> timmClassNames(const nlohmann::json& config, int64_t classes) {
    const nlohmann::json names = config.value("label_names", nlohmann::json());
    const nlohmann::json descriptions = config.value("label_descriptions", nlohmann::json());
    std::vector<std::string> out;
    for (int64_t i = 0; i < classes; ++i) {
        const std::string k = std::to_string(i);
        const nlohmann::json name = names.is_array() && i < int64_t(names.size()) ? names[size_t(i)]
                                    : names.is_object() && names.contains(k)      ? names[k]
                                                                             : nlohmann::json();
        if (!name.is_string()) return {};
        const std::string n = name.get<std::string>();
        out.push_back(descriptions.is_object() && descriptions.contains(n) &&
                              descriptions[n].is_string()
                          ? descriptions[n].get<std::string>()
                          : n);
    }
    return out;
}

/// The normalisation a timm or Hugging Face file implies when RingScope's metadata is silent:
/// preprocessor_config.json, else timm's pretrained_cfg in config.json, else the origin's
/// usual values; returns where it came from.
std::string timmNormalization(const Checkpoint& ck, ModelMetadata& m) {
    const nlohmann::json& hf = ck.huggingFace;
    const nlohmann::json pre =
        hf.is_object() && hf.contains("preprocessor") ? hf["preprocessor"] : nlohmann::json();
    if (pre.is_object() && pre.contains("image_mean") && pre.contains("image_std")) {
        m.normalization =
            Normalization::fromJson({{"mean", pre["image_mean"]}, {"std", pre["image_std"]}});
        return "preprocessor_config.json";
    }
    const nlohmann::json cfg = hf.is_object() && hf.contains("timm")
                                   ? hf["timm"].value("pretrained_cfg", nlohmann::json())
                                   : nlohmann::json();
    if (cfg.is_object() && cfg.contains("mean") && cfg.contains("std")) {
        try {
            m.normalization = Normalization::fromJson({{"mean", cfg["mean"]}, {"std", cfg["std"]}});
        } catch (const RingScopeError& e) {
            const std::string config =
                (std::filesystem::path(ck.path).parent_path() / "config.json").string();
            throw FileFormatError(config, std::string("pretrained_cfg: ") + e.what());
        }
        return "config.json (timm's pretrained_cfg)";
    }
    if (m.config.timm.origin == "hf") {
        m.normalization = Normalization{};
        return "Hugging Face default (0.5, 0.5)";
    }
    m.normalization.mean = {0.485, 0.456, 0.406};
    m.normalization.std = {0.229, 0.224, 0.225};
    return "timm default (ImageNet mean and std)";
}

} // namespace

StateDict modelWeights(const Checkpoint& checkpoint, FusedQkv fused) {
    return isHuggingFaceVit(checkpoint.weights)
               ? timmWeightsFromHuggingFace(checkpoint.weights, fused)
               : checkpoint.weights;
}

InferredConfig inferCheckpoint(const Checkpoint& checkpoint, const InferenceHints& hints) {
    // Inference reads shapes only: a Hugging Face ViT's q|k|v are not concatenated for it.
    return inferConfig(modelWeights(checkpoint, FusedQkv::Shapes), hints);
}

ModelMetadata metadataFor(const Checkpoint& checkpoint, const ModelConfig& config) {
    ModelMetadata m = ModelMetadata::fromJson(checkpoint.metadata, config);
    // The weights decide the architecture; the metadata only adds heads and dropout.
    m.config = config;
    const nlohmann::json& hf = checkpoint.huggingFace;
    if (config.family == Family::TimmViT && m.classNames.empty() && hf.is_object() &&
        hf.contains("config") && hf["config"].contains("id2label") &&
        hf["config"]["id2label"].is_object())
        m.classNames = huggingFaceClassNames(hf["config"], config.classes);
    if (config.family == Family::TimmViT && m.classNames.empty() && hf.is_object() &&
        hf.contains("timm") && hf["timm"].is_object())
        m.classNames = timmClassNames(hf["timm"], config.classes);
    const bool fileSays =
        checkpoint.metadata.is_object() && checkpoint.metadata.contains("normalization");
    m.extra["normalization_source"] = fileSays ? std::string("file metadata")
                                      : config.family == Family::TimmViT
                                          ? timmNormalization(checkpoint, m)
                                          : std::string(kDefaultNormalizationSource);
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
