#pragma once
// `ringscope --benchmark [A B]`: the app's own timings on the bundled demo models or on the
// checkpoints named, as one JSON line: launch to the first attention map drawn, repaint time
// while scrubbing the application slider, a CKA over 500 images run from the CKA view, and the
// longest time the GUI thread was blocked while 1,000 images were added; with what it assumed
// for what a file does not say (the heads of a bare state dict: ringscope --heads N says it).
// A checkpoint that cannot be opened ends it with {"error": ...} and status 1.

#include <QElapsedTimer>
#include <QObject>
#include <QJsonArray>
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
    QJsonArray assumed_; ///< what the files did not say and the benchmark assumed
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
