// ViTs saved by timm and Hugging Face transformers (tests/data/timm, made with timm's own
// model code): logits, encoded tokens (timm's forward_features) and every attention map within
// 1e-5 of the reference, from the state dict, from safetensors and from a Hugging Face folder;
// the variant read from the keys; heads, class names and normalisation from the files.
#include "TestSupport.h"

#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/checkpoint/Checkpoint.h"
#include "ringscope/model/nets/ModelFactory.h"
#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/io/Npy.h"
#include "ringscope/model/nets/ArchitectureInference.h"
#include "ringscope/model/nets/HuggingFaceVit.h"

#include <QtTest>

#include <torch/types.h>

#include <cmath>
#include <filesystem>

using namespace ringscope;

namespace {

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

std::string timm(const std::string& name) {
    return test::timmFixturesDir() + "/" + name;
}

LoadOptions fourHeads() {
    LoadOptions o;
    o.heads = 4; // the fixtures' JSON: not stored in a timm file
    return o;
}

} // namespace

class TestTimmVit : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { configureThreads(); }

    void matchesTimm_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("file");
        for (const char* n : {"timm_vit_tiny", "timm_vit_gap_tiny", "timm_deit_distilled_tiny"})
            for (const char* ext : {".pth", ".safetensors"})
                QTest::newRow((std::string(n) + ext).c_str())
                    << n << (std::string(n) + ext).c_str();
        QTest::newRow("hf folder") << "hf_vit_tiny"
                                   << "hf_vit_tiny";
        QTest::newRow("hf weights") << "hf_vit_tiny"
                                    << "hf_vit_tiny/model.safetensors";
    }
    void matchesTimm() {
        QFETCH(QString, name);
        QFETCH(QString, file);
        const std::string base = timm(name.toStdString());
        const nlohmann::json ref = nlohmann::json::parse(test::readBytes(base + ".json"));
        LoadedModel m = loadModel(timm(file.toStdString()), fourHeads());
        QCOMPARE(m.model->config().family, Family::TimmViT);
        QCOMPARE(m.model->parameterCount(), ref["parameters"].get<int64_t>());
        QCOMPARE(m.model->config().prefixTokens(), ref["prefix_tokens"].get<int64_t>());
        QCOMPARE(m.model->config().timm.eps, ref["layer_norm_eps"].get<double>());

        torch::NoGradGuard noGrad;
        ForwardTrace trace;
        const ForwardOutput out = m.model->forward(loadNpy(base + ".input.npy"), {}, &trace);
        const torch::Tensor logits = loadNpy(base + ".logits.npy");
        const torch::Tensor encoded = loadNpy(base + ".encoded.npy");
        const torch::Tensor attn = loadNpy(base + ".attn.npy"); // [L, B, H, N, N]
        QCOMPARE(out.logits.sizes().vec(), logits.sizes().vec());
        QCOMPARE(out.encoded.sizes().vec(), encoded.sizes().vec());
        QCOMPARE(int64_t(trace.attention.size()), attn.size(0));
        QVERIFY2(maxDiff(out.logits, logits) < 1e-5,
                 std::to_string(maxDiff(out.logits, logits)).c_str());
        QVERIFY2(maxDiff(out.encoded, encoded) < 1e-5,
                 std::to_string(maxDiff(out.encoded, encoded)).c_str());
        QVERIFY(maxDiff(torch::stack(trace.attention), attn) < 1e-5);
        // The class lens of the last application is the model's own prediction.
        QVERIFY(maxDiff(m.model->classLens(trace.hidden.back()), out.logits) < 1e-5);
    }

    void variantFromKeys() {
        const ModelConfig gap =
            loadModel(timm("timm_vit_gap_tiny.pth"), fourHeads()).model->config();
        QVERIFY(!gap.timm.classToken && gap.timm.avgPool && gap.timm.fcNorm && !gap.timm.finalNorm);
        QCOMPARE(gap.timm.describe(), std::string("timm ViT, no class token, avg pool + fc_norm"));
        const ModelConfig deit =
            loadModel(timm("timm_deit_distilled_tiny.safetensors"), fourHeads()).model->config();
        QVERIFY(deit.timm.distilled);
        QCOMPARE(deit.tokens(), int64_t(18));
        QCOMPARE(deit.timm.describe(), std::string("DeiT, distillation token"));
    }

    /// Heads from config.json, class names from id2label, normalisation from
    /// preprocessor_config.json; a timm file without heads asks for them or uses timm's widths.
    void whatTheFilesSay() {
        const LoadedModel hf = loadModel(timm("hf_vit_tiny"));
        QCOMPARE(hf.headsSource, HeadsSource::HuggingFaceConfig);
        QCOMPARE(hf.model->config().heads, int64_t(4));
        QCOMPARE(hf.metadata.classNames, (std::vector<std::string>{"cat", "dog", "ship", "truck"}));
        QCOMPARE(hf.metadata.extra["normalization_source"].get<std::string>(),
                 std::string("preprocessor_config.json"));
        QCOMPARE(hf.model->config().timm.origin, std::string("hf"));

        QVERIFY_EXCEPTION_THROWN(loadModel(timm("timm_vit_tiny.pth")), ModelMismatchError);
        const LoadedModel t = loadModel(timm("timm_vit_tiny.pth"), fourHeads());
        QCOMPARE(t.metadata.normalization.mean[0], 0.485); // timm's ImageNet default
        QCOMPARE(timmStandardHeads(384), int64_t(6));
        QCOMPARE(timmStandardHeads(64), int64_t(0));
    }

    /// Architecture inference reads a Hugging Face ViT's fused q|k|v as shapes only: the same
    /// keys and shapes as the fused values, the same inferred architecture, no copy made.
    void huggingFaceShapesOnly() {
        const Checkpoint ck = loadCheckpoint(timm("hf_vit_tiny"));
        QVERIFY(isHuggingFaceVit(ck.weights));
        const StateDict values = timmWeightsFromHuggingFace(ck.weights);
        const StateDict shapes = timmWeightsFromHuggingFace(ck.weights, FusedQkv::Shapes);
        QCOMPARE(shapes.size(), values.size());
        int fused = 0;
        for (const auto& [key, tensor] : values) {
            const torch::Tensor* s = shapes.find(key);
            QVERIFY2(s && s->sizes() == tensor.sizes(), key.c_str());
            if (key.find(".attn.qkv.") == std::string::npos) continue;
            ++fused;
            QCOMPARE(s->stride(0), int64_t(0)); // expanded, no memory of its own
        }
        QCOMPARE(fused, 2 * int(loadModel(timm("hf_vit_tiny")).model->config().depth));
        const InferredConfig inferred = inferCheckpoint(ck, inferenceHints(ck, {}));
        QVERIFY(inferred.config.toJson() ==
                inferConfig(values, inferenceHints(ck, {})).config.toJson());
    }

    /// A folder as timm writes it for the Hugging Face hub (save_for_hf: the weights beside
    /// timm's config.json): heads from model_args, normalisation from pretrained_cfg (0.5 for
    /// the Google-trained ViTs, where timm's ImageNet default would be wrong), class names from
    /// label_names with their label_descriptions; the model still computes timm's outputs.
    void timmHubFolder() {
        const std::string dir = test::makeTempDir("timm") + "/vit_tiny_patch8_32.augreg";
        std::filesystem::create_directories(dir);
        std::filesystem::copy_file(timm("timm_vit_tiny.safetensors"), dir + "/model.safetensors");
        nlohmann::json labels = nlohmann::json::array();
        for (int i = 0; i < 10; ++i)
            labels.push_back("n0" + std::to_string(1000 + i));
        const nlohmann::json config = {{"architecture", "vit_tiny_patch8_32"},
                                       {"num_classes", 10},
                                       {"num_features", 64},
                                       {"global_pool", "token"},
                                       {"model_args", {{"num_heads", 4}, {"embed_dim", 64}}},
                                       {"label_names", labels},
                                       {"label_descriptions", {{"n01000", "tench, Tinca tinca"}}},
                                       {"pretrained_cfg",
                                        {{"input_size", {3, 32, 32}},
                                         {"mean", {0.5, 0.5, 0.5}},
                                         {"std", {0.5, 0.5, 0.5}},
                                         {"num_classes", 10}}}};
        test::writeBytes(dir + "/config.json", config.dump(2));

        const LoadedModel m = loadModel(dir);
        QCOMPARE(m.model->config().family, Family::TimmViT);
        QCOMPARE(m.model->config().timm.origin, std::string("timm"));
        QCOMPARE(m.headsSource, HeadsSource::HuggingFaceConfig);
        QCOMPARE(m.model->config().heads, int64_t(4));
        QCOMPARE(m.metadata.normalization.mean, (std::vector<double>{0.5, 0.5, 0.5}));
        QCOMPARE(m.metadata.normalization.std, (std::vector<double>{0.5, 0.5, 0.5}));
        QCOMPARE(m.metadata.extra["normalization_source"].get<std::string>(),
                 std::string("config.json (timm's pretrained_cfg)"));
        QCOMPARE(m.metadata.classNames.size(), size_t(10));
        QCOMPARE(m.metadata.classNames[0], std::string("tench, Tinca tinca"));
        QCOMPARE(m.metadata.classNames[9], std::string("n01009"));
        torch::NoGradGuard noGrad;
        const std::string base = timm("timm_vit_tiny");
        QVERIFY(maxDiff(m.model->forward(loadNpy(base + ".input.npy")).logits,
                        loadNpy(base + ".logits.npy")) < 1e-5);

        // A label list that does not name every class is not used.
        nlohmann::json shortLabels = config;
        shortLabels["label_names"] = {"a", "b"};
        test::writeBytes(dir + "/config.json", shortLabels.dump());
        const std::vector<std::string> names = loadModel(dir).metadata.classNames;
        QVERIFY(names.empty());

        // A broken normalisation is refused naming config.json.
        nlohmann::json badStd = config;
        badStd["pretrained_cfg"]["std"] = {0.5, 0.0, 0.5};
        test::writeBytes(dir + "/config.json", badStd.dump());
        try {
            loadModel(dir);
            QFAIL("a zero std loaded");
        } catch (const FileFormatError& e) {
            QVERIFY2(std::string(e.what()).find("config.json: pretrained_cfg") != std::string::npos,
                     e.what());
        }
    }

    /// The variants the fixtures lack (layer scale, no qkv bias, a position table without the
    /// class token): a model of each, saved with timm's names, reads back as the same variant,
    /// and its forward pass equals timm's block written out here with plain tensor operations.
    void otherVariants_data() {
        QTest::addColumn<bool>("layerScale");
        QTest::addColumn<bool>("qkvBias");
        QTest::addColumn<bool>("posEmbedPrefix");
        QTest::newRow("layer scale") << true << true << true;
        QTest::newRow("no qkv bias") << false << false << true;
        QTest::newRow("no_embed_class") << false << true << false;
        QTest::newRow("all three") << true << false << false;
    }
    void otherVariants() {
        QFETCH(bool, layerScale);
        QFETCH(bool, qkvBias);
        QFETCH(bool, posEmbedPrefix);
        ModelConfig c;
        c.family = Family::TimmViT;
        c.imageSize = 16;
        c.patch = 4;
        c.hidden = 32;
        c.heads = 2;
        c.mlp = 48;
        c.depth = 2;
        c.classes = 3;
        c.timm.layerScale = layerScale;
        c.timm.qkvBias = qkvBias;
        c.timm.posEmbedPrefix = posEmbedPrefix;
        auto made = createModel(c, 3);
        // Move every tensor off its initial value (layer scale 1e-5 would hide the blocks).
        torch::manual_seed(5);
        StateDict w;
        for (const auto& [name, t] : made->weights())
            w.set(name, t + 0.05 * torch::randn_like(t));
        const std::string file = test::makeTempDir("timm") + "/variant.safetensors";
        saveSafeTensors(file, w, nlohmann::json());
        LoadOptions o;
        o.heads = 2;
        const LoadedModel m = loadModel(file, o);
        QVERIFY(m.model->config().timm == c.timm);

        const torch::Tensor x = torch::randn({2, 3, 16, 16});
        torch::NoGradGuard noGrad;
        const ForwardOutput out = m.model->forward(x);
        // timm's VisionTransformer.forward, written out.
        auto ln = [](const torch::Tensor& t, const torch::Tensor& g, const torch::Tensor& b) {
            return torch::layer_norm(t, {t.size(-1)}, g, b, 1e-6);
        };
        auto at = [&](const std::string& k) { return w.at(k); };
        torch::Tensor h =
            torch::conv2d(x, at("patch_embed.proj.weight"), at("patch_embed.proj.bias"), {4, 4})
                .flatten(2)
                .transpose(1, 2);
        if (!posEmbedPrefix) h = h + at("pos_embed");
        h = torch::cat({at("cls_token").expand({2, 1, 32}), h}, 1);
        if (posEmbedPrefix) h = h + at("pos_embed");
        for (int l = 0; l < 2; ++l) {
            const std::string p = "blocks." + std::to_string(l) + ".";
            torch::Tensor u = ln(h, at(p + "norm1.weight"), at(p + "norm1.bias"));
            torch::Tensor qkv = torch::matmul(u, at(p + "attn.qkv.weight").t());
            if (qkvBias) qkv = qkv + at(p + "attn.qkv.bias");
            qkv = qkv.reshape({2, 17, 3, 2, 16}).permute({2, 0, 3, 1, 4});
            torch::Tensor a = torch::softmax(
                torch::matmul(qkv[0], qkv[1].transpose(-2, -1)) / std::sqrt(16.0), -1);
            torch::Tensor ctx = torch::matmul(a, qkv[2]).transpose(1, 2).reshape({2, 17, 32});
            torch::Tensor y =
                torch::matmul(ctx, at(p + "attn.proj.weight").t()) + at(p + "attn.proj.bias");
            if (layerScale) y = y * at(p + "ls1.gamma");
            h = h + y;
            torch::Tensor z =
                torch::gelu(torch::matmul(ln(h, at(p + "norm2.weight"), at(p + "norm2.bias")),
                                          at(p + "mlp.fc1.weight").t()) +
                            at(p + "mlp.fc1.bias"));
            z = torch::matmul(z, at(p + "mlp.fc2.weight").t()) + at(p + "mlp.fc2.bias");
            if (layerScale) z = z * at(p + "ls2.gamma");
            h = h + z;
        }
        h = ln(h, at("norm.weight"), at("norm.bias"));
        const torch::Tensor logits =
            torch::matmul(h.select(1, 0), at("head.weight").t()) + at("head.bias");
        QVERIFY(maxDiff(out.encoded, h) < 1e-5);
        QVERIFY(maxDiff(out.logits, logits) < 1e-5);
    }

    /// convert writes a timm ViT (DeiT, HF) as RingScope's checkpoint and as safetensors: it
    /// reads back as the same model, heads and class names now in its metadata.
    void convertKeepsTheModel() {
        const std::string dir = test::makeTempDir("timm");
        for (const std::string name : {"timm_deit_distilled_tiny", "hf_vit_tiny"}) {
            const std::string from =
                name == "hf_vit_tiny" ? timm(name) : timm(name + ".safetensors");
            for (const std::string to : {"ringscope", "safetensors"}) {
                const std::string file = dir + "/" + name + "." + to;
                const auto r = test::runCli({"convert", from, "--to", to, file, "--heads", "4"});
                QVERIFY2(r.exitCode == 0, r.err.c_str());
                const LoadedModel m = loadModel(file);
                QCOMPARE(m.headsSource, HeadsSource::Metadata);
                torch::NoGradGuard noGrad;
                const torch::Tensor logits =
                    m.model->forward(loadNpy(timm(name) + ".input.npy")).logits;
                QVERIFY(maxDiff(logits, loadNpy(timm(name) + ".logits.npy")) < 1e-5);
                if (name == "hf_vit_tiny") {
                    QCOMPARE(m.metadata.classNames.front(), std::string("cat"));
                    QCOMPARE(m.model->config().timm.eps, 1e-12);
                }
            }
        }
    }

    void folderWithoutWeights() {
        const std::string dir = test::makeTempDir("timm") + "/empty-model";
        std::filesystem::create_directories(dir);
        try {
            loadModel(dir);
            QFAIL("an empty folder loaded");
        } catch (const FileFormatError& e) {
            QVERIFY2(std::string(e.what()).find("model.safetensors") != std::string::npos,
                     e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestTimmVit)
#include "TestTimmVit.moc"
