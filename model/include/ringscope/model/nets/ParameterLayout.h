#pragma once
/// @file ParameterLayout.h
/// The state-dict keys and shapes the published code uses for a configuration, in its order.

#include "ringscope/model/nets/ModelConfig.h"

#include <string>
#include <vector>

namespace ringscope {

/// One tensor of a model's state dict.
struct ParameterSpec {
    std::string name; ///< official key, e.g. "transformer.encoder.layer.0.attn.query.weight"
    std::vector<int64_t> shape; ///< expected shape
    bool trainable = true;      ///< false for the fixed sinusoid tables (pos_embed, UiT static)
};

/// Every tensor of the state dict of `config`, in the order `model.state_dict()` of the
/// published code lists them.
std::vector<ParameterSpec> parameterLayout(const ModelConfig& config);

/// "[64, 3, 8, 8]".
std::string shapeString(const std::vector<int64_t>& shape);

} // namespace ringscope
