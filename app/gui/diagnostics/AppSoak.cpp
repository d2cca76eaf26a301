#include <torch/types.h>

#include "diagnostics/AppSoak.h"

#include "MainWindow.h"
#include "document/Workspace.h"

#include "ringscope/model/data/IdxDataset.h"
#include "ringscope/model/data/InMemoryDataset.h"
#include "ringscope/model/core/Runtime.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTimer>

#include <opencv2/imgcodecs.hpp>

#include <iostream>

namespace ringscope::gui {
AppSoak::AppSoak(MainWindow& window, SoakOptions options, QObject* parent)
    : QObject(parent), window_(window), options_(options) {
    Workspace& ws = window_.workspace();
    connect(&ws, &Workspace::analysisReady, this, &AppSoak::analysisReady);
    connect(&ws, &Workspace::modelChanged, this, &AppSoak::modelChanged);
    connect(&ws, &Workspace::modelLoadFailed, this,
            [this](int, const QString& message) { fail(message); });
    connect(&ws, &Workspace::problem, this, [this](const QString& message) { fail(message); });
}

void AppSoak::modelChanged(int slot) {
    Workspace& ws = window_.workspace();
    if (phase_ == Phase::Waiting) {
        // Both demo models in: start once, from the event loop.
        if (ws.model(0) && ws.model(1)) {
            phase_ = Phase::Browsing;
            QTimer::singleShot(0, this, &AppSoak::start);
        }
    } else if (phase_ == Phase::Reopening && slot == 1 && ws.model(1)) {
        pendingSlots_ = 1;
        if (ws.analysis(1, image_)) analysisReady(1, image_);
    }
}

/// The Fashion-MNIST test images (or, without the dataset, the bundled ones over and over) as
/// PNG files in a temporary folder.
QStringList AppSoak::writeImages() {
    QStringList paths;
    std::unique_ptr<InMemoryDataset> data;
    try {
        data = loadFashionMnist("test");
    } catch (const std::exception&) {
    }
    const QStringList bundled =
        QDir(window_.resourceDir() + "/images").entryList({"*.png"}, QDir::Files);
    for (int i = 0; i < options_.images; ++i) {
        const QString path = folder_.filePath(QString("image-%1.png").arg(i, 5, 10, QChar('0')));
        if (data) {
            cv::imwrite(path.toStdString(), data->get(i % data->size()).image);
        } else if (!bundled.isEmpty()) {
            QFile::copy(window_.resourceDir() + "/images/" + bundled[i % bundled.size()], path);
        }
        paths << path;
    }
    return paths;
}

void AppSoak::start() {
    Workspace& ws = window_.workspace();
    for (const char* m : {"ringformer", "vit", "owf", "uit"})
        if (QFileInfo::exists(window_.resourceDir() + "/models/" + m + ".ringscope.pt"))
            demoModels_ << window_.resourceDir() + "/models/" + m + ".ringscope.pt";
    if (!folder_.isValid()) return fail("cannot make a temporary folder");
    const QStringList paths = writeImages();
    ws.clearImages();
    if (ws.addImages(paths) != options_.images) return fail("not every image could be added");
    std::cerr << "soak: " << options_.images << " images in the strip, RSS " << residentMemoryMiB()
              << " MiB\n";
    browse_.sample(0);
    image_ = -1;
    nextImage();
}

void AppSoak::nextImage() {
    Workspace& ws = window_.workspace();
    if (++image_ >= options_.images) {
        phase_ = Phase::Reopening;
        image_ = options_.images - 1;
        reopen_.sample(0);
        return nextCycle();
    }
    ws.setCurrentImage(image_);
    const QList<int> loaded = ws.loadedSlots();
    pendingSlots_ = int(loaded.size());
    for (int s : loaded)
        if (ws.analysis(s, image_)) analysisReady(s, image_);
}

void AppSoak::analysisReady(int slot, int image) {
    if (image != image_ || pendingSlots_ <= 0) return;
    Q_UNUSED(slot);
    if (--pendingSlots_ > 0) return;
    if (phase_ == Phase::Browsing) {
        if ((image_ + 1) % options_.every == 0 || image_ + 1 == options_.images) {
            browse_.sample(image_ + 1);
            std::cerr << "soak: " << (image_ + 1) << " images shown, RSS "
                      << browse_.points().back().rssMiB << " MiB, heap in use "
                      << browse_.points().back().heapMiB << " MiB, analysis cache "
                      << (window_.workspace().analysisCache().bytes() >> 20) << " MiB\n";
        }
        QTimer::singleShot(0, this, &AppSoak::nextImage);
    } else if (phase_ == Phase::Reopening) {
        ++cycle_;
        if (cycle_ % std::max(1, options_.every / 50) == 0 || cycle_ == options_.cycles)
            reopen_.sample(cycle_);
        QTimer::singleShot(0, this, &AppSoak::nextCycle);
    }
}

void AppSoak::nextCycle() {
    if (cycle_ >= options_.cycles || demoModels_.isEmpty()) return finish();
    Workspace& ws = window_.workspace();
    ws.closeModel(1);
    ws.openModel(1, demoModels_[cycle_ % demoModels_.size()]);
}

void AppSoak::finish() {
    phase_ = Phase::Done;
    const bool flat = browse_.flat(options_.warmup, options_.toleranceMiB) &&
                      reopen_.flat(options_.warmup, options_.toleranceMiB);
    const nlohmann::json result{
        {"images", options_.images},
        {"cycles", options_.cycles},
        {"analysis_cache_budget_mib",
         double(window_.workspace().analysisCache().budget()) / (1 << 20)},
        {"browse",
         {{"curve", browse_.pointsJson()},
          {"summary", browse_.summary(options_.warmup, options_.toleranceMiB)}}},
        {"open_close",
         {{"curve", reopen_.pointsJson()},
          {"summary", reopen_.summary(options_.warmup, options_.toleranceMiB)}}}};
    std::cout << result.dump() << std::endl;
    QApplication::exit(flat ? 0 : 2);
}

void AppSoak::fail(const QString& why) {
    if (phase_ == Phase::Done) return;
    phase_ = Phase::Done;
    std::cerr << "ringscope --soak: " << why.toStdString() << std::endl;
    QApplication::exit(1);
}

} // namespace ringscope::gui
