#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/model/ArchitectureInference.h"
#include "ringscope/model/Checkpoint.h"
#include "ringscope/model/Error.h"

#include <iomanip>

namespace ringscope::cli {

namespace {

nlohmann::json describe(const Checkpoint& ckpt, const InferredConfig& inferred) {
    nlohmann::json j;
    j["path"] = ckpt.path;
    j["format"] = formatName(ckpt.format);
    j["container"] = containerName(ckpt);
    nlohmann::json config = inferred.config.toJson();
    config["heads"] = inferred.headsKnown() ? nlohmann::json(inferred.config.heads) : nlohmann::json();
    config["tokens"] = inferred.config.tokens();
    j["config"] = config;
    j["heads_source"] = headsSourceName(inferred.headsSource);
    j["parameters"] = ckpt.weights.numel();
    j["tensors"] = ckpt.weights.size();
    j["stored_dtypes"] = ckpt.storedDtypes;
    j["training"] = ckpt.training;
    j["metadata"] = ckpt.metadata;
    return j;
}

void printText(const nlohmann::json& j, const InferredConfig& inferred, std::ostream& out) {
    out << "file:        " << j["path"].get<std::string>() << "\n";
    out << "format:      " << j["format"].get<std::string>() << " ("
        << j["container"].get<std::string>() << ")\n";
    out << "model:       " << inferred.config.summary() << "\n";
    out << "heads:       "
        << (inferred.headsKnown() ? std::to_string(inferred.config.heads) + " (from " +
                                        headsSourceName(inferred.headsSource) + ")"
                                  : std::string("unknown: not stored in the file; pass --heads N"))
        << "\n";
    out << "tokens:      " << inferred.config.tokens() << " (" << inferred.config.gridSize() << "x"
        << inferred.config.gridSize() << " patches + CLS)\n";
    out << "parameters:  " << j["parameters"].get<int64_t>() << " in " << j["tensors"].get<size_t>() << " tensors\n";
    if (!j["stored_dtypes"].empty()) out << "stored as:   " << j["stored_dtypes"].dump() << "\n";
    if (!j["training"].is_null()) out << "training:    " << j["training"].dump() << "\n";
    const auto& meta = j["metadata"];
    if (meta.is_object()) {
        if (meta.contains("class_names")) out << "classes:     " << meta["class_names"].dump() << "\n";
        if (meta.contains("normalization")) out << "normalise:   " << meta["normalization"].dump() << "\n";
        if (meta.contains("dataset")) out << "dataset:     " << meta["dataset"].dump() << "\n";
        if (meta.contains("history")) out << "history:     " << meta["history"].size() << " epochs\n";
    }
}

} // namespace

int infoCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw, withModelOptions({}), {"json"});
    const std::string path = positionalAt(args, 0, "CHECKPOINT");
    Checkpoint ckpt = loadCheckpoint(path);
    InferenceHints hints;
    hints.heads = args.integer("heads");
    hints.metadata = ckpt.metadata;
    InferredConfig inferred;
    try {
        inferred = inferConfig(ckpt.weights, hints);
    } catch (const ModelMismatchError& e) {
        throw ModelMismatchError(path + ": " + e.what());
    }
    const nlohmann::json j = describe(ckpt, inferred);
    if (args.flag("json"))
        out << j.dump(2) << "\n";
    else
        printText(j, inferred, out);
    return 0;
}

} // namespace ringscope::cli
