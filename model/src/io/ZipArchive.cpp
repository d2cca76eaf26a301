#include "io/ZipArchive.h"

#include "io/Inflate.h"

#include "ringscope/model/core/Error.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace ringscope::detail {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfCentralDir = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64EndOfCentralDir = 0x06064b50;
constexpr uint64_t kMax32 = 0xffffffffu;
constexpr size_t kAlignment = 64;

uint32_t crc32Of(const void* data, uint64_t size) {
    uLong crc = crc32(0L, Z_NULL, 0);
    const auto* p = static_cast<const Bytef*>(data);
    while (size > 0) {
        const uInt chunk = uInt(std::min<uint64_t>(size, 1u << 30));
        crc = crc32(crc, p, chunk);
        p += chunk;
        size -= chunk;
    }
    return uint32_t(crc);
}

/// Fills 64-bit sizes/offset from a ZIP64 extended-information extra field.
void applyZip64Extra(const std::string& extra, ZipEntry& e, bool sizeMax, bool compMax,
                     bool offsetMax, const std::string& path) {
    size_t pos = 0;
    while (pos + 4 <= extra.size()) {
        const uint64_t id = readLE(extra, pos, 2), len = readLE(extra, pos + 2, 2);
        if (pos + 4 + len > extra.size()) break;
        if (id == 0x0001) {
            size_t q = pos + 4;
            auto take = [&](uint64_t& field) {
                if (q + 8 > pos + 4 + len)
                    throw FileFormatError(path, "zip: malformed ZIP64 field of '" + e.name + "'");
                field = readLE(extra, q, 8);
                q += 8;
            };
            if (sizeMax) take(e.size);
            if (compMax) take(e.compressedSize);
            if (offsetMax) take(e.localHeaderOffset);
            return;
        }
        pos += 4 + len;
    }
    if (sizeMax || compMax || offsetMax)
        throw FileFormatError(path, "zip: ZIP64 field missing for '" + e.name + "'");
}

} // namespace

bool looksLikeZip(const std::string& head) {
    return head.size() >= 4 && head[0] == 'P' && head[1] == 'K' &&
           ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
}

ZipReader::ZipReader(ByteSource& source) : src_(source) {
    parseCentralDirectory();
}

void ZipReader::parseCentralDirectory() {
    const std::string& path = src_.path();
    const uint64_t fileSize = src_.size();
    if (fileSize < 22) throw FileFormatError(path, "zip: file too short for an archive");
    const uint64_t tailSize = std::min<uint64_t>(fileSize, 22 + 65535);
    const std::string tail = src_.readString(fileSize - tailSize, tailSize);
    size_t eocd = std::string::npos;
    for (size_t i = tail.size() - 22 + 1; i-- > 0;) {
        if (readLE(tail, i, 4) == kEndOfCentralDir) {
            eocd = i;
            break;
        }
    }
    if (eocd == std::string::npos)
        throw FileFormatError(path, "zip: end of central directory not found (truncated archive?)");
    const uint64_t eocdOffset = fileSize - tailSize + eocd;
    uint64_t count = readLE(tail, eocd + 10, 2);
    uint64_t dirSize = readLE(tail, eocd + 12, 4);
    uint64_t dirOffset = readLE(tail, eocd + 16, 4);
    if (count == 0xffff || dirSize == kMax32 || dirOffset == kMax32) {
        if (eocdOffset < 20) throw FileFormatError(path, "zip: ZIP64 locator missing");
        const std::string loc = src_.readString(eocdOffset - 20, 20);
        if (readLE(loc, 0, 4) != kZip64Locator)
            throw FileFormatError(path, "zip: ZIP64 locator missing");
        const uint64_t z64 = readLE(loc, 8, 8);
        src_.requireRange(z64, 56, "zip: ZIP64 end of central directory");
        const std::string rec = src_.readString(z64, 56);
        if (readLE(rec, 0, 4) != kZip64EndOfCentralDir)
            throw FileFormatError(path, "zip: bad ZIP64 end of central directory");
        count = readLE(rec, 32, 8);
        dirSize = readLE(rec, 40, 8);
        dirOffset = readLE(rec, 48, 8);
    }
    src_.requireRange(dirOffset, dirSize, "zip: central directory");
    if (count > dirSize / 46 + 1)
        throw FileFormatError(path, "zip: central directory claims more entries than it can hold");
    const std::string dir = src_.readString(dirOffset, dirSize);
    size_t pos = 0;
    for (uint64_t i = 0; i < count; ++i) {
        if (pos + 46 > dir.size() || readLE(dir, pos, 4) != kCentralHeader)
            throw FileFormatError(path, "zip: corrupt central directory");
        ZipEntry e;
        e.method = uint16_t(readLE(dir, pos + 10, 2));
        e.crc32 = uint32_t(readLE(dir, pos + 16, 4));
        e.compressedSize = readLE(dir, pos + 20, 4);
        e.size = readLE(dir, pos + 24, 4);
        const size_t nameLen = readLE(dir, pos + 28, 2), extraLen = readLE(dir, pos + 30, 2),
                     commentLen = readLE(dir, pos + 32, 2);
        e.localHeaderOffset = readLE(dir, pos + 42, 4);
        if (pos + 46 + nameLen + extraLen + commentLen > dir.size())
            throw FileFormatError(path, "zip: corrupt central directory");
        e.name = dir.substr(pos + 46, nameLen);
        applyZip64Extra(dir.substr(pos + 46 + nameLen, extraLen), e, e.size == kMax32,
                        e.compressedSize == kMax32, e.localHeaderOffset == kMax32, path);
        if (e.method != 0 && e.method != 8)
            throw FileFormatError(path, "zip: entry '" + e.name +
                                            "' uses unsupported compression method " +
                                            std::to_string(e.method));
        src_.requireRange(e.localHeaderOffset, e.compressedSize, "zip: entry '" + e.name + "'");
        byName_.emplace(e.name, entries_.size());
        entries_.push_back(std::move(e));
        pos += 46 + nameLen + extraLen + commentLen;
    }
}

