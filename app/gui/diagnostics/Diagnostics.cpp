#include <torch/types.h>

#include "diagnostics/Diagnostics.h"

#include "AppStartup.h"
#include "MainWindow.h"
#include "diagnostics/AppBenchmark.h"
#include "diagnostics/AppSoak.h"
#include "diagnostics/SmokeTest.h"
#include "jobs/BackgroundJob.h"
#include "views/ClassifyView.h"
#include "views/CkaView.h"
#include "views/DepthView.h"
#include "views/FaithfulnessView.h"
#include "views/LevelsView.h"
#include "views/MadView.h"
#include "views/TrainView.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QTimer>

#include <algorithm>
#include <iostream>

namespace ringscope::gui {

void Diagnostics::addOptions(QCommandLineParser& parser) {
    parser.addOption(
        {"screenshot", "Save a screenshot of the window to FILE after DELAY ms and quit.", "FILE"});
    parser.addOption(
        {"delay", "Milliseconds before --screenshot (default 3000).", "DELAY", "3000"});
    parser.addOption(
        {"benchmark",
         "Print launch, scrubbing and CKA timings as JSON and quit: on the demo models, or on "
         "the checkpoints named (ringscope --benchmark A.pt B.pt)."});
    parser.addOption({"benchmark-open",
                      "Open FILE into slot A of an empty window; print the time, peak memory and "
                      "longest GUI-thread stall as JSON and quit.",
                      "FILE"});
    parser.addOption(
        {"smoke-test",
         "Check that the demo models load and their attention maps are drawn; print JSON and "
         "quit with status 0 (1 on failure)."});
    parser.addOption(
        {"soak",
         "Soak check: step through N images (written from Fashion-MNIST), then close and reopen "
         "slot B --soak-cycles times; print resident memory as JSON and quit with status 0 when "
         "it stayed flat (2 when not).",
         "N"});
    parser.addOption({"soak-cycles", "Open/close cycles of --soak (default 200).", "M", "200"});
}

Diagnostics::Diagnostics(MainWindow& window, const QCommandLineParser& parser,
                         QElapsedTimer sinceStart)
    : window_(window), parser_(parser) {
    if (parser.isSet("benchmark")) benchmark_ = std::make_unique<AppBenchmark>(window, sinceStart);
    if (parser.isSet("benchmark-open"))
        openBenchmark_ = std::make_unique<OpenBenchmark>(window, parser.value("benchmark-open"));
    if (parser.isSet("smoke-test")) {
        if (resourceDir().isEmpty()) {
            std::cerr << "ringscope --smoke-test: the bundled demo models were not found next to "
                      << QCoreApplication::applicationDirPath().toStdString() << "\n";
            ok_ = false;
            return;
        }
        smokeTest_ = std::make_unique<SmokeTest>(window, 120000);
    }
    if (parser.isSet("soak")) {
        SoakOptions o;
        o.images = std::max(1, parser.value("soak").toInt());
        o.cycles = std::max(0, parser.value("soak-cycles").toInt());
        o.every = std::max(1, std::min(500, o.images / 20));
        soak_ = std::make_unique<AppSoak>(window, o);
    }
}

Diagnostics::~Diagnostics() = default;

void Diagnostics::start() {
    if (parser_.isSet("screenshot"))
        QTimer::singleShot(parser_.value("delay").toInt(), &window_, [this] { takeScreenshot(); });
}

void Diagnostics::takeScreenshot() {
    const QString file = parser_.value("screenshot"), view = parser_.value("view");
    MainWindow& window = window_;
    auto shoot = [&window, file] {
        if (!window.grab().save(file)) std::cerr << "cannot write " << file.toStdString() << "\n";
        QApplication::quit();
    };
    BackgroundJob* job = view == "cka"            ? &window.ckaView().job()
                         : view == "mad"          ? &window.madView().job()
                         : view == "levels"       ? &window.levelsView().job()
                         : view == "depth"        ? &window.depthView().job()
                         : view == "faithfulness" ? &window.faithfulnessView().job()
                                                  : nullptr;
    if (view == "classify" && window.classifyView().job().running())
        job = &window.classifyView().job();
    if (view == "train") {
        // A short run, so that the curves have something to show.
        TrainRequest r = window.trainView().request();
        r.family = "vit";
        r.hidden = 64;
        r.mlp = 256;
        r.limit = 6000;
        r.holdout = 1000;
        r.epochs = 4;
        r.out = (QDir::tempPath() + "/ringscope-screenshot-run.pt").toStdString();
        window.trainView().setRequest(r);
        job = &window.trainView().job();
        window.trainView().start();
    }
    if (!job) return shoot();
    QObject::connect(job, &BackgroundJob::finished, &window,
                     [shoot] { QTimer::singleShot(500, shoot); });
    if (view == "cka")
        window.ckaView().run();
    else if (view == "mad")
        window.madView().run();
    else if (view == "levels")
        window.levelsView().run();
    else if (view == "depth")
        window.depthView().run();
    else if (view == "faithfulness")
        window.faithfulnessView().run();
}

} // namespace ringscope::gui
