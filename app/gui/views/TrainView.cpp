#include "views/TrainView.h"

#include "document/Workspace.h"

#include "LinePlot.h"

#include <QComboBox>

#include <algorithm>
#include <utility>

#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QVBoxLayout>

namespace ringscope::gui {

namespace {

QSpinBox* spin(QWidget* parent, int lo, int hi, int value) {
    auto* s = new QSpinBox(parent);
    s->setRange(lo, hi);
    s->setValue(value);
    return s;
}

} // namespace

TrainView::TrainView(Workspace& workspace, QWidget* parent) : QWidget(parent), ws_(workspace) {
    loss_ = new plots::LinePlot(this);
    loss_->setTitle(tr("Loss"));
    loss_->setAxisLabels(tr("epoch"), tr("cross-entropy"));
    loss_->setIntegerXAxis(true);
    accuracy_ = new plots::LinePlot(this);
    accuracy_->setTitle(tr("Accuracy"));
    accuracy_->setAxisLabels(tr("epoch"), tr("accuracy"));
    accuracy_->setIntegerXAxis(true);
    lrPlot_ = new plots::LinePlot(this);
    lrPlot_->setTitle(tr("Learning rate"));
    lrPlot_->setAxisLabels(tr("step"), tr("learning rate"));
    auto* plots = new QVBoxLayout;
    plots->addWidget(loss_);
    plots->addWidget(accuracy_);
    plots->addWidget(lrPlot_);
    auto* top = new QHBoxLayout;
    top->addWidget(buildForm());
    top->addLayout(plots, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top, 1);

    poll_.setInterval(200); // coalesce the trainer's reports into a few redraws per second
    connect(&poll_, &QTimer::timeout, this, &TrainView::collect);
    connect(&job_, &BackgroundJob::finished, this, [this] { finish(false); });
    connect(&job_, &BackgroundJob::cancelled, this, [this] { finish(true); });
    connect(&job_, &BackgroundJob::failed, this, [this](const QString& m) {
        collect();
        setRunning(false);
        status_->setText(tr("Failed: %1").arg(m));
    });
    setRunning(false);
    setRequest(TrainRequest::withDefaultRecipe());
}

QWidget* TrainView::buildForm() {
    auto* box = new QWidget(this);
    box->setMaximumWidth(380);
    auto* form = new QFormLayout(box);
    family_ = new QComboBox(box);
    // The names the rest of the app shows; the item data is the family's name in files.
    for (const auto& [shown, name] :
         {std::pair{"RingFormer", "ringformer"}, {"ViT", "vit"}, {"OWF", "owf"}, {"UiT", "uit"}})
        family_->addItem(QString::fromLatin1(shown), QString::fromLatin1(name));
    hidden_ = spin(box, 8, 2048, 96);
    heads_ = spin(box, 1, 64, 4);
    mlp_ = spin(box, 8, 8192, 384);
    depth_ = spin(box, 1, 48, 6);
    rank_ = spin(box, 1, 256, 8);
    connect(family_, &QComboBox::currentIndexChanged, this,
            [this] { rank_->setEnabled(family_->currentData().toString() == "ringformer"); });
    data_ = new QComboBox(box);
    data_->setEditable(true);
    data_->addItems({"fashion-mnist:train"});
    holdout_ = spin(box, 0, 1000000, 5000);
    limit_ = spin(box, 0, 10000000, 0);
    limit_->setSpecialValueText(tr("all"));
    epochs_ = spin(box, 1, 1000, 10);
    batch_ = spin(box, 1, 4096, 128);
    lr_ = new QDoubleSpinBox(box);
    lr_->setDecimals(5);
    lr_->setRange(1e-5, 1.0);
    lr_->setSingleStep(1e-4);
    lr_->setValue(1e-3);
    optimizer_ = new QComboBox(box);
    optimizer_->addItems({"Adam", "AdamW"});
    optimizer_->setToolTip(tr("AdamW decouples the weight decay from the gradient (--adamw)"));
    weightDecay_ = new QDoubleSpinBox(box);
    weightDecay_->setDecimals(4);
    weightDecay_->setRange(0.0, 1.0);
    weightDecay_->setSingleStep(0.01);
    cropScale_ = new QDoubleSpinBox(box);
    cropScale_->setDecimals(2);
    cropScale_->setRange(0.01, 1.0);
    cropScale_->setSingleStep(0.05);
    cropScale_->setToolTip(tr("Smallest random-resized-crop area (1: horizontal flips only)"));
    out_ = new QLineEdit(box);
    const QString runs =
        QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/runs";
    out_->setText(runs + "/model.pt");
    auto* browse = new QPushButton(tr("..."), box);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString p = QFileDialog::getSaveFileName(this, tr("Save the trained model as"),
                                                       out_->text(), tr("Checkpoints (*.pt)"));
        if (!p.isEmpty()) out_->setText(p);
    });
    auto* outRow = new QHBoxLayout;
    outRow->addWidget(out_);
    outRow->addWidget(browse);
    startButton_ = new QPushButton(tr("Start training"), box);
    connect(startButton_, &QPushButton::clicked, this, &TrainView::start);
    cancelButton_ = new QPushButton(tr("Cancel"), box);
    connect(cancelButton_, &QPushButton::clicked, &job_, &BackgroundJob::cancel);
    progress_ = new QProgressBar(box);
    status_ = new QLabel(box);
    status_->setWordWrap(true);
    form->addRow(tr("Family"), family_);
    form->addRow(tr("Width d"), hidden_);
    form->addRow(tr("Heads"), heads_);
    form->addRow(tr("MLP size"), mlp_);
    form->addRow(tr("Layers / iterations"), depth_);
    form->addRow(tr("Rank r (RingFormer)"), rank_);
    form->addRow(tr("Data"), data_);
    form->addRow(tr("Hold out for validation"), holdout_);
    form->addRow(tr("Use first images"), limit_);
    form->addRow(tr("Epochs"), epochs_);
    form->addRow(tr("Batch"), batch_);
    form->addRow(tr("Learning rate"), lr_);
    form->addRow(tr("Optimizer"), optimizer_);
    form->addRow(tr("Weight decay"), weightDecay_);
    form->addRow(tr("Crop scale"), cropScale_);
    form->addRow(tr("Save as"), outRow);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(startButton_);
    buttons->addWidget(cancelButton_);
    form->addRow(buttons);
    form->addRow(progress_);
    form->addRow(status_);
    return box;
}

