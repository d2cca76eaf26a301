#include "views/InspectorView.h"

#include "document/FileInspection.h"
#include "document/Workspace.h"

#include "LinePlot.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/core/NumberList.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QPushButton>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ringscope::gui {

namespace {

/// The group a tensor belongs to: "Embedding", "Block 3", "Level signals", "Shared block", ...
QString groupOf(const QString& name) {
    const QStringList parts = name.split('.');
    if (name.startsWith("transformer.embeddings.") || name.startsWith("patch_embed.") ||
        name == "cls_token" || name == "dist_token" || name == "pos_embed")
        return QObject::tr("Embedding");
    if (name.startsWith("head.") || name.startsWith("head_dist."))
        return QObject::tr("Classifier head");
    if (parts.size() > 2 && parts[0] == "blocks") // timm
        return QObject::tr("Block %1").arg(parts[1].toInt() + 1);
    if (parts.size() > 3 && (parts[2] == "layer" || parts[2] == "layers")) {
        if (parts[2] == "layers") return QObject::tr("Shared block");
        return QObject::tr("Block %1").arg(parts[3].toInt() + 1);
    }
    if (name.contains("lev_embed") || name.contains("level_embed"))
        return QObject::tr("Level signals / encodings");
    if (name.contains("layer_norms")) return QObject::tr("Per-level norms");
    return QObject::tr("Encoder");
}

QString number(double v) {
    return QString::number(v, 'g', 5);
}

constexpr int kFile = -2; ///< slot_ when an inspected file is shown

} // namespace

InspectorView::InspectorView(Workspace& workspace, QWidget* parent)
    : QWidget(parent), ws_(workspace) {
    slotBox_ = new QComboBox(this);
    slotBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    tree_ = new QTreeWidget(this);
    tree_->setColumnCount(7);
    tree_->setHeaderLabels(
        {tr("Tensor"), tr("Shape"), tr("Count"), tr("Mean"), tr("Std"), tr("Min"), tr("Max")});
    tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    auto* hist = new plots::LinePlot(this);
    hist->setAxisLabels(tr("value"), tr("count"));
    hist->legend->setVisible(false);
    histogram_ = hist;
    history_ = new plots::LinePlot(this);
    history_->setIntegerXAxis(true);
    history_->setTitle(tr("Training history"));
    history_->setLegendOutside(true); // losses fall to the bottom, accuracies rise to the top
    history_->setAxisLabels(tr("epoch"), tr("loss / accuracy"));
    facts_ = new QPlainTextEdit(this);
    facts_->setReadOnly(true);
    facts_->setFont(QFont("monospace"));

    auto* right = new QSplitter(Qt::Vertical, this);
    right->addWidget(histogram_);
    right->addWidget(history_);
    right->addWidget(facts_);
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(tree_);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* open = new QPushButton(tr("Inspect a file..."), this);
    open->setToolTip(tr("Any checkpoint or tensor file RingScope can read, runnable or not"));
    connect(open, &QPushButton::clicked, this, [this] {
        const QString p = QFileDialog::getOpenFileName(
            this, tr("Inspect a tensor file"), QString(),
            tr("Tensor files (*.pt *.pth *.bin *.safetensors *.ckpt);;All files (*)"));
        if (!p.isEmpty()) inspectFile(p);
    });
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Model"), this));
    top->addWidget(slotBox_);
    top->addWidget(open);
    top->addStretch(1);
    normRow_ = new QWidget(this);
    auto* norm = new QHBoxLayout(normRow_);
    norm->setContentsMargins(0, 0, 0, 0);
    mean_ = new QLineEdit(normRow_);
    mean_->setObjectName("mean");
    std_ = new QLineEdit(normRow_);
    std_->setObjectName("std");
    for (QLineEdit* e : {mean_, std_}) {
        e->setToolTip(tr("Per channel, separated by commas (the last value repeats)"));
        e->setMaximumWidth(220);
    }
    auto* apply = new QPushButton(tr("Apply"), normRow_);
    apply->setObjectName("applyNormalization");
    apply->setToolTip(tr("Reopen the model with this input normalisation"));
    connect(apply, &QPushButton::clicked, this, &InspectorView::applyNormalization);
    normSource_ = new QLabel(normRow_);
    norm->addWidget(new QLabel(tr("Input normalisation: mean"), normRow_));
    norm->addWidget(mean_);
    norm->addWidget(new QLabel(tr("std"), normRow_));
    norm->addWidget(std_);
    norm->addWidget(apply);
    norm->addWidget(normSource_, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(normRow_);
    layout->addWidget(split, 1);

    connect(slotBox_, &QComboBox::activated, this, [this](int i) {
        const int slot = slotBox_->itemData(i).toInt();
        if (slot == kFile)
            showFile();
        else
            showSlot(slot);
    });
    connect(&job_, &BackgroundJob::finished, this, [this] {
        if (pending_ && *pending_) file_ = *pending_;
        reloadSlots();
        showFile();
    });
    connect(&job_, &BackgroundJob::failed, this, [this](const QString& message) {
        facts_->setPlainText(message);
        Q_EMIT ws_.problem(message);
    });
    connect(&histogramJob_, &BackgroundJob::finished, this, [this] {
        if (histogramComputed_ == histogramWanted_)
            drawHistogram(histogramComputed_, *histogramCounts_);
        else
            showTensor(histogramWanted_);
    });
    connect(&histogramJob_, &BackgroundJob::failed, this,
            [this](const QString& message) { Q_EMIT ws_.problem(message); });
    connect(tree_, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        if (item && item->childCount() == 0) showTensor(item->data(0, Qt::UserRole).toString());
    });
    connect(&ws_, &Workspace::modelChanged, this, [this](int slot) {
        reloadSlots();
        if (slot_ == kFile) return; // keep showing the inspected file
        if (slot == slot_ || slot_ < 0 || !ws_.model(slot_))
            showSlot(ws_.model(slot)
                         ? slot
                         : (ws_.loadedSlots().isEmpty() ? -1 : ws_.loadedSlots().first()));
    });
    reloadSlots();
    showNormalization(); // hidden until a model is shown
    history_->setVisible(false);
}

