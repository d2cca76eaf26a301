#pragma once
// What `ringscope` does at start besides its self-checks: the application's identity (name,
// version, icon), the options that choose what the window shows first, and where the bundled
// demo models and images are.

#include <QString>

class QCommandLineParser;

namespace ringscope::gui {

class MainWindow;

/// Name, organisation, version, desktop-file name and window icon of the application.
void setApplicationIdentity();

/// The folder of the bundled demo models and images: where the installers put it
/// (share/ringscope beside bin/, Contents/Resources in a macOS bundle), else, in a build tree,
/// next to the sources. Empty when there is none.
QString resourceDir();

/// --empty, --view, --image, --application, --head and the files to open.
void addStartupOptions(QCommandLineParser& parser);

/// Opens the demo models and images (unless --empty or `openDefaults` is false), the files
/// named on the command line, and selects what the options say.
void applyStartupOptions(MainWindow& window, const QCommandLineParser& parser, bool openDefaults);

} // namespace ringscope::gui
