#include "ringscope/model/data/FolderDataset.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/data/ImageTensor.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>

namespace ringscope {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> imagesIn(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code ec2;
        if (it->is_regular_file(ec2) && FolderDataset::isImageFile(it->path().u8string()))
            out.push_back(it->path().u8string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

bool FolderDataset::isImageFile(const std::string& path) {
    std::string ext = fs::u8path(path).extension().u8string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".webp";
}

FolderDataset::FolderDataset(const std::string& dir) : dir_(dir) {
    const fs::path root = fs::u8path(dir);
    std::error_code ec;
    if (!fs::is_directory(root, ec))
        throw FileFormatError(dir, fs::exists(root, ec) ? "not a folder" : "no such folder");
    std::vector<fs::path> classDirs;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code ec2;
        if (it->is_directory(ec2)) classDirs.push_back(it->path());
    }
    std::sort(classDirs.begin(), classDirs.end());
    for (const fs::path& c : classDirs) {
        std::vector<std::string> files = imagesIn(c);
        if (files.empty()) continue;
        const int64_t label = int64_t(classNames_.size());
        classNames_.push_back(c.filename().u8string());
        for (auto& f : files) {
            files_.push_back(std::move(f));
            labels_.push_back(label);
        }
    }
    if (files_.empty()) {
        files_ = imagesIn(root);
        labels_.assign(files_.size(), -1);
    }
    if (files_.empty())
        throw FileFormatError(
            dir,
            "no images found (PNG, JPEG, BMP or WebP, directly or in one sub-folder per class)");
}

Sample FolderDataset::get(int64_t index) const {
    if (index < 0 || index >= size()) throw std::out_of_range("dataset index out of range");
    cv::Mat image = readImage(files_[size_t(index)]);
    if (image.depth() != CV_8U) {
        cv::Mat eight;
        image.convertTo(eight, CV_8U, image.depth() == CV_16U ? 1.0 / 257.0 : 255.0);
        image = eight;
    }
    if (image.channels() == 4) {
        cv::Mat bgr;
        cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
        image = bgr;
    }
    return Sample{image, labels_[size_t(index)]};
}

std::string FolderDataset::description() const {
    return "folder:" + dir_ + " (" + std::to_string(size()) + " images, " +
           (classNames_.empty() ? std::string("unlabelled")
                                : std::to_string(classNames_.size()) + " classes") +
           ")";
}

} // namespace ringscope
