#pragma once
// Perceptual colour maps (matplotlib's viridis, magma, inferno; gray) for heatmaps, the
// attention overlay and colour bars.

#include <QColor>
#include <QImage>
#include <QString>
#include <QStringList>

#include <vector>

class QCPColorGradient;

namespace ringscope::plots {

class Colormap {
public:
    enum Kind { Viridis, Magma, Inferno, Gray };

    explicit Colormap(Kind kind = Viridis) : kind_(kind) {}
    /// "viridis", "magma", "inferno", "gray"; unknown names give viridis and `ok` false.
    static Colormap fromName(const QString& name, bool* ok = nullptr);
    static QStringList names();

    Kind kind() const { return kind_; }
    QString name() const;
    /// Colour at t in [0, 1] (clamped), interpolated between the map's stops.
    QColor at(double t) const;
    /// The same map as a QCustomPlot gradient.
    QCPColorGradient gradient() const;
    /// `values` (row-major, rows x cols) mapped to colours over [lo, hi] (alpha 255).
    QImage image(const std::vector<double>& values, int rows, int cols, double lo, double hi) const;

private:
    Kind kind_;
};

} // namespace ringscope::plots
