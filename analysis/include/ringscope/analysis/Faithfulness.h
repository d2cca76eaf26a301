#pragma once
/// @file Faithfulness.h
/// Attribution over a data source and its faithfulness (docs/metrics.md, "Attribution"): the
/// deletion and insertion tests replace the most relevant patches by the image's mean colour
/// (or reveal them on a mean-colour image), in order of attribution, and record the
/// probability of the explained class; the area under each curve summarises it.

#include "ringscope/analysis/Attribution.h"
#include "ringscope/analysis/DataAnalysis.h"

#include <vector>

namespace ringscope::analysis {

struct AttributionRun : RunReport {
    torch::Tensor map;            ///< [images, P] float32
    torch::Tensor perApplication; ///< [A, images, P] float32
    torch::Tensor target;         ///< [images] int64: the class explained
    torch::Tensor probability;    ///< [images] float64: its probability
    torch::Tensor labels;         ///< [images] int64 (-1: unknown)
};

/// `method`'s attribution of every image to `targetClass` (-1: its predicted class).
AttributionRun attributionOverData(const ModelInput& model, const BatchStream& data,
                                   AttributionMethod method, int64_t targetClass = -1,
                                   const RunControl& control = {});

/// The classifier's probabilities [B, classes] (float64) at the ends of every deletion and
/// insertion curve of a batch, whatever the method: the images, their mean-colour images, and
/// the two with every patch of the grid changed (the same two when the grid covers the image).
struct CurveEnds {
    torch::Tensor images, mean;
    torch::Tensor gridMean;   ///< every patch replaced by the mean colour (deletion's end)
    torch::Tensor gridImages; ///< every patch revealed on the mean colour (insertion's end)
};

/// The curve ends of `images` [B, C, S, S]: two forwards, four when pixels lie beyond the grid.
CurveEnds curveEnds(const VisionModel& model, const torch::Tensor& images,
                    const ForwardOptions& forward = {});

/// The probability of `target` [B] as the top k * P / steps patches by `map` [B, P] are
/// replaced by the image's mean colour (deletion) or revealed on a mean-colour image
/// (insertion), k = 0..steps: [steps + 1, B] float64. Pixels beyond the patch grid stay.
/// With `ends` (curveEnds of the same images and options), the points where no patch or
/// every patch is changed are read from them instead of a forward of their own.
torch::Tensor patchCurve(const VisionModel& model, const torch::Tensor& images,
                         const torch::Tensor& map, const torch::Tensor& target, int64_t steps,
                         bool insertion, const ForwardOptions& forward = {},
                         const CurveEnds* ends = nullptr);
/// Area under curves [steps + 1, ...] over the fraction 0..1 (trapezoids): [...].
torch::Tensor curveArea(const torch::Tensor& curves);

struct FaithfulnessOptions {
    std::vector<AttributionMethod> methods = {AttributionMethod::Attention,
                                              AttributionMethod::Rollout, AttributionMethod::Gae};
    int64_t steps = 10; ///< points of each curve besides the start
};

struct FaithfulnessRun : RunReport {
    std::vector<AttributionMethod> methods;
    torch::Tensor deletion, insertion; ///< [method, steps + 1, images] float64
};

/// Deletion and insertion curves of every method for the predicted class of every image.
FaithfulnessRun faithfulnessOverData(const ModelInput& model, const BatchStream& data,
                                     const FaithfulnessOptions& options,
                                     const RunControl& control = {});

} // namespace ringscope::analysis
