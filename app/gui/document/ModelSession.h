#pragma once
// A loaded model as the GUI uses it: plain-data results (no torch types in this header), so
// that Qt widgets and moc'ed classes can hold them. All methods are thread-safe for reading;
// analyse() runs on worker threads.

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cv {
class Mat;
}

namespace ringscope {
struct Checkpoint;
struct LoadedModel;
struct ModelMetadata;
} // namespace ringscope

namespace ringscope::gui {

/// What one image does in one model.
struct ImageAnalysis {
    int applications = 0, heads = 0, tokens = 0, grid = 0, classes = 0;
    int prefix = 1;                    ///< tokens before the patches (CLS; a timm ViT: 0 to 2)
    std::vector<float> attention;      ///< [A][H][N][N] softmax maps
    std::vector<double> probabilities; ///< [classes]
    std::vector<double> lens;          ///< [A][classes] class-lens probabilities
    std::vector<double> latentStep;    ///< [A][N] ||h_t - h_(t-1)|| / ||h_t|| per token
    /// GAE relevance of every patch [P] and what each application contributes [A][P], for
    /// class `gaeClass` (empty unless asked for).
    std::vector<double> gae, gaePerApplication;
    int gaeClass = -1;

    float at(int a, int h, int q, int k) const {
        return attention[((size_t(a) * heads + h) * tokens + q) * tokens + k];
    }
    /// The token of the workspace's query (0: the class token, k > 0: patch k - 1) in this
    /// model's sequence; -1 for the class token of a model without one.
    int token(int query) const { return query == 0 ? (prefix > 0 ? 0 : -1) : query - 1 + prefix; }
    /// The GAE contribution of application `a` over the patches (grid*grid values).
    std::vector<double> gaeContribution(int a) const;
    /// Query token q's attention over the patch grid (grid*grid values) for head h, or fused
    /// over heads (h < 0: -1 mean, -2 max, -3 min); q = -1: the mean over all query tokens.
    std::vector<double> queryMap(int a, int h, int q) const;
    /// The latent step of every patch after application `a` (grid*grid values).
    std::vector<double> latentStepMap(int a) const;
    /// Rollout J = R_A..R_1 up to application `upTo` (inclusive), heads fused by mean; the
    /// query row over the patches (q = -1: the mean row).
    std::vector<double> rolloutMap(int upTo, int q, double discardRatio = 0.0) const;
};

/// How many applications the app runs (one choice for every view): 0 as trained; beyond the
/// trained depth the levels follow `policy` ("repeat-last", "cycle", "extend").
struct DepthChoice {
    int applications = 0;
    std::string policy = "repeat-last";
    bool operator==(const DepthChoice& o) const {
        return applications == o.applications && policy == o.policy;
    }
};

/// What a per-image analysis computes besides the traced pass.
struct AnalysisRequest {
    DepthChoice depth;
    bool gae = false;  ///< also the GAE attribution (one more forward and backward pass)
    int gaeClass = -1; ///< the class GAE explains (-1: the predicted one)
};

/// Facts about a model for labels and the inspector.
struct ModelFacts {
    std::string path, fileName, family, summary,
        applicationName; ///< applicationName: "layer" / "iteration"
    int applications = 0, heads = 0, imageSize = 0, channels = 0, patch = 0, classes = 0;
    long long parameters = 0;
    std::vector<std::string> classNames;
    std::string headsSource;         ///< "file metadata", "given", ...
    std::vector<double> mean, std;   ///< the input normalisation in use
    std::string normalizationSource; ///< "file metadata", "timm default (...)", "given", ...
    bool recurrent = false;          ///< RingFormer or UiT: runs any number of applications
    bool extendable = false;         ///< a static-encoding UiT: takes the 'extend' policy
};

/// Statistics of one stored tensor.
struct ParameterStat {
    std::string name, shape; ///< shape as "[3, 64, 64]"
    long long count = 0;
    double mean = 0, std = 0, min = 0, max = 0;
    bool trainable = true;
};

/// What a checkpoint file says besides its weights.
struct CheckpointFacts {
    std::string format, container; ///< "pytorch-zip", "training" / "state_dict"
    std::string configJson;        ///< the configuration in use (pretty JSON)
    std::string metadataJson;      ///< RingScope metadata ("" when absent)
    std::string trainingJson;      ///< epoch, global_step, best_acc, keys ("" when absent)
    std::string structureJson;     ///< the file's structure (what its top-level object holds)
    std::vector<std::string> storedDtypes;
    /// Per-epoch history: epoch, train_loss, train_accuracy, val_loss, val_accuracy (NaN when
    /// absent), one row each.
    std::vector<std::vector<double>> history;
};

/// What a checkpoint says besides its weights; with `metadata` (the model's, when it runs) the
/// configuration in use and the training history too.
CheckpointFacts checkpointFactsOf(const Checkpoint& checkpoint, const ModelMetadata* metadata);

/// What the user says about a checkpoint that does not say it itself.
struct OpenAnswers {
    std::optional<int> heads;
    std::optional<int> imageSize, levels; ///< for a learnable UiT table of several readings
    /// Input normalisation over the file's or the default (per channel; the last repeats).
    std::optional<std::vector<double>> mean, std;
};

/// One reading of an ambiguous learnable UiT level table.
struct ShapeReading {
    int imageSize = 0, levels = 0;
};

/// What must be asked before a read checkpoint can become a model.
struct OpenQuestion {
    bool heads = false; ///< the number of heads is unknown
    int headsGuess = 1; ///< a plausible answer (d / 64 ...)
    std::vector<ShapeReading>
        readings; ///< several readings of the level table, most plausible first
    bool empty() const { return !heads && readings.empty(); }
};

class ModelSession {
public:
    /// Reads a checkpoint and builds its model. Throws std::exception with a message naming
    /// the file and the problem.
    static std::shared_ptr<ModelSession> open(const std::string& path,
                                              const OpenAnswers& answers = {});
    /// Builds the model of a checkpoint already read (worker thread); throws like open().
    static std::shared_ptr<ModelSession> build(const Checkpoint& checkpoint,
                                               const OpenAnswers& answers);
    /// What the user must still say before build() can succeed (empty: nothing). Throws when
    /// the weights fit no model at all.
    static OpenQuestion question(const Checkpoint& checkpoint, const OpenAnswers& answers);
    ~ModelSession();

    const ModelFacts& facts() const;
    /// What this model runs for `choice`: a ViT or OWF at most its layers; 'extend' only
    /// for a static-encoding UiT (others repeat the last level); as trained for 0.
    DepthChoice resolve(const DepthChoice& choice) const;
    /// Forward pass of one image (any size, gray or colour), traced, at resolve(depth), and
    /// what else `request` asks for.
    ImageAnalysis analyse(const cv::Mat& image, const AnalysisRequest& request = {}) const;
    /// Every stored tensor, in state-dict order, with statistics (computed once, while the
    /// model is built on its worker thread).
    std::vector<ParameterStat> parameterStats() const;
    /// Histogram of one tensor: `bins` counts between its min and max (empty: unknown name).
    std::vector<double> histogram(const std::string& name, int bins) const;
    CheckpointFacts checkpointFacts() const;
    /// The model itself, for analyses over datasets (include LoadedModel.h to use it).
    const LoadedModel& loaded() const;

private:
    ModelSession();
    std::vector<ParameterStat> computeParameterStats() const;
    struct Impl;
    std::unique_ptr<Impl> d_;
};

} // namespace ringscope::gui
