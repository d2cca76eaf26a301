#pragma once
/// @file Sha256.h
/// SHA-256 (FIPS 180-4) of files and tensors: checkpoint digests in manifests, and a
/// fingerprint of model weights that tells whether two processes hold the same parameters.

#include "ringscope/model/core/StateDict.h"

#include <array>
#include <cstdint>
#include <string>

namespace ringscope {

/// Incremental SHA-256.
class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t size);
    void update(const std::string& bytes) { update(bytes.data(), bytes.size()); }
    /// The digest as 64 lowercase hex digits. Ends the computation.
    std::string hexDigest();

private:
    void block(const uint8_t* p);
    std::array<uint32_t, 8> h_;
    std::array<uint8_t, 64> buffer_{};
    size_t used_ = 0;
    uint64_t length_ = 0;
};

/// SHA-256 of a whole file, read in chunks. Throws FileFormatError naming the file.
std::string sha256OfFile(const std::string& path);

/// SHA-256 over the names, shapes and float32 values of the weights, in order.
std::string weightsFingerprint(const StateDict& weights);

} // namespace ringscope
