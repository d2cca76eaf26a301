#pragma once
// Conversions for the views' number exports (torch stays out of the views' headers).

#include "jobs/DatasetRuns.h"

#include <torch/types.h>

namespace ringscope::gui {

inline torch::Tensor toTensor(const Matrix& m) {
    return torch::tensor(m.values, torch::kFloat64).reshape({m.rows, m.cols});
}

} // namespace ringscope::gui
