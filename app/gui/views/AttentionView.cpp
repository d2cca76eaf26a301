#include <torch/types.h>

#include "AnalysisOutput.h"
#include "StudyExport.h"
#include "document/ModelSession.h"
#include "ringscope/analysis/Studies.h"
#include "ringscope/model/Classification.h"
#include "ringscope/model/LoadedModel.h"

#include "views/AttentionView.h"

#include "document/Workspace.h"
#include "views/ApplicationSlider.h"

#include "AttentionOverlay.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <numeric>

namespace ringscope::gui {

AttentionView::AttentionView(Workspace& workspace, QWidget* parent)
    : QWidget(parent), ws_(workspace) {
    overlay_ = new plots::AttentionOverlay(this);
    predictions_ = new QLabel(this);
    predictions_->setTextFormat(Qt::RichText);
    predictions_->setWordWrap(true);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildControls());
    layout->addWidget(overlay_, 1);
    layout->addWidget(predictions_);

    timer_.setInterval(700);
    connect(&timer_, &QTimer::timeout, this, [this] {
        const int n = std::max(1, ws_.maxApplications());
        ws_.setApplication((ws_.application() + 1) % n);
    });
    refreshTimer_.setSingleShot(true);
    refreshTimer_.setInterval(0);
    connect(&refreshTimer_, &QTimer::timeout, this, &AttentionView::rebuild);

    connect(&ws_, &Workspace::imagesChanged, this, &AttentionView::refresh);
    connect(&ws_, &Workspace::rolloutChanged, this, &AttentionView::refresh);
    connect(&ws_, &Workspace::modelChanged, this, [this] {
        updateHeadChoices();
        refresh();
    });
    connect(&ws_, &Workspace::currentImageChanged, this, &AttentionView::refresh);
    connect(&ws_, &Workspace::applicationChanged, this, &AttentionView::refresh);
    connect(&ws_, &Workspace::depthChanged, this, &AttentionView::refresh);
    connect(&ws_, &Workspace::gaeChanged, this, &AttentionView::refresh);
    connect(&ws_, &Workspace::headChanged, this, &AttentionView::refresh);
    connect(&ws_, &Workspace::queryChanged, this, &AttentionView::refresh);
    connect(&ws_, &Workspace::analysisReady, this, &AttentionView::refresh);
    connect(overlay_, &plots::AttentionOverlay::patchClicked, this,
            [this](int, int patch) { ws_.setQuery(patch + 1); });
    updateHeadChoices();
    refresh();
}

