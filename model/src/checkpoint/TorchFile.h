#pragma once
// PyTorch checkpoint files (torch.save): the zip container and the legacy (< 1.6) format,
// read into Python-like values with tensors loaded on demand and bounds-checked.

#include "io/ByteSource.h"
#include "checkpoint/PyValue.h"
#include "io/ZipArchive.h"

#include "ringscope/model/checkpoint/Checkpoint.h"

#include <map>
#include <memory>
#include <string>

namespace ringscope::detail {

class TorchFile {
public:
    /// Parses the file's pickle(s). `source` must outlive this object.
    TorchFile(ByteSource& source, bool legacy, const CheckpointLimits& limits);

    bool legacy() const { return legacy_; }
    /// The unpickled top-level object.
    const PyRef& root() const { return root_; }
    /// A tensor as a view on its storage (CPU, the stored dtype, or float32 when `asFloat32`
    /// and the storage holds floating-point values). Each storage is read once, and converted
    /// once, however many tensors view it: tensors that share storage in the file share it
    /// here, and cost no memory of their own. Throws FileFormatError when the view reaches
    /// outside its storage or the storage is missing or of the wrong size.
    torch::Tensor tensor(const TensorRef& ref, bool asFloat32 = false);

private:
    PyRef persistentLoad(const PyRef& pid);
    void openZip();
    void openLegacy();
    const torch::Tensor& storage(const StorageRef& ref);
    const torch::Tensor& float32Storage(const StorageRef& ref);
    [[noreturn]] void fail(const std::string& problem) const;

    PickleArena arena_; // first: outlives every value below
    ByteSource& src_;
    bool legacy_;
    CheckpointLimits limits_;
    std::unique_ptr<ZipReader> zip_;
    std::string prefix_;     // "<stem>/" of the zip archive
    std::string legacyData_; // whole legacy file
    std::map<std::string, std::pair<uint64_t, int64_t>> legacyStorages_; // key -> offset, numel
    std::map<std::string, torch::ScalarType> declared_;                  // storage key -> dtype
    int64_t declaredBytes_ = 0;
    std::map<std::string, torch::Tensor> loaded_;    // storage key -> stored values
    std::map<std::string, torch::Tensor> converted_; // storage key -> float32 values
    PyRef root_;
};

/// Writes a PyTorch zip checkpoint holding `{'model_state_dict': OrderedDict(weights),
/// 'ringscope': metadata}` (pickle protocol 2, float32 storages). Returns the file's bytes.
std::string torchZipBytes(const StateDict& weights, const nlohmann::json& metadata);

/// Writes the published training container (see saveTrainingCheckpoint). Returns the bytes.
std::string torchTrainingZipBytes(const StateDict& weights, const nlohmann::json& metadata,
                                  const TrainingState& state);

} // namespace ringscope::detail
