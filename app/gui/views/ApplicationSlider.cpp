#include "views/ApplicationSlider.h"

#include "document/Workspace.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>

namespace ringscope::gui {

ApplicationSlider::ApplicationSlider(Workspace& workspace, QWidget* parent)
    : QWidget(parent), ws_(workspace) {
    slider_ = new QSlider(Qt::Horizontal, this);
    slider_->setMinimum(0);
    slider_->setMinimumWidth(120);
    slider_->setToolTip(tr("Application: layer or iteration (Left / Right); the window's depth "
                           "(Depth in the tool bar) sets how many run"));
    label_ = new QLabel(this);
    label_->setMinimumWidth(110);
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(slider_, 1);
    row->addWidget(label_);
    connect(slider_, &QSlider::valueChanged, &ws_, &Workspace::setApplication);
    connect(&ws_, &Workspace::applicationChanged, this, &ApplicationSlider::sync);
    connect(&ws_, &Workspace::depthChanged, this, &ApplicationSlider::sync);
    connect(&ws_, &Workspace::modelChanged, this, &ApplicationSlider::sync);
    sync();
}

QString ApplicationSlider::text() const {
    return label_->text();
}

void ApplicationSlider::sync() {
    const QSignalBlocker block(slider_);
    const int n = ws_.maxApplications(), a = ws_.application();
    slider_->setMaximum(std::max(0, n - 1));
    slider_->setValue(a);
    QStringList names, notes;
    for (int s : ws_.loadedSlots()) {
        names << QString::fromStdString(ws_.model(s)->facts().applicationName);
        const QString note = ws_.depthNote(s, a);
        if (!note.isEmpty()) notes << Workspace::slotName(s) + " " + note;
    }
    names.removeDuplicates();
    beyond_ = !notes.isEmpty();
    QString text = QString("%1 %2 / %3").arg(names.join(" / ")).arg(a + 1).arg(n);
    if (beyond_) text += " (" + notes.join("; ") + ")";
    label_->setText(text);
    // Beyond the trained depth the label turns amber: the model never saw these levels.
    label_->setStyleSheet(beyond_ ? "QLabel { color: #b35900; font-weight: bold; }" : "");
}

} // namespace ringscope::gui
