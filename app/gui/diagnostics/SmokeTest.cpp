#include "diagnostics/SmokeTest.h"

#include "views/AttentionView.h"
#include "MainWindow.h"
#include "document/ModelSession.h"
#include "document/Workspace.h"

#include "AttentionOverlay.h"

#include <QApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <iostream>

namespace ringscope::gui {

SmokeTest::SmokeTest(MainWindow& window, int timeoutMs, QObject* parent)
    : QObject(parent), window_(window) {
    connect(&window_.attentionView().overlay(), &plots::AttentionOverlay::mapsPainted, this,
            &SmokeTest::mapsPainted);
    connect(&window_.workspace(), &Workspace::modelLoadFailed, this,
            [this](int, const QString& message) { fail("a model failed to load: " + message); });
    connect(&window_.workspace(), &Workspace::problem, this,
            [this](const QString& message) { fail(message); });
    QTimer::singleShot(timeoutMs, this, [this, timeoutMs] {
        fail(QString("no attention maps drawn within %1 s").arg(timeoutMs / 1000));
    });
}

void SmokeTest::mapsPainted() {
    const auto& panels = window_.attentionView().overlay().panels();
    const bool all =
        panels.size() >= 2 &&
        std::all_of(panels.begin(), panels.end(), [](const auto& p) { return !p.map.empty(); });
    if (done_ || !all) return;
    Workspace& ws = window_.workspace();
    QJsonArray models;
    for (int slot : ws.loadedSlots()) {
        const ImageAnalysis* a = ws.analysis(slot, std::max(0, ws.currentImage()));
        if (!a || a->probabilities.empty()) return; // predictions still on their way
        const auto best = std::max_element(a->probabilities.begin(), a->probabilities.end());
        const ModelFacts& facts = ws.model(slot)->facts();
        const int cls = int(best - a->probabilities.begin());
        const QString name = cls < int(facts.classNames.size())
                                 ? QString::fromStdString(facts.classNames[size_t(cls)])
                                 : QString::number(cls);
        if (!std::isfinite(*best))
            return fail("non-finite prediction from " + QString::fromStdString(facts.fileName));
        models.append(QJsonObject{{"slot", Workspace::slotName(slot)},
                                  {"file", QString::fromStdString(facts.fileName)},
                                  {"family", QString::fromStdString(facts.family)},
                                  {"applications", facts.applications},
                                  {"top1", name},
                                  {"probability", *best}});
    }
    done_ = true;
    const QJsonObject o{{"ok", true},
                        {"images", ws.imageCount()},
                        {"panels", int(panels.size())},
                        {"resources", window_.resourceDir()},
                        {"models", models}};
    std::cout << QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString() << std::endl;
    QApplication::exit(0);
}

void SmokeTest::fail(const QString& why) {
    if (done_) return;
    done_ = true;
    std::cerr << "ringscope --smoke-test: " << why.toStdString() << std::endl;
    QApplication::exit(1);
}

} // namespace ringscope::gui