void InspectorView::reloadSlots() {
    slotBox_->clear();
    for (int s : ws_.loadedSlots())
        slotBox_->addItem(Workspace::slotName(s) + ": " +
                              QString::fromStdString(ws_.model(s)->facts().fileName),
                          s);
    if (file_)
        slotBox_->addItem(
            tr("File: %1").arg(QFileInfo(QString::fromStdString(file_->path())).fileName()), kFile);
    slotBox_->setCurrentIndex(std::max(0, slotBox_->findData(slot_)));
}

namespace {

QString joined(const std::vector<double>& v) {
    QStringList parts;
    for (double x : v)
        parts << QString::number(x, 'g', 6);
    return parts.join(", ");
}

} // namespace

void InspectorView::showNormalization() {
    auto session = slot_ >= 0 ? ws_.model(slot_) : nullptr;
    normRow_->setVisible(session != nullptr);
    if (!session) return;
    const ModelFacts& f = session->facts();
    mean_->setText(joined(f.mean));
    std_->setText(joined(f.std));
    normSource_->setText(tr("(%1)").arg(QString::fromStdString(f.normalizationSource)));
}

void InspectorView::applyNormalization() {
    auto session = slot_ >= 0 ? ws_.model(slot_) : nullptr;
    if (!session) return;
    std::vector<double> mean, deviation;
    try {
        mean = parseNumberList(mean_->text().toStdString(), "The mean");
        deviation = parseNumberList(std_->text().toStdString(), "The std");
    } catch (const RingScopeError& e) {
        Q_EMIT ws_.problem(tr("Input normalisation: %1").arg(QString::fromUtf8(e.what())));
        return;
    }
    if (std::any_of(deviation.begin(), deviation.end(), [](double s) { return !(s > 0.0); })) {
        Q_EMIT ws_.problem(tr("Input normalisation: the std must be positive"));
        return;
    }
    OpenAnswers answers;
    answers.heads = session->facts().heads; // as it is open now
    answers.mean = mean;
    answers.std = deviation;
    ws_.openModel(slot_, QString::fromStdString(session->facts().path), answers);
}

void InspectorView::inspectFile(const QString& path) {
    if (job_.running()) return;
    pending_ = std::make_shared<std::shared_ptr<const FileInspection>>();
    auto out = pending_;
    facts_->setPlainText(tr("Reading %1...").arg(path));
    job_.start(
        [out, file = path.toStdString()](const JobContext&) { *out = FileInspection::read(file); });
}

void InspectorView::showFile() {
    if (!file_) return;
    slot_ = kFile;
    showNormalization();
    slotBox_->setCurrentIndex(std::max(0, slotBox_->findData(kFile)));
    const CheckpointFacts& c = file_->facts();
    render(file_->stats(),
           tr("File: %1\nFormat: %2 (%3)\nRingScope: %4\n")
               .arg(QString::fromStdString(file_->path()), QString::fromStdString(c.format),
                    QString::fromStdString(c.container), QString::fromStdString(file_->verdict())),
           c);
}

