// Depth dynamics (docs/metrics.md, "Depth dynamics"): the depth policies against models built
// by hand with that level sequence, the sweep against runs of each K, the exit rules and the
// head stability on constructed examples whose answers are known.
#include "TestSupport.h"

#include "ringscope/analysis/Convergence.h"
#include "ringscope/analysis/DataAnalysis.h"
#include "ringscope/analysis/Studies.h"
#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/data/InMemoryDataset.h"
#include "ringscope/model/io/Npy.h"
#include "ringscope/model/nets/ModelFactory.h"

#include <QtTest>

#include <torch/types.h>

#include <cmath>
#include <numeric>

using namespace ringscope;
using namespace ringscope::analysis;

namespace {

torch::Tensor ints(std::initializer_list<int64_t> values) {
    return torch::tensor(std::vector<int64_t>(values), torch::kInt64);
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

LoadedModel fixture(const std::string& name) {
    LoadOptions o;
    o.heads = 4;
    return loadModel(test::fixturesDir() + "/" + name + ".bin", o);
}

torch::Tensor fixtureInput(const std::string& name) {
    return loadNpy(test::fixturesDir() + "/" + name + ".input.npy");
}

/// The weights of `model` for a model of depth `sequence.size()` whose level t is the trained
/// level sequence[t]: what the published code runs when handed that level sequence.
StateDict handBuiltLevels(const VisionModel& model, const std::vector<int64_t>& sequence) {
    const int64_t T = model.config().depth, N = model.config().tokens();
    const torch::Tensor index = torch::tensor(sequence, torch::kInt64);
    StateDict out;
    for (const auto& [name, w] : model.weights()) {
        const auto perLevel = [&](const std::string& stem) {
            const size_t at = name.find(stem);
            if (at == std::string::npos) return false;
            const size_t end = name.find('.', at + stem.size());
            const int64_t level = std::stoll(name.substr(at + stem.size(), end - at - stem.size()));
            for (size_t t = 0; t < sequence.size(); ++t)
                if (sequence[t] == level)
                    out.set(name.substr(0, at + stem.size()) + std::to_string(t) + name.substr(end),
                            w);
            return true;
        };
        if (perLevel("ATTN_layer_norms.") || perLevel("FF_layer_norms.")) continue;
        if (name.find("lev_embed") != std::string::npos && w.size(0) == T)
            out.set(name, w.index_select(0, index));
        else if (name.find("level_embed.level_embed.weight") != std::string::npos)
            out.set(name, w.view({T, N, -1}).index_select(0, index).reshape({-1, w.size(1)}));
        else
            out.set(name, w);
    }
    return out;
}

ModelConfig withDepth(ModelConfig c, int64_t depth) {
    c.depth = depth;
    return c;
}

/// Measures of images over K applications (rows: t) from latent steps and predictions; the
/// other measures are fixed multiples of the latent step.
ConvergenceMeasures constructed(const std::vector<std::vector<double>>& latent,
                                const std::vector<std::vector<int64_t>>& prediction,
                                const std::vector<int64_t>& labels) {
    ConvergenceMeasures m;
    const int64_t K = int64_t(latent.size()), E = int64_t(labels.size());
    m.latentStep = torch::empty({K, E}, torch::kFloat64);
    m.prediction = torch::empty({K, E}, torch::kInt64);
    for (int64_t t = 0; t < K; ++t)
        for (int64_t e = 0; e < E; ++e) {
            m.latentStep[t][e] = latent[size_t(t)][size_t(e)];
            m.prediction[t][e] = prediction[size_t(t)][size_t(e)];
        }
    m.cosineGap = m.latentStep / 10.0;
    m.entropy = torch::zeros({K, E}, torch::kFloat64);
    m.entropyChange = m.latentStep * 2.0;
    m.kl = m.latentStep / 100.0;
    m.trueProbability = torch::zeros({K, E}, torch::kFloat64);
    m.trueRank = torch::ones({K, E}, torch::kFloat64);
    m.loss = torch::zeros({K, E}, torch::kFloat64);
    m.labels = torch::tensor(labels, torch::kInt64);
    return m;
}

} // namespace

class TestDepthDynamics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { configureThreads(); }

