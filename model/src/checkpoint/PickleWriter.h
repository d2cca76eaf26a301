#pragma once
// Writes pickle protocol 2 streams of the shape torch.load expects (dicts, lists, scalars,
// strings, OrderedDict and tensors as persistent storage references).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ringscope::detail {

class PickleWriter {
public:
    void proto(int version);
    void stop();
    void mark();
    void none();
    void boolean(bool v);
    void integer(int64_t v);
    void real(double v);
    void str(const std::string& utf8);
    void global(const std::string& module, const std::string& name);
    void emptyTuple();
    void tupleFromMark();
    void emptyDict();
    void emptyList();
    void setItems();
    void appends();
    void reduce();
    /// `collections.OrderedDict()`
    void orderedDict();
    /// `torch._utils._rebuild_tensor_v2` of a contiguous storage `key` of class
    /// `torch.<storageClass>` located at `location`.
    void tensor(const std::string& key, const std::vector<int64_t>& sizes,
                const std::string& storageClass = "FloatStorage",
                const std::string& location = "cpu");
    /// A numpy float64 scalar, pickled as numpy does (`numpy.core.multiarray.scalar` of an
    /// `f8` dtype and the 8 raw bytes through `_codecs.encode(..., 'latin1')`).
    void numpyFloat64(double v);
    /// A JSON value as plain dicts, lists, str, int, float, bool and None.
    void json(const nlohmann::json& value);

    std::string take() { return std::move(out_); }

    /// Raw bytes (for tests that build unusual streams).
    void raw(const std::string& bytes) { out_ += bytes; }
    void op(char c) { out_.push_back(c); }

private:
    void intTuple(const std::vector<int64_t>& values);
    std::string out_;
};

} // namespace ringscope::detail
