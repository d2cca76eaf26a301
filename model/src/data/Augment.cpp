#include "ringscope/model/data/Augment.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace ringscope {

cv::Mat randomResizedCrop(const cv::Mat& image, int size, uint64_t seed, const AugmentOptions& o) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const int H = image.rows, W = image.cols;
    const double area = double(H) * W;
    cv::Rect crop(0, 0, W, H);
    bool found = false;
    for (int attempt = 0; attempt < 10 && !found; ++attempt) {
        const double target = area * (o.minScale + (o.maxScale - o.minScale) * unit(rng));
        const double logRatio =
            std::log(o.minRatio) + (std::log(o.maxRatio) - std::log(o.minRatio)) * unit(rng);
        const double ratio = std::exp(logRatio);
        const int w = int(std::lround(std::sqrt(target * ratio)));
        const int h = int(std::lround(std::sqrt(target / ratio)));
        if (w > 0 && h > 0 && w <= W && h <= H) {
            const int x = int(rng() % uint64_t(W - w + 1));
            const int y = int(rng() % uint64_t(H - h + 1));
            crop = cv::Rect(x, y, w, h);
            found = true;
        }
    }
    if (!found) { // centre crop with the ratio clamped into range
        const double r = double(W) / H;
        int w = W, h = H;
        if (r < o.minRatio)
            h = int(std::lround(W / o.minRatio));
        else if (r > o.maxRatio)
            w = int(std::lround(H * o.maxRatio));
        crop = cv::Rect((W - w) / 2, (H - h) / 2, w, h);
    }
    cv::Mat out;
    cv::resize(image(crop), out, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
    if (o.horizontalFlip && unit(rng) < 0.5) cv::flip(out, out, 1);
    return out;
}

} // namespace ringscope