    /// repeat-last and cycle beyond T compute what a model of depth K computes whose levels
    /// are those trained levels in that order; 'extend' what a static UiT of depth K computes
    /// with its formula's table.
    void policiesMatchHandBuiltLevelSequences() {
        torch::NoGradGuard noGrad;
        for (const std::string name : {"ringformer_tiny", "uit_learnable_tiny"}) {
            const LoadedModel m = fixture(name);
            const torch::Tensor x = fixtureInput(name);
            const int64_t T = m.model->config().depth, K = T + 3;
            for (DepthPolicy p : {DepthPolicy::RepeatLast, DepthPolicy::Cycle}) {
                std::vector<int64_t> sequence;
                for (int64_t t = 0; t < K; ++t)
                    sequence.push_back(t < T ? t : p == DepthPolicy::Cycle ? t % T : T - 1);
                ForwardOptions o;
                o.applications = K;
                o.extend = p;
                const auto built = modelFromWeights(withDepth(m.model->config(), K),
                                                    handBuiltLevels(*m.model, sequence));
                const double diff =
                    maxDiff(m.model->forward(x, o).logits, built->forward(x).logits);
                QVERIFY2(diff < 1e-5,
                         qPrintable(QString::fromStdString(name + " " + depthPolicyName(p)) +
                                    QString(": %1").arg(diff)));
            }
        }
        const LoadedModel uit = fixture("uit_static_tiny");
        const ModelConfig& c = uit.model->config();
        const int64_t K = c.depth + 4;
        StateDict weights;
        for (const auto& [name, w] : uit.model->weights())
            weights.set(name, name.find("level_embed.level_embed") != std::string::npos
                                  ? uitStaticLevelTable(K, c.tokens(), c.hidden)
                                  : w);
        const auto built = modelFromWeights(withDepth(c, K), weights);
        ForwardOptions o;
        o.applications = K;
        o.extend = DepthPolicy::Extend;
        const torch::Tensor x = fixtureInput("uit_static_tiny");
        QVERIFY(maxDiff(uit.model->forward(x, o).logits, built->forward(x).logits) < 1e-5);
    }

    /// Row K of one traced pass of Kmax applications is what a run of K applications outputs:
    /// prediction, entropy, true-class probability, loss, accuracy.
    void sweepMatchesRunsOfEachK() {
        const LoadedModel m = fixture("ringformer_tiny");
        const InputSpec spec = m.metadata.inputSpec();
        const int64_t images = 24, classes = m.model->config().classes;
        torch::manual_seed(7);
        const torch::Tensor pixels =
            torch::randint(0, 256, {images, spec.size, spec.size, spec.channels}, torch::kUInt8);
        const torch::Tensor labels = torch::arange(images, torch::kInt64) % classes;
        std::vector<std::string> names;
        for (int64_t c = 0; c < classes; ++c)
            names.push_back("class " + std::to_string(c));
        DataSource source;
        source.spec = "constructed";
        source.dataset = std::make_unique<InMemoryDataset>(pixels, labels, names, "random");
        const BatchStream stream(source, 10, -1);
        const int64_t T = m.model->config().depth, Kmax = T + 2;
        ForwardOptions f;
        f.applications = Kmax;
        f.extend = DepthPolicy::Cycle;
        const DepthRun run = depthOverData({m.model.get(), spec, f}, stream);
        QCOMPARE(run.examples, images);
        QCOMPARE(run.measures.applications(), Kmax);
        QCOMPARE(run.headJs.size(0), Kmax - 1);
        const DepthCurves curves = depthCurves(run.measures);
        std::vector<int64_t> all(static_cast<size_t>(images));
        std::iota(all.begin(), all.end(), 0);
        const Batch batch = makeBatch(*source.dataset, all, spec);
        torch::NoGradGuard noGrad;
        for (int64_t k = 1; k <= Kmax; ++k) {
            ForwardOptions o = f;
            o.applications = k;
            const torch::Tensor logits =
                m.model->forward(batch.images, o).logits.to(torch::kFloat64);
            const torch::Tensor p = torch::softmax(logits, -1);
            QVERIFY(run.measures.prediction[k - 1].equal(logits.argmax(-1)));
            QVERIFY(maxDiff(run.measures.entropy[k - 1], -(p * p.log()).sum(-1)) < 1e-5);
            const torch::Tensor trueP = p.gather(1, labels.unsqueeze(1)).squeeze(1);
            QVERIFY(maxDiff(run.measures.trueProbability[k - 1], trueP) < 1e-5);
            QVERIFY(std::abs(curves.confidence[k - 1].item<double>() -
                             trueP.mean().item<double>()) < 1e-6);
            QVERIFY(std::abs(curves.loss[k - 1].item<double>() +
                             trueP.log().mean().item<double>()) < 1e-5);
            QCOMPARE(curves.accuracy[k - 1].item<double>(),
                     logits.argmax(-1).eq(labels).to(torch::kFloat64).mean().item<double>());
        }
        // Latent step and 1 - cos of application 1 from the embedded input.
        ForwardTrace trace;
        traceFirstApplication(m, batch.images, trace);
        const torch::Tensor h0 = trace.embedded.to(torch::kFloat64),
                            h1 = trace.hidden[0].to(torch::kFloat64);
        const torch::Tensor step = ((h1 - h0).norm(2, -1) / h1.norm(2, -1)).mean(-1);
        QVERIFY(maxDiff(run.measures.latentStep[0], step) < 1e-6);
        // KL of application 1 from the uniform p_0: log C - H(p_1).
        QVERIFY(maxDiff(run.measures.kl[0], std::log(double(classes)) - run.measures.entropy[0]) <
                1e-9);
    }

