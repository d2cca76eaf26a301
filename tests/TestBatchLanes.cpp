// trainingPass: a training step's forward and backward as concurrent lanes gives the gradient
// of one pass over the batch, is reproducible with dropout, and hands a lane's error back;
// patchEmbedding (which lets lanes run without oneDNN's convolution) equals the convolution.
#include "TestSupport.h"

#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/nets/ModelFactory.h"
#include "ringscope/model/train/BatchLanes.h"

#include <QtTest>

#include <torch/types.h>

using namespace ringscope;

namespace {

ModelConfig smallConfig(Family family, double dropout = 0.0) {
    ModelConfig c = test::smallModelConfig(family);
    c.dropout = dropout;
    return c;
}

/// The model's trainable parameters, each with a gradient slot.
std::vector<torch::Tensor> trainable(const VisionModel& model) {
    std::vector<torch::Tensor> params = model.trainableParameters();
    for (auto& p : params)
        p.requires_grad_(true);
    return params;
}

/// The gradients of `params` (cloned), which are then dropped.
std::vector<torch::Tensor> takeGradients(std::vector<torch::Tensor>& params) {
    std::vector<torch::Tensor> out;
    for (auto& p : params) {
        out.push_back(p.grad().defined() ? p.grad().clone() : torch::Tensor());
        p.mutable_grad() = torch::Tensor();
    }
    return out;
}

double maxDiff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    double worst = 0.0;
    for (size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
    return worst;
}

LaneOptions lanes(int n) {
    LaneOptions o;
    o.lanes = n;
    o.labelSmoothing = 0.1;
    o.lossScale = 0.5;
    return o;
}

} // namespace

class TestBatchLanes : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { configureThreads(2); }

    void lanesGiveTheBatchGradient_data() {
        QTest::addColumn<int>("family");
        QTest::newRow("vit") << int(Family::ViT);
        QTest::newRow("owf") << int(Family::OWF);
        QTest::newRow("uit") << int(Family::UiT);
        QTest::newRow("ringformer") << int(Family::RingFormer);
    }
    /// Two and three lanes against one pass: the same loss, logits and gradients to float
    /// rounding (the shared block's gradients of UiT and RingFormer included).
    void lanesGiveTheBatchGradient() {
        QFETCH(int, family);
        auto model = createModel(smallConfig(Family(family)), 3);
        std::vector<torch::Tensor> params = trainable(*model);
        torch::manual_seed(4);
        {
            torch::NoGradGuard noGrad; // signals that count
            for (const std::string& name : model->weights().names())
                if (name.find("lev_embed") != std::string::npos)
                    model->weights().at(name).normal_(0.0, 0.05);
        }
        const torch::Tensor images = torch::randn({37, 3, 20, 20});
        const torch::Tensor labels = torch::randint(0, 7, {37}, torch::kInt64);
        ForwardOptions train;
        train.train = true;
        const TrainingPassResult one = trainingPass(*model, images, labels, train, lanes(1));
        const std::vector<torch::Tensor> reference = takeGradients(params);
        for (int n : {2, 3}) {
            QCOMPARE(trainingLanes(37, lanes(n)), n);
            const TrainingPassResult many = trainingPass(*model, images, labels, train, lanes(n));
            QVERIFY(std::abs(many.loss - one.loss) < 1e-6);
            QVERIFY((many.logits - one.logits).abs().max().item<double>() < 1e-5);
            QVERIFY(!many.logits.requires_grad());
            QCOMPARE(many.laneMs.size(), size_t(n));
            for (double ms : many.laneMs)
                QVERIFY(ms > 0.0);
            QVERIFY(laneIdleMs(many) >= 0.0);
            const std::vector<torch::Tensor> grads = takeGradients(params);
            QVERIFY2(maxDiff(grads, reference) < 1e-6,
                     std::to_string(maxDiff(grads, reference)).c_str());
        }
        QCOMPARE(one.laneMs.size(), size_t(1));
        QCOMPARE(laneIdleMs(one), 0.0);
        // No more lanes than one per 8 images.
        QCOMPARE(trainingLanes(15, lanes(4)), 1);
        QCOMPARE(trainingLanes(16, lanes(4)), 2);
    }

    /// With dropout, each lane draws from a generator seeded from the caller's: the same seed
    /// gives the same bits, another seed other gradients.
    void dropoutLanesAreReproducible() {
        auto model = createModel(smallConfig(Family::ViT, 0.2), 5);
        std::vector<torch::Tensor> params = trainable(*model);
        torch::manual_seed(6);
        const torch::Tensor images = torch::randn({32, 3, 20, 20});
        const torch::Tensor labels = torch::randint(0, 7, {32}, torch::kInt64);
        auto run = [&](uint64_t seed) {
            ForwardOptions train;
            train.train = true;
            train.generator = at::make_generator<at::CPUGeneratorImpl>(seed);
            trainingPass(*model, images, labels, train, lanes(2));
            return takeGradients(params);
        };
        const auto a = run(11), b = run(11), c = run(12);
        for (size_t i = 0; i < a.size(); ++i)
            QVERIFY(torch::equal(a[i], b[i]));
        QVERIFY(maxDiff(a, c) > 1e-4);
    }

    /// The idle time at the join: the slowest lane's time less the lanes' mean.
    void laneIdleIsTheSlowestLanesLead() {
        TrainingPassResult r;
        QCOMPARE(laneIdleMs(r), 0.0);
        r.laneMs = {10.0, 20.0, 30.0};
        QCOMPARE(laneIdleMs(r), 10.0);
        r.laneMs = {250.0, 250.0};
        QCOMPARE(laneIdleMs(r), 0.0);
        r.laneMs = {400.0, 460.0};
        QCOMPARE(laneIdleMs(r), 30.0);
    }

    /// A lane's error reaches the caller after all lanes ended.
    void laneErrorsAreRethrown() {
        auto model = createModel(smallConfig(Family::ViT), 7);
        std::vector<torch::Tensor> params = trainable(*model);
        const torch::Tensor images = torch::randn({32, 3, 20, 20});
        const torch::Tensor badLabels = torch::full({32}, 9, torch::kInt64); // 7 classes
        ForwardOptions train;
        train.train = true;
        QVERIFY_EXCEPTION_THROWN(trainingPass(*model, images, badLabels, train, lanes(2)),
                                 c10::Error);
    }

    /// The patch embedding as one product equals the convolution, a remainder dropped.
    void patchEmbeddingIsTheConvolution() {
        torch::manual_seed(8);
        const torch::Tensor weight = torch::randn({10, 3, 4, 4}), bias = torch::randn({10});
        for (int64_t side : {20, 22}) {
            const torch::Tensor images = torch::randn({2, 3, side, side});
            const torch::Tensor conv =
                torch::conv2d(images, weight, bias, {4, 4}).flatten(2).transpose(1, 2);
            const torch::Tensor mine = patchEmbedding(images, weight, bias);
            QCOMPARE(mine.sizes(), conv.sizes());
            QVERIFY((mine - conv).abs().max().item<double>() < 1e-5);
        }
    }
};

QTEST_APPLESS_MAIN(TestBatchLanes)
#include "TestBatchLanes.moc"
