// ViTs saved by timm and Hugging Face transformers (tests/data/timm, made with timm's own
// model code): logits, encoded tokens (timm's forward_features) and every attention map within
// 1e-5 of the reference, from the state dict, from safetensors and from a Hugging Face folder;
// the variant read from the keys; heads, class names and normalisation from the files.
#include "TestSupport.h"

#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/io/Npy.h"
#include "ringscope/model/nets/ArchitectureInference.h"

#include <QtTest>

#include <torch/types.h>

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
