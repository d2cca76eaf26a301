#pragma once
// Statistics and histograms of stored tensors, for the Inspector (included by .cpp files only:
// it brings torch).

#include <torch/types.h>

#include "document/ModelSession.h"

#include <string>
#include <vector>

namespace ringscope::gui {

/// Shape, count, mean, population std, min and max of one tensor.
ParameterStat tensorStat(const std::string& name, const torch::Tensor& tensor, bool trainable);

/// `bins` counts of the tensor's values between its min and max.
std::vector<double> tensorHistogram(const torch::Tensor& tensor, int bins);

} // namespace ringscope::gui
