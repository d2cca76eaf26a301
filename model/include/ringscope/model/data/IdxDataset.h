#pragma once
/// @file IdxDataset.h
/// MNIST-format IDX files (optionally gzip-compressed) and Fashion-MNIST.

#include "ringscope/model/data/InMemoryDataset.h"

#include <memory>
#include <string>

namespace ringscope {

/// Reads an IDX file of unsigned bytes (type 0x08), plain or `.gz`: a uint8 tensor with the
/// file's dimensions. Throws FileFormatError naming the file for a bad magic number, an
/// unsupported element type, or a size that does not match the header.
torch::Tensor readIdx(const std::string& path);

/// An image set from an IDX image file [N, H, W] and an IDX label file [N]. Class names are
/// "0".."K-1" unless given.
std::unique_ptr<InMemoryDataset> loadIdxDataset(const std::string& imagesPath,
                                                const std::string& labelsPath,
                                                std::vector<std::string> classNames = {},
                                                const std::string& name = "");

/// Where Fashion-MNIST is looked for: the environment variable RINGSCOPE_FASHION_MNIST when set
/// (a folder holding the four IDX files, plain or gzip), else the folder of Debian's
/// `dataset-fashion-mnist` package.
std::string defaultFashionMnistDir();

/// The 10 Fashion-MNIST class names in label order ("T-shirt/top", "Trouser", ...).
const std::vector<std::string>& fashionMnistClassNames();

/// Fashion-MNIST `train` (60000) or `test` (10000) split from `dir` (default: Debian's
/// package folder). Throws FileFormatError explaining how to install it when it is missing.
std::unique_ptr<InMemoryDataset> loadFashionMnist(const std::string& split = "test",
                                                  const std::string& dir = "");

} // namespace ringscope
