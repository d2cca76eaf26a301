#pragma once
// Stacked bars over integer x positions (the depth at which an exit rule stops images, right
// and wrong apart); legend and hover counts.

#include "PlotBase.h"

#include <QColor>

#include <vector>

namespace ringscope::plots {

class BarPlot : public PlotBase {
    Q_OBJECT

public:
    explicit BarPlot(QWidget* parent = nullptr);

    /// Adds a stack on top of the previous ones: `values[i]` at x = i + 1. Returns its index.
    int addStack(const QString& name, const std::vector<double>& values,
                 const QColor& color = QColor());
    void clearStacks();
    int stackCount() const { return int(stacks_.size()); }
    /// The text shown on hover at a widget position ("" away from the bars).
    QString hoverText(const QPoint& pos) const override;

private:
    void fit();
    /// Height of the first `stacks` stacks at position i (0-based).
    double stackedTop(size_t i, size_t stacks) const;
    std::vector<QCPBars*> stacks_;
    std::vector<std::vector<double>> values_;
};

} // namespace ringscope::plots
