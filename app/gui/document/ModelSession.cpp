#include <torch/types.h>

#include "document/ModelSession.h"

#include "document/TensorStats.h"

#include "ringscope/analysis/AttentionMaps.h"
#include "ringscope/analysis/Attribution.h"
#include "ringscope/analysis/ImageTrace.h"
#include "ringscope/model/nets/ArchitectureInference.h"
#include "ringscope/model/checkpoint/Checkpoint.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/nets/ParameterLayout.h"

#include <filesystem>
#include <cmath>
#include <mutex>

namespace ringscope::gui {

namespace {

torch::Tensor attentionTensor(const ImageAnalysis& r) {
    return torch::from_blob(const_cast<float*>(r.attention.data()),
                            {r.applications, r.heads, r.tokens, r.tokens}, torch::kFloat32);
}

std::vector<double> toVector(const torch::Tensor& t) {
    const torch::Tensor c = t.to(torch::kFloat64).contiguous().reshape({-1});
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

} // namespace

std::vector<double> ImageAnalysis::queryMap(int a, int h, int q) const {
    const torch::Tensor p = attentionTensor(*this)[a];              // [H, N, N]
    const torch::Tensor rows = q >= 0 ? p.select(1, q) : p.mean(1); // [H, N]
    torch::Tensor row;
    if (h >= 0)
        row = rows[h];
    else if (h == -1)
        row = rows.mean(0);
    else if (h == -2)
        row = std::get<0>(rows.max(0));
    else
        row = std::get<0>(rows.min(0));
    return toVector(row.narrow(0, prefix, tokens - prefix));
}

std::vector<double> ImageAnalysis::rolloutMap(int upTo, int q, double discardRatio) const {
    const torch::Tensor all = attentionTensor(*this);
    std::vector<torch::Tensor> apps;
    for (int a = 0; a <= upTo && a < applications; ++a)
        apps.push_back(all[a].unsqueeze(0));
    analysis::RolloutOptions o;
    o.discardRatio = discardRatio;
    const torch::Tensor joint = analysis::attentionRollout(apps, o)[0]; // [N, N]
    const torch::Tensor row = q >= 0 ? joint[q] : joint.mean(0);
    return toVector(row.narrow(0, prefix, tokens - prefix));
}

std::vector<double> ImageAnalysis::latentStepMap(int a) const {
    const auto first =
        latentStep.begin() + std::ptrdiff_t(size_t(a) * size_t(tokens) + size_t(prefix));
    return std::vector<double>(first, first + (tokens - prefix));
}

std::vector<double> ImageAnalysis::gaeContribution(int a) const {
    const size_t patches = size_t(tokens - prefix);
    const auto first = gaePerApplication.begin() + std::ptrdiff_t(size_t(a) * patches);
    return std::vector<double>(first, first + std::ptrdiff_t(patches));
}

struct ModelSession::Impl {
    LoadedModel loaded;
    ModelFacts facts;
    std::vector<ParameterStat> stats; // computed once, by build() on its worker thread
    mutable std::mutex forwardMutex;  // one forward pass at a time per model
};

ModelSession::ModelSession() : d_(std::make_unique<Impl>()) {}
ModelSession::~ModelSession() = default;

namespace {

LoadOptions loadOptions(const OpenAnswers& a) {
    LoadOptions o;
    if (a.heads) o.heads = *a.heads;
    if (a.imageSize) o.imageSize = *a.imageSize;
    if (a.levels) o.levels = *a.levels;
    if (a.mean || a.std) {
        Normalization n;
        if (a.mean) n.mean = *a.mean;
        if (a.std) n.std = *a.std;
        o.normalization = Normalization::fromJson(n.toJson()); // refuses a std <= 0
    }
    return o;
}

} // namespace

OpenQuestion ModelSession::question(const Checkpoint& ck, const OpenAnswers& answers) {
    InferenceHints hints = inferenceHints(ck, loadOptions(answers));
    OpenQuestion q;
    InferredConfig inferred;
    try {
        inferred = inferCheckpoint(ck, hints);
    } catch (const AmbiguousShapeError& e) {
        for (const TableShape& t : e.candidates())
            q.readings.push_back({int(t.imageSize), int(t.levels)});
        // Heads follow from the width, which the table does not change: ask with the first reading.
        hints.imageSize = e.candidates().front().imageSize;
        hints.levels = e.candidates().front().levels;
        inferred = inferCheckpoint(ck, hints);
    } catch (const ModelMismatchError& e) {
        throw ModelMismatchError(ck.path + ": " + e.what());
    }
    if (!inferred.headsKnown()) {
        // No metadata and not a published width: suggest heads of 64 channels (at least 1).
        const int64_t d = inferred.config.hidden;
        q.heads = true;
        q.headsGuess = int(std::max<int64_t>(1, d % 64 == 0 ? d / 64 : (d % 32 == 0 ? d / 32 : 1)));
    }
    return q;
}

std::shared_ptr<ModelSession> ModelSession::open(const std::string& path,
                                                 const OpenAnswers& answers) {
    return build(loadCheckpoint(path), answers);
}

std::shared_ptr<ModelSession> ModelSession::build(const Checkpoint& checkpoint,
                                                  const OpenAnswers& answers) {
    std::shared_ptr<ModelSession> s(new ModelSession());
    s->d_->loaded = modelFromCheckpoint(checkpoint, loadOptions(answers));
    const std::string& path = checkpoint.path;
    const LoadedModel& m = s->d_->loaded;
    const ModelConfig& c = m.model->config();
    ModelFacts& f = s->d_->facts;
    f.path = path;
    f.fileName = std::filesystem::u8path(path).filename().u8string();
    f.family = c.familyLabel();
    f.summary = c.summary();
    f.applicationName = isRecurrent(c.family) ? "iteration" : "layer";
    f.applications = int(c.depth);
    f.recurrent = isRecurrent(c.family);
    f.extendable = c.family == Family::UiT && c.encoding == LevelEncoding::Static;
    f.heads = int(c.heads);
    f.imageSize = int(c.imageSize);
    f.channels = int(c.channels);
    f.patch = int(c.patch);
    f.classes = int(c.classes);
    f.parameters = m.model->parameterCount();
    for (int64_t i = 0; i < c.classes; ++i)
        f.classNames.push_back(m.metadata.className(i));
    f.headsSource = headsSourceName(m.headsSource);
    f.mean = m.metadata.normalization.mean;
    f.std = m.metadata.normalization.std;
    f.normalizationSource = m.metadata.extra.value("normalization_source", std::string());
    s->d_->stats = s->computeParameterStats(); // here, on the loading worker, not in the Inspector
    return s;
}

const ModelFacts& ModelSession::facts() const {
    return d_->facts;
}

const LoadedModel& ModelSession::loaded() const {
    return d_->loaded;
}

std::vector<ParameterStat> ModelSession::parameterStats() const {
    return d_->stats;
}

std::vector<ParameterStat> ModelSession::computeParameterStats() const {
    std::vector<ParameterStat> out;
    for (const auto& spec : parameterLayout(d_->loaded.model->config()))
        out.push_back(
            tensorStat(spec.name, d_->loaded.model->weights().at(spec.name), spec.trainable));
    return out;
}

std::vector<double> ModelSession::histogram(const std::string& name, int bins) const {
    const torch::Tensor* t = d_->loaded.model->weights().find(name);
    return t ? tensorHistogram(*t, bins) : std::vector<double>();
}

CheckpointFacts checkpointFactsOf(const Checkpoint& ck, const ModelMetadata* metadata) {
    CheckpointFacts f;
    f.format = formatName(ck.format);
    f.container = containerName(ck);
    f.structureJson = ck.structure.dump(2);
    if (metadata) f.configJson = metadata->config.toJson().dump(2);
    if (!ck.metadata.is_null()) {
        nlohmann::json meta = ck.metadata;
        meta.erase("history"); // shown as a plot
        f.metadataJson = meta.dump(2);
    }
    if (!ck.training.is_null()) f.trainingJson = ck.training.dump(2);
    f.storedDtypes = ck.storedDtypes;
    if (metadata && metadata->history.is_array()) {
        for (const auto& e : metadata->history) {
            auto num = [&](const char* k) {
                return e.contains(k) && e[k].is_number() ? e[k].get<double>() : std::nan("");
            };
            f.history.push_back({num("epoch"), num("train_loss"), num("train_accuracy"),
                                 num("val_loss"), num("val_accuracy")});
        }
    }
    return f;
}

CheckpointFacts ModelSession::checkpointFacts() const {
    return checkpointFactsOf(d_->loaded.checkpoint, &d_->loaded.metadata);
}

DepthChoice ModelSession::resolve(const DepthChoice& choice) const {
    const ModelFacts& f = d_->facts;
    DepthChoice out;
    if (choice.applications <= 0 || (!f.recurrent && choice.applications >= f.applications))
        return out; // as trained
    out.applications = choice.applications;
    const bool known = choice.policy == "cycle" || (choice.policy == "extend" && f.extendable);
    if (out.applications > f.applications && known) out.policy = choice.policy;
    return out;
}

ImageAnalysis ModelSession::analyse(const cv::Mat& image, const AnalysisRequest& request) const {
    const LoadedModel& m = d_->loaded;
    const DepthChoice run = resolve(request.depth);
    ForwardOptions forward;
    forward.applications = run.applications;
    forward.extend = parseDepthPolicy(run.policy);
    analysis::ImageTrace t;
    analysis::Attribution gae;
    {
        std::lock_guard<std::mutex> lock(d_->forwardMutex);
        t = analysis::traceImage(*m.model, m.metadata.inputSpec(), image, forward);
        if (request.gae)
            gae = analysis::attribute(
                *m.model, preprocessImage(image, m.metadata.inputSpec()).unsqueeze(0),
                analysis::AttributionMethod::Gae,
                request.gaeClass < int(m.model->config().classes) ? request.gaeClass : -1, forward);
    }
    ImageAnalysis r;
    r.applications = int(t.attention.size(0));
    r.heads = int(t.attention.size(1));
    r.tokens = int(t.attention.size(2));
    r.prefix = int(m.model->config().prefixTokens());
    r.grid = int(analysis::gridSide(r.tokens, r.prefix));
    r.classes = int(t.logits.size(0));
    r.attention.assign(t.attention.data_ptr<float>(),
                       t.attention.data_ptr<float>() + t.attention.numel());
    r.probabilities = toVector(t.probabilities);
    r.lens = toVector(t.lens);
    r.latentStep = toVector(t.latentStep);
    if (gae.map.defined()) {
        r.gae = toVector(gae.map[0]);
        r.gaePerApplication = toVector(gae.perApplication.select(1, 0));
        r.gaeClass = int(gae.target[0].item<int64_t>());
    }
    return r;
}

} // namespace ringscope::gui
