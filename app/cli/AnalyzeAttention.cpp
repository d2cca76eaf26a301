#include "AnalysisOutput.h"
#include "AnalyzeSupport.h"
#include "CommandSupport.h"

#include "ringscope/analysis/AttentionMaps.h"
#include "ringscope/analysis/ImageTrace.h"
#include "ringscope/model/Classification.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/data/ImageTensor.h"

#include "AttentionOverlay.h"
#include "MatImage.h"
#include "StudyExport.h"

#include <QString>

#include <filesystem>
#include <iostream>

namespace ringscope::cli {

namespace {

std::vector<double> values(const torch::Tensor& t) {
    const torch::Tensor c = t.to(torch::kFloat64).contiguous().reshape({-1});
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

void configureOverlay(plots::AttentionOverlay& view, const CliArgs& args) {
    bool ok = true;
    view.setColormap(plots::Colormap::fromName(
        QString::fromStdString(args.value("colormap").value_or("viridis")), &ok));
    if (!ok) throw UsageError{"unknown colour map (viridis, magma, inferno, gray)"};
    view.setAlpha(args.number("alpha").value_or(0.6));
    view.setSharedScale(!args.flag("per-panel-scale"));
}

} // namespace

int analyzeAttention(const std::vector<std::string>& raw, std::ostream& out) {
    CliArgs args(raw,
                 withDepthOptions(withModelOptions({"out", "query", "fusion", "discard", "colormap",
                                                    "alpha", "width", "height", "dpi"})),
                 {"rollout", "per-panel-scale"});
    const ModelArg model = openModelArg(positionalAt(args, 0, "CHECKPOINT"), args);
    const std::string imagePath = positionalAt(args, 1, "IMAGE");
    AnalysisOutput output(args.require("out"), "attention");
    const ModelConfig& c = model.loaded.model->config();
    const InputSpec spec = model.loaded.metadata.inputSpec();
    const cv::Mat image = readImage(imagePath);
    const int64_t n = c.tokens(), prefix = c.prefixTokens(), g = analysis::gridSide(n, prefix);
    const int64_t query = args.integerOr("query", 0);
    if (query < 0 || query >= n)
        throw UsageError{"--query must name a token in [0, " + std::to_string(n - 1) + "]" +
                         (prefix > 0 ? " (0 = CLS)" : " (a patch)")};
    const analysis::HeadFusion fusion =
        analysis::parseFusion(args.value("fusion").value_or("mean"));

    const ForwardOptions depth = depthFromArgs(args);
    const analysis::ImageTrace traced =
        analysis::traceImage(*model.loaded.model, spec, image, depth);
    const torch::Tensor& attention = traced.attention; // [A, H, N, N]
    const int64_t apps = attention.size(0), heads = attention.size(1);
    const torch::Tensor maps = analysis::queryMaps(attention, query, prefix);
    const torch::Tensor fused = analysis::fusedQueryMaps(attention, query, fusion, prefix);

    const analysis::StudyModel subject =
        analysis::StudyModel::of(*model.loaded.model, spec, "A", model.label, model.path);
    const std::string& appName = subject.axis;
    output.checkpoint(subject.role, model.path, model.loaded.metadata.inputJson());
    output.manifest()["images"] = {imagePath};
    output.manifest()["settings"] = {{"query", query},
                                     {"fusion", analysis::fusionName(fusion)},
                                     {"heads", c.heads},
                                     {"applications", attention.size(0)},
                                     {"extend", depthPolicyName(depth.extend)},
                                     {"rollout", args.flag("rollout")}};
    writeImageAttention(output, subject, attention,
                        topClasses(traced.probabilities, 5, model.loaded.metadata), query, fusion);

    const QImage shown = matToQImage(image);
    const int highlight = query >= prefix ? int(query - prefix) : -1; // the query patch
    std::vector<plots::AttentionOverlay::Panel> panels;
    for (int64_t a = 0; a < apps; ++a)
        panels.push_back({shown, values(fused[a]), int(g),
                          QString("%1 %2").arg(QString::fromStdString(appName)).arg(a + 1),
                          highlight});
    if (args.flag("rollout")) {
        analysis::RolloutOptions ro;
        ro.fusion = fusion;
        ro.discardRatio = args.number("discard").value_or(0.0);
        const torch::Tensor joint =
            analysis::attentionRollout(attention.unsqueeze(1).unbind(0), ro)[0]; // [N, N]
        const torch::Tensor rollout = joint[query].narrow(0, prefix, n - prefix).reshape({g, g});
        output.array("rollout", rollout, {{"row", false}, {"col", false}},
                     "attention rollout: the query row of J = R_A ... R_1 over the patch grid");
        panels.push_back({shown, values(rollout), int(g), "rollout", highlight});
    }
    const QString queryName = query < prefix ? (query == 0 ? "CLS" : "the distillation token")
                                             : QString("patch %1").arg(query - prefix + 1);
    const QString modelName = QString::fromStdString(model.label);
    const plots::ExportOptions opts = exportOptions(args);
    plots::AttentionOverlay summary;
    configureOverlay(summary, args);
    summary.setTitle(
        QString("%1: attention of %2 (%3 over heads)")
            .arg(modelName, queryName, QString::fromStdString(analysis::fusionName(fusion))));
    summary.setPanels(panels);
    output.figure(summary, "attention", opts);

    std::vector<plots::AttentionOverlay::Panel> headPanels;
    for (int64_t a = 0; a < apps; ++a)
        for (int64_t h = 0; h < heads; ++h)
            headPanels.push_back({shown, values(maps[a][h]), int(g),
                                  QString("%1 %2, head %3")
                                      .arg(QString::fromStdString(appName))
                                      .arg(a + 1)
                                      .arg(h + 1),
                                  highlight});
    plots::AttentionOverlay perHead;
    configureOverlay(perHead, args);
    perHead.setColumns(int(heads));
    perHead.setTitle(QString("%1: attention of %2 per head").arg(modelName, queryName));
    perHead.setPanels(headPanels);
    plots::ExportOptions tall = opts;
    tall.height = std::max(opts.height, int(opts.width * apps / std::max<int64_t>(1, heads)));
    output.figure(perHead, "heads", tall);

    out << output.finish() << "\n";
    return 0;
}

} // namespace ringscope::cli
