#include "CommandSupport.h"

#include "ringscope/model/Error.h"

#include <filesystem>

namespace ringscope::cli {

LoadedModel loadModelFromArgs(const std::string& path, const CliArgs& args) {
    LoadOptions options;
    if (auto heads = args.integer("heads")) {
        if (*heads <= 0) throw UsageError{"--heads must be positive"};
        options.heads = heads;
    }
    return loadModel(path, options);
}

std::string positionalAt(const CliArgs& args, size_t index, const std::string& what) {
    if (args.positional().size() <= index) throw UsageError{"missing " + what};
    return args.positional()[index];
}

void makeDirectory(const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec || !std::filesystem::is_directory(path))
        throw FileFormatError(path, "cannot create the output directory" + (ec ? ": " + ec.message() : ""));
}

} // namespace ringscope::cli
