#pragma once
// `ringscope --benchmark`: the app's own timings on the bundled demo models, as one JSON line:
// launch to the first attention map drawn, repaint time while scrubbing the application
// slider, a 6x6 CKA over 500 images run from the CKA view, and the longest time the GUI thread
// was blocked while 1,000 images were added.

#include <QElapsedTimer>
#include <QObject>
#include <QJsonObject>
#include <QTimer>

namespace ringscope::gui {

class MainWindow;

/// The GUI thread's responsiveness while it runs: the longest gap between two ticks of a
/// 1 ms timer (what a user feels as a frozen window).
class GuiStallMeter : public QObject {
    Q_OBJECT

public:
    explicit GuiStallMeter(QObject* parent = nullptr);
    /// Starts measuring from now (the longest gap so far is forgotten).
    void start();
    /// The longest gap since start(), in milliseconds.
    double maxBlockedMs() const { return maxMs_; }

private:
    QTimer timer_;
    QElapsedTimer since_;
    double maxMs_ = 0;
};

class AppBenchmark : public QObject {
    Q_OBJECT

public:
    /// `sinceStart` has run since main() began. Quits the application when done.
    AppBenchmark(MainWindow& window, QElapsedTimer sinceStart, QObject* parent = nullptr);

private:
    void firstMapDrawn();
    void scrub();
    void cka();
    void addImages(QJsonObject result);

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
    QElapsedTimer clock_;
    GuiStallMeter stall_;
};

} // namespace ringscope::gui
