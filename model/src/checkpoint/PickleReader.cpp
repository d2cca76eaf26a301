#include "checkpoint/PickleReader.h"

#include "io/ByteSource.h"

#include "ringscope/model/core/Error.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>

namespace ringscope::detail {
namespace {

const std::set<std::string>& allowList() {
    static const std::set<std::string> names = {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch.FloatStorage",
        "torch.HalfStorage",
        "torch.BFloat16Storage",
        "torch.DoubleStorage",
        "torch.LongStorage",
        "torch.IntStorage",
        "torch.ShortStorage",
        "torch.CharStorage",
        "torch.ByteStorage",
        "torch.BoolStorage",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
        "numpy.dtype",
        "_codecs.encode",
    };
    return names;
}

std::string hexByte(uint8_t b) {
    static const char* digits = "0123456789abcdef";
    return std::string("0x") + digits[b >> 4] + digits[b & 15];
}

/// UTF-8 -> code points (for _codecs.encode(..., 'latin1')). Returns false on invalid input.
bool utf8ToLatin1(const std::string& s, std::string& out) {
    for (size_t i = 0; i < s.size();) {
        const auto c = uint8_t(s[i]);
        if (c < 0x80) {
            out.push_back(char(c));
            ++i;
        } else if ((c & 0xe0) == 0xc0 && i + 1 < s.size()) {
            const unsigned cp = ((c & 0x1f) << 6) | (uint8_t(s[i + 1]) & 0x3f);
            if (cp > 0xff) return false;
            out.push_back(char(cp));
            i += 2;
        } else {
            return false;
        }
    }
    return true;
}

} // namespace

bool PickleReader::isAllowedGlobal(const std::string& qualified) {
    return allowList().count(qualified) != 0;
}

PickleReader::PickleReader(std::string_view data, std::string path, PickleArena& arena,
                           PersistentLoad persistentLoad, PickleLimits limits)
    : data_(data), path_(std::move(path)), arena_(arena),
      persistentLoad_(std::move(persistentLoad)), limits_(limits) {}

void PickleReader::fail(const std::string& problem) const {
    throw FileFormatError(path_, "pickle: " + problem + " (at byte " + std::to_string(pos_) + ")");
}

uint8_t PickleReader::byte() {
    if (pos_ >= data_.size()) fail("unexpected end of data (truncated file?)");
    return uint8_t(data_[pos_++]);
}

std::string_view PickleReader::take(uint64_t n) {
    if (n > data_.size() - pos_) fail("unexpected end of data (truncated file?)");
    std::string_view v = data_.substr(pos_, size_t(n));
    pos_ += size_t(n);
    return v;
}

uint64_t PickleReader::uint(int bytes) {
    std::string_view v = take(bytes);
    return readLE(reinterpret_cast<const unsigned char*>(v.data()), bytes);
}

std::string PickleReader::line() {
    const size_t end = data_.find('\n', pos_);
    if (end == std::string_view::npos) fail("unterminated text line");
    std::string s(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
}

int64_t PickleReader::decimal(const std::string& text, const char* problem) const {
    try {
        size_t used = 0;
        const long long v = std::stoll(text, &used);
        if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
    fail(problem);
}

PyRef PickleReader::makeInt(int64_t v) {
    PyRef r = make(PyKind::Int);
    r->integer = v;
    return r;
}

PyRef PickleReader::makeStr(std::string_view s, PyKind kind) {
    PyRef r = make(kind);
    r->text.assign(s.data(), s.size());
    return r;
}

void PickleReader::push(PyRef v) {
    if (int64_t(stack_.size()) >= limits_.maxStack) fail("stack limit exceeded");
    stack_.push_back(std::move(v));
}

PyRef PickleReader::pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
        fail("stack underflow (corrupt pickle)");
    PyRef v = std::move(stack_.back());
    stack_.pop_back();
    return v;
}

PyRef& PickleReader::top() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
        fail("stack underflow (corrupt pickle)");
    return stack_.back();
}

std::vector<PyRef> PickleReader::popMark() {
    if (marks_.empty()) fail("missing MARK (corrupt pickle)");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PyRef> items(std::make_move_iterator(stack_.begin() + m),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return items;
}

void PickleReader::memoPut(uint64_t index) {
    if (int64_t(memo_.size()) >= limits_.maxMemo && !memo_.count(index))
        fail("memo limit exceeded");
    memo_[index] = top();
}

PyRef PickleReader::memoGet(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " does not exist");
    return it->second;
}

void PickleReader::global(const std::string& module, const std::string& name) {
    const std::string q = module + "." + name;
    if (!isAllowedGlobal(q)) throw UnsafePickleError(path_, module + " " + name);
    PyRef g = make(PyKind::Global);
    g->text = q;
    push(g);
}

void PickleReader::setItems(PyRef& dict, const std::vector<PyRef>& kv) {
    if (dict->kind != PyKind::Dict) fail("SETITEM on a " + typeName(*dict));
    if (kv.size() % 2 != 0) fail("odd number of items for a dict");
    // A later value under the same key replaces the earlier one, as in Python; the keys are
    // looked up in a hash index so that a dict of many entries costs linear time.
    DictIndex& index = dictIndex_[dict];
    auto scalarKey = [](const PyObject& k) -> std::optional<std::string> {
        if (k.kind == PyKind::Str) return "s" + k.text;
        if (k.kind == PyKind::Int) return "i" + std::to_string(k.integer);
        return std::nullopt;
    };
    for (; index.indexed < dict->dict.size(); ++index.indexed)
        if (auto k = scalarKey(*dict->dict[index.indexed].first))
            index.position.emplace(*k, index.indexed);
    for (size_t i = 0; i < kv.size(); i += 2) {
        const auto k = scalarKey(*kv[i]);
        if (k) {
            auto [it, fresh] = index.position.emplace(*k, dict->dict.size());
            if (!fresh) {
                dict->dict[it->second].second = kv[i + 1];
                continue;
            }
        }
        dict->dict.emplace_back(kv[i], kv[i + 1]);
        index.indexed = dict->dict.size();
    }
}

void PickleReader::appendItems(PyRef& list, const std::vector<PyRef>& values) {
    if (list->kind != PyKind::List && list->kind != PyKind::Set)
        fail("APPEND on a " + typeName(*list));
    list->items.insert(list->items.end(), values.begin(), values.end());
}

void PickleReader::build(const PyRef& target, const PyRef& state) {
    // Allowed objects carry no behaviour; the state only matters for numpy dtypes (byte order).
    if (target->kind == PyKind::Dtype && state->kind == PyKind::Tuple && state->items.size() > 1 &&
        state->items[1]->kind == PyKind::Str && !state->items[1]->text.empty())
        target->integer = state->items[1]->text[0];
}

PyRef PickleReader::rebuildTensor(const std::vector<PyRef>& a) {
    if (a.size() < 4 || a[0]->kind != PyKind::Storage || a[1]->kind != PyKind::Int ||
        a[2]->kind != PyKind::Tuple || a[3]->kind != PyKind::Tuple)
        fail("malformed tensor record");
    auto t = std::make_shared<TensorRef>();
    t->storage = a[0]->storage;
    t->offset = a[1]->integer;
    for (const PyRef& s : a[2]->items) {
        if (s->kind != PyKind::Int) fail("tensor size is not an integer");
        t->size.push_back(s->integer);
    }
    for (const PyRef& s : a[3]->items) {
        if (s->kind != PyKind::Int) fail("tensor stride is not an integer");
        t->stride.push_back(s->integer);
    }
    if (t->size.size() != t->stride.size()) fail("tensor size and stride differ in length");
    PyRef r = make(PyKind::Tensor);
    r->tensor = std::move(t);
    return r;
}

PyRef PickleReader::numpyScalar(const std::vector<PyRef>& a) {
    if (a.size() != 2 || a[0]->kind != PyKind::Dtype || a[1]->kind != PyKind::Bytes)
        fail("malformed numpy scalar");
    const std::string& descr = a[0]->text;
    std::string raw = a[1]->text;
    if (a[0]->integer == '>') std::reverse(raw.begin(), raw.end());
    const size_t n = raw.size();
    auto bytesAre = [&](size_t want) {
        if (n != want)
            fail("numpy scalar of type " + descr + " has " + std::to_string(n) + " bytes");
    };
    PyRef r;
    if (descr == "f8" || descr == "f4") {
        r = make(PyKind::Float);
        if (descr == "f8") {
            bytesAre(8);
            std::memcpy(&r->real, raw.data(), 8);
        } else {
            bytesAre(4);
            float f;
            std::memcpy(&f, raw.data(), 4);
            r->real = f;
        }
    } else if (descr == "b1" || descr == "?") {
        bytesAre(1);
        r = make(PyKind::Bool);
        r->boolean = raw[0] != 0;
    } else if (descr.size() == 2 && (descr[0] == 'i' || descr[0] == 'u') &&
               (descr[1] == '1' || descr[1] == '2' || descr[1] == '4' || descr[1] == '8')) {
        bytesAre(size_t(descr[1] - '0'));
        uint64_t v = readLE(reinterpret_cast<const unsigned char*>(raw.data()), int(n));
        if (descr[0] == 'i' && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);
        r = makeInt(int64_t(v));
    } else {
        fail("unsupported numpy scalar type '" + descr + "'");
    }
    return r;
}

PyRef PickleReader::codecsEncode(const std::vector<PyRef>& a) {
    if (a.size() != 2 || a[0]->kind != PyKind::Str || a[1]->kind != PyKind::Str)
        fail("malformed _codecs.encode call");
    const std::string& enc = a[1]->text;
    PyRef r = make(PyKind::Bytes);
    if (enc == "latin1" || enc == "latin-1" || enc == "iso-8859-1") {
        if (!utf8ToLatin1(a[0]->text, r->text)) fail("text cannot be encoded as latin1");
    } else if (enc == "utf-8" || enc == "utf8" || enc == "ascii") {
        r->text = a[0]->text;
    } else {
        fail("unsupported encoding '" + enc + "'");
    }
    return r;
}

PyRef PickleReader::call(const PyRef& callable, const PyRef& args) {
    if (callable->kind != PyKind::Global) fail("cannot call a " + typeName(*callable));
    if (args->kind != PyKind::Tuple) fail("call arguments are not a tuple");
    const std::string& f = callable->text;
    const std::vector<PyRef>& a = args->items;
    if (f == "collections.OrderedDict") {
        PyRef d = make(PyKind::Dict);
        if (!a.empty()) {
            if (a.size() != 1 || !a[0]->isSequence()) fail("unsupported OrderedDict arguments");
            std::vector<PyRef> kv;
            for (const PyRef& pair : a[0]->items) {
                if (!pair->isSequence() || pair->items.size() != 2) fail("bad OrderedDict item");
                kv.push_back(pair->items[0]);
                kv.push_back(pair->items[1]);
            }
            setItems(d, kv);
        }
        return d;
    }
    if (f == "torch._utils._rebuild_tensor_v2" || f == "torch._utils._rebuild_tensor")
        return rebuildTensor(a);
    if (f == "torch._utils._rebuild_parameter" ||
        f == "torch._utils._rebuild_parameter_with_state") {
        if (a.empty() || a[0]->kind != PyKind::Tensor) fail("malformed parameter record");
        return a[0];
    }
    if (f == "numpy.core.multiarray.scalar" || f == "numpy._core.multiarray.scalar")
        return numpyScalar(a);
    if (f == "numpy.dtype") {
        if (a.empty() || a[0]->kind != PyKind::Str) fail("malformed numpy dtype");
        PyRef d = make(PyKind::Dtype);
        d->text = a[0]->text;
        d->integer = '<';
        return d;
    }
    if (f == "_codecs.encode") return codecsEncode(a);
    fail("'" + f + "' cannot be called");
}

PyRef PickleReader::load() {
    stack_.clear();
    marks_.clear();
    memo_.clear();
    for (;;) {
        const uint8_t op = byte();
        if (op == '.') break;
        if (!step(op)) fail("unsupported pickle opcode " + hexByte(op));
    }
    if (stack_.size() != 1 || !marks_.empty()) fail("malformed pickle (stack not empty at STOP)");
    return stack_.back();
}

bool PickleReader::step(uint8_t op) {
    switch (op) {
    case 0x80:
        if (byte() > 5) fail("unknown pickle protocol");
        return true; // PROTO
    case 0x95:
        uint(8);
        return true; // FRAME
    case '(':
        marks_.push_back(stack_.size());
        return true; // MARK
    case 'N':
        push(make(PyKind::None));
        return true;
    case 0x88:
    case 0x89: { // NEWTRUE/FALSE
        PyRef b = make(PyKind::Bool);
        b->boolean = op == 0x88;
        push(b);
        return true;
    }
    case 'J':
        push(makeInt(int32_t(uint32_t(uint(4)))));
        return true; // BININT
    case 'K':
        push(makeInt(int64_t(uint(1))));
        return true; // BININT1
    case 'M':
        push(makeInt(int64_t(uint(2))));
        return true; // BININT2
    case 0x8a:
    case 0x8b: { // LONG1/LONG4
        const uint64_t n = op == 0x8a ? uint(1) : uint(4);
        std::string_view raw = take(n);
        if (n > 8) {
            push(makeStr(raw, PyKind::BigInt));
            return true;
        }
        uint64_t v = readLE(reinterpret_cast<const unsigned char*>(raw.data()), int(n));
        if (n > 0 && n < 8 && (uint8_t(raw[n - 1]) & 0x80)) v |= ~uint64_t(0) << (8 * n);
        push(makeInt(int64_t(v)));
        return true;
    }
    case 'I':
    case 'L': { // INT / LONG text
        std::string s = line();
        if (!s.empty() && s.back() == 'L') s.pop_back();
        if (op == 'I' && (s == "00" || s == "01")) {
            PyRef b = make(PyKind::Bool);
            b->boolean = s == "01";
            push(b);
            return true;
        }
        push(makeInt(decimal(s, "bad integer literal")));
        return true;
    }
    case 'G': { // BINFLOAT (big endian)
        std::string_view raw = take(8);
        uint64_t bits = 0;
        for (char c : raw)
            bits = (bits << 8) | uint8_t(c);
        PyRef f = make(PyKind::Float);
        std::memcpy(&f->real, &bits, 8);
        push(f);
        return true;
    }
    case 'F': {
        std::istringstream in(line());
        PyRef f = make(PyKind::Float);
        if (!(in >> f->real)) fail("bad float literal");
        push(f);
        return true;
    }
    case 'X':
        push(makeStr(take(uint(4))));
        return true; // BINUNICODE
    case 0x8c:
        push(makeStr(take(uint(1))));
        return true; // SHORT_BINUNICODE
    case 0x8d:
        push(makeStr(take(uint(8))));
        return true; // BINUNICODE8
    case 'T':
        push(makeStr(take(uint(4)), PyKind::Bytes));
        return true; // BINSTRING
    case 'U':
        push(makeStr(take(uint(1)), PyKind::Bytes));
        return true; // SHORT_BINSTRING
    case 'B':
        push(makeStr(take(uint(4)), PyKind::Bytes));
        return true; // BINBYTES
    case 'C':
        push(makeStr(take(uint(1)), PyKind::Bytes));
        return true; // SHORT_BINBYTES
    case 0x8e:
        push(makeStr(take(uint(8)), PyKind::Bytes));
        return true; // BINBYTES8
    case ')':
        push(make(PyKind::Tuple));
        return true; // EMPTY_TUPLE
    case 't': {
        PyRef t = make(PyKind::Tuple);
        t->items = popMark();
        push(t);
        return true;
    }
    case 0x85:
    case 0x86:
    case 0x87: { // TUPLE1..3
        const int n = op - 0x84;
        PyRef t = make(PyKind::Tuple);
        t->items.resize(n);
        for (int i = n - 1; i >= 0; --i)
            t->items[i] = pop();
        push(t);
        return true;
    }
    case ']':
        push(make(PyKind::List));
        return true; // EMPTY_LIST
    case 'l': {
        PyRef l = make(PyKind::List);
        l->items = popMark();
        push(l);
        return true;
    }
    case '}':
        push(make(PyKind::Dict));
        return true; // EMPTY_DICT
    case 'd': {
        PyRef d = make(PyKind::Dict);
        setItems(d, popMark());
        push(d);
        return true;
    }
    case 0x8f:
        push(make(PyKind::Set));
        return true; // EMPTY_SET
    case 0x91: {
        PyRef s = make(PyKind::Set);
        s->items = popMark();
        push(s);
        return true;
    }
    case 0x90: {
        auto v = popMark();
        appendItems(top(), v);
        return true;
    } // ADDITEMS
    case 'a': {
        PyRef v = pop();
        appendItems(top(), {v});
        return true;
    } // APPEND
    case 'e': {
        auto v = popMark();
        appendItems(top(), v);
        return true;
    } // APPENDS
    case 's': {
        PyRef v = pop();
        PyRef k = pop();
        setItems(top(), {k, v});
        return true;
    }
    case 'u': {
        auto kv = popMark();
        setItems(top(), kv);
        return true;
    } // SETITEMS
    case 'q':
        memoPut(uint(1));
        return true; // BINPUT
    case 'r':
        memoPut(uint(4));
        return true; // LONG_BINPUT
    case 0x94:
        memoPut(memo_.size());
        return true; // MEMOIZE
    case 'p':
        memoPut(uint64_t(decimal(line(), "bad memo index")));
        return true; // PUT
    case 'h':
        push(memoGet(uint(1)));
        return true; // BINGET
    case 'j':
        push(memoGet(uint(4)));
        return true; // LONG_BINGET
    case 'g':
        push(memoGet(uint64_t(decimal(line(), "bad memo index"))));
        return true; // GET
    case '0':
        pop();
        return true; // POP
    case '1':
        popMark();
        return true; // POP_MARK
    case '2':
        push(top());
        return true; // DUP
    case 'c': {
        std::string m = line();
        std::string n = line();
        global(m, n);
        return true;
    }
    case 0x93: { // STACK_GLOBAL
        PyRef n = pop(), m = pop();
        if (!m->isStr() || !n->isStr()) fail("STACK_GLOBAL needs two strings");
        global(m->text, n->text);
        return true;
    }
    case 'R':
    case 0x81: { // REDUCE / NEWOBJ
        PyRef args = pop(), callable = pop();
        push(call(callable, args));
        return true;
    }
    case 'b': {
        PyRef state = pop();
        build(top(), state);
        return true;
    }           // BUILD
    case 'Q': { // BINPERSID
        PyRef pid = pop();
        if (!persistentLoad_) fail("persistent id outside a checkpoint");
        push(persistentLoad_(pid));
        return true;
    }
    case 'i': { // INST
        std::string m = line();
        std::string n = line();
        global(m, n);
        PyRef cls = pop();
        PyRef args = make(PyKind::Tuple);
        args->items = popMark();
        push(call(cls, args));
        return true;
    }
    case 'o': { // OBJ
        auto items = popMark();
        if (items.empty()) fail("OBJ without a class");
        PyRef args = make(PyKind::Tuple);
        args->items.assign(items.begin() + 1, items.end());
        push(call(items[0], args));
        return true;
    }
    default:
        return false;
    }
}

} // namespace ringscope::detail
