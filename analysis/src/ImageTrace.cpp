#include "ringscope/analysis/ImageTrace.h"

#include "ringscope/analysis/Convergence.h"
#include "ringscope/analysis/LevelSignals.h"
#include "ringscope/model/data/ImageTensor.h"
#include "ringscope/model/nets/ForwardTrace.h"

namespace ringscope::analysis {

ImageTrace traceImage(const VisionModel& model, const InputSpec& spec, const cv::Mat& image,
                      const ForwardOptions& forward) {
    const torch::Tensor input = preprocessImage(image, spec).unsqueeze(0);
    torch::NoGradGuard noGrad;
    ForwardTrace trace;
    trace.recordSignals = false;
    ImageTrace out;
    out.logits = model.forward(input, forward, &trace).logits[0];
    out.probabilities = torch::softmax(out.logits.to(torch::kFloat64), -1);
    std::vector<torch::Tensor> perApplication;
    for (const torch::Tensor& p : trace.attention)
        perApplication.push_back(p[0]);
    out.attention = torch::stack(perApplication).to(torch::kFloat32).contiguous();
    out.lens = classLensProbabilities(model, trace).select(1, 0).contiguous();
    out.latentStep = tokenLatentSteps(trace.embedded, trace.hidden).select(1, 0).contiguous();
    return out;
}

} // namespace ringscope::analysis
