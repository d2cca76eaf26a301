#pragma once
// An OpenCV image (gray, BGR or BGRA; any depth) as a QImage (RGB888, its own copy), for
// the app's image strip and the command line's figures.

#include <QImage>

namespace cv {
class Mat;
}

namespace ringscope {

QImage matToQImage(const cv::Mat& image);

} // namespace ringscope
