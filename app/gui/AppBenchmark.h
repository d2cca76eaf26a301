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

} // namespace ringscope::gui
