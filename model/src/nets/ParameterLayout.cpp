#include "ringscope/model/nets/ParameterLayout.h"

#include <sstream>

namespace ringscope {

namespace {

class LayoutBuilder {
public:
    void add(const std::string& name, std::vector<int64_t> shape, bool trainable = true) {
        specs.push_back({name, std::move(shape), trainable});
    }
    void linear(const std::string& prefix, int64_t out, int64_t in) {
        add(prefix + ".weight", {out, in});
        add(prefix + ".bias", {out});
    }
    void norm(const std::string& prefix, int64_t d) {
        add(prefix + ".weight", {d});
        add(prefix + ".bias", {d});
    }
    void mlp(const std::string& prefix, int64_t d, int64_t m) {
        linear(prefix + ".fc1", m, d);
        linear(prefix + ".fc2", d, m);
    }
    void attention(const std::string& prefix, int64_t d) {
        for (const char* p : {".query", ".key", ".value", ".out"})
            linear(prefix + p, d, d);
    }
    std::vector<ParameterSpec> specs;
};

const std::string kEnc = "transformer.encoder.";

void embeddings(LayoutBuilder& b, const ModelConfig& c, bool withPositions) {
    const int64_t d = c.hidden;
    b.add("transformer.embeddings.cls_token", {1, 1, d});
    b.add("transformer.embeddings.patch_embeddings.weight", {d, c.channels, c.patch, c.patch});
    b.add("transformer.embeddings.patch_embeddings.bias", {d});
    if (withPositions)
        b.add("transformer.embeddings.position_embeddings.pos_embed", {1, c.tokens(), d}, false);
}

void tail(LayoutBuilder& b, const ModelConfig& c) {
    b.norm(kEnc + "encoder_norm", c.hidden);
}

void vit(LayoutBuilder& b, const ModelConfig& c) {
    embeddings(b, c, true);
    for (int64_t l = 0; l < c.depth; ++l) {
        const std::string p = kEnc + "layer." + std::to_string(l);
        b.norm(p + ".attention_norm", c.hidden);
        b.norm(p + ".ffn_norm", c.hidden);
        b.mlp(p + ".ffn", c.hidden, c.mlp);
        b.attention(p + ".attn", c.hidden);
    }
    tail(b, c);
}

void owf(LayoutBuilder& b, const ModelConfig& c) {
    embeddings(b, c, true);
    for (int64_t l = 0; l < c.depth; ++l) {
        const std::string p = kEnc + "attn_blocks." + std::to_string(l);
        b.norm(p + ".attention_norm", c.hidden);
        b.attention(p + ".attn", c.hidden);
    }
    b.norm(kEnc + "ff_block.ff_norm", c.hidden);
    b.mlp(kEnc + "ff_block.ffn", c.hidden, c.mlp);
    tail(b, c);
}

void uit(LayoutBuilder& b, const ModelConfig& c) {
    embeddings(b, c, false);
    if (c.encoding == LevelEncoding::Learnable)
        b.add(kEnc + "level_embed.level_embed.weight", {c.depth * c.tokens(), c.hidden});
    else
        b.add(kEnc + "level_embed.level_embed", {c.depth, 1, c.tokens(), c.hidden}, false);
    const std::string p = kEnc + "layers.0";
    b.norm(p + ".attention_norm", c.hidden);
    b.norm(p + ".ff_norm", c.hidden);
    b.mlp(p + ".ffn", c.hidden, c.mlp);
    b.attention(p + ".attn", c.hidden);
    tail(b, c);
}

void ringformer(LayoutBuilder& b, const ModelConfig& c) {
    embeddings(b, c, true);
    const std::vector<int64_t> factor{c.depth, c.rank, c.hidden};
    for (const char* x : {"Q", "K", "V"})
        b.add(kEnc + "ATTN_lev_embed_" + x + "_01", factor);
    for (const char* x : {"Q", "K", "V"})
        b.add(kEnc + "ATTN_lev_embed_" + x + "_02", factor);
    b.add(kEnc + "lev_embed_FF_01", factor);
    b.add(kEnc + "lev_embed_FF_02", factor);
    const std::string p = kEnc + "layers.0";
    b.mlp(p + ".ffn", c.hidden, c.mlp);
    b.attention(p + ".attn", c.hidden);
    tail(b, c);
    for (int64_t t = 0; t < c.depth; ++t)
        b.norm(kEnc + "ATTN_layer_norms." + std::to_string(t), c.hidden);
    for (int64_t t = 0; t < c.depth; ++t)
        b.norm(kEnc + "FF_layer_norms." + std::to_string(t), c.hidden);
}

/// timm's VisionTransformer, in its state-dict order (Hugging Face ViTs are read into it).
void timmVit(LayoutBuilder& b, const ModelConfig& c) {
    const TimmVariant& v = c.timm;
    const int64_t d = c.hidden, g2 = c.gridSize() * c.gridSize();
    if (v.classToken) b.add("cls_token", {1, 1, d});
    b.add("pos_embed", {1, g2 + (v.posEmbedPrefix ? v.prefixTokens() : 0), d});
    if (v.distilled) b.add("dist_token", {1, 1, d});
    b.add("patch_embed.proj.weight", {d, c.channels, c.patch, c.patch});
    b.add("patch_embed.proj.bias", {d});
    for (int64_t l = 0; l < c.depth; ++l) {
        const std::string p = "blocks." + std::to_string(l);
        b.norm(p + ".norm1", d);
        b.add(p + ".attn.qkv.weight", {3 * d, d});
        if (v.qkvBias) b.add(p + ".attn.qkv.bias", {3 * d});
        b.linear(p + ".attn.proj", d, d);
        if (v.layerScale) b.add(p + ".ls1.gamma", {d});
        b.norm(p + ".norm2", d);
        b.mlp(p + ".mlp", d, c.mlp);
        if (v.layerScale) b.add(p + ".ls2.gamma", {d});
    }
    if (v.finalNorm) b.norm("norm", d);
    if (v.fcNorm) b.norm("fc_norm", d);
    b.linear("head", c.classes, d);
    if (v.distilled) b.linear("head_dist", c.classes, d);
}

} // namespace

std::vector<ParameterSpec> parameterLayout(const ModelConfig& config) {
    LayoutBuilder b;
    switch (config.family) {
    case Family::ViT:
        vit(b, config);
        break;
    case Family::OWF:
        owf(b, config);
        break;
    case Family::UiT:
        uit(b, config);
        break;
    case Family::RingFormer:
        ringformer(b, config);
        break;
    case Family::TimmViT:
        timmVit(b, config);
        return b.specs; // the heads are part of its layout
    }
    b.linear("head", config.classes, config.hidden);
    return b.specs;
}

std::string shapeString(const std::vector<int64_t>& shape) {
    std::ostringstream s;
    s << "[";
    for (size_t i = 0; i < shape.size(); ++i)
        s << (i ? ", " : "") << shape[i];
    s << "]";
    return s.str();
}

} // namespace ringscope
