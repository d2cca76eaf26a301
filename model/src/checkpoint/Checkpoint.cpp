#include "ringscope/model/checkpoint/Checkpoint.h"

#include "io/ByteSource.h"
#include "checkpoint/PyValue.h"
#include "checkpoint/SafeTensors.h"
#include "checkpoint/TorchFile.h"
#include "io/ZipArchive.h"

#include "ringscope/model/io/FileIO.h"
#include "ringscope/model/core/Error.h"

#include <algorithm>
#include <filesystem>
#include <cmath>
#include <stdexcept>

namespace ringscope {

using detail::PyKind;
using detail::PyObject;
using detail::PyRef;

namespace {

constexpr int kMaxNesting = 64;

/// Replaces bytes that are not valid UTF-8 with '?', so the text can go into JSON.
std::string validUtf8(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const auto c = uint8_t(s[i]);
        const int len = c < 0x80         ? 1
                        : (c >> 5) == 6  ? 2
                        : (c >> 4) == 14 ? 3
                        : (c >> 3) == 30 ? 4
                                         : 0;
        bool ok = len > 0 && i + len <= s.size();
        for (int k = 1; ok && k < len; ++k)
            ok = (uint8_t(s[i + k]) & 0xc0) == 0x80;
        if (ok) {
            out.append(s, i, size_t(len));
            i += size_t(len);
        } else {
            out.push_back('?');
            ++i;
        }
    }
    return out;
}

nlohmann::json toJson(const PyObject& v, const std::string& path, int depth = 0) {
    if (depth > kMaxNesting) throw FileFormatError(path, "metadata nested too deeply");
    switch (v.kind) {
    case PyKind::None:
        return nullptr;
    case PyKind::Bool:
        return v.boolean;
    case PyKind::Int:
        return v.integer;
    case PyKind::Float:
        return std::isfinite(v.real) ? nlohmann::json(v.real) : nlohmann::json();
    case PyKind::Str:
        return validUtf8(v.text);
    case PyKind::Tuple:
    case PyKind::List:
    case PyKind::Set: {
        nlohmann::json a = nlohmann::json::array();
        for (const PyRef& item : v.items)
            a.push_back(toJson(*item, path, depth + 1));
        return a;
    }
    case PyKind::Dict: {
        nlohmann::json o = nlohmann::json::object();
        for (const auto& [k, val] : v.dict) {
            std::string key = k->kind == PyKind::Str   ? validUtf8(k->text)
                              : k->kind == PyKind::Int ? std::to_string(k->integer)
                                                       : "<" + detail::typeName(*k) + ">";
            o[key] = toJson(*val, path, depth + 1);
        }
        return o;
    }
    case PyKind::Tensor:
        return "<tensor>";
    default:
        return "<" + detail::typeName(v) + ">";
    }
}

/// "tensor float16 [3, 4]".
std::string tensorSummary(const detail::TensorRef& t) {
    std::string s = "tensor " + t.storage->dtypeName + " [";
    for (size_t i = 0; i < t.size.size(); ++i)
        s += (i ? ", " : "") + std::to_string(t.size[i]);
    return s + "]";
}

/// What a pickled value holds, for people: scalars as themselves, tensors and containers
/// summarised, dicts opened up to `depth` levels (at most 50 keys each).
nlohmann::json structureOf(const PyObject& v, const std::string& path, int depth) {
    switch (v.kind) {
    case PyKind::Tensor:
        return tensorSummary(*v.tensor);
    case PyKind::Tuple:
    case PyKind::List:
        return detail::typeName(v) + " of " + std::to_string(v.items.size());
    case PyKind::Dict: {
        size_t tensors = 0;
        for (const auto& kv : v.dict)
            tensors += kv.second->kind == PyKind::Tensor;
        if (tensors * 2 > v.dict.size() || depth <= 0)
            return "dict of " + std::to_string(v.dict.size()) + " entries (" +
                   std::to_string(tensors) + " tensors)";
        nlohmann::json o = nlohmann::json::object();
        for (size_t i = 0; i < v.dict.size() && i < 50; ++i) {
            const auto& [k, val] = v.dict[i];
            o[k->kind == PyKind::Str ? validUtf8(k->text) : toJson(*k, path).dump()] =
                structureOf(*val, path, depth - 1);
        }
        if (v.dict.size() > 50) o["..."] = std::to_string(v.dict.size() - 50) + " more entries";
        return o;
    }
    default:
        return toJson(v, path);
    }
}

bool hasTensors(const PyObject& dict) {
    return std::any_of(dict.dict.begin(), dict.dict.end(),
                       [](const auto& kv) { return kv.second->kind == PyKind::Tensor; });
}

/// Strips the prefixes that torch.compile (`_orig_mod.`) and DataParallel (`module.`) add.
std::string officialName(std::string key) {
    for (bool again = true; again;) {
        again = false;
        for (const char* prefix : {"_orig_mod.", "module."}) {
            const std::string p(prefix);
            if (key.rfind(p, 0) == 0) {
                key.erase(0, p.size());
                again = true;
            }
        }
    }
    return key;
}

void addWeight(Checkpoint& ck, std::string name, torch::Tensor t, const std::string& stored) {
    if (t.is_floating_point()) t = t.to(torch::kFloat32); // a no-op for float32 views
    name = officialName(name);
    if (ck.weights.contains(name))
        throw FileFormatError(ck.path,
                              "tensor '" + name + "' appears twice (after removing prefixes)");
    ck.weights.set(name, t);
    ck.tensorDtypes.push_back(stored);
    if (std::find(ck.storedDtypes.begin(), ck.storedDtypes.end(), stored) == ck.storedDtypes.end())
        ck.storedDtypes.push_back(stored);
}

double number(const PyRef& v, const std::string& what) {
    if (v && v->kind == PyKind::Int) return double(v->integer);
    if (v && v->kind == PyKind::Float) return v->real;
    throw std::invalid_argument(what + " is not a number");
}

/// Adam's per-parameter step: an int (PyTorch < 1.12) or a one-element tensor.
int64_t adamStep(detail::TorchFile& file, const PyRef& v) {
    if (v && v->kind == PyKind::Tensor) {
        torch::Tensor t = file.tensor(*v->tensor);
        if (t.numel() != 1) throw std::invalid_argument("'step' is not a scalar");
        return int64_t(std::llround(t.to(torch::kFloat64).item<double>()));
    }
    return int64_t(std::llround(number(v, "'step'")));
}

/// Reads an Adam/AdamW `optimizer_state_dict` and the scheduler state of a training container.
TrainingState readTrainingState(detail::TorchFile& file, const PyObject& root,
                                const std::string& path) {
    PyRef opt = root.get("optimizer_state_dict");
    if (!opt || opt->kind != PyKind::Dict) throw std::invalid_argument("no optimizer_state_dict");
    PyRef groups = opt->get("param_groups");
    PyRef states = opt->get("state");
    if (!groups || groups->kind != PyKind::List || groups->items.empty() || !states ||
        states->kind != PyKind::Dict)
        throw std::invalid_argument("optimizer_state_dict lacks 'state' or 'param_groups'");
    TrainingState st;
    size_t count = 0;
    for (const PyRef& g : groups->items) {
        PyRef params = g->kind == PyKind::Dict ? g->get("params") : nullptr;
        if (!params || !params->isSequence())
            throw std::invalid_argument("a param group has no 'params' list");
        count += params->items.size();
    }
    const PyObject& g0 = *groups->items.front();
    st.group.lr = number(g0.get("lr"), "'lr'");
    st.group.initialLr =
        g0.get("initial_lr") ? number(g0.get("initial_lr"), "'initial_lr'") : st.group.lr;
    PyRef betas = g0.get("betas");
    if (!betas || !betas->isSequence() || betas->items.size() != 2)
        throw std::invalid_argument("'betas' is not a pair");
    st.group.beta1 = number(betas->items[0], "beta1");
    st.group.beta2 = number(betas->items[1], "beta2");
    st.group.eps = number(g0.get("eps"), "'eps'");
    st.group.weightDecay = number(g0.get("weight_decay"), "'weight_decay'");
    PyRef ams = g0.get("amsgrad");
    st.group.amsgrad = ams && ams->kind == PyKind::Bool && ams->boolean;
    if (count > 100'000'000) throw std::invalid_argument("too many parameters");
    st.moments.resize(count);
    for (const auto& [k, v] : states->dict) {
        if (k->kind != PyKind::Int || k->integer < 0 || size_t(k->integer) >= count ||
            v->kind != PyKind::Dict)
            throw std::invalid_argument("an optimizer state entry has no valid parameter index");
        AdamMoments& m = st.moments[size_t(k->integer)];
        PyRef a = v->get("exp_avg"), b = v->get("exp_avg_sq");
        if (!a || a->kind != PyKind::Tensor || !b || b->kind != PyKind::Tensor)
            throw std::invalid_argument("parameter " + std::to_string(k->integer) +
                                        " has no Adam moments");
        m.step = adamStep(file, v->get("step"));
        m.expAvg = file.tensor(*a->tensor, true).to(torch::kFloat32);
        m.expAvgSq = file.tensor(*b->tensor, true).to(torch::kFloat32);
    }
    if (PyRef sch = root.get("scheduler_state_dict"); sch && sch->kind == PyKind::Dict)
        st.scheduler = toJson(*sch, path);
    return st;
}

/// Finds the model weights in a torch.save root: a bare state dict or a training container.
void readTorchRoot(detail::TorchFile& file, Checkpoint& ck) {
    const PyRef& root = file.root();
    ck.structure = structureOf(*root, ck.path, 2);
    if (root->kind != PyKind::Dict) {
        throw FileFormatError(ck.path, "expected a state dict or a training container, found a " +
                                           detail::typeName(*root));
    }
    PyRef weights = root;
    for (const char* key : {"model_state_dict", "state_dict", "model", "state_dict_ema"}) {
        PyRef v = root->get(key);
        if (v && v->kind == PyKind::Dict && (hasTensors(*v) || v->dict.empty())) {
            weights = v;
            nlohmann::json training = nlohmann::json::object();
            nlohmann::json keys = nlohmann::json::array();
            for (const auto& [k, val] : root->dict) {
                if (k->kind != PyKind::Str) continue;
                keys.push_back(validUtf8(k->text));
                if ((k->text == "epoch" || k->text == "global_step" || k->text == "best_acc") &&
                    (val->kind == PyKind::Int || val->kind == PyKind::Float))
                    training[k->text] = toJson(*val, ck.path);
            }
            training["keys"] = keys;
            if (root->get("optimizer_state_dict")) {
                try {
                    TrainingState st = readTrainingState(file, *root, ck.path);
                    st.epoch = training.value("epoch", int64_t(0));
                    st.globalStep = training.value("global_step", int64_t(0));
                    st.bestAccuracy = training.value("best_acc", -1.0);
                    ck.state = std::move(st);
                    training["resumable"] = true;
                } catch (const std::invalid_argument& e) {
                    // The weights are still usable for analysis; only resuming is impossible.
                    training["resumable"] = false;
                    training["optimizer_problem"] = e.what();
                }
            }
            ck.training = training;
            break;
        }
    }
    if (weights == root && !hasTensors(*root)) {
        std::string keys;
        for (const auto& [k, v] : root->dict)
            if (k->kind == PyKind::Str && keys.size() < 200)
                keys += (keys.empty() ? "" : ", ") + k->text;
        throw FileFormatError(ck.path, "no model weights found (top-level keys: " +
                                           (keys.empty() ? std::string("none") : keys) + ")");
    }
    for (const auto& [k, v] : weights->dict) {
        if (v->kind != PyKind::Tensor) continue;
        if (k->kind != PyKind::Str) throw FileFormatError(ck.path, "a weight name is not text");
        addWeight(ck, k->text, file.tensor(*v->tensor, true), v->tensor->storage->dtypeName);
    }
    if (PyRef meta = root->get("ringscope")) {
        if (meta->kind != PyKind::Dict)
            throw FileFormatError(ck.path, "'ringscope' entry is not a dict");
        ck.metadata = toJson(*meta, ck.path);
    }
}

void readSafeTensorsFile(detail::ByteSource& src, const CheckpointLimits& limits, Checkpoint& ck) {
    detail::SafeTensorsContents c = detail::readSafeTensors(src, limits.maxTotalBytes);
    ck.structure = {{"tensors", c.tensors.size()}};
    if (c.metadata.is_object()) {
        nlohmann::json keys = nlohmann::json::array();
        for (const auto& item : c.metadata.items())
            keys.push_back(item.key());
        ck.structure["__metadata__"] = keys;
    }
    for (size_t i = 0; i < c.tensors.size(); ++i) {
        const auto& [name, t] = c.tensors.entries()[i];
        addWeight(ck, name, t, c.dtypeNames[i]);
    }
    if (c.metadata.is_object() && c.metadata.contains("ringscope")) {
        const auto& text = c.metadata["ringscope"];
        try {
            ck.metadata = text.is_string() ? nlohmann::json::parse(text.get<std::string>()) : text;
        } catch (const std::exception&) {
            throw FileFormatError(ck.path, "safetensors: RingScope metadata is not valid JSON");
        }
        if (!ck.metadata.is_object())
            throw FileFormatError(ck.path, "safetensors: RingScope metadata is not a JSON object");
    }
}

/// What the file looks like when it is not a checkpoint, for the error message.
std::string describeForeign(const std::string& head) {
    auto starts = [&](const char* magic, size_t n) { return head.compare(0, n, magic, n) == 0; };
    if (starts("\x89PNG", 4)) return "a PNG image";
    if (starts("\xff\xd8\xff", 3)) return "a JPEG image";
    if (starts("GIF8", 4)) return "a GIF image";
    if (starts("BM", 2)) return "a BMP image";
    if (starts("RIFF", 4)) return "a RIFF (WebP/WAV) file";
    if (starts("%PDF", 4)) return "a PDF document";
    if (starts("\x93NUMPY", 6)) return "a NumPy .npy array";
    if (starts("\x1f\x8b", 2)) return "a gzip file";
    if (head.size() > 262 && head.compare(257, 5, "ustar") == 0)
        return "a tar archive (the PyTorch < 0.4 tar format is not supported)";
    if (starts("\x89HDF", 4)) return "an HDF5 file (Keras?)";
    return "";
}

} // namespace

