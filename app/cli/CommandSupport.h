#pragma once
// Helpers shared by the sub-commands.

#include "CliArgs.h"

#include "ringscope/model/LoadedModel.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ringscope::cli {

/// The options of every command that opens a checkpoint (--heads, --image-size, --levels),
/// added to the command's own valued options.
std::set<std::string> withModelOptions(std::set<std::string> options);

/// What --heads, --image-size and --levels say (checked to be positive).
LoadOptions loadOptionsFromArgs(const CliArgs& args);

/// `options` plus --iterations and --extend (how many applications a pass runs).
std::set<std::string> withDepthOptions(std::set<std::string> options);
/// --iterations K (0 when absent: as trained) and --extend repeat-last|cycle|extend.
ForwardOptions depthFromArgs(const CliArgs& args);

/// Loads CHECKPOINT with --heads, --image-size and --levels when given.
LoadedModel loadModelFromArgs(const std::string& path, const CliArgs& args);

/// The single positional argument at `index`, or a UsageError naming what is missing.
std::string positionalAt(const CliArgs& args, size_t index, const std::string& what);

/// The model options shared by bench and train (--family, --encoding, --image-size, --patch,
/// --hidden, --heads, --mlp, --depth, --rank, --channels, --classes, --dropout). Options missing
/// from `args` come from `defaults` when it is given, else they are required (except rank,
/// channels, classes and dropout). Throws UsageError.
ModelConfig modelConfigFromArgs(const CliArgs& args, const std::optional<ModelConfig>& defaults);

/// Median of timings (the mean of the middle two for an even count); `v` must not be empty.
double median(std::vector<double> v);

} // namespace ringscope::cli
