// The desktop app driven through its API and synthesised events: opening checkpoints (API and
// drop), the application slider changes the shown map to that application's data, a hostile
// checkpoint shows an error while the app keeps working, the view exports.
#include "TestSupport.h"

#include "ringscope/model/io/Npy.h"
#include "ringscope/analysis/Attribution.h"
#include "ringscope/analysis/Studies.h"
#include "ringscope/model/data/ImageTensor.h"
#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/checkpoint/Checkpoint.h"
#include "ringscope/model/io/Sha256.h"

#include <torch/types.h>

#include "AttentionOverlay.h"
#include "views/AttentionView.h"
#include "jobs/BackgroundJob.h"
#include "views/ApplicationSlider.h"
#include "views/CkaView.h"
#include "views/DepthView.h"
#include "views/FaithfulnessView.h"
#include "views/ClassifyView.h"
#include "views/InspectorView.h"
#include "views/LevelsView.h"
#include "views/MadView.h"
#include "views/BundleExport.h"
#include "views/TrainView.h"
#include "HeatmapPlot.h"
#include "LinePlot.h"
#include "FigureExport.h"
#include "AppStartup.h"
#include "MainWindow.h"
#include "MessageBar.h"
#include "document/FileInspection.h"
#include "document/Workspace.h"

#include <QComboBox>
#include <QCommandLineParser>
#include <QLineEdit>
#include <QPushButton>
#include <QDir>
#include <QDropEvent>
#include <QMimeData>
#include <QSignalSpy>
#include <QSlider>
#include <QTableWidget>
#include <QTreeWidget>
#include <QtTest>

#include <set>

using namespace ringscope::gui;

namespace {

QString example() {
    return QString::fromStdString(ringscope::test::sourceDir()) +
           "/resources/examples/ringformer_tiny.ringscope.pt";
}
QString imageFile(const QString& name) {
    return QString::fromStdString(ringscope::test::sourceDir()) + "/resources/images/" + name;
}

/// The ten bundled Fashion-MNIST images.
QStringList bundledImages() {
    QStringList images;
    for (const QString& f : QDir(imageFile("")).entryList({"*.png"}, QDir::Files))
        images << imageFile(f);
    return images;
}

/// Opens a checkpoint into `slot` and waits until it is there.
bool openAndWait(MainWindow& w, int slot, const QString& path) {
    QSignalSpy loaded(&w.workspace(), &Workspace::modelChanged);
    w.openCheckpoint(slot, path);
    return loaded.wait(20000);
}

/// Waits until the view has drawn a map for every loaded model.
bool waitForMaps(MainWindow& w, int panels) {
    return QTest::qWaitFor(
        [&] {
            QCoreApplication::processEvents();
            const auto& p = w.attentionView().overlay().panels();
            if (int(p.size()) != panels) return false;
            for (const auto& panel : p)
                if (panel.map.empty()) return false;
            return true;
        },
        20000);
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        // All cores, as the app's main() and ringscope-cli set them: the views' numbers are
        // compared with the CLI's, and a reduction split over another thread count rounds
        // differently (an exit depth at a threshold, or a tie in a patch ranking, can flip).
        ringscope::configureThreads();
        QCoreApplication::setOrganizationName("RingScopeTest");
        QCoreApplication::setApplicationName("TestMainWindow");
    }

    void openThroughApiAndScrub() {
        MainWindow w;
        w.show();
        QSignalSpy loaded(&w.workspace(), &Workspace::modelChanged);
        w.openCheckpoint(0, example());
        QVERIFY(loaded.wait(20000));
        QCOMPARE(w.workspace().addImages({imageFile("sneaker.png"), imageFile("trouser.png")}), 2);
        QVERIFY(waitForMaps(w, 1));
        const ImageAnalysis* r = w.workspace().analysis(0, 0);
        QVERIFY(r);
        QCOMPARE(w.attentionView().overlay().panels()[0].map, r->queryMap(0, kHeadMean, 0));

        // Moving the slider shows the selected application's map.
        w.attentionView().applicationSlider().setValue(2);
        QCOMPARE(w.workspace().application(), 2);
        QTRY_COMPARE(w.attentionView().overlay().panels()[0].map, r->queryMap(2, kHeadMean, 0));
        QVERIFY(r->queryMap(2, kHeadMean, 0) != r->queryMap(0, kHeadMean, 0));
        // One head, then a clicked query patch.
        w.workspace().setHead(1);
        QTRY_COMPARE(w.attentionView().overlay().panels()[0].map, r->queryMap(2, 1, 0));
        w.workspace().setQuery(5);
        QTRY_COMPARE(w.attentionView().overlay().panels()[0].map, r->queryMap(2, 1, 5));
        QCOMPARE(w.attentionView().overlay().panels()[0].highlightedPatch, 4);
        // Rollout and all heads.
        w.workspace().setRollout(true);
        QTRY_COMPARE(w.attentionView().overlay().panels()[0].map, r->rolloutMap(2, 5));
        w.workspace().setRollout(false);
        w.workspace().setHead(kAllHeads);
        QTRY_COMPARE(int(w.attentionView().overlay().panels().size()), r->heads);

        // The inspector lists every tensor once, grouped, with the model's parameter count.
        QTreeWidget& tree = w.inspectorView().tree();
        QTRY_VERIFY(tree.topLevelItemCount() > 0);
        long long total = 0;
        int tensors = 0;
        for (int g = 0; g < tree.topLevelItemCount(); ++g)
            for (int c = 0; c < tree.topLevelItem(g)->childCount(); ++c) {
                total += tree.topLevelItem(g)->child(c)->text(2).toLongLong();
                ++tensors;
            }
        QCOMPARE(total, w.workspace().model(0)->facts().parameters);
        QCOMPARE(tensors, int(w.workspace().model(0)->parameterStats().size()));
        // Selecting a tensor draws its histogram, computed on a worker: 60 bars that count
        // every value of the tensor once.
        QTreeWidgetItem* leaf = tree.topLevelItem(0)->child(0);
        tree.setCurrentItem(tree.topLevelItem(tree.topLevelItemCount() - 1)->child(0));
        tree.setCurrentItem(leaf);
        ringscope::plots::PlotBase& histogram = w.inspectorView().histogramPlot();
        QTRY_VERIFY(!w.inspectorView().histogramJob().running() &&
                    histogram.plottableCount() == 1 &&
                    histogram.figureTitle().contains(leaf->text(0)));
        auto* bars = qobject_cast<QCPBars*>(histogram.plottable(0));
        QVERIFY(bars);
        double counted = 0;
        for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it)
            counted += it->value;
        QCOMPARE(bars->data()->size(), 60);
        QCOMPARE(qint64(counted), leaf->text(2).toLongLong());

