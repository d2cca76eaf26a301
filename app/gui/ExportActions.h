#pragma once
// The window's export commands: the current view as PNG, SVG or PDF, and export bundles (a
// view, or every view, with its numbers and manifest) into a folder the user picks.

#include <QObject>
#include <QString>

class QMenu;
class QTabWidget;
class QWidget;

namespace ringscope::gui {

class MessageBar;
class Workspace;

class ExportActions {
public:
    /// `tabs` holds the views; problems go to `messages`, dialogs are parented to `window`.
    ExportActions(QWidget& window, QTabWidget& tabs, Workspace& workspace, MessageBar& messages);

    /// Adds the export commands (with their shortcuts) to `menu`.
    void addTo(QMenu& menu);
    /// Asks for a file and writes the current view's main figure as `extension`.
    void exportView(const QString& extension);
    /// Asks for a folder and writes a bundle of the current view (or of all views).
    void chooseBundle(bool allViews);
    /// Writes the bundle into `dir`; returns "" or the problem.
    QString exportBundle(const QString& dir, bool allViews);

private:
    void done(const QString& error, const QString& written);

    QWidget& window_;
    QTabWidget& tabs_;
    Workspace& workspace_;
    MessageBar& messages_;
};

} // namespace ringscope::gui
