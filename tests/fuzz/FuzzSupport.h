#pragma once
// Shared by the libFuzzer targets: every reader takes a path, so each input is written to a
// file on tmpfs first. A reader may refuse an input with a RingScopeError (or another
// std::exception with a message); anything else — a crash, a sanitizer report, a hang, an
// allocation over libFuzzer's -malloc_limit_mb — is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

namespace ringscope::fuzz {

/// A per-process scratch file (or folder) on /dev/shm when it exists.
inline std::string scratchPath(const std::string& name) {
    static const std::string dir = [] {
        return std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    }();
    return dir + "/ringscope-fuzz-" + std::to_string(getpid()) + "-" + name;
}

inline void writeInput(const std::string& path, const uint8_t* data, size_t size) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
}

/// Runs `read`, swallowing the errors a reader is allowed to report.
template <class Read>
void expectCleanRefusal(Read&& read) {
    try {
        read();
    } catch (const std::exception&) {
        // A clear error for a bad file is the expected outcome.
    }
}

} // namespace ringscope::fuzz
