#pragma once
// Random-access reads from a file with bounds checks: every read outside the file is a
// FileFormatError naming the file, never undefined behaviour.

#include <cstdint>
#include <fstream>
#include <string>

namespace ringscope::detail {

class ByteSource {
public:
    /// Opens a file; throws FileFormatError (no such file, a folder, no permission).
    explicit ByteSource(const std::string& path);

    const std::string& path() const { return path_; }
    uint64_t size() const { return size_; }

    /// Reads `n` bytes at `offset` into `dst`; throws when the range is outside the file.
    void read(uint64_t offset, uint64_t n, void* dst);
    /// Reads `n` bytes at `offset` as a string.
    std::string readString(uint64_t offset, uint64_t n);
    /// Throws FileFormatError(path, what) unless [offset, offset + n) lies inside the file.
    void requireRange(uint64_t offset, uint64_t n, const std::string& what) const;

private:
    std::string path_;
    std::ifstream in_;
    uint64_t size_ = 0;
};

/// Little-endian integer from raw bytes.
inline uint64_t readLE(const unsigned char* p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}
inline uint64_t readLE(const std::string& s, size_t pos, int bytes) {
    return readLE(reinterpret_cast<const unsigned char*>(s.data()) + pos, bytes);
}
/// Appends a little-endian integer.
inline void writeLE(std::string& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(char((v >> (8 * i)) & 0xff));
}

} // namespace ringscope::detail
