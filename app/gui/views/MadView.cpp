#include <torch/types.h>

#include "AnalysisOutput.h"
#include "StudyExport.h"
#include "ringscope/analysis/Studies.h"

#include "views/MadView.h"

#include "views/DataRunBar.h"
#include "document/Workspace.h"

#include "DepthScatterPlot.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace ringscope::gui {

MadView::MadView(Workspace& workspace, QWidget* parent) : QWidget(parent), ws_(workspace) {
    plot_ = new plots::DepthScatterPlot(this);
    plot_->setTitle(tr("Mean attention distance"));
    plot_->setAxisLabels(tr("application (layer / iteration)"),
                         tr("mean attention distance (pixels)"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildControls());
    layout->addWidget(plot_, 1);
    connect(&job_, &BackgroundJob::finished, this, [this] {
        takeUnlessCancelled(result_, pending_);
        showResult();
    });
    connect(&ws_, &Workspace::modelChanged, this,
            [this] { bar_->setCanRun(!ws_.loadedSlots().isEmpty()); });
}

QWidget* MadView::buildControls() {
    bar_ = new DataRunBar(job_, 200, this);
    renormBox_ = new QCheckBox(tr("Renormalise rows (variant)"), bar_);
    renormBox_->setToolTip(
        tr("Off: the published definition (CLS dropped, rows not renormalised)"));
    bar_->addControl(renormBox_);
    connect(bar_, &DataRunBar::computeRequested, this, &MadView::run);
    return bar_;
}

void MadView::setImageCount(int n) {
    bar_->setImageCount(n);
}
void MadView::setDataSpec(const QString& spec) {
    bar_->setDataSpec(spec);
}

void MadView::run() {
    if (job_.running() || ws_.loadedSlots().isEmpty()) return;
    auto keep = std::make_shared<Sessions>();
    auto models = studyModels(ws_, *keep);
    const analysis::DataSettings data = bar_->settings();
    const auto variant = renormBox_->isChecked() ? analysis::MadVariant::Renormalised
                                                 : analysis::MadVariant::Published;
    pending_ = std::make_shared<std::shared_ptr<const analysis::MadStudy>>();
    auto out = pending_;
    bar_->started();
    job_.start([keep, models, data, variant, out](const JobContext& ctx) {
        *out = analysis::studyMad(models, data, variant, ctx);
    });
}

void MadView::showResult() {
    if (!result_) {
        plot_->clearModels();
        plot_->replot();
        bar_->setStatus(QString());
        return;
    }
    plotMad(*plot_, *result_);
    plot_->replot();
    bar_->setStatus(tr("%1 images").arg(result_->examples));
}

} // namespace ringscope::gui

namespace ringscope::gui {

std::vector<std::pair<QString, plots::Figure*>> MadView::figures() {
    if (!result_) return {};
    return {{"mad", plot_}};
}

void MadView::writeNumbers(AnalysisOutput& out) {
    if (result_) writeStudy(out, *result_);
}

} // namespace ringscope::gui