QWidget* AttentionView::buildControls() {
    auto* bar = new QWidget(this);
    auto* row = new QHBoxLayout(bar);
    row->setContentsMargins(0, 0, 0, 0);
    playButton_ = new QToolButton(bar);
    playButton_->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    playButton_->setToolTip(tr("Play / pause the applications (Space)"));
    connect(playButton_, &QToolButton::clicked, this, &AttentionView::togglePlay);
    slider_ = new ApplicationSlider(ws_, bar);
    headBox_ = new QComboBox(bar);
    headBox_->setToolTip(tr("Heads: fused, one head, or all heads as a grid"));
    connect(headBox_, &QComboBox::activated, this,
            [this](int i) { ws_.setHead(headBox_->itemData(i).toInt()); });
    clsButton_ = new QPushButton(tr("CLS"), bar);
    clsButton_->setToolTip(
        tr("Show the CLS token's attention (click a patch to query it instead)"));
    connect(clsButton_, &QPushButton::clicked, this, [this] { ws_.setQuery(0); });
    queryLabel_ = new QLabel(bar);
    rolloutBox_ = new QCheckBox(tr("Rollout"), bar);
    rolloutBox_->setToolTip(tr("Attention rollout over the applications up to the selected one"));
    connect(rolloutBox_, &QCheckBox::toggled, &ws_, [this](bool on) {
        if (on) ws_.setGae(false);
        ws_.setRollout(on);
    });
    gaeBox_ = new QCheckBox(tr("GAE"), bar);
    gaeBox_->setToolTip(tr("Gradient-weighted attention relevance of the decision (Chefer et al. "
                           "2021) through every application, and what the selected application "
                           "adds"));
    connect(gaeBox_, &QCheckBox::toggled, &ws_, [this](bool on) {
        if (on) ws_.setRollout(false);
        ws_.setGae(on);
    });
    classBox_ = new QComboBox(bar);
    classBox_->setToolTip(tr("The class GAE explains"));
    connect(classBox_, &QComboBox::activated, this,
            [this](int i) { ws_.setGaeClass(classBox_->itemData(i).toInt()); });
    alphaSlider_ = new QSlider(Qt::Horizontal, bar);
    alphaSlider_->setRange(0, 100);
    alphaSlider_->setValue(60);
    alphaSlider_->setMaximumWidth(100);
    alphaSlider_->setToolTip(tr("Overlay opacity"));
    connect(alphaSlider_, &QSlider::valueChanged, this, [this](int v) {
        overlay_->setAlpha(v / 100.0);
        QSettings().setValue("attention/alpha", v);
    });
    colormapBox_ = new QComboBox(bar);
    colormapBox_->addItems(plots::Colormap::names());
    connect(colormapBox_, &QComboBox::currentTextChanged, this, [this](const QString& name) {
        overlay_->setColormap(plots::Colormap::fromName(name));
        QSettings().setValue("attention/colormap", name);
    });
    sharedScaleBox_ = new QCheckBox(tr("Shared scale"), bar);
    sharedScaleBox_->setChecked(true);
    sharedScaleBox_->setToolTip(tr("One colour range for all panels (off: each panel its own)"));
    connect(sharedScaleBox_, &QCheckBox::toggled, this, [this](bool on) {
        overlay_->setSharedScale(on);
        QSettings().setValue("attention/sharedScale", on);
    });
    // The last session's display settings.
    const QSettings settings;
    alphaSlider_->setValue(settings.value("attention/alpha", 60).toInt());
    colormapBox_->setCurrentText(settings.value("attention/colormap", "viridis").toString());
    sharedScaleBox_->setChecked(settings.value("attention/sharedScale", true).toBool());
    for (QWidget* w : std::initializer_list<QWidget*>{
             playButton_, slider_, headBox_, clsButton_, queryLabel_, rolloutBox_, gaeBox_,
             classBox_, new QLabel(tr("Alpha"), bar), alphaSlider_, colormapBox_, sharedScaleBox_})
        row->addWidget(w, w == slider_ ? 1 : 0);
    return bar;
}

QSlider& AttentionView::applicationSlider() {
    return slider_->slider();
}

void AttentionView::updateClassChoices() {
    const QSignalBlocker block(classBox_);
    classBox_->clear();
    classBox_->addItem(tr("predicted class"), -1);
    const QList<int> filled = ws_.loadedSlots();
    if (filled.isEmpty()) return;
    const ModelFacts& f = ws_.model(filled.front())->facts();
    for (int c = 0; c < f.classes; ++c)
        classBox_->addItem(
            c < int(f.classNames.size())
                ? QString("%1: %2").arg(c).arg(QString::fromStdString(f.classNames[size_t(c)]))
                : QString::number(c),
            c);
}

void AttentionView::updateHeadChoices() {
    updateClassChoices();
    int heads = 0;
    for (int s : ws_.loadedSlots())
        heads = std::max(heads, ws_.model(s)->facts().heads);
    headBox_->clear();
    headBox_->addItem(tr("Mean over heads"), int(kHeadMean));
    headBox_->addItem(tr("Max over heads"), int(kHeadMax));
    headBox_->addItem(tr("Min over heads"), int(kHeadMin));
    headBox_->addItem(tr("All heads"), int(kAllHeads));
    for (int h = 0; h < heads; ++h)
        headBox_->addItem(tr("Head %1").arg(h + 1), h);
    headBox_->setCurrentIndex(std::max(0, headBox_->findData(ws_.head())));
}