void TrainView::setRequest(const TrainRequest& r) {
    family_->setCurrentIndex(std::max(0, family_->findData(QString::fromStdString(r.family))));
    hidden_->setValue(r.hidden);
    heads_->setValue(r.heads);
    mlp_->setValue(r.mlp);
    depth_->setValue(r.depth);
    rank_->setValue(r.rank);
    data_->setCurrentText(QString::fromStdString(r.data));
    holdout_->setValue(int(r.holdout));
    limit_->setValue(int(r.limit));
    epochs_->setValue(int(r.epochs));
    batch_->setValue(int(r.batch));
    lr_->setValue(r.lr);
    optimizer_->setCurrentIndex(r.adamw ? 1 : 0);
    weightDecay_->setValue(r.weightDecay);
    cropScale_->setValue(r.cropScale);
    warmupEpochs_ = r.warmupEpochs;
    if (!r.out.empty()) out_->setText(QString::fromStdString(r.out));
}

TrainRequest TrainView::request() const {
    TrainRequest r;
    r.family = family_->currentData().toString().toStdString();
    r.hidden = hidden_->value();
    r.heads = heads_->value();
    r.mlp = mlp_->value();
    r.depth = depth_->value();
    r.rank = rank_->value();
    r.data = data_->currentText().toStdString();
    r.holdout = holdout_->value();
    r.limit = limit_->value();
    r.epochs = epochs_->value();
    r.batch = batch_->value();
    r.lr = lr_->value();
    r.adamw = optimizer_->currentIndex() == 1;
    r.weightDecay = weightDecay_->value();
    r.cropScale = cropScale_->value();
    r.warmupEpochs = warmupEpochs_;
    r.out = out_->text().toStdString();
    return r;
}

