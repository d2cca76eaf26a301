#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/analysis/DataAnalysis.h"
#include "ringscope/model/core/Runtime.h"

#include <chrono>

namespace ringscope::cli {

namespace {

double secondsSince(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

int benchAnalysisCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw, withModelOptions({"data", "limit", "batch", "threads", "estimator"}), {});
    const std::string what = positionalAt(args, 0, "mad|cka");
    if (what != "mad" && what != "cka") throw UsageError{"bench-analysis measures mad or cka"};
    const int threads = configureThreads(static_cast<int>(args.integerOr("threads", 0)));
    LoadedModel model = loadModelFromArgs(positionalAt(args, 1, "CHECKPOINT"), args);
    auto t0 = std::chrono::steady_clock::now();
    DataSource data = openDataSource(args.require("data"));
    const double loadSeconds = secondsSince(t0);
    analysis::BatchStream stream(data, args.integerOr("batch", 64), args.integerOr("limit", -1));
    const analysis::ModelInput input{model.model.get(), model.metadata.inputSpec()};
    t0 = std::chrono::steady_clock::now();
    int64_t examples = 0;
    if (what == "mad") {
        examples = analysis::madOverData(input, stream).examples;
    } else {
        analysis::CkaOptions o;
        o.estimator = analysis::parseEstimator(args.value("estimator").value_or("minibatch"));
        examples = analysis::ckaOverData(input, {}, stream, o).examples;
    }
    const double seconds = secondsSince(t0);
    out << nlohmann::json({{"analysis", what},
                           {"model", model.model->config().summary()},
                           {"images", examples},
                           {"seconds", seconds},
                           {"images_per_s", double(examples) / seconds},
                           {"data_load_seconds", loadSeconds},
                           {"peak_rss_mb", peakResidentMemoryMiB()},
                           {"threads", threads}})
               .dump()
        << "\n";
    return 0;
}

} // namespace ringscope::cli
