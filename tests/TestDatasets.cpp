// Dataset readers (Fashion-MNIST, IDX, CIFAR, image folders), data-source specs and batching.
#include "TestSupport.h"

#include "ringscope/model/data/CifarDataset.h"
#include "ringscope/model/data/DataSource.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/data/FolderDataset.h"
#include "ringscope/model/data/IdxDataset.h"
#include "ringscope/model/io/Npy.h"

#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <torch/types.h>

#include <filesystem>

using namespace ringscope;
namespace fs = std::filesystem;

namespace {

std::string bigEndian(uint32_t v) {
    return {char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

std::string idx(const std::vector<uint32_t>& dims, const std::string& data) {
    std::string out{0, 0, 0x08, char(dims.size())};
    for (uint32_t d : dims)
        out += bigEndian(d);
    return out + data;
}

} // namespace

class TestDatasets : public QObject {
    Q_OBJECT

private:
    std::string dir_;

    template <typename F> void expectError(F&& f, const std::string& mention) {
        try {
            f();
            QFAIL(("no error; expected one mentioning " + mention).c_str());
        } catch (const RingScopeError& e) {
            QVERIFY2(std::string(e.what()).find(mention) != std::string::npos, e.what());
        }
    }

private Q_SLOTS:
    void initTestCase() { dir_ = test::makeTempDir("data"); }

    void fashionMnist() {
        if (!test::hasFashionMnist()) QSKIP(test::kNoFashionMnist);
        auto test = loadFashionMnist("test");
        QCOMPARE(test->size(), int64_t(10000));
        QCOMPARE(test->classNames().size(), size_t(10));
        QCOMPARE(test->classNames()[9], std::string("Ankle boot"));
        const auto counts = torch::bincount(test->labelTensor());
        QVERIFY(torch::equal(counts, torch::full({10}, 1000, torch::kInt64)));
        Sample first = test->get(0);
        QCOMPARE(first.label, int64_t(9)); // the first test image is an ankle boot
        QCOMPARE(first.image.rows, 28);
        QCOMPARE(first.image.channels(), 1);
        auto train = loadFashionMnist("train");
        QCOMPARE(train->size(), int64_t(60000));
        QCOMPARE(train->get(0).label, int64_t(9));
        QVERIFY(openDataSource("fashion-mnist").dataset->description().find("10000") !=
                std::string::npos);
        QCOMPARE(openDataSource("fashion-mnist:train").size(), int64_t(60000));
        expectError([] { loadFashionMnist("test", "/nonexistent"); },
                    "apt install dataset-fashion-mnist");
    }

    /// RINGSCOPE_FASHION_MNIST names another folder (Windows and macOS have no Debian package):
    /// `fashion-mnist:test` then reads the IDX files there.
    void fashionMnistFromEnvironment() {
        const std::string d = dir_ + "/fmnist";
        fs::create_directories(d);
        std::string pixels(2 * 28 * 28, '\0');
        pixels[28 * 28 + 5] = char(200);
        test::writeBytes(d + "/t10k-images-idx3-ubyte", idx({2, 28, 28}, pixels));
        test::writeBytes(d + "/t10k-labels-idx1-ubyte", idx({2}, std::string{7, 3}));
        qputenv("RINGSCOPE_FASHION_MNIST", QByteArray::fromStdString(d));
        const DataSource src = openDataSource("fashion-mnist:test");
        qunsetenv("RINGSCOPE_FASHION_MNIST");
        QCOMPARE(src.size(), int64_t(2));
        QCOMPARE(src.dataset->get(1).label, int64_t(3));
        QCOMPARE(int(src.dataset->get(1).image.at<uint8_t>(0, 5)), 200);
        QCOMPARE(src.dataset->classNames()[7], std::string("Sneaker"));
        QCOMPARE(defaultFashionMnistDir(), std::string("/usr/share/datasets/fashion-mnist"));
        expectError([] { loadFashionMnist("test", "/nonexistent"); }, "RINGSCOPE_FASHION_MNIST");
    }

    void idxFiles() {
        std::string pixels;
        for (int i = 0; i < 3 * 2 * 2; ++i)
            pixels.push_back(char(i * 10));
        test::writeBytes(dir_ + "/img.idx", idx({3, 2, 2}, pixels));
        test::writeBytes(dir_ + "/lab.idx", idx({3}, std::string{2, 0, 1}));
        auto ds = openDataSource("idx:" + dir_ + "/img.idx," + dir_ + "/lab.idx");
        QCOMPARE(ds.size(), int64_t(3));
        Sample s = ds.dataset->get(1);
        QCOMPARE(s.label, int64_t(0));
        QCOMPARE(int(s.image.at<uint8_t>(1, 1)), 70);
        QCOMPARE(ds.dataset->classNames().size(), size_t(3));

        test::writeBytes(dir_ + "/cut.idx", idx({3, 2, 2}, pixels.substr(0, 7)));
        expectError([&] { readIdx(dir_ + "/cut.idx"); }, "promises 12 bytes");
        test::writeBytes(dir_ + "/magic.idx", "\x01\x02\x08\x01" + bigEndian(1) + "x");
        expectError([&] { readIdx(dir_ + "/magic.idx"); }, "bad magic");
        test::writeBytes(dir_ + "/short.idx", std::string{0, 0, 8, 3, 0});
        expectError([&] { readIdx(dir_ + "/short.idx"); }, "truncated");
        test::writeBytes(dir_ + "/float.idx", std::string{0, 0, 0x0d, 1} + bigEndian(1) + "abcd");
        expectError([&] { readIdx(dir_ + "/float.idx"); }, "not supported");
        test::writeBytes(dir_ + "/lab2.idx", idx({2}, std::string{0, 1}));
        expectError([&] { loadIdxDataset(dir_ + "/img.idx", dir_ + "/lab2.idx"); },
                    "2 labels for 3 images");
        expectError([&] { openDataSource("idx:" + dir_ + "/img.idx"); }, "IMAGES,LABELS");
        if (test::hasFashionMnist()) {
            const std::string gz =
                test::readBytes(defaultFashionMnistDir() + "/t10k-labels-idx1-ubyte.gz");
            test::writeBytes(dir_ + "/cut.gz", gz.substr(0, gz.size() / 2));
            expectError([&] { readIdx(dir_ + "/cut.gz"); }, "truncated gzip");
        }
    }

    void cifar10() {
        const std::string d = dir_ + "/cifar10";
        fs::create_directories(d);
        std::string batch;
        for (int r = 0; r < 3; ++r) {
            batch.push_back(char(r + 4));              // label
            batch += std::string(1024, char(200));     // R
            batch += std::string(1024, char(100 + r)); // G
            batch += std::string(1024, char(10));      // B
        }
        test::writeBytes(d + "/test_batch.bin", batch);
        std::string names;
        for (const char* n : {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                              "horse", "ship", "truck"})
            names += std::string(n) + "\n";
        test::writeBytes(d + "/batches.meta.txt", names);
        auto ds = openDataSource("cifar:" + d);
        QCOMPARE(ds.size(), int64_t(3));
        Sample s = ds.dataset->get(2);
        QCOMPARE(s.label, int64_t(6));
        QCOMPARE(ds.dataset->classNames()[6], std::string("frog"));
        const cv::Vec3b px = s.image.at<cv::Vec3b>(31, 0);
        QCOMPARE(int(px[0]), 10);  // B
        QCOMPARE(int(px[1]), 102); // G
        QCOMPARE(int(px[2]), 200); // R
        expectError([&] { openDataSource("cifar:" + d + ":train"); }, "data_batch_1.bin");
        test::writeBytes(d + "/test_batch.bin", batch.substr(0, 4000));
        expectError([&] { loadCifar(d); }, "not a CIFAR binary batch");
        batch[0] = char(12);
        test::writeBytes(d + "/test_batch.bin", batch);
        expectError([&] { loadCifar(d); }, "outside the 10 classes");
        expectError([&] { loadCifar(dir_); }, "no CIFAR-10");
    }

    void cifar100() {
        const std::string d = dir_ + "/cifar100";
        fs::create_directories(d);
        std::string rec{char(3), char(42)};
        rec += std::string(3072, char(1));
        test::writeBytes(d + "/train.bin", rec + rec);
        auto ds = loadCifar(d, "train");
        QCOMPARE(ds->size(), int64_t(2));
        QCOMPARE(ds->get(1).label, int64_t(42));
        QCOMPARE(ds->numClasses(), int64_t(100));
    }

    void imageFolders() {
        const std::string d = dir_ + "/folder";
        fs::create_directories(d + "/cat");
        fs::create_directories(d + "/dog");
        fs::create_directories(d + "/empty");
        cv::imwrite(d + "/cat/a.png", cv::Mat(10, 12, CV_8UC3, cv::Scalar(0, 0, 255)));
        cv::imwrite(d + "/cat/b.JPG", cv::Mat(20, 20, CV_8UC1, cv::Scalar(128)));
        cv::imwrite(d + "/dog/c.bmp", cv::Mat(5, 5, CV_8UC3, cv::Scalar(255, 0, 0)));
        test::writeBytes(d + "/dog/broken.png", "\x89PNG\r\n\x1a\n not really");
        test::writeBytes(d + "/dog/notes.txt", "ignored");
        FolderDataset ds(d);
        QCOMPARE(ds.size(), int64_t(4));
        QCOMPARE(ds.classNames(), (std::vector<std::string>{"cat", "dog"}));
        QCOMPARE(ds.labels(), (std::vector<int64_t>{0, 0, 1, 1}));
        expectError([&] { ds.get(2); }, "broken.png");

        InputSpec spec;
        spec.size = 8;
        spec.channels = 3;
        Batch b = makeBatch(ds, {0, 1, 2, 3}, spec);
        QCOMPARE(b.images.sizes().vec(), (std::vector<int64_t>{3, 3, 8, 8}));
        QCOMPARE(b.skipped.size(), size_t(1));
        QVERIFY(b.skipped[0].find("broken.png") != std::string::npos);
        QCOMPARE(b.indices, (std::vector<int64_t>{0, 1, 3}));
        QVERIFY(torch::equal(b.labels, torch::tensor({0, 0, 1}, torch::kInt64)));
        // The red PNG is (1 - 0.5) / 0.5 = 1 in the R channel and -1 elsewhere.
        QCOMPARE(b.images[0][0].mean().item<float>(), 1.f);
        QCOMPARE(b.images[0][2].mean().item<float>(), -1.f);
        QVERIFY(torch::equal(b.images[1], preprocessImage(ds.get(1).image, spec)));

        const std::string flat = dir_ + "/flat";
        fs::create_directories(flat);
        cv::imwrite(flat + "/x.webp", cv::Mat(4, 4, CV_8UC3, cv::Scalar(1, 2, 3)));
        FolderDataset f(flat);
        QCOMPARE(f.size(), int64_t(1));
        QVERIFY(f.classNames().empty());
        QCOMPARE(f.get(0).label, int64_t(-1));
        const std::string none = dir_ + "/none";
        fs::create_directories(none);
        expectError([&] { FolderDataset x(none); }, "no images found");
        expectError([&] { FolderDataset x(dir_ + "/missing"); }, "no such folder");
    }

    void npyAndUnknownSources() {
        saveNpy(dir_ + "/batch.npy", torch::ones({2, 3, 8, 8}));
        DataSource s = openDataSource("npy:" + dir_ + "/batch.npy");
        QCOMPARE(s.size(), int64_t(2));
        QVERIFY(!s.dataset);
        saveNpy(dir_ + "/flat.npy", torch::ones({2, 3}));
        expectError([&] { openDataSource("npy:" + dir_ + "/flat.npy"); }, "[B, C, H, W]");
        expectError([] { openDataSource("imagenet:/data"); },
                    "unknown data source 'imagenet:/data'");
    }
};

QTEST_GUILESS_MAIN(TestDatasets)
#include "TestDatasets.moc"
