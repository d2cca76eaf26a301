#include "ringscope/model/nets/ArchitectureInference.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/ParameterLayout.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>

namespace ringscope {

namespace {

const std::string kEnc = "transformer.encoder.";

std::vector<int64_t> shapeOf(const StateDict& w, const std::string& key, size_t rank) {
    const torch::Tensor* t = w.find(key);
    if (!t) throw ModelMismatchError("cannot infer the architecture: missing tensor '" + key + "'");
    auto s = t->sizes().vec();
    if (s.size() != rank)
        throw ModelMismatchError("cannot infer the architecture: tensor '" + key + "' has shape " +
                                 shapeString(s) + ", expected " + std::to_string(rank) +
                                 " dimensions");
    return s;
}

/// Number of consecutive indices i = 0.. for which `prefix + i + suffix` exists.
int64_t countIndexed(const StateDict& w, const std::string& prefix, const std::string& suffix) {
    int64_t n = 0;
    while (w.contains(prefix + std::to_string(n) + suffix))
        ++n;
    return n;
}

Family detectFamily(const StateDict& w, LevelEncoding& encoding) {
    encoding = LevelEncoding::None;
    if (w.contains("patch_embed.proj.weight") && w.contains("blocks.0.attn.qkv.weight"))
        return Family::TimmViT;
    if (w.contains(kEnc + "ATTN_lev_embed_Q_01")) return Family::RingFormer;
    if (w.contains(kEnc + "attn_blocks.0.attn.query.weight")) return Family::OWF;
    if (w.contains(kEnc + "layer.0.attn.query.weight")) return Family::ViT;
    if (w.contains(kEnc + "level_embed.level_embed")) {
        encoding = LevelEncoding::Static;
        return Family::UiT;
    }
    if (w.contains(kEnc + "level_embed.level_embed.weight")) {
        encoding = LevelEncoding::Learnable;
        return Family::UiT;
    }
    std::string sample;
    for (size_t i = 0; i < std::min<size_t>(3, w.size()); ++i)
        sample += (i ? ", '" : "'") + w.entries()[i].first + "'";
    throw ModelMismatchError("the weights match none of the model families RingScope runs "
                             "(the RingFormer code's ViT, OWF, UiT, RingFormer; timm and "
                             "Hugging Face ViTs); first keys: " +
                             (sample.empty() ? "none" : sample));
}

/// Image sizes tried first, most common first.
const int64_t kCommonImageSizes[] = {32, 28, 224, 64, 96, 384, 256, 128, 16, 48};

/// How plausible a reading of a level table is (lower: likelier): a common image size with
/// more than one level ranks by the size's place in kCommonImageSizes, everything else after.
int plausibility(const TableShape& t) {
    for (size_t i = 0; i < std::size(kCommonImageSizes); ++i)
        if (kCommonImageSizes[i] == t.imageSize) return t.levels > 1 ? int(i) : int(i) + 100;
    return 1000;
}

/// A common image size with more than one level.
bool isCommonReading(const TableShape& t) {
    return plausibility(t) < 100;
}

std::string describeShapes(const std::vector<TableShape>& shapes) {
    std::string out;
    for (size_t i = 0; i < shapes.size() && i < 8; ++i)
        out += (i ? ", " : "") + std::to_string(shapes[i].levels) + " levels at " +
               std::to_string(shapes[i].imageSize) + " px";
    if (shapes.size() > 8) out += " and " + std::to_string(shapes.size() - 8) + " more";
    return out;
}

int64_t gridFromTokens(int64_t tokens, const std::string& key) {
    const int64_t g =
        static_cast<int64_t>(std::llround(std::sqrt(double(std::max<int64_t>(tokens - 1, 0)))));
    if (g <= 0 || g * g + 1 != tokens)
        throw ModelMismatchError("tensor '" + key + "' holds " + std::to_string(tokens) +
                                 " tokens, which is not a square grid plus the CLS token");
    return g;
}

/// Learnable UiT: the table has T*N rows and neither T nor N is stored separately.
void resolveLearnableTable(ModelConfig& c, int64_t rows, const InferenceHints& hints,
                           const nlohmann::json& metaConfig) {
    auto fromMeta = [&](const char* k) -> int64_t {
        return metaConfig.is_object() && metaConfig.contains(k) && metaConfig[k].is_number_integer()
                   ? metaConfig[k].get<int64_t>()
                   : 0;
    };
    const int64_t image = hints.imageSize.value_or(fromMeta("image_size"));
    const int64_t levels = hints.levels.value_or(fromMeta("depth"));
    const std::string key = kEnc + "level_embed.level_embed.weight";
    const std::vector<TableShape> candidates = learnableTableShapes(rows, c.patch);
    if (candidates.empty())
        throw ModelMismatchError("tensor '" + key + "' has " + std::to_string(rows) +
                                 " rows, which is no multiple of a token count");
    std::vector<TableShape> fitting;
    for (const TableShape& t : candidates)
        if ((image <= 0 || t.imageSize == image) && (levels <= 0 || t.levels == levels))
            fitting.push_back(t);
    if (fitting.empty())
        throw ModelMismatchError(
            "tensor '" + key + "' has " + std::to_string(rows) + " rows, which does not fit " +
            (image > 0 ? "image size " + std::to_string(image) : std::string()) +
            (image > 0 && levels > 0 ? " and " : "") +
            (levels > 0 ? std::to_string(levels) + " levels" : std::string()) + "; it fits " +
            describeShapes(candidates));
    if (fitting.size() > 1 && image <= 0 && levels <= 0) {
        // Without a hint, the one reading at a common image size with more than one level
        // decides; with several such readings the user must say.
        std::vector<TableShape> common;
        for (const TableShape& t : fitting)
            if (isCommonReading(t)) common.push_back(t);
        if (common.size() == 1) fitting = common;
    }
    if (fitting.size() > 1)
        throw AmbiguousShapeError(
            "the learnable level table '" + key + "' (" + std::to_string(rows) + " rows) fits " +
                describeShapes(fitting) +
                ": give --image-size S or --levels T (in the app: the model shape dialog)",
            fitting);
    c.imageSize = fitting.front().imageSize;
    c.depth = fitting.front().levels;
}

} // namespace

std::vector<TableShape> learnableTableShapes(int64_t rows, int64_t patch) {
    std::vector<TableShape> out;
    for (int64_t g = 1; g * g + 1 <= rows; ++g)
        if (rows % (g * g + 1) == 0) out.push_back({g * patch, rows / (g * g + 1)});
    std::stable_sort(out.begin(), out.end(), [](const TableShape& a, const TableShape& b) {
        return plausibility(a) < plausibility(b);
    });
    return out;
}

std::string headsSourceName(HeadsSource source) {
    switch (source) {
    case HeadsSource::Metadata:
        return "file metadata";
    case HeadsSource::Option:
        return "--heads option";
    case HeadsSource::PublishedTable:
        return "published-configuration table";
    case HeadsSource::HuggingFaceConfig:
        return "config.json";
    case HeadsSource::TimmTable:
        return "timm's standard width";
    case HeadsSource::Unknown:
        return "unknown";
    }
    return "unknown";
}

int64_t publishedHeads(int64_t hidden) {
    static const std::map<int64_t, int64_t> table{{512, 8}, {768, 12}, {1024, 16}, {1280, 16},
                                                  {728, 8}, {848, 8},  {1284, 12}, {1560, 12}};
    auto it = table.find(hidden);
    return it == table.end() ? 0 : it->second;
}

int64_t timmStandardHeads(int64_t hidden) {
    static const std::map<int64_t, int64_t> table{
        {192, 3}, {384, 6}, {768, 12}, {1024, 16}, {1280, 16}};
    auto it = table.find(hidden);
    return it == table.end() ? 0 : it->second;
}

namespace {

bool isSquare(int64_t n, int64_t& side) {
    if (n <= 0) return false;
    side = static_cast<int64_t>(std::llround(std::sqrt(double(n))));
    return side * side == n;
}

/// A timm VisionTransformer (or a Hugging Face ViT read into timm's names).
void inferTimm(const StateDict& w, const InferenceHints& hints, const nlohmann::json& metaConfig,
               ModelConfig& c) {
    TimmVariant& v = c.timm;
    if (metaConfig.is_object() && metaConfig.contains("timm"))
        v = ModelConfig::fromJson(metaConfig).timm; // what the file says about itself
    const auto pe = shapeOf(w, "patch_embed.proj.weight", 4);
    c.hidden = pe[0];
    c.channels = pe[1];
    c.patch = pe[2];
    if (pe[2] != pe[3])
        throw ModelMismatchError("tensor 'patch_embed.proj.weight' has shape " + shapeString(pe) +
                                 ", expected square patches [d, C, P, P]");
    c.depth = countIndexed(w, "blocks.", ".attn.qkv.weight");
    c.mlp = shapeOf(w, "blocks.0.mlp.fc1.weight", 2)[0];
    c.classes = shapeOf(w, "head.weight", 2)[0];
    v.classToken = w.contains("cls_token");
    v.distilled = w.contains("dist_token");
    if (v.distilled && v.origin == "timm") v.origin = "deit";
    if (!hints.huggingFaceConfig.is_null()) v.origin = "hf";
    v.layerScale = w.contains("blocks.0.ls1.gamma");
    v.qkvBias = w.contains("blocks.0.attn.qkv.bias");
    v.finalNorm = w.contains("norm.weight");
    v.fcNorm = w.contains("fc_norm.weight");
    if (v.fcNorm || !v.classToken) v.avgPool = true;
    const int64_t positions = shapeOf(w, "pos_embed", 3)[1];
    int64_t g = 0;
    if (isSquare(positions - v.prefixTokens(), g)) {
        v.posEmbedPrefix = true;
    } else if (isSquare(positions, g)) {
        v.posEmbedPrefix = false; // no_embed_class
    } else {
        throw ModelMismatchError("tensor 'pos_embed' holds " + std::to_string(positions) +
                                 " positions, which is no square patch grid (with or without " +
                                 std::to_string(v.prefixTokens()) + " prefix tokens)");
    }
    c.imageSize = g * c.patch;
    const nlohmann::json& hf = hints.huggingFaceConfig;
    if (hf.is_object() && hf.contains("layer_norm_eps") && hf["layer_norm_eps"].is_number())
        v.eps = hf["layer_norm_eps"].get<double>();
    else if (v.origin == "hf")
        v.eps = 1e-12; // transformers' ViTConfig default
}

/// A positive integer `key` of `object`, or 0.
int64_t positiveInteger(const nlohmann::json& object, const char* key) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_number_integer()) return 0;
    return std::max<int64_t>(0, object[key].get<int64_t>());
}

