// The one cv::Mat -> tensor conversion and the preprocessing shared by classify and analysis.
// White-box: checks the private format detection of model/src/io/ImageHeader.h.
#include "TestSupport.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/data/ImageTensor.h"

#include "io/ImageHeader.h"

#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <torch/types.h>
#include <zlib.h>

#include <cstdio>
#ifndef _WIN32
#include <unistd.h>
#endif

using namespace ringscope;
using namespace std::string_literals;

namespace {

std::string encode(const char* ext, const cv::Mat& image, const std::vector<int>& params = {}) {
    std::vector<uchar> buf;
    if (!cv::imencode(ext, image, buf, params)) return {};
    return std::string(buf.begin(), buf.end());
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

void putLittleEndian(std::string& b, size_t pos, uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        b.at(pos + size_t(i)) = char((v >> (8 * i)) & 0xff);
}

void putBigEndian(std::string& b, size_t pos, uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        b.at(pos + size_t(i)) = char((v >> (8 * (bytes - 1 - i))) & 0xff);
}

std::string bigEndian32(uint32_t v) {
    std::string b(4, '\0');
    putBigEndian(b, 0, v, 4);
    return b;
}

/// A PNG chunk: length, type, data and the CRC of type and data.
std::string pngChunk(const std::string& type, const std::string& data) {
    const std::string body = type + data;
    const auto crc =
        uint32_t(crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size())));
    return bigEndian32(uint32_t(data.size())) + body + bigEndian32(crc);
}

/// Recomputes the CRC of the PNG chunk at `pos` (after its data was edited).
void refreshPngCrc(std::string& png, size_t pos) {
    const size_t length = size_t(uint8_t(png[pos])) << 24 | size_t(uint8_t(png[pos + 1])) << 16 |
                          size_t(uint8_t(png[pos + 2])) << 8 | uint8_t(png[pos + 3]);
    const auto* body = reinterpret_cast<const Bytef*>(png.data() + pos + 4);
    putBigEndian(png, pos + 8 + length, uint32_t(crc32(0, body, uInt(length + 4))), 4);
}

/// Offset of the first JPEG segment with this marker, walking the segments after SOI.
size_t jpegSegment(const std::string& jpeg, uint8_t marker) {
    for (size_t pos = 2; pos + 4 <= jpeg.size();) {
        if (uint8_t(jpeg[pos + 1]) == marker) return pos;
        pos += 2 + (size_t(uint8_t(jpeg[pos + 2])) << 8 | uint8_t(jpeg[pos + 3]));
    }
    return std::string::npos;
}

/// A JPEG segment (marker, big-endian length, payload) inserted right after SOI.
std::string withSegmentAfterSoi(const std::string& jpeg, uint8_t marker,
                                const std::string& payload) {
    std::string segment = std::string("\xff") + char(marker) + "  " + payload;
    putBigEndian(segment, 2, uint32_t(payload.size() + 2), 2);
    return jpeg.substr(0, 2) + segment + jpeg.substr(2);
}

