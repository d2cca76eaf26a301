#include "ringscope/model/ImageTensor.h"

#include "ImageHeader.h"

#include "ringscope/model/AtomicFile.h"
#include "ringscope/model/Error.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace ringscope {

double Normalization::meanAt(size_t c) const { return mean.empty() ? 0.0 : mean[std::min(c, mean.size() - 1)]; }
double Normalization::stdAt(size_t c) const { return std.empty() ? 1.0 : std[std::min(c, std.size() - 1)]; }

nlohmann::json Normalization::toJson() const { return {{"mean", mean}, {"std", std}}; }

Normalization Normalization::fromJson(const nlohmann::json& j) {
    Normalization n;
    if (!j.is_object()) return n;
    try {
        if (j.contains("mean")) n.mean = j.at("mean").get<std::vector<double>>();
        if (j.contains("std")) n.std = j.at("std").get<std::vector<double>>();
    } catch (const nlohmann::json::exception& e) {
        throw RingScopeError(std::string("bad normalisation in metadata: ") + e.what());
    }
    for (double s : n.std)
        if (!(s > 0.0)) throw RingScopeError("bad normalisation in metadata: std must be positive");
    return n;
}

torch::Tensor matToTensor(const cv::Mat& image, const Normalization& normalization) {
    if (image.empty()) throw RingScopeError("empty image");
    cv::Mat rgb;
    switch (image.channels()) {
    case 1: rgb = image; break;
    case 3: cv::cvtColor(image, rgb, cv::COLOR_BGR2RGB); break;
    case 4: cv::cvtColor(image, rgb, cv::COLOR_BGRA2RGB); break;
    default: throw RingScopeError("unsupported image with " + std::to_string(image.channels()) + " channels");
    }
    double scale = 1.0;
    switch (rgb.depth()) {
    case CV_8U: scale = 1.0 / 255.0; break;
    case CV_16U: scale = 1.0 / 65535.0; break;
    case CV_32F: case CV_64F: scale = 1.0; break;
    default: throw RingScopeError("unsupported image pixel depth");
    }
    cv::Mat f;
    rgb.convertTo(f, CV_32F, scale);
    if (!f.isContinuous()) f = f.clone();
    const int64_t H = f.rows, W = f.cols, C = f.channels();
    // HWC view over OpenCV's buffer, then a contiguous CHW copy owned by the tensor.
    torch::Tensor hwc = torch::from_blob(f.data, {H, W, C}, torch::kFloat32);
    torch::Tensor chw = hwc.permute({2, 0, 1}).clone().contiguous();
    for (int64_t c = 0; c < C; ++c)
        chw[c].sub_(normalization.meanAt(size_t(c))).div_(normalization.stdAt(size_t(c)));
    return chw;
}

torch::Tensor preprocessImage(const cv::Mat& image, const InputSpec& spec) {
    if (image.empty()) throw RingScopeError("empty image");
    if (spec.channels != 1 && spec.channels != 3)
        throw RingScopeError("models with " + std::to_string(spec.channels) + " input channels take no images");
    cv::Mat src = image;
    if (src.channels() == 4) cv::cvtColor(src, src, cv::COLOR_BGRA2BGR);
    if (spec.channels == 3 && src.channels() == 1) cv::cvtColor(src, src, cv::COLOR_GRAY2BGR);
    if (spec.channels == 1 && src.channels() == 3) cv::cvtColor(src, src, cv::COLOR_BGR2GRAY);
    const int size = static_cast<int>(spec.size);
    if (src.rows != size || src.cols != size) {
        const bool shrink = src.rows > size || src.cols > size;
        cv::Mat resized;
        cv::resize(src, resized, cv::Size(size, size), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
        src = resized;
    }
    return matToTensor(src, spec.normalization);
}

namespace {
/// A JPEG whose data stops before the end-of-image marker (libjpeg would decode it partially
/// and print a warning).
bool isTruncatedJpeg(const std::string& b) {
    if (b.size() < 3 || uint8_t(b[0]) != 0xff || uint8_t(b[1]) != 0xd8 || uint8_t(b[2]) != 0xff)
        return false;
    return b.rfind("\xff\xd9") == std::string::npos;
}
} // namespace

cv::Mat readImage(const std::string& path, const ImageLimits& limits) {
    // The size check comes first: readWholeFile names a missing file or a folder.
    return decodeImage(readWholeFile(path, limits.maxFileBytes), path, limits);
}

cv::Mat decodeImage(const std::string& bytes, const std::string& name, const ImageLimits& limits) {
    if (bytes.empty()) throw FileFormatError(name, "the file is empty");
    if (bytes.size() > limits.maxFileBytes)
        throw FileFormatError(name, "image file larger than the limit of " + std::to_string(limits.maxFileBytes) + " bytes");
    detail::ImageHeader header;
    std::string problem;
    if (!detail::readImageHeader(bytes, header, problem)) throw FileFormatError(name, problem);
    if (header.width > limits.maxPixels / header.height)
        throw FileFormatError(name, header.format + " of " + std::to_string(header.width) + " x " +
                                        std::to_string(header.height) + " pixels is larger than the limit of " +
                                        std::to_string(limits.maxPixels) + " pixels");
    if (isTruncatedJpeg(bytes)) throw FileFormatError(name, "truncated JPEG (no end-of-image marker)");
    cv::Mat image;
    try {
        const cv::Mat raw(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
        image = cv::imdecode(raw, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
        throw FileFormatError(name, std::string("cannot decode image: ") + e.what());
    }
    if (image.empty()) throw FileFormatError(name, "not a readable " + header.format + " image (corrupt data)");
    if (image.dims != 2 || image.channels() > 4 || image.channels() == 2)
        throw FileFormatError(name, "unsupported image layout");
    return image;
}

} // namespace ringscope
