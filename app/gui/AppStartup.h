#pragma once
// What `ringscope` does at start besides its self-checks: the application's identity (name,
// version, icon), the options that choose what the window shows first, and where the bundled
// demo models and images are.

#include "MainWindow.h"

#include <QString>
#include <QStringList>

class QCommandLineParser;

namespace ringscope::gui {

/// Name, organisation, version, desktop-file name and window icon of the application.
void setApplicationIdentity();

/// The folder of the bundled demo models and images: where the installers put it
/// (share/ringscope beside bin/, Contents/Resources in a macOS bundle), else, in a build tree,
/// next to the sources. Empty when there is none.
QString resourceDir();

/// --empty, --view, --image, --application, --head, --heads and the files to open.
void addStartupOptions(QCommandLineParser& parser);

/// Answers "how many heads?" with `heads` for the checkpoints `files` (as named on the command
/// line, --heads) without asking; every other question, and every other file, goes to `inner`.
MainWindow::AnswerProvider answerHeadsFor(const QStringList& files, int heads,
                                          MainWindow::AnswerProvider inner);

/// Opens the demo models and images (unless --empty or `openDefaults` is false), the files
/// named on the command line (with --heads for those that do not store it), and selects what
/// the options say.
void applyStartupOptions(MainWindow& window, const QCommandLineParser& parser, bool openDefaults);

} // namespace ringscope::gui
