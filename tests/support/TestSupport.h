#pragma once
// Paths and helpers shared by the Qt Test executables.

#include <string>
#include <vector>

namespace ringscope::test {

/// ../shared/fixtures/official (from RINGSCOPE_SHARED_DIR, set by CTest).
std::string fixturesDir();
/// tests/data of the source tree.
std::string testDataDir();
/// The source tree's root.
std::string sourceDir();
/// Path of the built ringscope-cli.
std::string cliPath();
/// A fresh temporary directory, removed when the process exits.
std::string makeTempDir(const std::string& tag);
/// Whole file as bytes.
std::string readBytes(const std::string& path);
/// Writes bytes to a file.
void writeBytes(const std::string& path, const std::string& bytes);

/// Result of running a command: exit status, standard output and standard error.
struct ProcessResult {
    int exitCode = -1;
    bool crashed = false;
    std::string out;
    std::string err;
};
/// Runs the command-line tool with arguments (through QProcess).
ProcessResult runCli(const std::vector<std::string>& args);

} // namespace ringscope::test
