#pragma once
/// @file StateDict.h
/// Ordered name -> tensor map with the key names of the published PyTorch code.

#include <torch/types.h>

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ringscope {

/// An ordered collection of named tensors (insertion order is kept, names are unique).
class StateDict {
public:
    using Entry = std::pair<std::string, torch::Tensor>;

    /// Adds or replaces a tensor; a new name goes to the end.
    void set(const std::string& name, const torch::Tensor& tensor);
    /// True when a tensor with this name exists.
    bool contains(const std::string& name) const;
    /// The tensor with this name; throws ModelMismatchError naming the key when absent.
    const torch::Tensor& at(const std::string& name) const;
    /// Pointer to the tensor, or nullptr when absent.
    const torch::Tensor* find(const std::string& name) const;
    /// Removes a tensor; returns false when it was absent.
    bool erase(const std::string& name);

    const std::vector<Entry>& entries() const { return entries_; }
    std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
    std::vector<Entry>::const_iterator end() const { return entries_.end(); }
    size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    /// Names in order.
    std::vector<std::string> names() const;
    /// Total number of elements of all tensors.
    int64_t numel() const;

private:
    std::vector<Entry> entries_;
    std::unordered_map<std::string, size_t> index_;
};

} // namespace ringscope
