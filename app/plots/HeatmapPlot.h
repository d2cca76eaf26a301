#pragma once
// A matrix as a heatmap with a colour bar (CKA): row 1 at the top, per-cell values on hover
// (and printed in the cells when the matrix is small).

#include "Colormap.h"
#include "PlotBase.h"

#include <vector>

namespace ringscope::plots {

class HeatmapPlot : public PlotBase {
    Q_OBJECT

public:
    explicit HeatmapPlot(QWidget* parent = nullptr);

    /// `values` row-major [rows x cols]. Rows and columns are shown 1-based.
    void setMatrix(const std::vector<double>& values, int rows, int cols);
    /// The number of the first column (default 1; takes effect at the next setMatrix()).
    void setFirstColumn(int first);
    /// Colour range; without it the data's range is used.
    void setRange(double lo, double hi);
    void setColormap(const Colormap& map);
    void setValueLabel(const QString& label); ///< colour bar title
    /// Print each cell's value (on by default for matrices up to 12 x 12).
    void setShowValues(bool show);

    int rows() const { return rows_; }
    int cols() const { return cols_; }
    double value(int row, int col) const { return values_[size_t(row * cols_ + col)]; }
    /// The text shown on hover at a widget position ("" outside the cells).
    QString hoverText(const QPoint& pos) const override;

Q_SIGNALS:
    void cellHovered(int row, int col, double value);

protected:
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    bool cellAt(const QPoint& pos, int& row, int& col) const;
    void rebuildLabels();

    QCPColorMap* map_;
    QCPColorScale* scale_;
    std::vector<double> values_;
    std::vector<QCPItemText*> labels_;
    int rows_ = 0, cols_ = 0, firstColumn_ = 1;
    bool showValues_ = true, fixedRange_ = false;
    Colormap colormap_;
};

} // namespace ringscope::plots
