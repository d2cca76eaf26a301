// The exports and figures of attribution (analysis::AttributionStudy) and of its faithfulness
// tests (analysis::FaithfulnessStudy).

#include "StudyExport.h"

#include "AnalysisOutput.h"
#include "ExportSupport.h"

#include "HeatmapPlot.h"
#include "LinePlot.h"

#include <cmath>

namespace ringscope {

using analysis::AttributionStudy;
using analysis::FaithfulnessStudy;
using analysis::StudyModel;
using exportsupport::owned;
using exportsupport::qs;
using exportsupport::range1;

namespace {

/// "GAE", "Rollout", "Raw attention": how figures name a method.
QString methodLabel(analysis::AttributionMethod m) {
    return m == analysis::AttributionMethod::Gae       ? "GAE"
           : m == analysis::AttributionMethod::Rollout ? "Rollout"
                                                       : "Raw attention";
}

/// The side of the patch grid of P patches.
int64_t gridOf(int64_t patches) {
    return int64_t(std::lround(std::sqrt(double(patches))));
}

/// "method (1 attention, 2 rollout, 3 gae)".
Axis methodAxis(const std::vector<analysis::AttributionMethod>& methods) {
    std::string name = "method (";
    for (size_t m = 0; m < methods.size(); ++m)
        name += (m ? ", " : "") + std::to_string(m + 1) + " " +
                analysis::attributionMethodName(methods[m]);
    return {name + ")"};
}

/// 0, 1/steps, ..., 1: the fractions of patches changed.
std::vector<double> fractions(int64_t steps) {
    std::vector<double> x;
    for (int64_t k = 0; k <= steps; ++k)
        x.push_back(double(k) / double(steps));
    return x;
}

} // namespace

void writeStudy(AnalysisOutput& out, const AttributionStudy& s) {
    nlohmann::json& r = writeStudyRecord(out, s);
    nlohmann::json perModel = nlohmann::json::array();
    for (size_t i = 0; i < s.runs.size(); ++i) {
        const StudyModel& m = s.models[i];
        const analysis::AttributionRun& run = s.runs[i];
        if (!run.map.defined()) continue;
        const int64_t g = gridOf(run.map.size(1));
        out.array(m.stem("attribution"), run.map, {{"image", false}, {"patch", false}},
                  analysis::attributionMethodName(s.method) +
                      " relevance of every patch (row-major "
                      "on the patch grid) for the explained class, per image");
        out.array(m.stem("attribution_per_application"), run.perApplication,
                  {{m.axis}, {"image", false}, {"patch", false}},
                  "what each application contributes (GAE: the decision row of Abar_t)");
        out.array(m.stem("attribution_mean"), run.map.to(torch::kFloat64).mean(0).view({g, g}),
                  {{"row", false}, {"col", false}}, "relevance averaged over images");
        out.array(m.stem("attribution_target"), run.target, {{"image", false}},
                  "the class explained per image");
        out.array(m.stem("attribution_probability"), run.probability, {{"image", false}},
                  "the model's probability of the explained class");
        if (i == 0)
            out.array("labels", run.labels, {{"image", false}},
                      "true class per image (-1: unknown)");
        perModel.push_back({{"model", m.label},
                            {"contribution_per_application",
                             flatValues(run.perApplication.to(torch::kFloat64).sum(2).mean(1))}});
    }
    r["per_model"] = perModel;
}

void plotAttributionMean(plots::HeatmapPlot& plot, const AttributionStudy& s, size_t i) {
    const torch::Tensor& map = s.runs[i].map;
    const int64_t g = gridOf(map.size(1));
    plot.setMatrix(flatValues(map.to(torch::kFloat64).mean(0)), int(g), int(g));
    plot.setShowValues(false);
    plot.setValueLabel(methodLabel(s.method) + " relevance");
    plot.setTitle(QString("%1 relevance of %2, mean over %3 images")
                      .arg(methodLabel(s.method), qs(s.models[i].label))
                      .arg(s.examples));
    plot.setAxisLabels("patch column", "patch row");
}

void plotAttributionPerApplication(plots::LinePlot& plot, const AttributionStudy& s) {
    plot.clearSeries();
    plot.setTitle(QString("What each application contributes (%1)").arg(methodLabel(s.method)));
    plot.setAxisLabels("application (layer / iteration)",
                       "relevance over the patches, mean over images");
    plot.setIntegerXAxis(true);
    for (size_t i = 0; i < s.runs.size(); ++i) {
        if (!s.runs[i].perApplication.defined()) continue;
        const torch::Tensor c = s.runs[i].perApplication.to(torch::kFloat64).sum(2).mean(1);
        plot.addSeries(qs(s.models[i].label), range1(c.size(0)), flatValues(c));
    }
}

std::vector<NamedFigure> studyFigures(const AttributionStudy& s) {
    std::vector<NamedFigure> out;
    for (size_t i = 0; i < s.runs.size(); ++i) {
        if (!s.runs[i].map.defined()) continue;
        auto map = std::make_unique<plots::HeatmapPlot>();
        plotAttributionMean(*map, s, i);
        out.emplace_back(s.models[i].stem("attribution"), owned(std::move(map)));
    }
    auto apps = std::make_unique<plots::LinePlot>();
    plotAttributionPerApplication(*apps, s);
    out.emplace_back("attribution_per_application", owned(std::move(apps)));
    return out;
}

void writeStudy(AnalysisOutput& out, const FaithfulnessStudy& s) {
    nlohmann::json& r = writeStudyRecord(out, s);
    nlohmann::json perModel = nlohmann::json::array();
    const Axis step{"step (fraction k / steps of the patches)", false};
    for (size_t i = 0; i < s.runs.size(); ++i) {
        const StudyModel& m = s.models[i];
        const analysis::FaithfulnessRun& run = s.runs[i];
        if (!run.deletion.defined()) continue;
        const Axis method = methodAxis(run.methods);
        nlohmann::json methods = nlohmann::json::object();
        for (const auto& [name, curves] :
             {std::pair{std::string("deletion"), run.deletion}, {"insertion", run.insertion}}) {
            out.array(m.stem(name), curves, {method, step, {"image", false}},
                      "probability of the predicted class as the most relevant patches are " +
                          std::string(name == "deletion" ? "replaced by the mean colour"
                                                         : "revealed on a mean-colour image"));
            out.array(m.stem(name + "_curve"), curves.mean(2), {method, step},
                      name + " curve, mean over images");
            const torch::Tensor auc = analysis::curveArea(curves.permute({1, 0, 2}));
            out.array(m.stem(name + "_auc"), auc, {method, {"image", false}},
                      "area under the " + name + " curve per image");
            for (size_t k = 0; k < run.methods.size(); ++k)
                methods[analysis::attributionMethodName(run.methods[k])][name + "_auc"] =
                    auc[int64_t(k)].mean().item<double>();
        }
        perModel.push_back({{"model", m.label}, {"methods", methods}});
    }
    r["per_model"] = perModel;
}

void plotFaithfulness(plots::LinePlot& plot, const FaithfulnessStudy& s, bool insertion) {
    plot.clearSeries();
    plot.setTitle(QString("%1 test, %2 images (area under the curve in the legend)")
                      .arg(insertion ? "Insertion" : "Deletion")
                      .arg(s.examples));
    plot.setAxisLabels(insertion ? "fraction of patches revealed" : "fraction of patches removed",
                       "probability of the predicted class");
    for (size_t i = 0; i < s.runs.size(); ++i) {
        const analysis::FaithfulnessRun& run = s.runs[i];
        if (!run.deletion.defined()) continue;
        const torch::Tensor& curves = insertion ? run.insertion : run.deletion;
        for (size_t k = 0; k < run.methods.size(); ++k) {
            const torch::Tensor mean = curves[int64_t(k)].mean(1);
            const double auc = analysis::curveArea(curves[int64_t(k)]).mean().item<double>();
            plot.addSeries(QString("%1, %2 (AUC %3)")
                               .arg(qs(s.models[i].label), methodLabel(run.methods[k]))
                               .arg(auc, 0, 'f', 3),
                           fractions(mean.size(0) - 1), flatValues(mean));
        }
    }
}

std::vector<NamedFigure> studyFigures(const FaithfulnessStudy& s) {
    std::vector<NamedFigure> out;
    for (bool insertion : {false, true}) {
        auto plot = std::make_unique<plots::LinePlot>();
        plotFaithfulness(*plot, s, insertion);
        out.emplace_back(insertion ? "insertion" : "deletion", owned(std::move(plot)));
    }
    return out;
}

} // namespace ringscope
