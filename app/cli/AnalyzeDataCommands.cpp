#include "AnalysisOutput.h"
#include "AnalyzeSupport.h"
#include "CommandSupport.h"

#include "ringscope/analysis/Studies.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/io/FileIO.h"

#include "Figure.h"
#include "StudyExport.h"

#include <iostream>
#include <sstream>
#include <set>

namespace ringscope::cli {

namespace {

const std::set<std::string> kStudyOptions =
    withModelOptions({"out", "data", "batch", "limit", "width", "height", "dpi"});
const std::set<std::string> kDataOptions = withDepthOptions(kStudyOptions);

std::set<std::string> with(std::set<std::string> s, std::initializer_list<std::string> more) {
    s.insert(more);
    return s;
}

/// The comma-separated names of --`option`, each parsed by `parse` (empty when not given);
/// a name `parse` refuses is a usage error.
template <class Parse> auto listOption(const CliArgs& args, const char* option, Parse parse) {
    std::vector<decltype(parse(std::string()))> out;
    std::stringstream names(args.value(option).value_or(""));
    for (std::string name; std::getline(names, name, ',');) {
        try {
            out.push_back(parse(name));
        } catch (const std::exception& e) {
            throw UsageError{e.what()};
        }
    }
    return out;
}

/// CHECKPOINT and the optional CHECKPOINT_B, loaded, as the models of a study (run at the
/// depth of --iterations and --extend when `depthOptions`).
std::vector<analysis::StudyModel> subjects(const CliArgs& args, std::vector<ModelArg>& keep,
                                           bool depthOptions = true) {
    if (args.positional().size() > 2) throw UsageError{"at most two checkpoints"};
    keep.push_back(openModelArg(positionalAt(args, 0, "CHECKPOINT"), args));
    if (args.positional().size() == 2) keep.push_back(openModelArg(args.positional()[1], args));
    std::vector<analysis::StudyModel> out;
    for (size_t i = 0; i < keep.size(); ++i) {
        out.push_back(analysis::StudyModel::of(*keep[i].loaded.model,
                                               keep[i].loaded.metadata.inputSpec(),
                                               i == 0 ? "A" : "B", keep[i].label, keep[i].path));
        out.back().input = keep[i].loaded.metadata.inputJson();
        if (!depthOptions) continue;
        ForwardOptions depth = depthFromArgs(args);
        // Beside another model, a ViT or OWF runs its layers when K is more (as in the app);
        // alone, it refuses K > L.
        const ModelConfig& c = keep[i].loaded.model->config();
        if (args.positional().size() == 2 && !isRecurrent(c.family) &&
            depth.applications > c.depth) {
            std::cerr << "note: " << keep[i].label << " has " << c.depth << " layers: it runs "
                      << c.depth << " applications\n";
            depth.applications = c.depth;
        }
        out.back().setDepth(depth.applications, depth.extend);
    }
    return out;
}

/// --data, --limit and --batch.
analysis::DataSettings dataSettings(const CliArgs& args) {
    analysis::DataSettings d;
    d.spec = args.require("data");
    d.limit = args.integerOr("limit", -1);
    d.batch = args.integerOr("batch", 64);
    if (d.batch <= 0) throw UsageError{"--batch must be positive"};
    return d;
}

/// Refuses a bad figure size or an output folder that cannot be made before the work.
void refuseBadOutput(const CliArgs& args) {
    exportOptions(args);
    makeOutputDirectory(args.require("out"));
}

/// Writes a finished study: numbers, figures and manifest, with the writer the app uses.
template <class Study> int finishStudy(const Study& study, const CliArgs& args, std::ostream& out) {
    for (const auto& s : study.skipped)
        std::cerr << "warning: skipped " << s << "\n";
    if (study.cancelled) throw RingScopeError("cancelled");
    const plots::ExportOptions options = exportOptions(args);
    AnalysisOutput output(args.require("out"), study.analysis);
    for (const analysis::StudyModel& m : study.models)
        output.checkpoint(m.role, m.path, m.input);
    writeStudy(output, study);
    for (auto& [stem, figure] : studyFigures(study))
        output.figure(*figure, stem, options);
    out << output.finish() << "\n";
    return 0;
}

} // namespace

int analyzeMad(const std::vector<std::string>& raw, std::ostream& out) {
    CliArgs args(raw, kDataOptions, {"renormalised"});
    std::vector<ModelArg> keep;
    auto models = subjects(args, keep);
    const auto variant = args.flag("renormalised") ? analysis::MadVariant::Renormalised
                                                   : analysis::MadVariant::Published;
    refuseBadOutput(args);
    const auto study =
        analysis::studyMad(std::move(models), dataSettings(args), variant, stderrProgress("mad"));
    return finishStudy(*study, args, out);
}

int analyzeCka(const std::vector<std::string>& raw, std::ostream& out) {
    CliArgs args(raw, with(kDataOptions, {"kernel", "estimator", "feature", "threshold"}), {});
    analysis::CkaOptions o;
    try {
        o.kernel = analysis::parseKernel(args.value("kernel").value_or("linear"));
        o.estimator = analysis::parseEstimator(args.value("estimator").value_or("minibatch"));
        o.feature = analysis::parseFeature(args.value("feature").value_or("flatten"));
    } catch (const std::invalid_argument& e) {
        throw UsageError{e.what()};
    }
    o.rbfThreshold = args.number("threshold").value_or(1.0);
    std::vector<ModelArg> keep;
    auto models = subjects(args, keep);
    refuseBadOutput(args);
    const auto study =
        analysis::studyCka(std::move(models), dataSettings(args), o, stderrProgress("cka"));
    return finishStudy(*study, args, out);
}

int analyzeLens(const std::vector<std::string>& raw, std::ostream& out) {
    CliArgs args(raw, kDataOptions, {});
    std::vector<ModelArg> keep;
    auto models = subjects(args, keep);
    refuseBadOutput(args);
    const auto study =
        analysis::studyLens(std::move(models), dataSettings(args), stderrProgress("lens"));
    return finishStudy(*study, args, out);
}

int analyzeLevels(const std::vector<std::string>& raw, std::ostream& out) {
    CliArgs args(raw, kDataOptions, {});
    std::vector<ModelArg> keep;
    auto models = subjects(args, keep);
    refuseBadOutput(args);
    const auto study =
        analysis::studyLevels(std::move(models), dataSettings(args), stderrProgress("levels"));
    return finishStudy(*study, args, out);
}

namespace {

/// --max-iterations, --extend (a comma list), the exit thresholds and --head-threshold.
analysis::DepthSettings depthSettings(const CliArgs& args) {
    analysis::DepthSettings d;
    d.maxApplications = args.integerOr("max-iterations", 0);
    if (args.value("max-iterations") && (d.maxApplications <= 0 || d.maxApplications > 4096))
        throw UsageError{"--max-iterations must lie in [1, 4096]"};
    d.policies = listOption(args, "extend", parseDepthPolicy);
    const auto positive = [&](const char* option, double& value) {
        if (const auto v = args.number(option)) {
            if (!(*v > 0.0)) throw UsageError{std::string("--") + option + " must be positive"};
            value = *v;
        }
    };
    positive("exit-latent-step", d.exits.latentStep);
    positive("exit-cosine-gap", d.exits.cosineGap);
    positive("exit-entropy-change", d.exits.entropyChange);
    positive("exit-kl", d.exits.kl);
    positive("head-threshold", d.headThreshold);
    d.exits.sameArgmax = args.integerOr("exit-same-argmax", d.exits.sameArgmax);
    if (d.exits.sameArgmax <= 0) throw UsageError{"--exit-same-argmax must be positive"};
    return d;
}

} // namespace

int analyzeDepth(const std::vector<std::string>& raw, std::ostream& out) {
    CliArgs args(raw,
                 with(kStudyOptions,
                      {"max-iterations", "extend", "exit-latent-step", "exit-cosine-gap",
                       "exit-entropy-change", "exit-kl", "exit-same-argmax", "head-threshold"}),
                 {});
    const analysis::DepthSettings depth = depthSettings(args);
    std::vector<ModelArg> keep;
    auto models = subjects(args, keep, false);
    refuseBadOutput(args);
    const auto study =
        analysis::studyDepth(std::move(models), dataSettings(args), depth, stderrProgress("depth"));
    return finishStudy(*study, args, out);
}

int analyzeAttribution(const std::vector<std::string>& raw, std::ostream& out) {
    CliArgs args(raw, with(kDataOptions, {"method", "class"}), {});
    analysis::AttributionMethod method = analysis::AttributionMethod::Gae;
    try {
        method = analysis::parseAttributionMethod(args.value("method").value_or("gae"));
    } catch (const std::invalid_argument& e) {
        throw UsageError{e.what()};
    }
    const int64_t target = args.integerOr("class", -1);
    if (args.value("class") && target < 0) throw UsageError{"--class must be a class index >= 0"};
    std::vector<ModelArg> keep;
    auto models = subjects(args, keep);
    for (const analysis::StudyModel& m : models)
        if (target >= m.model->config().classes)
            throw UsageError{"--class " + std::to_string(target) + ": " + m.label + " has " +
                             std::to_string(m.model->config().classes) + " classes"};
    refuseBadOutput(args);
    const auto study = analysis::studyAttribution(std::move(models), dataSettings(args), method,
                                                  target, stderrProgress("attribution"));
    return finishStudy(*study, args, out);
}

int analyzeFaithfulness(const std::vector<std::string>& raw, std::ostream& out) {
    CliArgs args(raw, with(kDataOptions, {"methods", "steps"}), {});
    analysis::FaithfulnessOptions o;
    if (args.value("methods"))
        o.methods = listOption(args, "methods", analysis::parseAttributionMethod);
    o.steps = args.integerOr("steps", o.steps);
    if (o.steps < 1 || o.steps > 1000) throw UsageError{"--steps must lie in [1, 1000]"};
    std::vector<ModelArg> keep;
    auto models = subjects(args, keep);
    refuseBadOutput(args);
    const auto study = analysis::studyFaithfulness(std::move(models), dataSettings(args), o,
                                                   stderrProgress("faithfulness"));
    return finishStudy(*study, args, out);
}

} // namespace ringscope::cli
