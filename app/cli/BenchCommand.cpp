#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/model/nets/FastOps.h"
#include "ringscope/model/nets/ModelFactory.h"
#include "ringscope/model/nets/StepCost.h"
#include "ringscope/model/core/BlasKernels.h"
#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/train/BatchLanes.h"
#include "ringscope/model/train/FusedAdam.h"
#include "ringscope/model/train/Gradients.h"

#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace ringscope::cli {

namespace {

double elapsedMs(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

/// The step's products at the rate RingScope's gemm (productKernels()) reaches on each of their
/// shapes on this machine: one pair of operands per distinct shape, kept for the whole run,
/// multiplied by batchedGemm (the same gemm the layers call; a batched shape, attention's, one
/// product per slice over the threads as the fused attention runs them: what torch::matmul
/// reaches there is dispatch overhead, not the machine's limit).
class GemmLimit {
public:
    explicit GemmLimit(const std::vector<GemmShape>& gemms) : gemms_(gemms) {
        for (const GemmShape& g : gemms_)
            operands_.push_back(
                {torch::randn({g.batch, g.m, g.k}), torch::randn({g.batch, g.k, g.n})});
    }

    /// Milliseconds of one pass: every shape once with its operands in cache (after an
    /// untimed call), weighted by its calls per step.
    double passMs() const {
        torch::NoGradGuard noGrad;
        double ms = 0.0;
        for (size_t i = 0; i < gemms_.size(); ++i) {
            const auto& [a, b] = operands_[i];
            auto product = [&] { return batchedGemm(a, b); };
            product();
            const auto t0 = std::chrono::steady_clock::now();
            product();
            ms += elapsedMs(t0) * double(gemms_[i].count);
        }
        return ms;
    }

private:
    std::vector<GemmShape> gemms_;
    std::vector<std::pair<torch::Tensor, torch::Tensor>> operands_;
};

} // namespace

int benchCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw,
                 {"family", "encoding", "image-size", "patch", "hidden", "heads", "mlp", "depth",
                  "rank", "channels", "classes", "batch", "threads", "steps", "warmup", "profile"},
                 {"train"});
    const ModelConfig c = modelConfigFromArgs(args, {});
    const int64_t batch = args.requireInteger("batch");
    if (batch <= 0) throw UsageError{"--batch must be positive"};
    const int threads = configureThreads(static_cast<int>(args.integerOr("threads", 0)));
    const int64_t steps = std::max<int64_t>(1, args.integerOr("steps", 20));
    const int64_t warmup = std::max<int64_t>(0, args.integerOr("warmup", 3));
    const bool train = args.flag("train");

    auto model = createModel(c, 1);
    torch::manual_seed(1);
    torch::Tensor images = torch::randn({batch, c.channels, c.imageSize, c.imageSize});
    torch::Tensor labels = torch::randint(0, c.classes, {batch}, torch::kInt64);

    std::vector<torch::Tensor> params = model->trainableParameters();
    std::unique_ptr<FusedAdam> adam; // the trainer's optimizer
    if (train) {
        for (auto& p : params)
            p.requires_grad_(true);
        adam = std::make_unique<FusedAdam>(params, torch::optim::AdamOptions(1e-3));
    }
    ForwardOptions forwardOptions;
    forwardOptions.train = true;
    // One step; returns its lanes' idle time (laneIdleMs; 0 for inference).
    auto step = [&]() -> double {
        if (!train) {
            torch::NoGradGuard noGrad;
            model->forward(images);
            return 0.0;
        }
        clearGradients(params);
        // as the trainer runs it
        const double idle = laneIdleMs(trainingPass(*model, images, labels, forwardOptions));
        clipGradientNorm(params, 1.0);
        adam->step();
        return idle;
    };
    // How close the step runs to the machine's GEMM rate on the step's own products: each
    // timed step is followed by a pass of its products alone, so that the ratio of each pair
    // sees the same state of the machine (whose speed drifts over seconds on shared hosts).
    const std::vector<GemmShape> gemms = stepGemms(c, batch, train);
    const GemmLimit limit(gemms);
    for (int64_t i = 0; i < warmup; ++i)
        step();
    limit.passMs(); // warm-up
    std::vector<double> ms, limitMs, efficiency, productMs, laneIdle;
    for (int64_t i = 0; i < steps; ++i) {
        timeProducts(true);
        const auto t0 = std::chrono::steady_clock::now();
        const double idle = step();
        ms.push_back(elapsedMs(t0));
        productMs.push_back(timedProductMs() / double(threads));
        laneIdle.push_back(idle);
        timeProducts(false);
        limitMs.push_back(limit.passMs());
        efficiency.push_back(limitMs.back() / ms.back());
    }
    if (const auto trace = args.value("profile")) {
        // One more step under libtorch's profiler, as a Chrome trace (chrome://tracing).
        torch::autograd::profiler::RecordProfile profile(*trace);
        step();
    }
    const double med = median(ms), limitMed = median(limitMs);
    const double gflop = totalFlops(gemms) / 1e9;
    nlohmann::json j{{"family", familyName(c.family)},
                     {"mode", train ? "train" : "inference"},
                     {"ms_per_step", med},
                     {"ms_min", *std::min_element(ms.begin(), ms.end())},
                     {"images_per_s", 1000.0 * double(batch) / med},
                     {"gflop_per_step", gflop},
                     {"gflops_per_s", gflop / (med / 1000.0)},
                     {"gemm_limit_ms", limitMed},
                     {"gemm_gflops_per_s", gflop / (limitMed / 1000.0)},
                     {"efficiency", median(efficiency)},
                     {"gemm_ms_per_step", median(productMs)},
                     {"other_ms_per_step", med - median(productMs)},
                     {"lane_idle_ms_per_step", median(laneIdle)},
                     {"params", model->parameterCount()},
                     {"batch", batch},
                     {"steps", steps},
                     {"threads", threads},
                     {"gemm", productKernels()},
                     {"blas", blasKernels()},
                     {"lanes", train ? trainingLanes(batch) : 1},
                     {"config", c.toJson()}};
    out << j.dump() << "\n";
    return 0;
}

} // namespace ringscope::cli
