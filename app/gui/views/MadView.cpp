#include <torch/types.h>

#include "AnalysisOutput.h"
#include "views/ViewExport.h"

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
        if (pending_) result_ = *pending_;
        labels_ = pendingLabels_;
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
    const auto keep = ws_.loadedModels(&pendingLabels_);
    MadRequest req;
    req.data = bar_->dataSpec().toStdString();
    req.limit = bar_->imageCount();
    req.renormalised = renormBox_->isChecked();
    pending_ = std::make_shared<std::vector<MadResult>>();
    auto out = pending_;
    bar_->started();
    job_.start([keep, req, out](const JobContext& ctx) {
        std::vector<const ModelSession*> models;
        for (const auto& m : keep)
            models.push_back(m.get());
        *out = computeMad(models, req, ctx);
    });
}

void MadView::showResult() {
    plot_->clearModels();
    for (size_t i = 0; i < result_.size(); ++i) {
        const Matrix& m = result_[i].mean;
        std::vector<std::vector<double>> perHead(size_t(m.rows));
        for (int a = 0; a < m.rows; ++a)
            for (int h = 0; h < m.cols; ++h)
                perHead[size_t(a)].push_back(m.at(a, h));
        plot_->addModel(labels_.value(int(i)), perHead,
                        plots::DepthScatterPlot::defaultColor(int(i)));
    }
    plot_->setTitle(tr("Mean attention distance%1, %2 images")
                        .arg(renormBox_->isChecked() ? tr(" (rows renormalised)") : QString())
                        .arg(result_.empty() ? 0 : result_.front().examples));
    plot_->replot();
    bar_->setStatus(result_.empty() ? QString() : tr("%1 images").arg(result_.front().examples));
}

} // namespace ringscope::gui

namespace ringscope::gui {

std::vector<std::pair<QString, plots::Figure*>> MadView::figures() {
    if (result_.empty()) return {};
    return {{"mad", plot_}};
}

void MadView::writeNumbers(AnalysisOutput& out) {
    nlohmann::json models = nlohmann::json::array();
    for (size_t i = 0; i < result_.size(); ++i) {
        const std::string tag = labels_.value(int(i)).left(1).toStdString();
        out.array("mad_mean_" + tag, toTensor(result_[i].mean), {{"application"}, {"head"}},
                  "MAD mean over images (pixels)");
        out.array("mad_std_" + tag, toTensor(result_[i].std), {{"application"}, {"head"}},
                  "MAD std over images (pixels)");
        models.push_back(
            {{"model", labels_.value(int(i)).toStdString()}, {"examples", result_[i].examples}});
    }
    if (!result_.empty())
        out.results()["mad"] = {
            {"models", models},
            {"data", bar_->dataSpec().toStdString()},
            {"variant", renormBox_->isChecked() ? "renormalised rows" : "published"}};
}

} // namespace ringscope::gui
