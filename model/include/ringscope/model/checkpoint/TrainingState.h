#pragma once
/// @file TrainingState.h
/// The resumable state of a training run, as the published training container stores it:
/// `epoch`, `global_step`, `best_acc`, an Adam `optimizer_state_dict` and a LambdaLR
/// `scheduler_state_dict`.

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace ringscope {

/// Adam/AdamW moments of one parameter (torch.optim's per-parameter state).
struct AdamMoments {
    int64_t step = 0;       ///< updates applied to this parameter
    torch::Tensor expAvg;   ///< first moment, shaped like the parameter
    torch::Tensor expAvgSq; ///< second moment, shaped like the parameter
};

/// Hyper-parameters of the optimizer's (single) parameter group.
struct AdamGroup {
    double lr = 1e-3;        ///< learning rate of the last step
    double initialLr = 1e-3; ///< base learning rate of the schedule
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.0;
    bool amsgrad = false;
};

/// Everything needed to continue a run exactly where a checkpoint left it.
struct TrainingState {
    int64_t epoch = 0;          ///< epochs completed
    int64_t globalStep = 0;     ///< optimizer steps completed
    double bestAccuracy = -1.0; ///< best validation (else training) accuracy so far
    AdamGroup group;
    /// One entry per parameter in the published model's `parameters()` order (its state-dict
    /// order); fixed tables (position sinusoids) and parameters not yet updated have
    /// undefined tensors.
    std::vector<AdamMoments> moments;
    /// `scheduler_state_dict` as stored (LambdaLR: base_lrs, last_epoch, _step_count, ...).
    nlohmann::json scheduler = nlohmann::json::object();
};

} // namespace ringscope