    void exitRulesOnAConstructedExample() {
        // Three images over six applications. Image 0 settles at t = 3, image 1 at t = 5,
        // image 2 never; the argmax of image 0 is stable from t = 2, of image 1 from t = 1.
        const ConvergenceMeasures m = constructed(
            {{0.5, 0.5, 0.5},
             {0.2, 0.2, 0.2},
             {0.01, 0.1, 0.2},
             {0.01, 0.04, 0.2},
             {0.0, 0.02, 0.2},
             {0.0, 0.01, 0.2}},
            {{3, 1, 0}, {2, 1, 0}, {2, 1, 4}, {2, 1, 0}, {2, 1, 4}, {2, 1, 0}}, {2, 1, -1});
        QVERIFY(exitDepths(m, ExitRule::LatentStep, 0.03).equal(ints({3, 5, 6})));
        QVERIFY(exitDepths(m, ExitRule::CosineGap, 0.003).equal(ints({3, 5, 6})));
        QVERIFY(exitDepths(m, ExitRule::EntropyChange, 0.06).equal(ints({3, 5, 6})));
        QVERIFY(exitDepths(m, ExitRule::Kl, 3e-4).equal(ints({3, 5, 6})));
        QVERIFY(exitDepths(m, ExitRule::SameArgmax, 3).equal(ints({4, 3, 6})));
        QVERIFY(exitDepths(m, ExitRule::SameArgmax, 1).equal(ints({1, 1, 1})));
        const ExitOutcome o = exitOutcome(m, ExitRule::LatentStep, 0.03);
        QCOMPARE(o.meanApplications, 14.0 / 3.0);
        QCOMPARE(o.accuracy, 1.0); // images 0 and 1 are right at their exits; 2 has no label
        const torch::Tensor expected = torch::zeros({6, 3}, torch::kInt64);
        expected[2][0] = 1;
        expected[4][0] = 1;
        expected[5][2] = 1;
        QVERIFY(o.histogram.equal(expected));
        // Image 0 exits at t = 1 under a loose threshold, where its argmax (3) is wrong.
        const ExitOutcome early = exitOutcome(m, ExitRule::LatentStep, 0.6);
        QCOMPARE(early.accuracy, 0.5);
        QCOMPARE(early.meanApplications, 1.0);
        // The adaptive-compute curve: one row per threshold, the default among them.
        const ExitThresholds defaults;
        const std::vector<double> grid = adaptiveThresholds(ExitRule::LatentStep, defaults, 6);
        QCOMPARE(grid.size(), size_t(9));
        QVERIFY(std::abs(grid[4] - 0.03) < 1e-15);
        const torch::Tensor curve = adaptiveCurve(m, ExitRule::LatentStep, {0.6, 0.03});
        QCOMPARE(curve[0][1].item<double>(), 1.0);
        QCOMPARE(curve[1][1].item<double>(), 14.0 / 3.0);
        QCOMPARE(curve[1][2].item<double>(), 1.0);
        QCOMPARE(adaptiveThresholds(ExitRule::SameArgmax, defaults, 6).size(), size_t(6));
        // Curves: argmax changes at t = 2 (image 0) and t = 3..6 (image 2); none at t = 1.
        const DepthCurves c = depthCurves(m);
        QVERIFY(std::isnan(c.argmaxChanged[0].item<double>()));
        QCOMPARE(c.argmaxChanged[1].item<double>(), 1.0 / 3.0);
        QCOMPARE(c.argmaxChanged[2].item<double>(), 1.0 / 3.0);
        QCOMPARE(c.accuracy[0].item<double>(), 0.5);
        QCOMPARE(c.accuracy[1].item<double>(), 1.0);
    }

