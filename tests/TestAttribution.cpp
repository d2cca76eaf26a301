// Attribution (docs/metrics.md, "Attribution"): GAE on a two-application example computed by
// hand, every family's attention gradients against finite differences, the three methods'
// maps, and the deletion and insertion curves' end points.
#include "TestSupport.h"

#include "ringscope/analysis/AttentionMaps.h"
#include "ringscope/analysis/Attribution.h"
#include "ringscope/analysis/Faithfulness.h"
#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/io/Npy.h"
#include "ringscope/model/nets/ForwardTrace.h"

#include <QtTest>

#include <torch/types.h>

#include <cmath>

using namespace ringscope;
using namespace ringscope::analysis;

namespace {

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

/// A published-code fixture ("vit_tiny"), a timm one ("timm:timm_vit_gap_tiny") or the
/// Hugging Face folder ("hf:hf_vit_tiny").
LoadedModel fixture(const std::string& name) {
    LoadOptions o;
    o.heads = 4;
    if (name == "hf:hf_vit_tiny") return loadModel(test::timmFixturesDir() + "/hf_vit_tiny", o);
    if (name.rfind("timm:", 0) == 0)
        return loadModel(test::timmFixturesDir() + "/" + name.substr(5) + ".pth", o);
    return loadModel(test::fixturesDir() + "/" + name + ".bin", o);
}

torch::Tensor fixtureInput(const std::string& name) {
    if (name.rfind("timm:", 0) == 0 || name.rfind("hf:", 0) == 0)
        return loadNpy(test::timmFixturesDir() + "/" + name.substr(name.find(':') + 1) +
                       ".input.npy");
    return loadNpy(test::fixturesDir() + "/" + name + ".input.npy");
}

torch::Tensor matrix(std::initializer_list<double> values, int64_t rows) {
    return torch::tensor(std::vector<double>(values), torch::kFloat64).view({rows, -1});
}

} // namespace

