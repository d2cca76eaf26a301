#pragma once
// `ringscope --benchmark`: the app's own timings on the bundled demo models, as one JSON line:
// launch to the first attention map drawn, repaint time while scrubbing the application
// slider, and a 6x6 CKA over 500 images run from the CKA view.

#include <QElapsedTimer>
#include <QObject>

namespace ringscope::gui {

class MainWindow;

class AppBenchmark : public QObject {
    Q_OBJECT

public:
    /// `sinceStart` has run since main() began. Quits the application when done.
    AppBenchmark(MainWindow& window, QElapsedTimer sinceStart, QObject* parent = nullptr);

private:
    void firstMapDrawn();
    void scrub();
    void cka();

    MainWindow& window_;
    QElapsedTimer start_;
    double launchMs_ = 0;
    bool measuredLaunch_ = false;
};

/// `ringscope --benchmark-open FILE`: opens FILE into slot A of an empty window (answering any
/// question with the most plausible reading) and prints one JSON line: the file's size, the
/// time until the model is in the slot (or the error), the peak resident memory of the
/// process, and the longest time the GUI thread was blocked meanwhile. Quits when done.
class OpenBenchmark : public QObject {
    Q_OBJECT

public:
    OpenBenchmark(MainWindow& window, const QString& file, QObject* parent = nullptr);

private:
    void finish(const QString& result);

    MainWindow& window_;
    QString file_;
    QElapsedTimer clock_, tick_;
    double maxBlockedMs_ = 0;
};

} // namespace ringscope::gui
