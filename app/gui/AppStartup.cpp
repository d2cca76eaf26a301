#include <torch/types.h>

#include "AppStartup.h"

#include "MainWindow.h"
#include "document/Workspace.h"

#include "ringscope/Version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QSet>

#include <algorithm>
#include <iostream>

namespace ringscope::gui {

void setApplicationIdentity() {
    QApplication::setApplicationName("RingScope");
    QApplication::setOrganizationName("RingScope");
    QApplication::setApplicationVersion(ringscope::versionString());
    // The desktop entry's name (Wayland matches windows to it) and the window icon.
    QGuiApplication::setDesktopFileName("io.github.ringscope.RingScope");
    QIcon icon;
    for (int size : {16, 32, 48, 64, 128, 256})
        icon.addFile(QString(":/icons/ringscope-%1.png").arg(size), QSize(size, size));
    QApplication::setWindowIcon(icon);
}

QString resourceDir() {
    const QString app = QCoreApplication::applicationDirPath();
    for (const QString& candidate : {app + "/../share/ringscope", app + "/../Resources",
                                     app + "/resources", QString(RINGSCOPE_SOURCE_RESOURCES)})
        if (QFileInfo::exists(candidate + "/images")) return QDir(candidate).absolutePath();
    return {};
}

void addStartupOptions(QCommandLineParser& parser) {
    parser.addOption({"empty", "Start without the bundled demo models and images."});
    parser.addOption({"view",
                      "Show this view first: attention, levels, depth, cka, mad, faithfulness or "
                      "classify (levels, depth, cka, mad and faithfulness also compute).",
                      "VIEW", "attention"});
    parser.addOption({"image", "Select image N of the strip (1-based).", "N"});
    parser.addOption({"gae", "Show GAE attribution in the attention view."});
    parser.addOption({"depth",
                      "Run K applications, beyond the trained depth by POLICY (repeat-last, "
                      "cycle or extend).",
                      "K[:POLICY]"});
    parser.addOption({"application", "Select application (layer or iteration) N (1-based).", "N"});
    parser.addOption({"head", "Select head N (1-based), or 0 for all heads.", "N"});
    parser.addOption({"heads",
                      "The checkpoints named have N attention heads, where they do not say it "
                      "(a bare state dict): no dialog asks.",
                      "N"});
    parser.addPositionalArgument("files", "Checkpoints and images to open.", "[files...]");
}

MainWindow::AnswerProvider answerHeadsFor(const QStringList& files, int heads,
                                          MainWindow::AnswerProvider inner) {
    QSet<QString> named;
    for (const QString& f : files)
        named.insert(QFileInfo(f).absoluteFilePath());
    return [named, heads, inner](const QString& path,
                                 const OpenQuestion& q) -> std::optional<OpenAnswers> {
        if (!q.heads || !named.contains(QFileInfo(path).absoluteFilePath())) return inner(path, q);
        OpenQuestion rest = q;
        rest.heads = false;
        OpenAnswers answers;
        if (!rest.empty()) {
            const std::optional<OpenAnswers> others = inner(path, rest);
            if (!others) return std::nullopt;
            answers = *others;
        }
        answers.heads = heads;
        return answers;
    };
}

void applyStartupOptions(MainWindow& window, const QCommandLineParser& parser, bool openDefaults) {
    // Checkpoints named on the command line take slots A and B instead of the demo models.
    const QStringList files = parser.positionalArguments();
    if (parser.isSet("heads")) {
        bool ok = false;
        const int heads = parser.value("heads").toInt(&ok);
        if (ok && heads > 0)
            window.setAnswerProvider(answerHeadsFor(files, heads, window.answerProvider()));
        else
            std::cerr << "ringscope: --heads " << parser.value("heads").toStdString()
                      << " is not a positive number of heads; the dialog will ask\n";
    }
    const bool models = std::none_of(files.begin(), files.end(), &MainWindow::isCheckpoint);
    if (openDefaults && !parser.isSet("empty")) window.openDefaults(resourceDir(), models);
    window.openFiles(parser.positionalArguments());
    window.showView(parser.value("view"));
    Workspace& ws = window.workspace();
    if (parser.isSet("image")) ws.setCurrentImage(parser.value("image").toInt() - 1);
    if (parser.isSet("gae")) ws.setGae(true);
    if (parser.isSet("depth")) {
        const QStringList parts = parser.value("depth").split(':');
        ws.setDepth({std::max(0, parts[0].toInt()),
                     (parts.size() > 1 ? parts[1] : QString("repeat-last")).toStdString()});
    }
    if (parser.isSet("head")) {
        const int h = parser.value("head").toInt();
        ws.setHead(h == 0 ? kAllHeads : h - 1);
    }
    if (parser.isSet("application")) {
        const int a = parser.value("application").toInt() - 1;
        // The slider's range follows the models, which load in the background.
        QObject::connect(&ws, &Workspace::modelChanged, &ws, [&ws, a] { ws.setApplication(a); });
    }
}

} // namespace ringscope::gui