void TrainView::setRunning(bool running) {
    startButton_->setEnabled(!running);
    cancelButton_->setEnabled(running);
    progress_->setVisible(running);
    if (running)
        poll_.start();
    else
        poll_.stop();
}

void TrainView::start() {
    if (job_.running()) return;
    const TrainRequest r = request();
    QDir().mkpath(QFileInfo(QString::fromStdString(r.out)).absolutePath());
    for (plots::LinePlot* p : {loss_, accuracy_, lrPlot_})
        p->clearSeries();
    loss_->addSeries(tr("train (running mean)"), {}, {});
    loss_->addSeries(tr("validation"), {}, {});
    accuracy_->addSeries(tr("train"), {}, {});
    accuracy_->addSeries(tr("validation"), {}, {});
    lrPlot_->addSeries(tr("learning rate"), {}, {});
    feed_ = std::make_shared<TrainFeed>();
    outcome_ = std::make_shared<TrainOutcome>();
    auto feed = feed_;
    auto outcome = outcome_;
    setRunning(true);
    status_->setText(tr("Loading the data..."));
    job_.start(
        [r, feed, outcome](const JobContext& ctx) { *outcome = runTraining(r, *feed, ctx); });
}

void TrainView::collect() {
    for (const TrainUpdate& u : feed_->take()) {
        const double stepsPerEpoch = double(u.totalSteps) / double(std::max(1LL, u.epochs));
        const double x = double(u.step) / std::max(1.0, stepsPerEpoch); // fractional epoch
        progress_->setMaximum(int(u.totalSteps));
        progress_->setValue(int(u.step));
        if (u.epochEnd) {
            if (u.valLoss >= 0) loss_->appendPoint(1, double(u.epoch), u.valLoss);
            accuracy_->appendPoint(0, double(u.epoch), u.accuracy);
            if (u.valAccuracy >= 0) accuracy_->appendPoint(1, double(u.epoch), u.valAccuracy);
        } else if (u.step % 10 == 0 || u.step == u.totalSteps) {
            loss_->appendPoint(0, x, u.loss);
            lrPlot_->appendPoint(0, double(u.step), u.lr);
        }
        status_->setText(
            tr("epoch %1/%2, step %3/%4\nloss %5, accuracy %6%7\nlr %8, %9 images/s, ETA %10 s")
                .arg(u.epoch)
                .arg(u.epochs)
                .arg(u.step)
                .arg(u.totalSteps)
                .arg(u.loss, 0, 'f', 4)
                .arg(u.accuracy, 0, 'f', 4)
                .arg(u.valAccuracy >= 0 ? tr(", val accuracy %1").arg(u.valAccuracy, 0, 'f', 4)
                                        : QString())
                .arg(u.lr, 0, 'g', 3)
                .arg(u.imagesPerSecond, 0, 'f', 0)
                .arg(u.etaSeconds, 0, 'f', 0));
    }
}

void TrainView::finish(bool cancelled) {
    collect();
    setRunning(false);
    const TrainOutcome& o = *outcome_;
    const QString file = QString::fromStdString(o.checkpoint);
    if (file.isEmpty()) {
        status_->setText(cancelled
                             ? tr("Cancelled before the first epoch ended; nothing was saved.")
                             : tr("No epoch finished."));
        return;
    }
    status_->setText(
        (cancelled
             ? tr("Cancelled after %1 epochs; the last good checkpoint is %2 (best accuracy %3).")
             : tr("Finished %1 epochs: %2 (best accuracy %3)."))
            .arg(o.epochsDone)
            .arg(file)
            .arg(o.bestAccuracy, 0, 'f', 4));
    Q_EMIT trained(file);
}

} // namespace ringscope::gui
