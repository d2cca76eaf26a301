#include <torch/types.h>

#include "AnalysisOutput.h"
#include "views/ViewExport.h"

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

std::vector<int> topClasses(const Matrix& m, int row, int k) {
    std::vector<int> order(size_t(m.cols));
    std::iota(order.begin(), order.end(), 0);
    k = std::min(k, m.cols);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int a, int b) { return m.at(row, a) > m.at(row, b); });
    order.resize(size_t(k));
    return order;
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
        probabilities_ = *pending_;
        labels_ = pendingLabels_;
        classNames_ = pendingNames_;
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
    const auto keep = ws_.loadedModels(&pendingLabels_);
    pendingNames_.clear();
    for (const auto& m : keep)
        pendingNames_.push_back(m->facts().classNames);
    std::vector<std::shared_ptr<const cv::Mat>> images;
    for (int i = 0; i < ws_.imageCount(); ++i)
        images.push_back(ws_.image(i).pixels);
    pending_ = std::make_shared<std::vector<Matrix>>();
    auto out = pending_;
    setRunning(true);
    job_.start([keep, images, out](const JobContext& ctx) {
        std::vector<const ModelSession*> models;
        for (const auto& m : keep)
            models.push_back(m.get());
        *out = classifyImages(models, images, ctx);
    });
}

int ClassifyView::disagreements() const {
    if (probabilities_.size() < 2) return 0;
    int n = 0;
    for (int r = 0; r < probabilities_[0].rows; ++r) {
        const std::string a = classNames_[0][size_t(topClasses(probabilities_[0], r, 1)[0])];
        for (size_t m = 1; m < probabilities_.size(); ++m)
            if (classNames_[m][size_t(topClasses(probabilities_[m], r, 1)[0])] != a) {
                ++n;
                break;
            }
    }
    return n;
}

void ClassifyView::fillTable() {
    const int rows =
        probabilities_.empty() ? 0 : std::min(probabilities_[0].rows, ws_.imageCount());
    table_->clear();
    table_->setRowCount(rows);
    table_->setColumnCount(1 + int(probabilities_.size()));
    QStringList headers{tr("Image")};
    headers << labels_;
    table_->setHorizontalHeaderLabels(headers);
    const QColor disagree(255, 236, 179);
    for (int r = 0; r < rows; ++r) {
        auto* name = new QTableWidgetItem(QIcon(QPixmap::fromImage(ws_.image(r).preview)),
                                          ws_.image(r).name);
        name->setToolTip(ws_.image(r).path);
        table_->setItem(r, 0, name);
        std::set<std::string> top1;
        for (size_t m = 0; m < probabilities_.size(); ++m) {
            QStringList parts;
            const std::vector<int> top = topClasses(probabilities_[m], r, topBox_->value());
            top1.insert(classNames_[m][size_t(top[0])]);
            for (int c : top)
                parts << QString("%1 %2%")
                             .arg(QString::fromStdString(classNames_[m][size_t(c)]))
                             .arg(100.0 * probabilities_[m].at(r, c), 0, 'f', 1);
            auto* item = new QTableWidgetItem(parts.join(", "));
            item->setToolTip(parts.join("\n"));
            table_->setItem(r, int(m) + 1, item);
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
            out.emplace_back(QString("lens_%1").arg(i + 1), lens_[i]);
    return out;
}

void ClassifyView::writeNumbers(AnalysisOutput& out) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t m = 0; m < probabilities_.size(); ++m) {
        const std::string tag = labels_.value(int(m)).left(1).toStdString();
        out.array("probabilities_" + tag, toTensor(probabilities_[m]),
                  {{"image", false}, {"class", false}},
                  "class probabilities of " + labels_.value(int(m)).toStdString() +
                      " for each image of the strip");
    }
    for (int r = 0; r < table_->rowCount(); ++r) {
        nlohmann::json row = {{"image", ws_.image(r).path.toStdString()}};
        for (int c = 1; c < table_->columnCount(); ++c)
            row[table_->horizontalHeaderItem(c)->text().toStdString()] =
                table_->item(r, c)->text().toStdString();
        rows.push_back(row);
    }
    if (!rows.empty())
        out.results()["classify"] = {{"rows", rows}, {"disagreements", disagreements()}};
}

} // namespace ringscope::gui
