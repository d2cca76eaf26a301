// White-box: writes seeds with the private zip writer of model/src.
// fuzz_seeds OUT TEST_DATA_DIR RESOURCES_DIR: writes the seed corpus of every fuzz target into
// OUT/<target>/ from the published fixtures, the bundled demo files, Fashion-MNIST (when
// installed) and small files made with RingScope's own writers (legacy checkpoint, training
// container, safetensors, every image format).
#include "LegacyCheckpoint.h"
#include "io/ZipArchive.h"

#include "ringscope/model/io/FileIO.h"
#include "ringscope/model/checkpoint/Checkpoint.h"
#include "ringscope/model/data/ImageTensor.h"
#include "ringscope/model/io/Npy.h"

#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;
using namespace ringscope;

namespace {

std::string outDir;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
    fs::create_directories(outDir + "/" + target);
    std::ofstream(outDir + "/" + target + "/" + name, std::ios::binary) << bytes;
}

void copyIfExists(const std::string& target, const std::string& path) {
    if (fs::is_regular_file(path))
        put(target, fs::path(path).filename().string(), readWholeFile(path));
}

StateDict tinyWeights() {
    StateDict w;
    w.set("patch_embed.weight", torch::arange(24, torch::kFloat32).reshape({2, 3, 2, 2}));
    w.set("head.bias", torch::tensor({0.5f, -0.25f}));
    return w;
}

/// torch.save(..., _use_new_zipfile_serialization=False) of {'a': tensor(3), 'b': view}.
std::string legacyCheckpoint() {
    return ringscope::test::legacyFile({{"a", "140", 3, -1, 3}, {"b", "141", 4, 2, 2}},
                                       {{"140", {1, 2, 3}}, {"141", {10, 11, 12, 13}}});
}

/// The pickles inside a zip checkpoint (`<stem>/data.pkl`).
void pickleSeeds(const std::string& checkpoint, const std::string& name) {
    if (!fs::is_regular_file(checkpoint)) return;
    ringscope::detail::ByteSource src(checkpoint);
    ringscope::detail::ZipReader zip(src);
    for (const auto& e : zip.entries())
        if (e.name.size() >= 8 && e.name.compare(e.name.size() - 8, 8, "data.pkl") == 0)
            put("pickle", name + ".pkl", zip.readString(e, 1u << 30));
}

std::string gzip(const std::string& raw) {
    const std::string path = outDir + "/.tmp.gz";
    gzFile f = gzopen(path.c_str(), "wb9");
    gzwrite(f, raw.data(), unsigned(raw.size()));
    gzclose(f);
    std::string bytes = readWholeFile(path);
    fs::remove(path);
    return bytes;
}

std::string idxImages(int n, int h, int w) {
    std::string b("\0\0\x08\x03", 4);
    for (int d : {n, h, w}) {
        b.push_back(char(d >> 24));
        b.push_back(char(d >> 16));
        b.push_back(char(d >> 8));
        b.push_back(char(d));
    }
    for (int i = 0; i < n * h * w; ++i)
        b.push_back(char((i * 37) & 0xff));
    return b;
}

std::string cifarRecords(bool cifar100, int n) {
    std::string b(1, cifar100 ? '\1' : '\0');
    for (int r = 0; r < n; ++r) {
        if (cifar100) b.push_back(char(r % 20));
        b.push_back(char(r % 10));
        for (int p = 0; p < 3072; ++p)
            b.push_back(char((p * 7 + r) & 0xff));
    }
    return b;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: fuzz_seeds OUT TEST_DATA_DIR RESOURCES_DIR\n";
        return 1;
    }
    outDir = argv[1];
    const std::string fixtures = std::string(argv[2]) + "/official/", resources = argv[3];
    const std::string tmp = outDir + "/.tmp";
    fs::create_directories(outDir);
    try {
        // Checkpoints: small ones written by RingScope, a legacy file, and published files.
        saveRingScopeCheckpoint(tmp, tinyWeights(), {{"config", {{"heads", 2}}}});
        put("checkpoint", "tiny.ringscope.pt", readWholeFile(tmp));
        TrainingState state;
        state.epoch = 3;
        state.globalStep = 30;
        state.bestAccuracy = 0.5;
        for (const auto& e : tinyWeights())
            state.moments.push_back({2, torch::zeros_like(e.second), torch::ones_like(e.second)});
        saveTrainingCheckpoint(tmp, tinyWeights(), {{"config", {{"heads", 2}}}}, state);
        put("checkpoint", "tiny-training.pt", readWholeFile(tmp));
        put("checkpoint", "legacy.pt", legacyCheckpoint());
        saveSafeTensors(tmp, tinyWeights(), {{"config", {{"heads", 2}}}});
        put("checkpoint", "tiny.safetensors", readWholeFile(tmp));
        put("safetensors", "tiny.safetensors", readWholeFile(tmp));
        copyIfExists("checkpoint", fixtures + "uit_static_tiny.state_dict.pt");
        copyIfExists("checkpoint", fixtures + "ringformer_tiny.bin");
        saveSafeTensors(tmp, loadCheckpoint(fixtures + "ringformer_tiny.state_dict.pt").weights,
                        {{"source", "fixture"}});
        put("safetensors", "ringformer_tiny.safetensors", readWholeFile(tmp));
        // Pickles.
        pickleSeeds(outDir + "/checkpoint/tiny.ringscope.pt", "tiny");
        pickleSeeds(outDir + "/checkpoint/tiny-training.pt", "tiny-training");
        pickleSeeds(fixtures + "ringformer_tiny.bin", "ringformer_tiny.bin");
        put("pickle", "legacy-object.pkl", legacyCheckpoint().substr(15));
        // .npy
        for (const char* f :
             {"ringformer_tiny.logits.npy", "owf_tiny.input.npy", "vit_tiny.mad.npy"})
            copyIfExists("npy", fixtures + f);
        saveNpy(tmp, torch::arange(6, torch::kInt64).reshape({2, 3}));
        put("npy", "int64.npy", readWholeFile(tmp));
        // IDX
        put("idx", "images.idx", idxImages(3, 4, 5));
        put("idx", "images.idx.gz", gzip(idxImages(3, 4, 5)));
        copyIfExists("idx", "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
        // CIFAR
        put("cifar", "cifar10.bin", cifarRecords(false, 2));
        put("cifar", "cifar100.bin", cifarRecords(true, 2));
        // Images: the bundled PNGs and every other accepted format.
        for (const auto& e : fs::directory_iterator(resources + "/images"))
            copyIfExists("image", e.path().string());
        const cv::Mat img = readImage(resources + "/images/sneaker.png");
        cv::Mat colour;
        cv::merge(std::vector<cv::Mat>{img, 255 - img, img / 2}, colour);
        for (const char* ext : {".jpg", ".bmp", ".webp", ".pgm", ".ppm", ".png"}) {
            std::vector<uchar> buf;
            const cv::Mat& m = std::string(ext) == ".pgm" ? img : colour;
            if (cv::imencode(ext, m, buf))
                put("image", std::string("encoded") + ext, std::string(buf.begin(), buf.end()));
        }
        fs::remove(tmp);
    } catch (const std::exception& e) {
        std::cerr << "fuzz_seeds: " << e.what() << "\n";
        return 1;
    }
    for (const auto& d : fs::directory_iterator(outDir))
        if (d.is_directory())
            std::cout << d.path().filename().string() << ": "
                      << std::distance(fs::directory_iterator(d.path()), fs::directory_iterator{})
                      << " seeds\n";
    return 0;
}
