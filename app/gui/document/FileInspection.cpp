#include <torch/types.h>

#include "document/FileInspection.h"

#include "document/TensorStats.h"

#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/checkpoint/Checkpoint.h"

namespace ringscope::gui {

struct FileInspection::Data {
    Checkpoint checkpoint;
};

FileInspection::FileInspection() : d_(std::make_unique<Data>()) {}
FileInspection::~FileInspection() = default;

std::shared_ptr<const FileInspection> FileInspection::read(const std::string& path) {
    std::shared_ptr<FileInspection> f(new FileInspection());
    f->d_->checkpoint = loadCheckpoint(path);
    const Checkpoint& ck = f->d_->checkpoint;
    f->path_ = ck.path;
    for (const auto& [name, tensor] : ck.weights)
        f->stats_.push_back(tensorStat(name, tensor, true));
    f->facts_ = checkpointFactsOf(ck, nullptr);
    try {
        const InferredConfig inferred = inferCheckpoint(ck, inferenceHints(ck, {}));
        f->runnable_ = true;
        f->verdict_ =
            "a runnable model: " + inferred.config.summary() +
            (inferred.headsKnown() ? std::string() : " (the number of heads is not in the file)");
        f->facts_.configJson = inferred.config.toJson().dump(2);
    } catch (const std::exception& e) {
        f->verdict_ = std::string("not a runnable model: ") + e.what();
    }
    return f;
}

std::vector<double> FileInspection::histogram(const std::string& name, int bins) const {
    const torch::Tensor* t = d_->checkpoint.weights.find(name);
    return t ? tensorHistogram(*t, bins) : std::vector<double>();
}

} // namespace ringscope::gui
