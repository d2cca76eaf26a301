#include "ringscope/model/nets/ModelConfig.h"

#include "ringscope/model/core/Error.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace ringscope {

namespace {
std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}
} // namespace

std::string familyName(Family family) {
    switch (family) {
    case Family::ViT:
        return "vit";
    case Family::OWF:
        return "owf";
    case Family::UiT:
        return "uit";
    case Family::RingFormer:
        return "ringformer";
    case Family::TimmViT:
        return "timm-vit";
    }
    return "unknown";
}

std::string familyDisplayName(Family family) {
    switch (family) {
    case Family::ViT:
        return "ViT";
    case Family::OWF:
        return "OWF";
    case Family::UiT:
        return "UiT";
    case Family::RingFormer:
        return "RingFormer";
    case Family::TimmViT:
        return "ViT (timm)";
    }
    return "unknown";
}

Family parseFamily(const std::string& name) {
    const std::string n = lower(name);
    if (n == "vit") return Family::ViT;
    if (n == "owf") return Family::OWF;
    if (n == "uit") return Family::UiT;
    if (n == "ringformer") return Family::RingFormer;
    if (n == "timm-vit" || n == "timm") return Family::TimmViT;
    throw RingScopeError("unknown model family '" + name +
                         "' (expected vit, owf, uit, ringformer or timm-vit)");
}

std::string encodingName(LevelEncoding encoding) {
    switch (encoding) {
    case LevelEncoding::None:
        return "none";
    case LevelEncoding::Static:
        return "static";
    case LevelEncoding::Learnable:
        return "learnable";
    }
    return "none";
}

LevelEncoding parseEncoding(const std::string& name) {
    const std::string n = lower(name);
    if (n == "none" || n.empty()) return LevelEncoding::None;
    if (n == "static") return LevelEncoding::Static;
    if (n == "learnable") return LevelEncoding::Learnable;
    throw RingScopeError("unknown level encoding '" + name + "' (expected static or learnable)");
}

bool isRecurrent(Family family) {
    return family == Family::UiT || family == Family::RingFormer;
}

std::string TimmVariant::originName() const {
    return origin == "hf" ? "Hugging Face ViT" : origin == "deit" ? "DeiT" : "timm ViT";
}

std::string TimmVariant::describe() const {
    std::string s = originName();
    if (distilled) s += ", distillation token";
    if (!classToken) s += ", no class token";
    if (avgPool) s += ", avg pool";
    if (fcNorm) s += " + fc_norm";
    if (!posEmbedPrefix) s += ", no position embedding for the prefix tokens";
    if (layerScale) s += ", layer scale";
    if (!qkvBias) s += ", no qkv bias";
    return s;
}

bool TimmVariant::operator==(const TimmVariant& o) const {
    return classToken == o.classToken && distilled == o.distilled &&
           posEmbedPrefix == o.posEmbedPrefix && finalNorm == o.finalNorm && avgPool == o.avgPool &&
           fcNorm == o.fcNorm && layerScale == o.layerScale && qkvBias == o.qkvBias && eps == o.eps;
}

void ModelConfig::validate() const {
    auto fail = [](const std::string& what) {
        throw ModelMismatchError("invalid model configuration: " + what);
    };
    auto positive = [&](int64_t v, const char* name) {
        if (v <= 0) fail(std::string(name) + " must be positive (got " + std::to_string(v) + ")");
    };
    positive(imageSize, "image size");
    positive(channels, "channels");
    positive(patch, "patch");
    positive(hidden, "hidden size");
    positive(heads, "heads");
    positive(mlp, "MLP size");
    positive(depth, "depth");
    positive(classes, "classes");
    if (family == Family::RingFormer) positive(rank, "rank");
    if (imageSize % patch != 0)
        fail("image size " + std::to_string(imageSize) + " is not a multiple of patch " +
             std::to_string(patch));
    if (hidden % heads != 0)
        fail("hidden size " + std::to_string(hidden) + " is not divisible by " +
             std::to_string(heads) + " heads");
    if (family == Family::UiT && encoding == LevelEncoding::None)
        fail("a UiT needs a level encoding (static or learnable)");
    if (family != Family::UiT && encoding != LevelEncoding::None)
        fail("only a UiT has a level encoding");
    if (dropout < 0.0 || dropout >= 1.0) fail("dropout must be in [0, 1)");
    if (family == Family::TimmViT) {
        if (timm.distilled && !timm.classToken) fail("a distillation token needs a class token");
        if (!timm.classToken && !timm.avgPool)
            fail("a ViT without a class token must pool the patch tokens");
        if (!(timm.eps > 0 && timm.eps < 1)) fail("the LayerNorm epsilon must lie in (0, 1)");
    }
    const int64_t limit = int64_t(1) << 20;
    if (imageSize > 16384 || hidden > limit || mlp > limit || depth > 4096 || classes > limit ||
        channels > 64 || rank > limit || tokens() > 65536)
        fail("sizes beyond what RingScope supports");
}

