#include "LinePlot.h"

#include <cmath>

namespace ringscope::plots {

LinePlot::LinePlot(QWidget* parent) : PlotBase(parent) {
    legend->setVisible(true);
    setMouseTracking(true);
}

int LinePlot::addSeries(const QString& name, const std::vector<double>& x,
                        const std::vector<double>& y, const QColor& colorIn,
                        const std::vector<double>& lower, const std::vector<double>& upper) {
    // Ten distinct colours (matplotlib's tab10), then the same with another marker.
    static const QColor tab10[] = {
        QColor(31, 119, 180),  QColor(255, 127, 14), QColor(44, 160, 44),   QColor(214, 39, 40),
        QColor(148, 103, 189), QColor(140, 86, 75),  QColor(227, 119, 194), QColor(127, 127, 127),
        QColor(188, 189, 34),  QColor(23, 190, 207)};
    static const QCPScatterStyle::ScatterShape shapes[] = {
        QCPScatterStyle::ssCircle, QCPScatterStyle::ssSquare, QCPScatterStyle::ssTriangle};
    const size_t i = lines_.size();
    const QColor color = colorIn.isValid() ? colorIn : tab10[i % 10];
    QCPGraph* line = addGraph();
    line->setName(name);
    line->setPen(QPen(color, 2));
    line->setScatterStyle(QCPScatterStyle(shapes[(i / 10) % 3], color, color, 5));
    line->setData(QVector<double>(x.begin(), x.end()), QVector<double>(y.begin(), y.end()), true);
    if (!lower.empty() && lower.size() == x.size() && upper.size() == x.size()) {
        QColor fill = color;
        fill.setAlpha(50);
        QCPGraph* lo = addGraph();
        QCPGraph* hi = addGraph();
        lo->setData(QVector<double>(x.begin(), x.end()),
                    QVector<double>(lower.begin(), lower.end()), true);
        hi->setData(QVector<double>(x.begin(), x.end()),
                    QVector<double>(upper.begin(), upper.end()), true);
        lo->setPen(Qt::NoPen);
        hi->setPen(Qt::NoPen);
        hi->setBrush(fill);
        hi->setChannelFillGraph(lo);
        legend->removeItem(legend->itemCount() - 1);
        legend->removeItem(legend->itemCount() - 1);
    }
    lines_.push_back(line);
    fit();
    return int(lines_.size()) - 1;
}

void LinePlot::appendPoint(int series, double x, double y) {
    if (series < 0 || series >= int(lines_.size())) return;
    lines_[size_t(series)]->addData(x, y);
    fit();
}

void LinePlot::clearSeries() {
    clearGraphs();
    clearItems();
    lines_.clear();
    scheduleReplot();
}

void LinePlot::addMarker(double x, const QString& label) {
    auto* line = new QCPItemStraightLine(this);
    line->point1->setCoords(x, 0.0);
    line->point2->setCoords(x, 1.0);
    line->setPen(QPen(QColor(90, 90, 90), 1.2, Qt::DashLine));
    auto* text = new QCPItemText(this);
    text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    text->position->setCoords(x, 0.02);
    text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    text->setPadding(QMargins(4, 0, 0, 0));
    text->setColor(QColor(70, 70, 70));
    text->setText(label);
    scheduleReplot();
}

namespace {

/// Ticks at whole numbers only (steps of 1, or multiples of 1 when the range is long).
void setIntegerTicks(QCPAxis* axis, bool integer) {
    if (integer) {
        QSharedPointer<QCPAxisTickerFixed> t(new QCPAxisTickerFixed);
        t->setTickStep(1.0);
        t->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
        axis->setTicker(t);
    } else {
        axis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    }
}

} // namespace

void LinePlot::setIntegerXAxis(bool integer) {
    setIntegerTicks(xAxis, integer);
    scheduleReplot();
}

void LinePlot::setIntegerYAxis(bool integer) {
    setIntegerTicks(yAxis, integer);
    scheduleReplot();
}

void LinePlot::setLogY(bool log) {
    yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    yAxis->setTicker(log ? QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog)
                         : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    scheduleReplot();
}

void LinePlot::setLegendOutside(bool outside) {
    if (outside == (legendColumn_ != nullptr)) return;
    QCPLayoutGrid* grid = plotLayout();
    if (outside) {
        axisRect()->insetLayout()->take(legend);
        axisRect()->insetLayout()->simplify();
        legendColumn_ = new QCPLayoutGrid;
        grid->addElement(1, 1, legendColumn_);
        grid->setColumnStretchFactor(1, 0.001);
        legendColumn_->addElement(0, 0, legend);
        legendColumn_->addElement(1, 0, new QCPLayoutElement(this)); // takes the height left over
        legendColumn_->setRowStretchFactor(0, 0.001);
        legendColumn_->setRowStretchFactor(1, 1);
        legendColumn_->setMargins(QMargins(4, 0, 10, 0)); // room for the border at the edge
        legend->setMargins(QMargins(6, 0, 6, 0));
    } else {
        legendColumn_->take(legend);
        grid->remove(legendColumn_); // deletes the column and its filler
        legendColumn_ = nullptr;
        grid->simplify();
        axisRect()->insetLayout()->addElement(legend, Qt::AlignTop | Qt::AlignRight);
    }
    scheduleReplot();
}

void LinePlot::setLegendCorner(Qt::Alignment corner) {
    if (legendColumn_) return;
    axisRect()->insetLayout()->setInsetAlignment(0, corner);
    scheduleReplot();
}

void LinePlot::fit() {
    rescaleAxes(true);
    xAxis->scaleRange(1.08, xAxis->range().center());
    yAxis->scaleRange(1.1, yAxis->range().center());
    scheduleReplot();
}

QString LinePlot::hoverText(const QPoint& pos) const {
    double best = 8.0 * 8.0;
    QString text;
    for (const QCPGraph* g : lines_) {
        for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) {
            const double dx = xAxis->coordToPixel(it->key) - pos.x(),
                         dy = yAxis->coordToPixel(it->value) - pos.y();
            if (dx * dx + dy * dy <= best) {
                best = dx * dx + dy * dy;
                text = QString("%1 at %2 = %3: %4")
                           .arg(g->name(), xAxis->label().isEmpty() ? "x" : xAxis->label())
                           .arg(it->key, 0, 'g', 6)
                           .arg(it->value, 0, 'g', 8);
            }
        }
    }
    return text;
}

} // namespace ringscope::plots
