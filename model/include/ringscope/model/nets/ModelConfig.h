#pragma once
/// @file ModelConfig.h
/// Architecture of one of the four vision model families of the published RingFormer code.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace ringscope {

/// The model families.
enum class Family {
    ViT,        ///< vanilla ViT: `depth` distinct pre-norm blocks
    OWF,        ///< one wide feed-forward: distinct attention blocks, one shared MLP
    UiT,        ///< universal transformer: one shared block applied `depth` times
    RingFormer, ///< one shared block + input-dependent low-rank level signals
};

/// Level encoding of the universal transformer.
enum class LevelEncoding {
    None,      ///< not a UiT
    Static,    ///< fixed sinusoid table [T, 1, N, d]
    Learnable, ///< embedding table [T*N, d]
};

/// "vit", "owf", "uit", "ringformer".
std::string familyName(Family family);
/// How people write it: "ViT", "OWF", "UiT", "RingFormer".
std::string familyDisplayName(Family family);
/// Parses a family name (case-insensitive); throws RingScopeError for an unknown name.
Family parseFamily(const std::string& name);
/// "none", "static", "learnable".
std::string encodingName(LevelEncoding encoding);
/// Parses an encoding name; throws RingScopeError for an unknown name.
LevelEncoding parseEncoding(const std::string& name);
/// True for the weight-shared families (UiT, RingFormer), whose applications are iterations.
bool isRecurrent(Family family);

/// Hyper-parameters of a model. Defaults: the benchmark configuration of the foundation issue.
struct ModelConfig {
    Family family = Family::RingFormer;
    LevelEncoding encoding = LevelEncoding::None; ///< UiT only
    int64_t imageSize = 28;                       ///< input side in pixels (square images)
    int64_t channels = 3;                         ///< input channels
    int64_t patch = 4;    ///< patch side (kernel and stride of the patch embedding)
    int64_t hidden = 192; ///< d
    int64_t heads = 4;    ///< H (d must be divisible by H)
    int64_t mlp = 768;    ///< MLP hidden size
    int64_t depth = 6;    ///< layers (ViT, OWF) or levels/iterations (UiT, RingFormer)
    int64_t rank = 12;    ///< r of the RingFormer low-rank level factors
    int64_t classes = 10; ///< outputs of the head
    double dropout = 0.0; ///< dropout rate used in training

    /// Patches per side: imageSize / patch.
    int64_t gridSize() const { return imageSize / patch; }
    /// Tokens: gridSize^2 + 1 (CLS first).
    int64_t tokens() const { return gridSize() * gridSize() + 1; }
    /// Head size d / H.
    int64_t headDim() const { return hidden / heads; }
    /// Attention maps produced by one forward pass (= depth for every family).
    int64_t applications() const { return depth; }

    /// Throws ModelMismatchError describing the first inconsistent value.
    void validate() const;
    /// Short text such as "RingFormer d=192 H=4 T=6 r=12 patch 4 on 28x28x3, 10 classes".
    std::string summary() const;

    /// JSON object with every field (family/encoding as names).
    nlohmann::json toJson() const;
    /// Reads the fields present in `j` over the defaults; throws RingScopeError on bad values.
    static ModelConfig fromJson(const nlohmann::json& j);

    bool operator==(const ModelConfig& o) const;
    bool operator!=(const ModelConfig& o) const { return !(*this == o); }
};

} // namespace ringscope
