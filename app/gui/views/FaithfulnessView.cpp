#include <torch/types.h>

#include "AnalysisOutput.h"
#include "StudyExport.h"
#include "ringscope/analysis/Studies.h"

#include "views/FaithfulnessView.h"

#include "document/Workspace.h"
#include "views/DataRunBar.h"

#include "LinePlot.h"

#include <QHBoxLayout>
#include <QSpinBox>
#include <QVBoxLayout>

namespace ringscope::gui {

FaithfulnessView::FaithfulnessView(Workspace& workspace, QWidget* parent)
    : QWidget(parent), ws_(workspace) {
    deletion_ = new plots::LinePlot(this);
    insertion_ = new plots::LinePlot(this);
    bar_ = new DataRunBar(job_, 100, this);
    stepsBox_ = new QSpinBox(bar_);
    stepsBox_->setRange(1, 100);
    stepsBox_->setValue(10);
    stepsBox_->setToolTip(tr("Points of each curve: the patches change in this many steps"));
    bar_->addControl(stepsBox_, tr("Steps"));
    connect(bar_, &DataRunBar::computeRequested, this, &FaithfulnessView::run);
    auto* plots = new QHBoxLayout;
    plots->addWidget(deletion_);
    plots->addWidget(insertion_);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(bar_);
    layout->addLayout(plots, 1);
    connect(&job_, &BackgroundJob::finished, this, [this] {
        takeUnlessCancelled(result_, pending_);
        showResult();
    });
    connect(&ws_, &Workspace::modelChanged, this,
            [this] { bar_->setCanRun(!ws_.loadedSlots().isEmpty()); });
    showResult();
}

void FaithfulnessView::setDataSpec(const QString& spec) {
    bar_->setDataSpec(spec);
}

void FaithfulnessView::setImageCount(int n) {
    bar_->setImageCount(n);
}

void FaithfulnessView::run() {
    if (job_.running() || ws_.loadedSlots().isEmpty()) return;
    auto keep = std::make_shared<Sessions>();
    auto models = studyModels(ws_, *keep);
    const analysis::DataSettings data = bar_->settings();
    analysis::FaithfulnessOptions options;
    options.steps = stepsBox_->value();
    pending_ = std::make_shared<std::shared_ptr<const analysis::FaithfulnessStudy>>();
    auto out = pending_;
    bar_->started();
    job_.start([keep, models, data, options, out](const JobContext& ctx) {
        *out = analysis::studyFaithfulness(models, data, options, ctx);
    });
}

void FaithfulnessView::showResult() {
    if (result_) {
        plotFaithfulness(*deletion_, *result_, false);
        plotFaithfulness(*insertion_, *result_, true);
        for (plots::LinePlot* p : {deletion_, insertion_}) {
            p->legend->setFont(QFont(font().family(), 8));
            p->setTitle(p == deletion_ ? tr("Deletion (lower area: more faithful)")
                                       : tr("Insertion (higher area: more faithful)"));
        }
        deletion_->setLegendCorner(Qt::AlignTop | Qt::AlignRight);
        insertion_->setLegendCorner(Qt::AlignBottom | Qt::AlignRight);
    } else {
        for (plots::LinePlot* p : {deletion_, insertion_})
            p->clearSeries();
        deletion_->setTitle(tr("Deletion: remove the most relevant patches first"));
        insertion_->setTitle(tr("Insertion: reveal the most relevant patches first"));
    }
    deletion_->replot();
    insertion_->replot();
    bar_->setStatus(!result_ ? tr("Compute to test raw attention, rollout and GAE.")
                             : tr("%1 images").arg(result_->examples));
}

} // namespace ringscope::gui

namespace ringscope::gui {

std::vector<std::pair<QString, plots::Figure*>> FaithfulnessView::figures() {
    if (!result_) return {};
    return {{"deletion", deletion_}, {"insertion", insertion_}};
}

void FaithfulnessView::writeNumbers(AnalysisOutput& out) {
    if (result_) writeStudy(out, *result_);
}

} // namespace ringscope::gui