        // "Export comparison": every view's figures and numbers with a manifest.
        const QString bundle =
            QString::fromStdString(ringscope::test::makeTempDir("gui")) + "/comparison";
        QCOMPARE(w.exportBundle(bundle, true), QString());
        for (const char* f :
             {"attention.png", "attention.svg", "attention.pdf", "attention.npy", "attention.csv",
              "shown_map.npy", "query_maps.npy", "entropy.csv", "comparison.json", "manifest.json"})
            QVERIFY2(QFile::exists(bundle + "/" + f), f);
        QFile manifest(bundle + "/manifest.json");
        QVERIFY(manifest.open(QIODevice::ReadOnly));
        const QByteArray text = manifest.readAll();
        QVERIFY(text.contains(
            QByteArray::fromStdString(ringscope::sha256OfFile(example().toStdString()))));
        QVERIFY(text.contains("sneaker.png"));
        QVERIFY(text.contains("\"program\": \"ringscope\"")); // the app, not ringscope-cli
        QCOMPARE(ringscope::loadNpy((bundle + "/attention.npy").toStdString()).size(0),
                 int64_t(r->applications));

        const QString png =
            QString::fromStdString(ringscope::test::makeTempDir("gui")) + "/view.png";
        ringscope::plots::ExportOptions o;
        o.width = 1000;
        o.height = 600;
        QCOMPARE(ringscope::plots::exportFigure(w.attentionView().overlay(), png, o), QString());
        QCOMPARE(QImage(png).size(), QSize(1000, 600));
    }

    /// CKA from the app: A x A over the fixture batch equals the analysis library's result;
    /// a cancelled run reports it and keeps the previous result.
    /// A file that does not say its heads is read once on a worker; the question comes back,
    /// the answer builds the model from what was read; a cancelled question opens nothing.
    void askedWhatTheFileDoesNotSay() {
        MainWindow w;
        QList<OpenQuestion> asked;
        std::optional<OpenAnswers> reply = OpenAnswers{};
        reply->heads = 4;
        w.setAnswerProvider([&](const QString&, const OpenQuestion& q) {
            asked << q;
            return reply;
        });
        QSignalSpy loaded(&w.workspace(), &Workspace::modelChanged);
        QSignalSpy failed(&w.workspace(), &Workspace::modelLoadFailed);
        const QString bare =
            QString::fromStdString(ringscope::test::fixturesDir()) + "/vit_tiny.state_dict.pt";
        w.openCheckpoint(0, bare);
        QVERIFY(loaded.wait(20000));
        QCOMPARE(asked.size(), 1);
        QVERIFY(asked[0].heads);
        QCOMPARE(asked[0].headsGuess, 1); // d = 64: one head of 64 channels suggested
        QVERIFY(asked[0].readings.empty());
        QCOMPARE(w.workspace().model(0)->facts().heads, 4);
        QCOMPARE(w.workspace().model(0)->facts().headsSource, std::string("--heads option"));

        reply.reset(); // the user cancels: nothing opens, nothing fails
        w.openCheckpoint(1, bare);
        QTRY_COMPARE_WITH_TIMEOUT(asked.size(), 2, 20000);
        QTest::qWait(50);
        QVERIFY(!w.workspace().model(1));
        QVERIFY(!w.workspace().isLoading(1));
        QCOMPARE(failed.count(), 0);
    }

    void ckaRunsAndCancels() {
        MainWindow w;
        QSignalSpy loaded(&w.workspace(), &Workspace::modelChanged);
        w.openCheckpoint(0, example());
        QVERIFY(loaded.wait(20000));
        CkaView& view = w.ckaView();
        view.setDataSpec("npy:" + QString::fromStdString(ringscope::test::fixturesDir()) +
                         "/cka/cka_shared.input.npy");
        view.setImageCount(16);
        QSignalSpy done(&view.job(), &BackgroundJob::finished);
        view.run();
        QVERIFY(done.wait(30000));
        const torch::Tensor aa = view.result()->aa;
        QCOMPARE(aa.size(0), int64_t(3));
        for (int i = 0; i < 3; ++i)
            QVERIFY(std::abs(aa[i][i].item<double>() - 1.0) < 1e-9);
        QCOMPARE(view.heatmap(0).rows(), 3);
        QCOMPARE(view.heatmap(0).value(0, 1), aa[0][1].item<double>());

        // The export holds the numbers with the settings of their run, even after the pickers
        // changed, under the names `ringscope-cli analyze cka` writes.
        view.findChild<QComboBox*>("kernel")->setCurrentText("rbf");
        const QString dir =
            QString::fromStdString(ringscope::test::makeTempDir("gui")) + "/cka-view";
        QCOMPARE(ringscope::gui::writeBundle(w.workspace(), {&view}, dir, "view"), QString());
        QVERIFY(torch::equal(ringscope::loadNpy((dir + "/cka.npy").toStdString()), aa));
        const nlohmann::json manifest = nlohmann::json::parse(
            ringscope::test::readBytes((dir + "/manifest.json").toStdString()));
        QCOMPARE(manifest["analyses"]["cka"]["kernel"].get<std::string>(), std::string("linear"));
        QCOMPARE(manifest["settings"]["examples"].get<int64_t>(), int64_t(16));
        QVERIFY(QFile::exists(dir + "/cka.png"));

        if (!ringscope::test::hasFashionMnist()) QSKIP(ringscope::test::kNoFashionMnist);
        view.setDataSpec("fashion-mnist:test");
        view.setImageCount(10000);
        QSignalSpy cancelled(&view.job(), &BackgroundJob::cancelled);
        view.run();
        QVERIFY(view.job().running());
        view.job().cancel();
        QVERIFY(cancelled.wait(60000));
        QVERIFY(torch::equal(view.result()->aa, aa)); // the last good result stays
    }

    /// One depth for the whole window: the per-image analyses run it (a ViT stops at its
    /// layers), the slider runs past T and says so, and the depth view's export has the names
    /// and numbers of `ringscope-cli analyze depth` on the same models and images.
    void depthBeyondTrainingEverywhere() {
        MainWindow w;
        const QString vit = QString::fromStdString(ringscope::test::sourceDir()) +
                            "/resources/models/vit.ringscope.pt";
        QVERIFY(openAndWait(w, 0, example()));
        QVERIFY(openAndWait(w, 1, vit));
        Workspace& ws = w.workspace();
        QCOMPARE(ws.addImages({imageFile("sneaker.png")}), 1);
        ws.setCurrentImage(0);
        const int T = ws.model(0)->facts().applications, L = ws.model(1)->facts().applications;
        ws.setDepth({T + 3, "cycle"});
        QCOMPARE(ws.maxApplications(), std::max(T + 3, L));
        QTRY_VERIFY_WITH_TIMEOUT(ws.analysis(0, 0) && ws.analysis(1, 0), 20000);
        QCOMPARE(ws.analysis(0, 0)->applications, T + 3);
        QCOMPARE(ws.analysis(1, 0)->applications, std::min(L, T + 3));
        QCOMPARE(ws.analysis(0, 0)->latentStep.size(), size_t((T + 3) * ws.analysis(0, 0)->tokens));
        ApplicationSlider& slider = w.attentionView().applicationControl();
        ws.setApplication(T + 1);
        QVERIFY(slider.beyondTrained());
        QVERIFY2(slider.text().contains(QString("A beyond trained %1, cycle").arg(T)),
                 qPrintable(slider.text()));
        ws.setApplication(0);
        QVERIFY(!slider.beyondTrained());

        DepthView& view = w.depthView();
        const QString images = imageFile("");
        view.setDataSpec("folder:" + images);
        view.setImageCount(10);
        view.maxApplications().setValue(T + 2);
        QSignalSpy done(&view.job(), &BackgroundJob::finished);
        view.run();
        QVERIFY(done.wait(60000));
        const ringscope::analysis::DepthStudy& study = *view.result();
        QCOMPARE(study.runs.size(), size_t(2));
        QCOMPARE(study.runs[0].size(), size_t(2)); // repeat-last and cycle beyond T
        QCOMPARE(study.runs[1][0].policy, std::string("trained"));
        QCOMPARE(view.tokens().panels().size(), size_t(2));
        const std::string dir = ringscope::test::makeTempDir("gui") + "/depth-view";
        QCOMPARE(writeBundle(ws, {&view}, QString::fromStdString(dir), "view"), QString());
        const std::string cliDir = ringscope::test::makeTempDir("gui") + "/depth-cli";
        const auto r =
            ringscope::test::runCli({"analyze", "depth", example().toStdString(), vit.toStdString(),
                                     "--data", "folder:" + images.toStdString(), "--max-iterations",
                                     std::to_string(T + 2), "--out", cliDir});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto arrays = [](const std::string& file) {
            std::set<std::string> names;
            const nlohmann::json results = nlohmann::json::parse(ringscope::test::readBytes(file));
            for (const auto& [name, info] : results["arrays"].items())
                if (name.rfind("latent_step_tokens", 0) != 0) names.insert(name);
            return names;
        };
        QCOMPARE(arrays(dir + "/view.json"), arrays(cliDir + "/depth.json"));
        for (const char* stem : {"latent_step", "kl_b", "head_js", "exit_depth"})
            QVERIFY2(torch::allclose(ringscope::loadNpy(dir + "/" + stem + ".npy"),
                                     ringscope::loadNpy(cliDir + "/" + stem + ".npy")),
                     stem);
        QVERIFY(QFile::exists(QString::fromStdString(dir + "/latent_step_tokens.npy")));
    }

    /// GAE in the attention view: the map of analysis::attribute on the image, the class
    /// picker, what each application adds, the export under `analyze attribution`'s names;
    /// the faithfulness view's export under `analyze faithfulness`'s.
    void gaeAndFaithfulness() {
        MainWindow w;
        QVERIFY(openAndWait(w, 0, example()));
        Workspace& ws = w.workspace();
        QCOMPARE(ws.addImages({imageFile("bag.png")}), 1);
        ws.setCurrentImage(0);
        ws.setGae(true);
        QTRY_VERIFY_WITH_TIMEOUT(ws.analysis(0, 0) && !ws.analysis(0, 0)->gae.empty(), 20000);
        const ringscope::LoadedModel& loaded = ws.model(0)->loaded();
        const torch::Tensor input =
            ringscope::preprocessImage(ws.image(0).pixels->clone(), loaded.metadata.inputSpec())
                .unsqueeze(0);
        const auto expected = ringscope::analysis::attribute(
            *loaded.model, input, ringscope::analysis::AttributionMethod::Gae);
        const ImageAnalysis& r = *ws.analysis(0, 0);
        QVERIFY(torch::allclose(torch::tensor(r.gae, torch::kFloat64),
                                expected.map[0].to(torch::kFloat64), 1e-5, 1e-7));
        QCOMPARE(r.gaeClass, int(expected.target[0].item<int64_t>()));
        QCOMPARE(r.gaeContribution(1).size(), size_t(r.grid * r.grid));
        QTRY_COMPARE_WITH_TIMEOUT(w.attentionView().overlay().panels().size(), size_t(2), 10000);
        const int patches =
            r.grid * r.grid; // `r` lives in the cache, which the class change empties
        ws.setGaeClass(3);
        QTRY_VERIFY_WITH_TIMEOUT(ws.analysis(0, 0) && ws.analysis(0, 0)->gaeClass == 3, 20000);
        const std::string dir = ringscope::test::makeTempDir("gui") + "/gae";
        QCOMPARE(writeBundle(ws, {&w.attentionView()}, QString::fromStdString(dir), "view"),
                 QString());
        QCOMPARE(ringscope::loadNpy(dir + "/attribution.npy").sizes().vec(),
                 (std::vector<int64_t>{1, patches}));

        FaithfulnessView& view = w.faithfulnessView();
        const QString images = imageFile("");
        view.setDataSpec("folder:" + images);
        view.setImageCount(4);
        view.steps().setValue(3);
        QSignalSpy done(&view.job(), &BackgroundJob::finished);
        view.run();
        QVERIFY(done.wait(60000));
        QCOMPARE(view.result()->runs.at(0).deletion.sizes().vec(), (std::vector<int64_t>{3, 4, 4}));
        QCOMPARE(view.deletion().seriesCount(), 3);
        const std::string viewDir = ringscope::test::makeTempDir("gui") + "/faithfulness";
        QCOMPARE(writeBundle(ws, {&view}, QString::fromStdString(viewDir), "view"), QString());
        const std::string cliDir = ringscope::test::makeTempDir("gui") + "/faithfulness-cli";
        const auto run = ringscope::test::runCli(
            {"analyze", "faithfulness", example().toStdString(), "--data",
             "folder:" + images.toStdString(), "--limit", "4", "--steps", "3", "--out", cliDir});
        QVERIFY2(run.exitCode == 0, run.err.c_str());
        for (const char* stem : {"deletion", "insertion_auc", "deletion_curve"})
            QVERIFY2(torch::allclose(ringscope::loadNpy(viewDir + "/" + stem + ".npy"),
                                     ringscope::loadNpy(cliDir + "/" + stem + ".npy"), 1e-5, 1e-7),
                     stem);
    }

    /// Checkpoints named on the command line take slots A and B (`ringscope --benchmark A B`
    /// measures them), in order, instead of the demo models.
    void namedCheckpointsTakeTheSlots() {
        const QString vit = QString::fromStdString(ringscope::test::sourceDir()) +
                            "/resources/models/vit.ringscope.pt";
        QCommandLineParser parser;
        addStartupOptions(parser);
        parser.process(QStringList{"ringscope", vit, example()});
        MainWindow w;
        QSignalSpy loaded(&w.workspace(), &Workspace::modelChanged);
        applyStartupOptions(w, parser, true);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 20000);
        QCOMPARE(QString::fromStdString(w.workspace().model(0)->facts().path), vit);
        QCOMPARE(QString::fromStdString(w.workspace().model(1)->facts().path), example());
    }

    /// --heads N answers for the bare state dicts named on the command line: no dialog asks,
    /// the model has N heads; a question about any other file still goes to the dialog.
    void headsOptionAnswersForTheNamedFiles() {
        const QString bare =
            QString::fromStdString(ringscope::test::fixturesDir()) + "/vit_tiny.state_dict.pt";
        QCommandLineParser parser;
        addStartupOptions(parser);
        parser.process(QStringList{"ringscope", "--heads", "4", bare});
        MainWindow w;
        int dialogs = 0;
        w.setAnswerProvider([&](const QString&, const OpenQuestion&) {
            ++dialogs;
            return std::optional<OpenAnswers>();
        });
        QSignalSpy loaded(&w.workspace(), &Workspace::modelChanged);
        applyStartupOptions(w, parser, false);
        QVERIFY(loaded.wait(20000));
        QCOMPARE(dialogs, 0);
        QCOMPARE(w.workspace().model(0)->facts().heads, 4);

        OpenQuestion q;
        q.heads = true;
        q.headsGuess = 1;
        QVERIFY(!w.answerProvider()("elsewhere.pt", q)); // the dialog's cancel
        QCOMPARE(dialogs, 1);
        QCOMPARE(w.answerProvider()(bare, q)->heads, std::optional<int>(4));
        QCOMPARE(dialogs, 1);
    }

    /// Classify: one row per image, the models' top classes, the probabilities of the single
    /// forward pass; MAD from the app equals the fixture's mean over its two images.
    void classifyAndMad() {
        MainWindow w;
        QSignalSpy loaded(&w.workspace(), &Workspace::modelChanged);
        w.openCheckpoint(0, example());
        w.openCheckpoint(1, example());
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 20000);
        QSignalSpy classified(&w.classifyView().job(), &BackgroundJob::finished);
        QCOMPARE(w.workspace().addImages(
                     {imageFile("sneaker.png"), imageFile("bag.png"), imageFile("dress.png")}),
                 3);
        QVERIFY(classified.wait(30000));
        QTableWidget& table = w.classifyView().table();
        QCOMPARE(table.rowCount(), 3);
        QCOMPARE(table.columnCount(), 3);
        QCOMPARE(w.classifyView().disagreements(), 0);
        QTRY_VERIFY(w.workspace().analysis(0, 1) != nullptr);
        const ImageAnalysis* r = w.workspace().analysis(0, 1);
        const auto best = std::max_element(r->probabilities.begin(), r->probabilities.end()) -
                          r->probabilities.begin();
        const QString expected = QString("%1 %2%")
                                     .arg(QString::fromStdString(
                                         w.workspace().model(0)->facts().classNames[size_t(best)]))
                                     .arg(100.0 * r->probabilities[size_t(best)], 0, 'f', 1);
        QVERIFY2(table.item(1, 1)->text().startsWith(expected),
                 qPrintable(table.item(1, 1)->text() + " vs " + expected));

        // Level signals of the RingFormer: its ratios per signal and level, the low-rank norms
        // of its weights.
        QSignalSpy levelsDone(&w.levelsView().job(), &BackgroundJob::finished);
        w.levelsView().setDataSpec("npy:" + QString::fromStdString(ringscope::test::fixturesDir()) +
                                   "/ringformer_tiny.input.npy");
        w.levelsView().run();
        QVERIFY(levelsDone.wait(30000));
        const ringscope::analysis::LevelsStudy& lv = *w.levelsView().result();
        QCOMPARE(lv.examples, int64_t(2));
        QCOMPARE(lv.runs.front().signalRatioMean.size(0), int64_t(4));
        QCOMPARE(lv.runs.front().signalRatioMean.size(1),
                 int64_t(w.workspace().model(0)->facts().applications));
        QCOMPARE(lv.runs.front().relativeUpdateMean.size(0),
                 int64_t(w.workspace().model(0)->facts().applications));
        QVERIFY(lv.lowRank.front()->frobenius[0][0].item<double>() > 0);

        MadView& mad = w.madView();
        mad.setDataSpec("npy:" + QString::fromStdString(ringscope::test::fixturesDir()) +
                        "/ringformer_tiny.input.npy");
        mad.setImageCount(2);
        QSignalSpy done(&mad.job(), &BackgroundJob::finished);
        mad.run();
        QVERIFY(done.wait(30000));
        QCOMPARE(int(mad.result()->mad.size()), 2);
        const torch::Tensor ref =
            ringscope::loadNpy(ringscope::test::fixturesDir() + "/ringformer_tiny.mad.npy")
                .mean(1); // [A, H]
        const torch::Tensor m = mad.result()->mad[0].mean(1);
        QCOMPARE(m.sizes(), ref.sizes());
        QVERIFY((m - ref.to(torch::kFloat64)).abs().max().item<double>() < 1e-3);

        // The three views export under the command line's names (B's arrays end in _b).
        const QString dir =
            QString::fromStdString(ringscope::test::makeTempDir("gui")) + "/data-views";
        QCOMPARE(ringscope::gui::writeBundle(
                     w.workspace(), {&w.levelsView(), &mad, &w.classifyView()}, dir, "comparison"),
                 QString());
        for (const char* f :
             {"mad.npy", "mad_mean.csv", "mad_b.npy", "mad_std_b.npy", "relative_update.npy",
              "update_cosine_b.npy", "signal_ratio.npy", "lowrank_frobenius_b.npy",
              "probabilities.npy", "probabilities_b.npy", "mad.png", "dynamics.svg", "signals.pdf"})
            QVERIFY2(QFile::exists(dir + "/" + f), f);
        QVERIFY(torch::equal(ringscope::loadNpy((dir + "/mad_b.npy").toStdString()),
                             mad.result()->mad[1]));
    }

    /// The Inspector opens any tensor file RingScope can read: a safetensors file of another
    /// architecture shows its tensors with statistics and says why it does not run; a timm ViT
    /// is named as the model it is.
    void inspectorOpensAnyTensorFile() {
        MainWindow w;
        InspectorView& view = w.inspectorView();
        const std::string file = ringscope::test::makeTempDir("inspect") + "/bert.safetensors";
        ringscope::StateDict weights;
        weights.set("bert.embeddings.word", torch::arange(12, torch::kFloat32).reshape({3, 4}));
        weights.set("bert.pooler.bias", torch::full({5}, 2.0));
        ringscope::saveSafeTensors(file, weights, nlohmann::json());
        QSignalSpy done(&view.job(), &BackgroundJob::finished);
        view.inspectFile(QString::fromStdString(file));
        QVERIFY(done.wait(20000));
        QVERIFY(view.file() != nullptr);
        QVERIFY(!view.file()->runnable());
        QVERIFY2(view.file()->verdict().find("match none") != std::string::npos,
                 view.file()->verdict().c_str());
        QCOMPARE(int(view.file()->stats().size()), 2);
        QCOMPARE(view.file()->stats()[0].mean, 5.5);
        QCOMPARE(view.file()->stats()[0].max, 11.0);
        int leaves = 0;
        for (int g = 0; g < view.tree().topLevelItemCount(); ++g)
            leaves += view.tree().topLevelItem(g)->childCount();
        QCOMPARE(leaves, 2);
        const std::vector<double> h = view.file()->histogram("bert.embeddings.word", 4);
        QCOMPARE(h, (std::vector<double>{3, 3, 3, 3}));

        view.inspectFile(QString::fromStdString(ringscope::test::timmFixturesDir() +
                                                "/timm_deit_distilled_tiny.pth"));
        QVERIFY(done.wait(20000));
        QVERIFY(view.file()->runnable());
        QVERIFY2(view.file()->verdict().find("DeiT") != std::string::npos,
                 view.file()->verdict().c_str());

        // A model's input normalisation is shown with its source, and can be changed: the
        // model reopens with it.
        QSignalSpy loaded(&w.workspace(), &Workspace::modelChanged);
        w.openCheckpoint(0, QString::fromStdString(ringscope::test::timmFixturesDir() +
                                                   "/hf_vit_tiny/model.safetensors"));
        QVERIFY(loaded.wait(20000));
        view.showSlot(0);
        auto* mean = view.findChild<QLineEdit*>("mean");
        auto* spread = view.findChild<QLineEdit*>("std");
        QVERIFY(mean && spread);
        QCOMPARE(mean->text(), QString("0.5, 0.5, 0.5"));
        mean->setText("0.4, 0.3, 0.2");
        spread->setText("0.25");
        view.findChild<QPushButton*>("applyNormalization")->click();
        QVERIFY(loaded.wait(20000));
        const ModelFacts& f = w.workspace().model(0)->facts();
        QCOMPARE(f.mean, (std::vector<double>{0.4, 0.3, 0.2}));
        QCOMPARE(f.std, (std::vector<double>{0.25}));
        QCOMPARE(f.normalizationSource, std::string("given"));
        QCOMPARE(f.heads, 4);
    }

    /// The app trains with the command line's plan: its checkpoint records the data split and
    /// the recipe that `ringscope-cli train --resume` reads.
    void appTrainingRecordsItsData() {
        const std::string root = ringscope::test::makeTempDir("train") + "/images";
        for (const auto& [label, names] :
             {std::pair{"shoes", std::vector<std::string>{"sneaker", "sandal", "ankle_boot"}},
              std::pair{"tops", std::vector<std::string>{"tshirt", "shirt", "coat"}}}) {
            QDir().mkpath(QString::fromStdString(root + "/" + label));
            for (const std::string& n : names)
                QFile::copy(imageFile(QString::fromStdString(n + ".png")),
                            QString::fromStdString(root + "/" + label + "/" + n + ".png"));
        }
        TrainRequest r = TrainRequest::withDefaultRecipe();
        r.family = "vit";
        r.hidden = 16;
        r.heads = 2;
        r.mlp = 32;
        r.depth = 1;
        r.patch = 7;
        r.data = "folder:" + root;
        r.holdout = 2;
        r.epochs = 1;
        r.batch = 4;
        r.adamw = true;
        r.weightDecay = 0.05;
        r.out = ringscope::test::makeTempDir("train") + "/app.pt";
        TrainFeed feed;
        const TrainOutcome outcome = runTraining(r, feed, {});
        QCOMPARE(outcome.epochsDone, 1LL);
        const ringscope::LoadedModel saved = ringscope::loadModel(r.out);
        const nlohmann::json& extra = saved.metadata.extra;
        QCOMPARE(extra["train_data"]["data"].get<std::string>(), r.data);
        QCOMPARE(extra["train_data"]["holdout"].get<int64_t>(), int64_t(2));
        QVERIFY(extra["train_options"]["adamw"].get<bool>());
        QCOMPARE(saved.model->config().classes, int64_t(2));
        QVERIFY(!feed.take().empty());
    }

    /// Training from the app: live updates, the result opens into a slot; cancelling after an
    /// epoch keeps that epoch's checkpoint, which opens.
    void trainAndCancel() {
        if (!ringscope::test::hasFashionMnist()) QSKIP(ringscope::test::kNoFashionMnist);
        MainWindow w;
        TrainView& view = w.trainView();
        TrainRequest r;
        r.family = "vit";
        r.hidden = 32;
        r.heads = 2;
        r.mlp = 64;
        r.depth = 2;
        r.patch = 7;
        r.limit = 600;
        r.holdout = 100;
        r.epochs = 2;
        r.batch = 50;
        r.out = ringscope::test::makeTempDir("train") + "/vit.pt";
        view.setRequest(r);
        QSignalSpy loaded(&w.workspace(), &Workspace::modelChanged);
        QSignalSpy done(&view.job(), &BackgroundJob::finished);
        view.start();
        QVERIFY(done.wait(120000));
        QCOMPARE(view.outcome().epochsDone, 2LL);
        QVERIFY(loaded.wait(20000));
        QCOMPARE(QString::fromStdString(w.workspace().model(1)->facts().path),
                 QString::fromStdString(r.out));
        QCOMPARE(w.workspace().model(1)->checkpointFacts().history.size(), size_t(2));

        r.epochs = 200;
        r.out = ringscope::test::makeTempDir("train") + "/long.pt";
        view.setRequest(r);
        QSignalSpy cancelled(&view.job(), &BackgroundJob::cancelled);
        QSignalSpy progress(&view.job(), &BackgroundJob::progress);
        view.start();
        // One epoch is 10 steps: cancel in the middle of the second.
        QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().first().toLongLong() >= 15,
                                 120000);
        view.job().cancel();
        QVERIFY(cancelled.wait(60000));
        QVERIFY(view.outcome().cancelled);
        QVERIFY(view.outcome().epochsDone >= 1);
        QCOMPARE(view.outcome().checkpoint, r.out);
        QVERIFY(loaded.wait(20000));
        const int slot = loaded.last().first().toInt(); // the free slot A
        QCOMPARE(slot, 0);
        QCOMPARE(QString::fromStdString(w.workspace().model(slot)->facts().path),
                 QString::fromStdString(r.out));
    }

    void dropOpensCheckpointAndImages() {
        MainWindow w;
        w.show();
        QSignalSpy loaded(&w.workspace(), &Workspace::modelChanged);
        auto* mime = new QMimeData;
        mime->setUrls({QUrl::fromLocalFile(example()), QUrl::fromLocalFile(imageFile("bag.png"))});
        QDropEvent drop(QPointF(100, 100), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, mime, Qt::LeftButton,
                              Qt::NoModifier);
        QApplication::sendEvent(&w, &enter);
        QVERIFY(enter.isAccepted());
        QApplication::sendEvent(&w, &drop);
        QVERIFY(drop.isAccepted());
        QVERIFY(loaded.count() > 0 || loaded.wait(20000));
        QCOMPARE(loaded.first().first().toInt(), 0);
        QTRY_COMPARE(w.workspace().imageCount(), 1); // decoded on a worker
        QVERIFY(waitForMaps(w, 1));
        delete mime;
    }

    /// Browsing more images than the analysis cache holds: the cache stays within its budget,
    /// and an image whose analysis was evicted is computed again, to the same numbers.
    void browsingStaysWithinTheCacheBudget() {
        MainWindow w;
        w.show();
        Workspace& ws = w.workspace();
        QVERIFY(openAndWait(w, 0, example()));
        const QStringList images = bundledImages();
        QCOMPARE(images.size(), 10);
        QCOMPARE(ws.addImages(images), 10);
        QVERIFY(waitForMaps(w, 1));
        const std::vector<float> first = ws.analysis(0, 0)->attention;
        const size_t one = AnalysisCache::bytesOf(*ws.analysis(0, 0));
        ws.analysisCache().setBudget(3 * one);
        for (int i = 1; i < images.size(); ++i) {
            ws.setCurrentImage(i);
            QTRY_VERIFY_WITH_TIMEOUT(ws.analysis(0, i) != nullptr, 20000);
            QVERIFY(ws.analysisCache().bytes() <= 3 * one);
        }
        QCOMPARE(ws.analysisCache().size(), 3);
        QVERIFY(!ws.analysisCache().find(0, 0));
        ws.setCurrentImage(0);
        QTRY_VERIFY_WITH_TIMEOUT(ws.analysis(0, 0) != nullptr, 20000);
        QCOMPARE(ws.analysis(0, 0)->attention, first);
        QVERIFY(waitForMaps(w, 1));
    }

    void hostileCheckpointShowsErrorAndAppKeepsWorking() {
        const QString dir = QString::fromStdString(ringscope::test::makeTempDir("gui"));
        const QString hostile = dir + "/evil.pt";
        // A protocol-2 pickle calling os.system("echo"): the length comes from the literal.
        static const char evil[] = "\x80\x02"
                                   "cos\nsystem\nX\x04\x00\x00\x00"
                                   "echo\x85R.";
        ringscope::test::writeBytes(hostile.toStdString(), std::string(evil, sizeof evil - 1));
        MainWindow w;
        w.show();
        QSignalSpy failed(&w.workspace(), &Workspace::modelLoadFailed);
        w.openCheckpoint(0, hostile);
        QTRY_VERIFY(!w.messageBar().text().isEmpty());
        QVERIFY2(w.messageBar().text().contains("evil.pt"), qPrintable(w.messageBar().text()));
        QVERIFY2(w.messageBar().text().contains("os"), qPrintable(w.messageBar().text()));
        QVERIFY(!w.workspace().model(0));
        // A broken image is reported too, and a good checkpoint still opens.
        ringscope::test::writeBytes((dir + "/broken.png").toStdString(), "\x89PNG\r\n\x1a\nbroken");
        QCOMPARE(w.workspace().addImages({dir + "/broken.png", imageFile("coat.png")}), 1);
        QVERIFY(w.messageBar().text().contains("broken.png"));
        QSignalSpy loaded(&w.workspace(), &Workspace::modelChanged);
        w.openCheckpoint(0, example());
        QVERIFY(loaded.wait(20000));
        QVERIFY(waitForMaps(w, 1));
    }

    /// Latest request wins: moving through nine images faster than they can be analysed
    /// computes the one the user stops at, not every one on the way; coming back to a skipped
    /// image computes it then.
    void supersededImageRequestsAreDropped() {
        MainWindow w;
        w.show();
        Workspace& ws = w.workspace();
        QVERIFY(openAndWait(w, 0, example()));
        const QStringList images = bundledImages();
        QCOMPARE(ws.addImages(images), 10);
        QVERIFY(waitForMaps(w, 1));
        QSignalSpy ready(&ws, &Workspace::analysisReady);
        for (int i = 1; i < 10; ++i) {
            ws.setCurrentImage(i);
            QVERIFY(ws.analysis(0, i) == nullptr); // requested
        }
        QTRY_VERIFY_WITH_TIMEOUT(ws.analysis(0, 9) != nullptr, 20000);
        QTest::qWait(500); // anything still running finishes
        QVERIFY2(ready.count() < 9, qPrintable(QString::number(ready.count())));
        int skipped = 1;
        while (skipped < 9 && ws.analysisCache().find(0, skipped))
            ++skipped;
        QVERIFY(skipped < 9);
        ws.setCurrentImage(skipped);
        QTRY_VERIFY_WITH_TIMEOUT(ws.analysis(0, skipped) != nullptr, 20000);
    }

    /// The window's images are decoded on a worker: nothing is added before the event loop
    /// runs, then all of them in order, a broken one reported by name; images still being read
    /// when the strip is cleared are dropped.
    void imagesLoadOffTheGuiThread() {
        MainWindow w;
        Workspace& ws = w.workspace();
        const QString dir = QString::fromStdString(ringscope::test::makeTempDir("images"));
        ringscope::test::writeBytes((dir + "/broken.png").toStdString(), "\x89PNG\r\n\x1a\nbroken");
        QSignalSpy problems(&ws, &Workspace::problem);
        ws.loadImages({imageFile("coat.png"), dir + "/broken.png", imageFile("bag.png")});
        QCOMPARE(ws.imageCount(), 0);
        QTRY_COMPARE(ws.imageCount(), 2);
        QCOMPARE(ws.image(0).name, QString("coat.png"));
        QCOMPARE(ws.image(1).name, QString("bag.png"));
        QCOMPARE(problems.count(), 1);
        QVERIFY(problems.first().first().toString().contains("broken.png"));
        ws.loadImages({imageFile("dress.png")});
        ws.clearImages();
        QTest::qWait(300);
        QCOMPARE(ws.imageCount(), 0);
    }
};

QTEST_MAIN(TestMainWindow)
#include "TestMainWindow.moc"
