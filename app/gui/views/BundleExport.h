#pragma once
// The app's export bundle: the figures and numbers of some views, with a manifest naming the
// checkpoints (and their SHA-256), the images and the linked selection.

#include <QString>

#include <vector>

namespace ringscope::gui {

class ExportableView;
class Workspace;

/// Writes `views` into the folder `dir` as one bundle of kind `kind` ("view", "comparison").
/// Returns an empty string, or the problem (naming the file).
QString writeBundle(const Workspace& workspace, const std::vector<ExportableView*>& views,
                    const QString& dir, const QString& kind);

} // namespace ringscope::gui
