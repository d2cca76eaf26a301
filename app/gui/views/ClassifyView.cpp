#include <torch/types.h>

#include "AnalysisOutput.h"
#include "StudyExport.h"
#include "ringscope/analysis/Studies.h"
#include "ringscope/model/Classification.h"

#include "views/ClassifyView.h"

#include "document/Workspace.h"

#include "LinePlot.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <numeric>
#include <utility>
#include <set>

namespace ringscope::gui {

namespace {

std::vector<double> rowValues(const torch::Tensor& probabilities, int row) {
    const torch::Tensor r = probabilities[row].contiguous();
    return std::vector<double>(r.data_ptr<double>(), r.data_ptr<double>() + r.numel());
}

} // namespace

ClassifyView::ClassifyView(Workspace& workspace, QWidget* parent)
    : QWidget(parent), ws_(workspace) {
    table_ = new QTableWidget(this);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setIconSize(QSize(32, 32));
    auto* lensRow = new QWidget(this);
    auto* lensLayout = new QHBoxLayout(lensRow);
    lensLayout->setContentsMargins(0, 0, 0, 0);
    for (auto*& plot : lens_) {
        plot = new plots::LinePlot(lensRow);
        plot->setIntegerXAxis(true);
        plot->setLegendOutside(true);
        lensLayout->addWidget(plot);
    }
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(table_);
    split->addWidget(lensRow);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildControls());
    layout->addWidget(split, 1);

    connect(&job_, &BackgroundJob::progress, this, [this](qint64 done, qint64 total) {
        progress_->setMaximum(int(total));
        progress_->setValue(int(done));
    });
    connect(&job_, &BackgroundJob::finished, this, [this] {
        takeUnlessCancelled(result_, pending_);
        setRunning(false);
        fillTable();
    });
    connect(&job_, &BackgroundJob::cancelled, this, [this] {
        setRunning(false);
        status_->setText(tr("Cancelled."));
        if (std::exchange(rerunPending_, false)) run(); // the images or models changed meanwhile
    });
    connect(&job_, &BackgroundJob::failed, this, [this](const QString& m) {
        setRunning(false);
        status_->setText(tr("Failed: %1").arg(m));
    });
    connect(table_, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (row >= 0) ws_.setCurrentImage(row);
    });
    connect(&ws_, &Workspace::currentImageChanged, this, [this](int i) {
        const QSignalBlocker block(table_);
        if (i < table_->rowCount()) table_->selectRow(i);
        showLens();
    });
    connect(&ws_, &Workspace::analysisReady, this, [this](int, int image) {
        if (image == ws_.currentImage()) showLens();
    });
    // New images or models: classify again (small sets at once; large ones on request).
    auto rerun = [this] {
        if (ws_.imageCount() > 0 && ws_.imageCount() <= 500 && !ws_.loadedSlots().isEmpty()) run();
    };
    connect(&ws_, &Workspace::imagesChanged, this, rerun);
    connect(&ws_, &Workspace::modelChanged, this, rerun);
    connect(topBox_, &QSpinBox::valueChanged, this, &ClassifyView::fillTable);
    setRunning(false);
}

QWidget* ClassifyView::buildControls() {
    auto* bar = new QWidget(this);
    auto* row = new QHBoxLayout(bar);
    row->setContentsMargins(0, 0, 0, 0);
    topBox_ = new QSpinBox(bar);
    topBox_->setRange(1, 10);
    topBox_->setValue(3);
    topBox_->setPrefix(tr("top "));
    runButton_ = new QPushButton(tr("Classify all images"), bar);
    connect(runButton_, &QPushButton::clicked, this, &ClassifyView::run);
    cancelButton_ = new QPushButton(tr("Cancel"), bar);
    connect(cancelButton_, &QPushButton::clicked, &job_, &BackgroundJob::cancel);
    progress_ = new QProgressBar(bar);
    progress_->setMaximumWidth(180);
    status_ = new QLabel(tr("Drop images or a folder on the window to add them."), bar);
    for (QWidget* w :
         std::initializer_list<QWidget*>{topBox_, runButton_, cancelButton_, progress_, status_})
        row->addWidget(w, w == status_ ? 1 : 0);
    return bar;
}

void ClassifyView::setRunning(bool running) {
    runButton_->setEnabled(!running);
    cancelButton_->setEnabled(running);
    progress_->setVisible(running);
    if (running) status_->setText(tr("Classifying..."));
}

