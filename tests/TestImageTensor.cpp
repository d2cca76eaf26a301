// The one cv::Mat -> tensor conversion and the preprocessing shared by classify and analysis.
#include "TestSupport.h"

#include "ringscope/model/Error.h"
#include "ringscope/model/ImageTensor.h"

#include "ImageHeader.h"

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

    void headersGiveTheDimensionsOfEveryAcceptedFormat() {
        // 37 x 23: width and height differ, so a swap shows.
        cv::Mat colour(23, 37, CV_8UC3, cv::Scalar(10, 200, 30)), gray(23, 37, CV_8UC1, cv::Scalar(99));
        for (const char* ext : {".png", ".jpg", ".bmp", ".webp", ".ppm", ".pgm"}) {
            std::vector<uchar> buf;
            QVERIFY(cv::imencode(ext, std::string(ext) == ".pgm" ? gray : colour, buf));
            const std::string bytes(buf.begin(), buf.end());
            ringscope::detail::ImageHeader h;
            std::string problem;
            QVERIFY2(ringscope::detail::readImageHeader(bytes, h, problem), (std::string(ext) + ": " + problem).c_str());
            QCOMPARE(h.width, int64_t(37));
            QCOMPARE(h.height, int64_t(23));
            const cv::Mat decoded = decodeImage(bytes, std::string("x") + ext);
            QCOMPARE(decoded.cols, 37);
            QCOMPARE(decoded.rows, 23);
        }
        // Lossless WebP (VP8L) too.
        std::vector<uchar> lossless;
        QVERIFY(cv::imencode(".webp", colour, lossless, {cv::IMWRITE_WEBP_QUALITY, 101}));
        ringscope::detail::ImageHeader h;
        std::string problem;
        QVERIFY(ringscope::detail::readImageHeader(std::string(lossless.begin(), lossless.end()), h, problem));
        QCOMPARE(h.width, int64_t(37));
        QCOMPARE(h.height, int64_t(23));
    }

    void limitsRefuseHugeImagesBeforeDecoding() {
        // A 1x1 PNG whose header is edited to claim 100000 x 100000 pixels: refused on the
        // header (the decoder would otherwise try to allocate 30 GB).
        std::vector<uchar> buf;
        QVERIFY(cv::imencode(".png", cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3)), buf));
        std::string bomb(buf.begin(), buf.end());
        for (int i = 0; i < 2; ++i) {
            const uint32_t v = 100000;
            for (int b = 0; b < 4; ++b) bomb[size_t(16 + 4 * i + b)] = char((v >> (24 - 8 * b)) & 0xff);
        }
        try {
            decodeImage(bomb, "bomb.png");
            QFAIL("expected an error");
        } catch (const FileFormatError& e) {
            QCOMPARE(e.path(), std::string("bomb.png"));
            QVERIFY2(std::string(e.what()).find("100000 x 100000 pixels is larger than the limit") != std::string::npos, e.what());
        }
        // The pixel limit is a setting: a 37 x 23 image passes 851 pixels and fails 850.
        std::vector<uchar> small;
        QVERIFY(cv::imencode(".png", cv::Mat(23, 37, CV_8UC1, cv::Scalar(5)), small));
        const std::string bytes(small.begin(), small.end());
        ImageLimits limits;
        limits.maxPixels = 851;
        QCOMPARE(decodeImage(bytes, "ok.png", limits).cols, 37);
        limits.maxPixels = 850;
        QVERIFY_THROWS_EXCEPTION(FileFormatError, decodeImage(bytes, "big.png", limits));
        // The file-size limit is checked before the file is read.
        const std::string dir = test::makeTempDir("img-limits");
        test::writeBytes(dir + "/ok.png", bytes);
        limits.maxPixels = 851;
        limits.maxFileBytes = bytes.size() - 1;
        try {
            readImage(dir + "/ok.png", limits);
            QFAIL("expected an error");
        } catch (const FileFormatError& e) {
            QVERIFY2(std::string(e.what()).find("more than the limit") != std::string::npos, e.what());
        }
    }

    void formatsOutsideTheListAreRefusedUnread() {
        // TIFF, OpenEXR, Radiance HDR, PFM: OpenCV could decode them, RingScope does not hand
        // them to a decoder.
        for (const std::string& head : {std::string("II*\0\x08\0\0\0", 8), std::string("\x76\x2f\x31\x01\x02\0\0\0", 8),
                                        std::string("#?RADIANCE\n"), std::string("PF\n3 2\n-1\n")}) {
            try {
                decodeImage(head + std::string(64, '\0'), "file.bin");
                QFAIL("expected an error");
            } catch (const FileFormatError& e) {
                QVERIFY2(std::string(e.what()).find("not an image RingScope reads") != std::string::npos, e.what());
            }
        }
        // Truncated headers of accepted formats.
        for (const std::string& head : {std::string("\x89PNG\r\n\x1a\n", 8), std::string("\xff\xd8\xff\xe0\0\x10JFIF", 10),
                                        std::string("BM"), std::string("RIFF\0\0\0\0WEBP"), std::string("P6\n12")}) {
            ringscope::detail::ImageHeader h;
            std::string problem;
            QVERIFY(!ringscope::detail::readImageHeader(head, h, problem));
            QVERIFY2(problem.find("malformed or truncated") != std::string::npos, problem.c_str());
        }
    }
};

QTEST_APPLESS_MAIN(TestImageTensor)
#include "TestImageTensor.moc"
