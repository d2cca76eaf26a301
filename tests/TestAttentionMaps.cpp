// Attention maps, rollout, locality measures, level signals and dataset runs: hand-computed
// values and the published fixtures.
#include "TestSupport.h"

#include "ringscope/analysis/AttentionMaps.h"
#include "ringscope/analysis/DataAnalysis.h"
#include "ringscope/analysis/LevelSignals.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/io/Npy.h"

#include <QtTest>

#include <torch/types.h>

#include <cmath>

using namespace ringscope;
using namespace ringscope::analysis;

namespace {

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

/// One image, one head, 3 tokens.
torch::Tensor maps3(std::vector<double> rows) {
    return torch::tensor(rows, torch::kFloat64).reshape({1, 1, 3, 3});
}

LoadedModel fixtureModel(const std::string& name) {
    return loadModel(test::fixturesDir() + "/" + name + ".bin", LoadOptions{4, {}, {}, {}});
}

} // namespace

class TestAttentionMaps : public QObject {
    Q_OBJECT

private Q_SLOTS:
    /// R_a = rownorm(P_a + I), J = R_2 R_1, worked out by hand.
    void rolloutByHand() {
        const torch::Tensor p1 = maps3({0.5, 0.25, 0.25, 0.2, 0.6, 0.2, 0.1, 0.3, 0.6});
        const torch::Tensor p2 = torch::full({1, 1, 3, 3}, 1.0 / 3.0, torch::kFloat64);
        const torch::Tensor one = attentionRollout({p1});
        const torch::Tensor r1 =
            torch::tensor({0.75, 0.125, 0.125, 0.1, 0.8, 0.1, 0.05, 0.15, 0.8}, torch::kFloat64)
                .reshape({1, 3, 3});
        QVERIFY(maxDiff(one, r1) < 1e-15);
        const torch::Tensor j = attentionRollout({p1, p2});
        // Row 0 of R_2 = (2/3, 1/6, 1/6) times R_1.
        QVERIFY(maxDiff(j[0][0], torch::tensor({0.525, 0.725 / 3.0, 0.7 / 3.0}, torch::kFloat64)) <
                1e-15);
        QVERIFY(maxDiff(j.sum(-1), torch::ones({1, 3}, torch::kFloat64)) < 1e-15);
        // Discarding the smallest third of each row (one weight of three) spares the diagonal.
        const torch::Tensor p3 = maps3({0.5, 0.3, 0.2, 0.1, 0.6, 0.3, 0.7, 0.2, 0.1});
        const torch::Tensor d = attentionRollout({p3}, {HeadFusion::Mean, 0.34});
        QVERIFY(maxDiff(d[0][0], torch::tensor({1.5 / 1.8, 0.3 / 1.8, 0.0}, torch::kFloat64)) <
                1e-15);
        QVERIFY(maxDiff(d[0][2], torch::tensor({0.7 / 1.8, 0.0, 1.1 / 1.8}, torch::kFloat64)) <
                1e-15);
    }

    void headFusionAndMaps() {
        // 2 heads, 5 tokens (2 x 2 grid).
        torch::Tensor p = torch::rand({1, 2, 5, 5}, torch::kFloat64);
        p = p / p.sum(-1, true);
        QVERIFY(maxDiff(fuseHeads(p, HeadFusion::Mean)[0], (p[0][0] + p[0][1]) / 2) < 1e-15);
        QVERIFY(maxDiff(fuseHeads(p, HeadFusion::Max)[0], torch::maximum(p[0][0], p[0][1])) <
                1e-15);
        QVERIFY(maxDiff(fuseHeads(p, HeadFusion::Min)[0], torch::minimum(p[0][0], p[0][1])) <
                1e-15);
        const torch::Tensor cls = queryMap(p, 0, 1, 0);
        QCOMPARE(cls.sizes().vec(), (std::vector<int64_t>{2, 2}));
        QCOMPARE(cls[1][0].item<double>(), p[0][1][0][3].item<double>()); // patch 3 = row 1, col 0
        QCOMPARE(queryMap(p, 0, 0, 4)[0][1].item<double>(), p[0][0][4][2].item<double>());
        QVERIFY_EXCEPTION_THROWN(queryMap(p, 0, 2, 0), std::out_of_range);
        QVERIFY_EXCEPTION_THROWN(gridSide(6), std::invalid_argument);
    }

