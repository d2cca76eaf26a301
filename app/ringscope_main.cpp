// ringscope: the desktop app. Opens the bundled demo models and images on first launch.
#include <torch/types.h>

#include "AppStartup.h"
#include "MainWindow.h"
#include "diagnostics/Diagnostics.h"

#include "ringscope/model/core/Runtime.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>

int main(int argc, char** argv) {
    QElapsedTimer sinceStart;
    sinceStart.start();
    QApplication app(argc, argv);
    ringscope::gui::setApplicationIdentity();
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Workbench for looking inside weight-shared vision transformers");
    parser.addHelpOption();
    parser.addVersionOption();
    ringscope::gui::addStartupOptions(parser);
    ringscope::gui::Diagnostics::addOptions(parser);
    parser.process(app);
    ringscope::configureThreads();

    ringscope::gui::MainWindow window;
    ringscope::gui::Diagnostics diagnostics(window, parser, sinceStart);
    if (!diagnostics.ok()) return 1;
    window.show();
    ringscope::gui::applyStartupOptions(window, parser, !diagnostics.replacesDefaults());
    diagnostics.start();
    return QApplication::exec();
}
