#include <torch/types.h>

#include "views/BundleExport.h"

#include "AnalysisOutput.h"
#include "FigureExport.h"
#include "document/ModelSession.h"
#include "document/Workspace.h"
#include "ringscope/model/LoadedModel.h"
#include "views/ExportableView.h"

namespace ringscope::gui {

QString writeBundle(const Workspace& ws, const std::vector<ExportableView*>& views,
                    const QString& dir, const QString& kind) {
    try {
        AnalysisOutput out(dir.toStdString(), kind.toStdString());
        out.manifest()["program"] = "ringscope"; // the desktop app, not the command line
        for (int s : ws.loadedSlots())
            out.checkpoint(Workspace::slotName(s).toStdString(), ws.model(s)->facts().path,
                           ws.model(s)->loaded().metadata.inputJson());
        nlohmann::json images = nlohmann::json::array();
        for (int i = 0; i < ws.imageCount(); ++i)
            images.push_back(ws.image(i).path.toStdString());
        out.manifest()["images"] = images;
        out.manifest()["settings"] = {
            {"current_image", ws.currentImage()},
            {"application", ws.application() + 1},
            {"head", ws.head()},
            {"query", ws.query()},
            {"rollout", ws.rollout()},
            {"depth", {{"applications", ws.depth().applications}, {"extend", ws.depth().policy}}}};
        plots::ExportOptions o;
        for (ExportableView* view : views) {
            for (const auto& [stem, figure] : view->figures())
                out.figure(*figure, stem.toStdString(), o);
            view->writeNumbers(out);
        }
        out.finish();
        return {};
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
}

} // namespace ringscope::gui