    void entropyAndNeighbourhood() {
        // 3 x 3 grid (10 tokens): uniform attention has entropy log 10.
        const torch::Tensor uniform = torch::full({1, 1, 10, 10}, 0.1, torch::kFloat64);
        QVERIFY(std::abs(attentionEntropy(uniform).item<double>() - std::log(10.0)) < 1e-12);
        // Each query attends only to itself: entropy 0, neighbourhood mass 1 for patch queries.
        const torch::Tensor self = torch::eye(10, torch::kFloat64).reshape({1, 1, 10, 10});
        QVERIFY(std::abs(attentionEntropy(self).item<double>()) < 1e-12);
        QVERIFY(std::abs(neighbourhoodMass(self).item<double>() - 1.0) < 1e-12);
        // Uniform: a corner patch has 4 of 9 patches in its 3x3 neighbourhood, an edge 6, the
        // centre 9: mean over the 9 queries = 0.1 * (4*4 + 4*6 + 9) / 9.
        QVERIFY(std::abs(neighbourhoodMass(uniform).item<double>() - 0.1 * 49.0 / 9.0) < 1e-12);
    }

    /// MAD streamed over the fixture input equals the published analysis' values.
    void madOverDataMatchesFixtures() {
        for (const std::string n :
             {"vit_tiny", "owf_tiny", "uit_static_tiny", "uit_learnable_tiny", "ringformer_tiny"}) {
            LoadedModel m = fixtureModel(n);
            DataSource src = openDataSource("npy:" + test::fixturesDir() + "/" + n + ".input.npy");
            const MadRun run =
                madOverData({m.model.get(), m.metadata.inputSpec()}, BatchStream(src, 1));
            const torch::Tensor ref = loadNpy(test::fixturesDir() + "/" + n + ".mad.npy");
            QCOMPARE(run.mad.sizes().vec(), ref.sizes().vec());
            QVERIFY2(maxDiff(run.mad, ref) < 1e-4, n.c_str());
            QCOMPARE(run.examples, int64_t(2));
        }
    }

    /// The lens after the last application is the model's own prediction.
    void classLensEndsAtTheLogits() {
        LoadedModel m = fixtureModel("ringformer_tiny");
        const torch::Tensor input = loadNpy(test::fixturesDir() + "/ringformer_tiny.input.npy");
        const torch::Tensor logits = loadNpy(test::fixturesDir() + "/ringformer_tiny.logits.npy");
        DataSource src =
            openDataSource("npy:" + test::fixturesDir() + "/ringformer_tiny.input.npy");
        const LensRun run =
            lensOverData({m.model.get(), m.metadata.inputSpec()}, BatchStream(src, 2));
        QCOMPARE(run.probabilities.size(0), m.model->config().depth);
        QVERIFY(maxDiff(run.probabilities[-1], torch::softmax(logits.to(torch::kFloat64), -1)) <
                1e-5);
        QVERIFY(maxDiff(run.probabilities.sum(-1),
                        torch::ones({run.probabilities.size(0), 2}, torch::kFloat64)) < 1e-12);
        QVERIFY(std::isnan(run.accuracy[0].item<double>())); // npy input has no labels
    }

