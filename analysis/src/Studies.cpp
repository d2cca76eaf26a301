#include "ringscope/analysis/Studies.h"

#include "ringscope/model/core/Error.h"

namespace ringscope::analysis {

namespace {

/// The source and stream of a study, opened once for all its models.
struct OpenedData {
    DataSource source;
    BatchStream stream;
    explicit OpenedData(const DataSettings& d)
        : source(openDataSource(d.spec)), stream(source, d.batch, d.limit) {}
};

template <class Study>
std::shared_ptr<Study> begin(const char* analysis, std::vector<StudyModel> models,
                             const DataSettings& data, const OpenedData& opened) {
    if (models.empty()) throw RingScopeError(std::string(analysis) + ": no model to analyse");
    auto s = std::make_shared<Study>();
    s->analysis = analysis;
    s->data = data;
    s->dataDescription = opened.source.description();
    s->models = std::move(models);
    return s;
}

void takeReport(StudyRecord& s, const RunReport& r) {
    s.examples = r.examples;
    s.skipped = r.skipped;
    s.cancelled = s.cancelled || r.cancelled;
}

/// Runs `run(model, control)` for each model in turn until one is cancelled, each with its
/// share of the progress bar.
template <class Study, class Run> void eachModel(Study& s, const RunControl& control, Run run) {
    for (size_t i = 0; i < s.models.size() && !s.cancelled; ++i)
        run(s.models[i], control.share(i, s.models.size()));
}

/// The record outlives the models: it keeps their names, not pointers to them.
void end(StudyRecord& s) {
    for (StudyModel& m : s.models)
        m.model = nullptr;
}

} // namespace

StudyModel StudyModel::of(const VisionModel& model, const InputSpec& spec, std::string role,
                          std::string label, std::string path) {
    StudyModel m;
    m.model = &model;
    m.spec = spec;
    m.role = std::move(role);
    m.label = std::move(label);
    m.path = std::move(path);
    const ModelConfig& c = model.config();
    m.axis = isRecurrent(c.family) ? "iteration" : "layer";
    m.applications = c.applications();
    m.trained = c.applications();
    m.heads = c.heads;
    m.prefixTokens = c.prefixTokens();
    return m;
}

void StudyModel::setDepth(int64_t k, DepthPolicy policy) {
    forward.applications = k;
    forward.extend = policy;
    if (model) applications = model->applicationsFor(forward);
}

std::string StudyModel::stem(const std::string& name) const {
    return role == "B" ? name + "_b" : name;
}

nlohmann::json StudyRecord::settings() const {
    return {{"data", data.spec},    {"data_description", dataDescription},
            {"limit", data.limit},  {"batch", data.batch},
            {"examples", examples}, {"skipped", skipped.size()}};
}

nlohmann::json MadStudy::settings() const {
    nlohmann::json j = StudyRecord::settings();
    j["variant"] = variant == MadVariant::Renormalised ? "renormalised rows" : "published";
    return j;
}

nlohmann::json CkaStudy::settings() const {
    nlohmann::json j = StudyRecord::settings();
    j["kernel"] = kernelName(options.kernel);
    j["estimator"] = estimatorName(options.estimator);
    j["feature"] = featureName(options.feature);
    j["rbf_threshold"] = options.rbfThreshold;
    j["skipped_examples_small_minibatch"] = skippedExamples;
    return j;
}

std::shared_ptr<MadStudy> studyMad(std::vector<StudyModel> models, const DataSettings& data,
                                   MadVariant variant, const RunControl& control) {
    const OpenedData opened(data);
    auto s = begin<MadStudy>("mad", std::move(models), data, opened);
    s->variant = variant;
    eachModel(*s, control, [&](const StudyModel& m, const RunControl& part) {
        const MadRun r = madOverData(m.modelInput(), opened.stream, variant, part);
        takeReport(*s, r);
        s->mad.push_back(r.mad);
    });
    end(*s);
    return s;
}

std::shared_ptr<CkaStudy> studyCka(std::vector<StudyModel> models, const DataSettings& data,
                                   const CkaOptions& options, const RunControl& control) {
    if (models.size() > 2) throw RingScopeError("cka: at most two models");
    for (const StudyModel& m : models)
        if (options.feature == CkaFeature::Cls && m.prefixTokens == 0)
            throw RingScopeError("CKA on the class token: " + m.label +
                                 " has none (it pools its patches); use the feature mean or "
                                 "flatten");
    const OpenedData opened(data);
    auto s = begin<CkaStudy>("cka", std::move(models), data, opened);
    s->options = options;
    const StudyModel& a = s->models[0];
    if (s->models.size() == 1) {
        const CkaRun r = ckaOverData(a.modelInput(), {}, opened.stream, options, control);
        takeReport(*s, r);
        s->aa = r.cka;
        s->skippedExamples = r.skippedExamples;
    } else {
        const StudyModel& b = s->models[1];
        const CkaTripleRun r =
            ckaTripleOverData(a.modelInput(), b.modelInput(), opened.stream, options, control);
        takeReport(*s, r);
        s->aa = r.aa;
        s->bb = r.bb;
        s->ab = r.ab;
        s->skippedExamples = r.skippedExamples;
    }
    end(*s);
    return s;
}

std::shared_ptr<LevelsStudy> studyLevels(std::vector<StudyModel> models, const DataSettings& data,
                                         const RunControl& control) {
    const OpenedData opened(data);
    auto s = begin<LevelsStudy>("levels", std::move(models), data, opened);
    eachModel(*s, control, [&](const StudyModel& m, const RunControl& part) {
        LevelsRun r = levelsOverData(m.modelInput(), opened.stream, part);
        takeReport(*s, r);
        s->lowRank.push_back(r.signalRatioMean.defined()
                                 ? std::optional<LowRankSummary>(lowRankSummary(*m.model))
                                 : std::nullopt);
        s->runs.push_back(std::move(r));
    });
    end(*s);
    return s;
}

std::shared_ptr<LensStudy> studyLens(std::vector<StudyModel> models, const DataSettings& data,
                                     const RunControl& control) {
    const OpenedData opened(data);
    auto s = begin<LensStudy>("lens", std::move(models), data, opened);
    eachModel(*s, control, [&](const StudyModel& m, const RunControl& part) {
        LensRun r = lensOverData(m.modelInput(), opened.stream, part);
        takeReport(*s, r);
        s->runs.push_back(std::move(r));
    });
    end(*s);
    return s;
}

std::shared_ptr<DepthStudy> studyDepth(std::vector<StudyModel> models, const DataSettings& data,
                                       const DepthSettings& depth, const RunControl& control) {
    if (models.size() > 2) throw RingScopeError("depth: at most two models");
    std::vector<std::vector<ForwardOptions>> plans;
    size_t total = 0, done = 0;
    for (const StudyModel& m : models) {
        plans.push_back(depthRunsFor(*m.model, depth.maxApplications, depth.policies));
        total += plans.back().size();
    }
    const OpenedData opened(data);
    auto s = begin<DepthStudy>("depth", std::move(models), data, opened);
    s->depth = depth;
    for (size_t i = 0; i < s->models.size() && !s->cancelled; ++i) {
        StudyModel& m = s->models[i];
        s->runs.emplace_back();
        for (size_t p = 0; p < plans[i].size() && !s->cancelled; ++p) {
            m.setDepth(plans[i][p].applications, plans[i][p].extend);
            DepthRun r = depthOverData(m.modelInput(), opened.stream, control.share(done++, total));
            r.policy = depthRunLabel(*m.model, m.forward);
            takeReport(*s, r);
            s->runs.back().push_back(std::move(r));
        }
    }
    end(*s);
    return s;
}

nlohmann::json AttributionStudy::settings() const {
    nlohmann::json j = StudyRecord::settings();
    j["method"] = attributionMethodName(method);
    j["class"] = targetClass;
    return j;
}

nlohmann::json FaithfulnessStudy::settings() const {
    nlohmann::json j = StudyRecord::settings();
    nlohmann::json methods = nlohmann::json::array();
    for (AttributionMethod m : options.methods)
        methods.push_back(attributionMethodName(m));
    j["methods"] = methods;
    j["steps"] = options.steps;
    j["replacement"] = "the image's mean colour";
    return j;
}

std::shared_ptr<AttributionStudy> studyAttribution(std::vector<StudyModel> models,
                                                   const DataSettings& data,
                                                   AttributionMethod method, int64_t targetClass,
                                                   const RunControl& control) {
    if (models.size() > 2) throw RingScopeError("attribution: at most two models");
    const OpenedData opened(data);
    auto s = begin<AttributionStudy>("attribution", std::move(models), data, opened);
    s->method = method;
    s->targetClass = targetClass;
    eachModel(*s, control, [&](const StudyModel& m, const RunControl& part) {
        AttributionRun r =
            attributionOverData(m.modelInput(), opened.stream, method, targetClass, part);
        takeReport(*s, r);
        s->runs.push_back(std::move(r));
    });
    end(*s);
    return s;
}

std::shared_ptr<FaithfulnessStudy> studyFaithfulness(std::vector<StudyModel> models,
                                                     const DataSettings& data,
                                                     const FaithfulnessOptions& options,
                                                     const RunControl& control) {
    if (models.size() > 2) throw RingScopeError("faithfulness: at most two models");
    const OpenedData opened(data);
    auto s = begin<FaithfulnessStudy>("faithfulness", std::move(models), data, opened);
    s->options = options;
    eachModel(*s, control, [&](const StudyModel& m, const RunControl& part) {
        FaithfulnessRun r = faithfulnessOverData(m.modelInput(), opened.stream, options, part);
        takeReport(*s, r);
        s->runs.push_back(std::move(r));
    });
    end(*s);
    return s;
}

} // namespace ringscope::analysis