    void headStabilityOfKnownMaps() {
        // Two one-hot rows that do not overlap: JS = ln 2 per row; identical maps: 0.
        torch::Tensor a = torch::zeros({1, 2, 3, 3}), b = torch::zeros({1, 2, 3, 3});
        a.select(3, 0).fill_(1.0);
        b.select(3, 1).fill_(1.0);
        b[0][1] = a[0][1]; // head 2 does not change
        const torch::Tensor js = attentionJsSum(b, a);
        QVERIFY(std::abs(js[0].item<double>() - 3.0 * std::log(2.0)) < 1e-6);
        QVERIFY(std::abs(js[1].item<double>()) < 1e-9);
        // JS per application pair (rows t = 2..5) of three heads: head 1 settles after 3,
        // head 2 never changes (after 1), head 3 still changes at the last application.
        const torch::Tensor perPair =
            torch::tensor({0.5, 0.0, 0.2, 0.3, 0.0, 0.2, 0.001, 0.0, 0.2, 0.0, 0.0, 0.2},
                          torch::kFloat64)
                .view({4, 3});
        QVERIFY(headSettling(perPair, 0.01).equal(ints({3, 1, -1})));
        QVERIFY(headSettling(perPair, 0.25).equal(ints({3, 1, 1})));
    }

    /// The runs a study makes: the trained depth only, every policy a model takes, a ViT
    /// stopped at its layers, and a refused wanted policy.
    void studyRunsPerModel() {
        const LoadedModel ring = fixture("ringformer_tiny"), vit = fixture("vit_tiny"),
                          uit = fixture("uit_static_tiny");
        const int64_t T = ring.model->config().depth;
        QCOMPARE(depthRunsFor(*ring.model, T, {}).size(), size_t(1));
        QCOMPARE(depthRunLabel(*ring.model, depthRunsFor(*ring.model, T, {})[0]),
                 std::string("trained"));
        QCOMPARE(depthRunsFor(*ring.model, T + 1, {}).size(), size_t(2));
        QCOMPARE(depthRunsFor(*uit.model, uit.model->config().depth + 1, {}).size(), size_t(3));
        const auto vitRuns = depthRunsFor(*vit.model, 50, {});
        QCOMPARE(vitRuns.size(), size_t(1));
        QCOMPARE(vit.model->applicationsFor(vitRuns[0]), vit.model->config().depth);
        QVERIFY_EXCEPTION_THROWN(depthRunsFor(*ring.model, T + 1, {DepthPolicy::Extend}),
                                 ModelMismatchError);
        const auto cycle = depthRunsFor(*ring.model, T + 1, {DepthPolicy::Cycle});
        QCOMPARE(depthRunLabel(*ring.model, cycle.at(0)), std::string("cycle"));
    }

private:
    static void traceFirstApplication(const LoadedModel& m, const torch::Tensor& images,
                                      ForwardTrace& trace) {
        torch::NoGradGuard noGrad;
        trace.recordSignals = false;
        ForwardOptions o;
        o.applications = 1;
        m.model->forward(images, o, &trace);
    }
};

QTEST_APPLESS_MAIN(TestDepthDynamics)
#include "TestDepthDynamics.moc"
