#include <torch/types.h>

#include "AnalysisOutput.h"
#include "views/ViewExport.h"

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

std::vector<double> row(const Matrix& m, int r) {
    return std::vector<double>(m.values.begin() + r * m.cols, m.values.begin() + (r + 1) * m.cols);
}

std::vector<double> count(int n) {
    std::vector<double> x;
    for (int i = 1; i <= n; ++i)
        x.push_back(i);
    return x;
}

std::vector<double> plus(const std::vector<double>& a, const std::vector<double>& b, double sign) {
    std::vector<double> out(a.size());
    for (size_t i = 0; i < a.size(); ++i)
        out[i] = a[i] + sign * b[i];
    return out;
}

} // namespace

LevelsView::LevelsView(Workspace& workspace, QWidget* parent) : QWidget(parent), ws_(workspace) {
    dynamics_ = new plots::LinePlot(this);
    dynamics_->setTitle(tr("Depth dynamics"));
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
        result_ = *pending_;
        labels_ = pendingLabels_;
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
    const auto keep = ws_.loadedModels(&pendingLabels_);
    LevelsRequest req;
    req.data = bar_->dataSpec().toStdString();
    req.limit = bar_->imageCount();
    pending_ = std::make_shared<std::vector<LevelsResult>>();
    auto out = pending_;
    bar_->started();
    job_.start([keep, req, out](const JobContext& ctx) {
        // Progress over all models: each model's share scaled into one bar.
        for (size_t i = 0; i < keep.size() && !ctx.cancelled(); ++i) {
            JobContext part = ctx;
            part.progress = [&ctx, i, n = keep.size()](int64_t done, int64_t total) {
                ctx.report(int64_t(i) * total + done, int64_t(n) * total);
            };
            out->push_back(computeLevels(*keep[i], req, part));
        }
    });
}

const LevelsResult* LevelsView::ringResult(QString* label) const {
    for (size_t i = 0; i < result_.size(); ++i)
        if (result_[i].lowRankNorm.rows > 0) {
            if (label) *label = labels_.value(int(i));
            return &result_[i];
        }
    return nullptr;
}

void LevelsView::showResult() {
    const int signal = signalBox_->currentIndex();
    const QString sig = kSignals[signal];
    dynamics_->clearSeries();
    dynamics_->setAxisLabels(tr("application"), tr("relative update, cosine to h_a-1"));
    for (size_t i = 0; i < result_.size(); ++i) {
        const Matrix& d = result_[i].dynamics;
        if (d.rows == 0) continue;
        dynamics_->addSeries(labels_.value(int(i)) + tr(" update"), count(d.cols), row(d, 0),
                             QColor(), plus(row(d, 0), row(d, 1), -1),
                             plus(row(d, 0), row(d, 1), 1));
        dynamics_->addSeries(labels_.value(int(i)) + tr(" cosine"), count(d.cols), row(d, 2),
                             QColor(), plus(row(d, 2), row(d, 3), -1),
                             plus(row(d, 2), row(d, 3), 1));
    }
    QString ringLabel;
    const LevelsResult* ring = ringResult(&ringLabel);
    ratios_->clearSeries();
    norms_->clearSeries();
    singular_->clearSeries();
    ratios_->setTitle(ring ? tr("%1: signal / term").arg(ringLabel)
                           : tr("Level signals (load a RingFormer)"));
    ratios_->setAxisLabels(tr("level"), tr("||s_X|| / ||term|| (mean ± std)"));
    norms_->setTitle(ring ? tr("%1: low-rank maps").arg(ringLabel)
                          : tr("Low-rank maps (RingFormer)"));
    norms_->setAxisLabels(tr("level"), tr("||A^T B||_F"));
    singular_->setTitle(ring ? tr("%1: singular values, %2").arg(ringLabel, sig)
                             : tr("Singular values (RingFormer)"));
    singular_->setAxisLabels(tr("index"), tr("singular value"));
    if (ring) {
        for (int s = 0; s < 4; ++s) {
            const auto mean = row(ring->signalRatioMean, s), sd = row(ring->signalRatioStd, s);
            ratios_->addSeries(kSignals[s], count(int(mean.size())), mean, QColor(),
                               plus(mean, sd, -1), plus(mean, sd, 1));
            norms_->addSeries(kSignals[s], count(ring->lowRankNorm.cols),
                              row(ring->lowRankNorm, s));
        }
        const Matrix& sv = ring->singularValues[size_t(signal)];
        for (int t = 0; t < sv.rows; ++t)
            singular_->addSeries(tr("level %1").arg(t + 1), count(sv.cols), row(sv, t));
        const Matrix& cos = ring->levelCosine[size_t(signal)];
        cosine_->setMatrix(cos.values, cos.rows, cos.cols);
        cosine_->setTitle(tr("%1: cosine of %2 signals").arg(ringLabel, sig));
        cosine_->setAxisLabels(tr("level"), tr("level"));
    }
    for (size_t i = 0; i < result_.size(); ++i)
        if (result_[i].encodingRatio.rows > 0) {
            const Matrix& e = result_[i].encodingRatio;
            ratios_->addSeries(labels_.value(int(i)) + tr(" ||E_t|| / ||h||"), count(e.cols),
                               row(e, 0), QColor(), plus(row(e, 0), row(e, 1), -1),
                               plus(row(e, 0), row(e, 1), 1));
        }
    cosine_->setVisible(ring != nullptr);
    for (plots::LinePlot* p : {dynamics_, ratios_, norms_, singular_})
        p->replot();
    bar_->setStatus(result_.empty() ? tr("Compute to see the signals over a data source.")
                                    : tr("%1 images").arg(result_.front().examples));
    showTokens();
}

