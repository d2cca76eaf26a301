#pragma once
// RingScope's unpickler for PyTorch checkpoints: the opcodes of pickle protocols 0-5 that
// checkpoints use, and a fixed allow-list of globals (OrderedDict, the tensor rebuild helpers,
// storage classes, the numpy scalar helpers). Any other global is refused the moment the
// stream names it; nothing is ever executed.

#include "checkpoint/PyValue.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ringscope::detail {

/// Limits against hostile input.
struct PickleLimits {
    int64_t maxMemo = 10'000'000;
    int64_t maxStack = 10'000'000;
};

class PickleReader {
public:
    /// Turns a persistent id (the tuple pushed before BINPERSID) into a value.
    using PersistentLoad = std::function<PyRef(const PyRef& pid)>;

    /// `path` is used in error messages; `arena` owns all created values.
    PickleReader(std::string_view data, std::string path, PickleArena& arena,
                 PersistentLoad persistentLoad, PickleLimits limits = {});

    /// Reads one pickle (up to STOP). Throws FileFormatError / UnsafePickleError.
    PyRef load();
    /// Bytes consumed so far (the next pickle of a legacy file starts here).
    size_t position() const { return pos_; }

    /// True when `module.name` is on the allow-list.
    static bool isAllowedGlobal(const std::string& qualified);

private:
    [[noreturn]] void fail(const std::string& problem) const;
    uint8_t byte();
    std::string_view take(uint64_t n);
    uint64_t uint(int bytes);
    std::string line();
    /// A decimal integer filling all of `text` (text opcodes); fails with `problem` otherwise.
    int64_t decimal(const std::string& text, const char* problem) const;

    PyRef make(PyKind kind) { return arena_.make(kind); }
    PyRef makeInt(int64_t v);
    PyRef makeStr(std::string_view s, PyKind kind = PyKind::Str);
    void push(PyRef v);
    PyRef pop();
    PyRef& top();
    std::vector<PyRef> popMark();
    void memoPut(uint64_t index);
    PyRef memoGet(uint64_t index);

    bool step(uint8_t op);
    void global(const std::string& module, const std::string& name);
    PyRef call(const PyRef& callable, const PyRef& args);
    void build(const PyRef& target, const PyRef& state);
    void setItems(PyRef& dict, const std::vector<PyRef>& kv);
    void appendItems(PyRef& list, const std::vector<PyRef>& values);

    PyRef rebuildTensor(const std::vector<PyRef>& args);
    PyRef numpyScalar(const std::vector<PyRef>& args);
    PyRef codecsEncode(const std::vector<PyRef>& args);

    /// Where each scalar key of a dict under construction stands (entries are only appended).
    struct DictIndex {
        size_t indexed = 0; ///< entries of the dict already in `position`
        std::unordered_map<std::string, size_t> position;
    };
    std::unordered_map<PyRef, DictIndex> dictIndex_; // holds the dict: the arena keeps it
    std::string_view data_;
    std::string path_;
    PickleArena& arena_;
    PersistentLoad persistentLoad_;
    PickleLimits limits_;
    size_t pos_ = 0;
    std::vector<PyRef> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint64_t, PyRef> memo_;
};

} // namespace ringscope::detail
