#include "ringscope/model/LoadedModel.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/ModelFactory.h"

namespace ringscope {

InferenceHints inferenceHints(const Checkpoint& checkpoint, const LoadOptions& options) {
    InferenceHints hints;
    hints.heads = options.heads;
    hints.imageSize = options.imageSize;
    hints.levels = options.levels;
    hints.metadata = checkpoint.metadata;
    return hints;
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
        InferredConfig inferred = inferConfig(out.checkpoint.weights, hints);
        out.headsSource = inferred.headsSource;
        ModelConfig config = requireConfig(out.checkpoint.weights, hints);
        out.metadata = ModelMetadata::fromJson(out.checkpoint.metadata, config);
        // The weights decide the architecture; the metadata only adds heads and dropout.
        out.metadata.config = config;
        out.model = modelFromWeights(config, out.checkpoint.weights);
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
