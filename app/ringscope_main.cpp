// ringscope: the desktop app. Opens the bundled demo models and images on first launch.
#include <torch/types.h>

#include "AppBenchmark.h"
#include "AppSoak.h"
#include "BackgroundJob.h"
#include "CkaView.h"
#include "LevelsView.h"
#include "ClassifyView.h"
#include "MadView.h"
#include "MainWindow.h"
#include "SmokeTest.h"
#include "TrainView.h"
#include "Workspace.h"

#include "ringscope/model/Runtime.h"
#include "ringscope/Version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QIcon>
#include <QTimer>

#include <iostream>
#include <memory>

namespace {

/// The resources folder: where the installers put it (share/ringscope beside bin/ on Linux and
/// Windows, Contents/Resources in a macOS bundle), else, in a build tree, next to the sources.
QString resourceDir() {
    const QString app = QCoreApplication::applicationDirPath();
    for (const QString& candidate : {app + "/../share/ringscope", app + "/../Resources", app + "/resources",
                                     QString(RINGSCOPE_SOURCE_RESOURCES)})
        if (QFileInfo::exists(candidate + "/images")) return QDir(candidate).absolutePath();
    return {};
}

} // namespace

int main(int argc, char** argv) {
    QElapsedTimer sinceStart;
    sinceStart.start();
    QApplication app(argc, argv);
    QApplication::setApplicationName("RingScope");
    QApplication::setOrganizationName("RingScope");
    QApplication::setApplicationVersion(ringscope::versionString());
    // The desktop entry's name (Wayland matches windows to it) and the window icon.
    QGuiApplication::setDesktopFileName("io.github.ringscope.RingScope");
    QIcon icon;
    for (int size : {16, 32, 48, 64, 128, 256}) icon.addFile(QString(":/icons/ringscope-%1.png").arg(size), QSize(size, size));
    QApplication::setWindowIcon(icon);
    QCommandLineParser parser;
    parser.setApplicationDescription("Workbench for looking inside weight-shared vision transformers");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption({"empty", "Start without the bundled demo models and images."});
    parser.addOption({"screenshot", "Save a screenshot of the window to FILE after DELAY ms and quit.", "FILE"});
    parser.addOption({"delay", "Milliseconds before --screenshot (default 3000).", "DELAY", "3000"});
    parser.addOption({"view", "Show this view first: attention, levels, cka, mad or classify (levels, cka and mad also compute).", "VIEW", "attention"});
    parser.addOption({"image", "Select image N of the strip (1-based).", "N"});
    parser.addOption({"application", "Select application (layer or iteration) N (1-based).", "N"});
    parser.addOption({"head", "Select head N (1-based), or 0 for all heads.", "N"});
    parser.addOption({"benchmark", "Print launch, scrubbing and CKA timings on the demo models as JSON and quit."});
    parser.addOption({"benchmark-open", "Open FILE into slot A of an empty window; print the time, peak memory and "
                                        "longest GUI-thread stall as JSON and quit.", "FILE"});
    parser.addOption({"smoke-test", "Check that the demo models load and their attention maps are drawn; print JSON and "
                                    "quit with status 0 (1 on failure)."});
    parser.addOption({"soak", "Soak check: step through N images (written from Fashion-MNIST), then close and reopen "
                              "slot B --soak-cycles times; print resident memory as JSON and quit with status 0 when "
                              "it stayed flat (2 when not).", "N"});
    parser.addOption({"soak-cycles", "Open/close cycles of --soak (default 200).", "M", "200"});
    parser.addPositionalArgument("files", "Checkpoints and images to open.", "[files...]");
    parser.process(app);
    ringscope::configureThreads();

    ringscope::gui::MainWindow window;
    std::unique_ptr<ringscope::gui::AppBenchmark> benchmark;
    if (parser.isSet("benchmark")) benchmark = std::make_unique<ringscope::gui::AppBenchmark>(window, sinceStart);
    std::unique_ptr<ringscope::gui::OpenBenchmark> openBenchmark;
    if (parser.isSet("benchmark-open"))
        openBenchmark = std::make_unique<ringscope::gui::OpenBenchmark>(window, parser.value("benchmark-open"));
    std::unique_ptr<ringscope::gui::SmokeTest> smokeTest;
    if (parser.isSet("smoke-test")) {
        if (resourceDir().isEmpty()) {
            std::cerr << "ringscope --smoke-test: the bundled demo models were not found next to "
                      << QCoreApplication::applicationDirPath().toStdString() << "\n";
            return 1;
        }
        smokeTest = std::make_unique<ringscope::gui::SmokeTest>(window, 120000);
    }
    std::unique_ptr<ringscope::gui::AppSoak> soak;
    if (parser.isSet("soak")) {
        ringscope::gui::SoakOptions o;
        o.images = std::max(1, parser.value("soak").toInt());
        o.cycles = std::max(0, parser.value("soak-cycles").toInt());
        o.every = std::max(1, std::min(500, o.images / 20));
        soak = std::make_unique<ringscope::gui::AppSoak>(window, o);
    }
    window.show();
    if (!parser.isSet("empty") && !openBenchmark) window.openDefaults(resourceDir());
    window.openFiles(parser.positionalArguments());
    const QString view = parser.value("view");
    window.showView(view);
    ringscope::gui::Workspace& ws = window.workspace();
    if (parser.isSet("image")) ws.setCurrentImage(parser.value("image").toInt() - 1);
    if (parser.isSet("head")) ws.setHead(parser.value("head").toInt() == 0 ? ringscope::gui::kAllHeads : parser.value("head").toInt() - 1);
    if (parser.isSet("application")) {
        const int a = parser.value("application").toInt() - 1;
        // The slider's range follows the models, which load in the background.
        QObject::connect(&ws, &ringscope::gui::Workspace::modelChanged, &ws, [&ws, a] { ws.setApplication(a); });
    }
    if (parser.isSet("screenshot")) {
        const QString file = parser.value("screenshot");
        auto shoot = [&window, file] {
            if (!window.grab().save(file)) std::cerr << "cannot write " << file.toStdString() << "\n";
            QApplication::quit();
        };
        QTimer::singleShot(parser.value("delay").toInt(), &window, [&window, view, shoot] {
            ringscope::gui::BackgroundJob* job = view == "cka" ? &window.ckaView().job()
                                                 : view == "mad" ? &window.madView().job()
                                                 : view == "levels" ? &window.levelsView().job()
                                                                    : nullptr;
            if (view == "classify" && window.classifyView().job().running()) job = &window.classifyView().job();
            if (view == "train") {
                // A short run, so that the curves have something to show.
                ringscope::gui::TrainRequest r = window.trainView().request();
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
            QObject::connect(job, &ringscope::gui::BackgroundJob::finished, &window, [shoot] { QTimer::singleShot(500, shoot); });
            if (view == "cka") window.ckaView().run();
            else if (view == "mad") window.madView().run();
            else if (view == "levels") window.levelsView().run();
        });
    }
    return QApplication::exec();
}
