#include "HeatmapPlot.h"

#include <algorithm>
#include <cmath>

namespace ringscope::plots {

HeatmapPlot::HeatmapPlot(QWidget* parent) : PlotBase(parent) {
    map_ = new QCPColorMap(xAxis, yAxis);
    scale_ = new QCPColorScale(this);
    plotLayout()->addElement(1, 1, scale_);
    scale_->setType(QCPAxis::atRight);
    map_->setColorScale(scale_);
    map_->setInterpolate(false);
    map_->setGradient(colormap_.gradient());
    auto* group = new QCPMarginGroup(this);
    axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    scale_->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    yAxis->setRangeReversed(true);
    xAxis->grid()->setVisible(false);
    yAxis->grid()->setVisible(false);
    setMouseTracking(true);
}

void HeatmapPlot::setMatrix(const std::vector<double>& values, int rows, int cols) {
    rows_ = rows;
    cols_ = cols;
    values_ = values;
    map_->data()->setSize(cols, rows);
    map_->data()->setRange(QCPRange(firstColumn_, firstColumn_ + cols - 1), QCPRange(1, rows));
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            map_->data()->setCell(c, r, values[size_t(r * cols + c)]);
    if (!fixedRange_) map_->rescaleDataRange(true);
    xAxis->setRange(firstColumn_ - 0.5, firstColumn_ + cols - 0.5);
    yAxis->setRange(0.5, rows + 0.5);
    auto ticks = [](int n) {
        QSharedPointer<QCPAxisTickerFixed> t(new QCPAxisTickerFixed);
        t->setTickStep(n > 16 ? std::ceil(n / 8.0) : 1.0);
        t->setScaleStrategy(QCPAxisTickerFixed::ssNone);
        return t;
    };
    xAxis->setTicker(ticks(cols));
    yAxis->setTicker(ticks(rows));
    showValues_ = showValues_ && rows <= 12 && cols <= 12;
    rebuildLabels();
    scheduleReplot();
}

void HeatmapPlot::setFirstColumn(int first) {
    firstColumn_ = first;
}

void HeatmapPlot::setRange(double lo, double hi) {
    fixedRange_ = true;
    map_->setDataRange(QCPRange(lo, hi));
    rebuildLabels();
    scheduleReplot();
}

void HeatmapPlot::setColormap(const Colormap& map) {
    colormap_ = map;
    map_->setGradient(map.gradient());
    rebuildLabels();
    scheduleReplot();
}

void HeatmapPlot::setValueLabel(const QString& label) {
    scale_->axis()->setLabel(label);
    scheduleReplot();
}

void HeatmapPlot::setShowValues(bool show) {
    showValues_ = show;
    rebuildLabels();
    scheduleReplot();
}

void HeatmapPlot::rebuildLabels() {
    for (QCPItemText* t : labels_)
        removeItem(t);
    labels_.clear();
    if (!showValues_ || rows_ * cols_ == 0) return;
    const QCPRange range = map_->dataRange();
    for (int r = 0; r < rows_; ++r) {
        for (int c = 0; c < cols_; ++c) {
            const double v = value(r, c);
            auto* t = new QCPItemText(this);
            t->position->setCoords(c + firstColumn_, r + 1);
            t->setText(QString::number(v, 'f', 2));
            const double shade = (v - range.lower) / std::max(1e-12, range.size());
            t->setColor(shade > 0.6 ? Qt::black : Qt::white); // dark text on the light end
            t->setClipToAxisRect(true);
            labels_.push_back(t);
        }
    }
}

bool HeatmapPlot::cellAt(const QPoint& pos, int& row, int& col) const {
    if (rows_ == 0 || !axisRect()->rect().contains(pos)) return false;
    col = int(std::lround(xAxis->pixelToCoord(pos.x()))) - firstColumn_;
    row = int(std::lround(yAxis->pixelToCoord(pos.y()))) - 1;
    return row >= 0 && row < rows_ && col >= 0 && col < cols_;
}

QString HeatmapPlot::hoverText(const QPoint& pos) const {
    int r = 0, c = 0;
    if (!cellAt(pos, r, c)) return {};
    return QString("%1 %2, %3 %4: %5")
        .arg(yAxis->label().isEmpty() ? "row" : yAxis->label())
        .arg(r + 1)
        .arg(xAxis->label().isEmpty() ? "column" : xAxis->label())
        .arg(c + firstColumn_)
        .arg(value(r, c), 0, 'g', 10);
}

void HeatmapPlot::mouseMoveEvent(QMouseEvent* event) {
    PlotBase::mouseMoveEvent(event); // the tool tip
    int r = 0, c = 0;
    if (cellAt(event->pos(), r, c)) Q_EMIT cellHovered(r, c, value(r, c));
}

} // namespace ringscope::plots
