#include "StudyExport.h"

#include "AnalysisOutput.h"
#include "ExportSupport.h"

#include "DepthScatterPlot.h"
#include "HeatmapPlot.h"
#include "LinePlot.h"

#include <cmath>

namespace ringscope {

using analysis::CkaStudy;
using analysis::LensStudy;
using analysis::LevelsStudy;
using analysis::MadStudy;
using analysis::StudyModel;
using analysis::StudyRecord;
using exportsupport::owned;
using exportsupport::qs;
using exportsupport::range1;

namespace {

const Axis kStatistic{"statistic (1 mean, 2 std)"};
const Axis kSignal{"signal (1 Q, 2 K, 3 V, 4 F)"};
const Axis kLevel{"level"};

/// A series with its mean +- std band.
void addBand(plots::LinePlot& plot, const QString& name, const torch::Tensor& mean,
             const torch::Tensor& spread) {
    plot.addSeries(name, range1(mean.size(0)), flatValues(mean), QColor(),
                   flatValues(mean - spread), flatValues(mean + spread));
}

} // namespace

nlohmann::json& writeStudyRecord(AnalysisOutput& out, const StudyRecord& s) {
    const nlohmann::json settings = s.settings();
    nlohmann::json& merged = out.manifest()["settings"];
    if (!merged.is_object()) merged = nlohmann::json::object();
    merged.update(settings);
    out.manifest()["data"] = {{"source", s.data.spec},
                              {"description", s.dataDescription},
                              {"examples", s.examples},
                              {"skipped", s.skipped.size()}};
    out.manifest()["analyses"][s.analysis] = settings;
    nlohmann::json models = nlohmann::json::array();
    for (const StudyModel& m : s.models)
        models.push_back({{"role", m.role},
                          {"label", m.label},
                          {"path", m.path},
                          {"axis", m.axis},
                          {"applications", m.applications},
                          {"trained_applications", m.trained},
                          {"extend", depthPolicyName(m.forward.extend)},
                          {"input", m.input}});
    nlohmann::json& r = out.results()[s.analysis];
    r = {{"models", models}, {"examples", s.examples}, {"skipped", s.skipped}};
    return r;
}

std::vector<double> flatValues(const torch::Tensor& t) {
    const torch::Tensor c = t.to(torch::kFloat64).contiguous().reshape({-1});
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// --- One image ----------------------------------------------------------------------------

void writeImageAttention(AnalysisOutput& out, const StudyModel& m, const torch::Tensor& attention,
                         const std::vector<ClassScore>& top, int64_t query,
                         analysis::HeadFusion fusion) {
    const int64_t prefix = m.prefixTokens;
    const torch::Tensor maps = analysis::queryMaps(attention, query, prefix);
    const torch::Tensor fused = analysis::fusedQueryMaps(attention, query, fusion, prefix);
    out.array(m.stem("attention"), attention,
              {{m.axis}, {"head"}, {"query", false}, {"key", false}},
              "softmax attention P of " + m.label +
                  " [application, head, query token, key token]; the first " +
                  std::to_string(prefix) + " token(s) are CLS (and distillation), then patches");
    out.array(m.stem("query_maps"), maps, {{m.axis}, {"head"}, {"row", false}, {"col", false}},
              "the query token's attention over the patch grid, per head");
    out.array(m.stem("fused_maps"), fused, {{m.axis}, {"row", false}, {"col", false}},
              "the query token's attention over the patch grid, heads fused by " +
                  analysis::fusionName(fusion));
    out.array(m.stem("entropy"), analysis::attentionEntropy(attention), {{m.axis}, {"head"}},
              "mean attention entropy per head (nats)");
    out.array(m.stem("neighbourhood_mass"), analysis::neighbourhoodMass(attention, prefix),
              {{m.axis}, {"head"}},
              "attention mass kept in the query patch's 3x3 neighbourhood, per head");
    out.results()[m.stem("predictions")] = toJson(top);
    out.results()["models"][m.role] = m.label;
}

void writeClassification(AnalysisOutput& out, const ClassificationRun& run, int64_t k) {
    nlohmann::json models = nlohmann::json::array();
    for (const ClassificationRun::Model& m : run.models) {
        const std::string stem = m.role == "B" ? "probabilities_b" : "probabilities";
        out.array(stem, m.probabilities, {{"image", false}, {"class", false}},
                  "class probabilities of " + m.label + " for each image");
        nlohmann::json rows = nlohmann::json::array();
        for (int64_t i = 0; i < m.probabilities.size(0); ++i)
            rows.push_back(toJson(topClasses(flatValues(m.probabilities[i]), k, m.classNames)));
        models.push_back({{"role", m.role}, {"label", m.label}, {"path", m.path}, {"top", rows}});
    }
    out.results()["classify"] = {{"images", run.images},
                                 {"models", models},
                                 {"top", k},
                                 {"disagreements", run.disagreements()}};
}

// --- MAD ---------------------------------------------------------------------------------

void writeStudy(AnalysisOutput& out, const MadStudy& s) {
    nlohmann::json& r = writeStudyRecord(out, s);
    nlohmann::json perModel = nlohmann::json::array();
    for (size_t i = 0; i < s.mad.size(); ++i) {
        const StudyModel& m = s.models[i];
        const torch::Tensor& mad = s.mad[i];
        out.array(m.stem("mad"), mad, {{m.axis}, {"image", false}, {"head"}},
                  "MAD [application, image, head] of " + m.label + " in pixels");
        const torch::Tensor mean = mad.mean(1), spread = mad.std(1, /*unbiased=*/false);
        out.array(m.stem("mad_mean"), mean, {{m.axis}, {"head"}},
                  "MAD of " + m.label + ", mean over images (pixels)");
        out.array(m.stem("mad_std"), spread, {{m.axis}, {"head"}},
                  "MAD of " + m.label + ", standard deviation over images (pixels)");
        perModel.push_back({{"model", m.label},
                            {"array", m.stem("mad")},
                            {"mean_per_application", flatValues(mean.mean(1))}});
    }
    r["mean_per_application"] = perModel;
}

void plotMad(plots::DepthScatterPlot& plot, const MadStudy& s) {
    plot.clearModels();
    plot.setTitle(
        QString("Mean attention distance%1, %2 images")
            .arg(s.variant == analysis::MadVariant::Renormalised ? " (rows renormalised)" : "")
            .arg(s.examples));
    plot.setAxisLabels("application (layer / iteration)", "mean attention distance (pixels)");
    for (size_t i = 0; i < s.mad.size(); ++i) {
        const torch::Tensor mean = s.mad[i].mean(1); // [A, H]
        std::vector<std::vector<double>> perHead;
        for (int64_t a = 0; a < mean.size(0); ++a)
            perHead.push_back(flatValues(mean[a]));
        plot.addModel(qs(s.models[i].label), perHead,
                      plots::DepthScatterPlot::defaultColor(int(i)));
    }
}

std::vector<NamedFigure> studyFigures(const MadStudy& s) {
    auto plot = std::make_unique<plots::DepthScatterPlot>();
    plotMad(*plot, s);
    std::vector<NamedFigure> out;
    out.emplace_back("mad", owned(std::move(plot)));
    return out;
}

// --- CKA ---------------------------------------------------------------------------------

const torch::Tensor& mainCkaMatrix(const CkaStudy& s) {
    return s.ab.defined() ? s.ab : s.aa;
}

std::vector<int64_t> bestCkaMatch(const CkaStudy& s) {
    const torch::Tensor best = (mainCkaMatrix(s).argmax(1) + 1).to(torch::kInt64).contiguous();
    return std::vector<int64_t>(best.data_ptr<int64_t>(), best.data_ptr<int64_t>() + best.numel());
}

void writeStudy(AnalysisOutput& out, const CkaStudy& s) {
    nlohmann::json& r = writeStudyRecord(out, s);
    const StudyModel& a = s.models.front();
    if (s.ab.defined()) {
        const StudyModel& b = s.models[1];
        out.array("cka", s.ab, {{a.axis + "_a"}, {b.axis + "_b"}},
                  "CKA [application of A, application of B]");
        out.array("cka_aa", s.aa, {{a.axis + "_a"}, {a.axis + "_a_col"}},
                  "CKA [application of A, application of A]");
        out.array("cka_bb", s.bb, {{b.axis + "_b"}, {b.axis + "_b_col"}},
                  "CKA [application of B, application of B]");
    } else {
        out.array("cka", s.aa, {{a.axis + "_a"}, {a.axis + "_a_col"}},
                  "CKA [application of A, application of A]");
    }
    r["best_match_b_for_each_a"] = bestCkaMatch(s);
    r["skipped_examples_small_minibatch"] = s.skippedExamples;
}

bool plotCka(plots::HeatmapPlot& plot, const CkaStudy& s, int which) {
    const bool two = s.models.size() > 1;
    const torch::Tensor* m = which == 0 ? &s.aa : which == 1 ? &s.bb : &s.ab;
    if (!m->defined()) return false;
    const StudyModel& row = which == 1 ? s.models[1] : s.models[0];
    const StudyModel& col = which == 0 ? s.models[0] : s.models[two ? 1 : 0];
    plot.setMatrix(flatValues(*m), int(m->size(0)), int(m->size(1)));
    plot.setRange(0.0, 1.0);
    // The settings on the colour bar, so that the title stays short enough for the app's
    // three side-by-side maps.
    plot.setValueLabel(QString("CKA (%1, %2, %3)")
                           .arg(qs(analysis::kernelName(s.options.kernel)),
                                qs(analysis::estimatorName(s.options.estimator)),
                                qs(analysis::featureName(s.options.feature))));
    plot.setTitle(
        QString("CKA %1 x %2, %3 images").arg(qs(row.role), qs(col.role)).arg(s.examples));
    plot.setAxisLabels(qs(col.label + " " + col.axis), qs(row.label + " " + row.axis));
    return true;
}

std::vector<NamedFigure> studyFigures(const CkaStudy& s) {
    std::vector<NamedFigure> out;
    const bool two = s.models.size() > 1;
    for (const auto& [which, stem] : std::vector<std::pair<int, std::string>>{
             {two ? 2 : 0, "cka"}, {0, "cka_aa"}, {1, "cka_bb"}}) {
        if (!two && stem != "cka") continue;
        auto plot = std::make_unique<plots::HeatmapPlot>();
        if (plotCka(*plot, s, which)) out.emplace_back(stem, owned(std::move(plot)));
    }
    return out;
}

// --- Levels ------------------------------------------------------------------------------

void writeStudy(AnalysisOutput& out, const LevelsStudy& s) {
    nlohmann::json& r = writeStudyRecord(out, s);
    nlohmann::json families = nlohmann::json::array();
    for (size_t i = 0; i < s.runs.size(); ++i) {
        const StudyModel& m = s.models[i];
        const analysis::LevelsRun& run = s.runs[i];
        families.push_back(run.family);
        out.array(m.stem("relative_update"),
                  torch::stack({run.relativeUpdateMean, run.relativeUpdateStd}),
                  {kStatistic, {m.axis}}, "||h_a - h_(a-1)|| / ||h_(a-1)|| over images: mean, std");
        out.array(m.stem("update_cosine"), torch::stack({run.cosineMean, run.cosineStd}),
                  {kStatistic, {m.axis}}, "cosine(h_a, h_(a-1)) over images: mean, std");
        if (s.lowRank[i]) {
            out.array(m.stem("lowrank_frobenius"), s.lowRank[i]->frobenius, {kSignal, kLevel},
                      "Frobenius norm of M_X,t = A^T B");
            out.array(m.stem("lowrank_singular_values"), s.lowRank[i]->singularValues,
                      {kSignal, kLevel, {"index"}}, "singular values of M_X,t, descending");
        }
        if (run.signalRatioMean.defined()) {
            out.array(m.stem("signal_norm"), torch::stack({run.signalNormMean, run.signalNormStd}),
                      {kStatistic, kSignal, kLevel},
                      "||s_X,t|| per token over images and tokens: mean, std");
            out.array(m.stem("signal_ratio"),
                      torch::stack({run.signalRatioMean, run.signalRatioStd}),
                      {kStatistic, kSignal, kLevel},
                      "||s_X,t|| / ||term it is added to|| over images and tokens: mean, std");
            out.array(m.stem("signal_ratio_per_token"), run.signalRatioPerToken,
                      {kSignal, kLevel, {"token", false}},
                      "signal ratio per token (0 = CLS), mean over images");
            out.array(m.stem("level_cosine"), run.levelCosine, {kSignal, kLevel, {"level_b"}},
                      "cosine between levels' signals, mean over images");
        }
        if (run.encodingRatioMean.defined()) {
            out.array(m.stem("encoding_norm"), run.encodingNorm, {kLevel},
                      "mean over tokens of ||E_t||");
            out.array(m.stem("encoding_ratio"),
                      torch::stack({run.encodingRatioMean, run.encodingRatioStd}),
                      {kStatistic, kLevel},
                      "||E_t|| / ||h_(t-1)|| per token over images and tokens: mean, std");
        }
    }
    r["family"] = families;
}

int firstRingFormer(const LevelsStudy& s) {
    for (size_t i = 0; i < s.runs.size(); ++i)
        if (s.runs[i].signalRatioMean.defined() && s.lowRank[i]) return int(i);
    return -1;
}

void plotDynamics(plots::LinePlot& plot, const LevelsStudy& s) {
    plot.clearSeries();
    plot.setTitle(QString("Depth dynamics, %1 images").arg(s.examples));
    plot.setAxisLabels("application (layer / iteration)", "relative update, cosine to h_(a-1)");
    plot.setIntegerXAxis(true);
    for (size_t i = 0; i < s.runs.size(); ++i) {
        const analysis::LevelsRun& run = s.runs[i];
        const QString name = qs(s.models[i].label);
        addBand(plot, name + " update", run.relativeUpdateMean, run.relativeUpdateStd);
        addBand(plot, name + " cosine", run.cosineMean, run.cosineStd);
    }
}

void plotSignalRatios(plots::LinePlot& plot, const LevelsStudy& s, size_t i) {
    plot.clearSeries();
    plot.setTitle(qs("Level signals of " + s.models[i].label + ": ||s|| / ||term||"));
    plot.setAxisLabels("level", "ratio (mean ± std over images and tokens)");
    plot.setIntegerXAxis(true);
    const analysis::LevelsRun& run = s.runs[i];
    for (int g = 0; g < 4; ++g)
        addBand(plot, qs(analysis::kSignalNames[size_t(g)]), run.signalRatioMean[g],
                run.signalRatioStd[g]);
}

void plotEncodings(plots::LinePlot& plot, const LevelsStudy& s) {
    plot.clearSeries();
    plot.setTitle("Level encodings: ||E_t|| / ||h_(t-1)||");
    plot.setAxisLabels("level", "||E_t|| / ||h_(t-1)|| (mean ± std)");
    plot.setIntegerXAxis(true);
    for (size_t i = 0; i < s.runs.size(); ++i)
        if (s.runs[i].encodingRatioMean.defined())
            addBand(plot, qs(s.models[i].label), s.runs[i].encodingRatioMean,
                    s.runs[i].encodingRatioStd);
}

void plotLowRank(plots::LinePlot& plot, const LevelsStudy& s, size_t i) {
    plot.clearSeries();
    plot.setTitle(qs("Low-rank maps of " + s.models[i].label));
    plot.setAxisLabels("level", "||A^T B||_F");
    plot.setIntegerXAxis(true);
    const torch::Tensor& frob = s.lowRank[i]->frobenius;
    for (int g = 0; g < 4; ++g)
        plot.addSeries(qs(analysis::kSignalNames[size_t(g)]), range1(frob.size(1)),
                       flatValues(frob[g]));
}

void plotLevelCosine(plots::HeatmapPlot& plot, const LevelsStudy& s, size_t i, int signal) {
    const torch::Tensor& cos = s.runs[i].levelCosine[signal];
    plot.setMatrix(flatValues(cos), int(cos.size(0)), int(cos.size(1)));
    plot.setRange(-1.0, 1.0);
    plot.setValueLabel("cosine");
    plot.setTitle(qs(s.models[i].label + ": cosine between levels' " +
                     analysis::kSignalNames[size_t(signal)] + " signals"));
    plot.setAxisLabels("level", "level");
}

std::vector<NamedFigure> studyFigures(const LevelsStudy& s) {
    std::vector<NamedFigure> out;
    auto dyn = std::make_unique<plots::LinePlot>();
    plotDynamics(*dyn, s);
    out.emplace_back("dynamics", owned(std::move(dyn)));
    for (size_t i = 0; i < s.runs.size(); ++i) {
        if (!s.runs[i].signalRatioMean.defined() || !s.lowRank[i]) continue;
        const StudyModel& m = s.models[i];
        auto ratio = std::make_unique<plots::LinePlot>();
        plotSignalRatios(*ratio, s, i);
        out.emplace_back(m.stem("signals"), owned(std::move(ratio)));
        auto norms = std::make_unique<plots::LinePlot>();
        plotLowRank(*norms, s, i);
        out.emplace_back(m.stem("lowrank"), owned(std::move(norms)));
        for (int g = 0; g < 4; ++g) {
            auto cos = std::make_unique<plots::HeatmapPlot>();
            plotLevelCosine(*cos, s, i, g);
            out.emplace_back(m.stem("level_cosine_" + analysis::kSignalNames[size_t(g)]),
                             owned(std::move(cos)));
        }
    }
    bool encodings = false;
    for (const auto& run : s.runs)
        encodings = encodings || run.encodingRatioMean.defined();
    if (encodings) {
        auto enc = std::make_unique<plots::LinePlot>();
        plotEncodings(*enc, s);
        out.emplace_back("encodings", owned(std::move(enc)));
    }
    return out;
}

// --- Lens --------------------------------------------------------------------------------

void writeStudy(AnalysisOutput& out, const LensStudy& s) {
    nlohmann::json& r = writeStudyRecord(out, s);
    nlohmann::json accuracy = nlohmann::json::array();
    for (size_t i = 0; i < s.runs.size(); ++i) {
        const StudyModel& m = s.models[i];
        const analysis::LensRun& run = s.runs[i];
        out.array(m.stem("lens"), run.probabilities, {{m.axis}, {"image", false}, {"class", false}},
                  "class probabilities head(LN(h_a)[CLS]) after each application [application, "
                  "image, class]");
        if (i == 0)
            out.array("labels", run.labels, {{"image", false}},
                      "true class per image (-1: unknown)");
        out.array(m.stem("lens_accuracy"), run.accuracy, {{m.axis}},
                  "share of labelled images the lens gets right");
        out.array(m.stem("lens_mean"), run.probabilities.mean(1), {{m.axis}, {"class", false}},
                  "class probabilities averaged over images");
        accuracy.push_back(flatValues(run.accuracy));
    }
    r["accuracy_per_application"] = accuracy;
}

void plotLens(plots::LinePlot& plot, const LensStudy& s, size_t i) {
    const StudyModel& m = s.models[i];
    const analysis::LensRun& run = s.runs[i];
    plot.clearSeries();
    plot.setTitle(qs("Class lens of " + m.label));
    plot.setAxisLabels(qs(m.axis), "share / probability");
    plot.setIntegerXAxis(true);
    const std::vector<double> x = range1(run.probabilities.size(0));
    if (!std::isnan(run.accuracy[0].item<double>())) {
        plot.addSeries("accuracy of the lens", x, flatValues(run.accuracy));
        // Mean probability given to the true class, over the labelled images.
        const torch::Tensor known = run.labels.ge(0);
        const torch::Tensor idx =
            run.labels.clamp_min(0).view({1, -1, 1}).expand({run.probabilities.size(0), -1, 1});
        const torch::Tensor trueProb =
            run.probabilities.gather(2, idx).squeeze(2).index({torch::indexing::Slice(), known});
        addBand(plot, "probability of the true class", trueProb.mean(1), trueProb.std(1, false));
    } else {
        const torch::Tensor top = std::get<0>(run.probabilities.max(2)); // [A, images]
        addBand(plot, "top-class probability", top.mean(1), top.std(1, false));
    }
}

std::vector<NamedFigure> studyFigures(const LensStudy& s) {
    std::vector<NamedFigure> out;
    for (size_t i = 0; i < s.runs.size(); ++i) {
        auto plot = std::make_unique<plots::LinePlot>();
        plotLens(*plot, s, i);
        out.emplace_back(s.models[i].stem("lens"), owned(std::move(plot)));
    }
    return out;
}

} // namespace ringscope
