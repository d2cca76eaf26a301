#include <torch/types.h>

#include "AnalysisOutput.h"
#include "views/ViewExport.h"

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
        if (pending_) result_ = *pending_;
        showResult();
    });
    connect(&ws_, &Workspace::modelChanged, this,
            [this] { bar_->setCanRun(!ws_.loadedSlots().isEmpty()); });
}

QWidget* CkaView::buildControls() {
    bar_ = new DataRunBar(job_, 500, this);
    kernelBox_ = new QComboBox(bar_);
    kernelBox_->addItems({"linear", "rbf"});
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
    const QList<int> loaded = ws_.loadedSlots();
    if (loaded.isEmpty() || job_.running()) return;
    auto a = ws_.model(loaded[0]);
    auto b = loaded.size() > 1 ? ws_.model(loaded[1]) : nullptr;
    labels_[0] = Workspace::slotName(loaded[0]) + ": " + QString::fromStdString(a->facts().family);
    labels_[1] =
        b ? Workspace::slotName(loaded[1]) + ": " + QString::fromStdString(b->facts().family)
          : QString();
    CkaRequest req;
    req.data = bar_->dataSpec().toStdString();
    req.limit = bar_->imageCount();
    req.kernel = kernelBox_->currentText().toStdString();
    req.estimator = estimatorBox_->currentText().toStdString();
    req.feature = featureBox_->currentText().toStdString();
    auto out = std::make_shared<CkaResult>();
    pending_ = out;
    bar_->started();
    job_.start(
        [a, b, req, out](const JobContext& ctx) { *out = computeCka(*a, b.get(), req, ctx); });
}

void CkaView::showResult() {
    const Matrix* m[3] = {&result_.aa, &result_.bb, &result_.ab};
    const QString names[3][2] = {
        {labels_[0], labels_[0]}, {labels_[1], labels_[1]}, {labels_[0], labels_[1]}};
    for (int i = 0; i < 3; ++i) {
        maps_[i]->setVisible(m[i]->rows > 0);
        if (m[i]->rows == 0) continue;
        maps_[i]->setMatrix(m[i]->values, m[i]->rows, m[i]->cols);
        maps_[i]->setAxisLabels(names[i][1], names[i][0]);
        maps_[i]->replot();
    }
    trace_->clearSeries();
    const Matrix& cross = result_.ab.rows > 0 ? result_.ab : result_.aa;
    std::vector<double> x, best;
    for (int r = 0; r < cross.rows; ++r) {
        int arg = 0;
        for (int c = 1; c < cross.cols; ++c)
            if (cross.at(r, c) > cross.at(r, arg)) arg = c;
        x.push_back(r + 1);
        best.push_back(arg + 1);
    }
    trace_->setAxisLabels(labels_[0] + tr(" application"),
                          tr("best match in ") + (result_.ab.rows > 0 ? labels_[1] : labels_[0]));
    trace_->addSeries(tr("argmax CKA"), x, best);
    trace_->replot();
    bar_->setStatus(tr("%1 images%2")
                        .arg(result_.examples)
                        .arg(result_.skipped.empty()
                                 ? QString()
                                 : tr(", %1 unreadable skipped").arg(result_.skipped.size())));
}

} // namespace ringscope::gui

namespace ringscope::gui {

std::vector<std::pair<QString, plots::Figure*>> CkaView::figures() {
    std::vector<std::pair<QString, plots::Figure*>> out;
    const char* stems[3] = {"cka_aa", "cka_bb", "cka_ab"};
    const Matrix* m[3] = {&result_.aa, &result_.bb, &result_.ab};
    for (int i : {2, 0, 1})
        if (m[i]->rows > 0) out.emplace_back(stems[i], maps_[i]);
    return out;
}

void CkaView::writeNumbers(AnalysisOutput& out) {
    const char* stems[3] = {"cka_aa", "cka_bb", "cka_ab"};
    const Matrix* m[3] = {&result_.aa, &result_.bb, &result_.ab};
    for (int i = 0; i < 3; ++i)
        if (m[i]->rows > 0)
            out.array(stems[i], toTensor(*m[i]), {{"application_row"}, {"application_col"}}, "CKA");
    if (result_.aa.rows > 0)
        out.results()["cka"] = {{"examples", result_.examples},
                                {"data", bar_->dataSpec().toStdString()},
                                {"kernel", kernelBox_->currentText().toStdString()},
                                {"estimator", estimatorBox_->currentText().toStdString()},
                                {"feature", featureBox_->currentText().toStdString()},
                                {"models", {labels_[0].toStdString(), labels_[1].toStdString()}}};
}

} // namespace ringscope::gui
