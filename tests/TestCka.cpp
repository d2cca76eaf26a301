// CKA against the reference values of the CKA library used for the paper's figures
// (fixtures/official/cka), and the properties CKA must have.
#include "TestSupport.h"

#include "ringscope/analysis/Cka.h"
#include "ringscope/analysis/DataAnalysis.h"
#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/io/Npy.h"

#include <QtTest>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <fstream>

using namespace ringscope;
using namespace ringscope::analysis;

namespace {

std::string ckaFixture(const std::string& name) {
    return test::fixturesDir() + "/cka/" + name;
}

/// The hidden states [A, B, N, d] of a fixture model as a list of [B, N, d].
std::vector<torch::Tensor> hiddenOf(const std::string& model) {
    const torch::Tensor h = loadNpy(ckaFixture("cka_shared." + model + ".hidden.npy"));
    std::vector<torch::Tensor> out;
    for (int64_t a = 0; a < h.size(0); ++a)
        out.push_back(h[a]);
    return out;
}

std::vector<torch::Tensor> slice(const std::vector<torch::Tensor>& hs, int64_t start,
                                 int64_t count) {
    std::vector<torch::Tensor> out;
    for (const auto& h : hs)
        out.push_back(h.narrow(0, start, count));
    return out;
}

torch::Tensor fromJson(const nlohmann::json& m) {
    std::vector<double> flat;
    for (const auto& row : m)
        for (const auto& v : row)
            flat.push_back(v.get<double>());
    return torch::tensor(flat, torch::kFloat64).reshape({int64_t(m.size()), int64_t(m[0].size())});
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

/// CKA of two fixture models by one method of the reference file.
torch::Tensor ours(const std::string& method, const std::vector<torch::Tensor>& ha,
                   const std::vector<torch::Tensor>& hb) {
    CkaOptions o;
    o.estimator = CkaEstimator::Full;
    int64_t batch = ha[0].size(0);
    if (method == "linear_cls") o.feature = CkaFeature::Cls;
    if (method == "linear_mean") o.feature = CkaFeature::Mean;
    if (method == "rbf_flatten") o.kernel = CkaKernel::Rbf;
    if (method == "minibatch_flatten") {
        o.estimator = CkaEstimator::Minibatch;
        batch = 8;
    }
    if (method == "token_level") o.estimator = CkaEstimator::Token;
    CkaAccumulator acc(o, int64_t(ha.size()), int64_t(hb.size()));
    for (int64_t s = 0; s < ha[0].size(0); s += batch)
        acc.add(slice(ha, s, batch), slice(hb, s, batch));
    return acc.result();
}

} // namespace

class TestCka : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesReference_data() {
        QTest::addColumn<QString>("method");
        for (const char* m : {"linear_flatten", "linear_cls", "linear_mean", "rbf_flatten",
                              "minibatch_flatten", "token_level"})
            QTest::newRow(m) << QString(m);
    }

    /// Every pair of models (a == b included), every method: within 1e-6 of the reference.
    void matchesReference() {
        QFETCH(QString, method);
        std::ifstream in(ckaFixture("cka_shared.json"));
        const nlohmann::json ref = nlohmann::json::parse(in);
        int pairs = 0;
        for (const auto& pair : ref["pairs"]) {
            const std::string a = pair["a"], b = pair["b"];
            const torch::Tensor expected = fromJson(pair[method.toStdString()]);
            const torch::Tensor got = ours(method.toStdString(), hiddenOf(a), hiddenOf(b));
            QCOMPARE(got.sizes().vec(), expected.sizes().vec());
            const double d = maxDiff(got, expected);
            QVERIFY2(d < 1e-6, (a + " x " + b + ": " + std::to_string(d)).c_str());
            ++pairs;
        }
        QCOMPARE(pairs, 10);
    }

    /// The models' own forward passes on the shared input give the reference hidden states.
    void forwardGivesReferenceHidden() {
        const torch::Tensor input = loadNpy(ckaFixture("cka_shared.input.npy"));
        for (const std::string n : {"vit_tiny", "owf_tiny", "uit_static_tiny", "ringformer_tiny"}) {
            LoadedModel m =
                loadModel(test::fixturesDir() + "/" + n + ".bin", LoadOptions{4, {}, {}, {}});
            ForwardTrace trace;
            torch::NoGradGuard g;
            m.model->forward(input, {}, &trace);
            const std::vector<torch::Tensor> ref = hiddenOf(n);
            QCOMPARE(trace.hidden.size(), ref.size());
            for (size_t a = 0; a < ref.size(); ++a)
                QVERIFY2(maxDiff(trace.hidden[a].to(torch::kFloat64), ref[a].to(torch::kFloat64)) <
                             1e-4,
                         n.c_str());
        }
    }

