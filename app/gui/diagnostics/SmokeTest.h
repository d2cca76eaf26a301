#pragma once
// `ringscope --smoke-test`: a self-check for installers and CI. Waits until the bundled demo
// models have loaded and both attention maps are drawn, checks the first image's predictions,
// prints one JSON line and quits with status 0; quits with status 1 and a message when a model
// fails to load, a problem is reported, or nothing is drawn within the time limit.

#include <QObject>
#include <QString>

namespace ringscope::gui {

class MainWindow;

class SmokeTest : public QObject {
    Q_OBJECT

public:
    /// Quits the application (exit code 0 or 1) when done or after `timeoutMs`.
    SmokeTest(MainWindow& window, int timeoutMs, QObject* parent = nullptr);

private:
    void mapsPainted();
    void fail(const QString& why);

    MainWindow& window_;
    bool done_ = false;
};

} // namespace ringscope::gui