bool samePixels(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

/// Runs `run` with file descriptor 2 sent to a temporary file, and returns what reached it.
template <class Run> std::string stderrDuring(Run&& run) {
#ifdef _WIN32
    run();
    return {};
#else
    std::fflush(stderr);
    std::FILE* sink = std::tmpfile();
    const int saved = dup(2);
    if (!sink || saved < 0) {
        run();
        return "(cannot capture standard error)";
    }
    dup2(fileno(sink), 2);
    struct Restore {
        int saved;
        ~Restore() {
            std::fflush(stderr);
            dup2(saved, 2);
            close(saved);
        }
    };
    {
        Restore restore{saved};
        run();
    }
    std::string printed;
    std::rewind(sink);
    for (int c; (c = std::fgetc(sink)) != EOF;)
        printed += char(c);
    std::fclose(sink);
    return printed;
#endif
}

/// How decodeImage ended on some bytes, and what reached standard error meanwhile.
struct Outcome {
    bool refused = false;
    std::string message;
    cv::Mat image;
    std::string printed;
};

Outcome decodeQuietly(const std::string& bytes, const std::string& name,
                      const ImageLimits& limits = {}) {
    Outcome o;
    o.printed = stderrDuring([&] {
        try {
            o.image = decodeImage(bytes, name, limits);
        } catch (const FileFormatError& e) {
            o.refused = true;
            o.message = e.what();
        }
    });
    return o;
}

/// A lossless one-colour WebP of 30 bytes, written bit by bit (VP8L: no transform, no colour
/// cache, five one-symbol prefix codes for green 0, red 0, blue 0, alpha 255 and distance 0).
std::string tinyLosslessWebP(int width, int height) {
    std::string bits;
    int n = 0;
    const auto put = [&](uint32_t v, int count) {
        for (int i = 0; i < count; ++i, ++n) {
            if (n % 8 == 0) bits += '\0';
            if ((v >> i) & 1) bits.back() = char(bits.back() | (1 << (n % 8)));
        }
    };
    put(0x2f, 8);
    put(uint32_t(width - 1), 14);
    put(uint32_t(height - 1), 14);
    put(0, 4); // alpha hint, version
    put(0, 3); // transform, colour cache, meta prefix codes
    for (int i = 0; i < 3; ++i)
        put(0x1, 4); // simple code, one symbol, 1-bit symbol 0
    put(0x5, 3);     // simple code, one symbol, 8-bit symbol...
    put(255, 8);     // ... 255
    put(0x1, 4);
    std::string chunk = "VP8L    " + bits + (bits.size() % 2 ? std::string(1, '\0') : "");
    putLittleEndian(chunk, 4, uint32_t(bits.size()), 4);
    std::string file = "RIFF    WEBP" + chunk;
    putLittleEndian(file, 4, uint32_t(file.size() - 8), 4);
    return file;
}

} // namespace

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

    void everyAcceptedFormatDecodesToItsDimensions() {
        // 37 x 23: width and height differ, so a swap shows.
        cv::Mat colour(23, 37, CV_8UC3, cv::Scalar(10, 200, 30)),
            gray(23, 37, CV_8UC1, cv::Scalar(99));
        for (const char* ext : {".png", ".jpg", ".bmp", ".webp", ".ppm", ".pgm"}) {
            const std::string bytes = encode(ext, std::string(ext) == ".pgm" ? gray : colour);
            QVERIFY2(ringscope::detail::detectImageFormat(bytes) !=
                         ringscope::detail::ImageFormat::Unknown,
                     ext);
            const cv::Mat decoded = decodeImage(bytes, std::string("x") + ext);
            QCOMPARE(decoded.cols, 37);
            QCOMPARE(decoded.rows, 23);
        }
        // Lossless WebP (VP8L) too, and the 8-bit BMP with a palette OpenCV writes for gray.
        const std::string lossless = encode(".webp", colour, {cv::IMWRITE_WEBP_QUALITY, 101});
        QCOMPARE(decodeImage(lossless, "x.webp").cols, 37);
        QVERIFY(samePixels(decodeImage(encode(".bmp", gray), "gray.bmp"), gray));
    }

    void limitsRefuseHugeImagesBeforeDecoding() {
        // A 1x1 PNG whose header is edited to claim 100000 x 100000 pixels: refused on the
        // header (the decoder would otherwise try to allocate 30 GB). OpenCV's own size check
        // (over 2^30 pixels) refuses this one before RingScope's, without naming the size.
        std::string bomb = encode(".png", cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3)));
        for (int i = 0; i < 2; ++i)
            putBigEndian(bomb, size_t(16 + 4 * i), 100000, 4);
        refreshPngCrc(bomb, 8); // libpng checks the IHDR's CRC
        try {
            decodeImage(bomb, "bomb.png");
            QFAIL("expected an error");
        } catch (const FileFormatError& e) {
            QCOMPARE(e.path(), std::string("bomb.png"));
            QVERIFY2(
                contains(e.what(), "PNG declares a size larger than the limit of 67108864 pixels"),
                e.what());
        }
        // 10000 x 10000 passes OpenCV's check and meets RingScope's when the decoder allocates.
        for (int i = 0; i < 2; ++i)
            putBigEndian(bomb, size_t(16 + 4 * i), 10000, 4);
        refreshPngCrc(bomb, 8);
        Outcome o = decodeQuietly(bomb, "bomb.png");
        QVERIFY2(contains(o.message, "bomb.png: PNG of 10000 x 10000 pixels is larger than the "
                                     "limit of 67108864 pixels"),
                 o.message.c_str());
        QVERIFY2(o.printed.empty(), o.printed.c_str());
        // The same for a JPEG (its frame header) and a lossless WebP (its VP8L header).
        std::string jpeg = encode(".jpg", cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3)));
        const size_t sof = jpegSegment(jpeg, 0xc0);
        QVERIFY(sof != std::string::npos);
        putBigEndian(jpeg, sof + 5, 10000, 2);
        putBigEndian(jpeg, sof + 7, 10000, 2);
        o = decodeQuietly(jpeg, "bomb.jpg");
        QVERIFY2(contains(o.message, "JPEG of 10000 x 10000 pixels is larger than the limit"),
                 o.message.c_str());
        std::string webp = encode(".webp", cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3)),
                                  {cv::IMWRITE_WEBP_QUALITY, 101});
        QCOMPARE(webp.compare(12, 4, "VP8L"), 0);
        putLittleEndian(webp, 21,
                        (uint32_t(uint8_t(webp[24])) & 0xf0) << 24 | 16383u << 14 | 16383u, 4);
        o = decodeQuietly(webp, "bomb.webp");
        QVERIFY2(contains(o.message, "WebP of 16384 x 16384 pixels is larger than the limit"),
                 o.message.c_str());
        // The pixel limit is a setting: a 37 x 23 image passes 851 pixels and fails 850.
        const std::string bytes = encode(".png", cv::Mat(23, 37, CV_8UC1, cv::Scalar(5)));
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
            QVERIFY2(std::string(e.what()).find("more than the limit") != std::string::npos,
                     e.what());
        }
    }

    void formatsOutsideTheListAreRefusedUnread() {
        // TIFF, OpenEXR, Radiance HDR, PFM: OpenCV could decode them, RingScope does not hand
        // them to a decoder.
        for (const std::string& head :
             {std::string("II*\0\x08\0\0\0", 8), std::string("\x76\x2f\x31\x01\x02\0\0\0", 8),
              std::string("#?RADIANCE\n"), std::string("PF\n3 2\n-1\n")}) {
            try {
                decodeImage(head + std::string(64, '\0'), "file.bin");
                QFAIL("expected an error");
            } catch (const FileFormatError& e) {
                QVERIFY2(std::string(e.what()).find("not an image RingScope reads") !=
                             std::string::npos,
                         e.what());
            }
        }
        // Truncated headers of accepted formats: refused by the decoder (or, for BMP and JPEG,
        // by RingScope's checks), quietly and with RingScope's message.
        for (const std::string& head :
             {std::string("\x89PNG\r\n\x1a\n", 8), std::string("\xff\xd8\xff\xe0\0\x10JFIF", 10),
              std::string("BM"), std::string("RIFF\0\0\0\0WEBP", 12), std::string("P6\n12")}) {
            const Outcome o = decodeQuietly(head, "head.img");
            QVERIFY(o.refused);
            QVERIFY2(contains(o.message, "head.img: ") && contains(o.message, "truncated"),
                     o.message.c_str());
            QVERIFY2(!contains(o.message, "\n"), o.message.c_str());
            QVERIFY2(o.printed.empty(), o.printed.c_str());
        }
    }

    void jpegMetadataSegmentsAreNotJudged() {
        cv::Mat gradient(23, 37, CV_8UC3);
        for (int y = 0; y < gradient.rows; ++y)
            for (int x = 0; x < gradient.cols; ++x)
                gradient.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(6 * x), uchar(10 * y), 128);
        const std::string jpeg = encode(".jpg", gradient);
        const cv::Mat original = decodeImage(jpeg, "original.jpg");
        // A short Photoshop APP13 (no "Photoshop 3.0" identifier) and an odd-length Adobe APP14
        // (5 bytes where libjpeg reads 12).
        for (const std::string& edited :
             {withSegmentAfterSoi(jpeg, 0xed, "Ph"), withSegmentAfterSoi(jpeg, 0xee, "Adobe")}) {
            const Outcome o = decodeQuietly(edited, "edited.jpg");
            QVERIFY2(!o.refused, o.message.c_str());
            QVERIFY(samePixels(o.image, original));
            QVERIFY2(o.printed.empty(), o.printed.c_str());
        }
    }

    void tinyLosslessWebPLoads() {
        const cv::Mat colour(23, 37, CV_8UC3, cv::Scalar(10, 200, 30));
        const Outcome made = decodeQuietly(encode(".webp", colour, {cv::IMWRITE_WEBP_QUALITY, 101}),
                                           "one-colour.webp");
        QVERIFY2(!made.refused, made.message.c_str());
        QVERIFY(samePixels(made.image, colour));
        // Under the 32 bytes OpenCV 4.6 wants for a WebP header.
        const std::string tiny = tinyLosslessWebP(37, 23);
        QCOMPARE(tiny.size(), size_t(30));
        const Outcome o = decodeQuietly(tiny, "tiny.webp");
        QVERIFY2(!o.refused, o.message.c_str());
        QVERIFY(samePixels(o.image, cv::Mat(23, 37, CV_8UC3, cv::Scalar(0, 0, 0))));
        QVERIFY2(o.printed.empty(), o.printed.c_str());
    }

    /// A WebP whose header OpenCV's WebP test cannot parse never reaches another decoder: with
    /// "DICM" at byte 128 it once went to the DICOM decoder, whose library aborts the process.
    void webpNoOtherDecoder() {
        std::string bytes = test::readBytes(
            test::sourceDir() + "/tests/fuzz/regressions/image/webp-header-dicom-signature.webp");
        QCOMPARE(bytes.compare(128, 4, "DICM"), 0);
        const Outcome o = decodeQuietly(bytes, "fuzzed.webp");
        QVERIFY(o.refused);
        QVERIFY2(contains(o.message, "fuzzed.webp: "), o.message.c_str());
        QVERIFY2(contains(o.message, "WebP"), o.message.c_str());
        // A valid WebP with the same four bytes at 128 is still read as WebP.
        const cv::Mat noise = [] {
            cv::Mat m(40, 40, CV_8UC3);
            cv::randu(m, 0, 255);
            return m;
        }();
        std::string webp = encode(".webp", noise, {cv::IMWRITE_WEBP_QUALITY, 101});
        QVERIFY(webp.size() > 200);
        QVERIFY(!decodeQuietly(webp, "noise.webp").refused);
    }

    void impossibleBmpsAreRefused() {
        // OpenCV writes 40-byte headers; gray images get a 256-colour palette.
        const std::string gray = encode(".bmp", cv::Mat(23, 37, CV_8UC1, cv::Scalar(5)));
        const std::string colour = encode(".bmp", cv::Mat(23, 37, CV_8UC3, cv::Scalar(1, 2, 3)));
        const uint32_t offset = uint32_t(uint8_t(gray[10])) | uint32_t(uint8_t(gray[11])) << 8;
        const auto edited = [](std::string b, size_t pos, uint32_t v, int bytes) {
            putLittleEndian(b, pos, v, bytes);
            return b;
        };
        std::string outOfPalette = edited(gray, 46, 16, 4); // 16 colours ...
        outOfPalette[offset + 40] = char(200);              // ... and one pixel uses colour 200
        std::string rle = edited(edited(gray, 30, 1, 4), 46, 16, 4).substr(0, offset);
        const std::pair<std::string, std::string> cases[] = {
            {edited(gray, 26, 2, 2), "BMP header declares 2 colour planes (must be 1)"},
            {edited(gray, 14, 20, 4),
             "BMP header declares a header size of 20 bytes, which no BMP version has"},
            {edited(gray, 28, 0, 2),
             "BMP header declares 0 bits per pixel (must be 1, 4, 8, 16, 24 or 32)"},
            {edited(gray, 28, 33, 2),
             "BMP header declares 33 bits per pixel (must be 1, 4, 8, 16, 24 or 32)"},
            {edited(colour, 30, 1, 4),
             "BMP header declares compression 1 (RLE8), which does not fit 24 bits per pixel"},
            {edited(gray, 46, 300, 4), "BMP header declares a palette of 300 colours, more than 8 "
                                       "bits per pixel can index (256)"},
            {edited(gray, 10, 60, 4),
             "BMP palette of 256 colours runs past the start of the pixel data (offset 60)"},
            {edited(gray, 10, 100000, 4),
             "BMP pixel data offset 100000 is past the end of the file"},
            {colour.substr(0, colour.size() - 10),
             "BMP pixel data has 2566 bytes, fewer than 23 rows of 112 bytes need"},
            {outOfPalette, "BMP pixel uses colour index 200, past its palette of 16 colours"},
            {rle + std::string("\x02\xc8\x00\x01", 4),
             "BMP pixel uses colour index 200, past its palette of 16 colours"},
            {rle + std::string("\x00\x05\x01", 3), "BMP RLE8 data runs past the end of the file"},
        };
        for (const auto& [bytes, problem] : cases) {
            const Outcome o = decodeQuietly(bytes, "x.bmp");
            QVERIFY2(o.refused, problem.c_str());
            QVERIFY2(contains(o.message, "x.bmp: " + problem), o.message.c_str());
            QVERIFY2(o.printed.empty(), o.printed.c_str());
        }
        // The same RLE8 stream with indices inside the palette is fine.
        QVERIFY(!decodeQuietly(rle + std::string("\x02\x07\x00\x01", 4), "ok.bmp").refused);
    }

    void truncatedAndCorruptJpegsAreRefused() {
        cv::Mat noise(200, 300, CV_8UC3);
        cv::randu(noise, 0, 255);
        const std::string jpeg = encode(".jpg", noise);
        const std::string half = jpeg.substr(0, jpeg.size() / 2);
        // Cut short: OpenCV would return the image with its missing rows unfilled.
        Outcome o = decodeQuietly(half, "cut.jpg");
        QVERIFY2(contains(o.message, "cut.jpg: truncated JPEG (no end-of-image marker)"),
                 o.message.c_str());
        // An EXIF thumbnail's end-of-image marker before the image does not hide the cut.
        const std::string thumbnail = "Exif\0\0"s + "\xff\xd8\xff\xd9"s;
        o = decodeQuietly(withSegmentAfterSoi(half, 0xe1, thumbnail), "thumb.jpg");
        QVERIFY2(contains(o.message, "thumb.jpg: truncated JPEG (no end-of-image marker)"),
                 o.message.c_str());
#ifndef _WIN32 // RingScope reads libjpeg's warnings from standard error, not captured on Windows
        // Cut short but ended with a marker: libjpeg pads the rest with grey and warns.
        o = decodeQuietly(half + "\xff\xd9", "padded.jpg");
        QVERIFY2(
            contains(o.message,
                     "padded.jpg: corrupt or truncated JPEG data (libjpeg: Corrupt JPEG data: "),
            o.message.c_str());
        QVERIFY2(o.printed.empty(), o.printed.c_str());
#endif
        // The complete file loads, quietly.
        o = decodeQuietly(jpeg, "whole.jpg");
        QVERIFY2(!o.refused, o.message.c_str());
        QVERIFY2(o.printed.empty(), o.printed.c_str());
    }

    void libraryWarningsNeverReachStderr() {
        // A PNG with an iCCP chunk whose compression method is 1 (only 0 exists): libpng warns
        // "iCCP: bad compression method" and drops the profile. The pixels are sound, so the
        // image loads and the warning goes nowhere.
        const cv::Mat colour(23, 37, CV_8UC3, cv::Scalar(10, 200, 30));
        const std::string png = encode(".png", colour);
        const std::string iccp = pngChunk("iCCP", "ICC Profile\0\x01"s + std::string(100, 'x'));
        const Outcome o = decodeQuietly(png.substr(0, 33) + iccp + png.substr(33), "icc.png");
        QVERIFY2(!o.refused, o.message.c_str());
        QVERIFY(samePixels(o.image, colour));
        QVERIFY2(o.printed.empty(), o.printed.c_str());
        // Broken files: RingScope's one line, with what the library said, and nothing else.
        const std::pair<std::string, std::string> broken[] = {
            {"\x89PNG\r\n\x1a\n garbage", "corrupt or truncated PNG data (libpng "},
            {png.substr(0, png.size() - 20), "corrupt or truncated PNG data (libpng "},
            {encode(".ppm", colour).substr(0, 40),
             "corrupt or truncated PNM data (OpenCV: can't read data: "},
        };
        for (const auto& [bytes, problem] : broken) {
            const Outcome b = decodeQuietly(bytes, "broken.img");
            QVERIFY2(contains(b.message, "broken.img: " + problem), b.message.c_str());
            QVERIFY2(!contains(b.message, "\n"), b.message.c_str());
            QVERIFY2(b.printed.empty(), b.printed.c_str());
        }
    }
};

QTEST_APPLESS_MAIN(TestImageTensor)
#include "TestImageTensor.moc"
