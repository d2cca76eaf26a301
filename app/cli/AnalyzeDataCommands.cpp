#include "AnalysisOutput.h"
#include "AnalyzeSupport.h"
#include "CommandSupport.h"

#include "ringscope/analysis/LevelSignals.h"
#include "ringscope/model/core/Error.h"

#include "DepthScatterPlot.h"
#include "HeatmapPlot.h"
#include "LinePlot.h"

#include <cmath>
#include <set>
#include <iostream>

namespace ringscope::cli {

namespace {

std::vector<double> vec(const torch::Tensor& t) {
    const torch::Tensor c = t.to(torch::kFloat64).contiguous().reshape({-1});
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

std::vector<double> range1(int64_t n) {
    std::vector<double> x;
    for (int64_t i = 1; i <= n; ++i)
        x.push_back(double(i));
    return x;
}

std::string appAxis(const ModelArg& m) {
    const Family f = m.loaded.model->config().family;
    return f == Family::ViT || f == Family::OWF ? "layer" : "iteration";
}

const std::set<std::string> kDataOptions =
    withModelOptions({"out", "data", "batch", "limit", "width", "height", "dpi"});

std::set<std::string> with(std::set<std::string> s, std::initializer_list<std::string> more) {
    s.insert(more);
    return s;
}

/// The optional second checkpoint.
std::optional<ModelArg> secondModel(const CliArgs& args) {
    if (args.positional().size() > 2) throw UsageError{"at most two checkpoints"};
    if (args.positional().size() == 2) return openModelArg(args.positional()[1], args);
    return std::nullopt;
}

} // namespace

int analyzeMad(const std::vector<std::string>& raw, std::ostream& out) {
    CliArgs args(raw, kDataOptions, {"renormalised"});
    const ModelArg a = openModelArg(positionalAt(args, 0, "CHECKPOINT"), args);
    const std::optional<ModelArg> b = secondModel(args);
    const DataArg data = openDataArg(args);
    AnalysisOutput output(args.require("out"), "mad");
    const auto variant = args.flag("renormalised") ? analysis::MadVariant::Renormalised
                                                   : analysis::MadVariant::Published;
    output.manifest()["settings"] = {
        {"variant", args.flag("renormalised") ? "renormalised rows" : "published"},
        {"batch", data.stream->batchSize()}};
    plots::DepthScatterPlot plot;
    plot.setTitle(QString("Mean attention distance%1")
                      .arg(args.flag("renormalised") ? " (rows renormalised)" : ""));
    plot.setAxisLabels("application (layer / iteration)", "mean attention distance (pixels)");
    nlohmann::json summary = nlohmann::json::array();
    int index = 0;
    for (const ModelArg* m : {&a, b ? &*b : nullptr}) {
        if (!m) continue;
        const std::string stem = index == 0 ? "mad" : "mad_b";
        output.checkpoint(index == 0 ? "A" : "B", m->path);
        const analysis::MadRun run = analysis::madOverData(m->input(), *data.stream, variant,
                                                           stderrProgress("mad " + m->label));
        recordRun(output, data, run);
        output.array(stem, run.mad, {{appAxis(*m)}, {"image", false}, {"head"}},
                     "MAD [application, image, head] of " + m->label + " in pixels");
        const torch::Tensor mean = run.mad.mean(1),
                            spread = run.mad.std(1, /*unbiased=*/false); // [A, H]
        output.array(stem + "_mean", mean, {{appAxis(*m)}, {"head"}}, "MAD mean over images");
        output.array(stem + "_std", spread, {{appAxis(*m)}, {"head"}},
                     "MAD standard deviation over images");
        std::vector<std::vector<double>> perHead;
        for (int64_t i = 0; i < mean.size(0); ++i)
            perHead.push_back(vec(mean[i]));
        plot.addModel(QString::fromStdString(m->label), perHead,
                      plots::DepthScatterPlot::defaultColor(index));
        summary.push_back(
            {{"model", m->label}, {"array", stem}, {"mean_per_application", vec(mean.mean(1))}});
        ++index;
    }
    output.results()["models"] = summary;
    output.figure(plot, "mad", exportOptions(args));
    out << output.finish() << "\n";
    return 0;
}

int analyzeCka(const std::vector<std::string>& raw, std::ostream& out) {
    CliArgs args(raw, with(kDataOptions, {"kernel", "estimator", "feature", "threshold"}), {});
    const ModelArg a = openModelArg(positionalAt(args, 0, "CHECKPOINT"), args);
    const std::optional<ModelArg> b = secondModel(args);
    analysis::CkaOptions o;
    try {
        o.kernel = analysis::parseKernel(args.value("kernel").value_or("linear"));
        o.estimator = analysis::parseEstimator(args.value("estimator").value_or("minibatch"));
        o.feature = analysis::parseFeature(args.value("feature").value_or("flatten"));
    } catch (const std::invalid_argument& e) {
        throw UsageError{e.what()};
    }
    o.rbfThreshold = args.number("threshold").value_or(1.0);
    const DataArg data = openDataArg(args);
    AnalysisOutput output(args.require("out"), "cka");
    output.checkpoint("A", a.path);
    if (b) output.checkpoint("B", b->path);
    output.manifest()["settings"] = {{"kernel", analysis::kernelName(o.kernel)},
                                     {"estimator", analysis::estimatorName(o.estimator)},
                                     {"feature", analysis::featureName(o.feature)},
                                     {"rbf_threshold", o.rbfThreshold},
                                     {"batch", data.stream->batchSize()}};
    const analysis::CkaRun run = analysis::ckaOverData(
        a.input(), b ? b->input() : analysis::ModelInput{}, *data.stream, o, stderrProgress("cka"));
    recordRun(output, data, run);
    const ModelArg& other = b ? *b : a;
    const std::string rowName = appAxis(a) + "_a", colName = appAxis(other) + "_b";
    output.array("cka", run.cka, {{rowName}, {colName}},
                 "CKA [application of A, application of B]");
    // For every application of A, the application of B that matches it best.
    const torch::Tensor best = run.cka.argmax(1) + 1;
    const torch::Tensor bestIdx = best.to(torch::kInt64).contiguous();
    output.results()["best_match_b_for_each_a"] = std::vector<int64_t>(
        bestIdx.data_ptr<int64_t>(), bestIdx.data_ptr<int64_t>() + bestIdx.numel());
    output.results()["skipped_examples_small_minibatch"] = run.skippedExamples;
    output.results()["models"] = {{"A", a.label}, {"B", other.label}};
    plots::HeatmapPlot plot;
    const int rows = int(run.cka.size(0)), cols = int(run.cka.size(1));
    plot.setMatrix(vec(run.cka), rows, cols);
    plot.setRange(0.0, 1.0);
    plot.setValueLabel("CKA");
    plot.setTitle(QString("CKA (%1, %2, %3), %4 images")
                      .arg(QString::fromStdString(analysis::kernelName(o.kernel)),
                           QString::fromStdString(analysis::estimatorName(o.estimator)),
                           QString::fromStdString(analysis::featureName(o.feature)))
                      .arg(run.examples));
    plot.setAxisLabels(QString::fromStdString(other.label + " " + appAxis(other)),
                       QString::fromStdString(a.label + " " + appAxis(a)));
    plots::ExportOptions opts = exportOptions(args);
    output.figure(plot, "cka", opts);
    out << output.finish() << "\n";
    return 0;
}

int analyzeLens(const std::vector<std::string>& raw, std::ostream& out) {
    CliArgs args(raw, kDataOptions, {});
    const ModelArg m = openModelArg(positionalAt(args, 0, "CHECKPOINT"), args);
    const DataArg data = openDataArg(args);
    AnalysisOutput output(args.require("out"), "lens");
    output.checkpoint("model", m.path);
    const analysis::LensRun run =
        analysis::lensOverData(m.input(), *data.stream, stderrProgress("lens"));
    recordRun(output, data, run);
    output.array("lens", run.probabilities, {{appAxis(m)}, {"image", false}, {"class", false}},
                 "class probabilities head(LN(h_a)[CLS]) after each application [application, "
                 "image, class]");
    output.array("labels", run.labels, {{"image", false}}, "true class per image (-1: unknown)");
    output.array("lens_accuracy", run.accuracy, {{appAxis(m)}},
                 "share of labelled images the lens gets right");
    const torch::Tensor meanProb = run.probabilities.mean(1); // [A, classes]
    output.array("lens_mean", meanProb, {{appAxis(m)}, {"class", false}},
                 "class probabilities averaged over images");
    plots::LinePlot plot;
    plot.setTitle(QString::fromStdString("Class lens of " + m.label));
    plot.setAxisLabels(QString::fromStdString(appAxis(m)), "share / probability");
    plot.setIntegerXAxis(true);
    const std::vector<double> x = range1(run.probabilities.size(0));
    const bool labelled = !std::isnan(run.accuracy[0].item<double>());
    if (labelled) {
        plot.addSeries("accuracy of the lens", x, vec(run.accuracy));
        // Mean probability given to the true class.
        const torch::Tensor known = run.labels.ge(0);
        const torch::Tensor idx =
            run.labels.clamp_min(0).view({1, -1, 1}).expand({run.probabilities.size(0), -1, 1});
        const torch::Tensor trueProb =
            run.probabilities.gather(2, idx).squeeze(2).index({torch::indexing::Slice(), known});
        plot.addSeries("probability of the true class", x, vec(trueProb.mean(1)), QColor(),
                       vec(trueProb.mean(1) - trueProb.std(1, false)),
                       vec(trueProb.mean(1) + trueProb.std(1, false)));
        output.results()["accuracy_per_application"] = vec(run.accuracy);
    } else {
        const torch::Tensor top = std::get<0>(run.probabilities.max(2)); // [A, images]
        plot.addSeries("top-class probability", x, vec(top.mean(1)), QColor(),
                       vec(top.mean(1) - top.std(1, false)), vec(top.mean(1) + top.std(1, false)));
    }
    output.figure(plot, "lens", exportOptions(args));
    out << output.finish() << "\n";
    return 0;
}

int analyzeLevels(const std::vector<std::string>& raw, std::ostream& out) {
    CliArgs args(raw, kDataOptions, {});
    const ModelArg m = openModelArg(positionalAt(args, 0, "CHECKPOINT"), args);
    const DataArg data = openDataArg(args);
    AnalysisOutput output(args.require("out"), "levels");
    output.checkpoint("model", m.path);
    const analysis::LevelsRun run =
        analysis::levelsOverData(m.input(), *data.stream, stderrProgress("levels"));
    recordRun(output, data, run);
    const std::string app = appAxis(m);
    const int64_t apps = run.relativeUpdateMean.size(0);
    const std::vector<double> x = range1(apps);
    output.array("relative_update", torch::stack({run.relativeUpdateMean, run.relativeUpdateStd}),
                 {{"statistic (1 mean, 2 std)"}, {app}},
                 "||h_a - h_(a-1)|| / ||h_(a-1)|| over images: mean, std");
    output.array("update_cosine", torch::stack({run.cosineMean, run.cosineStd}),
                 {{"statistic (1 mean, 2 std)"}, {app}},
                 "cosine(h_a, h_(a-1)) over images: mean, std");
    const plots::ExportOptions opts = exportOptions(args);
    plots::LinePlot dyn;
    dyn.setTitle(QString::fromStdString("Depth dynamics of " + m.label));
    dyn.setAxisLabels(QString::fromStdString(app), "value");
    dyn.setIntegerXAxis(true);
    dyn.addSeries("relative update", x, vec(run.relativeUpdateMean), QColor(),
                  vec(run.relativeUpdateMean - run.relativeUpdateStd),
                  vec(run.relativeUpdateMean + run.relativeUpdateStd));
    dyn.addSeries("cosine to previous", x, vec(run.cosineMean), QColor(),
                  vec(run.cosineMean - run.cosineStd), vec(run.cosineMean + run.cosineStd));
    output.figure(dyn, "dynamics", opts);
    if (run.signalRatioMean.defined()) {
        const analysis::LowRankSummary low = analysis::lowRankSummary(*m.loaded.model);
        const torch::Tensor& frob = low.frobenius;
        const torch::Tensor& sv = low.singularValues;
        const int64_t levels = run.signalRatioMean.size(1);
        const Axis signal{"signal (1 Q, 2 K, 3 V, 4 F)"}, level{"level"};
        output.array("lowrank_frobenius", frob, {signal, level}, "Frobenius norm of M_X,t = A^T B");
        output.array("lowrank_singular_values", sv, {signal, level, {"index"}},
                     "singular values of M_X,t, descending");
        output.array("signal_norm", torch::stack({run.signalNormMean, run.signalNormStd}),
                     {{"statistic (1 mean, 2 std)"}, signal, level},
                     "||s_X,t|| per token over images and tokens: mean, std");
        output.array("signal_ratio", torch::stack({run.signalRatioMean, run.signalRatioStd}),
                     {{"statistic (1 mean, 2 std)"}, signal, level},
                     "||s_X,t|| / ||term it is added to|| over images and tokens: mean, std");
        output.array("signal_ratio_per_token", run.signalRatioPerToken,
                     {signal, level, {"token", false}},
                     "signal ratio per token (0 = CLS), mean over images");
        output.array("level_cosine", run.levelCosine, {signal, level, {"level_b"}},
                     "cosine between levels' signals, mean over images");
        plots::LinePlot ratio;
        ratio.setTitle(
            QString::fromStdString("Level signals of " + m.label + ": ||s|| / ||term||"));
        ratio.setAxisLabels("level", "ratio (mean ± std over images and tokens)");
        ratio.setIntegerXAxis(true);
        plots::LinePlot norms;
        norms.setTitle(QString::fromStdString("Low-rank maps of " + m.label));
        norms.setAxisLabels("level", "||A^T B||_F");
        norms.setIntegerXAxis(true);
        for (int s = 0; s < 4; ++s) {
            const QString name = QString::fromStdString(analysis::kSignalNames[size_t(s)]);
            ratio.addSeries(name, range1(levels), vec(run.signalRatioMean[s]), QColor(),
                            vec(run.signalRatioMean[s] - run.signalRatioStd[s]),
                            vec(run.signalRatioMean[s] + run.signalRatioStd[s]));
            norms.addSeries(name, range1(levels), vec(frob[s]));
            plots::HeatmapPlot cos;
            cos.setMatrix(vec(run.levelCosine[s]), int(levels), int(levels));
            cos.setRange(-1.0, 1.0);
            cos.setValueLabel("cosine");
            cos.setTitle("Cosine between levels' " + name + " signals");
            cos.setAxisLabels("level", "level");
            output.figure(cos, "level_cosine_" + analysis::kSignalNames[size_t(s)], opts);
        }
        output.figure(ratio, "signals", opts);
        output.figure(norms, "lowrank", opts);
    }
    if (run.encodingRatioMean.defined()) {
        output.array("encoding_norm", run.encodingNorm, {{"level"}}, "mean over tokens of ||E_t||");
        output.array("encoding_ratio", torch::stack({run.encodingRatioMean, run.encodingRatioStd}),
                     {{"statistic (1 mean, 2 std)"}, {"level"}},
                     "||E_t|| / ||h_(t-1)|| per token over images and tokens: mean, std");
        plots::LinePlot enc;
        enc.setTitle(QString::fromStdString("Level encodings of " + m.label));
        enc.setAxisLabels("level", "||E_t|| / ||h_(t-1)||");
        enc.setIntegerXAxis(true);
        const int64_t levels = run.encodingRatioMean.size(0);
        enc.addSeries("ratio", range1(levels), vec(run.encodingRatioMean), QColor(),
                      vec(run.encodingRatioMean - run.encodingRatioStd),
                      vec(run.encodingRatioMean + run.encodingRatioStd));
        output.figure(enc, "encodings", opts);
    }
    output.results()["family"] = run.family;
    out << output.finish() << "\n";
    return 0;
}

} // namespace ringscope::cli
