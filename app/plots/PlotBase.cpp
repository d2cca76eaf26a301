#include "PlotBase.h"

#include <QToolTip>

namespace ringscope::plots {

PlotBase::PlotBase(QWidget* parent) : QCustomPlot(parent) {
    plotLayout()->insertRow(0);
    title_ = new QCPTextElement(this, QString(), QFont(font().family(), 12, QFont::Bold));
    plotLayout()->addElement(0, 0, title_);
    replotTimer_.setSingleShot(true);
    replotTimer_.setInterval(0);
    connect(&replotTimer_, &QTimer::timeout, this, [this] { replot(QCustomPlot::rpQueuedReplot); });
    setMinimumSize(240, 180);
}

void PlotBase::setTitle(const QString& title) {
    title_->setText(title);
    scheduleReplot();
}

void PlotBase::setAxisLabels(const QString& x, const QString& y) {
    xAxis->setLabel(x);
    yAxis->setLabel(y);
    scheduleReplot();
}

void PlotBase::drawFigure(QCPPainter& painter, const QSize& size) {
    toPainter(&painter, size.width(), size.height());
    // toPainter lays the plot out for the export size; lay it out again for the screen.
    replot(QCustomPlot::rpImmediateRefresh);
}

void PlotBase::scheduleReplot() {
    replotTimer_.start();
}

QString PlotBase::hoverText(const QPoint&) const {
    return {};
}

void PlotBase::mouseMoveEvent(QMouseEvent* event) {
    QCustomPlot::mouseMoveEvent(event);
    const QString text = hoverText(event->pos());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

} // namespace ringscope::plots