void ClassifyView::run() {
    if (ws_.loadedSlots().isEmpty() || ws_.imageCount() == 0) return;
    if (job_.running()) {
        // Start again with the new images or models once the running job has stopped.
        rerunPending_ = true;
        job_.cancel();
        return;
    }
    auto keep = std::make_shared<Sessions>();
    auto models = studyModels(ws_, *keep);
    std::vector<std::shared_ptr<const cv::Mat>> images;
    std::vector<std::string> paths;
    for (int i = 0; i < ws_.imageCount(); ++i) {
        images.push_back(ws_.image(i).pixels);
        paths.push_back(ws_.image(i).path.toStdString());
    }
    pending_ = std::make_shared<std::shared_ptr<const ClassificationRun>>();
    auto out = pending_;
    setRunning(true);
    job_.start([keep, models, images, paths, out](const JobContext& ctx) {
        *out = classifyImages(models, *keep, images, paths, ctx);
    });
}

int ClassifyView::disagreements() const {
    return result_ ? int(result_->disagreements()) : 0;
}

void ClassifyView::fillTable() {
    const int models = result_ ? int(result_->models.size()) : 0;
    const int rows =
        models == 0 ? 0 : std::min(int(result_->models[0].probabilities.size(0)), ws_.imageCount());
    table_->clear();
    table_->setRowCount(rows);
    table_->setColumnCount(1 + models);
    QStringList headers{tr("Image")};
    for (int m = 0; m < models; ++m)
        headers << QString::fromStdString(result_->models[size_t(m)].label);
    table_->setHorizontalHeaderLabels(headers);
    const QColor disagree(255, 236, 179);
    for (int r = 0; r < rows; ++r) {
        auto* name = new QTableWidgetItem(QIcon(QPixmap::fromImage(ws_.image(r).preview)),
                                          ws_.image(r).name);
        name->setToolTip(ws_.image(r).path);
        table_->setItem(r, 0, name);
        std::set<std::string> top1;
        for (int m = 0; m < models; ++m) {
            const ClassificationRun::Model& model = result_->models[size_t(m)];
            QStringList parts;
            const std::vector<ClassScore> top =
                topClasses(rowValues(model.probabilities, r), topBox_->value(), model.classNames);
            top1.insert(top.front().name);
            for (const ClassScore& c : top)
                parts << QString("%1 %2%")
                             .arg(QString::fromStdString(c.name))
                             .arg(100.0 * c.probability, 0, 'f', 1);
            auto* item = new QTableWidgetItem(parts.join(", "));
            item->setToolTip(parts.join("\n"));
            table_->setItem(r, m + 1, item);
        }
        if (top1.size() > 1)
            for (int c = 0; c < table_->columnCount(); ++c)
                table_->item(r, c)->setBackground(disagree);
    }
    table_->resizeColumnsToContents();
    status_->setText(
        tr("%1 images, %2 where the models disagree (highlighted)").arg(rows).arg(disagreements()));
    if (ws_.currentImage() >= 0 && ws_.currentImage() < rows) table_->selectRow(ws_.currentImage());
    showLens();
}

void ClassifyView::showLens() {
    const QList<int> loaded = ws_.loadedSlots();
    const int image = ws_.currentImage();
    for (int i = 0; i < 2; ++i) {
        plots::LinePlot* plot = lens_[i];
        plot->clearSeries();
        plot->setVisible(i < loaded.size());
        if (i >= loaded.size() || image < 0) continue;
        const int slot = loaded[i];
        const ModelFacts& f = ws_.model(slot)->facts();
        plot->setTitle(tr("Class lens of %1: %2")
                           .arg(Workspace::slotName(slot) + ": " + QString::fromStdString(f.family),
                                ws_.image(image).name));
        plot->setAxisLabels(QString::fromStdString(f.applicationName), tr("probability"));
        const ImageAnalysis* r = ws_.analysis(slot, image);
        if (!r) continue;
        // The classes that reach 5% somewhere, so that the legend stays readable.
        for (int c = 0; c < r->classes; ++c) {
            std::vector<double> x, y;
            double peak = 0;
            for (int a = 0; a < r->applications; ++a) {
                x.push_back(a + 1);
                y.push_back(r->lens[size_t(a) * size_t(r->classes) + size_t(c)]);
                peak = std::max(peak, y.back());
            }
            if (peak >= 0.05)
                plot->addSeries(QString::fromStdString(f.classNames[size_t(c)]), x, y);
        }
        plot->yAxis->setRange(0, 1.02);
        plot->replot();
    }
}

} // namespace ringscope::gui

namespace ringscope::gui {

std::vector<std::pair<QString, plots::Figure*>> ClassifyView::figures() {
    std::vector<std::pair<QString, plots::Figure*>> out;
    for (int i = 0; i < 2; ++i)
        if (lens_[i]->isVisibleTo(this) && lens_[i]->seriesCount() > 0)
            out.emplace_back(i == 0 ? "image_lens" : "image_lens_b", lens_[i]);
    return out;
}

void ClassifyView::writeNumbers(AnalysisOutput& out) {
    if (result_) writeClassification(out, *result_, topBox_->value());
}

} // namespace ringscope::gui
