#pragma once
// Common ground of the QCustomPlot-based components: a title row, drawing into any painter
// for export, and replots coalesced on a timer so that bursts of updates draw once.

#include "Figure.h"

#include <qcustomplot.h>

#include <QTimer>

namespace ringscope::plots {

class PlotBase : public QCustomPlot, public Figure {
    Q_OBJECT

public:
    explicit PlotBase(QWidget* parent = nullptr);

    void setTitle(const QString& title);
    QString figureTitle() const override { return title_->text(); }
    void setAxisLabels(const QString& x, const QString& y);
    void drawFigure(QCPPainter& painter, const QSize& size) override;
    /// Asks for a replot; several requests within one event-loop turn draw once.
    void scheduleReplot();
    /// The text shown on hover at a widget position ("" for none).
    virtual QString hoverText(const QPoint& pos) const;

protected:
    /// Shows hoverText() as a tool tip.
    void mouseMoveEvent(QMouseEvent* event) override;
    QCPTextElement* title_;

private:
    QTimer replotTimer_;
};

} // namespace ringscope::plots
