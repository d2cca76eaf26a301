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

namespace {

/// The patches of the grid changed so far, as a pixel mask [B, 1, S, S]: rank[b, patch] < n.
torch::Tensor changedPixels(const torch::Tensor& rank, int64_t n, int64_t grid, int64_t patch,
                            int64_t side) {
    torch::Tensor chosen = rank.lt(n).view({rank.size(0), grid, grid});
    chosen = chosen.repeat_interleave(patch, 1).repeat_interleave(patch, 2);
    const int64_t pad = side - grid * patch;
    return torch::constant_pad_nd(chosen, {0, pad, 0, pad}, 0).unsqueeze(1);
}

torch::Tensor probabilitiesOf(const VisionModel& model, const torch::Tensor& shown,
                              const ForwardOptions& forward) {
    return torch::softmax(model.forward(shown, forward).logits.to(torch::kFloat64), -1);
}

int64_t gridSide(const VisionModel& model, const torch::Tensor& images) {
    return images.size(-1) / model.config().patch;
}

} // namespace

CurveEnds curveEnds(const VisionModel& model, const torch::Tensor& images,
                    const ForwardOptions& forward) {
    torch::NoGradGuard noGrad;
    const int64_t S = images.size(-1), p = model.config().patch, g = gridSide(model, images);
    const torch::Tensor mean = images.mean({2, 3}, true).expand_as(images);
    CurveEnds ends;
    ends.images = probabilitiesOf(model, images, forward);
    ends.mean = probabilitiesOf(model, mean, forward);
    if (g * p == S) { // every pixel lies on the grid: changing every patch changes the image
        ends.gridMean = ends.mean;
        ends.gridImages = ends.images;
        return ends;
    }
    const torch::Tensor grid =
        changedPixels(torch::zeros({images.size(0), g * g}, torch::kLong), 1, g, p, S);
    ends.gridMean = probabilitiesOf(model, torch::where(grid, mean, images), forward);
    ends.gridImages = probabilitiesOf(model, torch::where(grid, images, mean), forward);
    return ends;
}

torch::Tensor patchCurve(const VisionModel& model, const torch::Tensor& images,
                         const torch::Tensor& map, const torch::Tensor& target, int64_t steps,
                         bool insertion, const ForwardOptions& forward, const CurveEnds* ends) {
    torch::NoGradGuard noGrad;
    const int64_t S = images.size(-1), p = model.config().patch, P = map.size(1),
                  g = int64_t(std::lround(std::sqrt(double(P))));
    const torch::Tensor mean = images.mean({2, 3}, true).expand_as(images);
    // rank[b, patch]: 0 for the most relevant patch.
    const torch::Tensor rank = std::get<1>(map.sort(1, /*descending=*/true)).argsort(int64_t(1));
    // The images as they are or with every patch changed: known, when `ends` are given.
    auto known = [&](int64_t n) -> torch::Tensor {
        if (!ends || g != gridSide(model, images)) return {};
        if (n == 0) return insertion ? ends->mean : ends->images;
        if (n == P) return insertion ? ends->gridImages : ends->gridMean;
        return {};
    };
    std::vector<torch::Tensor> rows;
    for (int64_t k = 0; k <= steps; ++k) {
        const int64_t n = int64_t(std::lround(double(k) * double(P) / double(steps)));
        torch::Tensor probs = known(n);
        if (!probs.defined()) {
            const torch::Tensor chosen = changedPixels(rank, n, g, p, S);
            probs = probabilitiesOf(model,
                                    insertion ? torch::where(chosen, images, mean)
                                              : torch::where(chosen, mean, images),
                                    forward);
        }
        rows.push_back(probs.gather(1, target.unsqueeze(1)).squeeze(1));
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
        // Every method's curves start and end at the same images: their forwards once.
        const CurveEnds ends = curveEnds(*model.model, b.images, model.forward);
        for (size_t m = 0; m < options.methods.size(); ++m) {
            const Attribution a =
                attribute(*model.model, b.images, options.methods[m], -1, model.forward);
            del[m].push_back(patchCurve(*model.model, b.images, a.map, a.target, options.steps,
                                        false, model.forward, &ends));
            ins[m].push_back(patchCurve(*model.model, b.images, a.map, a.target, options.steps,
                                        true, model.forward, &ends));
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
