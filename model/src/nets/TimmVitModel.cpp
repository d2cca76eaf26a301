#include "nets/TimmVitModel.h"

#include "ringscope/model/nets/FastOps.h"

namespace ringscope {

torch::Tensor TimmVitModel::timmNorm(const torch::Tensor& x, const std::string& prefix) const {
    return norm(x, prefix, config().timm.eps);
}

torch::Tensor TimmVitModel::embed(const torch::Tensor& images,
                                  const ForwardOptions& options) const {
    const TimmVariant& v = config().timm;
    const int64_t B = images.size(0), d = config().hidden;
    torch::Tensor x = patchEmbedding(images, w("patch_embed.proj.weight"),
                                     w("patch_embed.proj.bias")); // [B, g*g, d], row-major grid
    std::vector<torch::Tensor> prefix;
    if (v.classToken) prefix.push_back(w("cls_token").expand({B, 1, d}));
    if (v.distilled) prefix.push_back(w("dist_token").expand({B, 1, d}));
    if (!v.posEmbedPrefix) x = x + w("pos_embed"); // no_embed_class: positions for patches only
    if (!prefix.empty()) {
        prefix.push_back(x);
        x = torch::cat(prefix, 1);
    }
    if (v.posEmbedPrefix) x = x + w("pos_embed");
    return dropout(x, options);
}

torch::Tensor TimmVitModel::encode(torch::Tensor x, const ForwardOptions& options,
                                   ForwardTrace* trace) const {
    const TimmVariant& v = config().timm;
    for (int64_t l = 0, k = applicationsFor(options); l < k; ++l) {
        const std::string p = "blocks." + std::to_string(l);
        const torch::Tensor* bias = weights().find(p + ".attn.qkv.bias");
        const torch::Tensor qkv =
            linear(timmNorm(x, p + ".norm1"), w(p + ".attn.qkv.weight"),
                   bias ? *bias : torch::zeros({3 * config().hidden}, x.options()));
        const torch::Tensor context = attend(qkv, options, trace);
        if (v.layerScale) { // x + gamma * branch: the sum stays outside the product
            x = x + branchOutput(context, p + ".attn.proj", options, {}) * w(p + ".ls1.gamma");
            x = x + mlp(timmNorm(x, p + ".norm2"), p + ".mlp", options) * w(p + ".ls2.gamma");
        } else {
            x = branchOutput(context, p + ".attn.proj", options, x);
            x = mlp(timmNorm(x, p + ".norm2"), p + ".mlp", options, x);
        }
        recordHidden(trace, x);
    }
    return x;
}

torch::Tensor TimmVitModel::finalNorm(const torch::Tensor& x) const {
    return config().timm.finalNorm ? timmNorm(x, "norm") : x;
}

torch::Tensor TimmVitModel::head(const torch::Tensor& normed) const {
    const TimmVariant& v = config().timm;
    if (v.avgPool) {
        torch::Tensor pooled =
            normed.narrow(1, v.prefixTokens(), normed.size(1) - v.prefixTokens()).mean(1);
        if (v.fcNorm) pooled = timmNorm(pooled, "fc_norm");
        return linear(pooled, w("head.weight"), w("head.bias"));
    }
    torch::Tensor logits = linear(normed.select(1, 0), w("head.weight"), w("head.bias"));
    if (v.distilled) // DeiT's eval forward: the mean of the class and distillation heads
        logits =
            (logits + linear(normed.select(1, 1), w("head_dist.weight"), w("head_dist.bias"))) / 2;
    return logits;
}

ForwardOutput TimmVitModel::readout(const torch::Tensor& x) const {
    ForwardOutput out;
    out.encoded = finalNorm(x);
    out.logits = head(out.encoded);
    return out;
}

torch::Tensor TimmVitModel::classLens(const torch::Tensor& hidden) const {
    return head(finalNorm(hidden));
}

} // namespace ringscope
