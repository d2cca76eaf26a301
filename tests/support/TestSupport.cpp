#include "TestSupport.h"

#include "ringscope/model/data/IdxDataset.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace ringscope::test {

ModelConfig smallModelConfig(Family family) {
    ModelConfig c;
    c.family = family;
    c.encoding = family == Family::UiT ? LevelEncoding::Static : LevelEncoding::None;
    c.imageSize = 20;
    c.patch = 4;
    c.hidden = 48;
    c.heads = 3;
    c.mlp = 96;
    c.depth = 3;
    c.rank = 4;
    c.classes = 7;
    return c;
}

namespace {
std::string envOr(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}
} // namespace

std::string testDataDir() {
    return envOr("RINGSCOPE_TEST_DATA", "tests/data");
}
std::string fixturesDir() {
    return testDataDir() + "/official";
}
std::string timmFixturesDir() {
    return testDataDir() + "/timm";
}
bool hasFashionMnist() {
    return std::filesystem::exists(defaultFashionMnistDir() + "/t10k-images-idx3-ubyte.gz");
}
std::string sourceDir() {
    return envOr("RINGSCOPE_SOURCE_DIR", ".");
}
std::string cliPath() {
    return envOr("RINGSCOPE_CLI", "ringscope-cli");
}

std::string makeTempDir(const std::string& tag) {
    static std::vector<std::unique_ptr<QTemporaryDir>> dirs;
    auto dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + "/ringscope-" +
                                               QString::fromStdString(tag) + "-XXXXXX");
    if (!dir->isValid()) throw std::runtime_error("cannot create a temporary directory");
    std::string path = dir->path().toStdString();
    dirs.push_back(std::move(dir));
    return path;
}

std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeBytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

ProcessResult runCli(const std::vector<std::string>& args) {
    QProcess p;
    QStringList qargs;
    for (const auto& a : args)
        qargs << QString::fromStdString(a);
    p.start(QString::fromStdString(cliPath()), qargs);
    ProcessResult r;
    if (!p.waitForStarted(30000)) return r;
    p.waitForFinished(600000);
    r.crashed = p.exitStatus() == QProcess::CrashExit;
    r.exitCode = p.exitCode();
    r.out = p.readAllStandardOutput().toStdString();
    r.err = p.readAllStandardError().toStdString();
    return r;
}

} // namespace ringscope::test
