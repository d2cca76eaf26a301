#include "checkpoint/TorchFile.h"

#include "checkpoint/PickleReader.h"
#include "checkpoint/PickleWriter.h"

#include "ringscope/model/core/Error.h"

#include <cstring>
#include <limits>

namespace ringscope::detail {
namespace {

struct StorageType {
    const char* cls;
    torch::ScalarType dtype;
    const char* name;
};

const StorageType kStorageTypes[] = {
    {"torch.FloatStorage", torch::kFloat32, "float32"},
    {"torch.HalfStorage", torch::kFloat16, "float16"},
    {"torch.BFloat16Storage", torch::kBFloat16, "bfloat16"},
    {"torch.DoubleStorage", torch::kFloat64, "float64"},
    {"torch.LongStorage", torch::kInt64, "int64"},
    {"torch.IntStorage", torch::kInt32, "int32"},
    {"torch.ShortStorage", torch::kInt16, "int16"},
    {"torch.CharStorage", torch::kInt8, "int8"},
    {"torch.ByteStorage", torch::kUInt8, "uint8"},
    {"torch.BoolStorage", torch::kBool, "bool"},
};

const StorageType* storageType(const PyRef& v) {
    if (!v || v->kind != PyKind::Global) return nullptr;
    for (const auto& t : kStorageTypes)
        if (v->text == t.cls) return &t;
    return nullptr;
}

/// 0x1950a86a20f9469cfc6c, the legacy magic number, as pickled little-endian bytes.
const std::string kLegacyMagic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
constexpr int64_t kLegacyProtocol = 1001;

/// a * b, or -1 on overflow (both non-negative).
int64_t mulChecked(int64_t a, int64_t b) {
    if (a != 0 && b > std::numeric_limits<int64_t>::max() / a) return -1;
    return a * b;
}

} // namespace

TorchFile::TorchFile(ByteSource& source, bool legacy, const CheckpointLimits& limits)
    : src_(source), legacy_(legacy), limits_(limits) {
    if (legacy_)
        openLegacy();
    else
        openZip();
}

void TorchFile::fail(const std::string& problem) const {
    throw FileFormatError(src_.path(), problem);
}

void TorchFile::openZip() {
    zip_ = std::make_unique<ZipReader>(src_);
    const ZipEntry* pkl = nullptr;
    for (const ZipEntry& e : zip_->entries()) {
        const size_t slash = e.name.find('/');
        if (slash != std::string::npos &&
            e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
            pkl = &e;
            prefix_ = e.name.substr(0, slash + 1);
            break;
        }
    }
    if (!pkl) {
        fail(zip_->entries().empty()
                 ? "zip archive is empty, not a PyTorch checkpoint"
                 : "zip archive without '<name>/data.pkl': not a PyTorch checkpoint");
    }
    if (zip_->find(prefix_ + "constants.pkl") || zip_->find(prefix_ + "code/"))
        fail("this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint");
    const std::string pickle = zip_->readString(*pkl, 1u << 30);
    PickleLimits pl{limits_.maxPickleMemo, limits_.maxPickleStack};
    PickleReader reader(
        pickle, src_.path(), arena_, [this](const PyRef& p) { return persistentLoad(p); }, pl);
    root_ = reader.load();
}

void TorchFile::openLegacy() {
    if (src_.size() > uint64_t(limits_.maxTotalBytes) + (64u << 20))
        fail("legacy checkpoint larger than the configured limit");
    legacyData_ = src_.readString(0, src_.size());
    PickleLimits pl{limits_.maxPickleMemo, limits_.maxPickleStack};
    size_t pos = 0;
    auto next = [&](bool withStorages) {
        PickleReader reader(std::string_view(legacyData_).substr(pos), src_.path(), arena_,
                            withStorages ? PickleReader::PersistentLoad(
                                               [this](const PyRef& p) { return persistentLoad(p); })
                                         : nullptr,
                            pl);
        PyRef v = reader.load();
        pos += reader.position();
        return v;
    };
    PyRef magic = next(false);
    if (magic->kind != PyKind::BigInt || magic->text != kLegacyMagic)
        fail("a pickle file, but not a PyTorch checkpoint (no PyTorch magic number)");
    PyRef protocol = next(false);
    if (protocol->kind != PyKind::Int || protocol->integer != kLegacyProtocol)
        fail("unsupported legacy PyTorch protocol version");
    PyRef sysInfo = next(false);
    PyRef little = sysInfo->kind == PyKind::Dict ? sysInfo->get("little_endian") : nullptr;
    if (little && little->kind == PyKind::Bool && !little->boolean)
        fail("big-endian legacy checkpoints are not supported");
    root_ = next(true);
    PyRef keys = next(false);
    if (keys->kind != PyKind::List) fail("legacy checkpoint: storage key list missing");
    for (const PyRef& k : keys->items) {
        if (!k->isStr()) fail("legacy checkpoint: storage key is not a string");
        auto it = declared_.find(k->text);
        if (it == declared_.end())
            fail("legacy checkpoint: storage '" + k->text + "' is never used");
        src_.requireRange(pos, 8, "legacy storage header");
        const int64_t numel = int64_t(readLE(legacyData_, pos, 8));
        const int64_t bytes = mulChecked(numel, int64_t(torch::elementSize(it->second)));
        if (numel < 0 || bytes < 0)
            fail("legacy checkpoint: storage '" + k->text + "' has a bad size");
        src_.requireRange(pos + 8, uint64_t(bytes), "storage '" + k->text + "'");
        legacyStorages_[k->text] = {pos + 8, numel};
        pos += 8 + size_t(bytes);
    }
}

PyRef TorchFile::persistentLoad(const PyRef& pid) {
    const size_t want = legacy_ ? 6 : 5;
    if (pid->kind != PyKind::Tuple || pid->items.size() != want || !pid->items[0]->isStr() ||
        pid->items[0]->text != "storage")
        fail("pickle: malformed storage reference");
    const auto& it = pid->items;
    const StorageType* type = storageType(it[1]);
    if (!type) fail("pickle: unsupported storage type " + typeName(*it[1]));
    if (!it[2]->isStr() || !it[3]->isStr() || it[4]->kind != PyKind::Int || it[4]->integer < 0)
        fail("pickle: malformed storage reference");
    auto ref = std::make_shared<StorageRef>();
    ref->key = it[2]->text;
    ref->dtype = type->dtype;
    ref->dtypeName = type->name;
    ref->location = it[3]->text;
    ref->numel = it[4]->integer;
    if (legacy_ && it[5]->kind == PyKind::Tuple) {
        const auto& view = it[5]->items;
        if (view.size() != 3 || view[1]->kind != PyKind::Int || view[2]->kind != PyKind::Int ||
            view[1]->integer < 0 || view[2]->integer < 0 ||
            view[1]->integer > ref->numel - view[2]->integer)
            fail("pickle: malformed storage view");
        ref->viewOffset = view[1]->integer;
        ref->numel = view[2]->integer;
    }
    auto [slot, fresh] = declared_.emplace(ref->key, ref->dtype);
    if (!fresh && slot->second != ref->dtype)
        fail("pickle: storage '" + ref->key + "' is declared with two types");
    if (fresh) {
        const int64_t bytes = mulChecked(it[4]->integer, int64_t(torch::elementSize(ref->dtype)));
        if (bytes < 0 || bytes > limits_.maxTotalBytes - declaredBytes_)
            fail("declared tensor data exceeds the limit of " +
                 std::to_string(limits_.maxTotalBytes) + " bytes");
        declaredBytes_ += bytes;
        if (!legacy_ && uint64_t(bytes) > src_.size() * 1100 + 4096)
            fail("storage '" + ref->key + "' declares more data than the file can hold");
    }
    PyRef v = arena_.make(PyKind::Storage);
    v->storage = std::move(ref);
    return v;
}

const torch::Tensor& TorchFile::storage(const StorageRef& ref) {
    auto cached = loaded_.find(ref.key);
    if (cached != loaded_.end()) return cached->second;
    const int64_t elem = int64_t(torch::elementSize(ref.dtype));
    torch::Tensor data;
    if (legacy_) {
        auto it = legacyStorages_.find(ref.key);
        if (it == legacyStorages_.end()) fail("storage '" + ref.key + "' is missing");
        data = torch::empty({it->second.second}, torch::TensorOptions().dtype(ref.dtype));
        if (it->second.second > 0) // an empty tensor has no data pointer
            std::memcpy(data.data_ptr(), legacyData_.data() + it->second.first,
                        size_t(it->second.second * elem));
    } else {
        const ZipEntry* e = zip_->find(prefix_ + "data/" + ref.key);
        if (!e) fail("storage '" + ref.key + "' is missing from the archive (truncated file?)");
        if (e->size % uint64_t(elem) != 0 || int64_t(e->size / elem) < 0)
            fail("storage '" + ref.key + "' has " + std::to_string(e->size) +
                 " bytes, not a whole number of " + ref.dtypeName + " values");
        const int64_t numel = int64_t(e->size / elem);
        auto declared = declared_.find(ref.key);
        if (declared == declared_.end()) fail("storage '" + ref.key + "' was never declared");
        if (uint64_t(e->size) > uint64_t(limits_.maxTotalBytes))
            fail("storage '" + ref.key + "' exceeds the size limit");
        data = torch::empty({numel}, torch::TensorOptions().dtype(ref.dtype));
        zip_->read(*e, data.data_ptr());
    }
    return loaded_.emplace(ref.key, data).first->second;
}

const torch::Tensor& TorchFile::float32Storage(const StorageRef& ref) {
    auto cached = converted_.find(ref.key);
    if (cached != converted_.end()) return cached->second;
    torch::Tensor data = storage(ref).to(torch::kFloat32);
    loaded_.erase(ref.key); // the float32 copy serves every later view
    return converted_.emplace(ref.key, std::move(data)).first->second;
}

torch::Tensor TorchFile::tensor(const TensorRef& ref, bool asFloat32) {
    const StorageRef& s = *ref.storage;
    const bool convert = asFloat32 && c10::isFloatingType(s.dtype) && s.dtype != torch::kFloat32;
    const torch::Tensor& data = convert ? float32Storage(s) : storage(s);
    if (s.viewOffset > data.numel())
        fail("storage view starts at element " + std::to_string(s.viewOffset) + " of storage '" +
             s.key + "', which holds only " + std::to_string(data.numel()) + " (corrupt file)");
    const int64_t available = std::min<int64_t>(s.numel, data.numel() - s.viewOffset);
    if (ref.offset < 0) fail("tensor with a negative storage offset");
    int64_t last = ref.offset, count = 1;
    for (size_t i = 0; i < ref.size.size(); ++i) {
        if (ref.size[i] < 0 || ref.stride[i] < 0) fail("tensor with a negative size or stride");
        count = mulChecked(count, ref.size[i]);
        if (count < 0) fail("tensor size overflows");
    }
    if (count > 0) {
        for (size_t i = 0; i < ref.size.size(); ++i) {
            const int64_t span = mulChecked(ref.size[i] - 1, ref.stride[i]);
            if (span < 0 || last > std::numeric_limits<int64_t>::max() - span)
                fail("tensor extent overflows");
            last += span;
        }
        if (last >= available)
            fail("tensor reads element " + std::to_string(last) + " of storage '" + s.key +
                 "', which holds only " + std::to_string(available) + " (corrupt file)");
    }
    if (count == 0) return torch::empty(ref.size, torch::TensorOptions().dtype(data.scalar_type()));
    // A view: no copy, whatever the tensor's extent (tied weights, stride-0 expansions).
    return data.as_strided(ref.size, ref.stride, s.viewOffset + ref.offset);
}

namespace {

/// The storages of a zip checkpoint being written, numbered in order of appearance.
struct StorageList {
    std::vector<torch::Tensor> tensors;

