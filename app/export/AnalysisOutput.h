#pragma once
// The folder an analysis export writes (the `analyze` commands, the app's exports): numbers (.npy
// with the documented axis order, .csv in long format, one results .json), figures (.png, .svg,
// .pdf) and manifest.json (checkpoints with SHA-256, data source, settings, program version,
// files).

#include <torch/types.h>

#include "FigureExport.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ringscope::plots {
class Figure;
}

namespace ringscope {

/// One axis of an exported array: its name and the number of its first index.
struct Axis {
    std::string name;
    bool oneBased = true; ///< applications, heads, levels: 1-based; images, tokens: 0-based
    int64_t offset = 0;   ///< added to the first index (pairs of applications start at 2)
    int64_t first() const { return (oneBased ? 1 : 0) + offset; }
};

class AnalysisOutput {
public:
    /// Creates `dir` (and parents). `command` names the analysis ("mad", "cka", ...).
    AnalysisOutput(std::string dir, std::string command);

    /// Writes STEM.npy (float64 data as float64, the rest float32) and STEM.csv (one row per
    /// value: the axes' indices, then `value`) and lists the array in the results.
    void array(const std::string& stem, const torch::Tensor& values, const std::vector<Axis>& axes,
               const std::string& description);
    /// Writes STEM.png/.svg/.pdf of the figure.
    void figure(plots::Figure& figure, const std::string& stem,
                const plots::ExportOptions& options = {});
    /// Records a checkpoint file (path and SHA-256) in the manifest, with the input it was fed
    /// (`input`: normalisation and where it came from; null: not recorded).
    void checkpoint(const std::string& role, const std::string& path,
                    const nlohmann::json& input = nullptr);
    /// Results and manifest entries.
    nlohmann::json& results() { return results_; }
    nlohmann::json& manifest() { return manifest_; }
    /// Writes COMMAND.json (the results) and manifest.json, atomically. Returns the folder.
    std::string finish();

    const std::string& dir() const { return dir_; }

private:
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    void writeCsv(const std::string& file, const torch::Tensor& values,
                  const std::vector<Axis>& axes);

    std::string dir_, command_;
    nlohmann::json results_ = nlohmann::json::object();
    nlohmann::json manifest_ = nlohmann::json::object();
    std::vector<std::string> files_;
};

} // namespace ringscope
