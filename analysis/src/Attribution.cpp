#include "ringscope/analysis/Attribution.h"

#include "ringscope/analysis/AttentionMaps.h"
#include "ringscope/model/nets/ForwardTrace.h"

#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <stdexcept>

namespace ringscope::analysis {

namespace {

/// Refuses a class the model does not have (before any work).
void checkClass(const VisionModel& model, int64_t targetClass) {
    const int64_t classes = model.config().classes;
    if (targetClass >= classes)
        throw std::invalid_argument("class " + std::to_string(targetClass) +
                                    " out of range: the model has " + std::to_string(classes) +
                                    " classes");
}

/// The class explained per image: `targetClass`, or each image's prediction for -1.
torch::Tensor explainedClass(const torch::Tensor& logits, int64_t targetClass) {
    return targetClass >= 0 ? torch::full({logits.size(0)}, targetClass, torch::kInt64)
                            : logits.argmax(-1);
}

} // namespace

std::string attributionMethodName(AttributionMethod method) {
    switch (method) {
    case AttributionMethod::Attention:
        return "attention";
    case AttributionMethod::Rollout:
        return "rollout";
    case AttributionMethod::Gae:
        return "gae";
    }
    return "?";
}

AttributionMethod parseAttributionMethod(const std::string& name) {
    for (AttributionMethod m :
         {AttributionMethod::Attention, AttributionMethod::Rollout, AttributionMethod::Gae})
        if (name == attributionMethodName(m)) return m;
    throw std::invalid_argument("unknown attribution method '" + name +
                                "' (attention, rollout, gae)");
}

torch::Tensor gaeRelevance(const std::vector<torch::Tensor>& maps,
                           const std::vector<torch::Tensor>& gradients,
                           std::vector<torch::Tensor>* contributions) {
    if (maps.empty() || maps.size() != gradients.size())
        throw std::invalid_argument("GAE needs one gradient per attention application");
    const int64_t B = maps.front().size(0), N = maps.front().size(-1);
    torch::Tensor r = torch::eye(N, torch::kFloat64).expand({B, N, N}).clone();
    for (size_t t = 0; t < maps.size(); ++t) {
        const torch::Tensor abar =
            (gradients[t].to(torch::kFloat64) * maps[t].to(torch::kFloat64)).clamp_min(0.0).mean(1);
        if (contributions) contributions->push_back(abar);
        r = r + torch::matmul(abar, r);
    }
    return r;
}

torch::Tensor decisionRow(const torch::Tensor& matrix, int64_t prefix) {
    const int64_t n = matrix.size(-1);
    const torch::Tensor rows = prefix > 0 ? matrix.select(-2, 0) : matrix.mean(-2); // [..., N]
    return rows.narrow(-1, prefix, n - prefix);
}

AttentionGradients attentionGradients(const VisionModel& model, const torch::Tensor& images,
                                      int64_t targetClass, const ForwardOptions& forward) {
    checkClass(model, targetClass);
    torch::AutoGradMode grad(true);
    ForwardTrace trace;
    trace.recordSignals = false;
    trace.keepGraph = true;
    AttentionGradients out;
    out.logits = model.forward(images, forward, &trace).logits;
    out.target = explainedClass(out.logits.detach(), targetClass);
    // Each image's score y_c depends on its own tokens only, so the gradient of their sum
    // gives every image its own gradient.
    const torch::Tensor score = out.logits.gather(1, out.target.unsqueeze(1)).sum();
    out.gradients = torch::autograd::grad({score}, trace.attention, {}, false, false, true);
    for (size_t t = 0; t < trace.attention.size(); ++t) {
        out.maps.push_back(trace.attention[t].detach());
        if (!out.gradients[t].defined()) out.gradients[t] = torch::zeros_like(out.maps[t]);
    }
    out.logits = out.logits.detach();
    return out;
}

Attribution attribute(const VisionModel& model, const torch::Tensor& images,
                      AttributionMethod method, int64_t targetClass,
                      const ForwardOptions& forward) {
    checkClass(model, targetClass);
    const int64_t prefix = model.config().prefixTokens();
    Attribution a;
    std::vector<torch::Tensor> perApplication;
    if (method == AttributionMethod::Gae) {
        // The graph of a pass holds every activation: a few images at a time keep its memory
        // bounded whatever the batch (the images are independent, the result is the same).
        std::vector<torch::Tensor> maps, targets, probabilities;
        std::vector<std::vector<torch::Tensor>> rows;
        for (int64_t start = 0; start < images.size(0); start += kGaeImagesPerPass) {
            const int64_t n = std::min(kGaeImagesPerPass, images.size(0) - start);
            const AttentionGradients g =
                attentionGradients(model, images.narrow(0, start, n), targetClass, forward);
            std::vector<torch::Tensor> contributions;
            maps.push_back(decisionRow(gaeRelevance(g.maps, g.gradients, &contributions), prefix));
            rows.resize(contributions.size());
            for (size_t t = 0; t < contributions.size(); ++t)
                rows[t].push_back(decisionRow(contributions[t], prefix));
            targets.push_back(g.target);
            probabilities.push_back(torch::softmax(g.logits.to(torch::kFloat64), -1));
        }
        a.map = torch::cat(maps);
        for (const auto& r : rows)
            perApplication.push_back(torch::cat(r));
        a.target = torch::cat(targets);
        a.probabilities = torch::cat(probabilities);
    } else {
        torch::NoGradGuard noGrad;
        ForwardTrace trace;
        trace.recordSignals = false;
        const torch::Tensor logits = model.forward(images, forward, &trace).logits;
        a.target = explainedClass(logits, targetClass);
        a.probabilities = torch::softmax(logits.to(torch::kFloat64), -1);
        torch::Tensor joint; // the rollout up to t: R_t ... R_1
        for (const torch::Tensor& maps : trace.attention) {
            torch::Tensor m = maps.to(torch::kFloat64).mean(1);
            if (method == AttributionMethod::Rollout) {
                const torch::Tensor step = attentionRollout({maps}); // R_t
                joint = joint.defined() ? torch::matmul(step, joint) : step;
                m = joint;
            }
            perApplication.push_back(decisionRow(m, prefix));
        }
        a.map = perApplication.back();
    }
    a.map = a.map.to(torch::kFloat32).contiguous();
    a.perApplication = torch::stack(perApplication).to(torch::kFloat32).contiguous();
    return a;
}

} // namespace ringscope::analysis
