#pragma once
/// @file CifarDataset.h
/// CIFAR-10 and CIFAR-100 in their binary distribution ("... binary version" archives).

#include "ringscope/model/data/InMemoryDataset.h"

#include <memory>
#include <string>

namespace ringscope {

/// Reads the `train` or `test` split from a folder holding either CIFAR-10 (`data_batch_1.bin`
/// .. `data_batch_5.bin`, `test_batch.bin`, optional `batches.meta.txt`) or CIFAR-100
/// (`train.bin`, `test.bin`, optional `fine_label_names.txt`; fine labels). Images come out as
/// 32x32 BGR. Throws FileFormatError naming the file for a missing or malformed batch.
std::unique_ptr<InMemoryDataset> loadCifar(const std::string& dir,
                                           const std::string& split = "test");

} // namespace ringscope
