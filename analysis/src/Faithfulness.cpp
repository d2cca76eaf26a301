#include "ringscope/analysis/Faithfulness.h"

#include <cmath>

namespace ringscope::analysis {

namespace {

torch::Tensor catOrEmpty(const std::vector<torch::Tensor>& parts, int64_t dim) {
    return parts.empty() ? torch::Tensor() : torch::cat(parts, dim);
}

} // namespace

AttributionRun attributionOverData(const ModelInput& model, const BatchStream& data,
                                   AttributionMethod method, int64_t targetClass,
                                   const RunControl& control) {
    AttributionRun run;
    std::vector<torch::Tensor> maps, perApp, targets, probs, labels;
    forEachBatch(data, model.spec, run, control, [&](int64_t, const Batch& b) {
        const Attribution a = attribute(*model.model, b.images, method, targetClass, model.forward);
        maps.push_back(a.map);
        perApp.push_back(a.perApplication);
        targets.push_back(a.target);
        probs.push_back(a.probabilities.gather(1, a.target.unsqueeze(1)).squeeze(1));
        labels.push_back(b.labels);
    });
    run.map = catOrEmpty(maps, 0);
    run.perApplication = catOrEmpty(perApp, 1);
    run.target = catOrEmpty(targets, 0);
    run.probability = catOrEmpty(probs, 0);
    run.labels = catOrEmpty(labels, 0);
    return run;
}

torch::Tensor patchCurve(const VisionModel& model, const torch::Tensor& images,
                         const torch::Tensor& map, const torch::Tensor& target, int64_t steps,
                         bool insertion, const ForwardOptions& forward) {
    torch::NoGradGuard noGrad;
    const int64_t B = images.size(0), S = images.size(-1), p = model.config().patch,
                  P = map.size(1), g = int64_t(std::lround(std::sqrt(double(P))));
    const torch::Tensor mean = images.mean({2, 3}, true).expand_as(images);
    // rank[b, patch]: 0 for the most relevant patch.
    const torch::Tensor rank = std::get<1>(map.sort(1, /*descending=*/true)).argsort(int64_t(1));
    std::vector<torch::Tensor> rows;
    for (int64_t k = 0; k <= steps; ++k) {
        const int64_t n = int64_t(std::lround(double(k) * double(P) / double(steps)));
        torch::Tensor chosen = rank.lt(n).view({B, g, g}); // the patches changed so far
        chosen = chosen.repeat_interleave(p, 1).repeat_interleave(p, 2);
        chosen = torch::constant_pad_nd(chosen, {0, S - g * p, 0, S - g * p}, 0).unsqueeze(1);
        const torch::Tensor shown =
            insertion ? torch::where(chosen, images, mean) : torch::where(chosen, mean, images);
        const torch::Tensor logits = model.forward(shown, forward).logits.to(torch::kFloat64);
        rows.push_back(torch::softmax(logits, -1).gather(1, target.unsqueeze(1)).squeeze(1));
    }
    return torch::stack(rows);
}

torch::Tensor curveArea(const torch::Tensor& curves) {
    const int64_t steps = curves.size(0) - 1;
    return (curves.narrow(0, 0, steps) + curves.narrow(0, 1, steps)).sum(0) / (2.0 * double(steps));
}

FaithfulnessRun faithfulnessOverData(const ModelInput& model, const BatchStream& data,
                                     const FaithfulnessOptions& options,
                                     const RunControl& control) {
    if (options.steps < 1) throw std::invalid_argument("the curves need at least one step");
    FaithfulnessRun run;
    run.methods = options.methods;
    std::vector<std::vector<torch::Tensor>> del(options.methods.size()),
        ins(options.methods.size());
    forEachBatch(data, model.spec, run, control, [&](int64_t, const Batch& b) {
        for (size_t m = 0; m < options.methods.size(); ++m) {
            const Attribution a =
                attribute(*model.model, b.images, options.methods[m], -1, model.forward);
            del[m].push_back(patchCurve(*model.model, b.images, a.map, a.target, options.steps,
                                        false, model.forward));
            ins[m].push_back(patchCurve(*model.model, b.images, a.map, a.target, options.steps,
                                        true, model.forward));
        }
    });
    if (run.examples == 0) return run;
    std::vector<torch::Tensor> d, i;
    for (size_t m = 0; m < options.methods.size(); ++m) {
        d.push_back(torch::cat(del[m], 1));
        i.push_back(torch::cat(ins[m], 1));
    }
    run.deletion = torch::stack(d);
    run.insertion = torch::stack(i);
    return run;
}

} // namespace ringscope::analysis