    void properties() {
        torch::manual_seed(3);
        const torch::Tensor x = torch::randn({40, 12}, torch::kFloat64);
        const torch::Tensor y = torch::matmul(x, torch::randn({12, 9}, torch::kFloat64)) +
                                0.5 * torch::randn({40, 9}, torch::kFloat64);
        const double base = linearCka(x, y);
        QVERIFY(base > 0.1 && base < 1.0);
        QVERIFY(std::abs(linearCka(x, x) - 1.0) < 1e-12);
        // Orthogonal transforms and isotropic scaling leave CKA unchanged.
        const torch::Tensor q =
            std::get<0>(torch::linalg_qr(torch::randn({12, 12}, torch::kFloat64)));
        QVERIFY(std::abs(linearCka(torch::matmul(x, q) * 7.5, y) - base) < 1e-12);
        QVERIFY(std::abs(linearCka(x, y * 0.01) - base) < 1e-12);
        // RBF CKA: 1 with itself, symmetric.
        const torch::Tensor kx = gramMatrix(x, CkaKernel::Rbf), ky = gramMatrix(y, CkaKernel::Rbf);
        QVERIFY(std::abs(ckaFromGrams(kx, kx) - 1.0) < 1e-12);
        QVERIFY(std::abs(ckaFromGrams(kx, ky) - ckaFromGrams(ky, kx)) < 1e-12);
    }

    /// On a large sample, the minibatch estimate approaches the full one.
    void minibatchApproachesFull() {
        torch::manual_seed(5);
        const torch::Tensor x = torch::randn({4000, 1, 16}, torch::kFloat64);
        const torch::Tensor y =
            torch::tanh(torch::matmul(x, torch::randn({16, 16}, torch::kFloat64))) +
            0.3 * torch::randn({4000, 1, 16}, torch::kFloat64);
        CkaOptions full;
        full.estimator = CkaEstimator::Full;
        CkaOptions mini;
        mini.estimator = CkaEstimator::Minibatch;
        CkaAccumulator f(full, 1, 1), m(mini, 1, 1);
        for (int64_t s = 0; s < 4000; s += 250) {
            f.add({x.narrow(0, s, 250)}, {y.narrow(0, s, 250)});
            m.add({x.narrow(0, s, 250)}, {y.narrow(0, s, 250)});
        }
        const double a = f.result().item<double>(), b = m.result().item<double>();
        QVERIFY2(std::abs(a - b) < 0.01, (std::to_string(a) + " vs " + std::to_string(b)).c_str());
        QCOMPARE(m.examples(), int64_t(4000));
    }

    /// The minibatch estimator works from mean-shifted float32 features: on hidden states with
    /// a large common part (as residual streams have), it still gives the HSIC_1 of the float64
    /// Gram matrices of the raw features, and the common part changes nothing.
    void minibatchMatchesFloat64OfRawFeatures() {
        torch::manual_seed(11);
        const torch::Tensor offset = 40.0 * torch::randn({1, 1, 24});
        const torch::Tensor x = torch::randn({48, 5, 24}) + offset;
        const torch::Tensor y = torch::tanh((x - offset).matmul(torch::randn({24, 24}) * 0.3)) +
                                0.2 * torch::randn({48, 5, 24}) + 3.0;
        auto rawGram = [](const torch::Tensor& h) {
            return gramMatrix(h.reshape({h.size(0), -1}).to(torch::kFloat64), CkaKernel::Linear);
        };
        const torch::Tensor kx = rawGram(x), ky = rawGram(y);
        const double expected =
            unbiasedHsic(kx, ky) / std::sqrt(unbiasedHsic(kx, kx) * unbiasedHsic(ky, ky));
        for (const torch::Tensor& shift : {torch::zeros({1, 1, 24}), 5.0 * offset}) {
            CkaAccumulator acc(CkaOptions{}, 1, 1);
            acc.add({x + shift}, {y});
            const double got = acc.result().item<double>();
            QVERIFY2(std::abs(got - expected) < 1e-6,
                     (std::to_string(got) + " vs " + std::to_string(expected)).c_str());
        }
        QVERIFY(std::abs(expected) > 0.05);
    }

    void selfComparisonHasUnitDiagonal() {
        const std::vector<torch::Tensor> h = hiddenOf("ringformer_tiny");
        for (CkaEstimator e : {CkaEstimator::Full, CkaEstimator::Minibatch, CkaEstimator::Token}) {
            CkaOptions o;
            o.estimator = e;
            CkaAccumulator acc(o, int64_t(h.size()), 0, /*self=*/true);
            acc.add(h);
            const torch::Tensor r = acc.result();
            QVERIFY(maxDiff(r.diagonal(), torch::ones({r.size(0)}, torch::kFloat64)) < 1e-12);
            QVERIFY(maxDiff(r, r.t()) < 1e-12);
        }
    }

