#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/Classification.h"
#include "ringscope/model/data/ImageTensor.h"

#include <torch/types.h>

#include <iomanip>

namespace ringscope::cli {

int classifyCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw, withDepthOptions(withModelOptions({"top"})), {"json"});
    const std::string path = positionalAt(args, 0, "CHECKPOINT");
    if (args.positional().size() < 2) throw UsageError{"missing IMAGE (one or more image files)"};
    const int64_t top = args.integerOr("top", 5);
    if (top <= 0) throw UsageError{"--top must be positive"};
    LoadedModel loaded = loadModelFromArgs(path, args);
    const InputSpec spec = loaded.metadata.inputSpec();

    std::vector<std::string> images(args.positional().begin() + 1, args.positional().end());
    std::vector<cv::Mat> decoded;
    for (const auto& image : images) {
        try {
            decoded.push_back(readImage(image));
        } catch (const FileFormatError&) {
            throw;
        } catch (const std::exception& e) {
            throw FileFormatError(image, e.what());
        }
    }
    std::vector<const cv::Mat*> pointers;
    for (const cv::Mat& m : decoded)
        pointers.push_back(&m);
    torch::Tensor probs;
    try {
        probs = classifyImages(*loaded.model, spec, pointers, 64, {}, depthFromArgs(args));
    } catch (const UnusableImageError& e) {
        throw FileFormatError(images[size_t(e.index())], e.problem());
    }
    nlohmann::json results = nlohmann::json::array();
    for (size_t i = 0; i < images.size(); ++i)
        results.push_back({{"image", images[i]},
                           {"top", toJson(topClasses(probs[int64_t(i)], top, loaded.metadata))}});
    if (args.flag("json")) {
        out << nlohmann::json({{"checkpoint", path}, {"results", results}}).dump(2) << "\n";
        return 0;
    }
    for (const auto& r : results) {
        out << r["image"].get<std::string>() << "\n";
        int rank = 1;
        for (const auto& p : r["top"])
            out << "  " << rank++ << ". " << std::left << std::setw(16)
                << p["name"].get<std::string>() << std::right << std::fixed << std::setprecision(2)
                << std::setw(7) << 100.0 * p["probability"].get<double>() << " %\n";
    }
    return 0;
}

} // namespace ringscope::cli
