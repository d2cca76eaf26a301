#pragma once
// Input images with attention maps blended over them, in a grid of panels (models, heads or
// applications), with a colour bar; shared or per-panel colour scale. Clicking a patch
// reports it (to pick a query patch).

#include "Colormap.h"
#include "Figure.h"

#include <QImage>
#include <QWidget>

#include <vector>

namespace ringscope::plots {

class AttentionOverlay : public QWidget, public Figure {
    Q_OBJECT

public:
    struct Panel {
        QImage image;            ///< the input image (any size; drawn square)
        std::vector<double> map; ///< grid x grid values, row-major (empty: image only)
        int grid = 0;
        QString title;
        int highlightedPatch = -1; ///< patch (0-based, row-major) to outline, e.g. the query
    };

    explicit AttentionOverlay(QWidget* parent = nullptr);

    void setPanels(std::vector<Panel> panels);
    const std::vector<Panel>& panels() const { return panels_; }
    void setColumns(int columns); ///< 0: as square as possible
    void setColormap(const Colormap& map);
    void setAlpha(double alpha);      ///< overlay opacity in [0, 1]
    void setSharedScale(bool shared); ///< one colour range for all panels
    void setSmooth(bool smooth);      ///< bilinear up-sampling instead of patch blocks
    void setTitle(const QString& title);
    double alpha() const { return alpha_; }
    bool sharedScale() const { return shared_; }

    void drawFigure(QCPPainter& painter, const QSize& size) override;
    QString figureTitle() const override { return title_; }
    /// Colour range used for panel i.
    std::pair<double, double> rangeOf(int panel) const;
    /// The panel and patch under a widget position; false outside every image.
    bool patchAt(const QPoint& pos, int& panel, int& patch) const;
    /// The hover text at a widget position: panel, patch (row, column) and exact value.
    QString hoverText(const QPoint& pos) const;

Q_SIGNALS:
    void patchClicked(int panel, int patch);
    /// After every paint that showed at least one attention map (for launch timing).
    void mapsPainted();

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    struct Layout {
        std::vector<QRectF> images; ///< where each panel's image goes
        QRectF colourBar;
    };
    Layout layoutFor(const QSize& size, const QFontMetrics& fm) const;
    void drawPanel(QPainter& p, const Panel& panel, const QRectF& target, int index) const;
    void drawColourBar(QPainter& p, const QRectF& bar) const;

    std::vector<Panel> panels_;
    Colormap colormap_;
    QString title_;
    double alpha_ = 0.6;
    int columns_ = 0;
    bool shared_ = true, smooth_ = false;
};

} // namespace ringscope::plots
