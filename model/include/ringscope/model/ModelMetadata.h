#pragma once
/// @file ModelMetadata.h
/// RingScope's metadata stored with a checkpoint: configuration with heads, class names,
/// input normalisation, dataset and training history.

#include "ringscope/model/data/ImageTensor.h"
#include "ringscope/model/nets/ModelConfig.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ringscope {

/// Where the input normalisation comes from when nothing says it (`extra["normalization_source"]`).
inline constexpr const char* kDefaultNormalizationSource = "RingScope default (0.5, 0.5)";

/// Metadata of a model. Serialised as the `ringscope` entry of a checkpoint.
struct ModelMetadata {
    static constexpr int kFormatVersion = 1;

    ModelConfig config;
    std::vector<std::string> classNames; ///< empty: "class 0", "class 1", ...
    Normalization normalization;
    std::string dataset;                              ///< e.g. "fashion-mnist"
    nlohmann::json history = nlohmann::json::array(); ///< per-epoch records from training
    nlohmann::json extra = nlohmann::json::object();  ///< anything else found in the file

    /// Name of class i (from classNames, else "class i").
    std::string className(int64_t i) const;
    /// What the model expects as input.
    InputSpec inputSpec() const;
    /// The input as exports record it: {"size", "channels", "normalization", "source"}.
    nlohmann::json inputJson() const;

    nlohmann::json toJson() const;
    /// Reads metadata written by toJson(); unknown keys go to `extra`. The configuration is
    /// taken over `fallback` field by field.
    static ModelMetadata fromJson(const nlohmann::json& j, const ModelConfig& fallback);
};

} // namespace ringscope
