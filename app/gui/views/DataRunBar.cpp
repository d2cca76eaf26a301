#include <torch/types.h>

#include "views/DataRunBar.h"

#include "ringscope/analysis/Studies.h"

#include "jobs/BackgroundJob.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>

namespace ringscope::gui {

DataRunBar::DataRunBar(BackgroundJob& job, int defaultImages, QWidget* parent)
    : QWidget(parent), job_(job) {
    row_ = new QHBoxLayout(this);
    row_->setContentsMargins(0, 0, 0, 0);
    data_ = new QComboBox(this);
    data_->setEditable(true);
    data_->addItems({"fashion-mnist:test", "fashion-mnist:train"});
    data_->setToolTip(tr("Data source: fashion-mnist[:test|train], folder:DIR, npy:FILE, "
                         "idx:IMAGES,LABELS, cifar:DIR"));
    auto* browse = new QPushButton(tr("Folder..."), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Images"));
        if (!dir.isEmpty()) data_->setCurrentText("folder:" + dir);
    });
    images_ = new QSpinBox(this);
    images_->setRange(1, 1000000);
    images_->setValue(defaultImages);
    images_->setSuffix(tr(" images"));
    run_ = new QPushButton(tr("Compute"), this);
    connect(run_, &QPushButton::clicked, this, &DataRunBar::computeRequested);
    cancel_ = new QPushButton(tr("Cancel"), this);
    connect(cancel_, &QPushButton::clicked, &job_, &BackgroundJob::cancel);
    progress_ = new QProgressBar(this);
    progress_->setMaximumWidth(180);
    status_ = new QLabel(this);
    for (QWidget* w :
         std::initializer_list<QWidget*>{new QLabel(tr("Data"), this), data_, browse, images_})
        row_->addWidget(w);
    insertAt_ = row_->count();
    for (QWidget* w : std::initializer_list<QWidget*>{run_, cancel_, progress_, status_})
        row_->addWidget(w, w == status_ ? 1 : 0);

    connect(&job_, &BackgroundJob::progress, this, [this](qint64 done, qint64 total) {
        progress_->setMaximum(int(std::min<qint64>(total, INT32_MAX)));
        progress_->setValue(int(std::min<qint64>(done, INT32_MAX)));
    });
    connect(&job_, &BackgroundJob::finished, this, [this] { setRunning(false); });
    connect(&job_, &BackgroundJob::cancelled, this, [this] {
        setRunning(false);
        status_->setText(tr("Cancelled; the previous result stays."));
    });
    connect(&job_, &BackgroundJob::failed, this, [this](const QString& m) {
        setRunning(false);
        status_->setText(tr("Failed: %1").arg(m));
    });
    setRunning(false);
}

QString DataRunBar::dataSpec() const {
    return data_->currentText();
}
void DataRunBar::setDataSpec(const QString& spec) {
    data_->setCurrentText(spec);
}
analysis::DataSettings DataRunBar::settings() const {
    analysis::DataSettings d;
    d.spec = dataSpec().toStdString();
    d.limit = imageCount();
    return d;
}

int DataRunBar::imageCount() const {
    return images_->value();
}
void DataRunBar::setImageCount(int n) {
    images_->setValue(n);
}

void DataRunBar::addControl(QWidget* control, const QString& label) {
    if (!label.isEmpty()) row_->insertWidget(insertAt_++, new QLabel(label, this));
    row_->insertWidget(insertAt_++, control);
}

void DataRunBar::setCanRun(bool can) {
    canRun_ = can;
    run_->setEnabled(can && !job_.running());
}

void DataRunBar::started() {
    setRunning(true);
    progress_->setValue(0);
    status_->setText(tr("Computing..."));
}

void DataRunBar::setStatus(const QString& text) {
    status_->setText(text);
}

void DataRunBar::setRunning(bool running) {
    run_->setEnabled(!running && canRun_);
    cancel_->setEnabled(running);
    progress_->setVisible(running);
}

} // namespace ringscope::gui
