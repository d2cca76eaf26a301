#include "ringscope/model/core/StateDict.h"

#include "ringscope/model/core/Error.h"

namespace ringscope {

void StateDict::set(const std::string& name, const torch::Tensor& tensor) {
    auto it = index_.find(name);
    if (it != index_.end()) {
        entries_[it->second].second = tensor;
        return;
    }
    index_.emplace(name, entries_.size());
    entries_.emplace_back(name, tensor);
}

bool StateDict::contains(const std::string& name) const {
    return index_.count(name) != 0;
}

const torch::Tensor& StateDict::at(const std::string& name) const {
    const torch::Tensor* t = find(name);
    if (!t) throw ModelMismatchError("missing tensor '" + name + "'");
    return *t;
}

const torch::Tensor* StateDict::find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &entries_[it->second].second;
}

bool StateDict::erase(const std::string& name) {
    auto it = index_.find(name);
    if (it == index_.end()) return false;
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(it->second));
    index_.clear();
    for (size_t i = 0; i < entries_.size(); ++i)
        index_.emplace(entries_[i].first, i);
    return true;
}

std::vector<std::string> StateDict::names() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_)
        out.push_back(e.first);
    return out;
}

int64_t StateDict::numel() const {
    int64_t n = 0;
    for (const auto& e : entries_)
        n += e.second.numel();
    return n;
}

} // namespace ringscope