    void write(PickleWriter& p, const torch::Tensor& t) {
        torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
        p.tensor(std::to_string(tensors.size()), c.sizes().vec());
        tensors.push_back(c);
    }
};

void writeStateDict(PickleWriter& p, StorageList& storages, const StateDict& weights) {
    p.orderedDict();
    p.mark();
    for (const auto& [name, t] : weights) {
        p.str(name);
        storages.write(p, t);
    }
    p.setItems();
}

/// torch.optim.Adam's state_dict(): {'state': {i: {...}}, 'param_groups': [{..., 'params'}]}.
void writeAdamState(PickleWriter& p, StorageList& storages, const TrainingState& state) {
    p.emptyDict();
    p.mark();
    p.str("state");
    p.emptyDict();
    p.mark();
    for (size_t i = 0; i < state.moments.size(); ++i) {
        const AdamMoments& m = state.moments[i];
        if (!m.expAvg.defined() || !m.expAvgSq.defined()) continue;
        p.integer(int64_t(i));
        p.emptyDict();
        p.mark();
        p.str("step");
        storages.write(p, torch::tensor(float(m.step)));
        p.str("exp_avg");
        storages.write(p, m.expAvg);
        p.str("exp_avg_sq");
        storages.write(p, m.expAvgSq);
        p.setItems();
    }
    p.setItems();
    const AdamGroup& g = state.group;
    nlohmann::json params = nlohmann::json::array();
    for (size_t i = 0; i < state.moments.size(); ++i)
        params.push_back(int64_t(i));
    const nlohmann::json group = {{"lr", g.lr},
                                  {"betas", {g.beta1, g.beta2}},
                                  {"eps", g.eps},
                                  {"weight_decay", g.weightDecay},
                                  {"amsgrad", g.amsgrad},
                                  {"maximize", false},
                                  {"foreach", nullptr},
                                  {"capturable", false},
                                  {"differentiable", false},
                                  {"fused", nullptr},
                                  {"initial_lr", g.initialLr},
                                  {"params", params}};
    p.str("param_groups");
    p.json(nlohmann::json::array({group}));
    p.setItems();
}

std::string zipBytes(const std::string& pickle, const StorageList& storages) {
    ZipWriter zip;
    const std::string stem = "archive/";
    zip.add(stem + "data.pkl", pickle.data(), pickle.size());
    zip.add(stem + "byteorder", "little", 6);
    for (size_t i = 0; i < storages.tensors.size(); ++i) {
        const torch::Tensor& c = storages.tensors[i];
        zip.add(stem + "data/" + std::to_string(i), c.data_ptr(), uint64_t(c.numel()) * 4);
    }
    zip.add(stem + "version", "3\n", 2);
    return zip.finish();
}

} // namespace

std::string torchZipBytes(const StateDict& weights, const nlohmann::json& metadata) {
    PickleWriter p;
    StorageList storages;
    p.proto(2);
    p.emptyDict();
    p.mark();
    p.str("model_state_dict");
    writeStateDict(p, storages, weights);
    p.str("ringscope");
    p.json(metadata);
    p.setItems();
    p.stop();
    return zipBytes(p.take(), storages);
}

std::string torchTrainingZipBytes(const StateDict& weights, const nlohmann::json& metadata,
                                  const TrainingState& state) {
    PickleWriter p;
    StorageList storages;
    p.proto(2);
    p.emptyDict();
    p.mark();
    p.str("epoch");
    p.integer(state.epoch);
    p.str("model_state_dict");
    writeStateDict(p, storages, weights);
    p.str("optimizer_state_dict");
    writeAdamState(p, storages, state);
    p.str("scheduler_state_dict");
    p.json(state.scheduler);
    p.str("best_acc");
    p.numpyFloat64(state.bestAccuracy);
    p.str("global_step");
    p.integer(state.globalStep);
    p.str("ringscope");
    p.json(metadata);
    p.setItems();
    p.stop();
    return zipBytes(p.take(), storages);
}

} // namespace ringscope::detail
