#pragma once
// Small helpers the study exports share (internal to app/export).

#include "Figure.h"

#include <QString>

#include <memory>
#include <string>
#include <vector>

namespace ringscope::exportsupport {

/// 1, 2, ..., n as plot coordinates.
inline std::vector<double> range1(int64_t n) {
    std::vector<double> x;
    for (int64_t i = 1; i <= n; ++i)
        x.push_back(double(i));
    return x;
}

inline QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

/// A plot component as the figure a NamedFigure owns.
template <class Plot> std::unique_ptr<plots::Figure> owned(std::unique_ptr<Plot> p) {
    return std::unique_ptr<plots::Figure>(p.release());
}

} // namespace ringscope::exportsupport
