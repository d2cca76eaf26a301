#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/analysis/DataAnalysis.h"
#include "ringscope/model/core/BlasKernels.h"
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
    // "all": each analysis; an analysis alone: that one. Each is paired with the plain inference
    // pass.
    std::vector<std::string> analyses;
    for (const std::string& k : known)
        if (k != "inference" && (what == "all" || what == k)) analyses.push_back(k);
    {
        // One untimed forward first: the first pass of a process pays for allocations that the
        // measured passes would otherwise share unevenly.
        torch::NoGradGuard noGrad;
        const Batch first = stream.batch(0, input.spec);
        if (first.images.size(0) > 0) input.model->forward(first.images, input.forward);
    }
    // Each analysis runs right after an inference pass of its own, round by round, and its
    // cost is the median over the rounds of its time over that pass's: a slow spell of the
    // machine, which lasts seconds here, then weighs on both sides of each ratio.
    const int64_t rounds = std::max<int64_t>(1, args.integerOr("rounds", 1));
    std::vector<double> inferenceSeconds;
    std::vector<std::vector<double>> seconds(analyses.size()), ratios(analyses.size());
    int64_t inferenceExamples = 0;
    std::vector<int64_t> examples(analyses.size(), 0);
    auto timed = [&](const std::string& pass, int64_t& covered) {
        t0 = std::chrono::steady_clock::now();
        covered = runPass(pass, input, stream, estimator);
        return secondsSince(t0);
    };
    for (int64_t r = 0; r < rounds; ++r) {
        if (analyses.empty()) inferenceSeconds.push_back(timed("inference", inferenceExamples));
        for (size_t i = 0; i < analyses.size(); ++i) {
            const double base = timed("inference", inferenceExamples);
            inferenceSeconds.push_back(base);
            seconds[i].push_back(timed(analyses[i], examples[i]));
            ratios[i].push_back(seconds[i].back() / base);
        }
    }
    auto report = [&](const std::string& pass, int64_t images, double mid) {
        return nlohmann::json{{"analysis", pass},
                              {"model", model.model->config().summary()},
                              {"images", images},
                              {"seconds", mid},
                              {"rounds", rounds},
                              {"images_per_s", double(images) / mid},
                              {"data_load_seconds", loadSeconds},
                              {"peak_rss_mb", peakResidentMemoryMiB()},
                              {"threads", threads},
                              {"blas", blasKernels()}};
    };
    out << report("inference", inferenceExamples, median(inferenceSeconds)).dump() << "\n";
    for (size_t i = 0; i < analyses.size(); ++i) {
        nlohmann::json j = report(analyses[i], examples[i], median(seconds[i]));
        j["cost_vs_inference"] = median(ratios[i]);
        out << j.dump() << "\n";
    }
    return 0;
}

} // namespace ringscope::cli
