#pragma once
/// @file FileIO.h
/// Atomic file replacement: write a temporary file beside the target, flush it, rename it over
/// the target. A crash or kill at any moment leaves either the old or the new file, complete.

#include <cstdint>
#include <string>

namespace ringscope {

/// Writes `bytes` to `path` atomically. Throws FileFormatError naming the path on failure; the
/// previous file (if any) is then left untouched.
void writeFileAtomically(const std::string& path, const std::string& bytes);

/// Creates the folder `path` (and its parents) for a command's output. Throws FileFormatError
/// naming it ("cannot create the output directory") when it cannot be made or is not a folder.
void makeOutputDirectory(const std::string& path);

/// Largest file readWholeFile reads unless told otherwise (4 GiB).
constexpr uint64_t kDefaultReadLimit = uint64_t(4) << 30;

/// Reads a whole file. Throws FileFormatError naming the path when it cannot be opened or is
/// larger than `maxBytes` (checked before anything is allocated).
std::string readWholeFile(const std::string& path, uint64_t maxBytes = kDefaultReadLimit);

} // namespace ringscope
