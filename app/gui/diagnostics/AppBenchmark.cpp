#include "diagnostics/AppBenchmark.h"

#include "views/AttentionView.h"
#include "jobs/BackgroundJob.h"
#include "views/CkaView.h"
#include "MainWindow.h"
#include "OpenModelDialog.h"
#include "document/Workspace.h"

#include "AttentionOverlay.h"

#include "ringscope/model/core/Runtime.h"

#include <QApplication>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSlider>
#include <QTimer>

#include <algorithm>
#include <iostream>
#include <vector>

namespace ringscope::gui {

AppBenchmark::AppBenchmark(MainWindow& window, QElapsedTimer sinceStart, QObject* parent)
    : QObject(parent), window_(window), start_(sinceStart) {
    // Nobody answers a dialog here: what a file does not say is assumed, and reported.
    window_.setAnswerProvider([this](const QString& path, const OpenQuestion& q) {
        const OpenAnswers a = plausibleAnswers(q);
        const QString name = QFileInfo(path).fileName();
        if (a.heads) assumed_.append(QString("%1: %2 heads").arg(name).arg(*a.heads));
        if (a.levels)
            assumed_.append(
                QString("%1: %2 levels at %3 px").arg(name).arg(*a.levels).arg(*a.imageSize));
        return std::optional<OpenAnswers>(a);
    });
    // A model that cannot be opened ends the benchmark with the reason, not a wait forever.
    connect(&window_.workspace(), &Workspace::modelLoadFailed, this,
            [](int, const QString& message) {
                std::cout << QJsonDocument(QJsonObject{{"error", message}})
                                 .toJson(QJsonDocument::Compact)
                                 .toStdString()
                          << std::endl;
                QApplication::exit(1);
            });
    connect(&window_.attentionView().overlay(), &plots::AttentionOverlay::mapsPainted, this,
            [this] {
                // Both models' maps on screen (the demo models or the ones named).
                const auto& panels = window_.attentionView().overlay().panels();
                const bool all =
                    panels.size() >= 2 && std::all_of(panels.begin(), panels.end(),
                                                      [](const auto& p) { return !p.map.empty(); });
                if (measuredLaunch_ || !all) return;
                measuredLaunch_ = true;
                launchMs_ = double(start_.nsecsElapsed()) / 1e6;
                QTimer::singleShot(200, this, &AppBenchmark::scrub);
            });
}

void AppBenchmark::scrub() {
    // Each step: the slider moves, the view rebuilds its panels and repaints.
    AttentionView& view = window_.attentionView();
    Workspace& ws = window_.workspace();
    std::vector<double> ms;
    for (int i = 0; i < 60; ++i) {
        QElapsedTimer t;
        t.start();
        view.applicationSlider().setValue((ws.application() + 1) %
                                          std::max(1, ws.maxApplications()));
        QApplication::processEvents(); // the coalesced rebuild
        view.overlay().repaint();
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2], worst = ms.back();
    CkaView& cka = window_.ckaView();
    window_.showView("cka");
    cka.setImageCount(500);
    auto* timer = new QElapsedTimer;
    connect(&cka.job(), &BackgroundJob::finished, this, [this, timer, median, worst] {
        const double ckaSeconds = double(timer->nsecsElapsed()) / 1e9;
        delete timer;
        QJsonArray models; // which checkpoints the figures are for
        for (int s : window_.workspace().loadedSlots())
            models.append(
                window_.workspace().slotLabel(s) + " (" +
                QFileInfo(QString::fromStdString(window_.workspace().model(s)->facts().path))
                    .fileName() +
                ")");
        addImages(QJsonObject{{"models", models},
                              {"assumed", assumed_},
                              {"launch_to_first_maps_ms", launchMs_},
                              {"scrub_repaint_median_ms", median},
                              {"scrub_repaint_max_ms", worst},
                              {"cka_500_images_s", ckaSeconds},
                              {"cka_matrices", "A x A, B x B, A x B"}});
    });
    timer->start();
    cka.run();
}

void AppBenchmark::addImages(QJsonObject result) {
    // 1,000 images: the bundled ten, a hundred times each, added as a drop adds them.
    Workspace& ws = window_.workspace();
    QStringList paths;
    for (int i = 0; i < 100; ++i)
        for (int k = 0; k < ws.imageCount() && k < 10; ++k)
            paths << ws.image(k).path;
    auto* stall = new GuiStallMeter(this);
    auto* clock = new QElapsedTimer;
    const int before = ws.imageCount();
    connect(&ws, &Workspace::imagesChanged, this,
            [this, stall, clock, result, before, n = paths.size()]() mutable {
                if (window_.workspace().imageCount() < before + n) return;
                result["add_1000_images_ms"] = double(clock->nsecsElapsed()) / 1e6;
                result["add_1000_images_gui_max_blocked_ms"] = stall->maxBlockedMs();
                delete clock;
                std::cout << QJsonDocument(result).toJson(QJsonDocument::Compact).toStdString()
                          << std::endl;
                QApplication::quit();
            });
    stall->start();
    clock->start();
    window_.openFiles(paths);
}

GuiStallMeter::GuiStallMeter(QObject* parent) : QObject(parent) {
    connect(&timer_, &QTimer::timeout, this, [this] {
        maxMs_ = std::max(maxMs_, double(since_.nsecsElapsed()) / 1e6);
        since_.restart();
    });
}

void GuiStallMeter::start() {
    maxMs_ = 0;
    since_.start();
    timer_.start(1);
}

OpenBenchmark::OpenBenchmark(MainWindow& window, const QString& file, QObject* parent)
    : QObject(parent), window_(window), file_(file) {
    window_.setAnswerProvider([](const QString&, const OpenQuestion& q) {
        return std::optional<OpenAnswers>(plausibleAnswers(q));
    });
    Workspace& ws = window_.workspace();
    connect(&ws, &Workspace::modelChanged, this, [this] { finish("opened"); });
    connect(&ws, &Workspace::modelLoadFailed, this,
            [this](int, const QString& m) { finish("error: " + m); });
    QTimer::singleShot(0, this, [this] {
        stall_.start();
        clock_.start();
        window_.openCheckpoint(0, file_);
    });
}

void OpenBenchmark::finish(const QString& result) {
    const double ms = double(clock_.nsecsElapsed()) / 1e6;
    QJsonObject o{{"file", file_},
                  {"file_mib", double(QFileInfo(file_).size()) / (1 << 20)},
                  {"open_ms", ms},
                  {"peak_rss_mib", peakResidentMemoryMiB()},
                  {"gui_max_blocked_ms", stall_.maxBlockedMs()},
                  {"result", result}};
    std::cout << QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString() << std::endl;
    QApplication::quit();
}

} // namespace ringscope::gui
