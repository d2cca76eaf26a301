#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/data/ImageTensor.h"

#include <torch/types.h>

#include <iomanip>

namespace ringscope::cli {

int classifyCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw, withModelOptions({"top"}), {"json"});
    const std::string path = positionalAt(args, 0, "CHECKPOINT");
    if (args.positional().size() < 2) throw UsageError{"missing IMAGE (one or more image files)"};
    const int64_t top = args.integerOr("top", 5);
    if (top <= 0) throw UsageError{"--top must be positive"};
    LoadedModel loaded = loadModelFromArgs(path, args);
    const InputSpec spec = loaded.metadata.inputSpec();

    std::vector<std::string> images(args.positional().begin() + 1, args.positional().end());
    std::vector<torch::Tensor> batch;
    for (const auto& image : images) {
        try {
            batch.push_back(preprocessImage(readImage(image), spec));
        } catch (const FileFormatError&) {
            throw;
        } catch (const std::exception& e) {
            throw FileFormatError(image, e.what());
        }
    }
    torch::NoGradGuard noGrad;
    torch::Tensor probs = torch::softmax(loaded.model->forward(torch::stack(batch)).logits, -1);
    const int64_t k = std::min<int64_t>(top, probs.size(1));
    auto [values, indices] = probs.topk(k, -1);

    nlohmann::json results = nlohmann::json::array();
    for (size_t i = 0; i < images.size(); ++i) {
        nlohmann::json preds = nlohmann::json::array();
        for (int64_t j = 0; j < k; ++j) {
            const int64_t cls = indices[int64_t(i)][j].item<int64_t>();
            preds.push_back({{"class", cls},
                             {"name", loaded.metadata.className(cls)},
                             {"probability", values[int64_t(i)][j].item<double>()}});
        }
        results.push_back({{"image", images[i]}, {"top", preds}});
    }
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
