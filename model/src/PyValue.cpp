#include "PyValue.h"

namespace ringscope::detail {

PyRef PyObject::get(const std::string& key) const {
    for (const auto& [k, v] : dict)
        if (k && k->kind == PyKind::Str && k->text == key) return v;
    return nullptr;
}

std::string typeName(const PyObject& v) {
    switch (v.kind) {
    case PyKind::None: return "None";
    case PyKind::Bool: return "bool";
    case PyKind::Int:
    case PyKind::BigInt: return "int";
    case PyKind::Float: return "float";
    case PyKind::Str: return "str";
    case PyKind::Bytes: return "bytes";
    case PyKind::Tuple: return "tuple";
    case PyKind::List: return "list";
    case PyKind::Dict: return "dict";
    case PyKind::Set: return "set";
    case PyKind::Global: return "class " + v.text;
    case PyKind::Storage: return "storage";
    case PyKind::Tensor: return "tensor";
    case PyKind::Dtype: return "numpy dtype";
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
    all_.push_back(std::make_shared<PyObject>(kind));
    return all_.back();
}

} // namespace ringscope::detail
