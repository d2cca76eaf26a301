#pragma once
// Helpers shared by the sub-commands.

#include "CliArgs.h"

#include "ringscope/model/LoadedModel.h"

#include <string>

namespace ringscope::cli {

/// Loads CHECKPOINT with the --heads option when given.
LoadedModel loadModelFromArgs(const std::string& path, const CliArgs& args);

/// The single positional argument at `index`, or a UsageError naming what is missing.
std::string positionalAt(const CliArgs& args, size_t index, const std::string& what);

/// Creates a directory (and parents); throws FileFormatError naming it on failure.
void makeDirectory(const std::string& path);

} // namespace ringscope::cli
