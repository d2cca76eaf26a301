// Model creation, published initialisation, strict weight checks and architecture inference.
#include "TestSupport.h"

#include "ringscope/model/nets/ArchitectureInference.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/ModelFactory.h"
#include "ringscope/model/nets/ParameterLayout.h"
#include "ringscope/model/nets/StepCost.h"

#include <QtTest>

#include <torch/types.h>

#include <cmath>

using namespace ringscope;

namespace {
ModelConfig smallConfig(Family f, LevelEncoding e = LevelEncoding::None) {
    ModelConfig c;
    c.family = f;
    c.encoding = f == Family::UiT && e == LevelEncoding::None ? LevelEncoding::Static : e;
    c.imageSize = 16;
    c.patch = 4;
    c.hidden = 32;
    c.heads = 4;
    c.mlp = 64;
    c.depth = 3;
    c.rank = 2;
    c.classes = 5;
    return c;
}
} // namespace

class TestModelFactory : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void inferenceRoundTrip_data() {
        QTest::addColumn<int>("family");
        QTest::addColumn<int>("encoding");
        QTest::newRow("vit") << int(Family::ViT) << int(LevelEncoding::None);
        QTest::newRow("owf") << int(Family::OWF) << int(LevelEncoding::None);
        QTest::newRow("uit-static") << int(Family::UiT) << int(LevelEncoding::Static);
        QTest::newRow("uit-learnable") << int(Family::UiT) << int(LevelEncoding::Learnable);
        QTest::newRow("ringformer") << int(Family::RingFormer) << int(LevelEncoding::None);
    }
    void inferenceRoundTrip() {
        QFETCH(int, family);
        QFETCH(int, encoding);
        ModelConfig c = smallConfig(Family(family), LevelEncoding(encoding));
        auto model = createModel(c, 7);
        InferenceHints hints;
        hints.heads = 4;
        InferredConfig inferred = inferConfig(model->weights(), hints);
        QVERIFY(inferred.config == c);
        QCOMPARE(inferred.headsSource, HeadsSource::Option);
        // Without heads: unknown, and requireConfig asks for --heads.
        QVERIFY(!inferConfig(model->weights()).headsKnown());
        try {
            requireConfig(model->weights());
            QFAIL("expected an error");
        } catch (const ModelMismatchError& e) {
            QVERIFY(std::string(e.what()).find("--heads") != std::string::npos);
        }
        // Forward shapes.
        torch::NoGradGuard g;
        ForwardTrace trace;
        auto out = model->forward(torch::randn({2, 3, 16, 16}), {}, &trace);
        QCOMPARE(out.logits.sizes().vec(), (std::vector<int64_t>{2, 5}));
        QCOMPARE(out.encoded.sizes().vec(), (std::vector<int64_t>{2, 17, 32}));
        QCOMPARE(trace.attention.size(), size_t(3));
        QCOMPARE(trace.attention[0].sizes().vec(), (std::vector<int64_t>{2, 4, 17, 17}));
        // Attention rows are distributions.
        QVERIFY((trace.attention[1].sum(-1) - 1).abs().max().item<double>() < 1e-5);
    }

    void publishedHeadsTable() {
        QCOMPARE(publishedHeads(768), int64_t(12));
        QCOMPARE(publishedHeads(1284), int64_t(12));
        QCOMPARE(publishedHeads(728), int64_t(8));
        QCOMPARE(publishedHeads(64), int64_t(0));
        ModelConfig c = smallConfig(Family::ViT);
        c.hidden = 512;
        c.heads = 8;
        c.mlp = 16;
        c.depth = 1;
        auto model = createModel(c);
        InferredConfig inferred = inferConfig(model->weights());
        QCOMPARE(inferred.headsSource, HeadsSource::PublishedTable);
        QCOMPARE(inferred.config.heads, int64_t(8));
        // Metadata wins over the option.
        InferenceHints hints;
        hints.heads = 16;
        hints.metadata = {{"config", {{"heads", 4}}}};
        inferred = inferConfig(model->weights(), hints);
        QCOMPARE(inferred.config.heads, int64_t(4));
        QCOMPARE(inferred.headsSource, HeadsSource::Metadata);
    }

    void publishedInitialisation() {
        ModelConfig c = smallConfig(Family::RingFormer);
        auto model = createModel(c, 3);
        const auto& w = model->weights();
        QCOMPARE(w.at("transformer.embeddings.cls_token").abs().sum().item<double>(), 0.0);
        QCOMPARE(w.at("transformer.encoder.ATTN_lev_embed_Q_01").abs().sum().item<double>(), 0.0);
        const double std02 = w.at("transformer.encoder.lev_embed_FF_02").std().item<double>();
        QVERIFY(std02 > 0.5e-6 && std02 < 2e-6);
        // pe[n, i] = sin(n / 10000^(i/d)), pe[n, i+1] = cos(...)
        const auto pe = w.at("transformer.embeddings.position_embeddings.pos_embed");
        QVERIFY(std::abs(pe[0][3][4].item<double>() - std::sin(3.0 / std::pow(10000.0, 4.0 / 32))) <
                1e-6);
        QVERIFY(std::abs(pe[0][3][5].item<double>() - std::cos(3.0 / std::pow(10000.0, 4.0 / 32))) <
                1e-6);
        // Every level signal starts at exactly zero.
        torch::NoGradGuard g;
        ForwardTrace trace;
        model->forward(torch::randn({1, 3, 16, 16}), {}, &trace);
        for (const auto& s : trace.levelSignals) {
            QCOMPARE(s.q().abs().max().item<double>(), 0.0);
            QCOMPARE(s.f().abs().max().item<double>(), 0.0);
        }
        // Deterministic for a seed, different across seeds.
        auto again = createModel(c, 3), other = createModel(c, 4);
        const auto& q = "transformer.encoder.layers.0.attn.query.weight";
        QVERIFY(torch::equal(w.at(q), again->weights().at(q)));
        QVERIFY(!torch::equal(w.at(q), other->weights().at(q)));
        // Default Linear init bound 1/sqrt(fan_in).
        QVERIFY(w.at(q).abs().max().item<double>() <= 1.0 / std::sqrt(32.0));
    }

    /// The bench configuration's step (image 28, patch 4, d 192, 4 heads, MLP 768, depth 6,
    /// batch 64), counted by hand: per layer q|k|v 707,788,800, scores and context
    /// 61,440,000 each, output 235,929,600, fc1 and fc2 943,718,400 each; embedding
    /// 57,802,752; head 245,760. Training: every product twice more, but the images need no
    /// gradient. RingFormer adds 16 B N d r per level: x B^T (6), the three r x d factors
    /// added into q, k and v (6), and F (4).
    void stepCostCountsTheBenchStep() {
        ModelConfig c;
        c.family = Family::ViT;
        c.imageSize = 28;
        c.patch = 4;
        c.hidden = 192;
        c.heads = 4;
        c.mlp = 768;
        c.depth = 6;
        c.rank = 12;
        c.channels = 3;
        c.classes = 10;
        const double forward = 6.0 * 2954035200.0 + 57802752.0 + 245760.0;
        QCOMPARE(totalFlops(stepGemms(c, 64, false)), forward);
        QCOMPARE(totalFlops(stepGemms(c, 64, true)), 3.0 * forward - 57802752.0);
        c.family = Family::RingFormer;
        QCOMPARE(totalFlops(stepGemms(c, 64, false)), forward + 6.0 * 16.0 * 64 * 50 * 192 * 12);
    }

    void uitStaticTableFormula() {
        torch::Tensor table = uitStaticLevelTable(2, 5, 8);
        // 1-based token i=2, channel k=3 (odd -> cos), step t=2
        const double denom = std::pow(10000.0, 2.0 * 3 / 8);
        const double expected = std::cos(2.0 / denom) + std::cos(2.0 / denom);
        QVERIFY(std::abs(table[1][0][1][2].item<double>() - expected) < 1e-6);
    }

    void strictWeightChecks() {
        ModelConfig c = smallConfig(Family::ViT);
        auto model = createModel(c);
        StateDict missing = model->weights();
        missing.erase("transformer.encoder.layer.1.ffn.fc1.bias");
        try {
            modelFromWeights(c, missing);
            QFAIL("expected an error");
        } catch (const ModelMismatchError& e) {
            QVERIFY(std::string(e.what()).find(
                        "missing tensor 'transformer.encoder.layer.1.ffn.fc1.bias'") !=
                    std::string::npos);
        }
        StateDict wrong = model->weights();
        wrong.set("head.weight", torch::zeros({7, 32}));
        try {
            modelFromWeights(c, wrong);
            QFAIL("expected an error");
        } catch (const ModelMismatchError& e) {
            const std::string m = e.what();
            QVERIFY(m.find("'head.weight' has shape [7, 32]") != std::string::npos);
            QVERIFY(m.find("expects [5, 32]") != std::string::npos);
        }
        StateDict extra = model->weights();
        extra.set("bogus.weight", torch::zeros({1}));
        try {
            modelFromWeights(c, extra);
            QFAIL("expected an error");
        } catch (const ModelMismatchError& e) {
            QVERIFY(std::string(e.what()).find("unexpected tensor 'bogus.weight'") !=
                    std::string::npos);
        }
        StateDict unknown;
        unknown.set("foo", torch::zeros({1}));
        QVERIFY_THROWS_EXCEPTION(ModelMismatchError, inferConfig(unknown));
    }

    void layoutOrderMatchesPublishedStateDict() {
        // The published vit_tiny lists keys in this order (fixture JSON).
        ModelConfig c = smallConfig(Family::ViT);
        auto layout = parameterLayout(c);
        QCOMPARE(layout[0].name, std::string("transformer.embeddings.cls_token"));
        QCOMPARE(layout[4].name, std::string("transformer.encoder.layer.0.attention_norm.weight"));
        QCOMPARE(layout[8].name, std::string("transformer.encoder.layer.0.ffn.fc1.weight"));
        QCOMPARE(layout[12].name, std::string("transformer.encoder.layer.0.attn.query.weight"));
        QCOMPARE(layout.back().name, std::string("head.bias"));
    }

    void trainingStepLowersLoss() {
        ModelConfig c = smallConfig(Family::RingFormer);
        auto model = createModel(c, 1);
        auto params = model->trainableParameters();
        for (auto& p : params)
            p.requires_grad_(true);
        torch::manual_seed(0);
        torch::Tensor x = torch::randn({8, 3, 16, 16});
        torch::Tensor y = torch::randint(0, 5, {8}, torch::kInt64);
        double first = 0, last = 0;
        ForwardOptions trainingPass;
        trainingPass.train = true;
        for (int step = 0; step < 30; ++step) {
            for (auto& p : params)
                p.mutable_grad() = torch::Tensor();
            torch::Tensor loss =
                torch::cross_entropy_loss(model->forward(x, trainingPass).logits, y);
            loss.backward();
            torch::NoGradGuard g;
            for (auto& p : params)
                p.sub_(p.grad() * 0.05);
            (step == 0 ? first : last) = loss.item<double>();
        }
        QVERIFY2(last < first * 0.5, qPrintable(QString("%1 -> %2").arg(first).arg(last)));
        // The level factors receive gradients once *_01 moves away from zero.
        QVERIFY(model->weights()
                    .at("transformer.encoder.ATTN_lev_embed_Q_01")
                    .abs()
                    .max()
                    .item<double>() > 0.0);
    }
};

QTEST_APPLESS_MAIN(TestModelFactory)
#include "TestModelFactory.moc"
