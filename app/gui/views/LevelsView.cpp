#include <torch/types.h>

#include "AnalysisOutput.h"
#include "ExportSupport.h"
#include "StudyExport.h"
#include "ringscope/analysis/Studies.h"

#include "views/LevelsView.h"

#include "views/DataRunBar.h"
#include "document/Workspace.h"

#include "AttentionOverlay.h"
#include "HeatmapPlot.h"
#include "LinePlot.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace ringscope::gui {

namespace {

const char* kSignals[4] = {"Q", "K", "V", "F"};

} // namespace

LevelsView::LevelsView(Workspace& workspace, QWidget* parent) : QWidget(parent), ws_(workspace) {
    dynamics_ = new plots::LinePlot(this);
    dynamics_->setTitle(tr("Depth dynamics"));
    // Beside the plot: updates fall and cosines rise across the whole of it.
    dynamics_->setLegendOutside(true);
    ratios_ = new plots::LinePlot(this);
    norms_ = new plots::LinePlot(this);
    singular_ = new plots::LinePlot(this);
    cosine_ = new plots::HeatmapPlot(this);
    cosine_->setRange(-1.0, 1.0);
    cosine_->setValueLabel("cosine");
    tokens_ = new plots::AttentionOverlay(this);
    for (plots::LinePlot* p : {dynamics_, ratios_, norms_, singular_})
        p->setIntegerXAxis(true);
    auto* grid = new QGridLayout;
    grid->addWidget(dynamics_, 0, 0);
    grid->addWidget(ratios_, 0, 1);
    grid->addWidget(tokens_, 0, 2);
    grid->addWidget(norms_, 1, 0);
    grid->addWidget(singular_, 1, 1);
    grid->addWidget(cosine_, 1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildControls());
    layout->addLayout(grid, 1);

    connect(&job_, &BackgroundJob::finished, this, [this] {
        takeUnlessCancelled(result_, pending_);
        showResult();
    });
    connect(&ws_, &Workspace::applicationChanged, this, &LevelsView::showTokens);
    connect(&ws_, &Workspace::currentImageChanged, this, &LevelsView::showTokens);
    connect(&ws_, &Workspace::modelChanged, this,
            [this] { bar_->setCanRun(!ws_.loadedSlots().isEmpty()); });
    showResult();
}

QWidget* LevelsView::buildControls() {
    bar_ = new DataRunBar(job_, 200, this);
    signalBox_ = new QComboBox(bar_);
    for (const char* s : kSignals)
        signalBox_->addItem(QString("signal %1").arg(s));
    signalBox_->setToolTip(
        tr("The RingFormer signal shown in the singular values, level cosine and token map"));
    connect(signalBox_, &QComboBox::currentIndexChanged, this, &LevelsView::showResult);
    bar_->addControl(signalBox_);
    connect(bar_, &DataRunBar::computeRequested, this, &LevelsView::run);
    return bar_;
}

void LevelsView::setDataSpec(const QString& spec) {
    bar_->setDataSpec(spec);
}

void LevelsView::run() {
    if (job_.running() || ws_.loadedSlots().isEmpty()) return;
    auto keep = std::make_shared<Sessions>();
    auto models = studyModels(ws_, *keep);
    const analysis::DataSettings data = bar_->settings();
    pending_ = std::make_shared<std::shared_ptr<const analysis::LevelsStudy>>();
    auto out = pending_;
    bar_->started();
    job_.start([keep, models, data, out](const JobContext& ctx) {
        *out = analysis::studyLevels(models, data, ctx);
    });
}

int LevelsView::ringIndex() const {
    return result_ ? firstRingFormer(*result_) : -1;
}

