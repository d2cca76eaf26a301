#include "ringscope/model/nets/HuggingFaceVit.h"

#include <utility>
#include <vector>

namespace ringscope {

namespace {

const std::string kLayer = "vit.encoder.layer.";

/// Per-block renames (after "vit.encoder.layer.{l}.").
const std::pair<const char*, const char*> kBlockNames[] = {
    {"layernorm_before.", "norm1."}, {"attention.output.dense.", "attn.proj."},
    {"layernorm_after.", "norm2."},  {"intermediate.dense.", "mlp.fc1."},
    {"output.dense.", "mlp.fc2."},
};

const std::pair<const char*, const char*> kTopNames[] = {
    {"vit.embeddings.cls_token", "cls_token"},
    {"vit.embeddings.position_embeddings", "pos_embed"},
    {"vit.embeddings.patch_embeddings.projection.weight", "patch_embed.proj.weight"},
    {"vit.embeddings.patch_embeddings.projection.bias", "patch_embed.proj.bias"},
    {"vit.layernorm.weight", "norm.weight"},
    {"vit.layernorm.bias", "norm.bias"},
    {"classifier.weight", "head.weight"},
    {"classifier.bias", "head.bias"},
};

bool startsWith(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

/// "vit.encoder.layer.{l}.{rest}" -> l, rest.
bool splitBlockKey(const std::string& key, std::string& l, std::string& rest) {
    if (!startsWith(key, kLayer)) return false;
    const size_t dot = key.find('.', kLayer.size());
    if (dot == std::string::npos || dot == kLayer.size()) return false;
    l = key.substr(kLayer.size(), dot - kLayer.size());
    if (l.find_first_not_of("0123456789") != std::string::npos) return false;
    rest = key.substr(dot + 1);
    return true;
}

/// Zeros of the shape torch::cat({q, k, v}) has (q, k, v of one shape), without memory of
/// their own; q's shape where the three do not fit (the model then reports them).
torch::Tensor fusedShape(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
    std::vector<int64_t> shape = q.sizes().vec();
    if (!shape.empty() && k.sizes() == q.sizes() && v.sizes() == q.sizes()) shape[0] *= 3;
    return torch::zeros({1}, q.options()).expand(shape);
}

} // namespace

bool isHuggingFaceVit(const StateDict& w) {
    return w.contains("vit.embeddings.patch_embeddings.projection.weight") &&
           w.contains(kLayer + "0.attention.attention.query.weight");
}

StateDict timmWeightsFromHuggingFace(const StateDict& w, FusedQkv fused) {
    StateDict out;
    for (const auto& [key, tensor] : w) {
        if (startsWith(key, "vit.pooler.")) continue;
        std::string name = key;
        for (const auto& [from, to] : kTopNames)
            if (key == from) name = to;
        std::string l, rest;
        if (splitBlockKey(key, l, rest)) {
            if (startsWith(rest, "attention.attention.")) {
                // query, key, value -> one qkv, in that order (added once, at the query).
                const std::string leaf = rest.substr(rest.rfind('.') + 1); // weight / bias
                const std::string base = kLayer + l + ".attention.attention.";
                if (rest == "attention.attention.query." + leaf) {
                    const torch::Tensor* k = w.find(base + "key." + leaf);
                    const torch::Tensor* v = w.find(base + "value." + leaf);
                    if (k && v) {
                        out.set("blocks." + l + ".attn.qkv." + leaf,
                                fused == FusedQkv::Values ? torch::cat({tensor, *k, *v})
                                                          : fusedShape(tensor, *k, *v));
                        continue;
                    }
                } else if (w.contains(base + "query." + leaf) &&
                           (rest == "attention.attention.key." + leaf ||
                            rest == "attention.attention.value." + leaf)) {
                    continue; // fused at the query
                }
            }
            for (const auto& [from, to] : kBlockNames)
                if (startsWith(rest, from))
                    name = "blocks." + l + "." + to + rest.substr(std::string(from).size());
        }
        out.set(name, tensor);
    }
    return out;
}

} // namespace ringscope
