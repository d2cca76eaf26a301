#pragma once
/// @file RunControl.h
/// The one way long work reports progress and is cancelled, from the model library up to the
/// app's jobs: a callback for progress and a callback asked whether to stop, both called on
/// the worker thread (so both must be thread-safe).

#include <cstddef>
#include <cstdint>
#include <functional>

namespace ringscope {

/// Progress and cancellation of one run. Empty callbacks mean "nobody listens" and "never".
struct RunControl {
    /// `done` of `total` units (images, steps) so far.
    std::function<void(int64_t done, int64_t total)> progress;
    /// True when the run should stop as soon as it can (between batches or steps).
    std::function<bool()> cancel;

    /// Asks `cancel`.
    bool cancelled() const { return cancel && cancel(); }
    /// Calls `progress` when there is one.
    void report(int64_t done, int64_t total) const {
        if (progress) progress(done, total);
    }
    /// The control of part `index` of `count` equal parts of this run (one model of several):
    /// its progress is scaled into this run's, its cancel is this run's.
    RunControl share(size_t index, size_t count) const {
        RunControl part = *this;
        if (progress)
            part.progress = [whole = progress, index, count](int64_t done, int64_t total) {
                whole(int64_t(index) * total + done, int64_t(count) * total);
            };
        return part;
    }
};

} // namespace ringscope
