#pragma once
// Python values produced by RingScope's pickle reader. Only the types that PyTorch checkpoints
// use exist here; nothing in this model can run code.

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ringscope::detail {

enum class PyKind {
    None,
    Bool,
    Int,
    BigInt,
    Float,
    Str,
    Bytes,
    Tuple,
    List,
    Dict,
    Set,
    Global,
    Storage,
    Tensor,
    Dtype
};

/// A storage referenced by a persistent id: `('storage', type, key, location, numel)`.
struct StorageRef {
    std::string key; ///< record name (zip) or root key (legacy)
    torch::ScalarType dtype = torch::kFloat32;
    std::string dtypeName;  ///< e.g. "float16"
    std::string location;   ///< "cpu", "cuda:0", ... (always loaded to the CPU)
    int64_t numel = 0;      ///< elements visible through this reference
    int64_t viewOffset = 0; ///< legacy storage views: element offset into the root
};

/// A tensor described by `_rebuild_tensor_v2` (not yet read from the file).
struct TensorRef {
    std::shared_ptr<StorageRef> storage;
    int64_t offset = 0;
    std::vector<int64_t> size, stride;
};

struct PyObject;
using PyRef = std::shared_ptr<PyObject>;

/// One Python value. Containers hold references; a PickleArena breaks cycles at the end.
struct PyObject {
    PyKind kind = PyKind::None;
    bool boolean = false;
    int64_t integer = 0;
    double real = 0.0;
    std::string text;         ///< Str (UTF-8), Bytes, BigInt (little-endian bytes), Global
                              ///< ("module.name"), Dtype (descr such as "f8")
    std::vector<PyRef> items; ///< Tuple, List, Set
    std::vector<std::pair<PyRef, PyRef>> dict; ///< Dict (insertion order)
    std::shared_ptr<StorageRef> storage;       ///< Storage
    std::shared_ptr<TensorRef> tensor;         ///< Tensor

    explicit PyObject(PyKind k) : kind(k) {}

    bool isStr() const { return kind == PyKind::Str; }
    bool isSequence() const { return kind == PyKind::Tuple || kind == PyKind::List; }
    /// The value of a Dict under a string key, or nullptr.
    PyRef get(const std::string& key) const;
};

/// Python-style name of a value's type for messages ("dict", "int", "tensor", ...).
std::string typeName(const PyObject& v);

/// Owns every value created while reading a file, so that reference cycles and deep nesting
/// from a hostile file are released without recursion.
class PickleArena {
public:
    PickleArena() = default;
    PickleArena(const PickleArena&) = delete;
    PickleArena& operator=(const PickleArena&) = delete;
    ~PickleArena();

    PyRef make(PyKind kind);
    /// Objects alive in the arena (unreachable ones are dropped now and then).
    size_t size() const { return all_.size(); }

private:
    static constexpr size_t kFirstSweep = 1 << 16;
    void sweep();

    std::vector<PyRef> all_;
    size_t nextSweep_ = kFirstSweep;
};

} // namespace ringscope::detail
