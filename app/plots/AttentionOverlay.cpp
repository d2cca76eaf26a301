#include "AttentionOverlay.h"

#include <qcustomplot.h>

#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ringscope::plots {

namespace {
constexpr double kGap = 10.0;
constexpr double kBarWidth = 16.0;
} // namespace

AttentionOverlay::AttentionOverlay(QWidget* parent) : QWidget(parent) {
    setMinimumSize(200, 200);
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void AttentionOverlay::setPanels(std::vector<Panel> panels) {
    panels_ = std::move(panels);
    update();
}

void AttentionOverlay::setColumns(int columns) {
    columns_ = std::max(0, columns);
    update();
}
void AttentionOverlay::setColormap(const Colormap& map) {
    colormap_ = map;
    update();
}
void AttentionOverlay::setAlpha(double alpha) {
    alpha_ = std::clamp(alpha, 0.0, 1.0);
    update();
}
void AttentionOverlay::setSharedScale(bool shared) {
    shared_ = shared;
    update();
}
void AttentionOverlay::setSmooth(bool smooth) {
    smooth_ = smooth;
    update();
}
void AttentionOverlay::setTitle(const QString& title) {
    title_ = title;
    update();
}

std::pair<double, double> AttentionOverlay::rangeOf(int panel) const {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (int i = 0; i < int(panels_.size()); ++i) {
        if (!shared_ && i != panel) continue;
        for (double v : panels_[size_t(i)].map) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    }
    if (!(hi >= lo)) return {0.0, 1.0};
    if (hi == lo) hi = lo + 1e-12;
    return {lo, hi};
}

AttentionOverlay::Layout AttentionOverlay::layoutFor(const QSize& size,
                                                     const QFontMetrics& fm) const {
    Layout l;
    const int n = std::max<int>(1, int(panels_.size()));
    const int cols = columns_ > 0 ? std::min(columns_, n) : int(std::ceil(std::sqrt(double(n))));
    const int rows = (n + cols - 1) / cols;
    const double titleH = title_.isEmpty() ? 0.0 : fm.height() * 1.6;
    const double labelH = fm.height() * (shared_ ? 1.3 : 2.4);
    const double barSpace = kBarWidth + fm.horizontalAdvance("0.0000") + 3 * kGap;
    const double cellW = (size.width() - barSpace - kGap) / cols;
    const double cellH = (size.height() - titleH - kGap) / rows;
    const double side = std::max(8.0, std::min(cellW - kGap, cellH - kGap - labelH));
    // Rows as tall as the squares need, the block centred vertically.
    const double rowH = side + labelH + kGap;
    const double top = titleH + std::max(0.0, (size.height() - titleH - rows * rowH) / 2);
    for (int i = 0; i < int(panels_.size()); ++i) {
        const int r = i / cols, c = i % cols;
        l.images.emplace_back(kGap + c * cellW + (cellW - kGap - side) / 2, top + r * rowH + labelH,
                              side, side);
    }
    // The colour bar spans the images' rows.
    const double barTop = l.images.empty() ? titleH + kGap + labelH : l.images.front().top();
    const double barBottom = l.images.empty() ? barTop + side : l.images.back().bottom();
    l.colourBar =
        QRectF(kGap + cols * cellW + kGap, barTop, kBarWidth, std::max(20.0, barBottom - barTop));
    return l;
}

void AttentionOverlay::drawPanel(QPainter& p, const Panel& panel, const QRectF& target,
                                 int index) const {
    p.fillRect(target, QColor(0, 0, 0));
    if (!panel.image.isNull())
        p.drawImage(target, panel.image.convertToFormat(QImage::Format_RGB32));
    if (!panel.map.empty() && panel.grid > 0 && int(panel.map.size()) == panel.grid * panel.grid) {
        const auto [lo, hi] = rangeOf(index);
        QImage overlay = colormap_.image(panel.map, panel.grid, panel.grid, lo, hi);
        p.save();
        p.setOpacity(alpha_);
        p.setRenderHint(QPainter::SmoothPixmapTransform, smooth_);
        if (smooth_)
            overlay = overlay.scaled(target.size().toSize(), Qt::IgnoreAspectRatio,
                                     Qt::SmoothTransformation);
        p.drawImage(target, overlay);
        p.restore();
        if (panel.highlightedPatch >= 0 && panel.highlightedPatch < panel.grid * panel.grid) {
            const double cell = target.width() / panel.grid;
            const int r = panel.highlightedPatch / panel.grid,
                      c = panel.highlightedPatch % panel.grid;
            p.setPen(QPen(Qt::white, 2));
            p.setBrush(Qt::NoBrush);
            p.drawRect(QRectF(target.left() + c * cell, target.top() + r * cell, cell, cell));
        }
    }
    const QFontMetrics fm = p.fontMetrics();
    p.setPen(palette().color(QPalette::WindowText));
    QRectF label(target.left() - kGap / 2, target.top() - fm.height() * (shared_ ? 1.3 : 2.4),
                 target.width() + kGap, fm.height() * 1.2);
    p.drawText(label, Qt::AlignHCenter | Qt::AlignBottom,
               fm.elidedText(panel.title, Qt::ElideRight, int(label.width())));
    if (!shared_ && !panel.map.empty()) {
        const auto [lo, hi] = rangeOf(index);
        p.drawText(label.translated(0, fm.height() * 1.1), Qt::AlignHCenter | Qt::AlignBottom,
                   QString("%1 – %2").arg(lo, 0, 'g', 3).arg(hi, 0, 'g', 3));
    }
}

void AttentionOverlay::drawColourBar(QPainter& p, const QRectF& bar) const {
    QLinearGradient g(bar.bottomLeft(), bar.topLeft());
    for (int i = 0; i <= 10; ++i)
        g.setColorAt(i / 10.0, colormap_.at(i / 10.0));
    p.fillRect(bar, g);
    p.setPen(palette().color(QPalette::WindowText));
    p.drawRect(bar);
    const QFontMetrics fm = p.fontMetrics();
    if (shared_) {
        const auto [lo, hi] = rangeOf(0);
        for (int i = 0; i <= 4; ++i) {
            const double t = i / 4.0, y = bar.bottom() - t * bar.height();
            p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 4, y));
            p.drawText(QPointF(bar.right() + 6, y + fm.ascent() / 2.0 - 1),
                       QString::number(lo + t * (hi - lo), 'g', 3));
        }
    } else {
        p.drawText(QPointF(bar.right() + 6, bar.top() + fm.ascent()), "max");
        p.drawText(QPointF(bar.right() + 6, bar.bottom()), "min");
    }
}

