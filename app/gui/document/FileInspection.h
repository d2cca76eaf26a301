#pragma once
// A tensor file opened for the Inspector only: every file RingScope can read, runnable or not
// (a checkpoint of another architecture, a safetensors file of anything). Read and summarised
// on a worker thread; no torch types in this header.

#include "document/ModelSession.h"

#include <memory>
#include <string>
#include <vector>

namespace ringscope::gui {

class FileInspection {
public:
    /// Reads `path` and computes the statistics of every stored tensor (worker thread).
    /// Throws std::exception with a message naming the file for a file RingScope cannot read.
    static std::shared_ptr<const FileInspection> read(const std::string& path);
    ~FileInspection();

    const std::string& path() const { return path_; }
    /// The stored tensors in file order, with statistics.
    const std::vector<ParameterStat>& stats() const { return stats_; }
    /// Format, container, structure, metadata and training state of the file.
    const CheckpointFacts& facts() const { return facts_; }
    /// What RingScope makes of it: the model summary, or why it is not a runnable model.
    const std::string& verdict() const { return verdict_; }
    bool runnable() const { return runnable_; }
    /// Histogram of one tensor: `bins` counts between its min and max (empty: unknown name).
    std::vector<double> histogram(const std::string& name, int bins) const;

private:
    FileInspection();
    struct Data;
    std::unique_ptr<Data> d_;
    std::string path_, verdict_;
    std::vector<ParameterStat> stats_;
    CheckpointFacts facts_;
    bool runnable_ = false;
};

} // namespace ringscope::gui
