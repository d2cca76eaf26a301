#include "ExportActions.h"

#include "MessageBar.h"
#include "document/Workspace.h"
#include "views/BundleExport.h"
#include "views/ExportableView.h"

#include "Figure.h"
#include "FigureExport.h"

#include <QAction>
#include <QFileDialog>
#include <QMainWindow>
#include <QMenu>
#include <QStatusBar>
#include <QTabWidget>

#include <algorithm>

namespace ringscope::gui {

ExportActions::ExportActions(QWidget& window, QTabWidget& tabs, Workspace& workspace,
                             MessageBar& messages)
    : window_(window), tabs_(tabs), workspace_(workspace), messages_(messages) {}

void ExportActions::done(const QString& error, const QString& written) {
    if (!error.isEmpty()) {
        messages_.showError(error);
    } else if (auto* main = qobject_cast<QMainWindow*>(&window_)) {
        main->statusBar()->showMessage(QObject::tr("Wrote %1").arg(written), 5000);
    }
}

void ExportActions::addTo(QMenu& file) {
    QAction* png =
        file.addAction(QObject::tr("Export view as &PNG..."), [this] { exportView("png"); });
    png->setShortcut(QKeySequence("Ctrl+Shift+E"));
    QAction* svg =
        file.addAction(QObject::tr("Export view as &SVG..."), [this] { exportView("svg"); });
    svg->setShortcut(QKeySequence("Ctrl+Alt+E"));
    file.addAction(QObject::tr("Export view as P&DF..."), [this] { exportView("pdf"); });
    file.addAction(QObject::tr("Export view with its &numbers..."),
                   [this] { chooseBundle(false); });
    file.addAction(QObject::tr("Export &comparison (all views)..."),
                   [this] { chooseBundle(true); });
}

void ExportActions::exportView(const QString& extension) {
    auto* view = dynamic_cast<ExportableView*>(tabs_.currentWidget());
    const auto figures = view ? view->figures() : std::vector<std::pair<QString, plots::Figure*>>{};
    if (figures.empty()) {
        messages_.showError(QObject::tr("This view has nothing to export yet."));
        return;
    }
    const QString path = QFileDialog::getSaveFileName(
        &window_, QObject::tr("Export view"), figures.front().first + "." + extension,
        QObject::tr("%1 (*.%2)").arg(extension.toUpper(), extension));
    if (path.isEmpty()) return;
    auto* widget = dynamic_cast<QWidget*>(figures.front().second);
    plots::ExportOptions o;
    o.width = std::max(800, widget ? widget->width() * 2 : 1600);
    o.height = std::max(500, widget ? widget->height() * 2 : 1000);
    o.dpi = 192;
    done(plots::exportFigure(*figures.front().second, path, o), path);
}

QString ExportActions::exportBundle(const QString& dir, bool allViews) {
    std::vector<ExportableView*> views;
    for (int t = 0; t < tabs_.count(); ++t)
        if (allViews || tabs_.widget(t) == tabs_.currentWidget())
            if (auto* view = dynamic_cast<ExportableView*>(tabs_.widget(t))) views.push_back(view);
    return writeBundle(workspace_, views, dir, allViews ? "comparison" : "view");
}

void ExportActions::chooseBundle(bool allViews) {
    const QString dir =
        QFileDialog::getExistingDirectory(&window_, allViews ? QObject::tr("Export comparison into")
                                                             : QObject::tr("Export view into"));
    if (dir.isEmpty()) return;
    done(exportBundle(dir, allViews), dir);
}

} // namespace ringscope::gui
