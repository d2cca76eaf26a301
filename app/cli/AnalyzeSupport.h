#pragma once
// Shared pieces of the `analyze` sub-commands.

#include "CliArgs.h"
#include "FigureExport.h"

#include "ringscope/analysis/DataAnalysis.h"
#include "ringscope/model/LoadedModel.h"

#include <QImage>

#include <opencv2/core.hpp>

#include <memory>
#include <optional>
#include <string>

namespace ringscope {
class AnalysisOutput;
}

namespace ringscope::cli {

/// A model named on the command line.
struct ModelArg {
    LoadedModel loaded;
    std::string path;  ///< the weights file read
    std::string label; ///< "RingFormer (file.pt)"
    analysis::ModelInput input() const { return {loaded.model.get(), loaded.metadata.inputSpec()}; }
};

/// Makes sure a QApplication exists for the plot components (offscreen unless a platform is
/// chosen through QT_QPA_PLATFORM).
void ensureGuiApplication();

/// Loads CHECKPOINT (heads from --heads when the file does not say).
ModelArg openModelArg(const std::string& path, const CliArgs& args);

/// Progress on stderr ("mad: 640/1000 images"), at most every half second.
analysis::RunControl stderrProgress(const std::string& what);

/// Figure size from --width, --height (pixels) and --dpi.
plots::ExportOptions exportOptions(const CliArgs& args);

int analyzeAttention(const std::vector<std::string>& args, std::ostream& out);
int analyzeMad(const std::vector<std::string>& args, std::ostream& out);
int analyzeCka(const std::vector<std::string>& args, std::ostream& out);
int analyzeLevels(const std::vector<std::string>& args, std::ostream& out);
int analyzeLens(const std::vector<std::string>& args, std::ostream& out);
int analyzeDepth(const std::vector<std::string>& args, std::ostream& out);
int analyzeAttribution(const std::vector<std::string>& args, std::ostream& out);
int analyzeFaithfulness(const std::vector<std::string>& args, std::ostream& out);

} // namespace ringscope::cli
