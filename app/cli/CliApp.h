#pragma once
// Entry point of ringscope-cli: dispatches sub-commands and turns every failure into one line
// on stderr and exit status 1.

#include <ostream>
#include <string>
#include <vector>

namespace ringscope::cli {

/// Runs the tool as `main` would.
int runCli(int argc, char** argv);

/// Runs a command line (without the program name), writing to the given streams.
int runCliArgs(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// The usage text of every command.
std::string usageText();

/// The usage and options of one command ("info") or analysis ("analyze mad"); "analyze" lists
/// every analysis. Empty for an unknown name.
std::string commandHelpText(const std::string& name);

} // namespace ringscope::cli
