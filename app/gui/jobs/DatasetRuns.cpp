#include <torch/types.h>

#include "jobs/DatasetRuns.h"

#include "document/ModelSession.h"
#include "document/Workspace.h"

#include "ringscope/analysis/Studies.h"
#include "ringscope/model/Classification.h"
#include "ringscope/model/LoadedModel.h"

namespace ringscope::gui {

std::vector<analysis::StudyModel> studyModels(const Workspace& ws, Sessions& keep) {
    QStringList labels;
    keep = ws.loadedModels(&labels);
    const QList<int> filled = ws.loadedSlots();
    std::vector<analysis::StudyModel> out;
    for (size_t i = 0; i < keep.size(); ++i) {
        const LoadedModel& m = keep[i]->loaded();
        out.push_back(analysis::StudyModel::of(
            *m.model, m.metadata.inputSpec(), Workspace::slotName(filled[int(i)]).toStdString(),
            labels[int(i)].toStdString(), keep[i]->facts().path));
        out.back().input = m.metadata.inputJson();
        const DepthChoice depth = keep[i]->resolve(ws.depth());
        out.back().setDepth(depth.applications, parseDepthPolicy(depth.policy));
    }
    return out;
}

std::shared_ptr<const ClassificationRun>
classifyImages(const std::vector<analysis::StudyModel>& models, const Sessions& sessions,
               const std::vector<std::shared_ptr<const cv::Mat>>& images,
               const std::vector<std::string>& paths, const JobContext& job) {
    auto run = std::make_shared<ClassificationRun>();
    run->images = paths;
    std::vector<const cv::Mat*> pixels;
    for (const auto& m : images)
        pixels.push_back(m.get());
    for (size_t i = 0; i < models.size(); ++i) {
        const analysis::StudyModel& m = models[i];
        const torch::Tensor p =
            ringscope::classifyImages(*m.model, m.spec, pixels, 64, job.share(i, models.size()));
        if (!p.defined()) {
            run->cancelled = true;
            break;
        }
        run->models.push_back({m.role, m.label, m.path, sessions[i]->facts().classNames, p});
    }
    return run;
}

} // namespace ringscope::gui
