#include "checkpoint/PickleWriter.h"

#include "io/ByteSource.h"

#include <cstring>

namespace ringscope::detail {

void PickleWriter::proto(int version) {
    op(char(0x80));
    op(char(version));
}
void PickleWriter::stop() {
    op('.');
}
void PickleWriter::mark() {
    op('(');
}
void PickleWriter::none() {
    op('N');
}
void PickleWriter::boolean(bool v) {
    op(char(v ? 0x88 : 0x89));
}

void PickleWriter::integer(int64_t v) {
    if (v >= 0 && v < 256) {
        op('K');
        writeLE(out_, uint64_t(v), 1);
    } else if (v >= 0 && v < 65536) {
        op('M');
        writeLE(out_, uint64_t(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        op('J');
        writeLE(out_, uint64_t(uint32_t(int32_t(v))), 4);
    } else {
        op(char(0x8a)); // LONG1, 8 bytes two's complement
        out_.push_back(8);
        writeLE(out_, uint64_t(v), 8);
    }
}

void PickleWriter::real(double v) {
    op('G');
    uint64_t bits = 0;
    std::memcpy(&bits, &v, 8);
    for (int i = 7; i >= 0; --i)
        out_.push_back(char((bits >> (8 * i)) & 0xff));
}

void PickleWriter::str(const std::string& utf8) {
    op('X');
    writeLE(out_, utf8.size(), 4);
    out_ += utf8;
}

void PickleWriter::global(const std::string& module, const std::string& name) {
    op('c');
    out_ += module + "\n" + name + "\n";
}

void PickleWriter::emptyTuple() {
    op(')');
}
void PickleWriter::tupleFromMark() {
    op('t');
}
void PickleWriter::emptyDict() {
    op('}');
}
void PickleWriter::emptyList() {
    op(']');
}
void PickleWriter::setItems() {
    op('u');
}
void PickleWriter::appends() {
    op('e');
}
void PickleWriter::reduce() {
    op('R');
}

void PickleWriter::orderedDict() {
    global("collections", "OrderedDict");
    emptyTuple();
    reduce();
}

void PickleWriter::intTuple(const std::vector<int64_t>& values) {
    if (values.empty()) {
        emptyTuple();
        return;
    }
    mark();
    for (int64_t v : values)
        integer(v);
    tupleFromMark();
}

void PickleWriter::tensor(const std::string& key, const std::vector<int64_t>& sizes,
                          const std::string& storageClass, const std::string& location) {
    std::vector<int64_t> strides(sizes.size(), 1);
    int64_t numel = 1;
    for (size_t i = sizes.size(); i-- > 0;) {
        strides[i] = numel;
        numel *= sizes[i];
    }
    global("torch._utils", "_rebuild_tensor_v2");
    mark();
    mark(); // persistent id ('storage', FloatStorage, key, 'cpu', numel)
    str("storage");
    global("torch", storageClass);
    str(key);
    str(location);
    integer(numel);
    tupleFromMark();
    op('Q'); // BINPERSID
    integer(0);
    intTuple(sizes);
    intTuple(strides);
    boolean(false);
    orderedDict(); // backward hooks
    tupleFromMark();
    reduce();
}

void PickleWriter::json(const nlohmann::json& value) {
    switch (value.type()) {
    case nlohmann::json::value_t::null:
        none();
        break;
    case nlohmann::json::value_t::boolean:
        boolean(value.get<bool>());
        break;
    case nlohmann::json::value_t::number_integer:
        integer(value.get<int64_t>());
        break;
    case nlohmann::json::value_t::number_unsigned: {
        const uint64_t u = value.get<uint64_t>();
        if (u <= uint64_t(INT64_MAX))
            integer(int64_t(u));
        else
            real(double(u));
        break;
    }
    case nlohmann::json::value_t::number_float:
        real(value.get<double>());
        break;
    case nlohmann::json::value_t::string:
        str(value.get<std::string>());
        break;
    case nlohmann::json::value_t::array:
        emptyList();
        if (!value.empty()) {
            mark();
            for (const auto& v : value)
                json(v);
            appends();
        }
        break;
    case nlohmann::json::value_t::object:
        emptyDict();
        if (!value.empty()) {
            mark();
            for (const auto& [k, v] : value.items()) {
                str(k);
                json(v);
            }
            setItems();
        }
        break;
    default:
        none();
        break;
    }
}

} // namespace ringscope::detail

namespace ringscope::detail {

void PickleWriter::numpyFloat64(double v) {
    global("numpy.core.multiarray", "scalar");
    mark();
    global("numpy", "dtype");
    mark();
    str("f8");
    boolean(false);
    boolean(true);
    tupleFromMark();
    reduce();
    mark(); // dtype state: (3, '<', None, None, None, -1, -1, 0)
    integer(3);
    str("<");
    none();
    none();
    none();
    integer(-1);
    integer(-1);
    integer(0);
    tupleFromMark();
    op('b'); // BUILD
    unsigned char raw[8];
    std::memcpy(raw, &v, 8); // little-endian hosts only, as everywhere in RingScope
    std::string latin1AsUtf8;
    for (unsigned char b : raw) {
        if (b < 0x80) {
            latin1AsUtf8.push_back(char(b));
        } else {
            latin1AsUtf8.push_back(char(0xc0 | (b >> 6)));
            latin1AsUtf8.push_back(char(0x80 | (b & 0x3f)));
        }
    }
    global("_codecs", "encode");
    mark();
    str(latin1AsUtf8);
    str("latin1");
    tupleFromMark();
    reduce();
    tupleFromMark();
    reduce();
}

} // namespace ringscope::detail