    /// RingFormer signals: the low-rank map's norm and singular values agree with the weights;
    /// the traced per-token norms are the norms of the traced signals.
    void levelSignals() {
        LoadedModel m = fixtureModel("ringformer_tiny");
        const auto maps = lowRankMaps(*m.model);
        const int64_t depth = m.model->config().depth, rank = m.model->config().rank;
        QCOMPARE(int64_t(maps.size()), 4 * depth);
        for (const auto& map : maps) {
            QCOMPARE(int64_t(map.singularValues.size()), rank);
            double sq = 0;
            for (double s : map.singularValues)
                sq += s * s;
            QVERIFY(std::abs(std::sqrt(sq) - map.frobenius) < 1e-9 * std::max(1.0, map.frobenius));
        }
        const torch::Tensor input = loadNpy(test::fixturesDir() + "/ringformer_tiny.input.npy");
        ForwardTrace trace;
        torch::NoGradGuard g;
        m.model->forward(input, {}, &trace);
        const RingSignals s = ringSignals(trace);
        QCOMPARE(
            s.norms.sizes().vec(),
            (std::vector<int64_t>{4, depth, 2, input.size(0) > 0 ? trace.hidden[0].size(1) : 0}));
        QVERIFY(maxDiff(s.norms[1][0], trace.levelSignals[0].k().norm(2, -1)) < 1e-5);
        QVERIFY(maxDiff(s.levelCosine.select(1, 0).select(1, 0),
                        torch::ones({4, 2}, torch::kFloat64)) < 1e-12);
        // The measures come from the low-rank factors: they equal the ones of the full signals.
        for (int sig = 0; sig < 4; ++sig) {
            const auto& l0 = trace.levelSignals[0];
            const auto& l1 = trace.levelSignals[1];
            const torch::Tensor a = (sig == 0   ? l0.q()
                                     : sig == 1 ? l0.k()
                                     : sig == 2 ? l0.v()
                                                : l0.f())
                                        .to(torch::kFloat64)[1];
            const torch::Tensor b = (sig == 0   ? l1.q()
                                     : sig == 1 ? l1.k()
                                     : sig == 2 ? l1.v()
                                                : l1.f())
                                        .to(torch::kFloat64)[1];
            const double cosine = ((a * b).sum() / (a.norm() * b.norm())).item<double>();
            QVERIFY(std::abs(s.levelCosine[sig][0][1][1].item<double>() - cosine) < 1e-5);
            QVERIFY(maxDiff(s.norms[sig][1][1], b.norm(2, -1)) < 1e-5);
        }
        const DepthDynamics d = depthDynamics(trace);
        QCOMPARE(d.relativeUpdate.sizes().vec(), (std::vector<int64_t>{depth, 2}));
        const torch::Tensor h0 = trace.embedded.to(torch::kFloat64),
                            h1 = trace.hidden[0].to(torch::kFloat64);
        // Computed from the float32 activations (float64 sums): float32 precision, not float64.
        const double want = ((h1[1] - h0[1]).norm() / h0[1].norm()).item<double>();
        QVERIFY(std::abs(d.relativeUpdate[0][1].item<double>() - want) < 1e-6 * want);
        const double cosine =
            ((h1[0] * h0[0]).sum() / (h1[0].norm() * h0[0].norm())).item<double>();
        QVERIFY(std::abs(d.cosine[0][0].item<double>() - cosine) < 1e-6);
        QVERIFY_EXCEPTION_THROWN(lowRankMaps(*fixtureModel("vit_tiny").model),
                                 std::invalid_argument);
    }

    void levelsOverDataPerFamily() {
        for (const std::string n : {"vit_tiny", "uit_static_tiny", "ringformer_tiny"}) {
            LoadedModel m = fixtureModel(n);
            DataSource src = openDataSource("npy:" + test::fixturesDir() + "/" + n + ".input.npy");
            const LevelsRun run =
                levelsOverData({m.model.get(), m.metadata.inputSpec()}, BatchStream(src, 1));
            QCOMPARE(run.relativeUpdateMean.size(0), m.model->config().depth);
            QVERIFY((run.cosineMean <= 1.0 + 1e-12).all().item<bool>());
            QCOMPARE(run.signalRatioMean.defined(), n == "ringformer_tiny");
            QCOMPARE(run.encodingRatioMean.defined(), n == "uit_static_tiny");
        }
    }

    void npyOfTheWrongShapeIsRejected() {
        LoadedModel m = fixtureModel("vit_tiny");
        const std::string path = test::makeTempDir("maps") + "/small.npy";
        saveNpy(path, torch::zeros({2, 3, 8, 8}));
        DataSource src = openDataSource("npy:" + path);
        QVERIFY_EXCEPTION_THROWN(
            madOverData({m.model.get(), m.metadata.inputSpec()}, BatchStream(src, 2)),
            RingScopeError);
    }
};

QTEST_GUILESS_MAIN(TestAttentionMaps)
#include "TestAttentionMaps.moc"
