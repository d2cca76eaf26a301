#include "Colormap.h"

#include <qcustomplot.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace ringscope::plots {

namespace {

using Stops = std::array<std::array<int, 3>, 11>; // colours at t = 0, 0.1, ..., 1

// Sampled from matplotlib's maps at eleven evenly spaced points.
const Stops kViridis = {{{68, 1, 84},
                         {72, 36, 117},
                         {65, 68, 135},
                         {53, 95, 141},
                         {42, 120, 142},
                         {33, 145, 140},
                         {34, 168, 132},
                         {68, 191, 112},
                         {122, 209, 81},
                         {189, 223, 38},
                         {253, 231, 37}}};
const Stops kMagma = {{{0, 0, 4},
                       {20, 14, 54},
                       {59, 15, 112},
                       {100, 26, 128},
                       {140, 41, 129},
                       {183, 55, 121},
                       {222, 73, 104},
                       {247, 112, 92},
                       {254, 159, 109},
                       {254, 207, 146},
                       {252, 253, 191}}};
const Stops kInferno = {{{0, 0, 4},
                         {22, 11, 57},
                         {66, 10, 104},
                         {106, 23, 110},
                         {147, 38, 103},
                         {188, 55, 84},
                         {221, 81, 58},
                         {243, 120, 25},
                         {252, 165, 10},
                         {246, 215, 70},
                         {252, 255, 164}}};

const Stops* stopsOf(Colormap::Kind k) {
    switch (k) {
    case Colormap::Viridis:
        return &kViridis;
    case Colormap::Magma:
        return &kMagma;
    case Colormap::Inferno:
        return &kInferno;
    case Colormap::Gray:
        return nullptr;
    }
    return &kViridis;
}

} // namespace

Colormap Colormap::fromName(const QString& name, bool* ok) {
    const QString n = name.toLower();
    if (ok) *ok = true;
    if (n == "viridis") return Colormap(Viridis);
    if (n == "magma") return Colormap(Magma);
    if (n == "inferno") return Colormap(Inferno);
    if (n == "gray" || n == "grey") return Colormap(Gray);
    if (ok) *ok = false;
    return Colormap(Viridis);
}

QStringList Colormap::names() {
    return {"viridis", "magma", "inferno", "gray"};
}

QString Colormap::name() const {
    return names().at(int(kind_));
}

QColor Colormap::at(double t) const {
    t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.0;
    const Stops* s = stopsOf(kind_);
    if (!s) {
        const int v = int(std::lround(255 * t));
        return QColor(v, v, v);
    }
    const double x = t * 10.0;
    const int i = std::min(9, int(x));
    const double f = x - i;
    auto mix = [&](int c) {
        return int(
            std::lround((*s)[size_t(i)][size_t(c)] * (1 - f) + (*s)[size_t(i + 1)][size_t(c)] * f));
    };
    return QColor(mix(0), mix(1), mix(2));
}

QCPColorGradient Colormap::gradient() const {
    QCPColorGradient g;
    g.clearColorStops();
    for (int i = 0; i <= 10; ++i)
        g.setColorStopAt(i / 10.0, at(i / 10.0));
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    return g;
}

QImage Colormap::image(const std::vector<double>& values, int rows, int cols, double lo,
                       double hi) const {
    QImage img(cols, rows, QImage::Format_ARGB32);
    const double span = hi > lo ? hi - lo : 1.0;
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            img.setPixelColor(c, r, at((values[size_t(r * cols + c)] - lo) / span));
    return img;
}

} // namespace ringscope::plots