std::string containerName(const Checkpoint& ck) {
    if (ck.training.is_null()) return "state dict";
    return ck.training.contains("optimizer_state_dict") || ck.state ||
                   ck.training.contains("resumable")
               ? "training container"
               : "weights and metadata";
}

std::string formatName(CheckpointFormat format) {
    switch (format) {
    case CheckpointFormat::TorchZip:
        return "pytorch-zip";
    case CheckpointFormat::TorchLegacy:
        return "pytorch-legacy";
    case CheckpointFormat::SafeTensors:
        return "safetensors";
    }
    return "unknown";
}

namespace {

/// The weights file of a Hugging Face model folder.
std::string weightsInFolder(const std::string& dir) {
    for (const char* name : {"model.safetensors", "pytorch_model.bin"}) {
        const std::filesystem::path p = std::filesystem::path(dir) / name;
        std::error_code ec;
        if (std::filesystem::is_regular_file(p, ec)) return p.string();
    }
    throw FileFormatError(dir, "a folder, but with neither model.safetensors nor "
                               "pytorch_model.bin in it");
}

/// config.json and preprocessor_config.json beside `weights` (small JSON files; a broken one
/// is refused by name).
nlohmann::json huggingFaceFiles(const std::string& weights) {
    nlohmann::json out;
    const std::filesystem::path dir = std::filesystem::path(weights).parent_path();
    for (const auto& [key, name] : {std::pair{"config", "config.json"},
                                    std::pair{"preprocessor", "preprocessor_config.json"}}) {
        const std::filesystem::path p = dir / name;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(p, ec)) continue;
        try {
            nlohmann::json j = nlohmann::json::parse(readWholeFile(p.string(), 1 << 20));
            if (j.is_object()) out[key] = std::move(j);
        } catch (const nlohmann::json::exception& e) {
            throw FileFormatError(p.string(), std::string("not valid JSON: ") + e.what());
        }
    }
    if (out.contains("config")) {
        nlohmann::json& config = out["config"];
        // timm's config.json (save_for_hf, the Hugging Face hub's timm models): the
        // architecture's name and the pretrained configuration (normalisation, labels).
        if (config.contains("architecture") && config["architecture"].is_string() &&
            config.contains("pretrained_cfg") && config["pretrained_cfg"].is_object()) {
            out["timm"] = std::move(config);
            out.erase("config");
        } else if (config.value("model_type", std::string()) != "vit") {
            return nullptr; // only a ViT's config says anything to RingScope
        }
    }
    return out.empty() ? nlohmann::json() : out;
}

} // namespace

