#pragma once
/// @file Checkpoint.h
/// Reading and writing model checkpoints.
///
/// Reads every file the published RingFormer code writes (zip container with any archive stem,
/// legacy non-zip format; training container or bare state dict; float16/bfloat16/float64
/// storages; CUDA storage locations; `_orig_mod.` prefixes) with RingScope's own pickle reader,
/// which refuses any global outside an allow-list. Also reads/writes safetensors. Writes
/// RingScope checkpoints that the published PyTorch code loads as they are.

#include "ringscope/model/core/StateDict.h"
#include "ringscope/model/checkpoint/TrainingState.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace ringscope {

/// On-disk format of a checkpoint.
enum class CheckpointFormat {
    TorchZip,    ///< torch.save >= 1.6: zip archive `<stem>/data.pkl` + `<stem>/data/<key>`
    TorchLegacy, ///< torch.save < 1.6: pickles followed by raw storages
    SafeTensors, ///< Hugging Face safetensors
};

/// Human-readable name of a format ("pytorch-zip", "pytorch-legacy", "safetensors").
std::string formatName(CheckpointFormat format);

/// Everything RingScope takes from a checkpoint file.
struct Checkpoint {
    std::string path; ///< file it was read from
    CheckpointFormat format = CheckpointFormat::TorchZip;
    /// Model weights, prefixes stripped: floating-point tensors as float32, CPU. Tensors are
    /// views on the file's storages: tensors that share storage in the file (tied weights,
    /// slices) share it here, and a view may be non-contiguous. Copy before writing into one.
    StateDict weights;
    /// RingScope metadata (object: "config", "class_names", "normalization", ...) when the
    /// file carries it (`ringscope` entry of a container, `__metadata__` of safetensors);
    /// null otherwise.
    nlohmann::json metadata;
    /// For training containers: {"epoch", "global_step", "best_acc", "keys": [top-level keys]}
    /// (only the entries present); null for a bare state dict.
    nlohmann::json training;
    /// Dtype names of the stored tensors before conversion to float32 (e.g. {"float16"}).
    std::vector<std::string> storedDtypes;
    /// The stored dtype of each weight, in the order of `weights`.
    std::vector<std::string> tensorDtypes;
    /// The file's structure for people: the top-level object with its keys, what each holds
    /// ("state dict: 152 tensors", "int 12", "tensor float32 [3, 4]", nested dicts two levels
    /// deep), or for safetensors the tensor count and the metadata keys.
    nlohmann::json structure;
    /// For training containers with an Adam `optimizer_state_dict`: the state to resume from
    /// (moments indexed by the optimizer's parameter numbers, float32).
    std::optional<TrainingState> state;
    /// The Hugging Face files beside the weights, when there are any: {"config": config.json
    /// of a transformers ViT, "preprocessor": preprocessor_config.json, "timm": config.json as
    /// timm writes it (architecture, pretrained_cfg with mean and std, label_names,
    /// model_args)} (each only when present); null otherwise.
    nlohmann::json huggingFace;
};

/// What kind of file it is, for people: "state dict", "training container" (with optimizer
/// state), or "weights and metadata" (a container without optimizer state, e.g. a converted
/// RingScope checkpoint).
std::string containerName(const Checkpoint& checkpoint);

/// Limits that keep a hostile file from exhausting memory.
struct CheckpointLimits {
    int64_t maxTotalBytes = int64_t(16) << 30; ///< sum of all declared storage sizes
    int64_t maxPickleMemo = 10'000'000;        ///< memo entries
    int64_t maxPickleStack = 10'000'000;       ///< value-stack depth
};

/// Loads a checkpoint, detecting the format from its contents (not its name). A folder is read
/// as a Hugging Face model folder (its model.safetensors, else pytorch_model.bin); the
/// config.json and preprocessor_config.json beside the weights go to `huggingFace`.
/// Throws FileFormatError (path + problem) for anything unreadable and UnsafePickleError for a
/// pickle global outside the allow-list; never executes anything from the file.
Checkpoint loadCheckpoint(const std::string& path, const CheckpointLimits& limits = {});

/// Writes a RingScope checkpoint in PyTorch's zip format: a dict with `model_state_dict`
/// (official key names, float32) and `ringscope` (the metadata as plain dicts/lists/strings/
/// numbers). `torch.load` + `load_state_dict(strict=True)` in the published code accept it.
/// The write is atomic (temporary file + rename). Throws FileFormatError on I/O failure.
void saveRingScopeCheckpoint(const std::string& path, const StateDict& weights,
                             const nlohmann::json& metadata);

/// Writes the published training container (`epoch`, `model_state_dict`,
/// `optimizer_state_dict` of Adam, `scheduler_state_dict` of LambdaLR, `best_acc` as a numpy
/// float64 scalar, `global_step`) plus the `ringscope` metadata, atomically. The published
/// training script can load it and continue; RingScope resumes from it exactly.
/// `state.moments` must follow `weights`' trainable parameters in order.
void saveTrainingCheckpoint(const std::string& path, const StateDict& weights,
                            const nlohmann::json& metadata, const TrainingState& state);

/// Writes safetensors with the metadata as JSON text under `__metadata__["ringscope"]`
/// (plus `"format": "pt"`). Atomic.
void saveSafeTensors(const std::string& path, const StateDict& weights,
                     const nlohmann::json& metadata);

} // namespace ringscope
