#include "MessageBar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>

namespace ringscope::gui {

MessageBar::MessageBar(QWidget* parent) : QWidget(parent) {
    setAutoFillBackground(true);
    QPalette p = palette();
    p.setColor(QPalette::Window, QColor(250, 225, 225));
    p.setColor(QPalette::WindowText, QColor(110, 0, 0));
    setPalette(p);
    label_ = new QLabel(this);
    label_->setWordWrap(true);
    label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* close = new QToolButton(this);
    close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    close->setAutoRaise(true);
    close->setToolTip(tr("Dismiss"));
    connect(close, &QToolButton::clicked, this, &QWidget::hide);
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(8, 4, 4, 4);
    row->addWidget(label_, 1);
    row->addWidget(close);
    hide();
}

void MessageBar::showError(const QString& text) {
    label_->setText(text);
    show();
}

QString MessageBar::text() const {
    return isVisible() ? label_->text() : QString();
}

} // namespace ringscope::gui
