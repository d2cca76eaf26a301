#include "ringscope/model/data/CifarDataset.h"

#include "ringscope/model/io/FileIO.h"
#include "ringscope/model/core/Error.h"

#include <filesystem>
#include <sstream>

namespace ringscope {
namespace {

constexpr int64_t kPixels = 32 * 32;
constexpr uint64_t kMaxBatchBytes = uint64_t(1) << 30; // CIFAR-100's train.bin is 155 MB
constexpr uint64_t kMaxNamesBytes = uint64_t(1) << 20;

bool exists(const std::string& p) {
    std::error_code ec;
    return std::filesystem::is_regular_file(std::filesystem::u8path(p), ec);
}

std::vector<std::string> readNames(const std::string& path, size_t want) {
    std::vector<std::string> names;
    if (exists(path)) {
        std::istringstream in(readWholeFile(path, kMaxNamesBytes));
        for (std::string line; std::getline(in, line);) {
            while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
                line.pop_back();
            if (!line.empty()) names.push_back(line);
        }
    }
    if (names.size() != want) {
        names.clear();
        for (size_t i = 0; i < want; ++i)
            names.push_back(std::to_string(i));
    }
    return names;
}

/// Appends the records of one batch file: `labelBytes` label bytes (the last one is used),
/// then 3072 bytes of R, G and B planes.
void readBatch(const std::string& path, int labelBytes, int64_t classes, std::vector<uint8_t>& bgr,
               std::vector<int64_t>& labels) {
    const std::string b = readWholeFile(path, kMaxBatchBytes);
    const size_t record = size_t(labelBytes) + 3 * kPixels;
    if (b.empty() || b.size() % record != 0)
        throw FileFormatError(path, "not a CIFAR binary batch (" + std::to_string(b.size()) +
                                        " bytes is not a multiple of " + std::to_string(record) +
                                        ")");
    const size_t n = b.size() / record;
    const size_t base = bgr.size();
    bgr.resize(base + n * 3 * kPixels);
    for (size_t r = 0; r < n; ++r) {
        const auto* rec = reinterpret_cast<const uint8_t*>(b.data()) + r * record;
        const int64_t label = rec[labelBytes - 1];
        if (label >= classes)
            throw FileFormatError(path, "label " + std::to_string(label) + " in record " +
                                            std::to_string(r) + " is outside the " +
                                            std::to_string(classes) + " classes");
        labels.push_back(label);
        const uint8_t* planes = rec + labelBytes;
        uint8_t* out = bgr.data() + base + r * 3 * kPixels;
        for (int64_t p = 0; p < kPixels; ++p) {
            out[3 * p + 0] = planes[2 * kPixels + p]; // B
            out[3 * p + 1] = planes[kPixels + p];     // G
            out[3 * p + 2] = planes[p];               // R
        }
    }
}

} // namespace

std::unique_ptr<InMemoryDataset> loadCifar(const std::string& dir, const std::string& split) {
    if (split != "train" && split != "test")
        throw RingScopeError("CIFAR split must be 'train' or 'test', not '" + split + "'");
    std::vector<std::string> files;
    int labelBytes = 1;
    int64_t classes = 10;
    std::string namesFile;
    if (exists(dir + "/test_batch.bin") || exists(dir + "/data_batch_1.bin")) {
        if (split == "test")
            files = {dir + "/test_batch.bin"};
        else
            for (int i = 1; i <= 5; ++i)
                files.push_back(dir + "/data_batch_" + std::to_string(i) + ".bin");
        namesFile = dir + "/batches.meta.txt";
    } else if (exists(dir + "/test.bin") || exists(dir + "/train.bin")) {
        files = {dir + "/" + split + ".bin"};
        labelBytes = 2;
        classes = 100;
        namesFile = dir + "/fine_label_names.txt";
    } else {
        throw FileFormatError(dir, "no CIFAR-10 (test_batch.bin, data_batch_N.bin) or CIFAR-100 "
                                   "(train.bin, test.bin) binary batches in this folder");
    }
    std::vector<uint8_t> bgr;
    std::vector<int64_t> labels;
    for (const std::string& f : files) {
        if (!exists(f)) throw FileFormatError(f, "CIFAR batch missing");
        readBatch(f, labelBytes, classes, bgr, labels);
    }
    const int64_t n = int64_t(labels.size());
    torch::Tensor images = torch::from_blob(bgr.data(), {n, 32, 32, 3}, torch::kUInt8).clone();
    torch::Tensor l = torch::from_blob(labels.data(), {n}, torch::kInt64).clone();
    const std::string name = (classes == 10 ? "cifar10:" : "cifar100:") + split;
    return std::make_unique<InMemoryDataset>(images, l, readNames(namesFile, size_t(classes)),
                                             name);
}

} // namespace ringscope
