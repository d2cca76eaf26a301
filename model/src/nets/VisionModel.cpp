#include "ringscope/model/nets/VisionModel.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/FastOps.h"
#include "ringscope/model/nets/ParameterLayout.h"

#include <cmath>

namespace ringscope {

torch::Tensor patchEmbedding(const torch::Tensor& images, const torch::Tensor& weight,
                             const torch::Tensor& bias) {
    const int64_t B = images.size(0), C = images.size(1), P = weight.size(2), d = weight.size(0);
    const int64_t gh = images.size(2) / P, gw = images.size(3) / P;
    const torch::Tensor patches = images.narrow(2, 0, gh * P)
                                      .narrow(3, 0, gw * P)
                                      .reshape({B, C, gh, P, gw, P})
                                      .permute({0, 2, 4, 1, 3, 5}) // [B, gh, gw, C, P, P]
                                      .reshape({B * gh * gw, C * P * P});
    return linear(patches, weight.reshape({d, C * P * P}), bias).view({B, gh * gw, d});
}

std::string depthPolicyName(DepthPolicy policy) {
    switch (policy) {
    case DepthPolicy::RepeatLast:
        return "repeat-last";
    case DepthPolicy::Cycle:
        return "cycle";
    case DepthPolicy::Extend:
        return "extend";
    }
    return "repeat-last";
}

DepthPolicy parseDepthPolicy(const std::string& name) {
    if (name == "repeat-last") return DepthPolicy::RepeatLast;
    if (name == "cycle") return DepthPolicy::Cycle;
    if (name == "extend") return DepthPolicy::Extend;
    throw RingScopeError("unknown depth policy '" + name + "' (repeat-last, cycle, extend)");
}

int64_t VisionModel::applicationsFor(const ForwardOptions& options) const {
    const int64_t trained = config_.depth, k = options.applications;
    if (k == 0) return trained;
    if (k < 0 || k > 4096)
        throw ModelMismatchError("applications must lie in [1, 4096], got " + std::to_string(k));
    if (!isRecurrent(config_.family) && k > trained)
        throw ModelMismatchError("a " + familyDisplayName(config_.family) + " has " +
                                 std::to_string(trained) + " layers: it runs at most " +
                                 std::to_string(trained) + " applications, not " +
                                 std::to_string(k));
    if (k > trained && options.extend == DepthPolicy::Extend &&
        !(config_.family == Family::UiT && config_.encoding == LevelEncoding::Static))
        throw ModelMismatchError("'extend' needs a UiT with a static level encoding (its "
                                 "formula gives levels beyond the trained ones); use "
                                 "repeat-last or cycle");
    return k;
}

int64_t VisionModel::levelFor(int64_t t, const ForwardOptions& options) const {
    const int64_t trained = config_.depth;
    if (t < trained) return t;
    switch (options.extend) {
    case DepthPolicy::RepeatLast:
        return trained - 1;
    case DepthPolicy::Cycle:
        return t % trained;
    case DepthPolicy::Extend:
        return t; // the caller computes the level from its formula
    }
    return trained - 1;
}

VisionModel::VisionModel(ModelConfig config, StateDict weights)
    : config_(std::move(config)), weights_(std::move(weights)) {}

std::vector<torch::Tensor> VisionModel::trainableParameters() const {
    std::vector<torch::Tensor> params;
    for (const auto& spec : parameterLayout(config_))
        if (spec.trainable) params.push_back(weights_.at(spec.name));
    return params;
}

bool VisionModel::dropsOut(const ForwardOptions& options) const {
    return options.train && config_.dropout > 0.0;
}

torch::Tensor VisionModel::dropout(const torch::Tensor& x, const ForwardOptions& options) const {
    if (!dropsOut(options)) return x;
    if (!options.generator.defined()) return torch::dropout(x, config_.dropout, true);
    const double keep = 1.0 - config_.dropout;
    return x * torch::empty_like(x).bernoulli_(keep, options.generator).div_(keep);
}

torch::Tensor VisionModel::norm(const torch::Tensor& x, const std::string& prefix,
                                double eps) const {
    return layerNorm(x, w(prefix + ".weight"), w(prefix + ".bias"), eps);
}

torch::Tensor VisionModel::mlp(const torch::Tensor& z, const std::string& prefix,
                               const ForwardOptions& options, const torch::Tensor& skip) const {
    const torch::Tensor &w1 = w(prefix + ".fc1.weight"), &b1 = w(prefix + ".fc1.bias");
    if (skip.defined() && !dropsOut(options))
        return mlpResidual(z, w1, b1, w(prefix + ".fc2.weight"), w(prefix + ".fc2.bias"), skip);
    return branchOutput(dropout(linearGelu(z, w1, b1), options), prefix + ".fc2", options, skip);
}

torch::Tensor VisionModel::branchOutput(const torch::Tensor& h, const std::string& prefix,
                                        const ForwardOptions& options,
                                        const torch::Tensor& skip) const {
    const torch::Tensor& weight = w(prefix + ".weight");
    const torch::Tensor& bias = w(prefix + ".bias");
    if (skip.defined() && !dropsOut(options)) return linearResidual(h, weight, bias, skip);
    const torch::Tensor y = dropout(linear(h, weight, bias), options);
    return skip.defined() ? skip + y : y;
}

torch::Tensor VisionModel::attention(const torch::Tensor& u, const std::string& prefix,
                                     const ForwardOptions& options, ForwardTrace* trace,
                                     const torch::Tensor& skip) const {
    return attentionOutput(qkvProjection(u, prefix), prefix, options, trace, skip);
}

torch::Tensor VisionModel::qkvProjection(const torch::Tensor& u, const std::string& prefix) const {
    return linear(u, qkvWeight(prefix), qkvBias(prefix));
}

torch::Tensor VisionModel::attentionOutput(const torch::Tensor& qkv, const std::string& prefix,
                                           const ForwardOptions& options, ForwardTrace* trace,
                                           const torch::Tensor& skip) const {
    return branchOutput(attend(qkv, options, trace), prefix + ".out", options, skip);
}

torch::Tensor VisionModel::qkvWeight(const std::string& prefix) const {
    return torch::cat(
        {w(prefix + ".query.weight"), w(prefix + ".key.weight"), w(prefix + ".value.weight")});
}

torch::Tensor VisionModel::qkvBias(const std::string& prefix) const {
    return torch::cat(
        {w(prefix + ".query.bias"), w(prefix + ".key.bias"), w(prefix + ".value.bias")});
}

torch::Tensor VisionModel::attend(const torch::Tensor& qkvFlat, const ForwardOptions& options,
                                  ForwardTrace* trace) const {
    const int64_t B = qkvFlat.size(0), N = qkvFlat.size(1), d = config_.hidden, H = config_.heads;
    const bool mapsInGraph = trace && (trace->keepGraph || trace->editAttention);
    if (!dropsOut(options) && !mapsInGraph && fusedAttentionRuns(qkvFlat)) {
        AttentionOutput out = fusedAttention(qkvFlat, H);
        recordAttention(trace, out.probs);
        return out.context;
    }
    const int64_t dh = d / H;
    const torch::Tensor qkv = qkvFlat.view({B, N, 3, H, dh}).permute({2, 0, 3, 1, 4});
    torch::Tensor q = qkv[0], k = qkv[1], v = qkv[2]; // [B, H, N, dh]
    torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)).div_(std::sqrt(double(dh)));
    torch::Tensor probs = torch::softmax(scores, -1);
    if (trace && trace->editAttention)
        probs = trace->editAttention(trace->attentionApplications, probs);
    recordAttention(trace, probs);
    torch::Tensor context = torch::matmul(dropout(probs, options), v); // [B, H, N, dh]
    return context.transpose(1, 2).reshape({B, N, d});
}

