#include "ringscope/model/data/IdxDataset.h"

#include "io/Inflate.h"

#include "ringscope/model/io/FileIO.h"
#include "ringscope/model/core/Error.h"

#include <cstring>
#include <cstdlib>
#include <filesystem>

namespace ringscope {
namespace {

// Fashion-MNIST's training images are 47 MB; a file (or what a gzip file inflates to) larger
// than this is refused before it is held in memory.
constexpr uint64_t kMaxIdxBytes = uint64_t(2) << 30;

uint32_t bigEndian32(const std::string& b, size_t pos) {
    return (uint32_t(uint8_t(b[pos])) << 24) | (uint32_t(uint8_t(b[pos + 1])) << 16) |
           (uint32_t(uint8_t(b[pos + 2])) << 8) | uint32_t(uint8_t(b[pos + 3]));
}

} // namespace

torch::Tensor readIdx(const std::string& path) {
    std::string bytes = readWholeFile(path, kMaxIdxBytes);
    if (detail::isGzip(bytes)) bytes = detail::gunzip(bytes, path, kMaxIdxBytes);
    if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0)
        throw FileFormatError(path, "not an IDX file (bad magic number)");
    const uint8_t type = uint8_t(bytes[2]), dims = uint8_t(bytes[3]);
    if (type != 0x08)
        throw FileFormatError(path, "IDX element type " + std::to_string(type) +
                                        " is not supported (unsigned bytes only)");
    if (dims == 0 || dims > 4)
        throw FileFormatError(path, "IDX file with " + std::to_string(dims) + " dimensions");
    if (bytes.size() < 4 + 4 * size_t(dims)) throw FileFormatError(path, "IDX header is truncated");
    std::vector<int64_t> shape;
    uint64_t count = 1;
    for (int i = 0; i < dims; ++i) {
        const uint32_t d = bigEndian32(bytes, 4 + 4 * size_t(i));
        if (d > (1u << 30)) throw FileFormatError(path, "IDX dimension is implausibly large");
        shape.push_back(int64_t(d));
        count *= d;
        if (count > kMaxIdxBytes) throw FileFormatError(path, "IDX data is implausibly large");
    }
    const size_t start = 4 + 4 * size_t(dims);
    if (bytes.size() - start != count)
        throw FileFormatError(path, "IDX header promises " + std::to_string(count) +
                                        " bytes, the file has " +
                                        std::to_string(bytes.size() - start) + " (truncated?)");
    torch::Tensor t = torch::empty(shape, torch::kUInt8);
    if (count > 0) std::memcpy(t.data_ptr<uint8_t>(), bytes.data() + start, count);
    return t;
}

std::unique_ptr<InMemoryDataset> loadIdxDataset(const std::string& imagesPath,
                                                const std::string& labelsPath,
                                                std::vector<std::string> classNames,
                                                const std::string& name) {
    torch::Tensor images = readIdx(imagesPath);
    torch::Tensor labels = readIdx(labelsPath);
    if (images.dim() != 3 && !(images.dim() == 4 && (images.size(3) == 1 || images.size(3) == 3)))
        throw FileFormatError(imagesPath, "IDX images must be [N, H, W] (or [N, H, W, C])");
    if (labels.dim() != 1) throw FileFormatError(labelsPath, "IDX labels must be one-dimensional");
    if (labels.size(0) != images.size(0))
        throw FileFormatError(labelsPath, std::to_string(labels.size(0)) + " labels for " +
                                              std::to_string(images.size(0)) + " images in " +
                                              imagesPath);
    if (images.dim() == 3) images = images.unsqueeze(3);
    if (images.size(0) == 0) throw FileFormatError(imagesPath, "the IDX file holds no images");
    torch::Tensor l = labels.to(torch::kInt64);
    if (classNames.empty()) {
        const int64_t k = l.max().item<int64_t>() + 1;
        for (int64_t i = 0; i < k; ++i)
            classNames.push_back(std::to_string(i));
    }
    try {
        return std::make_unique<InMemoryDataset>(images, l, std::move(classNames),
                                                 name.empty() ? "idx:" + imagesPath : name);
    } catch (const RingScopeError& e) {
        throw FileFormatError(labelsPath, e.what());
    }
}

std::string defaultFashionMnistDir() {
    if (const char* dir = std::getenv("RINGSCOPE_FASHION_MNIST"); dir && *dir) return dir;
    return "/usr/share/datasets/fashion-mnist";
}

const std::vector<std::string>& fashionMnistClassNames() {
    static const std::vector<std::string> names = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

std::unique_ptr<InMemoryDataset> loadFashionMnist(const std::string& split,
                                                  const std::string& dir) {
    if (split != "train" && split != "test")
        throw RingScopeError("Fashion-MNIST split must be 'train' or 'test', not '" + split + "'");
    const std::string folder = dir.empty() ? defaultFashionMnistDir() : dir;
    const std::string stem = split == "train" ? "train" : "t10k";
    std::string images = folder + "/" + stem + "-images-idx3-ubyte";
    std::string labels = folder + "/" + stem + "-labels-idx1-ubyte";
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::u8path(images), ec)) images += ".gz";
    if (!std::filesystem::exists(std::filesystem::u8path(labels), ec)) labels += ".gz";
    if (!std::filesystem::exists(std::filesystem::u8path(images), ec))
        throw FileFormatError(
            images,
            "Fashion-MNIST not found (on Debian: apt install dataset-fashion-mnist; elsewhere "
            "set RINGSCOPE_FASHION_MNIST to the folder of its four IDX files)");
    auto ds = loadIdxDataset(images, labels, fashionMnistClassNames(), "fashion-mnist:" + split);
    if (ds->numClasses() != 10) throw FileFormatError(labels, "Fashion-MNIST labels outside 0..9");
    return ds;
}

} // namespace ringscope
