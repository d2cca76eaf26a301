#pragma once
// Paths and helpers shared by the Qt Test executables.

#include "ringscope/model/nets/ModelConfig.h"

#include <string>
#include <vector>

namespace ringscope::test {

/// tests/data of the source tree (RINGSCOPE_TEST_DATA, set by CTest).
std::string testDataDir();
/// tests/data/official: reference outputs of the published RingFormer code.
std::string fixturesDir();
/// tests/data/timm: ViTs saved by timm and Hugging Face transformers, with reference outputs.
std::string timmFixturesDir();
/// True when Fashion-MNIST is installed (the Debian package dataset-fashion-mnist, or the
/// folder in RINGSCOPE_FASHION_MNIST). Tests that need it QSKIP with kNoFashionMnist otherwise.
bool hasFashionMnist();
/// The reason a test gives when it skips for want of Fashion-MNIST.
inline constexpr const char* kNoFashionMnist =
    "Fashion-MNIST is not installed (apt install dataset-fashion-mnist, or set "
    "RINGSCOPE_FASHION_MNIST)";
/// A small model of `family` for fast tests: 20 px images, patch 4, d 48, 3 heads, MLP 96,
/// depth 3, rank 4, 7 classes (a UiT with the static level table).
ModelConfig smallModelConfig(Family family);
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
