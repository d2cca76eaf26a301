#pragma once
// What each libFuzzer target does with one input, shared by the fuzz targets (tests/fuzz/Fuzz*.cpp)
// White-box: calls the private readers of model/src directly.
// and by TestFuzzRegressions, which runs every saved finding (tests/fuzz/regressions/TARGET/)
// through the same function in the normal and the sanitizer test suites.
//
// Every reader takes a path, so each input is written to a per-process scratch file on tmpfs
// first. A reader may refuse an input with a RingScopeError (or another std::exception with a
// message): that is the expected outcome for a bad file, and `Outcome` records it. Anything
// else — a crash, a sanitizer report, a hang, an allocation over libFuzzer's -malloc_limit_mb —
// is a finding.
#include "io/ByteSource.h"
#include "checkpoint/PickleReader.h"
#include "checkpoint/SafeTensors.h"

#include "ringscope/model/checkpoint/Checkpoint.h"
#include "ringscope/model/data/CifarDataset.h"
#include "ringscope/model/data/IdxDataset.h"
#include "ringscope/model/data/ImageTensor.h"
#include "ringscope/model/io/Npy.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace ringscope::fuzz {

/// How a reader ended on one input: read, or refused with this message.
struct Outcome {
    bool refused = false;
    std::string message;
};

/// A per-process scratch file (or folder) on /dev/shm when it exists.
inline std::string scratchPath(const std::string& name) {
    static const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return dir + "/ringscope-fuzz-" + std::to_string(getpid()) + "-" + name;
}

inline void writeInput(const std::string& path, const uint8_t* data, size_t size) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
}

/// Runs `read`, turning the errors a reader is allowed to report into an Outcome.
template <class Read> Outcome expectCleanRefusal(Read&& read) {
    try {
        read();
        return {};
    } catch (const std::exception& e) {
        return {true, e.what()};
    }
}

/// Checkpoint reader: format detection, the zip container, the legacy format, the pickle subset
/// and its allow-list, safetensors — everything loadCheckpoint does with a file.
inline Outcome checkpoint(const uint8_t* data, size_t size) {
    static const std::string path = scratchPath("checkpoint.pt");
    writeInput(path, data, size);
    CheckpointLimits limits;
    limits.maxTotalBytes = int64_t(256) << 20; // keep each run's memory within libFuzzer's limit
    return expectCleanRefusal([&] { loadCheckpoint(path, limits); });
}

/// The pickle subset on its own (the data.pkl of a zip checkpoint): opcodes, memo, marks, the
/// allow-list of globals and the tensor rebuild helpers, with persistent ids resolved to None.
inline Outcome pickle(const uint8_t* data, size_t size) {
    using namespace ringscope::detail;
    PickleArena arena;
    PickleLimits limits{100000, 100000};
    PickleReader reader(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.pkl", arena,
        [&arena](const PyRef&) { return arena.make(PyKind::None); }, limits);
    return expectCleanRefusal([&] { reader.load(); });
}

/// safetensors: header length, JSON header, dtype/shape/offset validation, data ranges.
inline Outcome safetensors(const uint8_t* data, size_t size) {
    static const std::string path = scratchPath("weights.safetensors");
    writeInput(path, data, size);
    return expectCleanRefusal([&] {
        detail::ByteSource source(path);
        detail::readSafeTensors(source, int64_t(256) << 20);
    });
}

/// NumPy .npy: magic, version, header dict (descr, fortran_order, shape), data size.
inline Outcome npy(const uint8_t* data, size_t size) {
    static const std::string path = scratchPath("array.npy");
    writeInput(path, data, size);
    return expectCleanRefusal([&] { loadNpy(path); });
}

/// MNIST-format IDX files, plain or gzip-compressed (the gzip inflater included).
inline Outcome idx(const uint8_t* data, size_t size) {
    static const std::string path = scratchPath("images-idx3-ubyte.gz");
    writeInput(path, data, size);
    return expectCleanRefusal([&] { readIdx(path); });
}

/// CIFAR-10 / CIFAR-100 binary batches: the first input byte picks the variant, the rest is the
/// batch file (test_batch.bin or test.bin) in a scratch folder.
inline Outcome cifar(const uint8_t* data, size_t size) {
    if (size == 0) return {};
    static const std::string dir = [] {
        const std::string d = scratchPath("cifar");
        std::filesystem::create_directories(d);
        return d;
    }();
    const bool cifar100 = data[0] & 1;
    std::filesystem::remove(dir + "/test_batch.bin");
    std::filesystem::remove(dir + "/test.bin");
    writeInput(dir + (cifar100 ? "/test.bin" : "/test_batch.bin"), data + 1, size - 1);
    return expectCleanRefusal([&] { loadCifar(dir, "test"); });
}

/// Image decoding and preprocessing: header checks and limits, OpenCV's decoders (PNG, JPEG,
/// BMP, WebP, PNM), then the conversion to a model input (resize, gray <-> colour, normalise).
inline Outcome image(const uint8_t* data, size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    return expectCleanRefusal([&] {
        ImageLimits limits;
        limits.maxPixels = int64_t(1) << 22; // 4 megapixels: bounded memory per run
        const cv::Mat decoded = decodeImage(bytes, "fuzz-image", limits);
        InputSpec spec;
        spec.size = 28;
        spec.channels = decoded.channels() == 1 ? 3 : 1; // exercise both conversions
        preprocessImage(decoded, spec);
    });
}

/// The fuzz targets by name (the folder names under tests/fuzz/regressions/).
struct Target {
    const char* name;
    Outcome (*run)(const uint8_t*, size_t);
};
inline constexpr Target kTargets[] = {{"checkpoint", checkpoint},
                                      {"pickle", pickle},
                                      {"safetensors", safetensors},
                                      {"npy", npy},
                                      {"idx", idx},
                                      {"cifar", cifar},
                                      {"image", image}};

} // namespace ringscope::fuzz
