#include "ringscope/analysis/Studies.h"

#include "ringscope/model/core/Error.h"

#include <algorithm>

namespace ringscope::analysis {

std::vector<ForwardOptions> depthRunsFor(const VisionModel& model, int64_t k,
                                         const std::vector<DepthPolicy>& wanted) {
    const ModelConfig& c = model.config();
    const int64_t trained = c.applications();
    if (k <= 0) k = trained;
    ForwardOptions f;
    f.applications = isRecurrent(c.family) ? k : std::min(k, trained);
    if (f.applications <= trained) return {f};
    std::vector<ForwardOptions> out;
    const bool all = wanted.empty();
    for (DepthPolicy p : all ? std::vector<DepthPolicy>{DepthPolicy::RepeatLast, DepthPolicy::Cycle,
                                                        DepthPolicy::Extend}
                             : wanted) {
        f.extend = p;
        try {
            model.applicationsFor(f);
        } catch (const ModelMismatchError&) {
            if (!all) throw;
            continue; // 'extend' of a model without a level formula
        }
        out.push_back(f);
    }
    return out;
}

std::string depthRunLabel(const VisionModel& model, const ForwardOptions& f) {
    return model.applicationsFor(f) <= model.config().applications() ? "trained"
                                                                     : depthPolicyName(f.extend);
}

nlohmann::json DepthStudy::settings() const {
    nlohmann::json j = StudyRecord::settings();
    j["max_applications"] = depth.maxApplications;
    nlohmann::json policies = nlohmann::json::array();
    for (const auto& perModel : runs) {
        nlohmann::json names = nlohmann::json::array();
        for (const DepthRun& r : perModel)
            names.push_back(r.policy);
        policies.push_back(names);
    }
    j["policies"] = policies;
    j["exit_thresholds"] = {{"latent_step", depth.exits.latentStep},
                            {"cosine_gap", depth.exits.cosineGap},
                            {"entropy_change", depth.exits.entropyChange},
                            {"kl", depth.exits.kl},
                            {"same_argmax", depth.exits.sameArgmax}};
    j["head_threshold"] = depth.headThreshold;
    return j;
}

} // namespace ringscope::analysis
