#pragma once
/// @file Attribution.h
/// Which patches a decision depends on, through every application (docs/metrics.md,
/// "Attribution"): raw attention, attention rollout and the generic attention explainability
/// (GAE) of Chefer, Gur and Wolf (ICCV 2021, eqs. 13-14), which weighs each application's
/// attention by the gradient of the class score. A weight-shared block contributes once per
/// iteration, with that iteration's maps and gradients.

#include "ringscope/model/nets/VisionModel.h"

#include <torch/types.h>

#include <string>
#include <vector>

namespace ringscope::analysis {

enum class AttributionMethod { Attention, Rollout, Gae };
/// "attention", "rollout", "gae".
std::string attributionMethodName(AttributionMethod method);
/// Parses those names; throws std::invalid_argument for another.
AttributionMethod parseAttributionMethod(const std::string& name);

/// GAE relevance from each application's maps A_t and the gradients dy_c/dA_t ([B, H, N, N]
/// each, execution order): R = I, then R <- R + Abar_t R with Abar_t = mean over heads of
/// max(0, dy_c/dA_t * A_t). Returns R [B, N, N] float64; with `contributions`, also each
/// Abar_t [B, N, N] float64.
torch::Tensor gaeRelevance(const std::vector<torch::Tensor>& maps,
                           const std::vector<torch::Tensor>& gradients,
                           std::vector<torch::Tensor>* contributions = nullptr);

/// The row of the decision over the patches of [..., N, N]: the class token's row (token 0)
/// without the first `prefix` columns; for a model without a class token (prefix 0, it pools
/// its patches) the mean of the rows. [..., P].
torch::Tensor decisionRow(const torch::Tensor& matrix, int64_t prefix);

/// What one method makes of a batch.
struct Attribution {
    torch::Tensor map;            ///< [B, P] float32: relevance of every patch
    torch::Tensor perApplication; ///< [A, B, P] float32: GAE: Abar_t's row; rollout: the
                                  ///< rollout up to t; attention: application t's maps
    torch::Tensor target;         ///< [B] int64: the class explained
    torch::Tensor probabilities;  ///< [B, classes] float64
};

/// Images per GAE pass: the graph keeps every activation, so a batch runs in passes of this
/// many images (memory bounded whatever the batch size).
inline constexpr int64_t kGaeImagesPerPass = 8;

/// Attribution of `images` [B, C, S, S] to `targetClass` (-1: each image's predicted class).
/// Attention: the decision row of the last application's maps, heads averaged; rollout: that
/// row of attentionRollout; GAE: a forward and a backward pass with grad on per
/// kGaeImagesPerPass images (the images of a pass do not interact, so one backward pass
/// serves them all). Throws std::invalid_argument for a class out of range.
Attribution attribute(const VisionModel& model, const torch::Tensor& images,
                      AttributionMethod method, int64_t targetClass = -1,
                      const ForwardOptions& forward = {});

/// dy_c/dA_t for every application t of a pass over `images` (the same pass GAE uses):
/// the maps [B, H, N, N] and their gradients, in execution order.
struct AttentionGradients {
    std::vector<torch::Tensor> maps, gradients;
    torch::Tensor logits; ///< [B, classes]
    torch::Tensor target; ///< [B] int64
};
AttentionGradients attentionGradients(const VisionModel& model, const torch::Tensor& images,
                                      int64_t targetClass = -1, const ForwardOptions& forward = {});

} // namespace ringscope::analysis
