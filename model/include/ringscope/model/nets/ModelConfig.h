#pragma once
/// @file ModelConfig.h
/// Architecture of one of the four vision model families of the published RingFormer code,
/// or of a ViT as timm and Hugging Face transformers build it (see TimmVariant).

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
    TimmViT,    ///< timm's VisionTransformer (also Hugging Face ViTs and DeiT), timm key names
};

/// Level encoding of the universal transformer.
enum class LevelEncoding {
    None,      ///< not a UiT
    Static,    ///< fixed sinusoid table [T, 1, N, d]
    Learnable, ///< embedding table [T*N, d]
};

/// "vit", "owf", "uit", "ringformer", "timm-vit".
std::string familyName(Family family);
/// How people write it: "ViT", "OWF", "UiT", "RingFormer", "ViT (timm)".
std::string familyDisplayName(Family family);
/// Parses a family name (case-insensitive); throws RingScopeError for an unknown name.
Family parseFamily(const std::string& name);
/// "none", "static", "learnable".
std::string encodingName(LevelEncoding encoding);
/// Parses an encoding name; throws RingScopeError for an unknown name.
LevelEncoding parseEncoding(const std::string& name);
/// True for the weight-shared families (UiT, RingFormer), whose applications are iterations.
bool isRecurrent(Family family);

/// How a timm ViT is built (timm's VisionTransformer arguments; DeiT and Hugging Face ViTs
/// are cases of it). The defaults are timm's.
struct TimmVariant {
    std::string origin = "timm"; ///< "timm", "deit" (distilled) or "hf" (Hugging Face layout)
    bool classToken = true;      ///< a class token first (class_token)
    bool distilled = false;      ///< a distillation token after it, with head_dist (DeiT)
    bool posEmbedPrefix = true;  ///< the position table covers the prefix tokens (!no_embed_class)
    bool finalNorm = true;       ///< `norm` after the blocks (absent with fc_norm)
    bool avgPool = false;        ///< the head reads the mean of the patch tokens (global_pool avg)
    bool fcNorm = false;         ///< LayerNorm `fc_norm` after pooling
    bool layerScale = false;     ///< ls1.gamma, ls2.gamma (init_values)
    bool qkvBias = true;         ///< bias of the fused qkv projection
    double eps = 1e-6;           ///< LayerNorm epsilon (Hugging Face: layer_norm_eps, 1e-12)

    /// Tokens before the patches: class and distillation tokens (0, 1 or 2).
    int64_t prefixTokens() const { return (classToken ? 1 : 0) + (distilled ? 1 : 0); }
    /// "timm ViT", "DeiT" or "Hugging Face ViT".
    std::string originName() const;
    /// "timm ViT, no class token, avg pool, layer scale".
    std::string describe() const;
    bool operator==(const TimmVariant& o) const;
};

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
    TimmVariant timm;     ///< Family::TimmViT only

    /// Patches per side: imageSize / patch.
    int64_t gridSize() const { return imageSize / patch; }
    /// Tokens before the patches: 1 (the class token) for the published families, 0 to 2 for
    /// a timm ViT.
    int64_t prefixTokens() const { return family == Family::TimmViT ? timm.prefixTokens() : 1; }
    /// Tokens: the prefix tokens (CLS first), then gridSize^2 patches in row-major order.
    int64_t tokens() const { return gridSize() * gridSize() + prefixTokens(); }
    /// Head size d / H.
    int64_t headDim() const { return hidden / heads; }
    /// Attention maps produced by one forward pass (= depth for every family).
    int64_t applications() const { return depth; }

    /// Throws ModelMismatchError describing the first inconsistent value.
    void validate() const;
    /// How people name this model: the family ("RingFormer", "ViT"), or for a timm ViT its
    /// origin ("timm ViT", "DeiT", "Hugging Face ViT").
    std::string familyLabel() const;
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