class TestAttribution : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { configureThreads(); }

    /// Two applications, two heads, two tokens (CLS and one patch), by hand:
    /// Abar_1 = mean_h max(0, G1 * A1) = [[0.1, 0.2], [0.075, 0.3]],
    /// Abar_2 = [[0.2, 0], [0.1, 0.1]]; R_1 = I + Abar_1 = [[1.1, 0.2], [0.075, 1.3]];
    /// R_2 = R_1 + Abar_2 R_1 = [[1.32, 0.24], [0.1925, 1.45]].
    void gaeOnAHandComputedExample() {
        const torch::Tensor a1 =
            torch::stack({matrix({0.5, 0.5, 0.2, 0.8}, 2), matrix({0.4, 0.6, 0.5, 0.5}, 2)})
                .unsqueeze(0);
        const torch::Tensor g1 =
            torch::stack({matrix({0.4, 0.8, -1.0, 0.75}, 2), matrix({0.0, 0.0, 0.3, 0.0}, 2)})
                .unsqueeze(0);
        // head 1: G*A = [[0.2, 0.4], [-0.2, 0.6]] -> max 0 -> [[0.2, 0.4], [0, 0.6]];
        // head 2: [[0, 0], [0.15, 0]]; mean: [[0.1, 0.2], [0.075, 0.3]].
        const torch::Tensor a2 =
            torch::stack({matrix({1.0, 0.0, 0.5, 0.5}, 2), matrix({0.5, 0.5, 0.5, 0.5}, 2)})
                .unsqueeze(0);
        const torch::Tensor g2 =
            torch::stack({matrix({0.4, 3.0, 0.2, 0.2}, 2), matrix({0.0, -1.0, 0.2, 0.2}, 2)})
                .unsqueeze(0);
        // head 1: [[0.4, 0], [0.1, 0.1]]; head 2: [[0, 0], [0.1, 0.1]] (-0.5 clipped);
        // mean: [[0.2, 0], [0.1, 0.1]].
        std::vector<torch::Tensor> parts;
        const torch::Tensor r = gaeRelevance({a1, a2}, {g1, g2}, &parts);
        QVERIFY(maxDiff(parts[0][0], matrix({0.1, 0.2, 0.075, 0.3}, 2)) < 1e-12);
        QVERIFY(maxDiff(parts[1][0], matrix({0.2, 0.0, 0.1, 0.1}, 2)) < 1e-12);
        const torch::Tensor r1 = matrix({1.1, 0.2, 0.075, 1.3}, 2);
        const torch::Tensor expected = r1 + torch::matmul(matrix({0.2, 0.0, 0.1, 0.1}, 2), r1);
        QVERIFY(maxDiff(r[0], expected) < 1e-12);
        // By hand: row 0 = [1.1 + 0.22, 0.2 + 0.04] = [1.32, 0.24].
        QVERIFY(std::abs(r[0][0][1].item<double>() - 0.24) < 1e-12);
        QVERIFY(std::abs(decisionRow(r, 1)[0][0].item<double>() - 0.24) < 1e-12);
        QVERIFY(std::abs(r[0][1][0].item<double>() - 0.1925) < 1e-12);
        // Without a class token: the mean of the rows, (0.24 + 1.45) / 2 for the patch.
        QVERIFY(std::abs(decisionRow(r, 0)[0][1].item<double>() -
                         0.5 * (expected[0][1].item<double>() + expected[1][1].item<double>())) <
                1e-12);
    }

    void gradientsMatchFiniteDifferences_data() {
        QTest::addColumn<QString>("name");
        for (const char* n :
             {"vit_tiny", "owf_tiny", "uit_static_tiny", "uit_learnable_tiny", "ringformer_tiny",
              "timm:timm_vit_gap_tiny", "timm:timm_deit_distilled_tiny", "hf:hf_vit_tiny"})
            QTest::newRow(n) << n;
    }
    /// <dy_c/dA_t, V> against (y_c(A_t + eps V) - y_c(A_t - eps V)) / (2 eps), for the first
    /// and the last application of every family, two timm ViTs (pooled, distilled) and a
    /// Hugging Face ViT.
    void gradientsMatchFiniteDifferences() {
        QFETCH(QString, name);
        const LoadedModel m = fixture(name.toStdString());
        const torch::Tensor x = fixtureInput(name.toStdString());
        const AttentionGradients g = attentionGradients(*m.model, x);
        QCOMPARE(g.maps.size(), size_t(m.model->config().depth));
        torch::manual_seed(3);
        for (size_t t : {size_t(0), g.maps.size() - 1}) {
            const torch::Tensor v = torch::randn(g.maps[t].sizes());
            const auto score = [&](double eps) {
                torch::NoGradGuard noGrad;
                ForwardTrace trace;
                trace.recordSignals = false;
                trace.editAttention = [&](int64_t app, const torch::Tensor& p) {
                    return app == int64_t(t) ? p + eps * v : p;
                };
                const torch::Tensor logits = m.model->forward(x, {}, &trace).logits;
                return logits.to(torch::kFloat64)
                    .gather(1, g.target.unsqueeze(1))
                    .sum()
                    .item<double>();
            };
            const double eps = 1e-2;
            const double numeric = (score(eps) - score(-eps)) / (2 * eps);
            const double analytic =
                (g.gradients[t].to(torch::kFloat64) * v.to(torch::kFloat64)).sum().item<double>();
            QVERIFY2(std::abs(numeric - analytic) <= 2e-2 * std::max(1.0, std::abs(analytic)),
                     qPrintable(QString("application %1: numeric %2, analytic %3")
                                    .arg(t + 1)
                                    .arg(numeric)
                                    .arg(analytic)));
        }
    }

    /// The three methods' maps from their definitions, and the per-application rows.
    void methodsFollowTheirDefinitions() {
        const LoadedModel m = fixture("ringformer_tiny");
        const torch::Tensor x = fixtureInput("ringformer_tiny");
        const int64_t T = m.model->config().depth, P = m.model->config().tokens() - 1;
        const Attribution gae = attribute(*m.model, x, AttributionMethod::Gae);
        QCOMPARE(gae.map.sizes().vec(), (std::vector<int64_t>{2, P}));
        QCOMPARE(gae.perApplication.sizes().vec(), (std::vector<int64_t>{T, 2, P}));
        const AttentionGradients g = attentionGradients(*m.model, x);
        QVERIFY(maxDiff(gae.map, decisionRow(gaeRelevance(g.maps, g.gradients), 1)) < 1e-6);
        QVERIFY(gae.target.equal(g.logits.argmax(-1)));
        const Attribution picked = attribute(*m.model, x, AttributionMethod::Gae, 3);
        QCOMPARE(picked.target[0].item<int64_t>(), int64_t(3));

        torch::NoGradGuard noGrad;
        ForwardTrace trace;
        m.model->forward(x, {}, &trace);
        const Attribution rollout = attribute(*m.model, x, AttributionMethod::Rollout);
        QVERIFY(maxDiff(rollout.map, decisionRow(attentionRollout(trace.attention), 1)) < 1e-6);
        QVERIFY(maxDiff(rollout.perApplication[0],
                        decisionRow(attentionRollout({trace.attention[0]}), 1)) < 1e-6);
        const Attribution raw = attribute(*m.model, x, AttributionMethod::Attention);
        QVERIFY(maxDiff(raw.map, trace.attention.back().mean(1).select(1, 0).narrow(1, 1, P)) <
                1e-6);
        QVERIFY_EXCEPTION_THROWN(attribute(*m.model, x, AttributionMethod::Gae, 10),
                                 std::invalid_argument);
    }

    /// Deletion starts at the full image and ends at the mean-colour image, insertion the
    /// other way round; the area of a constant curve is that constant.
    void curvesEndWhereTheyMust() {
        const LoadedModel m = fixture("vit_tiny");
        const torch::Tensor x = fixtureInput("vit_tiny");
        const Attribution a = attribute(*m.model, x, AttributionMethod::Gae);
        const torch::Tensor del = patchCurve(*m.model, x, a.map, a.target, 4, false);
        const torch::Tensor ins = patchCurve(*m.model, x, a.map, a.target, 4, true);
        QCOMPARE(del.sizes().vec(), (std::vector<int64_t>{5, 2}));
        QVERIFY(maxDiff(del[0], a.probabilities.gather(1, a.target.unsqueeze(1)).squeeze(1)) <
                1e-6);
        QVERIFY(maxDiff(ins[4], del[0]) < 1e-6);
        QVERIFY(maxDiff(ins[0], del[4]) < 1e-6);
        // The shared ends (faithfulnessOverData's) give the very same curves, bit for bit.
        const CurveEnds ends = curveEnds(*m.model, x);
        QVERIFY(torch::equal(ends.gridMean, ends.mean) &&
                torch::equal(ends.gridImages, ends.images));
        QVERIFY(torch::equal(patchCurve(*m.model, x, a.map, a.target, 4, false, {}, &ends), del));
        QVERIFY(torch::equal(patchCurve(*m.model, x, a.map, a.target, 4, true, {}, &ends), ins));
        QVERIFY(torch::equal(patchCurve(*m.model, x, a.map, a.target, 1, true, {}, &ends),
                             patchCurve(*m.model, x, a.map, a.target, 1, true)));
        QVERIFY(std::abs(curveArea(torch::full({5, 1}, 0.25, torch::kFloat64))[0].item<double>() -
                         0.25) < 1e-12);
        QVERIFY(std::abs(curveArea(torch::tensor({0.0, 1.0}, torch::kFloat64).view({2, 1}))[0]
                             .item<double>() -
                         0.5) < 1e-12);
    }
};

QTEST_APPLESS_MAIN(TestAttribution)
#include "TestAttribution.moc"
