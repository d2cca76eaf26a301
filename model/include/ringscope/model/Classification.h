#pragma once
/// @file Classification.h
/// Classifying decoded images, written once for `ringscope-cli classify`, the app's Classify
/// view and every top-k list (tables, predictions in exports).

#include "ringscope/model/ModelMetadata.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/core/RunControl.h"
#include "ringscope/model/nets/VisionModel.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace cv {
class Mat;
}

namespace ringscope {

/// One entry of a top-k list.
struct ClassScore {
    int64_t index = 0;
    std::string name;
    double probability = 0.0;
};

/// An image that cannot be fed to the model (its channels or depth), by its position.
class UnusableImageError : public RingScopeError {
public:
    UnusableImageError(int64_t index, const std::string& problem)
        : RingScopeError("image " + std::to_string(index + 1) + ": " + problem), index_(index),
          problem_(problem) {}
    int64_t index() const { return index_; }
    const std::string& problem() const { return problem_; }

private:
    int64_t index_;
    std::string problem_;
};

/// Class probabilities (softmax of the logits, float64) of `images` (any size, gray or colour;
/// preprocessed for `spec`) through `model`, [images, classes], in batches of `batch`.
/// Progress counts images. A cancelled run returns an undefined tensor.
torch::Tensor classifyImages(const VisionModel& model, const InputSpec& spec,
                             const std::vector<const cv::Mat*>& images, int64_t batch = 64,
                             const RunControl& control = {}, const ForwardOptions& forward = {});

/// The classes of a set of images in one or more models, with what produced them (the app's
/// Classify view shows and exports this record).
struct ClassificationRun {
    struct Model {
        std::string role, label, path;       ///< "A"/"B", "A: ViT", the checkpoint
        std::vector<std::string> classNames; ///< one per class
        torch::Tensor probabilities;         ///< [images, classes] float64
    };
    std::vector<std::string> images; ///< the image files, in row order
    std::vector<Model> models;
    bool cancelled = false;

    /// Rows where the models' top classes (by name) differ.
    int64_t disagreements() const;
};

/// The `k` most probable classes of one probability row (most probable first; ties keep the
/// lower index first), named from `metadata`.
std::vector<ClassScore> topClasses(const std::vector<double>& probabilities, int64_t k,
                                   const ModelMetadata& metadata);
/// The same, named from `classNames` ("class i" beyond them).
std::vector<ClassScore> topClasses(const std::vector<double>& probabilities, int64_t k,
                                   const std::vector<std::string>& classNames);
/// The same for a [classes] tensor.
std::vector<ClassScore> topClasses(const torch::Tensor& probabilities, int64_t k,
                                   const ModelMetadata& metadata);

/// A top-k list as exports and `classify --json` write it: [{"class", "name", "probability"}].
nlohmann::json toJson(const std::vector<ClassScore>& scores);

} // namespace ringscope
