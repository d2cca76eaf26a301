#pragma once
// The sub-commands of ringscope-cli. Each takes the arguments after its name, writes results to
// `out`, and throws on failure (CliApp turns exceptions into one line on stderr and status 1).

#include <ostream>
#include <string>
#include <vector>

namespace ringscope::cli {

using Args = std::vector<std::string>;

int infoCommand(const Args& args, std::ostream& out);
int runCommand(const Args& args, std::ostream& out);
int classifyCommand(const Args& args, std::ostream& out);
int convertCommand(const Args& args, std::ostream& out);
int benchCommand(const Args& args, std::ostream& out);
int trainCommand(const Args& args, std::ostream& out);
int evaluateCommand(const Args& args, std::ostream& out);
int analyzeCommand(const Args& args, std::ostream& out);
int benchAnalysisCommand(const Args& args, std::ostream& out);
int soakCommand(const Args& args, std::ostream& out);

} // namespace ringscope::cli
