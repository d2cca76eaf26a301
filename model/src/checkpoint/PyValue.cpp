#include "checkpoint/PyValue.h"

#include <algorithm>

namespace ringscope::detail {

PyRef PyObject::get(const std::string& key) const {
    for (const auto& [k, v] : dict)
        if (k && k->kind == PyKind::Str && k->text == key) return v;
    return nullptr;
}

std::string typeName(const PyObject& v) {
    switch (v.kind) {
    case PyKind::None:
        return "None";
    case PyKind::Bool:
        return "bool";
    case PyKind::Int:
    case PyKind::BigInt:
        return "int";
    case PyKind::Float:
        return "float";
    case PyKind::Str:
        return "str";
    case PyKind::Bytes:
        return "bytes";
    case PyKind::Tuple:
        return "tuple";
    case PyKind::List:
        return "list";
    case PyKind::Dict:
        return "dict";
    case PyKind::Set:
        return "set";
    case PyKind::Global:
        return "class " + v.text;
    case PyKind::Storage:
        return "storage";
    case PyKind::Tensor:
        return "tensor";
    case PyKind::Dtype:
        return "numpy dtype";
    }
    return "object";
}

PickleArena::~PickleArena() {
    // Cut every edge first: then each object dies without touching its children.
    for (auto& obj : all_) {
        obj->items.clear();
        obj->dict.clear();
    }
    all_.clear();
}

PyRef PickleArena::make(PyKind kind) {
    if (all_.size() >= nextSweep_) sweep();
    all_.push_back(std::make_shared<PyObject>(kind));
    return all_.back();
}

void PickleArena::sweep() {
    // An object only the arena holds is unreachable: cut its edges (its children, all in the
    // arena too, lose one holder and survive until their own turn: no recursion) and drop it.
    // Amortised linear: the next sweep waits until the arena has doubled.
    for (auto& obj : all_) {
        if (obj.use_count() != 1) continue;
        obj->items.clear();
        obj->dict.clear();
        obj.reset();
    }
    all_.erase(std::remove(all_.begin(), all_.end(), nullptr), all_.end());
    nextSweep_ = std::max<size_t>(kFirstSweep, 2 * all_.size());
}

} // namespace ringscope::detail
