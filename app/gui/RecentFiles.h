#pragma once
// The checkpoints opened lately (QSettings "recentFiles", newest first, at most 10) and the
// menu that opens them again.

#include <QString>

#include <functional>

class QMenu;

namespace ringscope::gui {

class RecentFiles {
public:
    /// Fills `menu` (owned by the window) with the list; choosing an entry calls `open`.
    RecentFiles(QMenu* menu, std::function<void(const QString&)> open);
    /// Puts `path` first in the list and the menu.
    void add(const QString& path);

private:
    void refresh();

    QMenu* menu_;
    std::function<void(const QString&)> open_;
};

} // namespace ringscope::gui
