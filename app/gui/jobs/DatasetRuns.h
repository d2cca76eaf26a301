#pragma once
// What the app's analysis jobs run: the workspace's models as the models of a study
// (ringscope/analysis/Studies.h) and the classification of the images of the strip. The views
// hold the records these return by shared_ptr (the types are forward-declared here, so that
// torch stays out of moc'ed headers) and export them through app/export/StudyExport.h, the
// writer `ringscope-cli analyze` uses.

#include "jobs/BackgroundJob.h"

#include <memory>
#include <string>
#include <vector>

namespace cv {
class Mat;
}

namespace ringscope {
struct ClassificationRun;
}

namespace ringscope::analysis {
struct StudyModel;
struct DataSettings;
struct MadStudy;
struct CkaStudy;
struct LevelsStudy;
struct DepthStudy;
struct FaithfulnessStudy;
} // namespace ringscope::analysis

namespace ringscope::gui {

class ModelSession;
class Workspace;

/// The sessions of the loaded slots, kept alive for as long as a job uses them.
using Sessions = std::vector<std::shared_ptr<const ModelSession>>;

/// Takes the record a finished job left in `pending` unless it was cancelled, so that the last
/// good record stays shown (instantiate where Record is complete).
template <class Record>
void takeUnlessCancelled(std::shared_ptr<const Record>& shown,
                         const std::shared_ptr<std::shared_ptr<const Record>>& pending) {
    if (pending && *pending && !(*pending)->cancelled) shown = *pending;
}

/// The loaded models of `workspace` as the models of a study: the slot letter as the role,
/// "A: RingFormer" as the label, run at the workspace's depth. `keep` receives the sessions
/// the study points into.
std::vector<analysis::StudyModel> studyModels(const Workspace& workspace, Sessions& keep);

/// Class probabilities of each model for each image (the workspace holds decoded images).
std::shared_ptr<const ClassificationRun>
classifyImages(const std::vector<analysis::StudyModel>& models, const Sessions& sessions,
               const std::vector<std::shared_ptr<const cv::Mat>>& images,
               const std::vector<std::string>& paths, const JobContext& job);

} // namespace ringscope::gui
