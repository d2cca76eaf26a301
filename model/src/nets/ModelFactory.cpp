#include "ringscope/model/nets/ModelFactory.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/ParameterLayout.h"

#include "nets/OwfModel.h"
#include "nets/RingFormerModel.h"
#include "nets/TimmVitModel.h"
#include "nets/UitModel.h"
#include "nets/VitModel.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <sstream>
#include <unordered_set>

namespace ringscope {

namespace {

/// A checkpoint tensor as a model parameter: float32, contiguous and owning its memory. It is
/// copied when it views only part of its storage, or a storage another parameter already
/// uses (tied weights in the file must not be trained as one).
torch::Tensor parameterTensor(const torch::Tensor& t, std::unordered_set<const void*>& used) {
    torch::Tensor f = t.to(torch::kFloat32);
    const bool whole = f.is_contiguous() && f.storage_offset() == 0 &&
                       f.storage().nbytes() == size_t(f.numel()) * sizeof(float);
    if (whole && f.numel() > 0 && used.insert(f.storage().data()).second) return f;
    return f.clone(at::MemoryFormat::Contiguous);
}

std::unique_ptr<VisionModel> instantiate(const ModelConfig& config, StateDict weights) {
    switch (config.family) {
    case Family::ViT:
        return std::make_unique<VitModel>(config, std::move(weights));
    case Family::OWF:
        return std::make_unique<OwfModel>(config, std::move(weights));
    case Family::UiT:
        return std::make_unique<UitModel>(config, std::move(weights));
    case Family::RingFormer:
        return std::make_unique<RingFormerModel>(config, std::move(weights));
    case Family::TimmViT:
        return std::make_unique<TimmVitModel>(config, std::move(weights));
    }
    throw RingScopeError("unknown model family");
}

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Initial value of one tensor, following the published modules' initialisation.
torch::Tensor initialTensor(const ModelConfig& c, const ParameterSpec& spec, at::Generator& gen) {
    const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
    const std::string& n = spec.name;
    torch::Tensor t = torch::empty(spec.shape, opts);
    auto uniformBound = [&](double bound) { t.uniform_(-bound, bound, gen); };
    if (c.family == Family::TimmViT) { // timm's init for what the published modules lack
        if (n == "cls_token" || n == "dist_token" || n == "pos_embed")
            return t.normal_(0.0, 0.02, gen);
        if (endsWith(n, ".gamma")) return t.fill_(1e-5);
    }
    if (n == "transformer.embeddings.cls_token") return t.zero_();
    if (endsWith(n, "pos_embed")) return sinusoidPositionTable(c.tokens(), c.hidden);
    if (n == "transformer.encoder.level_embed.level_embed")
        return uitStaticLevelTable(c.depth, c.tokens(), c.hidden);
    if (endsWith(n, "level_embed.weight")) return t.normal_(0.0, 1.0, gen);
    if (endsWith(n, "_01")) return t.zero_();
    if (endsWith(n, "_02")) return t.normal_(0.0, 1e-6, gen);
    const bool isNorm = n.find("norm") != std::string::npos;
    if (isNorm) return endsWith(n, ".weight") ? t.fill_(1.0) : t.zero_();
    const bool isMlp = n.find(".fc1.") != std::string::npos || n.find(".fc2.") != std::string::npos;
    if (isMlp && endsWith(n, ".weight")) {
        const double fanIn = double(spec.shape[1]), fanOut = double(spec.shape[0]);
        uniformBound(std::sqrt(6.0 / (fanIn + fanOut)));
        return t;
    }
    if (isMlp) return t.normal_(0.0, 1e-6, gen);
    // nn.Linear / nn.Conv2d defaults: kaiming_uniform(a=sqrt(5)) == U(+-1/sqrt(fan_in)) for the
    // weight, and the same bound for the bias.
    int64_t fanIn = 1;
    if (endsWith(n, ".weight")) {
        for (size_t i = 1; i < spec.shape.size(); ++i)
            fanIn *= spec.shape[i];
    } else if (n == "head.bias") {
        fanIn = c.hidden;
    } else if (n == "transformer.embeddings.patch_embeddings.bias") {
        fanIn = c.channels * c.patch * c.patch;
    } else {
        fanIn = c.hidden; // attention projections are d -> d
    }
    uniformBound(1.0 / std::sqrt(double(fanIn)));
    return t;
}

} // namespace

torch::Tensor sinusoidPositionTable(int64_t tokens, int64_t hidden) {
    auto table = torch::zeros({1, tokens, hidden}, torch::kFloat64);
    auto a = table.accessor<double, 3>();
    for (int64_t n = 0; n < tokens; ++n) {
        for (int64_t i = 0; i < hidden; i += 2) {
            const double angle = double(n) / std::pow(10000.0, double(i) / double(hidden));
            a[0][n][i] = std::sin(angle);
            if (i + 1 < hidden) a[0][n][i + 1] = std::cos(angle);
        }
    }
    return table.to(torch::kFloat32);
}

torch::Tensor uitStaticLevelTable(int64_t levels, int64_t tokens, int64_t hidden) {
    auto table = torch::zeros({levels, 1, tokens, hidden}, torch::kFloat64);
    auto a = table.accessor<double, 4>();
    for (int64_t t = 1; t <= levels; ++t) {
        for (int64_t i = 1; i <= tokens; ++i) {
            for (int64_t k = 1; k <= hidden; ++k) {
                const double denom = std::pow(10000.0, 2.0 * double(k) / double(hidden));
                const bool even = k % 2 == 0;
                const double fi = even ? std::sin(double(i) / denom) : std::cos(double(i) / denom);
                const double ft = even ? std::sin(double(t) / denom) : std::cos(double(t) / denom);
                a[t - 1][0][i - 1][k - 1] = fi + ft;
            }
        }
    }
    return table.to(torch::kFloat32);
}

std::unique_ptr<VisionModel> createModel(const ModelConfig& config, uint64_t seed) {
    config.validate();
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    StateDict weights;
    for (const auto& spec : parameterLayout(config))
        weights.set(spec.name, initialTensor(config, spec, gen));
    return instantiate(config, std::move(weights));
}

std::unique_ptr<VisionModel> modelFromWeights(const ModelConfig& config, const StateDict& weights) {
    config.validate();
    const auto layout = parameterLayout(config);
    std::vector<std::string> problems;
    StateDict ordered;
    std::unordered_set<const void*> usedStorages;
    for (const auto& spec : layout) {
        const torch::Tensor* t = weights.find(spec.name);
        if (!t) {
            problems.push_back("missing tensor '" + spec.name + "' (model expects " +
                               shapeString(spec.shape) + ")");
            continue;
        }
        if (t->sizes().vec() != spec.shape) {
            problems.push_back("tensor '" + spec.name + "' has shape " +
                               shapeString(t->sizes().vec()) +
                               " in the checkpoint, the model expects " + shapeString(spec.shape));
            continue;
        }
        ordered.set(spec.name, parameterTensor(*t, usedStorages));
    }
    std::unordered_map<std::string, bool> expected;
    for (const auto& spec : layout)
        expected[spec.name] = true;
    for (const auto& e : weights)
        if (!expected.count(e.first))
            problems.push_back("unexpected tensor '" + e.first + "' " +
                               shapeString(e.second.sizes().vec()) + " for a " +
                               familyName(config.family) + " model");
    if (!problems.empty()) {
        std::ostringstream msg;
        msg << "weights do not fit " << config.summary() << ": ";
        const size_t shown = std::min<size_t>(problems.size(), 8);
        for (size_t i = 0; i < shown; ++i)
            msg << (i ? "; " : "") << problems[i];
        if (problems.size() > shown) msg << "; and " << problems.size() - shown << " more";
        throw ModelMismatchError(msg.str());
    }
    return instantiate(config, std::move(ordered));
}

} // namespace ringscope
