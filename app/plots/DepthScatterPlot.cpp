#include "DepthScatterPlot.h"

#include <cmath>
#include <limits>

namespace ringscope::plots {

namespace {
constexpr double kSpread = 0.12; // horizontal offset between models at one application
}

DepthScatterPlot::DepthScatterPlot(QWidget* parent) : PlotBase(parent) {
    legend->setVisible(true);
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    QSharedPointer<QCPAxisTickerFixed> t(new QCPAxisTickerFixed);
    t->setTickStep(1.0);
    t->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    xAxis->setTicker(t);
    setMouseTracking(true);
}

QColor DepthScatterPlot::defaultColor(int index) {
    static const QColor colors[] = {QColor(0, 114, 178), QColor(213, 94, 0),
                                    QColor(0, 158, 115), QColor(204, 121, 167),
                                    QColor(230, 159, 0), QColor(86, 180, 233)};
    return colors[index % 6];
}

void DepthScatterPlot::clearModels() {
    clearGraphs();
    names_.clear();
    points_.clear();
    scatter_.clear();
    models_ = 0;
    maxApplications_ = 0;
    scheduleReplot();
}

void DepthScatterPlot::addModel(const QString& name, const std::vector<std::vector<double>>& values,
                                const QColor& color) {
    const int m = models_++;
    names_.push_back(name);
    const double offset = (m - 0.5) * kSpread;
    QCPGraph* points = addGraph();
    points->setName(name + " (heads)");
    points->setLineStyle(QCPGraph::lsNone);
    QColor light = color;
    light.setAlpha(170);
    points->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, light, light, 6));
    QCPGraph* mean = addGraph();
    mean->setName(name + " (mean)");
    mean->setPen(QPen(color, 2));
    mean->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, color, color, 8));
    QVector<double> px, py, mx, my;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (size_t a = 0; a < values.size(); ++a) {
        double sum = 0;
        for (size_t h = 0; h < values[a].size(); ++h) {
            const double v = values[a][h];
            px.push_back(double(a + 1) + offset);
            py.push_back(v);
            points_.push_back({m, int(a), int(h), v});
            sum += v;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        mx.push_back(double(a + 1) + offset);
        my.push_back(values[a].empty() ? std::nan("") : sum / double(values[a].size()));
    }
    points->setData(px, py, true);
    mean->setData(mx, my, true);
    scatter_.push_back(points);
    maxApplications_ = std::max(maxApplications_, int(values.size()));
    xAxis->setRange(0.4, maxApplications_ + 0.6);
    rescaleAxes(true);
    xAxis->setRange(0.4, maxApplications_ + 0.6);
    yAxis->scaleRange(1.1, yAxis->range().center());
    scheduleReplot();
}

QString DepthScatterPlot::hoverText(const QPoint& pos) const {
    double best = 8.0 * 8.0;
    const Point* hit = nullptr;
    for (const Point& p : points_) {
        const double x = xAxis->coordToPixel(p.application + 1 + (p.model - 0.5) * kSpread);
        const double y = yAxis->coordToPixel(p.value);
        const double d = (x - pos.x()) * (x - pos.x()) + (y - pos.y()) * (y - pos.y());
        if (d <= best) {
            best = d;
            hit = &p;
        }
    }
    if (!hit) return {};
    return QString("%1, application %2, head %3: %4")
        .arg(names_[size_t(hit->model)])
        .arg(hit->application + 1)
        .arg(hit->head + 1)
        .arg(hit->value, 0, 'g', 8);
}

} // namespace ringscope::plots
