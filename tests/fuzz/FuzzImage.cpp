// Image decoding and preprocessing: header checks and limits, OpenCV's decoders (PNG, JPEG,
// BMP, WebP, PNM), then the conversion to a model input (resize, gray <-> colour, normalise).
#include "FuzzSupport.h"

#include "ringscope/model/ImageTensor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    ringscope::fuzz::expectCleanRefusal([&] {
        ringscope::ImageLimits limits;
        limits.maxPixels = int64_t(1) << 22; // 4 megapixels: bounded memory per run
        const cv::Mat image = ringscope::decodeImage(bytes, "fuzz-image", limits);
        ringscope::InputSpec spec;
        spec.size = 28;
        spec.channels = image.channels() == 1 ? 3 : 1; // exercise both conversions
        ringscope::preprocessImage(image, spec);
    });
    return 0;
}
