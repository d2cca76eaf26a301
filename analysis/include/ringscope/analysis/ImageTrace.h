#pragma once
/// @file ImageTrace.h
/// What one image does in one model: the one-image trace behind `ringscope-cli analyze
/// attention` and every per-image view of the app (attention, class lens, prediction).

#include "ringscope/model/data/ImageTensor.h"
#include "ringscope/model/nets/VisionModel.h"

namespace cv {
class Mat;
}

namespace ringscope::analysis {

struct ImageTrace {
    torch::Tensor logits;        ///< [classes] float32
    torch::Tensor probabilities; ///< [classes] float64, softmax of the logits
    torch::Tensor attention;     ///< [A, H, N, N] float32 softmax maps (token 0: CLS)
    torch::Tensor lens;          ///< [A, classes] float64 class-lens probabilities
    torch::Tensor latentStep;    ///< [A, N] float64 ||h_t - h_(t-1)|| / ||h_t|| per token
};

/// Runs `image` (any size, gray or colour; preprocessed for `spec`) through `model`, traced.
/// Throws RingScopeError for an image that cannot be preprocessed.
ImageTrace traceImage(const VisionModel& model, const InputSpec& spec, const cv::Mat& image,
                      const ForwardOptions& forward = {});

} // namespace ringscope::analysis
