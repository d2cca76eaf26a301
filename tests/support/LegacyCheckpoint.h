#pragma once
// A hand-built checkpoint in PyTorch's legacy format (torch.save with
// _use_new_zipfile_serialization=False), shared by TestCheckpointIO and the fuzzers' seeds.
// White-box: uses the private pickle writer of model/src/checkpoint.
// Header-only, without Qt, so that the fuzz build can use it.
#include "checkpoint/PickleWriter.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ringscope::test {

/// One tensor of a hand-built legacy file: its storage key and declared element count, a
/// view offset (-1: no view) and the tensor's 1-d size.
struct LegacyTensor {
    std::string name, key;
    int64_t rootNumel, viewOffset, size;
};

/// torch.save(..., _use_new_zipfile_serialization=False): magic, protocol, sys info, the
/// object (storage ids with view metadata), sorted keys, then each storage as int64 element
/// count + raw data.
inline std::string
legacyFile(const std::vector<LegacyTensor>& tensors,
           const std::vector<std::pair<std::string, std::vector<float>>>& storages) {
    std::string file("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
    detail::PickleWriter proto;
    proto.proto(2);
    proto.integer(1001);
    proto.stop();
    file += proto.take();
    detail::PickleWriter info;
    info.proto(2);
    info.json({{"protocol_version", 1001},
               {"little_endian", true},
               {"type_sizes", {{"short", 2}, {"int", 4}, {"long", 4}}}});
    info.stop();
    file += info.take();
    detail::PickleWriter obj;
    obj.proto(2);
    obj.orderedDict();
    obj.mark();
    for (const LegacyTensor& t : tensors) {
        obj.str(t.name);
        obj.global("torch._utils", "_rebuild_tensor_v2");
        obj.mark();
        obj.mark();
        obj.str("storage");
        obj.global("torch", "FloatStorage");
        obj.str(t.key);
        obj.str("cpu");
        obj.integer(t.rootNumel);
        if (t.viewOffset < 0) {
            obj.none();
        } else {
            obj.mark();
            obj.str(t.key + "v");
            obj.integer(t.viewOffset);
            obj.integer(t.size);
            obj.tupleFromMark();
        }
        obj.tupleFromMark();
        obj.op('Q');
        obj.integer(0);
        obj.mark();
        obj.integer(t.size);
        obj.tupleFromMark();
        obj.mark();
        obj.integer(1);
        obj.tupleFromMark();
        obj.boolean(false);
        obj.orderedDict();
        obj.tupleFromMark();
        obj.reduce();
    }
    obj.setItems();
    obj.stop();
    file += obj.take();
    detail::PickleWriter keys;
    keys.proto(2);
    nlohmann::json names = nlohmann::json::array();
    for (const auto& st : storages)
        names.push_back(st.first);
    keys.json(names);
    keys.stop();
    file += keys.take();
    for (const auto& st : storages) {
        const int64_t n = int64_t(st.second.size());
        file += std::string(reinterpret_cast<const char*>(&n), 8) +
                std::string(reinterpret_cast<const char*>(st.second.data()),
                            st.second.size() * sizeof(float));
    }
    return file;
}

} // namespace ringscope::test
