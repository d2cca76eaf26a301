#include "AnalysisOutput.h"
#include "AnalyzeSupport.h"
#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/model/core/Error.h"

#include <QApplication>

#include <opencv2/imgproc.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>

namespace ringscope::cli {

namespace {

/// Qt's messages on stderr, without the note that XDG_RUNTIME_DIR is unset (normal for a
/// command-line tool run from a service or container).
void quietMessages(QtMsgType type, const QMessageLogContext&, const QString& message) {
    if (type == QtDebugMsg || message.contains("XDG_RUNTIME_DIR")) return;
    std::cerr << "qt: " << message.toStdString() << "\n";
}

} // namespace

void ensureGuiApplication() {
    if (QApplication::instance()) return;
    qInstallMessageHandler(quietMessages);
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    static int argc = 1;
    static char name[] = "ringscope-cli";
    static char* argv[] = {name, nullptr};
    static QApplication app(argc, argv);
}

ModelArg openModelArg(const std::string& path, const CliArgs& args) {
    ModelArg m{loadModelFromArgs(path, args), {}, {}};
    m.path = m.loaded.checkpoint.path; // the weights file (a Hugging Face folder's own)
    const ModelConfig& c = m.loaded.model->config();
    m.label = c.familyLabel() + " (" + std::filesystem::u8path(path).filename().u8string() + ")";
    return m;
}

analysis::RunControl stderrProgress(const std::string& what) {
    analysis::RunControl c;
    auto last = std::make_shared<std::chrono::steady_clock::time_point>();
    c.progress = [what, last](int64_t done, int64_t total) {
        const auto now = std::chrono::steady_clock::now();
        if (done < total && now - *last < std::chrono::milliseconds(500)) return;
        *last = now;
        std::cerr << what << ": " << done << "/" << total << " images\n";
    };
    return c;
}

plots::ExportOptions exportOptions(const CliArgs& args) {
    plots::ExportOptions o;
    o.width = int(args.integerOr("width", o.width));
    o.height = int(args.integerOr("height", o.height));
    o.dpi = args.number("dpi").value_or(o.dpi);
    if (o.width < 100 || o.height < 100 || o.width > 20000 || o.height > 20000 ||
        !(o.dpi >= 24 && o.dpi <= 1200))
        throw UsageError{
            "--width and --height must lie in [100, 20000] pixels, --dpi in [24, 1200]"};
    return o;
}

int analyzeCommand(const Args& raw, std::ostream& out) {
    if (raw.empty())
        throw UsageError{"analyze needs a subject: attention, mad, cka, levels, lens, depth, "
                         "attribution or faithfulness"};
    const std::string what = raw[0];
    const Args rest(raw.begin() + 1, raw.end());
    ensureGuiApplication();
    if (what == "attention") return analyzeAttention(rest, out);
    if (what == "mad") return analyzeMad(rest, out);
    if (what == "cka") return analyzeCka(rest, out);
    if (what == "levels") return analyzeLevels(rest, out);
    if (what == "lens") return analyzeLens(rest, out);
    if (what == "depth") return analyzeDepth(rest, out);
    if (what == "attribution") return analyzeAttribution(rest, out);
    if (what == "faithfulness") return analyzeFaithfulness(rest, out);
    throw UsageError{"unknown analysis '" + what +
                     "' (attention, mad, cka, levels, lens, depth, attribution, faithfulness)"};
}

} // namespace ringscope::cli
