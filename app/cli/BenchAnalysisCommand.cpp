#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/analysis/DataAnalysis.h"
#include "ringscope/model/core/Runtime.h"

#include <algorithm>
#include <chrono>

namespace ringscope::cli {

namespace {

double secondsSince(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

/// Runs one measured pass of `what` over the data; returns the examples it covered.
int64_t runPass(const std::string& what, const analysis::ModelInput& input,
                const analysis::BatchStream& stream, const std::string& estimator) {
    if (what == "inference") {
        // The baseline: the same batches, preprocessed the same way, through a plain forward.
        torch::NoGradGuard noGrad;
        analysis::RunReport report;
        analysis::forEachBatch(stream, input.spec, report, {}, [&](int64_t, const Batch& b) {
            input.model->forward(b.images, input.forward);
        });
        return report.examples;
    }
    if (what == "mad") return analysis::madOverData(input, stream).examples;
    if (what == "levels") return analysis::levelsOverData(input, stream).examples;
    analysis::CkaOptions o;
    o.estimator = analysis::parseEstimator(estimator);
    return analysis::ckaOverData(input, {}, stream, o).examples;
}

} // namespace

int benchAnalysisCommand(const Args& raw, std::ostream& out) {
    CliArgs args(
        raw, withModelOptions({"data", "limit", "batch", "threads", "estimator", "rounds"}), {});
    const std::string what = positionalAt(args, 0, "inference|mad|cka|levels|all");
    const std::vector<std::string> known = {"inference", "mad", "cka", "levels"};
    if (what != "all" && std::find(known.begin(), known.end(), what) == known.end())
        throw UsageError{"bench-analysis measures inference, mad, cka, levels or all"};
    const int threads = configureThreads(static_cast<int>(args.integerOr("threads", 0)));
    LoadedModel model = loadModelFromArgs(positionalAt(args, 1, "CHECKPOINT"), args);
    auto t0 = std::chrono::steady_clock::now();
    DataSource data = openDataSource(args.require("data"));
    const double loadSeconds = secondsSince(t0);
    analysis::BatchStream stream(data, args.integerOr("batch", 64), args.integerOr("limit", -1));
    const analysis::ModelInput input{model.model.get(), model.metadata.inputSpec()};
    const std::string estimator = args.value("estimator").value_or("minibatch");
    // "all": the plain inference pass first, then each analysis, with its cost relative to it.
    const std::vector<std::string> passes = what == "all" ? known : std::vector{what};
    {
        // One untimed forward first: the first pass of a process pays for allocations that the
        // measured passes would otherwise share unevenly.
        torch::NoGradGuard noGrad;
        const Batch first = stream.batch(0, input.spec);
        if (first.images.size(0) > 0) input.model->forward(first.images, input.forward);
    }
    // Passes alternate round by round, so that a slow spell of the machine hits all of them.
    const int64_t rounds = std::max<int64_t>(1, args.integerOr("rounds", 1));
    std::vector<std::vector<double>> seconds(passes.size());
    std::vector<int64_t> examples(passes.size(), 0);
    for (int64_t r = 0; r < rounds; ++r) {
        for (size_t i = 0; i < passes.size(); ++i) {
            t0 = std::chrono::steady_clock::now();
            examples[i] = runPass(passes[i], input, stream, estimator);
            seconds[i].push_back(secondsSince(t0));
        }
    }
    double inferenceSeconds = 0.0;
    for (size_t i = 0; i < passes.size(); ++i) {
        const double mid = median(seconds[i]);
        if (passes[i] == "inference") inferenceSeconds = mid;
        nlohmann::json j{{"analysis", passes[i]},
                         {"model", model.model->config().summary()},
                         {"images", examples[i]},
                         {"seconds", mid},
                         {"rounds", rounds},
                         {"images_per_s", double(examples[i]) / mid},
                         {"data_load_seconds", loadSeconds},
                         {"peak_rss_mb", peakResidentMemoryMiB()},
                         {"threads", threads}};
        if (inferenceSeconds > 0.0 && passes[i] != "inference")
            j["cost_vs_inference"] = mid / inferenceSeconds;
        out << j.dump() << "\n";
    }
    return 0;
}

} // namespace ringscope::cli