void VisionModel::recordAttention(ForwardTrace* trace, const torch::Tensor& probs) {
    if (!trace) return;
    ++trace->attentionApplications;
    if (trace->onAttention)
        trace->onAttention(probs.detach());
    else
        trace->attention.push_back(trace->keepGraph ? probs : probs.detach());
}

void VisionModel::recordHidden(ForwardTrace* trace, const torch::Tensor& x) {
    if (trace) trace->hidden.push_back(x.detach());
}

torch::Tensor VisionModel::embed(const torch::Tensor& images, const ForwardOptions& options) const {
    const int64_t B = images.size(0), d = config_.hidden;
    const torch::Tensor patches =
        patchEmbedding(images, w("transformer.embeddings.patch_embeddings.weight"),
                       w("transformer.embeddings.patch_embeddings.bias")); // [B, g*g, d]
    torch::Tensor cls = w("transformer.embeddings.cls_token").expand({B, 1, d});
    torch::Tensor x = torch::cat({cls, patches}, 1);
    if (usesPositionTable()) x = x + w("transformer.embeddings.position_embeddings.pos_embed");
    return dropout(x, options);
}

ForwardOutput VisionModel::forward(const torch::Tensor& images, const ForwardOptions& options,
                                   ForwardTrace* trace) const {
    TORCH_CHECK(images.dim() == 4 && images.size(1) == config_.channels &&
                    images.size(2) == config_.imageSize && images.size(3) == config_.imageSize,
                "expected input [B, ", config_.channels, ", ", config_.imageSize, ", ",
                config_.imageSize, "], got ", images.sizes());
    applicationsFor(options); // refuses an impossible depth before any work
    torch::Tensor x = embed(images.to(torch::kFloat32), options);
    if (trace && trace->keepGraph) x = x.detach().requires_grad_(true);
    if (trace) trace->embedded = trace->keepGraph ? x : x.detach();
    return readout(encode(x, options, trace));
}

ForwardOutput VisionModel::readout(const torch::Tensor& x) const {
    ForwardOutput out;
    out.encoded = norm(x, "transformer.encoder.encoder_norm", 1e-6);
    out.logits = linear(out.encoded.select(1, 0), w("head.weight"), w("head.bias"));
    return out;
}

torch::Tensor VisionModel::classLens(const torch::Tensor& hidden) const {
    torch::Tensor cls = hidden.select(1, 0);
    return linear(norm(cls, "transformer.encoder.encoder_norm", 1e-6), w("head.weight"),
                  w("head.bias"));
}

} // namespace ringscope
