#include <torch/types.h>

#include "AnalysisOutput.h"
#include "StudyExport.h"
#include "ringscope/analysis/Studies.h"

#include "views/CkaView.h"

#include "views/DataRunBar.h"
#include "document/Workspace.h"

#include "HeatmapPlot.h"
#include "LinePlot.h"

#include <QComboBox>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace ringscope::gui {

CkaView::CkaView(Workspace& workspace, QWidget* parent) : QWidget(parent), ws_(workspace) {
    auto* grid = new QGridLayout;
    const QString titles[3] = {tr("A x A"), tr("B x B"), tr("A x B")};
    for (int i = 0; i < 3; ++i) {
        maps_[i] = new plots::HeatmapPlot(this);
        maps_[i]->setTitle(titles[i]);
        maps_[i]->setValueLabel("CKA");
        maps_[i]->setRange(0.0, 1.0);
        grid->addWidget(maps_[i], 0, i);
    }
    trace_ = new plots::LinePlot(this);
    trace_->setTitle(tr("Best-matching application of B for each application of A"));
    trace_->setIntegerXAxis(true);
    trace_->setIntegerYAxis(true);
    trace_->setMaximumHeight(260);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildControls());
    layout->addLayout(grid, 1);
    layout->addWidget(trace_);

    connect(&job_, &BackgroundJob::finished, this, [this] {
        takeUnlessCancelled(result_, pending_);
        showResult();
    });
    connect(&ws_, &Workspace::modelChanged, this,
            [this] { bar_->setCanRun(!ws_.loadedSlots().isEmpty()); });
}

QWidget* CkaView::buildControls() {
    bar_ = new DataRunBar(job_, 500, this);
    kernelBox_ = new QComboBox(bar_);
    kernelBox_->addItems({"linear", "rbf"});
    kernelBox_->setObjectName("kernel");
    estimatorBox_ = new QComboBox(bar_);
    estimatorBox_->addItems({"minibatch", "full", "token"});
    featureBox_ = new QComboBox(bar_);
    featureBox_->addItems({"flatten", "cls", "mean"});
    bar_->addControl(kernelBox_, tr("Kernel"));
    bar_->addControl(estimatorBox_, tr("Estimator"));
    bar_->addControl(featureBox_, tr("Feature"));
    connect(bar_, &DataRunBar::computeRequested, this, &CkaView::run);
    return bar_;
}

void CkaView::setImageCount(int n) {
    bar_->setImageCount(n);
}
void CkaView::setDataSpec(const QString& spec) {
    bar_->setDataSpec(spec);
}

void CkaView::run() {
    if (ws_.loadedSlots().isEmpty() || job_.running()) return;
    auto keep = std::make_shared<Sessions>();
    auto models = studyModels(ws_, *keep);
    const analysis::DataSettings data = bar_->settings();
    analysis::CkaOptions o;
    o.kernel = analysis::parseKernel(kernelBox_->currentText().toStdString());
    o.estimator = analysis::parseEstimator(estimatorBox_->currentText().toStdString());
    o.feature = analysis::parseFeature(featureBox_->currentText().toStdString());
    pending_ = std::make_shared<std::shared_ptr<const analysis::CkaStudy>>();
    auto out = pending_;
    bar_->started();
    job_.start([keep, models, data, o, out](const JobContext& ctx) {
        *out = analysis::studyCka(models, data, o, ctx);
    });
}

void CkaView::showResult() {
    for (int i = 0; i < 3; ++i) {
        const bool shown = result_ && plotCka(*maps_[i], *result_, i);
        maps_[i]->setVisible(shown);
        if (shown) maps_[i]->replot();
    }
    trace_->clearSeries();
    if (!result_) {
        trace_->replot();
        bar_->setStatus(QString());
        return;
    }
    const std::vector<int64_t> best = bestCkaMatch(*result_);
    std::vector<double> x, y;
    for (size_t r = 0; r < best.size(); ++r) {
        x.push_back(double(r + 1));
        y.push_back(double(best[r]));
    }
    const analysis::StudyModel& a = result_->models.front();
    const analysis::StudyModel& b = result_->models.back();
    trace_->setAxisLabels(QString::fromStdString(a.label + " " + a.axis),
                          tr("best match in ") + QString::fromStdString(b.label));
    trace_->addSeries(tr("argmax CKA"), x, y);
    trace_->replot();
    bar_->setStatus(tr("%1 images%2")
                        .arg(result_->examples)
                        .arg(result_->skipped.empty()
                                 ? QString()
                                 : tr(", %1 unreadable skipped").arg(result_->skipped.size())));
}

} // namespace ringscope::gui

namespace ringscope::gui {

std::vector<std::pair<QString, plots::Figure*>> CkaView::figures() {
    // The names `ringscope-cli analyze cka` gives them: "cka" is A x B (or A x A alone).
    if (!result_) return {};
    if (result_->models.size() == 1) return {{"cka", maps_[0]}};
    return {{"cka", maps_[2]}, {"cka_aa", maps_[0]}, {"cka_bb", maps_[1]}};
}

void CkaView::writeNumbers(AnalysisOutput& out) {
    if (result_) writeStudy(out, *result_);
}

} // namespace ringscope::gui