std::string ModelConfig::familyLabel() const {
    return family == Family::TimmViT ? timm.originName() : familyDisplayName(family);
}

std::string ModelConfig::summary() const {
    std::ostringstream s;
    s << familyLabel();
    if (family == Family::UiT) s << " (" << encodingName(encoding) << " encoding)";
    s << " d=" << hidden << " H=" << heads << (isRecurrent(family) ? " T=" : " L=") << depth;
    if (family == Family::RingFormer) s << " r=" << rank;
    s << " mlp=" << mlp << ", patch " << patch << " on " << imageSize << "x" << imageSize << "x"
      << channels << ", " << classes << " classes";
    return s.str();
}

nlohmann::json ModelConfig::toJson() const {
    nlohmann::json j;
    j["family"] = familyName(family);
    if (family == Family::UiT) j["encoding"] = encodingName(encoding);
    j["image_size"] = imageSize;
    j["channels"] = channels;
    j["patch"] = patch;
    j["hidden"] = hidden;
    j["heads"] = heads;
    j["mlp"] = mlp;
    j["depth"] = depth;
    if (family == Family::RingFormer) j["rank"] = rank;
    j["classes"] = classes;
    j["dropout"] = dropout;
    if (family == Family::TimmViT)
        j["timm"] = {{"origin", timm.origin},        {"class_token", timm.classToken},
                     {"distilled", timm.distilled},  {"pos_embed_prefix", timm.posEmbedPrefix},
                     {"final_norm", timm.finalNorm}, {"avg_pool", timm.avgPool},
                     {"fc_norm", timm.fcNorm},       {"layer_scale", timm.layerScale},
                     {"qkv_bias", timm.qkvBias},     {"eps", timm.eps}};
    return j;
}

ModelConfig ModelConfig::fromJson(const nlohmann::json& j) {
    if (!j.is_object()) throw RingScopeError("model configuration is not a JSON object");
    ModelConfig c;
    try {
        if (j.contains("family")) c.family = parseFamily(j.at("family").get<std::string>());
        c.encoding = c.family == Family::UiT ? LevelEncoding::Static : LevelEncoding::None;
        if (j.contains("encoding")) c.encoding = parseEncoding(j.at("encoding").get<std::string>());
        auto get = [&](const char* key, int64_t& v) {
            if (j.contains(key) && !j.at(key).is_null()) v = j.at(key).get<int64_t>();
        };
        get("image_size", c.imageSize);
        get("channels", c.channels);
        get("patch", c.patch);
        get("hidden", c.hidden);
        get("heads", c.heads);
        get("mlp", c.mlp);
        get("depth", c.depth);
        get("rank", c.rank);
        get("classes", c.classes);
        if (j.contains("dropout")) c.dropout = j.at("dropout").get<double>();
        if (j.contains("timm") && j.at("timm").is_object()) {
            const nlohmann::json& t = j.at("timm");
            TimmVariant& v = c.timm;
            v.origin = t.value("origin", v.origin);
            v.classToken = t.value("class_token", v.classToken);
            v.distilled = t.value("distilled", v.distilled);
            v.posEmbedPrefix = t.value("pos_embed_prefix", v.posEmbedPrefix);
            v.finalNorm = t.value("final_norm", v.finalNorm);
            v.avgPool = t.value("avg_pool", v.avgPool);
            v.fcNorm = t.value("fc_norm", v.fcNorm);
            v.layerScale = t.value("layer_scale", v.layerScale);
            v.qkvBias = t.value("qkv_bias", v.qkvBias);
            v.eps = t.value("eps", v.eps);
        }
    } catch (const nlohmann::json::exception& e) {
        throw RingScopeError(std::string("bad model configuration: ") + e.what());
    }
    return c;
}

bool ModelConfig::operator==(const ModelConfig& o) const {
    return family == o.family && encoding == o.encoding && imageSize == o.imageSize &&
           channels == o.channels && patch == o.patch && hidden == o.hidden && heads == o.heads &&
           mlp == o.mlp && depth == o.depth && (family != Family::RingFormer || rank == o.rank) &&
           classes == o.classes && (family != Family::TimmViT || timm == o.timm);
}

} // namespace ringscope
