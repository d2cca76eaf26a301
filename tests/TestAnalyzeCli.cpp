// `ringscope-cli analyze`: numbers equal the fixtures, exports are valid files, the manifest
// names the checkpoints with their SHA-256, bad data gives clear errors.
#include "TestSupport.h"

#include "ringscope/model/io/Npy.h"
#include "ringscope/model/io/Sha256.h"

#include <QtTest>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <filesystem>
#include <fstream>

using namespace ringscope;
using test::runCli;

namespace {

std::string fixture(const std::string& name) {
    return test::fixturesDir() + "/" + name;
}

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

int64_t lineCount(const std::string& path) {
    std::ifstream in(path);
    int64_t n = 0;
    for (std::string line; std::getline(in, line);)
        ++n;
    return n;
}

/// Fields of a CSV line, quotes respected (RFC 4180).
int csvFields(const std::string& line) {
    int fields = 1;
    bool quoted = false;
    for (char c : line) {
        if (c == '"')
            quoted = !quoted;
        else if (c == ',' && !quoted)
            ++fields;
    }
    return fields;
}

/// The header and the first row of a CSV file.
std::pair<std::string, std::string> csvHead(const std::string& path) {
    std::ifstream in(path);
    std::string header, row;
    std::getline(in, header);
    std::getline(in, row);
    return {header, row};
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

} // namespace

class TestAnalyzeCli : public QObject {
    Q_OBJECT

private:
    std::string dir_;

    /// Every array has its .npy and a .csv with one row per value; every figure its three files.
    void checkBundle(const std::string& out, const std::string& command) {
        const nlohmann::json results = readJson(out + "/" + command + ".json");
        for (const auto& [stem, info] : results["arrays"].items()) {
            const torch::Tensor t = loadNpy(out + "/" + stem + ".npy");
            QCOMPARE(t.sizes().vec(), info["shape"].get<std::vector<int64_t>>());
            QCOMPARE(lineCount(out + "/" + stem + ".csv"), t.numel() + 1);
            const auto [header, row] = csvHead(out + "/" + stem + ".csv");
            QVERIFY2(csvFields(header) == csvFields(row),
                     (stem + ": " + header + " / " + row).c_str());
        }
        const nlohmann::json manifest = readJson(out + "/manifest.json");
        for (const auto& f : manifest["files"])
            QVERIFY2(std::filesystem::exists(out + "/" + f.get<std::string>()), f.dump().c_str());
        for (const auto& ck : manifest["checkpoints"])
            QCOMPARE(ck["sha256"].get<std::string>(), sha256OfFile(ck["path"].get<std::string>()));
        QVERIFY(manifest["version"].is_string());
        for (const auto& f : manifest["files"]) {
            const std::string name = f.get<std::string>();
            if (name.size() > 4 && name.substr(name.size() - 4) == ".png")
                QVERIFY(!QImage(QString::fromStdString(out + "/" + name)).isNull());
            if (name.size() > 4 && name.substr(name.size() - 4) == ".pdf")
                QCOMPARE(test::readBytes(out + "/" + name).substr(0, 4), std::string("%PDF"));
            if (name.size() > 4 && name.substr(name.size() - 4) == ".svg")
                QVERIFY(test::readBytes(out + "/" + name).find("<svg") != std::string::npos);
        }
    }

private Q_SLOTS:
    void initTestCase() { dir_ = test::makeTempDir("analyze"); }

