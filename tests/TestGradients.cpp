// clipGradientNorm and clearGradients against libtorch's clip_grad_norm_ and zero_grad: the
// same norm and scaled gradients, the same gradients after a backward, and a norm that does not
// depend on the number of threads.
#include "TestSupport.h"

#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/train/Gradients.h"

#include <QtTest>

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/types.h>

#include <cmath>
#include <limits>

using namespace ringscope;

namespace {

/// Parameters of a few shapes (one larger than a block of the sum), with gradients scaled by
/// `gain`; the third gradient is a transposed (non-contiguous) view, the last parameter has none.
std::vector<torch::Tensor> withGradients(double gain) {
    torch::manual_seed(31);
    std::vector<torch::Tensor> ps = {torch::randn({100003}), torch::randn({13, 7}),
                                     torch::randn({6, 4}), torch::randn({3})};
    for (auto& p : ps)
        p.requires_grad_(true);
    ps[0].mutable_grad() = torch::randn({100003}) * gain;
    ps[1].mutable_grad() = torch::randn({13, 7}) * gain;
    ps[2].mutable_grad() = (torch::randn({4, 6}) * gain).t();
    return ps;
}

double squares(const torch::Tensor& t) {
    return t.to(torch::kFloat64).square().sum().item<double>();
}

std::vector<torch::Tensor> gradients(const std::vector<torch::Tensor>& ps) {
    std::vector<torch::Tensor> out;
    for (const auto& p : ps)
        out.push_back(p.grad().defined() ? p.grad().clone() : torch::Tensor());
    return out;
}

} // namespace

class TestGradients : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { configureThreads(0); }

    void clipMatchesTorch_data() {
        QTest::addColumn<double>("gain");
        QTest::addColumn<double>("maxNorm");
        QTest::newRow("clipped") << 1.0 << 1.0;          // norm about 317: every gradient scaled
        QTest::newRow("under the limit") << 1e-3 << 1.0; // norm about 0.32: left as they are
    }
    void clipMatchesTorch() {
        QFETCH(double, gain);
        QFETCH(double, maxNorm);
        std::vector<torch::Tensor> ours = withGradients(gain), ref = withGradients(gain);
        const std::vector<torch::Tensor> before = gradients(ours);
        const double norm = clipGradientNorm(ours, maxNorm);
        const double refNorm = torch::nn::utils::clip_grad_norm_(ref, maxNorm);
        QVERIFY2(std::abs(norm - refNorm) <= 1e-6 * refNorm,
                 (std::to_string(norm) + " vs " + std::to_string(refNorm)).c_str());
        const double expected =
            std::sqrt(squares(before[0]) + squares(before[1]) + squares(before[2]));
        QVERIFY(std::abs(norm - expected) <= 1e-12 * expected);
        for (size_t i = 0; i < 3; ++i)
            QVERIFY2(torch::allclose(ours[i].grad(), ref[i].grad(), 1e-6, 0.0),
                     std::to_string(i).c_str());
        if (norm < maxNorm) {
            for (size_t i = 0; i < 3; ++i)
                QVERIFY(torch::equal(ours[i].grad(), before[i])); // untouched, bit for bit
        } else {
            const double after = std::sqrt(squares(ours[0].grad()) + squares(ours[1].grad()) +
                                           squares(ours[2].grad()));
            QVERIFY(std::abs(after - maxNorm) < 1e-5);
        }
        QVERIFY(!ours[3].grad().defined());
    }

    /// A non-finite gradient scales as torch's clip scales it: an infinite norm zeroes the
    /// finite gradients, a NaN norm makes every gradient NaN.
    void nonFiniteNormAsTorch_data() {
        QTest::addColumn<float>("bad");
        QTest::newRow("inf") << std::numeric_limits<float>::infinity();
        QTest::newRow("nan") << std::numeric_limits<float>::quiet_NaN();
    }
    void nonFiniteNormAsTorch() {
        QFETCH(float, bad);
        std::vector<torch::Tensor> ours = withGradients(1.0), ref = withGradients(1.0);
        ours[1].grad()[0][0] = bad;
        ref[1].grad()[0][0] = bad;
        const double norm = clipGradientNorm(ours, 1.0);
        QCOMPARE(std::isnan(norm), std::isnan(bad));
        torch::nn::utils::clip_grad_norm_(ref, 1.0);
        for (size_t i = 0; i < 3; ++i)
            QVERIFY(torch::allclose(ours[i].grad(), ref[i].grad(), 0.0, 0.0, true));
        QCOMPARE(ours[0].grad().isnan().all().item<bool>(), std::isnan(bad));
    }

    void noGradientsNormZero() {
        std::vector<torch::Tensor> ps = {torch::randn({4}).requires_grad_(true)};
        QCOMPARE(clipGradientNorm(ps, 1.0), 0.0);
    }

    /// The sum runs over fixed blocks: one thread and all threads give the same bits.
    void normIndependentOfThreads() {
        std::vector<torch::Tensor> a = withGradients(1.0), b = withGradients(1.0);
        const int threads = at::get_num_threads();
        at::set_num_threads(1);
        const double one = clipGradientNorm(a, 1e9);
        at::set_num_threads(std::max(2, threads));
        const double all = clipGradientNorm(b, 1e9);
        at::set_num_threads(threads);
        QCOMPARE(one, all);
    }

    /// Cleared gradients: the next backward stores exactly what zero_grad plus the backward's
    /// accumulation would, and a second backward accumulates onto it.
    void clearThenBackwardAsZeroGrad() {
        torch::manual_seed(32);
        torch::Tensor w = torch::randn({8, 5}).requires_grad_(true), x = torch::randn({3, 8});
        auto loss = [&] { return x.mm(w).tanh().sum(); };
        loss().backward(); // a stale gradient to drop
        const std::vector<torch::Tensor> params{w};
        clearGradients(params);
        QVERIFY(!w.grad().defined());
        loss().backward();
        const torch::Tensor once = w.grad().clone();
        loss().backward();
        torch::Tensor ref = torch::zeros_like(w);
        ref += torch::autograd::grad({loss()}, {w})[0];
        QVERIFY(torch::equal(once, ref));
        ref += torch::autograd::grad({loss()}, {w})[0];
        QVERIFY(torch::equal(w.grad(), ref));
    }
};

QTEST_GUILESS_MAIN(TestGradients)
#include "TestGradients.moc"
