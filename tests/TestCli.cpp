// ringscope-cli end to end, as the acceptance checks call it.
#include "TestSupport.h"

#include "LegacyCheckpoint.h"

#include "ringscope/model/checkpoint/Checkpoint.h"
#include "ringscope/model/nets/ModelFactory.h"
#include "ringscope/model/io/Npy.h"

#include <QtTest>

#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <torch/types.h>

#include <algorithm>
#include <filesystem>

using namespace ringscope;
using test::runCli;

namespace {
std::string fixture(const std::string& name) {
    return test::fixturesDir() + "/" + name;
}
double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}
bool oneLine(const std::string& s) {
    return !s.empty() && std::count(s.begin(), s.end(), '\n') == 1 && s.back() == '\n';
}
} // namespace

class TestCli : public QObject {
    Q_OBJECT

private:
    std::string dir_;

    void expectFailure(const std::vector<std::string>& args, const std::string& mention) {
        auto r = runCli(args);
        QVERIFY2(!r.crashed, "the tool crashed");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(oneLine(r.err), r.err.c_str());
        QVERIFY2(r.err.find(mention) != std::string::npos, r.err.c_str());
    }

private Q_SLOTS:
    void initTestCase() { dir_ = test::makeTempDir("cli"); }

    void version() {
        auto r = runCli({"--version"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.rfind("ringscope-cli 0.", 0) == 0);
    }

    void infoJson() {
        auto r = runCli({"info", fixture("ringformer_tiny.bin"), "--json"});
        QCOMPARE(r.exitCode, 0);
        auto j = nlohmann::json::parse(r.out);
        QCOMPARE(j["config"]["family"].get<std::string>(), std::string("ringformer"));
        QCOMPARE(j["config"]["hidden"].get<int>(), 64);
        QCOMPARE(j["config"]["rank"].get<int>(), 4);
        QCOMPARE(j["config"]["depth"].get<int>(), 3);
        QCOMPARE(j["config"]["patch"].get<int>(), 8);
        QCOMPARE(j["config"]["image_size"].get<int>(), 32);
        QCOMPARE(j["config"]["mlp"].get<int>(), 128);
        QVERIFY(j["config"]["heads"].is_null());
        QCOMPARE(j["parameters"].get<int>(), 54410);
        QCOMPARE(j["training"]["global_step"].get<int>(), 3);
        r = runCli({"info", fixture("uit_learnable_tiny.state_dict.pt"), "--heads", "4", "--json"});
        QCOMPARE(r.exitCode, 0);
        j = nlohmann::json::parse(r.out);
        QCOMPARE(j["config"]["encoding"].get<std::string>(), std::string("learnable"));
        QCOMPARE(j["config"]["heads"].get<int>(), 4);
        QCOMPARE(j["heads_source"].get<std::string>(), std::string("--heads option"));
    }

    /// Every command and every analysis answers --help on stdout with status 0.
    void helpForEveryCommand() {
        for (const char* cmd : {"info", "run", "classify", "convert", "bench", "bench-analysis",
                                "train", "evaluate", "soak", "analyze"}) {
            auto r = runCli({cmd, "--help"});
            QCOMPARE(r.exitCode, 0);
            QVERIFY2(r.err.empty(), r.err.c_str());
            QVERIFY2(r.out.rfind(std::string("usage: ringscope-cli ") + cmd, 0) == 0,
                     r.out.c_str());
        }
        for (const char* what : {"attention", "mad", "cka", "levels", "lens"}) {
            auto r = runCli({"analyze", what, "-h"});
            QCOMPARE(r.exitCode, 0);
            QVERIFY2(r.out.rfind(std::string("usage: ringscope-cli analyze ") + what, 0) == 0,
                     r.out.c_str());
            QVERIFY(r.out.find("docs/metrics.md") != std::string::npos);
        }
        auto all = runCli({"analyze", "--help"});
        QVERIFY(all.out.find("analyze cka") != std::string::npos &&
                all.out.find("analyze lens") != std::string::npos);
        QVERIFY(runCli({"--help"}).out.find("shared/") == std::string::npos);
    }

    /// A timm file is named with its variant and the defaults it runs with; a tensor file of
    /// another architecture is described, not refused: its tensors, their dtypes and shapes,
    /// shared storage, and why no family matched.
    void infoDescribesForeignFiles() {
        const std::string timm = test::timmFixturesDir() + "/timm_vit_gap_tiny.safetensors";
        auto r = runCli({"info", timm, "--json"});
        QCOMPARE(r.exitCode, 0);
        auto j = nlohmann::json::parse(r.out);
        QCOMPARE(j["config"]["family"].get<std::string>(), std::string("timm-vit"));
        QCOMPARE(j["variant"].get<std::string>(),
                 std::string("timm ViT, no class token, avg pool + fc_norm"));
        QCOMPARE(j["config"]["prefix_tokens"].get<int64_t>(), int64_t(0));
        QVERIFY(j["config"]["heads"].is_null()); // d = 64 is no timm standard width
        QCOMPARE(j["input"]["normalization"]["mean"][0].get<double>(), 0.485);
        const auto keys = nlohmann::json::parse(
            test::readBytes(test::timmFixturesDir() + "/timm_vit_gap_tiny.json"))["keys"];
        QCOMPARE(j["tensor_list"].size(), keys.size());
        for (const auto& t : j["tensor_list"])
            QCOMPARE(t["shape"].dump(), keys[t["name"].get<std::string>()].dump());
        r = runCli({"info", test::timmFixturesDir() + "/hf_vit_tiny"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.find("Hugging Face ViT") != std::string::npos, r.out.c_str());
        QVERIFY2(r.out.find("4 (from config.json)") != std::string::npos, r.out.c_str());
        QVERIFY2(r.out.find("\"cat\"") != std::string::npos, r.out.c_str());

        // A legacy-format state dict of another model, two tensors on one storage.
        const std::string legacy = dir_ + "/bert.pt";
        test::writeBytes(legacy, test::legacyFile({{"bert.embeddings.word", "7", 6, -1, 6},
                                                   {"bert.tied", "7", 6, -1, 6}},
                                                  {{"7", {1, 2, 3, 4, 5, 6}}}));
        r = runCli({"info", legacy, "--json"});
        QCOMPARE(r.exitCode, 0);
        j = nlohmann::json::parse(r.out);
        QCOMPARE(j["format"].get<std::string>(), std::string("pytorch-legacy"));
        QCOMPARE(j["tensor_list"][1]["shares_storage_with"].get<std::string>(),
                 std::string("bert.embeddings.word"));
        QCOMPARE(j["structure"].get<std::string>(), std::string("dict of 2 entries (2 tensors)"));
        QVERIFY(j["config"].is_null());
        QVERIFY2(j["model_problem"].get<std::string>().find("match none") != std::string::npos,
                 r.out.c_str());
        r = runCli({"info", legacy});
        QVERIFY2(r.out.find("none runnable") != std::string::npos, r.out.c_str());
        QVERIFY2(r.out.find("  bert.tied  float32 [6]") != std::string::npos, r.out.c_str());

        // A .npy file describes its array.
        r = runCli({"info", fixture("vit_tiny.input.npy"), "--json"});
        QCOMPARE(r.exitCode, 0);
        j = nlohmann::json::parse(r.out);
        QCOMPARE(j["format"].get<std::string>(), std::string("npy"));
        QCOMPARE(j["shape"].dump(), std::string("[2,3,32,32]"));
    }

    /// A learnable UiT table of 1105 rows at patch 4 reads as 17 levels at 32 px or 65 levels
    /// at 16 px: info lists both; --levels or --image-size picks one; run asks for them.
    void ambiguousLevelTable() {
        ModelConfig c;
        c.family = Family::UiT;
        c.encoding = LevelEncoding::Learnable;
        c.imageSize = 32;
        c.patch = 4;
        c.hidden = 16;
        c.heads = 2;
        c.mlp = 32;
        c.depth = 17;
        const auto model = createModel(c, 1);
        const std::string path = dir_ + "/uit17.safetensors";
        saveSafeTensors(path, model->weights(), nullptr);
        auto r = runCli({"info", path, "--json"});
        QCOMPARE(r.exitCode, 0);
        auto j = nlohmann::json::parse(r.out);
        QVERIFY(j["config"].is_null());
        QCOMPARE(
            j["interpretations"].dump(),
            std::string(
                R"([{"image_size":32,"levels":17},{"image_size":16,"levels":65},{"image_size":8,"levels":221}])"));
        QVERIFY2(j["model_problem"].get<std::string>().find("--image-size") != std::string::npos,
                 r.out.c_str());
        for (const std::vector<std::string>& hint :
             {std::vector<std::string>{"--levels", "17"}, {"--image-size", "32"}}) {
            std::vector<std::string> args{"info", path, "--heads", "2", "--json"};
            args.insert(args.end(), hint.begin(), hint.end());
            r = runCli(args);
            j = nlohmann::json::parse(r.out);
            QCOMPARE(j["config"]["depth"].get<int>(), 17);
            QCOMPARE(j["config"]["image_size"].get<int>(), 32);
        }
        expectFailure({"run", path, "--input", fixture("vit_tiny.input.npy"), "--out", dir_ + "/u"},
                      "--levels T");
        r = runCli({"run", path, "--heads", "2", "--levels", "17", "--input",
                    fixture("vit_tiny.input.npy"), "--out", dir_ + "/u"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(loadNpy(dir_ + "/u/attention.npy").size(0), int64_t(17));
    }

    void runMatchesFixtures_data() {
        QTest::addColumn<QString>("name");
        for (const char* n :
             {"vit_tiny", "owf_tiny", "uit_static_tiny", "uit_learnable_tiny", "ringformer_tiny"})
            QTest::newRow(n) << n;
    }
    void runMatchesFixtures() {
        QFETCH(QString, name);
        const std::string n = name.toStdString(), out = dir_ + "/run-" + n;
        auto r = runCli({"run", fixture(n + ".bin"), "--input", fixture(n + ".input.npy"), "--out",
                         out, "--heads", "4"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QVERIFY(maxDiff(loadNpy(out + "/logits.npy"), loadNpy(fixture(n + ".logits.npy"))) < 1e-5);
        QVERIFY(maxDiff(loadNpy(out + "/encoded.npy"), loadNpy(fixture(n + ".encoded.npy"))) <
                1e-5);
        torch::Tensor attn = loadNpy(out + "/attention.npy");
        QCOMPARE(attn.sizes().vec(), loadNpy(fixture(n + ".attn.npy")).sizes().vec());
        QVERIFY(maxDiff(attn, loadNpy(fixture(n + ".attn.npy"))) < 1e-5);
    }

    void runNeedsHeads() {
        expectFailure({"run", fixture("vit_tiny.bin"), "--input", fixture("vit_tiny.input.npy"),
                       "--out", dir_ + "/x"},
                      "--heads");
    }

    void runRejectsWrongInput() {
        // A [2,3,32,32] input for a model... given to a model expecting the same works; a
        // logits file is the wrong shape.
        expectFailure({"run", fixture("vit_tiny.bin"), "--input", fixture("vit_tiny.logits.npy"),
                       "--out", dir_ + "/y", "--heads", "4"},
                      "vit_tiny.logits.npy");
        expectFailure({"run", fixture("vit_tiny.bin"), "--input", dir_ + "/none.npy", "--out",
                       dir_ + "/y", "--heads", "4"},
                      "none.npy");
    }

    /// --out under a regular file: refused, naming the folder (run and analyze share the check).
    void outputDirectoryThatCannotBeMade() {
        test::writeBytes(dir_ + "/plain-file", "not a folder");
        const std::string out = dir_ + "/plain-file/out";
        expectFailure({"run", fixture("vit_tiny.bin"), "--input", fixture("vit_tiny.input.npy"),
                       "--out", out, "--heads", "4"},
                      out + ": cannot create the output directory");
        expectFailure({"analyze", "mad", fixture("vit_tiny.bin"), "--heads", "4", "--data",
                       "npy:" + fixture("vit_tiny.input.npy"), "--out", out},
                      out + ": cannot create the output directory");
    }

    void convertRoundTrips() {
        for (const std::string to : {"safetensors", "ringscope"}) {
            const std::string out =
                dir_ + "/converted." + (to == "safetensors" ? "safetensors" : "pt");
            auto r = runCli({"convert", fixture("owf_tiny.bin"), "--to", to, out, "--heads", "4"});
            QVERIFY2(r.exitCode == 0, r.err.c_str());
            // Heads now come from the file's metadata.
            const std::string runDir = dir_ + "/conv-" + to;
            r = runCli({"run", out, "--input", fixture("owf_tiny.input.npy"), "--out", runDir});
            QVERIFY2(r.exitCode == 0, r.err.c_str());
            QVERIFY(maxDiff(loadNpy(runDir + "/logits.npy"),
                            loadNpy(fixture("owf_tiny.logits.npy"))) < 1e-5);
            r = runCli({"info", out, "--json"});
            auto j = nlohmann::json::parse(r.out);
            QCOMPARE(j["heads_source"].get<std::string>(), std::string("file metadata"));
        }
    }

    void classifyImages() {
        // PNG, JPEG, BMP, WebP; gray and colour; other sizes than the model's.
        std::vector<std::string> files;
        cv::Mat colour(40, 50, CV_8UC3, cv::Scalar(20, 120, 220));
        cv::Mat gray(32, 32, CV_8UC1, cv::Scalar(77));
        for (const std::string ext : {"png", "jpg", "bmp", "webp"}) {
            files.push_back(dir_ + "/c." + ext);
            QVERIFY(cv::imwrite(files.back(), colour));
            files.push_back(dir_ + "/g." + ext);
            QVERIFY(cv::imwrite(files.back(), gray));
        }
        std::vector<std::string> args{"classify", fixture("vit_tiny.bin")};
        args.insert(args.end(), files.begin(), files.end());
        for (const std::string a : {"--heads", "4", "--top", "3", "--json"})
            args.push_back(a);
        auto r = runCli(args);
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        auto j = nlohmann::json::parse(r.out);
        QCOMPARE(j["results"].size(), files.size());
        for (const auto& res : j["results"]) {
            QCOMPARE(res["top"].size(), size_t(3));
            double sum = 0, prev = 1.0;
            for (const auto& p : res["top"]) {
                const double v = p["probability"].get<double>();
                QVERIFY(v <= prev);
                prev = v;
                sum += v;
            }
            QVERIFY(sum <= 1.0 + 1e-6 && sum > 0.0);
        }
    }

    void classifyBadImage() {
        const std::string bad = dir_ + "/broken.jpg";
        test::writeBytes(bad, std::string("\xff\xd8\xff\xe0 not really a jpeg", 22));
        expectFailure({"classify", fixture("vit_tiny.bin"), bad, "--heads", "4"}, "broken.jpg");
        expectFailure({"classify", fixture("vit_tiny.bin"), dir_ + "/missing.png", "--heads", "4"},
                      "missing.png");
    }

    void brokenCheckpoints() {
        const std::string bin = test::readBytes(fixture("vit_tiny.bin"));
        struct Case {
            std::string name, bytes;
        };
        std::vector<Case> cases{
            {"empty.pt", ""},
            {"random.pt", std::string(4096, '\x5a')},
            {"truncated.pt", bin.substr(0, bin.size() / 2)},
            {"image.pt", test::readBytes(dir_ + "/c.png")},
        };
        for (const auto& c : cases) {
            const std::string path = dir_ + "/" + c.name;
            test::writeBytes(path, c.bytes);
            expectFailure({"info", path}, c.name);
            expectFailure({"classify", path, dir_ + "/c.png", "--heads", "4"}, c.name);
        }
        expectFailure({"info", dir_ + "/does-not-exist.pt"}, "does-not-exist.pt");
    }

    void usageErrors() {
        expectFailure({"run", fixture("vit_tiny.bin")}, "--input");
        expectFailure(
            {"convert", fixture("vit_tiny.bin"), "--to", "onnx", dir_ + "/x.onnx", "--heads", "4"},
            "--to");
        expectFailure({"bench", "--family", "vit"}, "--image-size");
        auto r = runCli({"frobnicate"});
        QCOMPARE(r.exitCode, 1);
    }

    void bench() {
        auto r = runCli({"bench", "--family", "ringformer", "--image-size", "16", "--patch",
                         "4",     "--hidden", "32",         "--heads",      "4",  "--mlp",
                         "64",    "--depth",  "2",          "--rank",       "2",  "--batch",
                         "4",     "--steps",  "2",          "--train"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        auto j = nlohmann::json::parse(r.out);
        QVERIFY(j["ms_per_step"].get<double>() > 0);
        QVERIFY(j["params"].get<int64_t>() > 0);
        QCOMPARE(j["mode"].get<std::string>(), std::string("train"));
        QCOMPARE(j["lanes"].get<int>(), 1); // one lane per 8 images at most
        QCOMPARE(j["lane_idle_ms_per_step"].get<double>(), 0.0);
    }

    /// bench-analysis all: one line per pass over the same images, each analysis with its cost
    /// relative to the plain inference pass (median of the rounds).
    void benchAnalysisAll() {
        const std::string models = test::sourceDir() + "/resources/models/";
        auto r = runCli({"bench-analysis", "all", models + "ringformer.ringscope.pt", "--data",
                         "folder:" + test::sourceDir() + "/resources/images", "--rounds", "2"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        std::istringstream lines(r.out);
        std::vector<nlohmann::json> passes;
        for (std::string line; std::getline(lines, line);)
            passes.push_back(nlohmann::json::parse(line));
        QCOMPARE(passes.size(), size_t(4));
        const std::vector<std::string> names = {"inference", "mad", "cka", "levels"};
        for (size_t i = 0; i < passes.size(); ++i) {
            QCOMPARE(passes[i]["analysis"].get<std::string>(), names[i]);
            QCOMPARE(passes[i]["images"].get<int>(), 10); // resources/images
            QCOMPARE(passes[i]["rounds"].get<int>(), 2);
            QCOMPARE(passes[i].contains("cost_vs_inference"), i > 0);
            QVERIFY(passes[i]["seconds"].get<double>() > 0.0);
            // The median over rounds of each analysis's time over its paired inference pass.
            if (i > 0) QVERIFY(std::isfinite(passes[i]["cost_vs_inference"].get<double>()));
            if (i > 0) QVERIFY(passes[i]["cost_vs_inference"].get<double>() > 0.0);
        }
        // One analysis alone comes with its own inference pass.
        r = runCli({"bench-analysis", "cka", models + "vit.ringscope.pt", "--data",
                    "folder:" + test::sourceDir() + "/resources/images"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QCOMPARE(std::count(r.out.begin(), r.out.end(), '\n'), 2L);
        QVERIFY(r.out.find("\"cost_vs_inference\"") != std::string::npos);
        expectFailure({"bench-analysis", "everything", models + "vit.ringscope.pt", "--data",
                       "folder:" + test::sourceDir() + "/resources/images"},
                      "inference, mad, cka, levels or all");
    }

    /// soak: the curve has a sample every --every images and cycles, the bundled demo models agree
    /// on most of the bundled images, and the summary says whether memory stayed flat.
    void soak() {
        const std::string models = test::sourceDir() + "/resources/models/";
        auto r = runCli({"soak", models + "vit.ringscope.pt", models + "ringformer.ringscope.pt",
                         "--data", "folder:" + test::sourceDir() + "/resources/images", "--images",
                         "40", "--cycles", "6", "--every", "10", "--tolerance", "512", "--out",
                         dir_ + "/soak"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        auto j = nlohmann::json::parse(r.out);
        QCOMPARE(j["images"].get<int>(), 40);
        QCOMPARE(j["classify"]["curve"].size(), size_t(5)); // 0, 10, 20, 30, 40
        QCOMPARE(j["classify"]["curve"].back()["step"].get<int>(), 40);
        QVERIFY(j["classify"]["curve"].back()["rss_mib"].get<double>() > 10.0);
        QVERIFY(j["models_agree_share"].get<double>() >= 0.7);
        QCOMPARE(j["open_close"]["curve"].back()["step"].get<int>(), 6);
        QVERIFY(j["open_close"]["summary"]["flat"].get<bool>());
        // --out: the curves as arrays and figures, the same results, a manifest.
        for (const char* f : {"soak.json", "manifest.json", "rss_classify.npy", "rss_classify.csv",
                              "rss_classify.png", "rss_open_close.svg", "rss_open_close.pdf"})
            QVERIFY2(QFileInfo::exists(QString::fromStdString(dir_ + "/soak/" + f)), f);
        const auto saved = nlohmann::json::parse(test::readBytes(dir_ + "/soak/soak.json"));
        QCOMPARE(saved["classify"]["curve"].size(), size_t(5));
        QCOMPARE(saved["images"].get<int>(), 40);
        expectFailure(
            {"soak", models + "vit.ringscope.pt", "--data", "folder:" + dir_ + "/no-such-folder"},
            "no-such-folder");
    }

    /// train writes the best and the latest epoch; --resume takes the recipe and the data from
    /// the checkpoint and continues the epoch count.
    void trainAndResume() {
        if (!test::hasFashionMnist()) QSKIP(test::kNoFashionMnist);
        const std::string out = dir_ + "/run.pt";
        auto r = runCli({"train",
                         "--family",
                         "vit",
                         "--hidden",
                         "32",
                         "--heads",
                         "2",
                         "--mlp",
                         "64",
                         "--depth",
                         "2",
                         "--channels",
                         "3",
                         "--patch",
                         "7",
                         "--data",
                         "fashion-mnist:train",
                         "--limit",
                         "300",
                         "--holdout",
                         "100",
                         "--epochs",
                         "1",
                         "--batch",
                         "50",
                         "--lr",
                         "3e-3",
                         "--no-augment",
                         "--out",
                         out});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        auto j = nlohmann::json::parse(r.out);
        QCOMPARE(j["last"].get<std::string>(), dir_ + "/run.last.pt");
        QCOMPARE(j["steps"].get<int64_t>(), int64_t(4));
        QVERIFY(std::filesystem::exists(dir_ + "/run.last.pt"));

        r = runCli({"train", "--resume", dir_ + "/run.last.pt", "--epochs", "2", "--out",
                    dir_ + "/more.pt"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        j = nlohmann::json::parse(r.out);
        QCOMPARE(j["first_epoch"].get<int64_t>(), int64_t(2));
        QCOMPARE(j["steps"].get<int64_t>(), int64_t(8));
        QVERIFY2(r.err.find("resuming ViT d=32") != std::string::npos, r.err.c_str());
        QVERIFY2(r.err.find("200 of 300 of fashion-mnist:train") != std::string::npos,
                 r.err.c_str());
        r = runCli({"info", dir_ + "/more.pt", "--json"});
        j = nlohmann::json::parse(r.out);
        QCOMPARE(j["metadata"]["history"].size(), size_t(2));
        QCOMPARE(j["training"]["global_step"].get<int64_t>(), int64_t(8));

        // A bare state dict has nothing to resume from.
        expectFailure({"train", "--resume", fixture("vit_tiny.state_dict.pt"), "--heads", "4",
                       "--out", dir_ + "/x.pt"},
                      "cannot resume from this checkpoint");
        expectFailure({"train", "--family", "vit", "--data", "fashion-mnist", "--distributed",
                       "--out", dir_ + "/y.pt"},
                      "MASTER_ADDR");
    }
};

QTEST_APPLESS_MAIN(TestCli)
#include "TestCli.moc"