void LevelsView::showResult() {
    const int signal = signalBox_->currentIndex();
    const QString sig = kSignals[signal];
    const int ring = ringIndex();
    for (plots::LinePlot* p : {dynamics_, ratios_, norms_, singular_})
        p->clearSeries();
    // The figures of `analyze levels`, with titles short enough for this grid of six.
    if (result_) plotDynamics(*dynamics_, *result_);
    dynamics_->setTitle(tr("Depth dynamics"));
    dynamics_->setAxisLabels(tr("application"), tr("update, cosine to h_(a-1)"));
    bool encodings = false;
    if (result_)
        for (const auto& run : result_->runs)
            encodings = encodings || run.encodingRatioMean.defined();
    if (ring >= 0) {
        const analysis::LevelsStudy& r = *result_;
        const QString label = QString::fromStdString(r.models[size_t(ring)].label);
        plotSignalRatios(*ratios_, r, size_t(ring));
        ratios_->setTitle(tr("%1: signal / term").arg(label));
        ratios_->setAxisLabels(tr("level"), tr("||s_X|| / ||term|| (mean ± std)"));
        plotLowRank(*norms_, r, size_t(ring));
        norms_->setTitle(tr("%1: low-rank maps").arg(label));
        plotLevelCosine(*cosine_, r, size_t(ring), signal);
        cosine_->setTitle(tr("%1: cosine of %2 signals").arg(label, sig));
        const torch::Tensor sv = r.lowRank[size_t(ring)]->singularValues[signal]; // [T, r]
        singular_->setTitle(tr("%1: singular values, %2").arg(label, sig));
        for (int64_t t = 0; t < sv.size(0); ++t)
            singular_->addSeries(tr("level %1").arg(t + 1), exportsupport::range1(sv.size(1)),
                                 flatValues(sv[t]));
    } else if (encodings) {
        plotEncodings(*ratios_, *result_);
        ratios_->setTitle(tr("Level encodings"));
    } else {
        ratios_->setTitle(tr("Level signals (load a RingFormer or a UiT)"));
    }
    if (ring < 0) {
        norms_->setTitle(tr("Low-rank maps (RingFormer)"));
        singular_->setTitle(tr("Singular values (RingFormer)"));
    }
    singular_->setAxisLabels(tr("index"), tr("singular value"));
    cosine_->setVisible(ring >= 0);
    for (plots::LinePlot* p : {dynamics_, ratios_, norms_, singular_})
        p->replot();
    bar_->setStatus(!result_ ? tr("Compute to see the signals over a data source.")
                             : tr("%1 images").arg(result_->examples));
    showTokens();
}

void LevelsView::showTokens() {
    const int ring = ringIndex();
    const int image = ws_.currentImage();
    tokens_->setVisible(ring >= 0);
    if (ring < 0 || image < 0) return;
    const int signal = signalBox_->currentIndex();
    const torch::Tensor perToken = result_->runs[size_t(ring)].signalRatioPerToken[signal];
    const int level = std::min(ws_.application(), int(perToken.size(0)) - 1);
    const std::vector<double> patches =
        flatValues(perToken[level].narrow(0, 1, perToken.size(1) - 1));
    int grid = 0;
    while ((grid + 1) * (grid + 1) <= int(patches.size()))
        ++grid;
    tokens_->setTitle(
        tr("%1: %2 signal / term per token, level %3")
            .arg(QString::fromStdString(result_->models[size_t(ring)].label), kSignals[signal])
            .arg(level + 1));
    tokens_->setPanels({{ws_.image(image).preview, patches, grid, ws_.image(image).name, -1}});
}

} // namespace ringscope::gui

namespace ringscope::gui {

std::vector<std::pair<QString, plots::Figure*>> LevelsView::figures() {
    // The names `ringscope-cli analyze levels` gives the same figures.
    if (!result_) return {};
    std::vector<std::pair<QString, plots::Figure*>> out{{"dynamics", dynamics_}};
    const int ring = ringIndex();
    if (ring >= 0) {
        const analysis::StudyModel& m = result_->models[size_t(ring)];
        const std::string sig = kSignals[signalBox_->currentIndex()];
        out.emplace_back(QString::fromStdString(m.stem("signals")), ratios_);
        out.emplace_back(QString::fromStdString(m.stem("lowrank")), norms_);
        out.emplace_back(QString::fromStdString(m.stem("singular_values_" + sig)), singular_);
        out.emplace_back(QString::fromStdString(m.stem("level_cosine_" + sig)), cosine_);
        out.emplace_back(QString::fromStdString(m.stem("tokens_" + sig)), tokens_);
    } else if (ratios_->seriesCount() > 0) {
        out.emplace_back("encodings", ratios_);
    }
    return out;
}

void LevelsView::writeNumbers(AnalysisOutput& out) {
    if (result_) writeStudy(out, *result_);
}

} // namespace ringscope::gui
