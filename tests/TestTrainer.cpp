// Training on real Fashion-MNIST images: the loss falls, accuracy beats chance, runs are
// deterministic, cancelling keeps the last good checkpoint.
#include "TestSupport.h"

#include "ringscope/model/io/FileIO.h"
#include "ringscope/model/data/Augment.h"
#include "ringscope/model/checkpoint/Checkpoint.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/data/IdxDataset.h"
#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/nets/ModelFactory.h"
#include "ringscope/model/nets/ParameterLayout.h"
#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/io/Sha256.h"
#include "ringscope/model/data/SubsetDataset.h"
#include "ringscope/model/train/TrainPlan.h"
#include "ringscope/model/train/Trainer.h"

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
        dir_ = test::makeTempDir("train");
        if (!test::hasFashionMnist()) return; // the tests that need it skip one by one
        train_ = loadFashionMnist("train");
        test_ = loadFashionMnist("test");
        trainPart_ = SubsetDataset::first(*train_, 600);
        testPart_ = SubsetDataset::first(*test_, 300);
    }

    /// Every test that trains on Fashion-MNIST starts with this (scheduleShape and the SHA-256
    /// vectors need no data).
    void init() {
        const QByteArray name = QTest::currentTestFunction();
        if (name != "scheduleShape" && name != "sha256KnownValues" &&
            name != "planSplitsAndRecordsItsData" && !train_)
            QSKIP(test::kNoFashionMnist);
    }

    /// A training plan (the one both front ends use) on a folder of labelled images: the
    /// hold-out split, the model sized from the data, and checkpoints that record the split and
    /// the recipe, so that a resumed plan reads the same images and carries on.
    void planSplitsAndRecordsItsData() {
        const std::string root = dir_ + "/folder-data";
        const std::vector<std::string> shoes = {"sneaker", "sandal", "ankle_boot"},
                                       tops = {"tshirt", "shirt", "pullover", "coat"};
        for (const auto& [label, names] : {std::pair{"shoes", shoes}, std::pair{"tops", tops}}) {
            std::filesystem::create_directories(root + "/" + label);
            for (const std::string& n : names)
                std::filesystem::copy_file(test::sourceDir() + "/resources/images/" + n + ".png",
                                           root + "/" + label + "/" + n + ".png",
                                           std::filesystem::copy_options::overwrite_existing);
        }
        TrainData data;
        data.data = "folder:" + root;
        data.holdout = 2;
        TrainOptions o = quickOptions();
        o.epochs = 1;
        o.batchSize = 5;
        o.adamw = true;
        o.weightDecay = 0.05;
        o.checkpointPath = dir_ + "/plan.pt";
        o.lastCheckpointPath = dir_ + "/plan.last.pt";
        const auto configure = [](const Dataset& fit) {
            return configForData(tinyConfig(Family::RingFormer), fit);
        };
        TrainingPlan plan(data, configure, o);
        QCOMPARE(plan.sets().fit().size(), int64_t(5));
        QCOMPARE(plan.sets().validation()->size(), int64_t(2));
        QCOMPARE(plan.model().config().classes, int64_t(2));
        QCOMPARE(plan.model().config().imageSize, int64_t(28));
        const TrainResult r = plan.run();
        QCOMPARE(r.history.size(), size_t(1));

        const LoadedModel saved = loadModel(o.lastCheckpointPath);
        const TrainData stored = storedTrainData(saved.metadata);
        QCOMPARE(stored.data, data.data);
        QCOMPARE(stored.holdout.value_or(-1), int64_t(2));
        const TrainOptions recipe = storedRecipe(saved.metadata);
        QVERIFY(recipe.adamw);
        QCOMPARE(recipe.weightDecay, 0.05);
        QCOMPARE(saved.metadata.classNames, (std::vector<std::string>{"shoes", "tops"}));

        TrainOptions more = recipe;
        more.epochs = 2;
        more.checkpointPath = dir_ + "/plan2.pt";
        more.lastCheckpointPath.clear();
        TrainingPlan resumed(stored, saved, more);
        QVERIFY(resumed.resumed());
        const TrainResult r2 = resumed.run();
        QCOMPARE(r2.firstEpoch, int64_t(2));
        QCOMPARE(r2.history.size(), size_t(1));

        // Hold-out and validation source together, or a hold-out set of every image: refused.
        TrainData both = data;
        both.val = data.data;
        QVERIFY_EXCEPTION_THROWN(TrainSets{both}, RingScopeError);
        TrainData all = data;
        all.holdout = 7;
        QVERIFY_EXCEPTION_THROWN(TrainSets{all}, RingScopeError);
        // A model file without optimizer state cannot be resumed.
        const LoadedModel bare = loadModel(test::fixturesDir() + "/vit_tiny.state_dict.pt", [] {
            LoadOptions l;
            l.heads = 4;
            return l;
        }());
        QVERIFY_EXCEPTION_THROWN(requireResumable(bare), FileFormatError);
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
        cv::Mat a = randomResizedCrop(img, 28, 5), b = randomResizedCrop(img, 28, 5),
                c = randomResizedCrop(img, 28, 6);
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
        QVERIFY2(r.history.back().trainLoss < r.history.front().trainLoss,
                 "training loss did not fall");
        QVERIFY2(r.bestAccuracy > 0.4, std::to_string(r.bestAccuracy).c_str()); // chance is 0.1
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
        for (const auto& [name, t] : a->weights())
            QVERIFY2(torch::equal(t, b->weights().at(name)), name.c_str());
    }

    /// Dropout draws from the run's own generator: the process-wide one is left as it was, and
    /// drawing from it meanwhile does not change what training computes.
    void ownRandomGenerator() {
        ModelConfig c = tinyConfig(Family::ViT);
        c.dropout = 0.2;
        TrainOptions o = quickOptions();
        o.epochs = 1;
        torch::manual_seed(7);
        const torch::Tensor expected = torch::rand({8});
        torch::manual_seed(7);
        auto a = createModel(c, 3), b = createModel(c, 3);
        train(*a, *trainPart_, nullptr, o, fashionMeta(c));
        QVERIFY(torch::equal(torch::rand({8}), expected));
        train(*b, *trainPart_, nullptr, o, fashionMeta(c),
              [](const TrainProgress&) { (void)torch::rand({64}); });
        for (const auto& [name, t] : a->weights())
            QVERIFY2(torch::equal(t, b->weights().at(name)), name.c_str());
    }

    void cancelKeepsLastGoodCheckpoint() {
        const ModelConfig c = tinyConfig(Family::UiT);
        auto model = createModel(c, 1);
        TrainOptions o = quickOptions();
        o.checkpointPath = dir_ + "/uit.pt";
        int64_t steps = 0;
        TrainResult r = train(
            *model, *trainPart_, nullptr, o, fashionMeta(c),
            [&](const TrainProgress& p) { steps = p.step; },
            [&] { return steps >= 18; }); // cancel in the middle of epoch 2
        QVERIFY(r.cancelled);
        QCOMPARE(r.history.size(), size_t(1));
        LoadedModel back = loadModel(o.checkpointPath);
        QCOMPARE(back.metadata.history.size(), size_t(1));
    }

    /// Training 3 epochs in one go, or 1 epoch, a stop, and 2 more from the saved container,
    /// ends with the same parameters (with augmentation and dropout on).
    void resumeContinuesExactly() {
        ModelConfig c = tinyConfig(Family::RingFormer);
        c.dropout = 0.1;
        TrainOptions o = quickOptions();
        o.augment = true;
        o.adamw = true;
        o.weightDecay = 0.05;
        auto whole = createModel(c, 11);
        const TrainResult full = train(*whole, *trainPart_, testPart_.get(), o, fashionMeta(c));

        auto part = createModel(c, 11);
        TrainOptions first = o;
        first.lastCheckpointPath = dir_ + "/resume.last.pt";
        bool stop = false;
        const TrainResult r1 = train(
            *part, *trainPart_, testPart_.get(), first, fashionMeta(c),
            [&](const TrainProgress& p) { stop = stop || p.epochEnd; }, [&] { return stop; });
        QVERIFY(r1.cancelled);
        QCOMPARE(r1.history.size(), size_t(1));

        LoadedModel saved = loadModel(first.lastCheckpointPath);
        QVERIFY(saved.checkpoint.state.has_value());
        QCOMPARE(saved.checkpoint.state->epoch, int64_t(1));
        QCOMPARE(saved.checkpoint.state->globalStep, int64_t(12));
        TrainOptions rest = o;
        rest.resume = saved.checkpoint.state;
        const TrainResult r2 =
            train(*saved.model, *trainPart_, testPart_.get(), rest, saved.metadata);
        QCOMPARE(r2.firstEpoch, int64_t(2));
        QCOMPARE(r2.steps, full.steps);
        QCOMPARE(r2.history.size(), size_t(2));
        QCOMPARE(r2.history.back().valAccuracy, full.history.back().valAccuracy);
        double worst = 0;
        for (const auto& [name, t] : whole->weights())
            worst =
                std::max(worst, (t - saved.model->weights().at(name)).abs().max().item<double>());
        QVERIFY2(worst == 0.0, ("largest difference " + std::to_string(worst)).c_str());
    }

    /// The container keeps Adam's moments, steps, schedule and best accuracy bit for bit.
    void trainingContainerRoundTrip() {
        const ModelConfig c = tinyConfig(Family::ViT);
        auto model = createModel(c, 5);
        TrainOptions o = quickOptions();
        o.epochs = 1;
        o.checkpointPath = dir_ + "/container.pt";
        const TrainResult r = train(*model, *trainPart_, testPart_.get(), o, fashionMeta(c));
        Checkpoint ck = loadCheckpoint(o.checkpointPath);
        QVERIFY(ck.state.has_value());
        const TrainingState& st = *ck.state;
        QCOMPARE(st.epoch, int64_t(1));
        QCOMPARE(st.globalStep, r.steps);
        QCOMPARE(st.bestAccuracy, r.bestAccuracy);
        QCOMPARE(ck.training["best_acc"].get<double>(), r.bestAccuracy);
        QCOMPARE(st.scheduler["last_epoch"].get<int64_t>(), r.steps);
        QCOMPARE(st.group.initialLr, o.lr);
        const auto layout = parameterLayout(c);
        QCOMPARE(st.moments.size(), layout.size());
        int withState = 0;
        for (size_t i = 0; i < layout.size(); ++i) {
            const AdamMoments& m = st.moments[i];
            QCOMPARE(m.expAvg.defined(), layout[i].trainable);
            if (!m.expAvg.defined()) continue;
            ++withState;
            QCOMPARE(m.step, r.steps);
            QVERIFY(m.expAvg.sizes().equals(model->weights().at(layout[i].name).sizes()));
            QVERIFY(m.expAvgSq.min().item<float>() >= 0.0f);
        }
        QCOMPARE(withState, int(model->trainableParameters().size()));
        // Written again from what was read: the same bytes.
        const std::string again = dir_ + "/container2.pt";
        saveTrainingCheckpoint(again, ck.weights, ck.metadata, st);
        QCOMPARE(readWholeFile(again), readWholeFile(o.checkpointPath));
    }

    void resumeRejectsForeignState() {
        const ModelConfig c = tinyConfig(Family::ViT);
        auto model = createModel(c, 5);
        TrainOptions o = quickOptions();
        o.resume = TrainingState{};
        o.resume->moments.resize(3);
        QVERIFY_EXCEPTION_THROWN(train(*model, *trainPart_, nullptr, o, fashionMeta(c)),
                                 RingScopeError);
    }

    void sha256KnownValues() {
        Sha256 empty;
        QCOMPARE(empty.hexDigest(),
                 std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        Sha256 abc;
        abc.update("abc");
        QCOMPARE(abc.hexDigest(),
                 std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        Sha256 two; // 448-bit message: padding spills into a second block
        two.update("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
        QCOMPARE(two.hexDigest(),
                 std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        Sha256 million; // one million 'a's fed in uneven pieces
        const std::string chunk(999, 'a'), rest(1000, 'a');
        for (int i = 0; i < 1000; ++i)
            million.update(chunk);
        million.update(rest);
        QCOMPARE(million.hexDigest(),
                 std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    }

    void rejectsMismatchedData() {
        ModelConfig c = tinyConfig(Family::ViT);
        c.classes = 5;
        auto model = createModel(c, 1);
        QVERIFY_EXCEPTION_THROWN(
            train(*model, *trainPart_, nullptr, quickOptions(), fashionMeta(c)), RingScopeError);
        QVERIFY_EXCEPTION_THROWN(evaluate(*model, *testPart_, InputSpec{}), RingScopeError);
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "TestTrainer.moc"
