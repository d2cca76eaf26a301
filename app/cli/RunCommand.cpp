#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/model/io/FileIO.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/io/Npy.h"
#include "ringscope/model/nets/ParameterLayout.h"

#include <torch/types.h>

namespace ringscope::cli {

int runCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw, withDepthOptions(withModelOptions({"input", "out"})), {});
    const std::string path = positionalAt(args, 0, "CHECKPOINT");
    const std::string inputPath = args.require("input");
    const std::string outDir = args.require("out");
    LoadedModel loaded = loadModelFromArgs(path, args);
    const ModelConfig& c = loaded.model->config();

    torch::Tensor input = loadNpy(inputPath);
    if (!input.is_floating_point())
        throw FileFormatError(inputPath, "input must hold float32 or float64 values");
    if (input.dim() != 4 || input.size(1) != c.channels || input.size(2) != c.imageSize ||
        input.size(3) != c.imageSize || input.size(0) == 0)
        throw FileFormatError(
            inputPath, "input has shape " + shapeString(input.sizes().vec()) +
                           ", the model expects [B, " + std::to_string(c.channels) + ", " +
                           std::to_string(c.imageSize) + ", " + std::to_string(c.imageSize) + "]");
    input = input.to(torch::kFloat32).contiguous();

    torch::NoGradGuard noGrad;
    ForwardTrace trace;
    trace.recordSignals = false;
    const ForwardOptions options = depthFromArgs(args);
    ForwardOutput result = loaded.model->forward(input, options, &trace);
    makeOutputDirectory(outDir);
    saveNpy(outDir + "/logits.npy", result.logits);
    saveNpy(outDir + "/encoded.npy", result.encoded);
    saveNpy(outDir + "/attention.npy", torch::stack(trace.attention));
    out << "wrote " << outDir << "/logits.npy " << shapeString(result.logits.sizes().vec()) << ", "
        << outDir << "/encoded.npy " << shapeString(result.encoded.sizes().vec()) << ", " << outDir
        << "/attention.npy [" << trace.attention.size() << ", "
        << shapeString(trace.attention.front().sizes().vec()).substr(1) << "\n";
    return 0;
}

} // namespace ringscope::cli
