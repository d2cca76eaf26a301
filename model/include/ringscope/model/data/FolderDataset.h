#pragma once
/// @file FolderDataset.h
/// Images in a folder: one sub-folder per class (names sorted), or a flat folder (unlabelled).
/// Images are decoded on demand, so the folder may be larger than memory.

#include "ringscope/model/data/Dataset.h"

#include <string>
#include <vector>

namespace ringscope {

class FolderDataset : public Dataset {
public:
    /// Scans `dir` for PNG, JPEG, BMP and WebP files (by extension, case-insensitive). With
    /// sub-folders that hold images, each is a class; otherwise the folder's own images are
    /// unlabelled. Throws FileFormatError naming the folder when it is missing or holds no
    /// images.
    explicit FolderDataset(const std::string& dir);

    int64_t size() const override { return int64_t(files_.size()); }
    Sample get(int64_t index) const override;
    const std::vector<std::string>& classNames() const override { return classNames_; }
    std::vector<int64_t> labels() const override { return labels_; }
    std::string description() const override;

    /// Path of sample `index`.
    const std::string& path(int64_t index) const { return files_.at(size_t(index)); }

    /// True for the extensions a folder scan picks up.
    static bool isImageFile(const std::string& path);

private:
    std::string dir_;
    std::vector<std::string> files_;
    std::vector<int64_t> labels_;
    std::vector<std::string> classNames_;
};

} // namespace ringscope
