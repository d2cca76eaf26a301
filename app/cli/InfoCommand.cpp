#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/model/nets/ArchitectureInference.h"
#include "ringscope/model/checkpoint/Checkpoint.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/io/Npy.h"

#include <fstream>
#include <iomanip>
#include <map>

namespace ringscope::cli {

namespace {

/// Tensors listed in the text output (all of them with --json).
constexpr size_t kListedTensors = 200;

/// Every tensor with its stored dtype, shape, element count and the first tensor whose
/// storage it shares (tied weights, slices of one storage).
nlohmann::json tensorList(const Checkpoint& ckpt) {
    nlohmann::json list = nlohmann::json::array();
    std::map<const void*, std::string> firstUser;
    size_t i = 0;
    for (const auto& [name, t] : ckpt.weights) {
        nlohmann::json e = {
            {"name", name},
            {"dtype", i < ckpt.tensorDtypes.size() ? ckpt.tensorDtypes[i] : std::string()},
            {"shape", t.sizes().vec()},
            {"elements", t.numel()}};
        const void* storage = t.numel() > 0 ? t.storage().unsafeGetStorageImpl() : nullptr;
        if (storage) {
            auto [it, fresh] = firstUser.emplace(storage, name);
            if (!fresh) e["shares_storage_with"] = it->second;
        }
        list.push_back(std::move(e));
        ++i;
    }
    return list;
}

/// The model part of the description: the inferred configuration, or why there is none.
void describeModel(nlohmann::json& j, const Checkpoint& ckpt, const InferenceHints& hints) {
    try {
        const InferredConfig inferred = inferCheckpoint(ckpt, hints);
        nlohmann::json config = inferred.config.toJson();
        config["heads"] =
            inferred.headsKnown() ? nlohmann::json(inferred.config.heads) : nlohmann::json();
        config["tokens"] = inferred.config.tokens();
        config["prefix_tokens"] = inferred.config.prefixTokens();
        if (inferred.config.family == Family::TimmViT)
            j["variant"] = inferred.config.timm.describe();
        j["config"] = config;
        j["summary"] = inferred.config.summary();
        const ModelMetadata meta = metadataFor(ckpt, inferred.config);
        j["input"] = {{"normalization", meta.normalization.toJson()},
                      {"normalization_source",
                       meta.extra.value("normalization_source", std::string("default (0.5, 0.5)"))},
                      {"class_names", meta.classNames}};
        j["heads_source"] = headsSourceName(inferred.headsSource);
    } catch (const AmbiguousShapeError& e) {
        j["config"] = nullptr;
        j["model_problem"] = e.what();
        nlohmann::json readings = nlohmann::json::array();
        for (const TableShape& t : e.candidates())
            readings.push_back({{"image_size", t.imageSize}, {"levels", t.levels}});
        j["interpretations"] = readings;
    } catch (const ModelMismatchError& e) {
        j["config"] = nullptr;
        j["model_problem"] = e.what();
    }
}

nlohmann::json describe(const Checkpoint& ckpt, const InferenceHints& hints) {
    nlohmann::json j;
    j["path"] = ckpt.path;
    j["format"] = formatName(ckpt.format);
    j["container"] = containerName(ckpt);
    j["structure"] = ckpt.structure;
    describeModel(j, ckpt, hints);
    j["parameters"] = ckpt.weights.numel();
    j["tensors"] = ckpt.weights.size();
    j["stored_dtypes"] = ckpt.storedDtypes;
    j["tensor_list"] = tensorList(ckpt);
    j["training"] = ckpt.training;
    j["metadata"] = ckpt.metadata;
    return j;
}

void printModel(const nlohmann::json& j, std::ostream& out) {
    if (j["config"].is_null()) {
        out << "model:       none runnable: " << j["model_problem"].get<std::string>() << "\n";
        if (j.contains("interpretations")) {
            out << "readings:    (give one with --image-size S or --levels T)\n";
            for (const auto& r : j["interpretations"])
                out << "             " << r["levels"].get<int64_t>() << " levels at "
                    << r["image_size"].get<int64_t>() << " px (--levels "
                    << r["levels"].get<int64_t>() << ")\n";
        }
        return;
    }
    const auto& c = j["config"];
    out << "model:       " << j["summary"].get<std::string>() << "\n";
    out << "heads:       "
        << (c["heads"].is_null() ? std::string("unknown: not stored in the file; pass --heads N")
                                 : std::to_string(c["heads"].get<int64_t>()) + " (from " +
                                       j["heads_source"].get<std::string>() + ")")
        << "\n";
    if (j.contains("variant")) out << "variant:     " << j["variant"].get<std::string>() << "\n";
    const auto& input = j["input"];
    out << "normalise:   " << input["normalization"].dump() << " ("
        << input["normalization_source"].get<std::string>() << ")\n";
    if (!input["class_names"].empty() &&
        !(j["metadata"].is_object() && j["metadata"].contains("class_names")))
        out << "classes:     " << input["class_names"].dump() << "\n";
    const int64_t tokens = c["tokens"].get<int64_t>(), prefix = c["prefix_tokens"].get<int64_t>();
    out << "tokens:      " << tokens << " ("
        << (prefix == 0   ? std::string("patches only, no class token")
            : prefix == 1 ? std::string("CLS + patches")
                          : std::string("CLS, distillation token + patches"))
        << ")\n";
}

void printTensors(const nlohmann::json& list, std::ostream& out) {
    out << "tensors:\n";
    size_t shown = 0;
    for (const auto& t : list) {
        if (shown++ == kListedTensors) {
            out << "  ... and " << list.size() - kListedTensors
                << " more (--json lists them all)\n";
            break;
        }
        out << "  " << t["name"].get<std::string>() << "  " << t["dtype"].get<std::string>() << " "
            << nlohmann::json(t["shape"]).dump() << "  " << t["elements"].get<int64_t>()
            << " elements";
        if (t.contains("shares_storage_with"))
            out << "  (shares storage with " << t["shares_storage_with"].get<std::string>() << ")";
        out << "\n";
    }
}

void printText(const nlohmann::json& j, std::ostream& out) {
    out << "file:        " << j["path"].get<std::string>() << "\n";
    out << "format:      " << j["format"].get<std::string>() << " ("
        << j["container"].get<std::string>() << ")\n";
    out << "structure:   " << j["structure"].dump() << "\n";
    printModel(j, out);
    out << "parameters:  " << j["parameters"].get<int64_t>() << " in " << j["tensors"].get<size_t>()
        << " tensors\n";
    if (!j["stored_dtypes"].empty()) out << "stored as:   " << j["stored_dtypes"].dump() << "\n";
    if (!j["training"].is_null()) out << "training:    " << j["training"].dump() << "\n";
    const auto& meta = j["metadata"];
    if (meta.is_object()) {
        if (meta.contains("class_names"))
            out << "classes:     " << meta["class_names"].dump() << "\n";
        if (meta.contains("dataset")) out << "dataset:     " << meta["dataset"].dump() << "\n";
        if (meta.contains("history"))
            out << "history:     " << meta["history"].size() << " epochs\n";
    }
    if (j["config"].is_null()) printTensors(j["tensor_list"], out);
}

bool isNpy(const std::string& path) {
    std::ifstream in(std::filesystem::u8path(path), std::ios::binary);
    char magic[6] = {};
    in.read(magic, 6);
    return in.gcount() == 6 && std::string(magic, 6) == "\x93NUMPY";
}

/// A .npy file: its array's dtype, shape and value range.
nlohmann::json describeNpy(const std::string& path) {
    const torch::Tensor a = loadNpy(path);
    nlohmann::json j = {{"path", path},
                        {"format", "npy"},
                        {"dtype", std::string(c10::toString(a.scalar_type()))},
                        {"shape", a.sizes().vec()},
                        {"elements", a.numel()}};
    if (a.numel() > 0 && a.scalar_type() != torch::kBool) {
        const torch::Tensor d = a.to(torch::kFloat64);
        j["min"] = d.min().item<double>();
        j["max"] = d.max().item<double>();
        j["mean"] = d.mean().item<double>();
    }
    return j;
}

void printNpy(const nlohmann::json& j, std::ostream& out) {
    out << "file:        " << j["path"].get<std::string>() << "\n";
    out << "format:      NumPy .npy array (not a checkpoint)\n";
    out << "dtype:       " << j["dtype"].get<std::string>() << "\n";
    out << "shape:       " << j["shape"].dump() << " (" << j["elements"].get<int64_t>()
        << " elements)\n";
    if (j.contains("min"))
        out << "values:      min " << j["min"].get<double>() << ", max " << j["max"].get<double>()
            << ", mean " << j["mean"].get<double>() << "\n";
}

} // namespace

int infoCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw, withModelOptions({}), {"json"});
    const std::string path = positionalAt(args, 0, "FILE");
    if (isNpy(path)) {
        const nlohmann::json j = describeNpy(path);
        if (args.flag("json"))
            out << j.dump(2) << "\n";
        else
            printNpy(j, out);
        return 0;
    }
    const Checkpoint ckpt = loadCheckpoint(path);
    const nlohmann::json j = describe(ckpt, inferenceHints(ckpt, loadOptionsFromArgs(args)));
    if (args.flag("json"))
        out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else
        printText(j, out);
    return 0;
}

} // namespace ringscope::cli
