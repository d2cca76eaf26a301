// Checkpoint reading and writing: the published code's files, round trips, and hostile or
// broken files (which must give a clear error naming the file, never a crash or execution).
// White-box: builds files with the private pickle and zip writers of model/src/.
#include "LegacyCheckpoint.h"
#include "TestSupport.h"

#include "checkpoint/PickleWriter.h"
#include "io/ZipArchive.h"

#include "ringscope/model/checkpoint/Checkpoint.h"
#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/nets/ParameterLayout.h"

#include <QtTest>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <filesystem>
#include <fstream>
#include <random>

using namespace ringscope;
using ringscope::detail::PickleWriter;
using ringscope::detail::ZipWriter;

namespace {

std::string fixture(const std::string& name) {
    return test::fixturesDir() + "/" + name;
}

const char* kNames[] = {"vit_tiny", "owf_tiny", "uit_static_tiny", "uit_learnable_tiny",
                        "ringformer_tiny"};

/// A zip checkpoint with one pickle and the given storages, under any stem.
std::string torchZip(const std::string& pickle, const std::vector<std::string>& storages,
                     const std::string& stem = "archive") {
    ZipWriter zip;
    zip.add(stem + "/data.pkl", pickle.data(), pickle.size());
    for (size_t i = 0; i < storages.size(); ++i)
        zip.add(stem + "/data/" + std::to_string(i), storages[i].data(), storages[i].size());
    zip.add(stem + "/version", "3\n", 2);
    return zip.finish();
}

/// Pickle of `{name: tensor}` (bare state dict, OrderedDict) with one storage per tensor.
std::string
stateDictPickle(const std::vector<std::pair<std::string, std::vector<int64_t>>>& tensors,
                const std::string& storageClass = "FloatStorage",
                const std::string& location = "cpu") {
    PickleWriter p;
    p.proto(2);
    p.orderedDict();
    p.mark();
    for (size_t i = 0; i < tensors.size(); ++i) {
        p.str(tensors[i].first);
        p.tensor(std::to_string(i), tensors[i].second, storageClass, location);
    }
    p.setItems();
    p.stop();
    return p.take();
}

template <typename T> std::string bytesOf(const std::vector<T>& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

/// The published code's pickle calling a global: `module.name('arg')`.
std::string callingPickle(const std::string& module, const std::string& name,
                          const std::string& arg) {
    PickleWriter p;
    p.proto(2);
    p.global(module, name);
    p.mark();
    p.str(arg);
    p.tupleFromMark();
    p.reduce();
    p.stop();
    return p.take();
}

} // namespace

class TestCheckpointIO : public QObject {
    Q_OBJECT

private:
    std::string dir_;

    std::string write(const std::string& name, const std::string& bytes) {
        const std::string path = dir_ + "/" + name;
        test::writeBytes(path, bytes);
        return path;
    }

    /// loadCheckpoint must throw a FileFormatError whose message names the file and mentions
    /// `problem`.
    void expectBroken(const std::string& path, const std::string& problem) {
        try {
            loadCheckpoint(path);
            QFAIL(("loaded a broken file: " + path).c_str());
        } catch (const FileFormatError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find(path) == 0, msg.c_str());
            QVERIFY2(msg.find(problem) != std::string::npos, msg.c_str());
        }
    }

private Q_SLOTS:
    /// The published training containers' Adam state: read, numbered like the state dict,
    /// shaped like the parameters, with the container's step count.
    void publishedOptimizerState() {
        for (const std::string n :
             {"vit_tiny", "owf_tiny", "uit_static_tiny", "uit_learnable_tiny", "ringformer_tiny"}) {
            LoadedModel m = loadModel(fixture(n + ".bin"), LoadOptions{4, {}, {}, {}});
            QVERIFY2(m.checkpoint.state.has_value(), n.c_str());
            const TrainingState& st = *m.checkpoint.state;
            const auto layout = parameterLayout(m.model->config());
            QCOMPARE(st.moments.size(), layout.size());
            QCOMPARE(st.globalStep, m.checkpoint.training["global_step"].get<int64_t>());
            for (size_t i = 0; i < layout.size(); ++i) {
                const AdamMoments& a = st.moments[i];
                QVERIFY2(a.expAvg.defined() == layout[i].trainable,
                         (n + ": " + layout[i].name).c_str());
                if (!a.expAvg.defined()) continue;
                QVERIFY2(a.expAvg.sizes().equals(m.model->weights().at(layout[i].name).sizes()),
                         layout[i].name.c_str());
                QCOMPARE(a.step, st.globalStep);
            }
            QVERIFY(st.group.lr > 0 && st.group.beta2 > st.group.beta1);
        }
    }