void AttentionView::stepApplication(int delta) {
    const int n = std::max(1, ws_.maxApplications());
    ws_.setApplication(std::clamp(ws_.application() + delta, 0, n - 1));
}

void AttentionView::togglePlay() {
    if (timer_.isActive())
        timer_.stop();
    else
        timer_.start();
    playButton_->setIcon(
        style()->standardIcon(timer_.isActive() ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
}

void AttentionView::refresh() {
    refreshTimer_.start();
}

void AttentionView::syncControls() {
    headBox_->setCurrentIndex(std::max(0, headBox_->findData(ws_.head())));
    queryLabel_->setText(ws_.query() == 0 ? tr("query: CLS")
                                          : tr("query: patch %1").arg(ws_.query()));
    const QSignalBlocker blockRollout(rolloutBox_), blockGae(gaeBox_), blockClass(classBox_);
    rolloutBox_->setChecked(ws_.rollout());
    gaeBox_->setChecked(ws_.gae());
    classBox_->setEnabled(ws_.gae());
    classBox_->setCurrentIndex(std::max(0, classBox_->findData(ws_.gaeClass())));
}

void AttentionView::rebuild() {
    syncControls();
    std::vector<plots::AttentionOverlay::Panel> panels;
    QStringList predictionLines;
    const int image = ws_.currentImage();
    int columns = 0;
    for (int s : ws_.loadedSlots()) {
        const ModelFacts& f = ws_.model(s)->facts();
        const QString who = ws_.slotLabel(s);
        const ImageAnalysis* r = ws_.currentAnalysis(s);
        if (!r) {
            panels.push_back({ws_.currentPreview(), {}, 0, who + tr(" (computing...)"), -1});
            continue;
        }
        const QImage picture = ws_.currentPreview();
        const int a = std::min(ws_.application(), r->applications - 1);
        const int q = std::min(r->token(ws_.query()), r->tokens - 1);
        const int highlight =
            ws_.query() > 0 ? std::min(ws_.query() - 1, r->grid * r->grid - 1) : -1;
        const QString beyond = ws_.depthNote(s, a);
        const QString app = QString("%1 %2%3")
                                .arg(QString::fromStdString(f.applicationName))
                                .arg(a + 1)
                                .arg(beyond.isEmpty() ? QString() : " (" + beyond + ")");
        if (ws_.gae()) {
            // GAE explains the decision: the class token's row, whatever the query.
            if (r->gae.empty()) {
                panels.push_back({picture, {}, 0, who + tr(" (computing GAE...)"), -1});
                continue;
            }
            const QString cls = QString::fromStdString(r->gaeClass < int(f.classNames.size())
                                                           ? f.classNames[size_t(r->gaeClass)]
                                                           : std::to_string(r->gaeClass));
            panels.push_back({picture, r->gae, r->grid, tr("%1, GAE for %2").arg(who, cls), -1});
            panels.push_back({picture, r->gaeContribution(a), r->grid,
                              tr("%1, what %2 adds").arg(who, app), -1});
            columns = 2;
        } else if (ws_.rollout()) {
            panels.push_back(
                {picture, r->rolloutMap(a, q), r->grid, who + ", rollout to " + app, highlight});
        } else if (ws_.head() == kAllHeads) {
            for (int h = 0; h < r->heads; ++h)
                panels.push_back({picture, r->queryMap(a, h, q), r->grid,
                                  QString("%1, %2, head %3").arg(who, app).arg(h + 1), highlight});
            columns = std::max(columns, r->heads);
        } else {
            const int h = std::min(ws_.head(), r->heads - 1);
            const QString headName =
                h >= 0 ? tr("head %1").arg(h + 1) : headBox_->currentText().toLower();
            panels.push_back({picture, r->queryMap(a, h, q), r->grid,
                              QString("%1, %2, %3").arg(who, app, headName), highlight});
        }
        QStringList top;
        for (const ClassScore& c : topClasses(r->probabilities, 3, f.classNames))
            top << QString("%1 %2%")
                       .arg(QString::fromStdString(c.name).toHtmlEscaped())
                       .arg(100.0 * c.probability, 0, 'f', 1);
        predictionLines << QString("<b>%1</b>: %2").arg(who.toHtmlEscaped(), top.join(", "));
    }
    overlay_->setColumns(columns);
    overlay_->setPanels(std::move(panels));
    overlay_->setTitle(image >= 0 ? ws_.image(image).name : tr("Drop images or a checkpoint here"));
    predictions_->setText(predictionLines.join("<br>"));
}

} // namespace ringscope::gui

namespace ringscope::gui {

std::vector<std::pair<QString, plots::Figure*>> AttentionView::figures() {
    return {{"attention", overlay_}};
}

void AttentionView::writeNumbers(AnalysisOutput& out) {
    const int image = ws_.currentImage();
    if (image < 0) return;
    // Heads fused as on screen (one head or all heads shown: their mean).
    const analysis::HeadFusion fusion = ws_.head() == kHeadMax   ? analysis::HeadFusion::Max
                                        : ws_.head() == kHeadMin ? analysis::HeadFusion::Min
                                                                 : analysis::HeadFusion::Mean;
    for (int s : ws_.loadedSlots()) {
        const ImageAnalysis* r = ws_.analysis(s, image);
        if (!r) continue;
        const ModelSession& session = *ws_.model(s);
        const LoadedModel& loaded = session.loaded();
        const analysis::StudyModel m = analysis::StudyModel::of(
            *loaded.model, loaded.metadata.inputSpec(), Workspace::slotName(s).toStdString(),
            ws_.slotLabel(s).toStdString(), session.facts().path);
        const torch::Tensor att =
            torch::tensor(r->attention).reshape({r->applications, r->heads, r->tokens, r->tokens});
        const int a = std::min(ws_.application(), r->applications - 1),
                  q = std::min(r->token(ws_.query()), r->tokens - 1);
        // The query's maps (a model without a class token: its first patch for "CLS").
        writeImageAttention(out, m, att, topClasses(r->probabilities, 5, loaded.metadata),
                            std::max(q, 0), fusion);
        if (!r->gae.empty()) {
            // The names and shapes of `ringscope-cli analyze attribution` (one image).
            const int64_t P = int64_t(r->gae.size());
            out.array(m.stem("attribution"),
                      torch::tensor(r->gae, torch::kFloat64).view({1, P}).to(torch::kFloat32),
                      {{"image", false}, {"patch", false}},
                      "GAE relevance of every patch for class " + std::to_string(r->gaeClass));
            out.array(m.stem("attribution_per_application"),
                      torch::tensor(r->gaePerApplication, torch::kFloat64)
                          .view({r->applications, 1, P})
                          .to(torch::kFloat32),
                      {{m.axis}, {"image", false}, {"patch", false}},
                      "what each application contributes (the decision row of Abar_t)");
            out.results()[m.stem("attribution_class")] = r->gaeClass;
        }
        const std::vector<double> shown =
            ws_.gae() && !r->gae.empty() ? r->gae
            : ws_.rollout()              ? r->rolloutMap(a, q)
                                         : r->queryMap(a, std::max(ws_.head(), int(kHeadMean)), q);
        out.array(m.stem("shown_map"),
                  torch::tensor(shown, torch::kFloat64).reshape({r->grid, r->grid}),
                  {{"row", false}, {"col", false}}, "the map shown for " + m.label);
    }
    out.results()["attention"] = {
        {"image", ws_.image(image).path.toStdString()},
        {"application", ws_.application() + 1},
        {"head", ws_.head()},
        {"query", ws_.query()},
        {"fusion", analysis::fusionName(fusion)},
        {"rollout", ws_.rollout()},
        {"depth", {{"applications", ws_.depth().applications}, {"extend", ws_.depth().policy}}}};
}

} // namespace ringscope::gui
