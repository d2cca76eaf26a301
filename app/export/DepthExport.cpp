// The exports and figures of the depth study (analysis::DepthStudy): the sweep over K, the
// convergence measures, the exit rules and the head stability.

#include "StudyExport.h"

#include "AnalysisOutput.h"
#include "ExportSupport.h"

#include "BarPlot.h"
#include "HeatmapPlot.h"
#include "LinePlot.h"

#include <algorithm>
#include <cmath>

namespace ringscope {

using analysis::DepthRun;
using analysis::DepthStudy;
using analysis::ExitRule;
using analysis::StudyModel;
using exportsupport::owned;
using exportsupport::qs;
using exportsupport::range1;

namespace {

/// "policy (1 repeat-last, 2 cycle)" for the runs of one model.
Axis policyAxis(const std::vector<DepthRun>& runs) {
    std::string name = "policy (";
    for (size_t p = 0; p < runs.size(); ++p)
        name += (p ? ", " : "") + std::to_string(p + 1) + " " + runs[p].policy;
    return {name + ")"};
}

Axis ruleAxis() {
    std::string name = "rule (";
    for (size_t r = 0; r < analysis::kExitRules.size(); ++r)
        name += (r ? ", " : "") + std::to_string(r + 1) + " " +
                analysis::exitRuleName(analysis::kExitRules[r]);
    return {name + ")"};
}

/// One value per run of a model, stacked: [policy, ...].
template <class Fn> torch::Tensor perRun(const std::vector<DepthRun>& runs, Fn fn) {
    std::vector<torch::Tensor> rows;
    for (const DepthRun& r : runs)
        rows.push_back(fn(r));
    return torch::stack(rows);
}

/// The legend name of a run: the model, and the policy when it has several.
QString runName(const DepthStudy& s, size_t i, size_t p) {
    const QString model = qs(s.models[i].label);
    return s.runs[i].size() > 1 || s.runs[i][p].policy != "trained"
               ? model + " (" + qs(s.runs[i][p].policy) + ")"
               : model;
}

void writeModelRuns(AnalysisOutput& out, const DepthStudy& s, size_t i, nlohmann::json& results) {
    const StudyModel& m = s.models[i];
    const std::vector<DepthRun>& runs = s.runs[i];
    const Axis policy = policyAxis(runs), depth{m.axis}, rule = ruleAxis();
    std::vector<analysis::DepthCurves> sweep; // once per run, for every array below
    for (const DepthRun& r : runs)
        sweep.push_back(analysis::depthCurves(r.measures));
    const auto curves = [&](auto field) {
        std::vector<torch::Tensor> rows;
        for (const analysis::DepthCurves& c : sweep)
            rows.push_back(field(c));
        return torch::stack(rows);
    };
    out.array(m.stem("depth_accuracy"), curves([](const auto& c) { return c.accuracy; }),
              {policy, depth}, "accuracy of the output after K applications [policy, K]");
    out.array(m.stem("depth_confidence"), curves([](const auto& c) { return c.confidence; }),
              {policy, depth}, "mean probability of the true class after K applications");
    out.array(m.stem("depth_loss"), curves([](const auto& c) { return c.loss; }), {policy, depth},
              "mean cross-entropy -log p_K(true class)");
    out.array(m.stem("depth_rank"), curves([](const auto& c) { return c.meanRank; }),
              {policy, depth}, "mean rank of the true class (1: top)");
    out.array(m.stem("argmax_changed"), curves([](const auto& c) { return c.argmaxChanged; }),
              {policy, depth}, "share of images whose lens argmax changed at t (t = 1: NaN)");
    const auto meanOf = [&](torch::Tensor analysis::ConvergenceMeasures::*field) {
        return perRun(runs, [&](const DepthRun& r) { return (r.measures.*field).mean(1); });
    };
    using CM = analysis::ConvergenceMeasures;
    out.array(m.stem("latent_step"), meanOf(&CM::latentStep), {policy, depth},
              "||h_t - h_(t-1)|| / ||h_t|| per token, mean over tokens and images");
    out.array(m.stem("cosine_gap"), meanOf(&CM::cosineGap), {policy, depth},
              "1 - cos(h_t, h_(t-1)) per token, mean over tokens and images");
    out.array(m.stem("lens_entropy"), meanOf(&CM::entropy), {policy, depth},
              "entropy H(p_t) of the class lens (nats), mean over images");
    out.array(m.stem("entropy_change"), meanOf(&CM::entropyChange), {policy, depth},
              "|H(p_t) - H(p_(t-1))| (p_0 uniform), mean over images");
    out.array(m.stem("kl"), meanOf(&CM::kl), {policy, depth},
              "KL(p_t || p_(t-1)) (nats, p_0 uniform), mean over images");
    out.array(m.stem("convergence_per_image"),
              perRun(runs,
                     [](const DepthRun& r) {
                         const CM& c = r.measures;
                         return torch::stack({c.latentStep, c.cosineGap, c.entropyChange, c.kl,
                                              c.prediction.to(torch::kFloat64), c.trueRank});
                     }),
              {policy,
               {"measure (1 latent_step, 2 cosine_gap, 3 entropy_change, 4 kl, 5 prediction, "
                "6 true_rank)"},
               depth,
               {"image", false}},
              "the per-image measures the exit rules read [policy, measure, t, image]");
    std::vector<torch::Tensor> exitDepth, histogram, settling;
    nlohmann::json runResults = nlohmann::json::array();
    for (size_t p = 0; p < runs.size(); ++p) {
        const DepthRun& r = runs[p];
        std::vector<torch::Tensor> depths, hist;
        nlohmann::json exits = nlohmann::json::object();
        for (ExitRule e : analysis::kExitRules) {
            const analysis::ExitOutcome o =
                analysis::exitOutcome(r.measures, e, s.depth.exits.of(e));
            depths.push_back(o.depth);
            hist.push_back(o.histogram);
            exits[analysis::exitRuleName(e)] = {{"threshold", s.depth.exits.of(e)},
                                                {"mean_applications", o.meanApplications},
                                                {"accuracy", o.accuracy}};
        }
        exitDepth.push_back(torch::stack(depths));
        histogram.push_back(torch::stack(hist));
        settling.push_back(analysis::headSettling(r.headJs, s.depth.headThreshold));
        runResults.push_back({{"policy", r.policy},
                              {"applications", r.applications},
                              {"accuracy", flatValues(sweep[p].accuracy)},
                              {"exits", exits},
                              {"head_settling", flatValues(settling.back())}});
    }
    out.array(m.stem("exit_depth"), torch::stack(exitDepth), {policy, rule, {"image", false}},
              "the application at which each rule stops each image (K: never fired)");
    out.array(m.stem("exit_histogram"), torch::stack(histogram),
              {policy, rule, depth, {"outcome (1 right, 2 wrong, 3 unlabelled)"}},
              "images stopping at each application, by whether the lens there is right");
    for (ExitRule e : analysis::kExitRules) {
        const std::vector<double> thresholds =
            analysis::adaptiveThresholds(e, s.depth.exits, m.applications);
        out.array(m.stem("adaptive_compute_" + analysis::exitRuleName(e)),
                  perRun(runs,
                         [&](const DepthRun& r) {
                             return analysis::adaptiveCurve(r.measures, e, thresholds);
                         }),
                  {policy, {"threshold"}, {"field (1 threshold, 2 mean applications, 3 accuracy)"}},
                  "accuracy against the mean number of applications, one row per threshold");
    }
    out.array(m.stem("head_js"), perRun(runs, [](const DepthRun& r) { return r.headJs; }),
              {policy, {m.axis, true, 1}, {"head"}},
              "Jensen-Shannon divergence (nats) between a head's attention at t and t-1, mean "
              "over queries and images");
    out.array(m.stem("head_settling"), torch::stack(settling), {policy, {"head"}},
              "the application after which the head's JS stays below the threshold (-1: still "
              "changing at K)");
    results.push_back({{"model", m.label},
                       {"trained_applications", m.trained},
                       {"applications", m.applications},
                       {"runs", runResults}});
}

} // namespace

void writeStudy(AnalysisOutput& out, const DepthStudy& s) {
    nlohmann::json& r = writeStudyRecord(out, s);
    nlohmann::json perModel = nlohmann::json::array();
    for (size_t i = 0; i < s.runs.size(); ++i)
        if (!s.runs[i].empty()) writeModelRuns(out, s, i, perModel);
    if (!s.runs.empty() && !s.runs[0].empty())
        out.array("labels", s.runs[0][0].measures.labels, {{"image", false}},
                  "true class per image (-1: unknown)");
    r["per_model"] = perModel;
}

size_t depthRunIndex(const DepthStudy& s, size_t i, const std::string& policy) {
    for (size_t p = 0; p < s.runs[i].size(); ++p)
        if (s.runs[i][p].policy == policy) return p;
    return 0;
}

void plotDepthSweep(plots::LinePlot& plot, const DepthStudy& s, DepthCurve curve) {
    plot.clearSeries();
    static const char* names[] = {"accuracy", "mean probability of the true class",
                                  "cross-entropy loss"};
    plot.setTitle(QString("Depth sweep: %1 after K applications, %2 images")
                      .arg(names[int(curve)])
                      .arg(s.examples));
    plot.setAxisLabels("K (applications run)", names[int(curve)]);
    plot.setIntegerXAxis(true);
    plot.setLegendOutside(true);
    std::vector<int64_t> marked;
    for (size_t i = 0; i < s.runs.size(); ++i) {
        for (size_t p = 0; p < s.runs[i].size(); ++p) {
            const analysis::DepthCurves c = analysis::depthCurves(s.runs[i][p].measures);
            const torch::Tensor& y = curve == DepthCurve::Accuracy     ? c.accuracy
                                     : curve == DepthCurve::Confidence ? c.confidence
                                                                       : c.loss;
            plot.addSeries(runName(s, i, p), range1(y.size(0)), flatValues(y));
        }
        const StudyModel& m = s.models[i];
        if (m.applications > m.trained &&
            std::find(marked.begin(), marked.end(), m.trained) == marked.end()) {
            marked.push_back(m.trained);
            plot.addMarker(double(m.trained) + 0.5, QString("trained depth %1").arg(m.trained));
        }
    }
}

QString exitRuleText(ExitRule rule, double threshold) {
    if (rule == ExitRule::SameArgmax) return QString("same argmax %1 times").arg(threshold);
    return QString("%1 < %2").arg(qs(analysis::exitRuleName(rule))).arg(threshold, 0, 'g', 3);
}

void plotConvergence(plots::LinePlot& plot, const DepthStudy& s, size_t i, size_t p) {
    plot.clearSeries();
    const DepthRun& r = s.runs[i][p];
    plot.setTitle("Convergence of " + runName(s, i, p));
    plot.setAxisLabels(qs(s.models[i].axis + " t"), "change from t-1 (mean over images)");
    plot.setIntegerXAxis(true);
    plot.setLogY(true);
    const std::vector<double> x = range1(r.applications);
    // A log axis cannot show zeros: they are drawn at the bottom of the range.
    const auto positive = [](const torch::Tensor& t) {
        return flatValues(t.mean(1).clamp_min(1e-12));
    };
    plot.addSeries("latent step ||h_t - h_t-1|| / ||h_t||", x, positive(r.measures.latentStep));
    plot.addSeries("1 - cos(h_t, h_t-1)", x, positive(r.measures.cosineGap));
    plot.addSeries("|H(p_t) - H(p_t-1)|", x, positive(r.measures.entropyChange));
    plot.addSeries("KL(p_t || p_t-1)", x, positive(r.measures.kl));
    // The measures fall with t: the lower left corner is free.
    plot.setLegendCorner(Qt::AlignBottom | Qt::AlignLeft);
    if (s.models[i].applications > s.models[i].trained)
        plot.addMarker(double(s.models[i].trained) + 0.5,
                       QString("trained depth %1").arg(s.models[i].trained));
}

analysis::ExitOutcome plotExitHistogram(plots::BarPlot& plot, const DepthStudy& s, size_t i,
                                        size_t p, ExitRule rule) {
    plot.clearStacks();
    const double threshold = s.depth.exits.of(rule);
    const analysis::ExitOutcome o = analysis::exitOutcome(s.runs[i][p].measures, rule, threshold);
    plot.setTitle(
        QString("%1: %2 (mean %3 applications, accuracy %4)")
            .arg(runName(s, i, p), exitRuleText(rule, threshold))
            .arg(o.meanApplications, 0, 'f', 2)
            .arg(std::isnan(o.accuracy) ? QString("n/a") : QString::number(o.accuracy, 'f', 3)));
    plot.setAxisLabels(qs(s.models[i].axis + " at exit"), "images");
    const torch::Tensor h = o.histogram.to(torch::kFloat64);
    plot.addStack("right", flatValues(h.select(1, 0)));
    plot.addStack("wrong", flatValues(h.select(1, 1)));
    if (h.select(1, 2).sum().item<double>() > 0)
        plot.addStack("unlabelled", flatValues(h.select(1, 2)));
    return o;
}

void plotAdaptiveCompute(plots::LinePlot& plot, const DepthStudy& s, size_t i, size_t p) {
    plot.clearSeries();
    plot.setTitle("Adaptive compute of " + runName(s, i, p));
    plot.setAxisLabels("mean applications used", "accuracy");
    plot.setLegendCorner(Qt::AlignBottom | Qt::AlignRight);
    for (ExitRule e : analysis::kExitRules) {
        const torch::Tensor c = analysis::adaptiveCurve(
            s.runs[i][p].measures, e,
            analysis::adaptiveThresholds(e, s.depth.exits, s.runs[i][p].applications));
        plot.addSeries(qs(analysis::exitRuleName(e)), flatValues(c.select(1, 1)),
                       flatValues(c.select(1, 2)));
    }
}

bool plotHeadStability(plots::HeatmapPlot& plot, const DepthStudy& s, size_t i, size_t p) {
    const torch::Tensor js = s.runs[i][p].headJs.t().contiguous(); // [H, K - 1]
    if (js.size(1) == 0) return false;
    plot.setFirstColumn(2);
    plot.setMatrix(flatValues(js), int(js.size(0)), int(js.size(1)));
    plot.setValueLabel("JS(P_t, P_(t-1)) (nats)");
    plot.setTitle("Head stability of " + runName(s, i, p));
    plot.setAxisLabels(qs(s.models[i].axis + " t"), "head");
    return true;
}

std::vector<NamedFigure> studyFigures(const DepthStudy& s) {
    std::vector<NamedFigure> out;
    for (auto [curve, stem] : {std::pair{DepthCurve::Accuracy, "depth_accuracy"},
                               std::pair{DepthCurve::Confidence, "depth_confidence"},
                               std::pair{DepthCurve::Loss, "depth_loss"}}) {
        auto plot = std::make_unique<plots::LinePlot>();
        plotDepthSweep(*plot, s, curve);
        out.emplace_back(stem, owned(std::move(plot)));
    }
    for (size_t i = 0; i < s.runs.size(); ++i) {
        const StudyModel& m = s.models[i];
        for (size_t p = 0; p < s.runs[i].size(); ++p) {
            const std::string suffix = s.runs[i].size() > 1 ? "_" + s.runs[i][p].policy : "";
            auto conv = std::make_unique<plots::LinePlot>();
            plotConvergence(*conv, s, i, p);
            out.emplace_back(m.stem("convergence" + suffix), owned(std::move(conv)));
            auto adaptive = std::make_unique<plots::LinePlot>();
            plotAdaptiveCompute(*adaptive, s, i, p);
            out.emplace_back(m.stem("adaptive_compute" + suffix), owned(std::move(adaptive)));
            for (ExitRule e : analysis::kExitRules) {
                auto hist = std::make_unique<plots::BarPlot>();
                plotExitHistogram(*hist, s, i, p, e);
                out.emplace_back(m.stem("exit_" + analysis::exitRuleName(e) + suffix),
                                 owned(std::move(hist)));
            }
            auto heads = std::make_unique<plots::HeatmapPlot>();
            if (plotHeadStability(*heads, s, i, p))
                out.emplace_back(m.stem("head_js" + suffix), owned(std::move(heads)));
        }
    }
    return out;
}

} // namespace ringscope