void AttentionOverlay::drawFigure(QCPPainter& painter, const QSize& size) {
    QPainter& p = painter;
    p.fillRect(QRect(QPoint(0, 0), size), palette().color(QPalette::Window));
    const Layout l = layoutFor(size, p.fontMetrics());
    if (!title_.isEmpty()) {
        QFont bold = p.font();
        bold.setBold(true);
        bold.setPointSizeF(bold.pointSizeF() * 1.2);
        p.save();
        p.setFont(bold);
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QRectF(0, 0, size.width(), p.fontMetrics().height() * 1.6), Qt::AlignCenter,
                   title_);
        p.restore();
    }
    for (int i = 0; i < int(panels_.size()); ++i)
        drawPanel(p, panels_[size_t(i)], l.images[size_t(i)], i);
    if (!panels_.empty()) drawColourBar(p, l.colourBar);
}

void AttentionOverlay::paintEvent(QPaintEvent*) {
    QCPPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    drawFigure(p, size());
    if (std::any_of(panels_.begin(), panels_.end(), [](const Panel& x) { return !x.map.empty(); }))
        Q_EMIT mapsPainted();
}

bool AttentionOverlay::patchAt(const QPoint& pos, int& panel, int& patch) const {
    const Layout l = layoutFor(size(), fontMetrics());
    for (int i = 0; i < int(panels_.size()); ++i) {
        const QRectF& r = l.images[size_t(i)];
        const int g = panels_[size_t(i)].grid;
        if (g <= 0 || !r.contains(pos)) continue;
        const int c = std::min(g - 1, int((pos.x() - r.left()) / r.width() * g));
        const int row = std::min(g - 1, int((pos.y() - r.top()) / r.height() * g));
        panel = i;
        patch = row * g + c;
        return true;
    }
    return false;
}

QString AttentionOverlay::hoverText(const QPoint& pos) const {
    int panel = 0, patch = 0;
    if (!patchAt(pos, panel, patch)) return {};
    const Panel& p = panels_[size_t(panel)];
    if (p.map.empty()) return {};
    return QString("%1\npatch %2 (row %3, column %4): %5")
        .arg(p.title)
        .arg(patch + 1)
        .arg(patch / p.grid + 1)
        .arg(patch % p.grid + 1)
        .arg(p.map[size_t(patch)], 0, 'g', 6);
}

void AttentionOverlay::mouseMoveEvent(QMouseEvent* event) {
    const QString text = hoverText(event->pos());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, this);
    QWidget::mouseMoveEvent(event);
}

void AttentionOverlay::mousePressEvent(QMouseEvent* event) {
    int panel = 0, patch = 0;
    if (event->button() == Qt::LeftButton && patchAt(event->pos(), panel, patch))
        Q_EMIT patchClicked(panel, patch);
    QWidget::mousePressEvent(event);
}

} // namespace ringscope::plots
