// Every fixture of the published code: logits, encoded tokens and every attention map within
// 1e-5 of the reference, from both the training container (.bin) and the bare state dict.
#include "TestSupport.h"

#include "ringscope/analysis/AttentionDistance.h"
#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/io/Npy.h"
#include "ringscope/model/nets/ModelFactory.h"

#include <QtTest>

#include <torch/types.h>

using namespace ringscope;

class TestModelParity : public QObject {
    Q_OBJECT

private:
    static QStringList fixtureNames() {
        return {"vit_tiny", "owf_tiny", "uit_static_tiny", "uit_learnable_tiny", "ringformer_tiny"};
    }
    static void addRows() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("suffix");
        for (const QString& n : fixtureNames()) {
            QTest::newRow(qPrintable(n + ".bin")) << n << ".bin";
            QTest::newRow(qPrintable(n + ".state_dict.pt")) << n << ".state_dict.pt";
        }
    }
    static double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
        return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
    }

private Q_SLOTS:
    void initTestCase() { configureThreads(); }

    void matchesReference_data() { addRows(); }
    void matchesReference() {
        QFETCH(QString, name);
        QFETCH(QString, suffix);
        const std::string base = test::fixturesDir() + "/" + name.toStdString();
        LoadOptions options;
        options.heads = 4; // the fixtures' JSON: heads 4 (not stored in the checkpoint)
        LoadedModel loaded = loadModel(base + suffix.toStdString(), options);
        QCOMPARE(loaded.model->parameterCount(), name == "vit_tiny"          ? 114698
                                                 : name == "owf_tiny"        ? 81290
                                                 : name == "ringformer_tiny" ? 54410
                                                                             : 49930);

        torch::NoGradGuard noGrad;
        ForwardTrace trace;
        ForwardOutput out = loaded.model->forward(loadNpy(base + ".input.npy"), {}, &trace);
        const torch::Tensor logits = loadNpy(base + ".logits.npy");
        const torch::Tensor encoded = loadNpy(base + ".encoded.npy");
        const torch::Tensor attn = loadNpy(base + ".attn.npy");
        QCOMPARE(out.logits.sizes().vec(), logits.sizes().vec());
        QCOMPARE(out.encoded.sizes().vec(), encoded.sizes().vec());
        QCOMPARE(int64_t(trace.attention.size()), attn.size(0));
        QVERIFY2(maxDiff(out.logits, logits) < 1e-5,
                 qPrintable(QString::number(maxDiff(out.logits, logits))));
        QVERIFY2(maxDiff(out.encoded, encoded) < 1e-5,
                 qPrintable(QString::number(maxDiff(out.encoded, encoded))));
        for (int64_t a = 0; a < attn.size(0); ++a) {
            const double d = maxDiff(trace.attention[size_t(a)], attn[a]);
            QVERIFY2(d < 1e-5, qPrintable(QString("application %1: %2").arg(a).arg(d)));
        }
        QCOMPARE(trace.hidden.size(), trace.attention.size());
    }

    void madMatchesReference_data() { addRows(); }
    void madMatchesReference() {
        QFETCH(QString, name);
        QFETCH(QString, suffix);
        if (suffix != ".bin") QSKIP("one container is enough for MAD");
        const std::string base = test::fixturesDir() + "/" + name.toStdString();
        const torch::Tensor attn = loadNpy(base + ".attn.npy");
        const torch::Tensor mad = loadNpy(base + ".mad.npy"); // [A, B, H]
        for (int64_t a = 0; a < attn.size(0); ++a) {
            torch::Tensor ours = analysis::meanAttentionDistance(attn[a], 8);
            QVERIFY(maxDiff(ours, mad[a]) < 1e-4);
        }
    }

    void recordsRingFormerSignals() {
        const std::string base = test::fixturesDir() + "/ringformer_tiny";
        LoadOptions options;
        options.heads = 4;
        LoadedModel loaded = loadModel(base + ".bin", options);
        torch::NoGradGuard noGrad;
        ForwardTrace trace;
        torch::Tensor input = loadNpy(base + ".input.npy");
        loaded.model->forward(input, {}, &trace);
        QCOMPARE(trace.levelSignals.size(), size_t(3));
        // The low-rank signal equals the d x d form of the published code: x (A^T B)^T.
        const auto& w = loaded.model->weights();
        for (int64_t t = 0; t < 3; ++t) {
            torch::Tensor x = t == 0 ? trace.embedded : trace.hidden[size_t(t - 1)];
            torch::Tensor a =
                w.at("transformer.encoder.ATTN_lev_embed_K_01")[t].to(torch::kFloat64);
            torch::Tensor b =
                w.at("transformer.encoder.ATTN_lev_embed_K_02")[t].to(torch::kFloat64);
            torch::Tensor m = a.t().matmul(b);
            torch::Tensor expected = x.to(torch::kFloat64).matmul(m.t());
            QVERIFY(maxDiff(trace.levelSignals[size_t(t)].k(), expected) < 1e-5);
            QVERIFY(trace.levelSignals[size_t(t)].k().abs().max().item<double>() > 0.0);
        }
    }

    void tracingDoesNotChangeOutputs() {
        const std::string base = test::fixturesDir() + "/uit_static_tiny";
        LoadOptions options;
        options.heads = 4;
        LoadedModel loaded = loadModel(base + ".bin", options);
        torch::NoGradGuard noGrad;
        torch::Tensor input = loadNpy(base + ".input.npy");
        ForwardTrace trace;
        auto traced = loaded.model->forward(input, {}, &trace);
        auto plain = loaded.model->forward(input);
        QCOMPARE(maxDiff(traced.logits, plain.logits), 0.0);
        QCOMPARE(trace.levelEncoding.size(), size_t(3));
        // Class lens after the last application equals the logits.
        QVERIFY(maxDiff(loaded.model->classLens(trace.hidden.back()), plain.logits) < 1e-6);
    }

    /// More or fewer applications than trained (the depth-dynamics issue's first step): K <= T
    /// is the first K applications of the full pass, read out after application K; beyond T a
    /// RingFormer repeats its last level or cycles, a static UiT extends its level table by its
    /// formula; a ViT refuses more layers than it has.
    void depthBeyondTraining() {
        LoadOptions heads;
        heads.heads = 4;
        const std::string dir = test::fixturesDir() + "/";
        const LoadedModel ring = loadModel(dir + "ringformer_tiny.bin", heads);
        const torch::Tensor x = loadNpy(dir + "ringformer_tiny.input.npy");
        torch::NoGradGuard noGrad;
        ForwardTrace full;
        ring.model->forward(x, {}, &full);
        const int64_t T = ring.model->config().depth;
        ForwardOptions o;
        o.applications = T - 2;
        ForwardTrace part;
        const ForwardOutput fewer = ring.model->forward(x, o, &part);
        QCOMPARE(int64_t(part.attention.size()), T - 2);
        QVERIFY(maxDiff(fewer.logits, ring.model->classLens(full.hidden[size_t(T - 3)])) < 1e-6);
        for (DepthPolicy p : {DepthPolicy::RepeatLast, DepthPolicy::Cycle}) {
            o.applications = T + 2;
            o.extend = p;
            ForwardTrace more;
            ring.model->forward(x, o, &more);
            QCOMPARE(int64_t(more.attention.size()), T + 2);
            QVERIFY(maxDiff(more.hidden[size_t(T - 1)], full.hidden[size_t(T - 1)]) == 0);
        }
        o.extend = DepthPolicy::Extend;
        QVERIFY_EXCEPTION_THROWN(ring.model->forward(x, o), ModelMismatchError);

        const LoadedModel uit = loadModel(dir + "uit_static_tiny.bin", heads);
        const int64_t U = uit.model->config().depth;
        o.applications = U + 1;
        ForwardTrace ext;
        uit.model->forward(loadNpy(dir + "uit_static_tiny.input.npy"), o, &ext);
        const torch::Tensor table =
            uitStaticLevelTable(U + 1, uit.model->config().tokens(), uit.model->config().hidden);
        QVERIFY(maxDiff(ext.levelEncoding.back(), table[U][0]) == 0);
        QVERIFY(maxDiff(ext.levelEncoding.front(), table[0][0]) < 1e-6); // the stored table

        const LoadedModel vit = loadModel(dir + "vit_tiny.bin", heads);
        o.applications = vit.model->config().depth + 1;
        QVERIFY_EXCEPTION_THROWN(vit.model->forward(loadNpy(dir + "vit_tiny.input.npy"), o),
                                 ModelMismatchError);
    }
};

QTEST_APPLESS_MAIN(TestModelParity)
#include "TestModelParity.moc"
