#pragma once
// Per-head values by depth for several models on shared axes (MAD): one point per head and
// application, the mean over heads as a line; hover names model, application, head, value.

#include "PlotBase.h"

#include <QColor>

#include <vector>

namespace ringscope::plots {

class DepthScatterPlot : public PlotBase {
    Q_OBJECT

public:
    explicit DepthScatterPlot(QWidget* parent = nullptr);

    /// Adds a model: `values[a][h]` for application a (shown 1-based) and head h.
    void addModel(const QString& name, const std::vector<std::vector<double>>& values,
                  const QColor& color);
    void clearModels();
    /// Colours used for the n-th model by default (colour-blind safe).
    static QColor defaultColor(int index);

    /// The hover text for a widget position: the nearest point within 8 pixels, or "".
    QString hoverText(const QPoint& pos) const override;

private:
    struct Point {
        int model, application, head;
        double value;
    };
    std::vector<QString> names_;
    std::vector<Point> points_;
    std::vector<QCPGraph*> scatter_;
    int models_ = 0;
    int maxApplications_ = 0;
};

} // namespace ringscope::plots
