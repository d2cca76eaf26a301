#include "BarPlot.h"

#include <algorithm>
#include <cmath>

namespace ringscope::plots {

BarPlot::BarPlot(QWidget* parent) : PlotBase(parent) {
    legend->setVisible(true);
    setMouseTracking(true);
    QSharedPointer<QCPAxisTickerFixed> ticks(new QCPAxisTickerFixed);
    ticks->setTickStep(1.0);
    ticks->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    xAxis->setTicker(ticks);
}

int BarPlot::addStack(const QString& name, const std::vector<double>& values,
                      const QColor& colorIn) {
    static const QColor palette[] = {QColor(44, 160, 44), QColor(214, 39, 40),
                                     QColor(127, 127, 127), QColor(31, 119, 180)};
    const QColor color = colorIn.isValid() ? colorIn : palette[stacks_.size() % 4];
    auto* bars = new QCPBars(xAxis, yAxis);
    bars->setName(name);
    bars->setWidth(0.8);
    bars->setPen(QPen(color.darker(130)));
    bars->setBrush(color);
    QVector<double> x, y;
    for (size_t i = 0; i < values.size(); ++i) {
        x << double(i + 1);
        y << values[i];
    }
    bars->setData(x, y, true);
    if (!stacks_.empty()) bars->moveAbove(stacks_.back());
    stacks_.push_back(bars);
    values_.push_back(values);
    fit();
    return int(stacks_.size()) - 1;
}

void BarPlot::clearStacks() {
    clearPlottables();
    stacks_.clear();
    values_.clear();
    scheduleReplot();
}

double BarPlot::stackedTop(size_t i, size_t stacks) const {
    double sum = 0.0;
    for (size_t s = 0; s < stacks; ++s)
        if (i < values_[s].size() && std::isfinite(values_[s][i])) sum += values_[s][i];
    return sum;
}

void BarPlot::fit() {
    double top = 0.0;
    size_t width = 1;
    for (const auto& v : values_)
        width = std::max(width, v.size());
    for (size_t i = 0; i < width; ++i)
        top = std::max(top, stackedTop(i, values_.size()));
    xAxis->setRange(0.3, double(width) + 0.7);
    yAxis->setRange(0.0, top > 0.0 ? top * 1.1 : 1.0);
    scheduleReplot();
}

QString BarPlot::hoverText(const QPoint& pos) const {
    const double x = xAxis->pixelToCoord(pos.x()), y = yAxis->pixelToCoord(pos.y());
    const double key = std::round(x);
    if (std::abs(x - key) > 0.4 || key < 1.0) return {};
    const size_t i = size_t(key) - 1;
    for (size_t s = 0; s < stacks_.size(); ++s) {
        if (i >= values_[s].size()) continue;
        const double base = stackedTop(i, s);
        if (y >= base && y <= base + values_[s][i])
            return QString("%1 at %2 = %3: %4")
                .arg(stacks_[s]->name(), xAxis->label().isEmpty() ? "x" : xAxis->label())
                .arg(key)
                .arg(values_[s][i], 0, 'g', 6);
    }
    return {};
}

} // namespace ringscope::plots
