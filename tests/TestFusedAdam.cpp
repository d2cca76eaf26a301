// FusedAdam and FusedAdamW against torch::optim::Adam and AdamW: the same parameters and
// moments after several steps, the same state objects, and torch's own step where the fused
// pass does not apply.
#include "TestSupport.h"

#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/train/FusedAdam.h"

#include <QtTest>

#include <torch/serialize.h>
#include <torch/types.h>

#include <sstream>

using namespace ringscope;

namespace {

/// Parameters of a few shapes (one large enough to split over the threads); the last one gets
/// no gradient.
std::vector<torch::Tensor> makeParams() {
    torch::manual_seed(21);
    std::vector<torch::Tensor> ps = {torch::randn({70000}), torch::randn({13, 7}),
                                     torch::randn({5}), torch::randn({3, 3})};
    for (auto& p : ps)
        p.requires_grad_(true);
    return ps;
}

/// Runs `steps` steps with the same pseudo-random gradients; returns parameters then moments.
template <class Opt, class State, class Options>
std::vector<torch::Tensor> run(const Options& options, int steps) {
    std::vector<torch::Tensor> ps = makeParams();
    Opt opt(ps, options);
    torch::manual_seed(22);
    for (int s = 0; s < steps; ++s) {
        for (size_t i = 0; i + 1 < ps.size(); ++i)
            ps[i].mutable_grad() = torch::randn_like(ps[i]) * (1.0 + s);
        opt.step();
    }
    std::vector<torch::Tensor> out;
    for (const auto& p : ps)
        out.push_back(p.detach().clone());
    for (size_t i = 0; i + 1 < ps.size(); ++i) {
        const auto& st =
            static_cast<State&>(*opt.state().at(c10::guts::to_string(ps[i].unsafeGetTensorImpl())));
        if (st.step() != steps) return {};
        out.push_back(st.exp_avg().clone());
        out.push_back(st.exp_avg_sq().clone());
    }
    // No gradient: no state, parameter untouched.
    if (opt.state().count(c10::guts::to_string(ps.back().unsafeGetTensorImpl())) != 0) return {};
    return out;
}

/// Largest difference of each pair of tensors relative to the largest value of the second.
double maxRelative(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    double worst = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        const double scale = std::max(b[i].abs().max().item<double>(), 1e-30);
        worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>() / scale);
    }
    return worst;
}

} // namespace

class TestFusedAdam : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { configureThreads(0); }

    void adamMatchesTorch() {
        const auto options = torch::optim::AdamOptions(3e-3).weight_decay(0.05);
        const auto ours = run<FusedAdam, torch::optim::AdamParamState>(options, 6);
        const auto ref = run<torch::optim::Adam, torch::optim::AdamParamState>(options, 6);
        QCOMPARE(ours.size(), size_t(4 + 6));
        QCOMPARE(ref.size(), ours.size());
        const double err = maxRelative(ours, ref);
        QVERIFY2(err < 1e-6, std::to_string(err).c_str());
        QVERIFY(torch::equal(ours[3], makeParams()[3])); // no gradient, no change
        QVERIFY(!torch::equal(ours[0], makeParams()[0]));
    }

    void adamWMatchesTorch() {
        const auto options = torch::optim::AdamWOptions(3e-3).weight_decay(0.1);
        const auto ours = run<FusedAdamW, torch::optim::AdamWParamState>(options, 6);
        const auto ref = run<torch::optim::AdamW, torch::optim::AdamWParamState>(options, 6);
        QCOMPARE(ours.size(), size_t(4 + 6));
        const double err = maxRelative(ours, ref);
        QVERIFY2(err < 1e-6, std::to_string(err).c_str());
    }

    /// amsgrad is torch's own step, bit for bit.
    void amsgradIsTorchsStep() {
        const auto options = torch::optim::AdamOptions(3e-3).amsgrad(true);
        const auto ours = run<FusedAdam, torch::optim::AdamParamState>(options, 3);
        const auto ref = run<torch::optim::Adam, torch::optim::AdamParamState>(options, 3);
        QCOMPARE(ours.size(), ref.size());
        for (size_t i = 0; i < ours.size(); ++i)
            QVERIFY(torch::equal(ours[i], ref[i]));
    }

    /// The state serializes as torch's does: a restored optimizer continues exactly.
    void stateRoundTrip() {
        std::vector<torch::Tensor> a = makeParams(), b = makeParams();
        FusedAdam first(a, torch::optim::AdamOptions(1e-2));
        for (int s = 0; s < 3; ++s) {
            a[0].mutable_grad() = torch::full_like(a[0], 0.5 + s);
            first.step();
        }
        std::stringstream archive;
        torch::save(first, archive);
        for (size_t i = 0; i < a.size(); ++i)
            b[i].detach().copy_(a[i].detach());
        FusedAdam second(b, torch::optim::AdamOptions(1e-2));
        torch::load(second, archive);
        a[0].mutable_grad() = torch::full_like(a[0], -1.0);
        b[0].mutable_grad() = torch::full_like(b[0], -1.0);
        first.step();
        second.step();
        QVERIFY(torch::equal(a[0], b[0]));
    }
};

QTEST_GUILESS_MAIN(TestFusedAdam)
#include "TestFusedAdam.moc"