/// The heads of a timm ViT: config.json (transformers' num_attention_heads, timm's
/// model_args.num_heads), else timm's standard widths.
void timmHeads(const InferenceHints& hints, InferredConfig& out) {
    const nlohmann::json& t = hints.timmConfig;
    const int64_t fromConfig = std::max(
        positiveInteger(hints.huggingFaceConfig, "num_attention_heads"),
        t.is_object() && t.contains("model_args") ? positiveInteger(t["model_args"], "num_heads")
                                                  : int64_t(0));
    if (fromConfig > 0) {
        out.config.heads = fromConfig;
        out.headsSource = HeadsSource::HuggingFaceConfig;
    } else if (timmStandardHeads(out.config.hidden) > 0) {
        out.config.heads = timmStandardHeads(out.config.hidden);
        out.headsSource = HeadsSource::TimmTable;
    }
}

} // namespace

namespace {

void inferPublished(const StateDict& w, const InferenceHints& hints,
                    const nlohmann::json& metaConfig, ModelConfig& c) {
    const auto cls = shapeOf(w, "transformer.embeddings.cls_token", 3);
    c.hidden = cls[2];
    const auto pe = shapeOf(w, "transformer.embeddings.patch_embeddings.weight", 4);
    c.channels = pe[1];
    c.patch = pe[2];
    if (pe[0] != c.hidden || pe[2] != pe[3])
        throw ModelMismatchError(
            "tensor 'transformer.embeddings.patch_embeddings.weight' has shape " + shapeString(pe) +
            ", expected [" + std::to_string(c.hidden) + ", C, P, P]");
    const auto head = shapeOf(w, "head.weight", 2);
    c.classes = head[0];

    std::string mlpKey;
    switch (c.family) {
    case Family::ViT:
        c.depth = countIndexed(w, kEnc + "layer.", ".attn.query.weight");
        mlpKey = kEnc + "layer.0.ffn.fc1.weight";
        break;
    case Family::OWF:
        c.depth = countIndexed(w, kEnc + "attn_blocks.", ".attn.query.weight");
        mlpKey = kEnc + "ff_block.ffn.fc1.weight";
        break;
    case Family::UiT:
        mlpKey = kEnc + "layers.0.ffn.fc1.weight";
        break;
    case Family::RingFormer: {
        const auto f = shapeOf(w, kEnc + "ATTN_lev_embed_Q_01", 3);
        c.depth = f[0];
        c.rank = f[1];
        mlpKey = kEnc + "layers.0.ffn.fc1.weight";
        break;
    }
    case Family::TimmViT:
        break; // inferTimm
    }
    c.mlp = shapeOf(w, mlpKey, 2)[0];

    if (c.family == Family::UiT && c.encoding == LevelEncoding::Static) {
        const std::string key = kEnc + "level_embed.level_embed";
        const auto s = shapeOf(w, key, 4);
        c.depth = s[0];
        c.imageSize = gridFromTokens(s[2], key) * c.patch;
    } else if (c.family == Family::UiT) {
        resolveLearnableTable(c, shapeOf(w, kEnc + "level_embed.level_embed.weight", 2)[0], hints,
                              metaConfig);
    } else {
        const std::string key = "transformer.embeddings.position_embeddings.pos_embed";
        c.imageSize = gridFromTokens(shapeOf(w, key, 3)[1], key) * c.patch;
    }
}

/// Heads: the file's metadata, else --heads, else config.json or timm's widths (timm ViTs) or
/// the published table (the RingFormer code's families), else unknown (0).
void chooseHeads(const InferenceHints& hints, const nlohmann::json& metaConfig,
                 InferredConfig& out) {
    ModelConfig& c = out.config;
    if (const int64_t fromMetadata = positiveInteger(metaConfig, "heads"); fromMetadata > 0) {
        c.heads = fromMetadata;
        out.headsSource = HeadsSource::Metadata;
    } else if (hints.heads && *hints.heads > 0) {
        c.heads = *hints.heads;
        out.headsSource = HeadsSource::Option;
    } else if (c.family == Family::TimmViT) {
        c.heads = 0;
        timmHeads(hints, out);
    } else if (publishedHeads(c.hidden) > 0) {
        c.heads = publishedHeads(c.hidden);
        out.headsSource = HeadsSource::PublishedTable;
    } else {
        c.heads = 0;
    }
}

} // namespace

