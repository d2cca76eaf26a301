#include "CommandSupport.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/core/NumberList.h"

#include <algorithm>

namespace ringscope::cli {

std::set<std::string> withModelOptions(std::set<std::string> options) {
    options.insert({"heads", "image-size", "levels", "mean", "std"});
    return options;
}

LoadOptions loadOptionsFromArgs(const CliArgs& args) {
    auto positive = [&](const char* name) -> std::optional<int64_t> {
        const auto v = args.integer(name);
        if (v && *v <= 0) throw UsageError{std::string("--") + name + " must be positive"};
        return v;
    };
    LoadOptions options;
    options.heads = positive("heads");
    options.imageSize = positive("image-size");
    options.levels = positive("levels");
    // --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225: the input normalisation.
    auto list = [&](const char* name) -> std::optional<std::vector<double>> {
        const auto v = args.value(name);
        if (!v) return std::nullopt;
        try {
            return parseNumberList(*v, std::string("--") + name);
        } catch (const RingScopeError& e) {
            throw UsageError{e.what()};
        }
    };
    const auto mean = list("mean"), std = list("std");
    if (mean || std) {
        Normalization n;
        if (mean) n.mean = *mean;
        if (std) n.std = *std;
        try {
            options.normalization = Normalization::fromJson(n.toJson()); // checks std > 0
        } catch (const RingScopeError& e) {
            throw UsageError{e.what()};
        }
    }
    return options;
}

std::set<std::string> withDepthOptions(std::set<std::string> options) {
    options.insert({"iterations", "extend"});
    return options;
}

ForwardOptions depthFromArgs(const CliArgs& args) {
    ForwardOptions o;
    o.applications = args.integerOr("iterations", 0);
    if (args.value("iterations") && o.applications <= 0)
        throw UsageError{"--iterations must be positive"};
    try {
        o.extend = parseDepthPolicy(args.value("extend").value_or("repeat-last"));
    } catch (const RingScopeError& e) {
        throw UsageError{e.what()};
    }
    return o;
}

LoadedModel loadModelFromArgs(const std::string& path, const CliArgs& args) {
    return loadModel(path, loadOptionsFromArgs(args));
}

std::string positionalAt(const CliArgs& args, size_t index, const std::string& what) {
    if (args.positional().size() <= index) throw UsageError{"missing " + what};
    return args.positional()[index];
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

} // namespace ringscope::cli

namespace ringscope::cli {

ModelConfig modelConfigFromArgs(const CliArgs& args, const std::optional<ModelConfig>& defaults) {
    ModelConfig c = defaults.value_or(ModelConfig{});
    auto size = [&](const char* name, int64_t fallback) {
        return defaults ? args.integerOr(name, fallback) : args.requireInteger(name);
    };
    c.family = parseFamily(defaults ? args.value("family").value_or("ringformer")
                                    : args.require("family"));
    c.encoding = c.family == Family::UiT ? LevelEncoding::Static : LevelEncoding::None;
    if (auto e = args.value("encoding")) c.encoding = parseEncoding(*e);
    c.imageSize = size("image-size", c.imageSize);
    c.patch = size("patch", c.patch);
    c.hidden = size("hidden", c.hidden);
    c.heads = size("heads", c.heads);
    c.mlp = size("mlp", c.mlp);
    c.depth = size("depth", c.depth);
    c.rank = args.integerOr("rank", c.rank);
    c.channels = args.integerOr("channels", defaults ? c.channels : 3);
    c.classes = args.integerOr("classes", defaults ? c.classes : 10);
    c.dropout = args.number("dropout").value_or(c.dropout);
    try {
        c.validate();
    } catch (const RingScopeError& e) {
        throw UsageError{e.what()};
    }
    return c;
}

} // namespace ringscope::cli
