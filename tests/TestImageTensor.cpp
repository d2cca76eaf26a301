// The one cv::Mat -> tensor conversion and the preprocessing shared by classify and analysis.
#include "TestSupport.h"

#include "ringscope/model/Error.h"
#include "ringscope/model/ImageTensor.h"

#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <torch/types.h>

using namespace ringscope;

class TestImageTensor : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void bgrToNormalisedRgb() {
        cv::Mat img(2, 3, CV_8UC3);
        img.at<cv::Vec3b>(0, 0) = {255, 0, 51}; // B, G, R
        img.at<cv::Vec3b>(1, 2) = {0, 255, 102};
        Normalization n;
        n.mean = {0.5, 0.25, 0.0};
        n.std = {0.5, 0.5, 2.0};
        torch::Tensor t = matToTensor(img, n);
        QCOMPARE(t.sizes().vec(), (std::vector<int64_t>{3, 2, 3}));
        QVERIFY(t.is_contiguous());
        QCOMPARE(t.scalar_type(), torch::kFloat32);
        // R at (0,0) = 51/255 = 0.2 -> (0.2 - 0.5) / 0.5 = -0.6
        QVERIFY(std::abs(t[0][0][0].item<double>() + 0.6) < 1e-6);
        // G at (0,0) = 0 -> (0 - 0.25) / 0.5 = -0.5
        QVERIFY(std::abs(t[1][0][0].item<double>() + 0.5) < 1e-6);
        // B at (0,0) = 1 -> (1 - 0) / 2 = 0.5
        QVERIFY(std::abs(t[2][0][0].item<double>() - 0.5) < 1e-6);
        // R at (1,2) = 102/255 = 0.4 -> -0.2
        QVERIFY(std::abs(t[0][1][2].item<double>() + 0.2) < 1e-6);
        // The tensor owns its memory.
        img.setTo(cv::Scalar(0, 0, 0));
        QVERIFY(std::abs(t[0][1][2].item<double>() + 0.2) < 1e-6);
    }

    void grayAndAlpha() {
        cv::Mat gray(4, 4, CV_8UC1, cv::Scalar(255));
        torch::Tensor t = matToTensor(gray);
        QCOMPARE(t.size(0), int64_t(1));
        QVERIFY(std::abs(t.max().item<double>() - 1.0) < 1e-6); // (1 - .5) / .5
        cv::Mat bgra(4, 4, CV_8UC4, cv::Scalar(0, 0, 255, 10));
        t = matToTensor(bgra);
        QCOMPARE(t.size(0), int64_t(3));
        QVERIFY(std::abs(t[0].mean().item<double>() - 1.0) < 1e-6);
        cv::Mat deep(2, 2, CV_16UC1, cv::Scalar(65535));
        QVERIFY(std::abs(matToTensor(deep).max().item<double>() - 1.0) < 1e-6);
    }

    void preprocessResizesAndConvertsChannels() {
        cv::Mat gray(56, 56, CV_8UC1, cv::Scalar(128));
        InputSpec spec;
        spec.size = 28;
        spec.channels = 3;
        torch::Tensor t = preprocessImage(gray, spec);
        QCOMPARE(t.sizes().vec(), (std::vector<int64_t>{3, 28, 28}));
        QVERIFY(std::abs(t.mean().item<double>() - (128.0 / 255 - 0.5) / 0.5) < 1e-5);
        cv::Mat colour(10, 20, CV_8UC3, cv::Scalar(10, 20, 30));
        spec.channels = 1;
        spec.size = 32;
        t = preprocessImage(colour, spec);
        QCOMPARE(t.sizes().vec(), (std::vector<int64_t>{1, 32, 32}));
    }

    void unreadableImagesNameTheFile() {
        const std::string dir = test::makeTempDir("img");
        const std::string bogus = dir + "/broken.png";
        test::writeBytes(bogus, "\x89PNG\r\n\x1a\n garbage");
        try {
            readImage(bogus);
            QFAIL("expected an error");
        } catch (const FileFormatError& e) {
            QCOMPARE(e.path(), bogus);
        }
        QVERIFY_THROWS_EXCEPTION(FileFormatError, readImage(dir + "/missing.png"));
        QVERIFY_THROWS_EXCEPTION(FileFormatError, readImage(dir));
        // A real PNG round trip.
        cv::Mat img(5, 7, CV_8UC3, cv::Scalar(1, 2, 3));
        QVERIFY(cv::imwrite(dir + "/ok.png", img));
        QCOMPARE(readImage(dir + "/ok.png").cols, 7);
    }
};

QTEST_APPLESS_MAIN(TestImageTensor)
#include "TestImageTensor.moc"