void InspectorView::showSlot(int slot) {
    slot_ = slot;
    auto session = ws_.model(slot);
    if (!session) {
        showNormalization();
        render({}, QString(), CheckpointFacts{});
        return;
    }
    slotBox_->setCurrentIndex(std::max(0, slotBox_->findData(slot)));
    showNormalization();
    const ModelFacts& f = session->facts();
    const CheckpointFacts c = session->checkpointFacts();
    render(session->parameterStats(),
           tr("File: %1\nFormat: %2 (%3), stored as %4\nModel: %5\nParameters: %6\nHeads: %7 "
              "(from %8)\n")
               .arg(QString::fromStdString(f.path), QString::fromStdString(c.format),
                    QString::fromStdString(c.container))
               .arg(QString::fromStdString(c.storedDtypes.empty() ? "float32"
                                                                  : c.storedDtypes.front()),
                    QString::fromStdString(f.summary))
               .arg(f.parameters)
               .arg(f.heads)
               .arg(QString::fromStdString(f.headsSource)),
           c);
}

void InspectorView::render(const std::vector<ParameterStat>& stats, const QString& header,
                           const CheckpointFacts& c) {
    tree_->clear();
    ranges_.clear();
    history_->clearSeries();
    QHash<QString, QTreeWidgetItem*> groups;
    for (const ParameterStat& p : stats) {
        const QString name = QString::fromStdString(p.name);
        const QString group = groupOf(name);
        QTreeWidgetItem*& parent = groups[group];
        if (!parent) {
            parent = new QTreeWidgetItem(tree_, {group});
            parent->setExpanded(true);
        }
        auto* item =
            new QTreeWidgetItem(parent, {name.section('.', -3), QString::fromStdString(p.shape),
                                         QString::number(p.count), number(p.mean), number(p.std),
                                         number(p.min), number(p.max)});
        item->setData(0, Qt::UserRole, name);
        item->setToolTip(0, name + (p.trainable ? QString() : tr(" (fixed, not trained)")));
        ranges_[name] = {p.min, p.max};
    }
    QString text = header;
    if (!c.configJson.empty())
        text += tr("\nConfiguration:\n") + QString::fromStdString(c.configJson) + "\n";
    if (!c.structureJson.empty())
        text += tr("\nStructure:\n") + QString::fromStdString(c.structureJson) + "\n";
    if (!c.trainingJson.empty())
        text += tr("\nTraining state:\n") + QString::fromStdString(c.trainingJson) + "\n";
    if (!c.metadataJson.empty())
        text += tr("\nRingScope metadata:\n") + QString::fromStdString(c.metadataJson) + "\n";
    facts_->setPlainText(text);
    history_->setVisible(!c.history.empty());
    if (!c.history.empty()) {
        const char* names[] = {"", "train loss", "train accuracy", "val loss", "val accuracy"};
        for (int k = 1; k <= 4; ++k) {
            std::vector<double> x, y;
            for (const auto& row : c.history)
                if (!std::isnan(row[size_t(k)])) {
                    x.push_back(row[0]);
                    y.push_back(row[size_t(k)]);
                }
            if (!x.empty()) history_->addSeries(names[k], x, y);
        }
    }
    history_->replot();
    if (tree_->topLevelItemCount() > 0 && tree_->topLevelItem(0)->childCount() > 0)
        tree_->setCurrentItem(tree_->topLevelItem(0)->child(0));
}

namespace {
constexpr int kHistogramBins = 60;
} // namespace

void InspectorView::showTensor(const QString& name) {
    histogramWanted_ = name;
    if (histogramJob_.running()) return; // started again for the latest name when it ends
    std::shared_ptr<const FileInspection> file = slot_ == kFile ? file_ : nullptr;
    std::shared_ptr<const ModelSession> session = file ? nullptr : ws_.model(slot_);
    if (!file && !session) return;
    histogramComputed_ = name;
    histogramCounts_ = std::make_shared<std::vector<double>>();
    histogramJob_.start(
        [out = histogramCounts_, file, session, tensor = name.toStdString()](const JobContext&) {
            *out = file ? file->histogram(tensor, kHistogramBins)
                        : session->histogram(tensor, kHistogramBins);
        });
}

void InspectorView::drawHistogram(const QString& name, const std::vector<double>& h) {
    const int bins = kHistogramBins;
    auto* plot = static_cast<plots::LinePlot*>(histogram_);
    plot->clearSeries();
    plot->clearPlottables();
    plot->setTitle(tr("Histogram of %1").arg(name.section('.', -3)));
    if (h.empty() || !ranges_.contains(name)) return;
    const auto [lo, hi] = ranges_.value(name);
    const double width = hi > lo ? (hi - lo) / bins : 1.0 / bins;
    QVector<double> keys(bins), counts(bins);
    for (int b = 0; b < bins; ++b) {
        keys[b] = lo + (b + 0.5) * width;
        counts[b] = h[size_t(b)];
    }
    auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
    bars->setData(keys, counts, true);
    bars->setWidth(width);
    bars->setPen(Qt::NoPen);
    bars->setBrush(QColor(31, 119, 180));
    plot->rescaleAxes();
    plot->yAxis->setRangeLower(0);
    plot->replot();
}

} // namespace ringscope::gui
