// Training on real Fashion-MNIST images: the loss falls, accuracy beats chance, runs are
// deterministic, cancelling keeps the last good checkpoint.
#include "TestSupport.h"

#include "ringscope/model/Augment.h"
#include "ringscope/model/Error.h"
#include "ringscope/model/IdxDataset.h"
#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/ModelFactory.h"
#include "ringscope/model/Runtime.h"
#include "ringscope/model/SubsetDataset.h"
#include "ringscope/model/Trainer.h"

#include <QtTest>

#include <torch/types.h>

#include <cmath>
#include <filesystem>

using namespace ringscope;

namespace {

ModelConfig tinyConfig(Family family) {
    ModelConfig c;
    c.family = family;
    c.encoding = family == Family::UiT ? LevelEncoding::Static : LevelEncoding::None;
    c.imageSize = 28;
    c.patch = 7;
    c.hidden = 32;
    c.heads = 2;
    c.mlp = 64;
    c.depth = 2;
    c.rank = 4;
    c.classes = 10;
    return c;
}

TrainOptions quickOptions() {
    TrainOptions o;
    o.epochs = 3;
    o.batchSize = 50;
    o.lr = 3e-3;
    o.warmupEpochs = 0.5;
    o.augment = false;
    o.seed = 7;
    return o;
}

ModelMetadata fashionMeta(const ModelConfig& c) {
    ModelMetadata m;
    m.config = c;
    m.classNames = fashionMnistClassNames();
    m.dataset = "fashion-mnist";
    return m;
}

} // namespace

class TestTrainer : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<InMemoryDataset> train_, test_;
    std::unique_ptr<SubsetDataset> trainPart_, testPart_;
    std::string dir_;

private Q_SLOTS:
    void initTestCase() {
        configureThreads();
        if (!std::filesystem::exists(defaultFashionMnistDir())) QSKIP("dataset-fashion-mnist is not installed");
        train_ = loadFashionMnist("train");
        test_ = loadFashionMnist("test");
        trainPart_ = SubsetDataset::first(*train_, 600);
        testPart_ = SubsetDataset::first(*test_, 300);
        dir_ = test::makeTempDir("train");
    }

    void scheduleShape() {
        QCOMPARE(scheduledLr(1.0, 0, 10, 110), 0.1);
        QCOMPARE(scheduledLr(1.0, 9, 10, 110), 1.0);
        QCOMPARE(scheduledLr(1.0, 10, 10, 110), 1.0);
        QVERIFY(std::abs(scheduledLr(1.0, 60, 10, 110) - 0.5) < 1e-12);
        QVERIFY(scheduledLr(1.0, 109, 10, 110) < 1e-3);
    }

    void augmentationIsDeterministic() {
        cv::Mat img = train_->get(0).image;
        cv::Mat a = randomResizedCrop(img, 28, 5), b = randomResizedCrop(img, 28, 5), c = randomResizedCrop(img, 28, 6);
        QCOMPARE(a.rows, 28);
        QCOMPARE(cv::norm(a, b, cv::NORM_INF), 0.0);
        QVERIFY(cv::norm(a, c, cv::NORM_INF) > 0.0);
    }

    void learnsFashionMnist() {
        const ModelConfig c = tinyConfig(Family::RingFormer);
        auto model = createModel(c, 7);
        const InputSpec spec = fashionMeta(c).inputSpec();
        const EvalResult before = evaluate(*model, *testPart_, spec);
        TrainOptions o = quickOptions();
        o.checkpointPath = dir_ + "/rf.pt";
        std::vector<TrainProgress> seen;
        TrainResult r = train(*model, *trainPart_, testPart_.get(), o, fashionMeta(c),
                              [&](const TrainProgress& p) { seen.push_back(p); });
        QCOMPARE(r.history.size(), size_t(3));
        QCOMPARE(r.steps, int64_t(36));
        QVERIFY2(r.history.back().trainLoss < r.history.front().trainLoss, "training loss did not fall");
        QVERIFY2(r.bestAccuracy > 0.4, std::to_string(r.bestAccuracy).c_str());  // chance is 0.1
        QVERIFY(before.accuracy < 0.3);
        QCOMPARE(seen.back().step, int64_t(36));
        QVERIFY(seen.back().epochEnd);

        // The best checkpoint reloads with the history and the same accuracy.
        LoadedModel back = loadModel(o.checkpointPath);
        QCOMPARE(back.metadata.classNames, fashionMnistClassNames());
        QCOMPARE(back.metadata.history.size(), size_t(r.bestEpoch));
        const EvalResult ev = evaluate(*back.model, *testPart_, back.metadata.inputSpec());
        QCOMPARE(ev.accuracy, r.bestAccuracy);
        QCOMPARE(ev.confusion.sum().item<int64_t>(), int64_t(300));
        QCOMPARE(ev.confusion.trace().item<int64_t>(), int64_t(std::lround(ev.accuracy * 300)));
    }

    void deterministicForASeed() {
        const ModelConfig c = tinyConfig(Family::ViT);
        TrainOptions o = quickOptions();
        o.epochs = 1;
        o.augment = true;
        auto a = createModel(c, 3), b = createModel(c, 3);
        train(*a, *trainPart_, nullptr, o, fashionMeta(c));
        train(*b, *trainPart_, nullptr, o, fashionMeta(c));
        for (const auto& [name, t] : a->weights()) QVERIFY2(torch::equal(t, b->weights().at(name)), name.c_str());
    }

    void cancelKeepsLastGoodCheckpoint() {
        const ModelConfig c = tinyConfig(Family::UiT);
        auto model = createModel(c, 1);
        TrainOptions o = quickOptions();
        o.checkpointPath = dir_ + "/uit.pt";
        int64_t steps = 0;
        TrainResult r = train(*model, *trainPart_, nullptr, o, fashionMeta(c), [&](const TrainProgress& p) { steps = p.step; },
                              [&] { return steps >= 18; });  // cancel in the middle of epoch 2
        QVERIFY(r.cancelled);
        QCOMPARE(r.history.size(), size_t(1));
        LoadedModel back = loadModel(o.checkpointPath);
        QCOMPARE(back.metadata.history.size(), size_t(1));
    }

    void rejectsMismatchedData() {
        ModelConfig c = tinyConfig(Family::ViT);
        c.classes = 5;
        auto model = createModel(c, 1);
        QVERIFY_EXCEPTION_THROWN(train(*model, *trainPart_, nullptr, quickOptions(), fashionMeta(c)), RingScopeError);
        QVERIFY_EXCEPTION_THROWN(evaluate(*model, *testPart_, InputSpec{}), RingScopeError);
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "TestTrainer.moc"
