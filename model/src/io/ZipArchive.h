#pragma once
// Minimal ZIP support for PyTorch's checkpoint container: reading stored and deflated
// entries (with ZIP64), checking CRC-32; writing stored entries aligned to 64 bytes as
// PyTorch's own writer does.

#include "io/ByteSource.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ringscope::detail {

/// One file inside the archive, as the central directory describes it.
struct ZipEntry {
    std::string name;
    uint16_t method = 0; ///< 0 stored, 8 deflate
    uint32_t crc32 = 0;
    uint64_t compressedSize = 0;
    uint64_t size = 0; ///< uncompressed
    uint64_t localHeaderOffset = 0;
};

/// Reads entries of a ZIP archive on demand. All sizes and offsets are checked against the file.
class ZipReader {
public:
    /// Parses the central directory. Throws FileFormatError for anything malformed.
    explicit ZipReader(ByteSource& source);

    const std::vector<ZipEntry>& entries() const { return entries_; }
    /// The entry with this exact name, or nullptr.
    const ZipEntry* find(const std::string& name) const;
    /// Reads a whole entry into `dst` (entry.size bytes) and checks its CRC-32.
    void read(const ZipEntry& entry, void* dst);
    /// Reads a whole entry as a string (for small records such as data.pkl).
    std::string readString(const ZipEntry& entry, uint64_t maxBytes);

private:
    void parseCentralDirectory();
    uint64_t dataOffset(const ZipEntry& entry);
    void inflateInto(const std::string& packed, void* dst, const ZipEntry& entry);

    ByteSource& src_;
    std::vector<ZipEntry> entries_;
    std::map<std::string, size_t> byName_;
};

/// True when the bytes start like a ZIP archive ("PK\3\4" or an empty archive "PK\5\6").
bool looksLikeZip(const std::string& head);

/// Builds a ZIP archive in memory: stored entries, data aligned to 64 bytes, CRC-32 set.
class ZipWriter {
public:
    /// Adds a file. Throws std::length_error above 4 GiB per archive (no ZIP64 writing).
    void add(const std::string& name, const void* data, uint64_t size);
    /// The finished archive (central directory appended). Call once.
    std::string finish();

private:
    struct Written {
        std::string name;
        uint32_t crc = 0;
        uint64_t size = 0;
        uint64_t offset = 0;
    };
    std::string out_;
    std::vector<Written> written_;
};

} // namespace ringscope::detail
