#pragma once
/// @file AtomicFile.h
/// Atomic file replacement: write a temporary file beside the target, flush it, rename it over
/// the target. A crash or kill at any moment leaves either the old or the new file, complete.

#include <string>

namespace ringscope {

/// Writes `bytes` to `path` atomically. Throws FileFormatError naming the path on failure; the
/// previous file (if any) is then left untouched.
void writeFileAtomically(const std::string& path, const std::string& bytes);

/// Reads a whole file. Throws FileFormatError naming the path when it cannot be opened.
std::string readWholeFile(const std::string& path);

} // namespace ringscope
