#include "checkpoint/SafeTensors.h"

#include "ringscope/model/core/Error.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace ringscope::detail {
namespace {

constexpr uint64_t kMaxHeader = 100u << 20;

struct DtypeInfo {
    const char* code;
    torch::ScalarType dtype;
    const char* name;
};

const DtypeInfo kDtypes[] = {
    {"F32", torch::kFloat32, "float32"},    {"F16", torch::kFloat16, "float16"},
    {"BF16", torch::kBFloat16, "bfloat16"}, {"F64", torch::kFloat64, "float64"},
    {"I64", torch::kInt64, "int64"},        {"I32", torch::kInt32, "int32"},
    {"I16", torch::kInt16, "int16"},        {"I8", torch::kInt8, "int8"},
    {"U8", torch::kUInt8, "uint8"},         {"BOOL", torch::kBool, "bool"},
};

const DtypeInfo* dtypeFor(const std::string& code) {
    for (const auto& d : kDtypes)
        if (code == d.code) return &d;
    return nullptr;
}

struct Record {
    std::string name;
    const DtypeInfo* dtype;
    std::vector<int64_t> shape;
    uint64_t begin, end;
};

Record parseRecord(const std::string& path, const std::string& name, const nlohmann::json& j,
                   uint64_t dataSize) {
    auto bad = [&](const std::string& why) -> FileFormatError {
        return FileFormatError(path, "safetensors: tensor '" + name + "' " + why);
    };
    if (!j.is_object() || !j.contains("dtype") || !j.contains("shape") ||
        !j.contains("data_offsets"))
        throw bad("needs dtype, shape and data_offsets");
    if (!j["dtype"].is_string()) throw bad("has a non-text dtype");
    Record r{name, dtypeFor(j["dtype"].get<std::string>()), {}, 0, 0};
    if (!r.dtype) throw bad("has unsupported dtype '" + j["dtype"].get<std::string>() + "'");
    const auto& shape = j["shape"];
    const auto& off = j["data_offsets"];
    if (!shape.is_array() || !off.is_array() || off.size() != 2)
        throw bad("has a malformed shape or offsets");
    uint64_t numel = 1;
    for (const auto& s : shape) {
        if (!s.is_number_unsigned()) throw bad("has a negative or non-integer dimension");
        const uint64_t d = s.get<uint64_t>();
        if (d != 0 && numel > std::numeric_limits<int64_t>::max() / d) throw bad("is too large");
        numel *= d;
        r.shape.push_back(int64_t(d));
    }
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) throw bad("has bad offsets");
    r.begin = off[0].get<uint64_t>();
    r.end = off[1].get<uint64_t>();
    if (r.begin > r.end || r.end > dataSize) throw bad("lies outside the file (truncated?)");
    const uint64_t elem = torch::elementSize(r.dtype->dtype);
    if (numel > std::numeric_limits<uint64_t>::max() / elem || r.end - r.begin != numel * elem)
        throw bad("has " + std::to_string(r.end - r.begin) + " bytes, its shape needs " +
                  std::to_string(numel * elem));
    return r;
}

/// As the format's reference implementation requires: the tensors, in offset order, tile the
/// data section exactly (no overlap, no hole, nothing left over).
void checkCoverage(const std::string& path, const std::vector<Record>& sorted, uint64_t dataSize) {
    uint64_t expected = 0;
    const Record* previous = nullptr;
    for (const Record& r : sorted) {
        if (r.begin < expected)
            throw FileFormatError(path, "safetensors: tensor '" + r.name + "' overlaps tensor '" +
                                            previous->name + "' (bytes " + std::to_string(r.begin) +
                                            "-" + std::to_string(r.end) + " of the data section)");
        if (r.begin > expected)
            throw FileFormatError(path, "safetensors: " + std::to_string(r.begin - expected) +
                                            " bytes before tensor '" + r.name +
                                            "' belong to no tensor");
        expected = r.end;
        previous = &r;
    }
    if (expected != dataSize)
        throw FileFormatError(path, "safetensors: the tensors cover " + std::to_string(expected) +
                                        " of the " + std::to_string(dataSize) +
                                        " bytes of the data section");
}

} // namespace

bool looksLikeSafeTensors(const std::string& head, uint64_t fileSize) {
    if (head.size() < 9 || fileSize < 8) return false;
    const uint64_t n = readLE(head, 0, 8);
    if (n < 2 || n > fileSize - 8) return false;
    // JSON may be padded with white space before the object as well as after it.
    const size_t first = head.find_first_not_of(" \t\r\n", 8);
    return first != std::string::npos && first < 8 + n && head[first] == '{';
}

SafeTensorsContents readSafeTensors(ByteSource& src, int64_t maxTotalBytes) {
    const std::string& path = src.path();
    src.requireRange(0, 8, "safetensors header length");
    const uint64_t n = readLE(src.readString(0, 8), 0, 8);
    if (n > kMaxHeader) throw FileFormatError(path, "safetensors: header is implausibly large");
    src.requireRange(8, n, "safetensors header");
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(src.readString(8, n));
    } catch (const std::exception& e) {
        throw FileFormatError(path, std::string("safetensors: header is not valid JSON (") +
                                        e.what() + ")");
    }
    if (!header.is_object())
        throw FileFormatError(path, "safetensors: header is not a JSON object");
    const uint64_t dataStart = 8 + n, dataSize = src.size() - dataStart;
    SafeTensorsContents out;
    std::vector<Record> records;
    for (const auto& [name, j] : header.items()) {
        if (name == "__metadata__") {
            if (!j.is_object())
                throw FileFormatError(path, "safetensors: __metadata__ is not an object");
            out.metadata = j;
            continue;
        }
        records.push_back(parseRecord(path, name, j, dataSize));
    }
    std::sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    checkCoverage(path, records, dataSize);
    uint64_t total = 0;
    for (const Record& r : records) {
        total += r.end - r.begin;
        if (total > uint64_t(maxTotalBytes))
            throw FileFormatError(path, "safetensors: tensor data exceeds the size limit");
        torch::Tensor t = torch::empty(r.shape, torch::TensorOptions().dtype(r.dtype->dtype));
        src.read(dataStart + r.begin, r.end - r.begin, t.data_ptr());
        out.tensors.set(r.name, t);
        out.dtypeNames.push_back(r.dtype->name);
    }
    return out;
}

std::string safeTensorsBytes(const StateDict& tensors, const nlohmann::json& metadata) {
    nlohmann::ordered_json header;
    header["__metadata__"] = nlohmann::ordered_json::parse(
        metadata.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    std::vector<torch::Tensor> data;
    uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
        torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
        const uint64_t bytes = uint64_t(c.numel()) * 4;
        header[name] = {{"dtype", "F32"},
                        {"shape", c.sizes().vec()},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        data.push_back(c);
    }
    std::string text = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.append((8 - text.size() % 8) % 8, ' ');
    std::string out;
    out.reserve(8 + text.size() + offset);
    writeLE(out, text.size(), 8);
    out += text;
    for (const torch::Tensor& c : data)
        out.append(static_cast<const char*>(c.data_ptr()), size_t(c.numel()) * 4);
    return out;
}

} // namespace ringscope::detail
