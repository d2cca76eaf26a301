#include "ringscope/model/io/FileIO.h"

#include "io/ByteSource.h"

#include "ringscope/model/core/Error.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif
#ifdef __APPLE__
#include <fcntl.h>
#endif

namespace ringscope {
namespace {

namespace fs = std::filesystem;

/// A temporary name beside the target that no other writer in this process uses.
fs::path temporaryPathFor(const fs::path& target) {
    static std::atomic<unsigned> counter{0};
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    std::ostringstream suffix;
    suffix << ".tmp-" << std::hex << stamp << "-" << counter.fetch_add(1);
    // Built as a path, not through filename().string(): on Windows that conversion goes through
    // the ANSI code page and throws for names it cannot represent.
    fs::path name(".");
    name += target.filename();
    name += suffix.str();
    return target.parent_path() / name;
}

/// Flushes the C stream and asks the OS to put the data on disk.
bool flushToDisk(std::FILE* f) {
    if (std::fflush(f) != 0) return false;
#ifdef _WIN32
    return _commit(_fileno(f)) == 0;
#elif defined(__APPLE__)
    // fsync on macOS leaves the data in the drive's cache; F_FULLFSYNC flushes it (not every
    // file system supports it: fall back to fsync).
    return fcntl(fileno(f), F_FULLFSYNC) == 0 || fsync(fileno(f)) == 0;
#else
    return fsync(fileno(f)) == 0;
#endif
}

void writeTemporary(const fs::path& tmp, const std::string& bytes, const std::string& path) {
#ifdef _WIN32
    std::FILE* f = _wfopen(tmp.wstring().c_str(), L"wb");
#else
    std::FILE* f = std::fopen(tmp.string().c_str(), "wb");
#endif
    if (!f) throw FileFormatError(path, "cannot create a file in this folder");
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    const bool flushed = written && flushToDisk(f);
    const bool closed = std::fclose(f) == 0;
    if (!written || !flushed || !closed) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw FileFormatError(path, "writing failed (disk full or no permission?)");
    }
}

} // namespace

void writeFileAtomically(const std::string& path, const std::string& bytes) {
    const fs::path target = fs::u8path(path);
    const fs::path tmp = temporaryPathFor(target);
    writeTemporary(tmp, bytes, path);
    std::error_code ec;
    fs::rename(tmp, target, ec);
#ifdef _WIN32
    // Windows refuses to replace a file while another process (a reader, a virus scanner, the
    // search indexer) holds it open without FILE_SHARE_DELETE: such handles are usually brief.
    for (int attempt = 0; ec && attempt < 20; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        fs::rename(tmp, target, ec);
    }
#endif
    if (ec) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        throw FileFormatError(path, "cannot replace the file: " + ec.message());
    }
}

std::string readWholeFile(const std::string& path, uint64_t maxBytes) {
    detail::ByteSource source(path);
    if (source.size() > maxBytes)
        throw FileFormatError(path, "the file has " + std::to_string(source.size()) +
                                        " bytes, more than the limit of " +
                                        std::to_string(maxBytes) + " for this kind of file");
    return source.readString(0, source.size());
}

void makeOutputDirectory(const std::string& path) {
    std::error_code ec;
    fs::create_directories(fs::u8path(path), ec);
    if (ec || !fs::is_directory(fs::u8path(path)))
        throw FileFormatError(path, "cannot create the output directory" +
                                        (ec ? ": " + ec.message() : ""));
}

} // namespace ringscope
