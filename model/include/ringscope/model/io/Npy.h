#pragma once
/// @file Npy.h
/// NumPy `.npy` files (format versions 1-3; C order; float32, float64, int64 and a few more
/// integer/bool dtypes for reading).

#include <torch/types.h>

#include <string>

namespace ringscope {

/// Reads a `.npy` file into a CPU tensor of the stored dtype (float32/float64/int64/int32/
/// uint8/bool). Throws FileFormatError naming the file for a bad header, Fortran order, an
/// unsupported dtype, big-endian data or a size that does not match the file.
torch::Tensor loadNpy(const std::string& path);

/// Writes a tensor (float32, float64 or int64; made contiguous) as `.npy` version 1.0,
/// atomically. Other dtypes throw FileFormatError.
void saveNpy(const std::string& path, const torch::Tensor& tensor);

} // namespace ringscope