void LevelsView::showTokens() {
    QString label;
    const LevelsResult* ring = ringResult(&label);
    const int image = ws_.currentImage();
    tokens_->setVisible(ring != nullptr);
    if (!ring || image < 0) return;
    const int signal = signalBox_->currentIndex();
    const Matrix& perToken = ring->ratioPerToken[size_t(signal)];
    const int level = std::min(ws_.application(), perToken.rows - 1);
    std::vector<double> patches(perToken.values.begin() + level * perToken.cols + 1,
                                perToken.values.begin() + (level + 1) * perToken.cols);
    int grid = 0;
    while ((grid + 1) * (grid + 1) <= int(patches.size()))
        ++grid;
    tokens_->setTitle(
        tr("%1: %2 signal / term per token, level %3").arg(label, kSignals[signal]).arg(level + 1));
    tokens_->setPanels({{ws_.image(image).preview, patches, grid, ws_.image(image).name, -1}});
}

} // namespace ringscope::gui

namespace ringscope::gui {

std::vector<std::pair<QString, plots::Figure*>> LevelsView::figures() {
    if (result_.empty()) return {};
    std::vector<std::pair<QString, plots::Figure*>> out{{"levels_dynamics", dynamics_}};
    if (ringResult())
        for (auto [stem, fig] : std::initializer_list<std::pair<QString, plots::Figure*>>{
                 {"levels_signals", ratios_},
                 {"levels_lowrank", norms_},
                 {"levels_singular", singular_},
                 {"levels_cosine", cosine_},
                 {"levels_tokens", tokens_}})
            out.emplace_back(stem, fig);
    return out;
}

void LevelsView::writeNumbers(AnalysisOutput& out) {
    for (size_t i = 0; i < result_.size(); ++i) {
        const LevelsResult& r = result_[i];
        const std::string tag = labels_.value(int(i)).left(1).toStdString();
        if (r.dynamics.rows == 0) continue;
        out.array("levels_dynamics_" + tag, toTensor(r.dynamics),
                  {{"statistic (1 update mean, 2 std, 3 cosine mean, 4 std)"}, {"application"}},
                  "relative update and cosine to the previous application");
        if (r.lowRankNorm.rows > 0) {
            out.array("levels_signal_ratio_mean_" + tag, toTensor(r.signalRatioMean),
                      {{"signal (Q, K, V, F)"}, {"level"}}, "signal / term");
            out.array("levels_signal_ratio_std_" + tag, toTensor(r.signalRatioStd),
                      {{"signal (Q, K, V, F)"}, {"level"}}, "signal / term, std");
            out.array("levels_lowrank_norm_" + tag, toTensor(r.lowRankNorm),
                      {{"signal (Q, K, V, F)"}, {"level"}}, "||A^T B||_F");
        }
        if (r.encodingRatio.rows > 0)
            out.array("levels_encoding_ratio_" + tag, toTensor(r.encodingRatio),
                      {{"statistic (1 mean, 2 std)"}, {"level"}}, "||E_t|| / ||h||");
    }
}

} // namespace ringscope::gui
