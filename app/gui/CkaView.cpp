#include <torch/types.h>

#include "AnalysisOutput.h"
#include "ViewExport.h"

#include "CkaView.h"

#include "Workspace.h"

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
    trace_->setMaximumHeight(260);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildControls());
    layout->addLayout(grid, 1);
    layout->addWidget(trace_);

    connect(&job_, &BackgroundJob::progress, this, [this](qint64 done, qint64 total) {
        progress_->setMaximum(int(total));
        progress_->setValue(int(done));
    });
    connect(&job_, &BackgroundJob::finished, this, [this] {
        if (pending_) result_ = *pending_;
        setRunning(false);
        showResult();
    });
    connect(&job_, &BackgroundJob::cancelled, this, [this] {
        setRunning(false);
        status_->setText(tr("Cancelled; the previous result stays."));
    });
    connect(&job_, &BackgroundJob::failed, this, [this](const QString& m) {
        setRunning(false);
        status_->setText(tr("Failed: %1").arg(m));
    });
    connect(&ws_, &Workspace::modelChanged, this, [this] { runButton_->setEnabled(!ws_.loadedSlots().isEmpty()); });
    setRunning(false);
}

QWidget* CkaView::buildControls() {
    auto* bar = new QWidget(this);
    auto* row = new QHBoxLayout(bar);
    row->setContentsMargins(0, 0, 0, 0);
    dataBox_ = new QComboBox(bar);
    dataBox_->setEditable(true);
    dataBox_->addItems({"fashion-mnist:test", "fashion-mnist:train"});
    dataBox_->setToolTip(tr("Data source: fashion-mnist[:test|train], folder:DIR, npy:FILE, idx:IMAGES,LABELS, cifar:DIR"));
    auto* browse = new QPushButton(tr("Folder..."), bar);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Images for CKA"));
        if (!dir.isEmpty()) dataBox_->setCurrentText("folder:" + dir);
    });
    imagesBox_ = new QSpinBox(bar);
    imagesBox_->setRange(8, 100000);
    imagesBox_->setValue(500);
    imagesBox_->setSuffix(tr(" images"));
    kernelBox_ = new QComboBox(bar);
    kernelBox_->addItems({"linear", "rbf"});
    estimatorBox_ = new QComboBox(bar);
    estimatorBox_->addItems({"minibatch", "full", "token"});
    featureBox_ = new QComboBox(bar);
    featureBox_->addItems({"flatten", "cls", "mean"});
    runButton_ = new QPushButton(tr("Compute"), bar);
    connect(runButton_, &QPushButton::clicked, this, &CkaView::run);
    cancelButton_ = new QPushButton(tr("Cancel"), bar);
    connect(cancelButton_, &QPushButton::clicked, &job_, &BackgroundJob::cancel);
    progress_ = new QProgressBar(bar);
    progress_->setMaximumWidth(180);
    status_ = new QLabel(bar);
    for (QWidget* w : std::initializer_list<QWidget*>{new QLabel(tr("Data"), bar), dataBox_, browse, imagesBox_,
                                                      new QLabel(tr("Kernel"), bar), kernelBox_, new QLabel(tr("Estimator"), bar),
                                                      estimatorBox_, new QLabel(tr("Feature"), bar), featureBox_, runButton_,
                                                      cancelButton_, progress_, status_})
        row->addWidget(w, w == status_ ? 1 : 0);
    return bar;
}

void CkaView::setImageCount(int n) { imagesBox_->setValue(n); }
void CkaView::setDataSpec(const QString& spec) { dataBox_->setCurrentText(spec); }

void CkaView::setRunning(bool running) {
    runButton_->setEnabled(!running && !ws_.loadedSlots().isEmpty());
    cancelButton_->setEnabled(running);
    progress_->setVisible(running);
    if (running) {
        progress_->setValue(0);
        status_->setText(tr("Computing..."));
    }
}

void CkaView::run() {
    const QList<int> loaded = ws_.loadedSlots();
    if (loaded.isEmpty() || job_.running()) return;
    auto a = ws_.model(loaded[0]);
    auto b = loaded.size() > 1 ? ws_.model(loaded[1]) : nullptr;
    labels_[0] = Workspace::slotName(loaded[0]) + ": " + QString::fromStdString(a->facts().family);
    labels_[1] = b ? Workspace::slotName(loaded[1]) + ": " + QString::fromStdString(b->facts().family) : QString();
    CkaRequest req;
    req.data = dataBox_->currentText().toStdString();
    req.limit = imagesBox_->value();
    req.kernel = kernelBox_->currentText().toStdString();
    req.estimator = estimatorBox_->currentText().toStdString();
    req.feature = featureBox_->currentText().toStdString();
    auto out = std::make_shared<CkaResult>();
    pending_ = out;
    setRunning(true);
    job_.start([a, b, req, out](const JobContext& ctx) { *out = computeCka(*a, b.get(), req, ctx); });
}

void CkaView::showResult() {
    const Matrix* m[3] = {&result_.aa, &result_.bb, &result_.ab};
    const QString names[3][2] = {{labels_[0], labels_[0]}, {labels_[1], labels_[1]}, {labels_[0], labels_[1]}};
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
    trace_->setAxisLabels(labels_[0] + tr(" application"), tr("best match in ") + (result_.ab.rows > 0 ? labels_[1] : labels_[0]));
    trace_->addSeries(tr("argmax CKA"), x, best);
    trace_->replot();
    status_->setText(tr("%1 images%2").arg(result_.examples).arg(result_.skipped.empty() ? QString()
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
        if (m[i]->rows > 0) out.array(stems[i], toTensor(*m[i]), {{"application_row"}, {"application_col"}}, "CKA");
    if (result_.aa.rows > 0)
        out.results()["cka"] = {{"examples", result_.examples}, {"data", dataBox_->currentText().toStdString()},
                                {"kernel", kernelBox_->currentText().toStdString()},
                                {"estimator", estimatorBox_->currentText().toStdString()},
                                {"feature", featureBox_->currentText().toStdString()},
                                {"models", {labels_[0].toStdString(), labels_[1].toStdString()}}};
}

} // namespace ringscope::gui
