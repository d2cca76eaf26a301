#include "AnalysisOutput.h"

#include "ringscope/model/io/FileIO.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/io/Npy.h"
#include "ringscope/model/io/Sha256.h"
#include "ringscope/Version.h"

#include "Figure.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <sstream>

namespace ringscope {

namespace {

/// A CSV field as RFC 4180 wants it: quoted (inner quotes doubled) when it holds a comma, a
/// quote or a line break ("statistic (1 mean, 2 std)").
std::string csvField(const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

} // namespace

AnalysisOutput::AnalysisOutput(std::string dir, std::string command)
    : dir_(std::move(dir)), command_(std::move(command)) {
    makeOutputDirectory(dir_);
    results_["analysis"] = command_;
    results_["arrays"] = nlohmann::json::object();
    manifest_["program"] = "ringscope-cli";
    manifest_["version"] = ringscope::versionString();
    manifest_["analysis"] = command_;
    manifest_["checkpoints"] = nlohmann::json::array();
    const std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    manifest_["created"] = stamp;
}

void AnalysisOutput::writeCsv(const std::string& file, const torch::Tensor& values,
                              const std::vector<Axis>& axes) {
    const torch::Tensor flat = values.to(torch::kFloat64).contiguous().reshape({-1});
    const double* v = flat.data_ptr<double>();
    const std::vector<int64_t> shape = values.sizes().vec();
    std::ostringstream csv;
    csv.precision(10);
    for (const Axis& a : axes)
        csv << csvField(a.name) << ",";
    csv << "value\n";
    std::vector<int64_t> idx(shape.size(), 0);
    for (int64_t i = 0; i < flat.numel(); ++i) {
        for (size_t d = 0; d < idx.size(); ++d)
            csv << idx[d] + axes[d].first() << ",";
        if (std::isfinite(v[i]))
            csv << v[i];
        else
            csv << (std::isnan(v[i]) ? "nan" : v[i] > 0 ? "inf" : "-inf");
        csv << "\n";
        for (size_t d = idx.size(); d-- > 0;) {
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
        }
    }
    writeFileAtomically(path(file), csv.str());
    files_.push_back(file);
}

void AnalysisOutput::array(const std::string& stem, const torch::Tensor& values,
                           const std::vector<Axis>& axes, const std::string& description) {
    if (int64_t(axes.size()) != values.dim())
        throw std::logic_error(stem + ": " + std::to_string(axes.size()) + " axis names for " +
                               std::to_string(values.dim()) + " dimensions");
    const torch::Tensor out =
        values.scalar_type() == torch::kFloat64 ? values : values.to(torch::kFloat32);
    saveNpy(path(stem + ".npy"), out.contiguous());
    files_.push_back(stem + ".npy");
    writeCsv(stem + ".csv", values, axes);
    nlohmann::json names = nlohmann::json::array(), first = nlohmann::json::array();
    for (const Axis& a : axes) {
        names.push_back(a.name);
        first.push_back(a.first());
    }
    results_["arrays"][stem] = {{"shape", values.sizes().vec()},
                                {"axes", names},
                                {"first_index", first},
                                {"description", description}};
}

void AnalysisOutput::figure(plots::Figure& figure, const std::string& stem,
                            const plots::ExportOptions& options) {
    for (const char* ext : {".png", ".svg", ".pdf"}) {
        const QString error =
            plots::exportFigure(figure, QString::fromStdString(path(stem + ext)), options);
        if (!error.isEmpty()) throw FileFormatError(path(stem + ext), error.toStdString());
        files_.push_back(stem + ext);
    }
}

void AnalysisOutput::checkpoint(const std::string& role, const std::string& file,
                                const nlohmann::json& input) {
    nlohmann::json entry = {{"role", role}, {"path", file}, {"sha256", sha256OfFile(file)}};
    if (!input.is_null()) entry["input"] = input;
    manifest_["checkpoints"].push_back(std::move(entry));
}

std::string AnalysisOutput::finish() {
    writeFileAtomically(path(command_ + ".json"), results_.dump(2) + "\n");
    files_.push_back(command_ + ".json");
    manifest_["files"] = files_;
    writeFileAtomically(path("manifest.json"), manifest_.dump(2) + "\n");
    return dir_;
}

} // namespace ringscope