    /// addTriple gives, bit for bit, what three accumulators fed one by one give, with the
    /// minibatch estimator (Grams shared) and the full one (fed in turn), skips included.
    void tripleEqualsThreeAccumulators() {
        const std::vector<torch::Tensor> ha = hiddenOf("ringformer_tiny"),
                                         hb = hiddenOf("vit_tiny");
        const int64_t la = int64_t(ha.size()), lb = int64_t(hb.size());
        for (CkaEstimator e : {CkaEstimator::Minibatch, CkaEstimator::Full}) {
            CkaOptions o;
            o.estimator = e;
            CkaAccumulator aa(o, la, 0, true), bb(o, lb, 0, true), ab(o, la, lb);
            CkaAccumulator aaRef(o, la, 0, true), bbRef(o, lb, 0, true), abRef(o, la, lb);
            for (int64_t s : {0, 5, 13}) { // batches of 5, 8 and 3 (skipped by the minibatch one)
                const int64_t count = s == 0 ? 5 : s == 5 ? 8 : 3;
                addTriple(aa, bb, ab, slice(ha, s, count), slice(hb, s, count));
                aaRef.add(slice(ha, s, count));
                bbRef.add(slice(hb, s, count));
                abRef.add(slice(ha, s, count), slice(hb, s, count));
            }
            QVERIFY(torch::equal(aa.result(), aaRef.result()));
            QVERIFY(torch::equal(bb.result(), bbRef.result()));
            QVERIFY(torch::equal(ab.result(), abRef.result()));
            QCOMPARE(ab.examples(), abRef.examples());
            QCOMPARE(aa.skippedExamples(), aaRef.skippedExamples());
        }
        CkaAccumulator aa(CkaOptions{}, la, 0, true), bb(CkaOptions{}, lb, 0, true),
            ab(CkaOptions{}, la, lb);
        QVERIFY_EXCEPTION_THROWN(addTriple(aa, bb, ab, ha, slice(hb, 0, 8)), std::invalid_argument);
    }

    void mismatchedInputsAreRejected() {
        const std::vector<torch::Tensor> h = hiddenOf("vit_tiny");
        CkaAccumulator acc(CkaOptions{}, int64_t(h.size()), int64_t(h.size()));
        QVERIFY_EXCEPTION_THROWN(acc.add(h, slice(h, 0, 8)),
                                 std::invalid_argument);                     // 16 vs 8 examples
        QVERIFY_EXCEPTION_THROWN(acc.add(h, {h[0]}), std::invalid_argument); // 3 vs 1 applications
        QVERIFY_EXCEPTION_THROWN(acc.result(), std::logic_error);            // nothing added
        CkaAccumulator small(CkaOptions{}, int64_t(h.size()), int64_t(h.size()));
        small.add(slice(h, 0, 3), slice(h, 0, 3)); // too few for the unbiased estimator: skipped
        QCOMPARE(small.skippedExamples(), int64_t(3));
        QVERIFY_EXCEPTION_THROWN(parseKernel("cosine"), std::invalid_argument);
    }

    /// Streaming over a data source gives what one accumulation over the same examples gives.
    void streamingOverData() {
        DataSource src = openDataSource("npy:" + ckaFixture("cka_shared.input.npy"));
        LoadedModel a =
            loadModel(test::fixturesDir() + "/vit_tiny.bin", LoadOptions{4, {}, {}, {}});
        LoadedModel b =
            loadModel(test::fixturesDir() + "/ringformer_tiny.bin", LoadOptions{4, {}, {}, {}});
        BatchStream stream(src, 8);
        int64_t lastDone = 0;
        RunControl control;
        control.progress = [&](int64_t done, int64_t total) {
            QCOMPARE(total, int64_t(16));
            lastDone = done;
        };
        CkaOptions o; // minibatch, linear, flatten
        const CkaRun run = ckaOverData({a.model.get(), a.metadata.inputSpec()},
                                       {b.model.get(), b.metadata.inputSpec()}, stream, o, control);
        QCOMPARE(lastDone, int64_t(16));
        QCOMPARE(run.examples, int64_t(16));
        std::ifstream in(ckaFixture("cka_shared.json"));
        const nlohmann::json ref = nlohmann::json::parse(in);
        for (const auto& pair : ref["pairs"])
            if (pair["a"] == "vit_tiny" && pair["b"] == "ringformer_tiny")
                QVERIFY(maxDiff(run.cka, fromJson(pair["minibatch_flatten"])) < 1e-5);
        // One pass for A x A, B x B and A x B gives what three separate runs give.
        const CkaRun aa = ckaOverData({a.model.get(), a.metadata.inputSpec()}, {}, stream, o);
        const CkaTripleRun triple =
            ckaTripleOverData({a.model.get(), a.metadata.inputSpec()},
                              {b.model.get(), b.metadata.inputSpec()}, stream, o);
        QVERIFY(maxDiff(triple.ab, run.cka) < 1e-12);
        QVERIFY(maxDiff(triple.aa, aa.cka) < 1e-12);
        QCOMPARE(triple.bb.size(0), b.model->config().depth);
        // Cancelled at once: no result, flagged.
        control.cancel = [] { return true; };
        const CkaRun stopped =
            ckaOverData({a.model.get(), a.metadata.inputSpec()}, {}, stream, o, control);
        QVERIFY(stopped.cancelled);
        QVERIFY(!stopped.cka.defined());
    }
};

QTEST_GUILESS_MAIN(TestCka)
#include "TestCka.moc"
