#pragma once
// What every plot component offers besides being a widget: drawing itself at any size into
// any painter, so that one code path serves the screen, PNG, SVG and PDF.

#include <QSize>
#include <QString>

class QCPPainter;

namespace ringscope::plots {

class Figure {
public:
    virtual ~Figure() = default;
    /// Draws the figure filling `size` (logical pixels) with `painter`, which exportFigure
    /// creates for the output device (vectorised for SVG and PDF).
    virtual void drawFigure(QCPPainter& painter, const QSize& size) = 0;
    /// The figure's title (for file metadata).
    virtual QString figureTitle() const = 0;
};

} // namespace ringscope::plots
