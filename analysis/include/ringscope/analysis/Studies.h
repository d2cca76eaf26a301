#pragma once
/// @file Studies.h
/// The analyses over a data source as both front ends run them: one or two models (slots A
/// and B) over the same images, with the settings the numbers were computed with kept next to
/// them (an export records these, never what a widget shows later). `ringscope-cli analyze`
/// and the app's views call these functions and export the records they return through the
/// same writer (app/export/StudyExport.h), so both write the same files, arrays and axes.

#include "ringscope/analysis/DataAnalysis.h"
#include "ringscope/analysis/Faithfulness.h"
#include "ringscope/analysis/LevelSignals.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ringscope::analysis {

/// A model of a study. `model` is used while the study runs only; the record keeps the rest.
struct StudyModel {
    const VisionModel* model = nullptr;
    InputSpec spec;
    std::string role;  ///< "A" or "B": arrays of B end in "_b"
    std::string label; ///< how figures and results name it ("A: RingFormer (file.pt)")
    std::string path;  ///< the checkpoint file
    std::string axis;  ///< what one application is: "layer" (ViT, OWF) or "iteration"
    int64_t applications = 0, heads = 0;
    int64_t trained = 0;      ///< applications it was trained with (T, or L layers)
    int64_t prefixTokens = 1; ///< tokens before the patches (CLS; timm ViTs: 0 to 2)
    nlohmann::json input;     ///< ModelMetadata::inputJson(): what the images were fed as
    ForwardOptions forward;   ///< applications run and depth policy (default: as trained)

    /// Runs `k` applications (0: as trained) with `policy` beyond the trained depth; throws
    /// ModelMismatchError for a depth the model cannot run.
    void setDepth(int64_t k, DepthPolicy policy);

    /// The record of `model` (role "A" or "B"): axis and sizes from its configuration.
    static StudyModel of(const VisionModel& model, const InputSpec& spec, std::string role,
                         std::string label, std::string path);
    /// The model as the analyses over data take it (valid while the study runs).
    ModelInput modelInput() const { return {model, spec, forward}; }
    /// STEM for A, STEM_b for B.
    std::string stem(const std::string& name) const;
};

/// Which examples a study reads.
struct DataSettings {
    std::string spec;   ///< a data-source spec (DataSource.h)
    int64_t limit = -1; ///< first N examples (-1: all)
    int64_t batch = 64; ///< examples per forward pass (for CKA: the minibatch size)
};

/// What every study records besides its numbers.
struct StudyRecord {
    std::string
        analysis; ///< "mad", "cka", "levels", "lens", "depth", "attribution", "faithfulness"
    DataSettings data;
    std::string dataDescription;
    std::vector<StudyModel> models; ///< model pointers cleared once the run ends
    int64_t examples = 0;
    std::vector<std::string> skipped; ///< unreadable images, one message each
    bool cancelled = false;

    /// The settings as an export's manifest records them (analysis specific ones included).
    virtual nlohmann::json settings() const;
    virtual ~StudyRecord() = default;
};

struct MadStudy : StudyRecord {
    MadVariant variant = MadVariant::Published;
    std::vector<torch::Tensor> mad; ///< per model: [A, examples, H] float64, pixels
    nlohmann::json settings() const override;
};

struct CkaStudy : StudyRecord {
    CkaOptions options;
    torch::Tensor aa, bb, ab;    ///< [A_a, A_a]; with B: [A_b, A_b], [A_a, A_b] (float64)
    int64_t skippedExamples = 0; ///< in a last minibatch too small for the unbiased estimator
    nlohmann::json settings() const override;
};

struct LevelsStudy : StudyRecord {
    std::vector<LevelsRun> runs;                        ///< per model
    std::vector<std::optional<LowRankSummary>> lowRank; ///< per model (RingFormer only)
};

struct LensStudy : StudyRecord {
    std::vector<LensRun> runs; ///< per model
};

/// What a depth study runs: K = 1..maxApplications under each depth policy.
struct DepthSettings {
    int64_t maxApplications = 0;       ///< Kmax (0: the trained depth); a ViT or OWF stops at L
    std::vector<DepthPolicy> policies; ///< beyond T (empty: every policy the model takes)
    ExitThresholds exits;              ///< defaults: Huginn's
    double headThreshold = 0.01;       ///< JS (nats) below which a head counts as settled
};

struct DepthStudy : StudyRecord {
    DepthSettings depth;
    /// Per model, per policy (one "trained" run when Kmax <= T or the model has layers).
    std::vector<std::vector<DepthRun>> runs;
    nlohmann::json settings() const override;
};

/// The runs a depth study makes for `model` up to `k` applications: one per policy beyond
/// the trained depth (`wanted`, or every policy the model takes), or one "trained" run when
/// k <= T or the model has layers (then k is at most L). Throws ModelMismatchError for a
/// wanted policy the model cannot take.
std::vector<ForwardOptions> depthRunsFor(const VisionModel& model, int64_t k,
                                         const std::vector<DepthPolicy>& wanted);
/// "trained" for a run within the trained depth, else the name of its policy.
std::string depthRunLabel(const VisionModel& model, const ForwardOptions& run);

struct AttributionStudy : StudyRecord {
    AttributionMethod method = AttributionMethod::Gae;
    int64_t targetClass = -1;         ///< -1: each image's predicted class
    std::vector<AttributionRun> runs; ///< per model
    nlohmann::json settings() const override;
};

struct FaithfulnessStudy : StudyRecord {
    FaithfulnessOptions options;
    std::vector<FaithfulnessRun> runs; ///< per model
    nlohmann::json settings() const override;
};

/// MAD of every model over the same images (one progress bar over all models).
std::shared_ptr<MadStudy> studyMad(std::vector<StudyModel> models, const DataSettings& data,
                                   MadVariant variant, const RunControl& control = {});
/// CKA A x A and, with a second model, B x B and A x B in one pass over the data.
std::shared_ptr<CkaStudy> studyCka(std::vector<StudyModel> models, const DataSettings& data,
                                   const CkaOptions& options, const RunControl& control = {});
/// Level signals and depth dynamics of every model.
std::shared_ptr<LevelsStudy> studyLevels(std::vector<StudyModel> models, const DataSettings& data,
                                         const RunControl& control = {});
/// Depth dynamics of every model: the sweep K = 1..Kmax, the convergence measures, the exit
/// rules and the head stability, from one pass per model and policy.
std::shared_ptr<DepthStudy> studyDepth(std::vector<StudyModel> models, const DataSettings& data,
                                       const DepthSettings& depth, const RunControl& control = {});
/// The attribution of every image by every model.
std::shared_ptr<AttributionStudy>
studyAttribution(std::vector<StudyModel> models, const DataSettings& data, AttributionMethod method,
                 int64_t targetClass = -1, const RunControl& control = {});
/// The deletion and insertion tests of every method and model.
std::shared_ptr<FaithfulnessStudy> studyFaithfulness(std::vector<StudyModel> models,
                                                     const DataSettings& data,
                                                     const FaithfulnessOptions& options,
                                                     const RunControl& control = {});
/// The class lens of every model.
std::shared_ptr<LensStudy> studyLens(std::vector<StudyModel> models, const DataSettings& data,
                                     const RunControl& control = {});

} // namespace ringscope::analysis