    void madEqualsFixture() {
        const std::string out = dir_ + "/mad";
        auto r = runCli({"analyze", "mad", fixture("vit_tiny.bin"), fixture("ringformer_tiny.bin"),
                         "--heads", "4", "--data", "npy:" + fixture("vit_tiny.input.npy"), "--out",
                         out, "--width", "800", "--height", "500"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QVERIFY(maxDiff(loadNpy(out + "/mad.npy"), loadNpy(fixture("vit_tiny.mad.npy"))) < 1e-4);
        QCOMPARE(QImage(QString::fromStdString(out + "/mad.png")).size(), QSize(800, 500));
        checkBundle(out, "mad");
        QCOMPARE(readJson(out + "/manifest.json")["checkpoints"].size(), size_t(2));
    }

    void ckaEqualsReference() {
        const std::string out = dir_ + "/cka";
        auto r = runCli({"analyze", "cka", fixture("vit_tiny.bin"), fixture("ringformer_tiny.bin"),
                         "--heads", "4", "--data", "npy:" + fixture("cka/cka_shared.input.npy"),
                         "--batch", "8", "--out", out});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const nlohmann::json ref = readJson(fixture("cka/cka_shared.json"));
        bool compared = false;
        for (const auto& pair : ref["pairs"]) {
            if (pair["a"] != "vit_tiny" || pair["b"] != "ringformer_tiny") continue;
            std::vector<double> flat;
            for (const auto& row : pair["minibatch_flatten"])
                for (const auto& v : row)
                    flat.push_back(v.get<double>());
            const torch::Tensor expected = torch::tensor(flat, torch::kFloat64).reshape({3, -1});
            QVERIFY(maxDiff(loadNpy(out + "/cka.npy"), expected) < 1e-5);
            compared = true;
        }
        QVERIFY(compared);
        checkBundle(out, "cka");
        const nlohmann::json settings = readJson(out + "/manifest.json")["settings"];
        QCOMPARE(settings["estimator"].get<std::string>(), std::string("minibatch"));
    }

    void attentionOfAnImage() {
        const std::string out = dir_ + "/attention";
        auto r = runCli({"analyze", "attention", fixture("ringformer_tiny.bin"),
                         test::sourceDir() + "/resources/images/sneaker.png", "--heads", "4",
                         "--rollout", "--query", "5", "--out", out});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const torch::Tensor att = loadNpy(out + "/attention.npy");   // [A, H, N, N]
        const torch::Tensor maps = loadNpy(out + "/query_maps.npy"); // [A, H, g, g]
        QCOMPARE(maps.size(2) * maps.size(3) + 1, att.size(2));
        const int64_t g = maps.size(3);
        QCOMPARE(maps[1][2][4 / g][4 % g].item<float>(),
                 att[1][2][5][5].item<float>()); // patch 4 = token 5
        QVERIFY(maxDiff(loadNpy(out + "/rollout.npy").sum(), torch::tensor(1.0)) <
                1.0); // a row over patches
        checkBundle(out, "attention");
        QCOMPARE(readJson(out + "/attention.json")["predictions"].size(), size_t(5));
    }

    void levelsAndLens() {
        for (const std::string cmd : {"levels", "lens"}) {
            const std::string out = dir_ + "/" + cmd;
            auto r =
                runCli({"analyze", cmd, fixture("ringformer_tiny.bin"), "--heads", "4", "--data",
                        "npy:" + fixture("ringformer_tiny.input.npy"), "--out", out});
            QVERIFY2(r.exitCode == 0, r.err.c_str());
            checkBundle(out, cmd);
        }
        QVERIFY(std::filesystem::exists(dir_ + "/levels/level_cosine_F.png"));
        QCOMPARE(loadNpy(dir_ + "/levels/lowrank_singular_values.npy").size(0), int64_t(4));
    }

    /// timm and Hugging Face ViTs go through every analysis; their prefix tokens (none, or a
    /// class and a distillation token) are not patches.
    void timmModels() {
        const std::string t = test::timmFixturesDir() + "/";
        const std::string out = dir_ + "/timm-mad";
        auto r = runCli({"analyze", "mad", t + "timm_deit_distilled_tiny.pth",
                         t + "timm_vit_gap_tiny.safetensors", "--heads", "4", "--data",
                         "npy:" + t + "timm_vit_tiny.input.npy", "--out", out});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QCOMPARE(loadNpy(out + "/mad.npy").sizes().vec(), (std::vector<int64_t>{2, 2, 4}));
        QCOMPARE(loadNpy(out + "/mad_b.npy").sizes().vec(), (std::vector<int64_t>{2, 2, 4}));
        checkBundle(out, "mad");
        const nlohmann::json manifest = readJson(out + "/manifest.json");
        QCOMPARE(manifest["checkpoints"][0]["input"]["source"].get<std::string>(),
                 std::string("timm default (ImageNet mean and std)"));
        QCOMPARE(manifest["checkpoints"][0]["input"]["normalization"]["mean"][0].get<double>(),
                 0.485);
        const std::string att = dir_ + "/timm-attention";
        r = runCli({"analyze", "attention", t + "timm_vit_gap_tiny.pth",
                    test::sourceDir() + "/resources/images/bag.png", "--heads", "4", "--rollout",
                    "--out", att});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QCOMPARE(loadNpy(att + "/attention.npy").size(2), int64_t(16)); // patches only
        QCOMPARE(loadNpy(att + "/query_maps.npy").sizes().vec(),
                 (std::vector<int64_t>{2, 4, 4, 4}));
        for (const std::string cmd : {"cka", "levels"}) {
            std::vector<std::string> args = {
                "analyze",         cmd,
                t + "hf_vit_tiny", t + "timm_deit_distilled_tiny.pth",
                "--heads",         "4",
                "--data",          "npy:" + t + "timm_vit_tiny.input.npy",
                "--out",           dir_ + "/timm-" + cmd};
            if (cmd == "cka") args.insert(args.end(), {"--estimator", "full"}); // 2 images
            r = runCli(args);
            QVERIFY2(r.exitCode == 0, r.err.c_str());
            checkBundle(dir_ + "/timm-" + cmd, cmd);
        }
        QCOMPARE(loadNpy(dir_ + "/timm-cka/cka.npy").sizes().vec(), (std::vector<int64_t>{3, 2}));
        // A model without a class token has no CLS feature to compare.
        r = runCli({"analyze", "cka", t + "timm_vit_gap_tiny.pth", "--heads", "4", "--data",
                    "npy:" + t + "timm_vit_tiny.input.npy", "--feature", "cls", "--estimator",
                    "full", "--out", dir_ + "/timm-cka-cls"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find("has none") != std::string::npos, r.err.c_str());
        r = runCli({"analyze", "lens", t + "hf_vit_tiny", "--data",
                    "npy:" + t + "hf_vit_tiny.input.npy", "--out", dir_ + "/timm-lens"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        // The lens after the last layer is the model's own prediction.
        const torch::Tensor lens = loadNpy(dir_ + "/timm-lens/lens.npy"); // [A, images, classes]
        const torch::Tensor logits = loadNpy(t + "hf_vit_tiny.logits.npy");
        QVERIFY(maxDiff(lens[-1], torch::softmax(logits.to(torch::kFloat64), -1)) < 1e-5);
    }

    /// --iterations K runs K applications in every analysis (beyond T by --extend); a ViT
    /// refuses more layers than it has.
    void moreIterationsThanTrained() {
        const std::string out = dir_ + "/depth";
        auto r = runCli({"analyze", "lens", fixture("ringformer_tiny.bin"), "--heads", "4",
                         "--data", "npy:" + fixture("ringformer_tiny.input.npy"), "--iterations",
                         "9", "--extend", "cycle", "--out", out});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QCOMPARE(loadNpy(out + "/lens.npy").size(0), int64_t(9));
        const nlohmann::json model = readJson(out + "/lens.json")["lens"]["models"][0];
        QCOMPARE(model["applications"].get<int64_t>(), int64_t(9));
        QCOMPARE(model["extend"].get<std::string>(), std::string("cycle"));
        checkBundle(out, "lens");
        r = runCli({"run", fixture("ringformer_tiny.bin"), "--heads", "4", "--input",
                    fixture("ringformer_tiny.input.npy"), "--iterations", "2", "--out",
                    dir_ + "/depth-run"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QCOMPARE(loadNpy(dir_ + "/depth-run/attention.npy").size(0), int64_t(2));
        r = runCli({"analyze", "mad", fixture("vit_tiny.bin"), "--heads", "4", "--data",
                    "npy:" + fixture("vit_tiny.input.npy"), "--iterations", "7", "--out",
                    dir_ + "/depth-vit"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find("at most 3") != std::string::npos, r.err.c_str());
        // Beside a RingFormer run for 5 iterations, the ViT runs its 3 layers.
        r = runCli({"analyze", "cka", fixture("ringformer_tiny.bin"), fixture("vit_tiny.bin"),
                    "--heads", "4", "--data", "npy:" + fixture("cka/cka_shared.input.npy"),
                    "--iterations", "5", "--batch", "8", "--out", dir_ + "/depth-cka"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QVERIFY2(r.err.find("runs 3 applications") != std::string::npos, r.err.c_str());
        QCOMPARE(loadNpy(dir_ + "/depth-cka/cka.npy").sizes().vec(), (std::vector<int64_t>{5, 3}));
    }

    /// analyze depth: the sweep of both models, the policies beyond T, the exits with a
    /// changed threshold, the head stability; the sweep's prediction at K is what `run
    /// --iterations K` outputs.
    void depthSweep() {
        const std::string out = dir_ + "/depth-sweep", data = fixture("cka/cka_shared.input.npy");
        auto r =
            runCli({"analyze", "depth", fixture("ringformer_tiny.bin"), fixture("vit_tiny.bin"),
                    "--heads", "4", "--data", "npy:" + data, "--max-iterations", "5", "--exit-kl",
                    "0.01", "--batch", "6", "--out", out});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        checkBundle(out, "depth");
        const nlohmann::json res = readJson(out + "/depth.json")["depth"];
        const nlohmann::json ring = res["per_model"][0];
        QCOMPARE(ring["trained_applications"].get<int64_t>(), int64_t(3));
        QCOMPARE(ring["runs"].size(), size_t(2));
        QCOMPARE(ring["runs"][1]["policy"].get<std::string>(), std::string("cycle"));
        QCOMPARE(ring["runs"][1]["exits"]["kl"]["threshold"].get<double>(), 0.01);
        QCOMPARE(res["per_model"][1]["runs"][0]["policy"].get<std::string>(),
                 std::string("trained"));
        const nlohmann::json manifest = readJson(out + "/manifest.json");
        QCOMPARE(manifest["analyses"]["depth"]["exit_thresholds"]["kl"].get<double>(), 0.01);
        QCOMPARE(manifest["analyses"]["depth"]["max_applications"].get<int64_t>(), int64_t(5));
        QCOMPARE(loadNpy(out + "/depth_accuracy.npy").sizes().vec(), (std::vector<int64_t>{2, 5}));
        QCOMPARE(loadNpy(out + "/depth_accuracy_b.npy").sizes().vec(),
                 (std::vector<int64_t>{1, 3}));
        QCOMPARE(loadNpy(out + "/exit_depth.npy").sizes().vec(), (std::vector<int64_t>{2, 5, 16}));
        QCOMPARE(loadNpy(out + "/head_js.npy").sizes().vec(), (std::vector<int64_t>{2, 4, 4}));
        // Pairs of applications are numbered from 2 in the long format.
        QCOMPARE(csvHead(out + "/head_js.csv").second.substr(0, 4), std::string("1,2,"));
        for (const char* f : {"depth_accuracy.png", "convergence_cycle.svg", "exit_kl_cycle.pdf",
                              "adaptive_compute_repeat-last.png", "head_js_b.png"})
            QVERIFY2(std::filesystem::exists(out + "/" + f), f);
        // The per-image prediction after K = 5 under cycle, against a run of 5 applications.
        const torch::Tensor perImage = loadNpy(out + "/convergence_per_image.npy");
        r = runCli({"run", fixture("ringformer_tiny.bin"), "--heads", "4", "--input", data,
                    "--iterations", "5", "--extend", "cycle", "--out", dir_ + "/depth-run5"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const torch::Tensor logits = loadNpy(dir_ + "/depth-run5/logits.npy");
        QVERIFY(perImage[1][4][4].to(torch::kInt64).equal(logits.argmax(-1)));

        r = runCli({"analyze", "depth", fixture("ringformer_tiny.bin"), "--heads", "4", "--data",
                    "npy:" + data, "--max-iterations", "5", "--extend", "extend", "--out",
                    dir_ + "/depth-bad"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find("static level encoding") != std::string::npos, r.err.c_str());
        r = runCli({"analyze", "depth", fixture("ringformer_tiny.bin"), "--heads", "4", "--data",
                    "npy:" + data, "--exit-same-argmax", "0", "--out", dir_ + "/depth-bad"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find("--exit-same-argmax must be positive") != std::string::npos,
                 r.err.c_str());
    }

    /// analyze attribution and faithfulness: the arrays the issue names, with their shapes.
    void attributionAndFaithfulness() {
        const std::string data = "npy:" + fixture("cka/cka_shared.input.npy");
        std::string out = dir_ + "/attribution";
        auto r = runCli({"analyze", "attribution", fixture("ringformer_tiny.bin"),
                         fixture("vit_tiny.bin"), "--heads", "4", "--data", data, "--method", "gae",
                         "--class", "2", "--batch", "6", "--out", out});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        checkBundle(out, "attribution");
        const torch::Tensor map = loadNpy(out + "/attribution.npy");
        QCOMPARE(map.scalar_type(), torch::kFloat32);
        QCOMPARE(map.sizes().vec(), (std::vector<int64_t>{16, 16}));
        QCOMPARE(loadNpy(out + "/attribution_per_application.npy").sizes().vec(),
                 (std::vector<int64_t>{3, 16, 16}));
        QVERIFY(loadNpy(out + "/attribution_target_b.npy").eq(2).all().item<bool>());
        QCOMPARE(readJson(out + "/manifest.json")["analyses"]["attribution"]["method"]
                     .get<std::string>(),
                 std::string("gae"));
        for (const char* f :
             {"attribution.png", "attribution_b.svg", "attribution_per_application.pdf"})
            QVERIFY2(std::filesystem::exists(out + "/" + f), f);

        out = dir_ + "/faithfulness";
        r = runCli({"analyze", "faithfulness", fixture("vit_tiny.bin"), "--heads", "4", "--data",
                    data, "--steps", "4", "--limit", "6", "--out", out});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        checkBundle(out, "faithfulness");
        QCOMPARE(loadNpy(out + "/deletion.npy").sizes().vec(), (std::vector<int64_t>{3, 5, 6}));
        QCOMPARE(loadNpy(out + "/insertion_auc.npy").sizes().vec(), (std::vector<int64_t>{3, 6}));
        const nlohmann::json methods =
            readJson(out + "/faithfulness.json")["faithfulness"]["per_model"][0]["methods"];
        QVERIFY(methods["gae"]["deletion_auc"].is_number());
        QVERIFY(std::filesystem::exists(out + "/insertion.png"));

        r = runCli({"analyze", "attribution", fixture("vit_tiny.bin"), "--heads", "4", "--data",
                    data, "--class", "10", "--out", dir_ + "/attribution-bad"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find("has 10 classes") != std::string::npos, r.err.c_str());
    }

    void badData() {
        // An empty folder, a folder with an unreadable image, a truncated IDX, the wrong input
        // shape.
        const std::string empty = dir_ + "/empty";
        std::filesystem::create_directories(empty);
        auto r = runCli({"analyze", "mad", fixture("vit_tiny.bin"), "--heads", "4", "--data",
                         "folder:" + empty, "--out", dir_ + "/x"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find(empty) != std::string::npos, r.err.c_str());

        const std::string mixed = dir_ + "/mixed/shoes";
        std::filesystem::create_directories(mixed);
        std::filesystem::copy_file(test::sourceDir() + "/resources/images/sneaker.png",
                                   mixed + "/good.png");
        test::writeBytes(mixed + "/broken.png", "\x89PNG\r\n\x1a\nnot really");
        r = runCli({"analyze", "mad", fixture("vit_tiny.bin"), "--heads", "4", "--data",
                    "folder:" + dir_ + "/mixed", "--out", dir_ + "/y"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QVERIFY2(r.err.find("broken.png") != std::string::npos, r.err.c_str());
        const nlohmann::json res = readJson(dir_ + "/y/mad.json");
        QCOMPARE(res["mad"]["examples"].get<int64_t>(), int64_t(1));
        QCOMPARE(res["mad"]["skipped"].size(), size_t(1));

        const std::string idx = dir_ + "/short-images.idx";
        test::writeBytes(idx, std::string("\0\0\x08\x03\0\0\0\x05\0\0\0\x1c\0\0\0\x1c", 16) +
                                  std::string(100, '\0'));
        r = runCli({"analyze", "lens", fixture("vit_tiny.bin"), "--heads", "4", "--data",
                    "idx:" + idx + "," + idx, "--out", dir_ + "/z"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find("short-images.idx") != std::string::npos, r.err.c_str());

        r = runCli({"analyze", "cka", fixture("vit_tiny.bin"), "--heads", "4", "--data",
                    "npy:" + fixture("cka/cka_shared.input.npy"), "--estimator", "sideways",
                    "--out", dir_ + "/w"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find("sideways") != std::string::npos, r.err.c_str());
        r = runCli({"analyze", "cka", fixture("vit_tiny.bin"), "--heads", "4", "--data",
                    "npy:" + fixture("vit_tiny.input.npy"), "--batch", "2", "--out", dir_ + "/v"});
        QCOMPARE(r.exitCode, 1); // 2 examples per minibatch: too few for the unbiased estimator
        QVERIFY2(r.err.find("more than 3") != std::string::npos, r.err.c_str());
    }
};

QTEST_GUILESS_MAIN(TestAnalyzeCli)
#include "TestAnalyzeCli.moc"
