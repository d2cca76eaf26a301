#pragma once
// The exports of the studies over a data source (ringscope/analysis/Studies.h), written once
// for `ringscope-cli analyze` and for the app's "Export view with its numbers": the same file
// names, array names, axes, results and manifest entries for the same quantity. Arrays of
// model B carry the suffix "_b". The figure functions fill plot components, so that the CLI's
// figures and the app's views draw the same thing.

#include <torch/types.h>

#include "ringscope/analysis/AttentionMaps.h"
#include "ringscope/analysis/Studies.h"
#include "ringscope/model/Classification.h"

#include <QString>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ringscope::plots {
class BarPlot;
class DepthScatterPlot;
class Figure;
class HeatmapPlot;
class LinePlot;
} // namespace ringscope::plots

namespace ringscope {

class AnalysisOutput;

/// Writes the arrays of a study, its results (under the analysis name in the results file) and
/// its settings (manifest: "settings", "data" and "analyses"/NAME), from the record itself.
void writeStudy(AnalysisOutput& out, const analysis::MadStudy& study);
void writeStudy(AnalysisOutput& out, const analysis::CkaStudy& study);
void writeStudy(AnalysisOutput& out, const analysis::LevelsStudy& study);
void writeStudy(AnalysisOutput& out, const analysis::LensStudy& study);
void writeStudy(AnalysisOutput& out, const analysis::DepthStudy& study);
void writeStudy(AnalysisOutput& out, const analysis::AttributionStudy& study);
void writeStudy(AnalysisOutput& out, const analysis::FaithfulnessStudy& study);
/// What every study writes (its settings in the manifest, its models and report in the
/// results); returns the study's entry of the results for its own numbers.
nlohmann::json& writeStudyRecord(AnalysisOutput& out, const analysis::StudyRecord& study);

/// The attention of one image in one model ([A, H, N, N], token 0 = CLS), as `ringscope-cli
/// analyze attention` and the app's attention view export it: `attention`, the query token's
/// maps per head (`query_maps`) and fused over heads (`fused_maps`), `entropy` and
/// `neighbourhood_mass` (arrays of B end in "_b"), and the top-5 classes (`predictions`).
void writeImageAttention(AnalysisOutput& out, const analysis::StudyModel& model,
                         const torch::Tensor& attention, const std::vector<ClassScore>& top,
                         int64_t query, analysis::HeadFusion fusion);

/// The classes of the images of a run: `probabilities` [image, class] per model (B: "_b") and,
/// under "classify" in the results, every image's top `k` per model and the disagreements.
void writeClassification(AnalysisOutput& out, const ClassificationRun& run, int64_t k);

/// A figure and the file stem it is exported under.
using NamedFigure = std::pair<std::string, std::unique_ptr<plots::Figure>>;

/// The figures of a study, as `ringscope-cli analyze` writes them.
std::vector<NamedFigure> studyFigures(const analysis::MadStudy& study);
std::vector<NamedFigure> studyFigures(const analysis::CkaStudy& study);
std::vector<NamedFigure> studyFigures(const analysis::LevelsStudy& study);
std::vector<NamedFigure> studyFigures(const analysis::LensStudy& study);
std::vector<NamedFigure> studyFigures(const analysis::DepthStudy& study);
std::vector<NamedFigure> studyFigures(const analysis::AttributionStudy& study);
std::vector<NamedFigure> studyFigures(const analysis::FaithfulnessStudy& study);

/// MAD per head by depth, every model on shared axes (figure "mad").
void plotMad(plots::DepthScatterPlot& plot, const analysis::MadStudy& study);
/// One CKA matrix: 0 A x A, 1 B x B, 2 A x B (figures "cka_aa", "cka_bb", "cka"). False when
/// the study has no such matrix.
bool plotCka(plots::HeatmapPlot& plot, const analysis::CkaStudy& study, int which);
/// The CKA matrix of the figure "cka": A x B with a second model, else A x A.
const torch::Tensor& mainCkaMatrix(const analysis::CkaStudy& study);
/// For every application of A, the 1-based application of B (or A) that matches it best.
std::vector<int64_t> bestCkaMatch(const analysis::CkaStudy& study);
/// Relative update and cosine to the previous stream of every model (figure "dynamics").
void plotDynamics(plots::LinePlot& plot, const analysis::LevelsStudy& study);
/// Signal-to-term ratios per level of model `i` (a RingFormer; figure "signals").
void plotSignalRatios(plots::LinePlot& plot, const analysis::LevelsStudy& study, size_t i);
/// Level-encoding ratios of every UiT of the study (figure "encodings").
void plotEncodings(plots::LinePlot& plot, const analysis::LevelsStudy& study);
/// Frobenius norms of the low-rank maps of model `i` (figure "lowrank").
void plotLowRank(plots::LinePlot& plot, const analysis::LevelsStudy& study, size_t i);
/// Cosine between levels' signals of model `i` (figures "level_cosine_Q" ...).
void plotLevelCosine(plots::HeatmapPlot& plot, const analysis::LevelsStudy& study, size_t i,
                     int signal);
/// The first RingFormer of a levels study (-1: none).
int firstRingFormer(const analysis::LevelsStudy& study);
/// Accuracy of the lens and probability of the true class (or top-class probability without
/// labels) after every application of model `i` (figure "lens").
void plotLens(plots::LinePlot& plot, const analysis::LensStudy& study, size_t i);

/// The curves of the depth sweep.
enum class DepthCurve { Accuracy, Confidence, Loss };
/// One sweep curve after K = 1..Kmax of every model and policy on shared axes, the trained
/// depth marked (figures "depth_accuracy", "depth_confidence", "depth_loss").
void plotDepthSweep(plots::LinePlot& plot, const analysis::DepthStudy& study, DepthCurve curve);
/// The run of model `i` under `policy` (its first run when it has none by that name).
size_t depthRunIndex(const analysis::DepthStudy& study, size_t i, const std::string& policy);
/// Latent step, 1 - cos, entropy change and KL per application of run `p` of model `i`
/// (figure "convergence").
void plotConvergence(plots::LinePlot& plot, const analysis::DepthStudy& study, size_t i, size_t p);
/// "exit at kl < 0.001", "exit when the argmax holds for 5 applications".
QString exitRuleText(analysis::ExitRule rule, double threshold);
/// Where `rule` with its threshold stops the images, right and wrong apart ("exit_RULE");
/// returns the outcome drawn.
analysis::ExitOutcome plotExitHistogram(plots::BarPlot& plot, const analysis::DepthStudy& study,
                                        size_t i, size_t p, analysis::ExitRule rule);
/// Accuracy against mean applications used, one curve per rule ("adaptive_compute").
void plotAdaptiveCompute(plots::LinePlot& plot, const analysis::DepthStudy& study, size_t i,
                         size_t p);
/// JS divergence per head and application ("head_js"); false for a single application.
bool plotHeadStability(plots::HeatmapPlot& plot, const analysis::DepthStudy& study, size_t i,
                       size_t p);

/// The relevance of model `i`'s patches averaged over images, on the patch grid
/// ("attribution").
void plotAttributionMean(plots::HeatmapPlot& plot, const analysis::AttributionStudy& study,
                         size_t i);
/// Relevance each application contributes, every model ("attribution_per_application").
void plotAttributionPerApplication(plots::LinePlot& plot, const analysis::AttributionStudy& study);
/// The mean deletion (or insertion) curve of every method and model ("deletion", "insertion").
void plotFaithfulness(plots::LinePlot& plot, const analysis::FaithfulnessStudy& study,
                      bool insertion);

/// The values of a tensor as float64, flattened.
std::vector<double> flatValues(const torch::Tensor& t);

} // namespace ringscope
