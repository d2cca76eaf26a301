#include "MatImage.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace ringscope {

QImage matToQImage(const cv::Mat& image) {
    cv::Mat rgb;
    if (image.channels() == 1)
        cv::cvtColor(image, rgb, cv::COLOR_GRAY2RGB);
    else if (image.channels() == 4)
        cv::cvtColor(image, rgb, cv::COLOR_BGRA2RGB);
    else
        cv::cvtColor(image, rgb, cv::COLOR_BGR2RGB);
    if (rgb.depth() != CV_8U) rgb.convertTo(rgb, CV_8U);
    return QImage(rgb.data, rgb.cols, rgb.rows, int(rgb.step), QImage::Format_RGB888).copy();
}

} // namespace ringscope
