#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/model/nets/FastOps.h"
#include "ringscope/model/nets/ModelFactory.h"
#include "ringscope/model/nets/StepCost.h"
#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/train/FusedAdam.h"

#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/types.h>

#include <algorithm>
#include <chrono>

namespace ringscope::cli {

namespace {

/// Milliseconds the step's products take at the rate sgemm reaches on each of their shapes on
/// this machine (median of a few timed calls per distinct shape). Batched shapes (attention)
/// run one sgemm per slice over the threads (batchedGemm), as the fused attention does: what
/// torch::matmul reaches there is dispatch overhead, not the machine's limit.
double gemmLimitMs(const std::vector<GemmShape>& gemms) {
    torch::NoGradGuard noGrad;
    double ms = 0.0;
    for (const GemmShape& g : gemms) {
        const torch::Tensor a = torch::randn({g.batch, g.m, g.k}),
                            b = torch::randn({g.batch, g.k, g.n});
        auto product = [&] { return g.batch > 1 ? batchedGemm(a, b) : torch::matmul(a, b); };
        product(); // warm-up
        std::vector<double> times;
        for (int i = 0; i < 5; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            product();
            times.push_back(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count());
        }
        ms += median(times) * double(g.count);
    }
    return ms;
}

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
    ForwardOptions trainingPass;
    trainingPass.train = true;
    auto step = [&] {
        if (train) {
            adam->zero_grad();
            torch::Tensor logits = model->forward(images, trainingPass).logits;
            torch::Tensor loss = torch::cross_entropy_loss(logits, labels);
            loss.backward();
            torch::nn::utils::clip_grad_norm_(params, 1.0);
            adam->step();
        } else {
            torch::NoGradGuard noGrad;
            model->forward(images);
        }
    };
    for (int64_t i = 0; i < warmup; ++i)
        step();
    std::vector<double> ms;
    for (int64_t i = 0; i < steps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        step();
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
    }
    if (const auto trace = args.value("profile")) {
        // One more step under libtorch's profiler, as a Chrome trace (chrome://tracing).
        torch::autograd::profiler::RecordProfile profile(*trace);
        step();
    }
    const double med = median(ms);
    // How close the step runs to the machine's GEMM rate on the step's own products.
    const std::vector<GemmShape> gemms = stepGemms(c, batch, train);
    const double gflop = totalFlops(gemms) / 1e9, limitMs = gemmLimitMs(gemms);
    nlohmann::json j{{"family", familyName(c.family)},
                     {"mode", train ? "train" : "inference"},
                     {"ms_per_step", med},
                     {"ms_min", *std::min_element(ms.begin(), ms.end())},
                     {"images_per_s", 1000.0 * double(batch) / med},
                     {"gflop_per_step", gflop},
                     {"gflops_per_s", gflop / (med / 1000.0)},
                     {"gemm_limit_ms", limitMs},
                     {"gemm_gflops_per_s", gflop / (limitMs / 1000.0)},
                     {"efficiency", limitMs / med},
                     {"params", model->parameterCount()},
                     {"batch", batch},
                     {"steps", steps},
                     {"threads", threads},
                     {"config", c.toJson()}};
    out << j.dump() << "\n";
    return 0;
}

} // namespace ringscope::cli
