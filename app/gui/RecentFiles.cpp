#include "RecentFiles.h"

#include <QFileInfo>
#include <QMenu>
#include <QSettings>
#include <QStringList>

namespace ringscope::gui {

namespace {
const char* const kKey = "recentFiles";
constexpr int kMaxRecent = 10;
} // namespace

RecentFiles::RecentFiles(QMenu* menu, std::function<void(const QString&)> open)
    : menu_(menu), open_(std::move(open)) {
    refresh();
}

void RecentFiles::add(const QString& path) {
    QSettings settings;
    QStringList recent = settings.value(kKey).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    settings.setValue(kKey, recent);
    refresh();
}

void RecentFiles::refresh() {
    menu_->clear();
    const QStringList recent = QSettings().value(kKey).toStringList();
    for (const QString& p : recent)
        menu_->addAction(QFileInfo(p).fileName(), [this, p] { open_(p); })->setToolTip(p);
    menu_->setEnabled(!recent.isEmpty());
}

} // namespace ringscope::gui
