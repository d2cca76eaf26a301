#pragma once
/// @file ArchitectureInference.h
/// Recovers a model configuration from state-dict key names and shapes.

#include "ringscope/model/core/Error.h"
#include "ringscope/model/nets/ModelConfig.h"
#include "ringscope/model/core/StateDict.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace ringscope {

/// What the caller knows beyond the weights.
struct InferenceHints {
    std::optional<int64_t> heads; ///< explicit --heads
    std::optional<int64_t>
        imageSize; ///< explicit image size (only needed for an ambiguous learnable UiT table)
    std::optional<int64_t> levels; ///< explicit level count (likewise)
    /// RingScope metadata of the file (its "config" object is used when present).
    nlohmann::json metadata;
    /// A Hugging Face config.json beside the weights (heads, layer_norm_eps), or null.
    nlohmann::json huggingFaceConfig;
    /// timm's config.json beside the weights (its model_args may name num_heads); null if none.
    nlohmann::json timmConfig;
};

/// Where the number of heads came from.
enum class HeadsSource { Metadata, Option, PublishedTable, HuggingFaceConfig, TimmTable, Unknown };

/// "file metadata", "--heads option", "published-configuration table", "config.json",
/// "timm's standard width", "unknown".
std::string headsSourceName(HeadsSource source);

/// Result of inference.
struct InferredConfig {
    ModelConfig config; ///< heads is 0 when unknown
    HeadsSource headsSource = HeadsSource::Unknown;
    bool headsKnown() const { return headsSource != HeadsSource::Unknown; }
};

/// One reading of a learnable UiT level table of T*N rows: T levels at an image size whose
/// g x g patch grid gives N = g*g + 1 tokens.
struct TableShape {
    int64_t imageSize = 0, levels = 0;
    bool operator==(const TableShape& o) const {
        return imageSize == o.imageSize && levels == o.levels;
    }
};

/// Every (image size, levels) a learnable level table of `rows` rows can mean at this patch
/// size, the most plausible first (common image sizes with more than one level).
std::vector<TableShape> learnableTableShapes(int64_t rows, int64_t patch);

/// The weights fit several configurations and nothing says which (a learnable UiT level table
/// that fits several image sizes): give --image-size or --levels. Holds the candidates.
class AmbiguousShapeError : public ModelMismatchError {
public:
    AmbiguousShapeError(const std::string& message, std::vector<TableShape> candidates)
        : ModelMismatchError(message), candidates_(std::move(candidates)) {}
    const std::vector<TableShape>& candidates() const { return candidates_; }

private:
    std::vector<TableShape> candidates_;
};

/// Heads of the published configurations for a hidden size (512->8, 768->12, 1024->16,
/// 1280->16, 728->8, 848->8, 1284->12, 1560->12), or 0.
int64_t publishedHeads(int64_t hidden);

/// timm's standard heads for a width (192: 3, 384: 6, 768: 12, 1024: 16, 1280: 16), or 0.
int64_t timmStandardHeads(int64_t hidden);

/// Infers family, encoding, d, patch, channels, image size, depth, r, MLP size and classes from
/// the keys and shapes. Heads: metadata, else hints.heads, else the published table, else
/// unknown (heads = 0). Throws ModelMismatchError when the keys match no family or shapes are
/// inconsistent (naming the key).
InferredConfig inferConfig(const StateDict& weights, const InferenceHints& hints = {});

/// Like inferConfig, but throws ModelMismatchError asking for --heads when heads are unknown.
ModelConfig requireConfig(const StateDict& weights, const InferenceHints& hints = {});

} // namespace ringscope