InferredConfig inferConfig(const StateDict& w, const InferenceHints& hints) {
    InferredConfig out;
    ModelConfig& c = out.config;
    c.family = detectFamily(w, c.encoding);
    const nlohmann::json metaConfig =
        hints.metadata.is_object() && hints.metadata.contains("config") ? hints.metadata["config"]
                                                                        : nlohmann::json();
    if (c.family == Family::TimmViT)
        inferTimm(w, hints, metaConfig, c);
    else
        inferPublished(w, hints, metaConfig, c);
    chooseHeads(hints, metaConfig, out);
    if (metaConfig.is_object() && metaConfig.contains("dropout") &&
        metaConfig["dropout"].is_number())
        c.dropout = metaConfig["dropout"].get<double>();
    return out;
}

ModelConfig requireConfig(const StateDict& weights, const InferenceHints& hints) {
    InferredConfig inferred = inferConfig(weights, hints);
    if (!inferred.headsKnown())
        throw ModelMismatchError(
            "the number of attention heads cannot be read from the weights "
            "(hidden size " +
            std::to_string(inferred.config.hidden) +
            " is not a published configuration): pass --heads N (in the app: the "
            "Attention heads dialog)");
    if (inferred.config.hidden % inferred.config.heads != 0)
        throw ModelMismatchError("hidden size " + std::to_string(inferred.config.hidden) +
                                 " is not divisible by " + std::to_string(inferred.config.heads) +
                                 " heads");
    return inferred.config;
}

} // namespace ringscope