Checkpoint loadCheckpoint(const std::string& given, const CheckpointLimits& limits) {
    std::error_code ec;
    const std::string path =
        std::filesystem::is_directory(given, ec) ? weightsInFolder(given) : given;
    detail::ByteSource src(path);
    Checkpoint ck;
    ck.path = path;
    if (src.size() == 0) throw FileFormatError(path, "the file is empty");
    const std::string head = src.readString(0, std::min<uint64_t>(src.size(), 512));
    try {
        if (detail::looksLikeZip(head)) {
            ck.format = CheckpointFormat::TorchZip;
            detail::TorchFile file(src, false, limits);
            readTorchRoot(file, ck);
        } else if (detail::looksLikeSafeTensors(head, src.size())) {
            // Before the pickle test: a header length's first byte can be 0x80 or '(' (a
            // pickle never has a '{' at byte 8 after a plausible length).
            ck.format = CheckpointFormat::SafeTensors;
            readSafeTensorsFile(src, limits, ck);
        } else if (uint8_t(head[0]) == 0x80 ||
                   std::string("c(}]").find(head[0]) != std::string::npos) {
            ck.format = CheckpointFormat::TorchLegacy;
            detail::TorchFile file(src, true, limits);
            readTorchRoot(file, ck);
        } else {
            const std::string what = describeForeign(head);
            throw FileFormatError(path, "not a checkpoint" +
                                            (what.empty() ? std::string(" (unrecognised format)")
                                                          : ": the file is " + what));
        }
    } catch (const c10::Error& e) {
        throw FileFormatError(path,
                              std::string("corrupt tensor data: ") + e.what_without_backtrace());
    } catch (const std::bad_alloc&) {
        throw FileFormatError(path, "out of memory while reading (corrupt sizes?)");
    }
    if (ck.weights.empty()) throw FileFormatError(path, "the checkpoint holds no tensors");
    ck.huggingFace = huggingFaceFiles(path);
    return ck;
}

void saveTrainingCheckpoint(const std::string& path, const StateDict& weights,
                            const nlohmann::json& metadata, const TrainingState& state) {
    std::string bytes;
    try {
        bytes = detail::torchTrainingZipBytes(weights, metadata, state);
    } catch (const std::length_error& e) {
        throw FileFormatError(path, e.what());
    }
    writeFileAtomically(path, bytes);
}

void saveRingScopeCheckpoint(const std::string& path, const StateDict& weights,
                             const nlohmann::json& metadata) {
    std::string bytes;
    try {
        bytes = detail::torchZipBytes(weights, metadata);
    } catch (const std::length_error& e) {
        throw FileFormatError(path, e.what());
    }
    writeFileAtomically(path, bytes);
}

void saveSafeTensors(const std::string& path, const StateDict& weights,
                     const nlohmann::json& metadata) {
    nlohmann::json meta = {{"format", "pt"}};
    if (!metadata.is_null())
        meta["ringscope"] = metadata.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    writeFileAtomically(path, detail::safeTensorsBytes(weights, meta));
}

} // namespace ringscope
