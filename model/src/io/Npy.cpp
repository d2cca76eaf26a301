#include "ringscope/model/io/Npy.h"

#include "io/ByteSource.h"

#include "ringscope/model/io/FileIO.h"
#include "ringscope/model/core/Error.h"

#include <cctype>
#include <cstring>
#include <limits>

namespace ringscope {
namespace {

struct NpyType {
    const char* descr;
    torch::ScalarType dtype;
};

const NpyType kTypes[] = {
    {"<f4", torch::kFloat32}, {"<f8", torch::kFloat64}, {"<i8", torch::kInt64},
    {"<i4", torch::kInt32},   {"|u1", torch::kUInt8},   {"|b1", torch::kBool},
    {"|i1", torch::kInt8},    {"<i2", torch::kInt16},   {"<f2", torch::kFloat16},
};

/// Value of `'key':` in the header dict, as raw text up to the next top-level comma/brace.
std::string headerValue(const std::string& header, const std::string& key,
                        const std::string& path) {
    size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) k = header.find("\"" + key + "\"");
    if (k == std::string::npos) throw FileFormatError(path, ".npy header has no '" + key + "'");
    size_t p = header.find(':', k);
    if (p == std::string::npos) throw FileFormatError(path, ".npy header is malformed");
    ++p;
    while (p < header.size() && std::isspace(uint8_t(header[p])))
        ++p;
    size_t end = p;
    if (end < header.size() && header[end] == '(') {
        end = header.find(')', end);
        if (end == std::string::npos) throw FileFormatError(path, ".npy header is malformed");
        ++end;
    } else {
        while (end < header.size() && header[end] != ',' && header[end] != '}')
            ++end;
    }
    std::string v = header.substr(p, end - p);
    while (!v.empty() && std::isspace(uint8_t(v.back())))
        v.pop_back();
    return v;
}

std::vector<int64_t> parseShape(const std::string& text, const std::string& path) {
    if (text.size() < 2 || text.front() != '(' || text.back() != ')')
        throw FileFormatError(path, ".npy shape is malformed");
    std::vector<int64_t> shape;
    std::string num;
    auto flush = [&] {
        if (num.empty()) return;
        if (num.size() > 15) throw FileFormatError(path, ".npy shape is implausibly large");
        shape.push_back(std::stoll(num));
        num.clear();
    };
    for (size_t i = 1; i + 1 < text.size(); ++i) {
        const char c = text[i];
        if (std::isdigit(uint8_t(c)))
            num.push_back(c);
        else if (c == ',' || std::isspace(uint8_t(c)) || c == 'L')
            flush();
        else
            throw FileFormatError(path, ".npy shape is malformed");
    }
    flush();
    return shape;
}

} // namespace

torch::Tensor loadNpy(const std::string& path) {
    detail::ByteSource src(path);
    if (src.size() < 10) throw FileFormatError(path, "not a .npy file (too short)");
    const std::string magic = src.readString(0, 8);
    if (magic.compare(0, 6, "\x93NUMPY", 6) != 0)
        throw FileFormatError(path, "not a .npy file (bad magic)");
    const int major = uint8_t(magic[6]);
    if (major < 1 || major > 3)
        throw FileFormatError(path, "unsupported .npy version " + std::to_string(major));
    const int lenBytes = major == 1 ? 2 : 4;
    src.requireRange(8, uint64_t(lenBytes), ".npy header length");
    const uint64_t headerLen = detail::readLE(src.readString(8, uint64_t(lenBytes)), 0, lenBytes);
    if (headerLen > (1u << 20)) throw FileFormatError(path, ".npy header is implausibly large");
    const uint64_t dataStart = 8 + uint64_t(lenBytes) + headerLen;
    src.requireRange(8 + uint64_t(lenBytes), headerLen, ".npy header");
    const std::string header = src.readString(8 + uint64_t(lenBytes), headerLen);

    std::string descr = headerValue(header, "descr", path);
    if (descr.size() < 2) throw FileFormatError(path, ".npy dtype is malformed");
    descr = descr.substr(1, descr.size() - 2);
    if (descr == "=f4" || descr == "=f8" || descr == "=i8" || descr == "=i4") descr[0] = '<';
    if (descr == "<u1" || descr == "<b1" || descr == "<i1") descr[0] = '|';
    const NpyType* type = nullptr;
    for (const auto& t : kTypes)
        if (descr == t.descr) type = &t;
    if (!type) {
        throw FileFormatError(path, descr.size() > 0 && descr[0] == '>'
                                        ? "big-endian .npy data is not supported"
                                        : "unsupported .npy dtype '" + descr + "'");
    }
    if (headerValue(header, "fortran_order", path) != "False")
        throw FileFormatError(path,
                              "Fortran-order .npy arrays are not supported (save with C order)");
    const std::vector<int64_t> shape = parseShape(headerValue(header, "shape", path), path);

    const uint64_t elem = torch::elementSize(type->dtype);
    uint64_t numel = 1;
    for (int64_t d : shape) {
        if (d != 0 && numel > (uint64_t(1) << 62) / uint64_t(d))
            throw FileFormatError(path, ".npy shape is implausibly large");
        numel *= uint64_t(d);
    }
    const uint64_t bytes = numel * elem;
    if (src.size() - std::min(src.size(), dataStart) != bytes) {
        throw FileFormatError(path,
                              "the .npy header promises " + std::to_string(bytes) +
                                  " bytes of data, the file has " +
                                  std::to_string(src.size() - std::min(src.size(), dataStart)));
    }
    torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(type->dtype));
    src.read(dataStart, bytes, t.data_ptr());
    return t;
}

void saveNpy(const std::string& path, const torch::Tensor& tensor) {
    const char* descr = nullptr;
    switch (tensor.scalar_type()) {
    case torch::kFloat32:
        descr = "<f4";
        break;
    case torch::kFloat64:
        descr = "<f8";
        break;
    case torch::kInt64:
        descr = "<i8";
        break;
    default:
        throw FileFormatError(path, "only float32, float64 and int64 arrays can be saved as .npy");
    }
    const torch::Tensor c = tensor.detach().to(torch::kCPU).contiguous();
    std::string shape = "(";
    for (int64_t i = 0; i < c.dim(); ++i)
        shape += std::to_string(c.size(i)) + (c.dim() == 1 ? "," : i + 1 < c.dim() ? ", " : "");
    shape += ")";
    std::string header =
        std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    const size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header.push_back('\n');
    std::string out("\x93NUMPY\x01\x00", 8);
    detail::writeLE(out, header.size(), 2);
    out += header;
    out.append(static_cast<const char*>(c.data_ptr()), size_t(c.numel()) * c.element_size());
    writeFileAtomically(path, out);
}

} // namespace ringscope
