#include "io/ByteSource.h"

#include "ringscope/model/core/Error.h"

#include <filesystem>

namespace ringscope::detail {

ByteSource::ByteSource(const std::string& path) : path_(path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path p = fs::u8path(path);
    if (fs::is_directory(p, ec)) throw FileFormatError(path, "is a folder, not a file");
    if (fs::exists(p, ec) && !fs::is_regular_file(p, ec))
        throw FileFormatError(path, "not a regular file");
    in_.open(p, std::ios::binary);
    if (!in_) {
        throw FileFormatError(path, fs::exists(p, ec) ? "cannot open the file (no permission?)"
                                                      : "no such file");
    }
    in_.seekg(0, std::ios::end);
    const std::streamoff end = in_.tellg();
    if (end < 0) throw FileFormatError(path, "cannot determine the file size");
    size_ = uint64_t(end);
}

void ByteSource::requireRange(uint64_t offset, uint64_t n, const std::string& what) const {
    if (offset > size_ || n > size_ - offset) {
        throw FileFormatError(
            path_, what + " lies outside the file (truncated or corrupt: " + std::to_string(n) +
                       " bytes at offset " + std::to_string(offset) + ", file has " +
                       std::to_string(size_) + ")");
    }
}

void ByteSource::read(uint64_t offset, uint64_t n, void* dst) {
    requireRange(offset, n, "data");
    if (n == 0) return;
    in_.clear();
    in_.seekg(std::streamoff(offset));
    in_.read(static_cast<char*>(dst), std::streamsize(n));
    if (!in_ || uint64_t(in_.gcount()) != n) throw FileFormatError(path_, "read error");
}

std::string ByteSource::readString(uint64_t offset, uint64_t n) {
    requireRange(offset, n, "data");
    std::string s(size_t(n), '\0');
    read(offset, n, s.data());
    return s;
}

} // namespace ringscope::detail
