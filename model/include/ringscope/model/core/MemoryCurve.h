#pragma once
/// @file MemoryCurve.h
/// Resident memory sampled along a long run (the soak checks of ringscope-cli and the app),
/// and whether it stayed flat once warmed up.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ringscope {

class MemoryCurve {
public:
    struct Point {
        int64_t step = 0;   ///< images classified, cycles done, ...
        double rssMiB = 0;  ///< resident memory then
        double heapMiB = 0; ///< C heap in use then (see heapInUseMiB)
        double seconds = 0; ///< since the curve was made
    };

    MemoryCurve();

    /// Records the resident memory after `step` steps.
    void sample(int64_t step);
    const std::vector<Point>& points() const { return points_; }

    /// Growth from the first sample at or after `warmupFraction` of the samples to the last
    /// one, with the peak; "flat" when the growth is at most `toleranceMiB`.
    nlohmann::json summary(double warmupFraction, double toleranceMiB) const;
    /// The points as [{"step", "rss_mib", "heap_mib", "seconds"}, ...].
    nlohmann::json pointsJson() const;
    /// True when summary(...) says flat.
    bool flat(double warmupFraction, double toleranceMiB) const;

private:
    /// Index of the first sample at or after `warmupFraction` of the samples (points_ not empty).
    size_t firstAfterWarmup(double warmupFraction) const;

    std::chrono::steady_clock::time_point start_;
    std::vector<Point> points_;
};

} // namespace ringscope
