#include "ringscope/model/train/BatchLanes.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace ringscope {

namespace {

constexpr int64_t kMinImagesPerLane = 8;

/// Mean cross-entropy of `logits` against `labels`.
torch::Tensor meanLoss(const torch::Tensor& logits, const torch::Tensor& labels, double smoothing) {
    return torch::cross_entropy_loss(logits, labels, {}, at::Reduction::Mean, -100, smoothing);
}

/// One generator per lane, seeded from `base` in lane order (none without dropout's source).
std::vector<at::Generator> laneGenerators(const at::Generator& base, int lanes) {
    std::vector<at::Generator> out(static_cast<size_t>(lanes));
    if (!base.defined()) return out;
    auto* source = at::check_generator<at::CPUGeneratorImpl>(base);
    std::lock_guard<std::mutex> lock(source->mutex_);
    for (auto& g : out)
        g = at::make_generator<at::CPUGeneratorImpl>(source->random64());
    return out;
}

} // namespace

int trainingLanes(int64_t batch, const LaneOptions& options) {
#ifdef _OPENMP
    const int wanted = options.lanes > 0 ? options.lanes : at::get_num_threads();
    return int(std::clamp<int64_t>(batch / kMinImagesPerLane, 1, std::max(1, wanted)));
#else
    (void)batch, (void)options;
    return 1;
#endif
}

TrainingPassResult trainingPass(const VisionModel& model, const torch::Tensor& images,
                                const torch::Tensor& labels, const ForwardOptions& forward,
                                const LaneOptions& options) {
    const int lanes = trainingLanes(images.size(0), options);
    const int64_t B = images.size(0);
    // One lane keeps the caller's generator (the plain single pass, bit for bit).
    const std::vector<at::Generator> generators =
        lanes > 1 && model.config().dropout > 0.0
            ? laneGenerators(forward.generator, lanes)
            : std::vector<at::Generator>(static_cast<size_t>(lanes));
    std::vector<torch::Tensor> logits(static_cast<size_t>(lanes));
    std::vector<double> losses(static_cast<size_t>(lanes), 0.0);
    std::vector<std::exception_ptr> errors(static_cast<size_t>(lanes));
    std::vector<double> laneMs(static_cast<size_t>(lanes), 0.0);
    const at::ThreadLocalState callerState; // grad mode, profiler, ... of the calling thread
    auto runLane = [&](int i) {
        const auto start = std::chrono::steady_clock::now();
        try {
            at::ThreadLocalStateGuard guard(callerState);
            const int64_t b0 = B * i / lanes, b1 = B * (i + 1) / lanes;
            ForwardOptions o = forward;
            if (generators[size_t(i)].defined()) o.generator = generators[size_t(i)];
            const torch::Tensor out = model.forward(images.narrow(0, b0, b1 - b0), o).logits;
            const torch::Tensor loss =
                meanLoss(out, labels.narrow(0, b0, b1 - b0), options.labelSmoothing);
            // The batch mean is the sum of the lanes' means weighted by their share.
            const double share = double(b1 - b0) / double(B);
            (loss * (share * options.lossScale)).backward();
            logits[size_t(i)] = out.detach();
            losses[size_t(i)] = loss.item<double>() * share;
        } catch (...) {
            errors[size_t(i)] = std::current_exception();
        }
        laneMs[size_t(i)] =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
    };
    if (lanes == 1) {
        runLane(0);
    } else {
#ifdef _OPENMP
#pragma omp parallel num_threads(lanes)
        for (int i = omp_get_thread_num(); i < lanes; i += omp_get_num_threads())
            runLane(i);
#endif
    }
    for (const std::exception_ptr& e : errors)
        if (e) std::rethrow_exception(e);
    TrainingPassResult result;
    result.logits = lanes == 1 ? logits[0] : torch::cat(logits);
    for (double l : losses)
        result.loss += l;
    result.laneMs = std::move(laneMs);
    return result;
}

double laneIdleMs(const TrainingPassResult& result) {
    if (result.laneMs.size() < 2) return 0.0;
    double sum = 0.0;
    for (double ms : result.laneMs)
        sum += ms;
    return *std::max_element(result.laneMs.begin(), result.laneMs.end()) -
           sum / double(result.laneMs.size());
}

} // namespace ringscope