const ZipEntry* ZipReader::find(const std::string& name) const {
    auto it = byName_.find(name);
    return it == byName_.end() ? nullptr : &entries_[it->second];
}

uint64_t ZipReader::dataOffset(const ZipEntry& e) {
    src_.requireRange(e.localHeaderOffset, 30, "zip: local header of '" + e.name + "'");
    const std::string h = src_.readString(e.localHeaderOffset, 30);
    if (readLE(h, 0, 4) != kLocalHeader)
        throw FileFormatError(src_.path(), "zip: bad local header for '" + e.name + "'");
    const uint64_t start = e.localHeaderOffset + 30 + readLE(h, 26, 2) + readLE(h, 28, 2);
    src_.requireRange(start, e.compressedSize, "zip: data of '" + e.name + "'");
    return start;
}

void ZipReader::read(const ZipEntry& e, void* dst) {
    const uint64_t start = dataOffset(e);
    if (e.method == 0) {
        if (e.compressedSize != e.size)
            throw FileFormatError(src_.path(), "zip: inconsistent sizes for '" + e.name + "'");
        src_.read(start, e.size, dst);
    } else {
        inflateInto(src_.readString(start, e.compressedSize), dst, e);
    }
    if (crc32Of(dst, e.size) != e.crc32)
        throw FileFormatError(src_.path(),
                              "zip: CRC-32 mismatch in '" + e.name + "' (corrupt file)");
}

/// Inflates a raw deflate stream into exactly e.size bytes at dst.
void ZipReader::inflateInto(const std::string& packed, void* dst, const ZipEntry& e) {
    std::string problem;
    const std::string data = inflateStream(packed, false, e.size, problem);
    if (!problem.empty() || data.size() != e.size)
        throw FileFormatError(src_.path(), "zip: corrupt compressed data in '" + e.name + "'");
    if (!data.empty())
        std::memcpy(dst, data.data(), data.size()); // dst is null for an empty tensor
}

std::string ZipReader::readString(const ZipEntry& e, uint64_t maxBytes) {
    if (e.size > maxBytes)
        throw FileFormatError(src_.path(), "zip: entry '" + e.name + "' is implausibly large (" +
                                               std::to_string(e.size) + " bytes)");
    std::string s(size_t(e.size), '\0');
    read(e, s.data());
    return s;
}

void ZipWriter::add(const std::string& name, const void* data, uint64_t size) {
    const size_t headerEnd = out_.size() + 30 + name.size();
    size_t pad = (kAlignment - (headerEnd + 4) % kAlignment) % kAlignment;
    const uint64_t end = headerEnd + 4 + pad + size;
    if (end > kMax32 - 1 || name.size() > 0xffff)
        throw std::length_error("archive larger than 4 GiB is not supported for writing");
    Written w{name, crc32Of(data, size), size, out_.size()};
    writeLE(out_, kLocalHeader, 4);
    writeLE(out_, 20, 2);   // version needed
    writeLE(out_, 0, 2);    // flags
    writeLE(out_, 0, 2);    // stored
    writeLE(out_, 0, 2);    // time
    writeLE(out_, 0x21, 2); // date 1980-01-01
    writeLE(out_, w.crc, 4);
    writeLE(out_, size, 4);
    writeLE(out_, size, 4);
    writeLE(out_, name.size(), 2);
    writeLE(out_, 4 + pad, 2);
    out_ += name;
    writeLE(out_, 0x4246, 2); // "FB": padding field, as PyTorch writes it
    writeLE(out_, pad, 2);
    out_.append(pad, 'Z');
    out_.append(static_cast<const char*>(data), size_t(size));
    written_.push_back(std::move(w));
}

std::string ZipWriter::finish() {
    const uint64_t dirOffset = out_.size();
    for (const Written& w : written_) {
        writeLE(out_, kCentralHeader, 4);
        writeLE(out_, 20, 2);
        writeLE(out_, 20, 2);
        writeLE(out_, 0, 2);
        writeLE(out_, 0, 2);
        writeLE(out_, 0, 2);
        writeLE(out_, 0x21, 2);
        writeLE(out_, w.crc, 4);
        writeLE(out_, w.size, 4);
        writeLE(out_, w.size, 4);
        writeLE(out_, w.name.size(), 2);
        writeLE(out_, 0, 2); // extra
        writeLE(out_, 0, 2); // comment
        writeLE(out_, 0, 2); // disk
        writeLE(out_, 0, 2); // internal attributes
        writeLE(out_, 0, 4); // external attributes
        writeLE(out_, w.offset, 4);
        out_ += w.name;
    }
    const uint64_t dirSize = out_.size() - dirOffset;
    if (out_.size() > kMax32 - 22 || written_.size() > 0xfffe)
        throw std::length_error("archive larger than 4 GiB is not supported for writing");
    writeLE(out_, kEndOfCentralDir, 4);
    writeLE(out_, 0, 2);
    writeLE(out_, 0, 2);
    writeLE(out_, written_.size(), 2);
    writeLE(out_, written_.size(), 2);
    writeLE(out_, dirSize, 4);
    writeLE(out_, dirOffset, 4);
    writeLE(out_, 0, 2);
    return std::move(out_);
}

} // namespace ringscope::detail
