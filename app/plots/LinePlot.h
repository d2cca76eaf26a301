#pragma once
// Several named series over a common x axis (level signals, class lens, training curves),
// each optionally with a band (e.g. mean +- standard deviation); legend and hover values.

#include "PlotBase.h"

#include <QColor>

#include <vector>

namespace ringscope::plots {

class LinePlot : public PlotBase {
    Q_OBJECT

public:
    explicit LinePlot(QWidget* parent = nullptr);

    /// Adds a series; `lower`/`upper`, when given, draw a shaded band. Returns its index.
    int addSeries(const QString& name, const std::vector<double>& x, const std::vector<double>& y,
                  const QColor& color = QColor(), const std::vector<double>& lower = {},
                  const std::vector<double>& upper = {});
    /// Appends a point to a series (live curves).
    void appendPoint(int series, double x, double y);
    /// Removes every series and marker.
    void clearSeries();
    /// A dashed vertical line at `x` labelled `label` (e.g. the trained depth).
    void addMarker(double x, const QString& label);
    /// Integer ticks on the x axis (applications, epochs).
    void setIntegerXAxis(bool integer);
    /// Integer ticks on the y axis (e.g. the best-matching application).
    void setIntegerYAxis(bool integer);
    void setLogY(bool log);
    /// Legend in a column right of the plot instead of over the data.
    void setLegendOutside(bool outside);
    /// The corner of the plot the legend sits in while it is inside (default: top right).
    void setLegendCorner(Qt::Alignment corner);
    int seriesCount() const { return int(lines_.size()); }
    /// Fits the axes to the data.
    void fit();

    QString hoverText(const QPoint& pos) const override;

private:
    std::vector<QCPGraph*> lines_;
    /// The column right of the plot holding the legend above an empty filler, so that the
    /// legend keeps its own height (setLegendOutside(true)); null while the legend is inside.
    QCPLayoutGrid* legendColumn_ = nullptr;
};

} // namespace ringscope::plots
