#include "ringscope/model/ModelMetadata.h"

#include "ringscope/model/core/Error.h"

namespace ringscope {

std::string ModelMetadata::className(int64_t i) const {
    if (i >= 0 && size_t(i) < classNames.size() && !classNames[size_t(i)].empty())
        return classNames[size_t(i)];
    return "class " + std::to_string(i);
}

InputSpec ModelMetadata::inputSpec() const {
    InputSpec s;
    s.size = config.imageSize;
    s.channels = config.channels;
    s.normalization = normalization;
    return s;
}

nlohmann::json ModelMetadata::inputJson() const {
    const InputSpec s = inputSpec();
    return {
        {"size", s.size},
        {"channels", s.channels},
        {"normalization", s.normalization.toJson()},
        {"source", extra.value("normalization_source", std::string(kDefaultNormalizationSource))}};
}

nlohmann::json ModelMetadata::toJson() const {
    nlohmann::json j = extra.is_object() ? extra : nlohmann::json::object();
    j["format_version"] = kFormatVersion;
    j["config"] = config.toJson();
    j["class_names"] = classNames;
    j["normalization"] = normalization.toJson();
    if (!dataset.empty()) j["dataset"] = dataset;
    if (history.is_array() && !history.empty()) j["history"] = history;
    return j;
}

ModelMetadata ModelMetadata::fromJson(const nlohmann::json& j, const ModelConfig& fallback) {
    ModelMetadata m;
    m.config = fallback;
    if (!j.is_object()) return m;
    try {
        for (const auto& [key, value] : j.items()) {
            if (key == "config" && value.is_object()) {
                nlohmann::json merged = fallback.toJson();
                for (const auto& [k, v] : value.items())
                    merged[k] = v;
                m.config = ModelConfig::fromJson(merged);
            } else if (key == "class_names" && value.is_array()) {
                for (const auto& n : value)
                    m.classNames.push_back(n.is_string() ? n.get<std::string>() : n.dump());
            } else if (key == "normalization") {
                m.normalization = Normalization::fromJson(value);
            } else if (key == "dataset" && value.is_string()) {
                m.dataset = value.get<std::string>();
            } else if (key == "history" && value.is_array()) {
                m.history = value;
            } else if (key != "format_version") {
                m.extra[key] = value;
            }
        }
    } catch (const nlohmann::json::exception& e) {
        throw RingScopeError(std::string("bad RingScope metadata: ") + e.what());
    }
    return m;
}

} // namespace ringscope
