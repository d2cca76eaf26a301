// NumPy .npy reading and writing.
#include "TestSupport.h"

#include "ringscope/model/core/Error.h"
#include "ringscope/model/io/Npy.h"

#include <QtTest>

#include <torch/types.h>

using namespace ringscope;

namespace {
/// A .npy file with a hand-written header (version 1 or 2).
std::string npy(const std::string& dict, const std::string& data, int major = 1) {
    std::string header = dict;
    const size_t pre = major == 1 ? 10 : 12;
    header.append((64 - (pre + header.size() + 1) % 64) % 64, ' ');
    header += "\n";
    std::string out("\x93NUMPY", 6);
    out.push_back(char(major));
    out.push_back(0);
    const uint32_t n = uint32_t(header.size());
    out.append(reinterpret_cast<const char*>(&n), major == 1 ? 2 : 4);
    return out + header + data;
}
} // namespace

class TestNpy : public QObject {
    Q_OBJECT

private:
    std::string dir_;

    void expectBroken(const std::string& name, const std::string& bytes,
                      const std::string& problem) {
        const std::string path = dir_ + "/" + name;
        test::writeBytes(path, bytes);
        try {
            loadNpy(path);
            QFAIL(("accepted " + name).c_str());
        } catch (const FileFormatError& e) {
            QVERIFY2(std::string(e.what()).find(path) == 0, e.what());
            QVERIFY2(std::string(e.what()).find(problem) != std::string::npos, e.what());
        }
    }

private Q_SLOTS:
    void initTestCase() { dir_ = test::makeTempDir("npy"); }

    void readsFixture() {
        const torch::Tensor x = loadNpy(test::fixturesDir() + "/vit_tiny.input.npy");
        QCOMPARE(x.scalar_type(), torch::kFloat32);
        QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{2, 3, 32, 32}));
        const torch::Tensor mad = loadNpy(test::fixturesDir() + "/vit_tiny.mad.npy");
        QCOMPARE(mad.dim(), int64_t(3));
    }

    void roundTrips() {
        const std::vector<torch::Tensor> tensors{
            torch::randn({2, 3, 4}),
            torch::randn({5}, torch::kFloat64),
            torch::arange(-3, 9, torch::kInt64).reshape({3, 4}),
            torch::tensor(3.5f),
            torch::zeros({0, 7}),
            torch::randn({4, 6}).t()}; // non-contiguous input
        int i = 0;
        for (const torch::Tensor& t : tensors) {
            const std::string path = dir_ + "/t" + std::to_string(i++) + ".npy";
            saveNpy(path, t);
            const std::string bytes = test::readBytes(path);
            QCOMPARE((bytes.size() - t.numel() * t.element_size()) % 64, size_t(0));
            const torch::Tensor back = loadNpy(path);
            QCOMPARE(back.scalar_type(), t.scalar_type());
            QVERIFY(torch::equal(back, t));
        }
    }

    void writesNumpyHeader() {
        const std::string path = dir_ + "/h.npy";
        saveNpy(path, torch::zeros({2, 3}));
        const std::string bytes = test::readBytes(path);
        QVERIFY(bytes.find("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }") == 10);
        saveNpy(path, torch::zeros({7}, torch::kInt64));
        QVERIFY(test::readBytes(path).find("'shape': (7,)") != std::string::npos);
    }

    void readsOtherLayouts() {
        const std::vector<int32_t> v{1, -2, 3};
        const std::string data(reinterpret_cast<const char*>(v.data()), 12);
        const std::string path = dir_ + "/v2.npy";
        test::writeBytes(path,
                         npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", data, 2));
        const torch::Tensor t = loadNpy(path);
        QCOMPARE(t.scalar_type(), torch::kInt32);
        QCOMPARE(t[1].item<int>(), -2);
    }

    void rejectsBadFiles() {
        const std::string f8(16, '\0');
        expectBroken("fortran.npy",
                     npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }", f8),
                     "Fortran");
        expectBroken("big.npy",
                     npy("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", f8),
                     "big-endian");
        expectBroken("complex.npy",
                     npy("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", f8),
                     "unsupported .npy dtype");
        expectBroken("short.npy",
                     npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", f8),
                     "promises 24 bytes");
        expectBroken(
            "huge.npy",
            npy("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 100000000000), }",
                f8),
            "implausibly large");
        expectBroken("noshape.npy", npy("{'descr': '<f8', 'fortran_order': False, }", f8),
                     "no 'shape'");
        expectBroken("magic.npy", "PK\x03\x04 definitely not numpy", "bad magic");
        expectBroken("tiny.npy", "\x93NU", "too short");
        QVERIFY_EXCEPTION_THROWN(saveNpy(dir_ + "/x.npy", torch::zeros({2}, torch::kInt32)),
                                 FileFormatError);
    }
};

QTEST_GUILESS_MAIN(TestNpy)
#include "TestNpy.moc"
