// ringscope-cli soak: long-running use in one process, to show that resident memory stays flat.
// Phase 1 classifies --images images one at a time the way the app does (PNG-encoded in memory,
// decoded and preprocessed by the shared path, traced forward pass with attention maps) with
// every checkpoint; phase 2 opens and closes the checkpoints --cycles times (read, build the
// model, one forward pass, destroy). Resident memory is sampled along the way and printed as
// one JSON document: the curve, and the growth after a warm-up.
#include "AnalysisOutput.h"
#include "AnalyzeSupport.h"
#include "CommandSupport.h"
#include "Commands.h"
#include "LinePlot.h"

#include "ringscope/model/io/FileIO.h"
#include "ringscope/model/data/DataSource.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/ForwardTrace.h"
#include "ringscope/model/data/ImageTensor.h"
#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/core/MemoryCurve.h"
#include "ringscope/model/core/Runtime.h"

#include <torch/types.h>

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <tuple>

namespace ringscope::cli {
namespace {

/// --out DIR: the two curves as arrays (.npy, .csv) and figures (.png, .svg, .pdf), the
/// results as soak.json and a manifest with the checkpoints' SHA-256.
void writeSoakOutput(const std::string& dir, const nlohmann::json& result,
                     const MemoryCurve& classify, const MemoryCurve& reopen, const CliArgs& args) {
    AnalysisOutput output(dir, "soak");
    for (const auto& p : result["checkpoints"])
        output.checkpoint("model", p.get<std::string>());
    output.results() = result;
    const std::tuple<const char*, const char*, const MemoryCurve&> phases[] = {
        {"classify", "images classified", classify},
        {"open_close", "checkpoints opened and closed", reopen}};
    for (const auto& [phase, xLabel, curve] : phases) {
        std::vector<double> rows, x, rss, heap; // rows: [sample, 4] (step, resident, heap, seconds)
        for (const MemoryCurve::Point& p : curve.points()) {
            rows.insert(rows.end(), {double(p.step), p.rssMiB, p.heapMiB, p.seconds});
            x.push_back(double(p.step));
            rss.push_back(p.rssMiB);
            heap.push_back(p.heapMiB);
        }
        const torch::Tensor t =
            torch::tensor(rows, torch::kFloat64).reshape({int64_t(x.size()), 4});
        output.array(
            std::string("rss_") + phase, t,
            {{"sample", false}, {"column (1 step, 2 resident MiB, 3 heap in use MiB, 4 seconds)"}},
            std::string("resident memory during ") + xLabel);
        plots::LinePlot plot;
        plot.setTitle(QString("Memory: %1").arg(xLabel));
        plot.setAxisLabels(xLabel, "memory (MiB)");
        plot.setLegendOutside(true);
        plot.addSeries("resident memory", x, rss);
        plot.addSeries("C heap in use", x, heap);
        plot.fit();
        // From zero, so that the flat part is seen at its true size.
        plot.yAxis->setRange(0, std::max(1.0, *std::max_element(rss.begin(), rss.end()) * 1.08));
        output.figure(plot, std::string("rss_") + phase, exportOptions(args));
    }
    output.finish();
}

std::string encodePng(const cv::Mat& image) {
    std::vector<uchar> buf;
    if (!cv::imencode(".png", image, buf)) throw RingScopeError("cannot encode an image as PNG");
    return std::string(buf.begin(), buf.end());
}

} // namespace

int soakCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw,
                 withModelOptions({"images", "cycles", "data", "every", "tolerance", "out", "width",
                                   "height", "dpi"}),
                 {});
    if (args.positional().empty()) throw UsageError{"missing CHECKPOINT (one or more)"};
    const int64_t images = args.integerOr("images", 10000), cycles = args.integerOr("cycles", 200);
    const int64_t every = std::max<int64_t>(1, args.integerOr("every", 500));
    const double tolerance = args.number("tolerance").value_or(32.0);
    if (images < 0 || cycles < 0) throw UsageError{"--images and --cycles must not be negative"};
    const std::vector<std::string> paths = args.positional();
    const DataSource source = openDataSource(args.value("data").value_or("fashion-mnist:test"));
    if (!source.dataset || source.dataset->size() == 0)
        throw RingScopeError(source.spec + ": the soak needs a source of images");
    const std::optional<std::string> outDir = args.value("out");
    if (outDir) {
        makeOutputDirectory(*outDir);
        ensureGuiApplication(); // before the first sample: the plots' Qt state is not growth
    }
    torch::NoGradGuard noGrad;
    const auto start = std::chrono::steady_clock::now();

    // Phase 1: classify, one image at a time, with every model.
    std::vector<LoadedModel> models;
    for (const auto& p : paths)
        models.push_back(loadModelFromArgs(p, args));
    MemoryCurve classify;
    classify.sample(0);
    int64_t agree = 0;
    for (int64_t i = 0; i < images; ++i) {
        const std::string png = encodePng(source.dataset->get(i % source.dataset->size()).image);
        const cv::Mat decoded = decodeImage(png, "image " + std::to_string(i));
        int64_t first = -1;
        bool same = true;
        for (const auto& m : models) {
            ForwardTrace trace;
            const torch::Tensor x = preprocessImage(decoded, m.metadata.inputSpec()).unsqueeze(0);
            const int64_t cls = m.model->forward(x, {}, &trace).logits.argmax(-1).item<int64_t>();
            same = same && (first < 0 || cls == first);
            first = cls;
        }
        agree += same;
        if ((i + 1) % every == 0 || i + 1 == images) {
            classify.sample(i + 1);
            std::cerr << "soak: classified " << (i + 1) << " / " << images << " images, RSS "
                      << classify.points().back().rssMiB << " MiB, heap in use "
                      << classify.points().back().heapMiB << " MiB\n";
        }
    }
    models.clear();

    // Phase 2: open and close the checkpoints.
    MemoryCurve reopen;
    reopen.sample(0);
    const torch::Tensor probe = torch::zeros({1, 1, 1, 1});
    for (int64_t c = 0; c < cycles; ++c) {
        LoadedModel m = loadModelFromArgs(paths[size_t(c) % paths.size()], args);
        const InputSpec spec = m.metadata.inputSpec();
        m.model->forward(torch::zeros({1, spec.channels, spec.size, spec.size}));
        if ((c + 1) % std::max<int64_t>(1, every / 50) == 0 || c + 1 == cycles)
            reopen.sample(c + 1);
    }
    std::cerr << "soak: " << cycles << " open/close cycles, RSS " << residentMemoryMiB()
              << " MiB\n";

    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    nlohmann::json result{
        {"checkpoints", paths},
        {"data", source.dataset->description()},
        {"images", images},
        {"models_agree_share", images ? double(agree) / double(images) : 0.0},
        {"cycles", cycles},
        {"seconds", seconds},
        {"classify",
         {{"curve", classify.pointsJson()}, {"summary", classify.summary(0.1, tolerance)}}},
        {"open_close",
         {{"curve", reopen.pointsJson()}, {"summary", reopen.summary(0.1, tolerance)}}}};
    if (outDir) writeSoakOutput(*outDir, result, classify, reopen, args);
    out << result.dump() << "\n";
    const bool flat = classify.flat(0.1, tolerance) && reopen.flat(0.1, tolerance);
    return flat ? 0 : 2;
}

} // namespace ringscope::cli
