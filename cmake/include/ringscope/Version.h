#pragma once
/// RingScope's version (library ringscope_version, generated at build time by
/// cmake/GenerateVersion.cmake).

namespace ringscope {

/// The CMake project version plus `git describe` when built from a git checkout, e.g.
/// "0.1.0+d5173e6" or "0.1.0+d5173e6-dirty"; just "0.1.0" otherwise.
const char* versionString();

} // namespace ringscope

/// The CMake project version alone, e.g. "0.1.0" (a compile definition of ringscope_version).
#ifndef RINGSCOPE_PROJECT_VERSION
#define RINGSCOPE_PROJECT_VERSION "unknown"
#endif
