#pragma once
// The app's self-checks, chosen on the command line: --benchmark, --benchmark-open FILE,
// --smoke-test, --soak N and --screenshot FILE. Built into the executable only (the
// ringscope_diagnostics library), never into the GUI library the tests drive.

#include <QElapsedTimer>
#include <QObject>

#include <memory>

class QCommandLineParser;

namespace ringscope::gui {

class MainWindow;
class AppBenchmark;
class OpenBenchmark;
class SmokeTest;
class AppSoak;

class Diagnostics : public QObject {
    Q_OBJECT

public:
    /// Declares the self-check options.
    static void addOptions(QCommandLineParser& parser);

    /// Sets up the checks the options ask for; `sinceStart` has run since main() began.
    Diagnostics(MainWindow& window, const QCommandLineParser& parser, QElapsedTimer sinceStart);
    ~Diagnostics() override;

    /// False when a check cannot run (the reason is on stderr): exit with status 1.
    bool ok() const { return ok_; }
    /// True when a check opens its own files instead of the demo models.
    bool replacesDefaults() const { return openBenchmark_ != nullptr; }
    /// Starts what must wait until the window shows (--screenshot's timer).
    void start();

private:
    void takeScreenshot();

    MainWindow& window_;
    const QCommandLineParser& parser_;
    bool ok_ = true;
    std::unique_ptr<AppBenchmark> benchmark_;
    std::unique_ptr<OpenBenchmark> openBenchmark_;
    std::unique_ptr<SmokeTest> smokeTest_;
    std::unique_ptr<AppSoak> soak_;
};

} // namespace ringscope::gui