    void initTestCase() {
        configureThreads(); // as every entry point does: libtorch sets its threads lazily
        dir_ = test::makeTempDir("ckpt");
    }

    void readsPublishedFiles_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("suffix");
        for (const char* n : kNames) {
            QTest::newRow((std::string(n) + ".bin").c_str()) << n << ".bin";
            QTest::newRow((std::string(n) + ".state_dict.pt").c_str()) << n << ".state_dict.pt";
        }
    }
    void readsPublishedFiles() {
        QFETCH(QString, name);
        QFETCH(QString, suffix);
        const std::string n = name.toStdString();
        Checkpoint ck = loadCheckpoint(fixture(n + suffix.toStdString()));
        QCOMPARE(int(ck.format), int(CheckpointFormat::TorchZip));
        QCOMPARE(ck.storedDtypes, std::vector<std::string>{"float32"});
        std::ifstream in(fixture(n + ".json"));
        const auto ref = nlohmann::json::parse(in);
        QCOMPARE(ck.weights.size(), ref["keys"].size());
        for (const auto& [key, shape] : ref["keys"].items()) {
            const torch::Tensor* t = ck.weights.find(key);
            QVERIFY2(t, key.c_str());
            QCOMPARE(t->sizes().vec(), shape.get<std::vector<int64_t>>());
            QCOMPARE(t->scalar_type(), torch::kFloat32);
            QVERIFY(t->is_contiguous());
        }
        if (suffix == ".bin") {
            QCOMPARE(ck.training["epoch"].get<int>(), 1);
            QCOMPARE(ck.training["global_step"].get<int>(), ref["steps"].get<int>());
            QVERIFY(ck.training["best_acc"].is_number_float());
            QVERIFY(ck.training["keys"].size() == 6);
        } else {
            QVERIFY(ck.training.is_null());
        }
        QVERIFY(ck.metadata.is_null());
    }

    void containerAndStateDictAgree() {
        Checkpoint a = loadCheckpoint(fixture("ringformer_tiny.bin"));
        Checkpoint b = loadCheckpoint(fixture("ringformer_tiny.state_dict.pt"));
        QCOMPARE(a.weights.names(), b.weights.names());
        for (const auto& [k, t] : a.weights)
            QVERIFY2(torch::equal(t, b.weights.at(k)), k.c_str());
    }

    void ringscopeRoundTrip() {
        Checkpoint src = loadCheckpoint(fixture("uit_learnable_tiny.bin"));
        const nlohmann::json meta = {
            {"format_version", 1},
            {"config", {{"family", "uit"}, {"heads", 4}}},
            {"class_names", {"a", "b", "ü"}},
            {"normalization", {{"mean", {0.5, 0.5, 0.5}}, {"std", {0.25, 0.5, 1.0}}}},
            {"big", int64_t(1) << 40},
            {"none", nullptr}};
        const std::string path = dir_ + "/round.ringscope.pt";
        saveRingScopeCheckpoint(path, src.weights, meta);
        Checkpoint back = loadCheckpoint(path);
        QCOMPARE(int(back.format), int(CheckpointFormat::TorchZip));
        QCOMPARE(back.metadata, meta);
        QCOMPARE(back.weights.names(), src.weights.names());
        for (const auto& [k, t] : src.weights)
            QVERIFY2(torch::equal(t, back.weights.at(k)), k.c_str());
        QCOMPARE(back.training["keys"], nlohmann::json({"model_state_dict", "ringscope"}));

        // Every storage is 64-byte aligned, as PyTorch writes it (mmap-able).
        const std::string bytes = test::readBytes(path);
        QVERIFY(bytes.find("archive/version") != std::string::npos);
    }

    void safeTensorsRoundTrip() {
        Checkpoint src = loadCheckpoint(fixture("ringformer_tiny.bin"));
        const nlohmann::json meta = {{"config", {{"family", "ringformer"}, {"heads", 4}}},
                                     {"class_names", {"x", "y"}}};
        const std::string path = dir_ + "/round.safetensors";
        saveSafeTensors(path, src.weights, meta);
        Checkpoint back = loadCheckpoint(path);
        QCOMPARE(int(back.format), int(CheckpointFormat::SafeTensors));
        QCOMPARE(back.metadata, meta);
        QCOMPARE(back.weights.names(), src.weights.names());
        for (const auto& [k, t] : src.weights)
            QVERIFY2(torch::equal(t, back.weights.at(k)), k.c_str());
        // The header is the documented layout: u64 length, JSON with __metadata__.format = "pt".
        const std::string bytes = test::readBytes(path);
        uint64_t n = 0;
        std::memcpy(&n, bytes.data(), 8);
        QCOMPARE(n % 8, uint64_t(0));
        const auto header = nlohmann::json::parse(bytes.substr(8, n));
        QCOMPARE(header["__metadata__"]["format"].get<std::string>(), std::string("pt"));
        QCOMPARE(nlohmann::json::parse(header["__metadata__"]["ringscope"].get<std::string>()),
                 meta);
    }

    void modelRoundTripGivesSameOutputs() {
        LoadedModel a = loadModel(fixture("owf_tiny.state_dict.pt"), LoadOptions{4, {}, {}, {}});
        const std::string path = dir_ + "/owf.ringscope.pt";
        saveRingScopeCheckpoint(path, a.model->weights(), metadataForSave(*a.model, a.metadata));
        LoadedModel b = loadModel(path); // heads now come from the metadata
        QCOMPARE(b.model->config().heads, int64_t(4));
        torch::NoGradGuard guard;
        const torch::Tensor x = torch::randn({2, 3, 32, 32});
        QVERIFY(torch::equal(a.model->forward(x).logits, b.model->forward(x).logits));
    }

    void anyArchiveStem() {
        const std::vector<float> v{1.5f, -2.f, 3.25f, 0.f, 7.f, 8.f};
        const std::string path = write(
            "stem.pt", torchZip(stateDictPickle({{"w", {2, 3}}}), {bytesOf(v)}, "weird-stem_123"));
        Checkpoint ck = loadCheckpoint(path);
        QCOMPARE(ck.weights.at("w").sizes().vec(), (std::vector<int64_t>{2, 3}));
        QCOMPARE(ck.weights.at("w")[1][0].item<float>(), 0.f);
        QCOMPARE(ck.weights.at("w")[0][2].item<float>(), 3.25f);
    }

    void convertsStoredDtypes() {
        // float16: 1.0 = 0x3c00, -2.5 = 0xc100; bfloat16: 1.0 = 0x3f80, 3.0 = 0x4040.
        const std::vector<uint16_t> half{0x3c00, 0xc100};
        const std::vector<uint16_t> bf16{0x3f80, 0x4040};
        const std::vector<double> f64{0.1, -1e10};
        struct Case {
            const char* cls;
            std::string data;
            const char* dtype;
            std::vector<float> want;
        };
        std::vector<Case> cases{{"HalfStorage", bytesOf(half), "float16", {1.f, -2.5f}},
                                {"BFloat16Storage", bytesOf(bf16), "bfloat16", {1.f, 3.f}},
                                {"DoubleStorage", bytesOf(f64), "float64", {0.1f, -1e10f}}};
        for (const Case& c : cases) {
            const std::string path =
                write(std::string(c.cls) + ".pt",
                      torchZip(stateDictPickle({{"w", {2}}}, c.cls), {c.data}));
            Checkpoint ck = loadCheckpoint(path);
            const torch::Tensor w = ck.weights.at("w");
            QCOMPARE(w.scalar_type(), torch::kFloat32);
            QCOMPARE(w[0].item<float>(), c.want[0]);
            QCOMPARE(w[1].item<float>(), c.want[1]);
            QCOMPARE(ck.storedDtypes, std::vector<std::string>{c.dtype});
        }
    }

    void cudaStoragesLoadToCpu() {
        const std::vector<float> v{1.f, 2.f};
        const std::string path =
            write("cuda.pt",
                  torchZip(stateDictPickle({{"w", {2}}}, "FloatStorage", "cuda:1"), {bytesOf(v)}));
        Checkpoint ck = loadCheckpoint(path);
        QVERIFY(ck.weights.at("w").device().is_cpu());
        QCOMPARE(ck.weights.at("w")[1].item<float>(), 2.f);
    }

    void stripsCompileAndDataParallelPrefixes() {
        const std::vector<float> v{4.f};
        PickleWriter p;
        p.proto(2);
        p.emptyDict();
        p.mark();
        p.str("epoch");
        p.integer(7);
        p.str("model_state_dict");
        p.emptyDict();
        p.mark();
        p.str("_orig_mod.transformer.x");
        p.tensor("0", {1});
        p.str("module._orig_mod.head.bias");
        p.tensor("1", {1});
        p.setItems();
        p.str("global_step");
        p.integer(70000);
        p.setItems();
        p.stop();
        const std::string path =
            write("compiled.bin", torchZip(p.take(), {bytesOf(v), bytesOf(v)}));
        Checkpoint ck = loadCheckpoint(path);
        QCOMPARE(ck.weights.names(), (std::vector<std::string>{"transformer.x", "head.bias"}));
        QCOMPARE(ck.training["epoch"].get<int>(), 7);
        QCOMPARE(ck.training["global_step"].get<int>(), 70000);
    }

    void readsLegacyFormat() {
        // "b" is a view of elements 2..3 of storage 141.
        const std::string file =
            test::legacyFile({{"a", "140", 3, -1, 3}, {"b", "141", 4, 2, 2}},
                             {{"140", {1.f, 2.f, 3.f}}, {"141", {10.f, 11.f, 12.f, 13.f}}});
        const std::string path = write("legacy.pt", file);
        Checkpoint ck = loadCheckpoint(path);
        QCOMPARE(int(ck.format), int(CheckpointFormat::TorchLegacy));
        QVERIFY(torch::equal(ck.weights.at("a"), torch::tensor({1.f, 2.f, 3.f})));
        QVERIFY(torch::equal(ck.weights.at("b"), torch::tensor({12.f, 13.f})));
        // Cut inside the storages: a clear error.
        expectBroken(write("legacy-cut.pt", file.substr(0, file.size() - 6)), "outside the file");
    }

    /// Empty storages (found by fuzz_checkpoint: an empty tensor has no data pointer, and the
    /// copy from the file was handed a null destination): an empty tensor loads, and a view
    /// that starts past the end of an empty storage is refused.
    void legacyEmptyStorages() {
        Checkpoint ck = loadCheckpoint(write(
            "legacy-empty.pt", test::legacyFile({{"a", "140", 3, -1, 3}, {"e", "141", 0, -1, 0}},
                                                {{"140", {1.f, 2.f, 3.f}}, {"141", {}}})));
        QCOMPARE(ck.weights.at("e").numel(), int64_t(0));
        QCOMPARE(ck.weights.at("e").sizes().vec(), std::vector<int64_t>{0});
        QVERIFY(torch::equal(ck.weights.at("a"), torch::tensor({1.f, 2.f, 3.f})));
        expectBroken(
            write("legacy-empty-view.pt", test::legacyFile({{"b", "141", 4, 2, 2}}, {{"141", {}}})),
            "storage view starts at element 2 of storage '141', which holds only 0");
        // The fuzzer's own input (tests/fuzz/regressions/checkpoint/legacy-empty-storage.pt).
        expectBroken(test::sourceDir() +
                         "/tests/fuzz/regressions/checkpoint/legacy-empty-storage.pt",
                     "storage view starts at element 2 of storage '141', which holds only 0");
    }

    /// Tied weights: 20,000 tensors over one 160 KB float16 storage (3.2 GB if each were its
    /// own copy). The storage is read and converted to float32 once; every tensor is a view
    /// on it, and a model built from such weights owns copies of its own.
    void sharedStoragesAreViews() {
        constexpr int kTensors = 20000;
        constexpr int64_t kNumel = 80000; // float16: 160 KB
        ringscope::detail::PickleWriter p;
        p.proto(2);
        p.orderedDict();
        p.mark();
        for (int i = 0; i < kTensors; ++i) {
            p.str("tied." + std::to_string(i));
            p.tensor("0", {kNumel}, "HalfStorage");
        }
        p.setItems();
        p.stop();
        const std::string pickle = p.take();
        std::vector<uint16_t> half(size_t(kNumel), 0x3c00); // 1.0
        half[7] = 0xc100;                                   // -2.5
        ringscope::detail::ZipWriter zip;
        zip.add("tied/data.pkl", pickle.data(), pickle.size());
        zip.add("tied/data/0", half.data(), half.size() * 2);
        const std::string path = write("tied.pt", zip.finish());
        const Checkpoint ck = loadCheckpoint(path);
        QCOMPARE(int(ck.weights.size()), kTensors);
        const void* shared = ck.weights.at("tied.0").data_ptr();
        for (const auto& [name, t] : ck.weights) {
            QCOMPARE(t.scalar_type(), torch::kFloat32);
            QCOMPARE(t.data_ptr(), shared);
        }
        QCOMPARE(ck.weights.at("tied.19999")[7].item<float>(), -2.5f);
        QCOMPARE(ck.weights.at("tied.123").sum().item<double>(), double(kNumel - 1) - 2.5);
        QCOMPARE(ck.storedDtypes, std::vector<std::string>{"float16"});
    }

    /// timm's files: the .pth and the .safetensors of each model hold the same tensors, with
    /// the names and shapes timm's own listing gives. (The safetensors header length of
    /// timm_vit_tiny starts with byte 0x80, which once made it look like a pickle.)
    void readsTimmFiles() {
        for (const char* name :
             {"timm_vit_tiny", "timm_vit_gap_tiny", "timm_deit_distilled_tiny"}) {
            const std::string base = test::timmFixturesDir() + "/" + name;
            const Checkpoint pth = loadCheckpoint(base + ".pth");
            const Checkpoint st = loadCheckpoint(base + ".safetensors");
            QCOMPARE(int(st.format), int(CheckpointFormat::SafeTensors));
            const auto keys = nlohmann::json::parse(test::readBytes(base + ".json"))["keys"];
            QCOMPARE(pth.weights.size(), keys.size());
            QCOMPARE(st.weights.size(), keys.size());
            for (const auto& [key, t] : pth.weights) {
                QCOMPARE(nlohmann::json(t.sizes().vec()).dump(), keys[key].dump());
                QVERIFY2(torch::equal(t, st.weights.at(key)), key.c_str());
            }
        }
    }

    void refusesCode_data() {
        QTest::addColumn<QString>("module");
        QTest::addColumn<QString>("name");
        QTest::newRow("os.system") << "os"
                                   << "system";
        QTest::newRow("posix.system") << "posix"
                                      << "system";
        QTest::newRow("builtins.eval") << "builtins"
                                       << "eval";
        QTest::newRow("subprocess") << "subprocess"
                                    << "check_output";
        QTest::newRow("torch.load") << "torch"
                                    << "load";
    }
    void refusesCode() {
        QFETCH(QString, module);
        QFETCH(QString, name);
        const std::string marker = dir_ + "/pwned";
        const std::string payload =
            callingPickle(module.toStdString(), name.toStdString(), "touch " + marker);
        const std::string global = module.toStdString() + " " + name.toStdString();
        for (const std::string& path :
             {write("evil.pt", torchZip(payload, {})), write("evil.pkl", payload)}) {
            try {
                loadCheckpoint(path);
                QFAIL("a hostile pickle was accepted");
            } catch (const UnsafePickleError& e) {
                QCOMPARE(e.global(), global);
                QVERIFY(std::string(e.what()).find(path) == 0);
                QVERIFY(std::string(e.what()).find("'" + global + "'") != std::string::npos);
            }
        }
        // STACK_GLOBAL (protocol 4) is checked the same way.
        PickleWriter p;
        p.proto(4);
        p.str(module.toStdString());
        p.str(name.toStdString());
        p.op(char(0x93));
        p.stop();
        QVERIFY_EXCEPTION_THROWN(loadCheckpoint(write("evil4.pt", torchZip(p.take(), {}))),
                                 UnsafePickleError);
        QVERIFY(!std::filesystem::exists(marker));
    }

    void hostileStructures() {
        const std::vector<float> v{1.f, 2.f, 3.f, 4.f};
        // A view reaching past its storage.
        PickleWriter oob;
        oob.proto(2);
        oob.orderedDict();
        oob.mark();
        oob.str("w");
        oob.global("torch._utils", "_rebuild_tensor_v2");
        oob.mark();
        oob.mark();
        oob.str("storage");
        oob.global("torch", "FloatStorage");
        oob.str("0");
        oob.str("cpu");
        oob.integer(4);
        oob.tupleFromMark();
        oob.op('Q');
        oob.integer(2);
        oob.mark();
        oob.integer(3);
        oob.tupleFromMark();
        oob.mark();
        oob.integer(1);
        oob.tupleFromMark();
        oob.boolean(false);
        oob.orderedDict();
        oob.tupleFromMark();
        oob.reduce();
        oob.setItems();
        oob.stop();
        expectBroken(write("oob.pt", torchZip(oob.take(), {bytesOf(v)})), "reads element 4");
        // Storage record shorter than declared shape.
        expectBroken(write("short.pt", torchZip(stateDictPickle({{"w", {8}}}), {bytesOf(v)})),
                     "reads element");
        // Storage record missing.
        expectBroken(write("missing.pt", torchZip(stateDictPickle({{"w", {4}}}), {})), "missing");
        // Declared size far beyond the file (allocation bomb).
        expectBroken(
            write("bomb.pt", torchZip(stateDictPickle({{"w", {int64_t(1) << 40}}}), {bytesOf(v)})),
            "exceeds the limit");
        // Cycles, deep nesting and a stack underflow: errors, no crash, no hang.
        PickleWriter cyc;
        cyc.proto(2);
        cyc.emptyList();
        cyc.raw(std::string("q\x00", 2)); // memo[0] = list
        cyc.raw(std::string("h\x00", 2)); // push it again
        cyc.raw("a");                     // list.append(list)
        cyc.stop();
        const std::string cycle = cyc.take();
        expectBroken(write("cycle.pt", torchZip(std::string(cycle.data(), cycle.size()), {})),
                     "found a list");
        std::string deep = "\x80\x02";
        for (int i = 0; i < 200000; ++i)
            deep += "]";
        for (int i = 0; i < 199999; ++i)
            deep += "a";
        deep += ".";
        expectBroken(write("deep.pt", torchZip(deep, {})), "found a list");
        expectBroken(write("underflow.pt", torchZip(std::string("\x80\x02u.", 4), {})), "pickle");
        expectBroken(write("opcode.pt", torchZip(std::string("\x80\x02\xff.", 4), {})),
                     "unsupported pickle opcode 0xff");
    }

    /// The pickle's memo and value stack are bounded (CheckpointLimits): a file that fills
    /// either past its limit is refused with an error saying which, naming the file.
    void pickleLimits() {
        CheckpointLimits limits;
        limits.maxPickleMemo = 100;
        limits.maxPickleStack = 100;
        std::string memo = "\x80\x02";
        for (int i = 0; i < 150; ++i)
            memo += std::string("N\x94"
                                "0",
                                3); // None, MEMOIZE, POP
        memo += ".";
        std::string stack = "\x80\x02";
        for (int i = 0; i < 150; ++i)
            stack += "N";
        stack += ".";
        for (const auto& [name, pickle, problem] :
             {std::tuple<std::string, std::string, std::string>{"memo.pt", memo,
                                                                "memo limit exceeded"},
              {"stack.pt", stack, "stack limit exceeded"}}) {
            const std::string path = write(name, torchZip(pickle, {}));
            try {
                loadCheckpoint(path, limits);
                QFAIL("no error");
            } catch (const FileFormatError& e) {
                QVERIFY2(std::string(e.what()).find(path) == 0, e.what());
                QVERIFY2(std::string(e.what()).find(problem) != std::string::npos, e.what());
            }
            // Within the default limits the same pickles are merely not checkpoints.
            expectBroken(path, "");
        }
    }

    void brokenFiles() {
        const std::string bin = test::readBytes(fixture("vit_tiny.bin"));
        expectBroken(write("empty.pt", ""), "empty");
        expectBroken(write("truncated.pt", bin.substr(0, bin.size() / 2)), "zip");
        expectBroken(write("header-only.pt", bin.substr(0, 100)), "zip");
        std::mt19937 rng(1);
        std::string random(5000, '\0');
        for (char& c : random)
            c = char(rng());
        random[0] = 'x';
        expectBroken(write("random.pt", random), "not a checkpoint");
        expectBroken(
            write("image.pt", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, '\0')),
            "PNG image");
        expectBroken(write("text.pt", "hello, I am not a checkpoint\n"), "not a checkpoint");
        expectBroken(write("array.pt", test::readBytes(fixture("vit_tiny.input.npy"))), ".npy");
        expectBroken(dir_ + "/no-such-file.pt", "no such file");
        expectBroken(dir_, "folder");
        // One flipped byte in a storage: the CRC catches it.
        std::string flipped = bin;
        const size_t at = flipped.find("vit_tiny/data/0");
        QVERIFY(at != std::string::npos);
        const size_t data = (at + 15 + 4 + 63) / 64 * 64; // first aligned offset after the name
        flipped[data + 3] ^= 0x40;
        expectBroken(write("flipped.pt", flipped), "CRC-32");
    }

    void safeTensorsBroken() {
        auto st = [](const std::string& header, const std::string& data) {
            std::string out(8, '\0');
            const uint64_t n = header.size();
            std::memcpy(out.data(), &n, 8);
            return out + header + data;
        };
        const std::string four(16, '\0');
        expectBroken(write("st-dtype.safetensors",
                           st(R"({"w":{"dtype":"C64","shape":[2],"data_offsets":[0,16]}})", four)),
                     "unsupported dtype");
        expectBroken(write("st-size.safetensors",
                           st(R"({"w":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}})", four)),
                     "its shape needs 20");
        expectBroken(write("st-oob.safetensors",
                           st(R"({"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", four)),
                     "outside the file");
        expectBroken(write("st-json.safetensors", st(R"({"w":{"dtype":"F32",)", four)),
                     "not valid JSON");
        // The reference implementation's rules: the tensors tile the data section exactly.
        expectBroken(write("st-overlap.safetensors",
                           st(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                              R"("b":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                              four)),
                     "safetensors: tensor 'b' overlaps tensor 'a'");
        expectBroken(write("st-hole.safetensors",
                           st(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                              R"("b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})",
                              four)),
                     "4 bytes before tensor 'b' belong to no tensor");
        expectBroken(write("st-tail.safetensors",
                           st(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", four)),
                     "the tensors cover 8 of the 16 bytes of the data section");
        Checkpoint ok = loadCheckpoint(write(
            "st-ok.safetensors", st(R"({"w":{"dtype":"F16","shape":[2,1],"data_offsets":[0,4]}})",
                                    std::string("\x00\x3c\x00\xc1", 4))));
        QCOMPARE(ok.weights.at("w")[1][0].item<float>(), -2.5f);
        QVERIFY(ok.metadata.is_null());
        // White space before the JSON object, as well as after it, is valid.
        Checkpoint padded = loadCheckpoint(write(
            "st-padded.safetensors",
            st("  \n {\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}   ", four)));
        QCOMPARE(padded.weights.at("w").sizes().vec(), std::vector<int64_t>({4}));
        // Zero-size tensors take no bytes and may stand anywhere in the order.
        Checkpoint empty = loadCheckpoint(write(
            "st-empty.safetensors", st(R"({"e":{"dtype":"F32","shape":[0],"data_offsets":[16,16]},)"
                                       R"("w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                                       four)));
        QCOMPARE(empty.weights.at("e").numel(), int64_t(0));
    }

    void mutatedFilesNeverCrash() {
        // 300 random corruptions of a real checkpoint: each loads or fails with a
        // RingScopeError; none crashes or throws anything else.
        const std::string bin = test::readBytes(fixture("ringformer_tiny.bin"));
        std::mt19937 rng(42);
        int failures = 0;
        for (int i = 0; i < 300; ++i) {
            std::string m = bin;
            const int edits = 1 + int(rng() % 8);
            for (int e = 0; e < edits; ++e) {
                // Favour the pickle and the directory, where structure lives.
                const size_t region = rng() % 3;
                size_t pos = region == 0   ? rng() % std::min<size_t>(m.size(), 16000)
                             : region == 1 ? m.size() - 1 - rng() % std::min<size_t>(m.size(), 6000)
                                           : rng() % m.size();
                m[pos] = char(rng());
            }
            if (rng() % 10 == 0) m.resize(rng() % m.size());
            const std::string path = write("mutant.pt", m);
            try {
                loadCheckpoint(path);
            } catch (const RingScopeError&) {
                ++failures;
            }
        }
        QVERIFY(failures > 200); // most corruptions are caught by the CRC or the parser
    }
};

QTEST_GUILESS_MAIN(TestCheckpointIO)
#include "TestCheckpointIO.moc"
