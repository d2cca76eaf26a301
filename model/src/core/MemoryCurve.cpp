#include "ringscope/model/core/MemoryCurve.h"

#include "ringscope/model/core/Runtime.h"

#include <algorithm>

namespace ringscope {

MemoryCurve::MemoryCurve() : start_(std::chrono::steady_clock::now()) {}

void MemoryCurve::sample(int64_t step) {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    points_.push_back({step, residentMemoryMiB(), heapInUseMiB(), s});
}

size_t MemoryCurve::firstAfterWarmup(double warmupFraction) const {
    return std::min(points_.size() - 1, size_t(double(points_.size() - 1) * warmupFraction + 0.5));
}

nlohmann::json MemoryCurve::summary(double warmupFraction, double toleranceMiB) const {
    if (points_.empty()) return {{"samples", 0}};
    const size_t first = firstAfterWarmup(warmupFraction);
    const double start = points_[first].rssMiB, end = points_.back().rssMiB;
    double peak = 0;
    for (const Point& p : points_)
        peak = std::max(peak, p.rssMiB);
    return {{"samples", points_.size()},
            {"warmup_steps", points_[first].step},
            {"heap_growth_after_warmup_mib", points_.back().heapMiB - points_[first].heapMiB},
            {"rss_after_warmup_mib", start},
            {"rss_end_mib", end},
            {"rss_peak_mib", peak},
            {"growth_after_warmup_mib", end - start},
            {"flat", flat(warmupFraction, toleranceMiB)},
            {"tolerance_mib", toleranceMiB}};
}

nlohmann::json MemoryCurve::pointsJson() const {
    nlohmann::json out = nlohmann::json::array();
    for (const Point& p : points_)
        out.push_back({{"step", p.step},
                       {"rss_mib", p.rssMiB},
                       {"heap_mib", p.heapMiB},
                       {"seconds", p.seconds}});
    return out;
}

bool MemoryCurve::flat(double warmupFraction, double toleranceMiB) const {
    if (points_.empty()) return false;
    return points_.back().rssMiB - points_[firstAfterWarmup(warmupFraction)].rssMiB <= toleranceMiB;
}

} // namespace ringscope
