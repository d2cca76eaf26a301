#pragma once
// `ringscope --soak`: the app used for a long time in one process, to show that its memory
// stays flat. Phase 1 adds IMAGES images to the strip (Fashion-MNIST test images written as PNG
// files, as a user would drop a folder) and steps through every one of them, waiting until each
// loaded model's analysis of it is ready (attention maps, predictions, lens): the analysis cache
// is bounded, so memory must stop growing once it is full. Phase 2 closes and reopens the model
// in slot B CYCLES times, cycling through the bundled demo models. Resident memory is sampled
// along the way; one JSON line reports both curves and their growth after warm-up; the app
// quits with status 0 when both are flat, 2 when not, 1 on an error.

#include "ringscope/model/core/MemoryCurve.h"

#include <QObject>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace ringscope::gui {

class MainWindow;

struct SoakOptions {
    int images = 10000;
    int cycles = 200;
    int every = 500;            ///< images between samples (cycles: every / 50)
    double toleranceMiB = 32.0; ///< growth after warm-up still called flat
    double warmup = 0.3;        ///< share of the samples before the growth is measured
};

class AppSoak : public QObject {
    Q_OBJECT

public:
    AppSoak(MainWindow& window, SoakOptions options, QObject* parent = nullptr);

private:
    void start();
    QStringList writeImages();
    void nextImage();
    void analysisReady(int slot, int image);
    void nextCycle();
    void modelChanged(int slot);
    void finish();
    void fail(const QString& why);

    MainWindow& window_;
    SoakOptions options_;
    QTemporaryDir folder_;
    QStringList demoModels_;
    MemoryCurve browse_, reopen_;
    enum class Phase { Waiting, Browsing, Reopening, Done } phase_ = Phase::Waiting;
    int image_ = -1, cycle_ = 0, pendingSlots_ = 0;
};

} // namespace ringscope::gui
