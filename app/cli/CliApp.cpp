#include "CliApp.h"

#include "CliArgs.h"
#include "Commands.h"

#include "ringscope/Version.h"
#include "ringscope/model/core/Runtime.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <iostream>
#include <map>

namespace ringscope::cli {

namespace {

/// First line of a message, with surrounding space trimmed (libtorch errors carry backtraces).
std::string oneLine(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    const auto b = line.find_first_not_of(" \t\r");
    const auto e = line.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string("unknown error") : line.substr(b, e - b + 1);
}

} // namespace

namespace {

/// One command's (or one analysis's) usage and what it does.
struct CommandHelp {
    const char* name; ///< "info", "analyze mad", ...
    const char* text; ///< synopsis line(s), then the description, indented
};

const char* const kModelOptionsHelp =
    "  --heads N        attention heads, when the file does not say\n"
    "  --image-size S   image side in pixels, --levels T level count: for a learnable UiT level\n"
    "                   table that fits several shapes (info lists them)\n";

const char* const kSourceHelp = "SOURCE: npy:FILE, folder:DIR, fashion-mnist[:test|train], "
                                "idx:IMAGES,LABELS, cifar:DIR[:test|train]\n";

const CommandHelp kCommands[] = {
    {"info", R"(info FILE [--heads N] [--image-size S] [--levels T] [--json]
      Format, container, tensors, inferred architecture, parameters, metadata and training
      state of a checkpoint. A tensor file that fits none of the model families is still
      described (tensors, dtypes, shapes, shared storage, why no family matched); a .npy file
      describes its array.)"},
    {"run", R"(run CHECKPOINT --input X.npy --out DIR [--heads N] [--image-size S] [--levels T]
        [--iterations K [--extend repeat-last|cycle|extend]] [--mean M,M,M --std S,S,S]
      Forward pass on a float32 batch [B,C,S,S]; writes DIR/logits.npy [B,C],
      DIR/encoded.npy [B,N,d] and DIR/attention.npy [A,B,H,N,N]. --iterations K runs K
      applications: a ViT or OWF at most its L layers; a RingFormer or UiT any K, the levels
      beyond its T trained ones by --extend (repeat-last: level T; cycle: level ((t-1) mod T)+1;
      extend: a static-encoding UiT's sinusoid formula).)"},
    {"classify", R"(classify CHECKPOINT IMAGE... [--heads N] [--top K] [--json]
      Top-K classes of images (PNG, JPEG, BMP, WebP, PBM/PGM/PPM; gray or colour).)"},
    {"convert", R"(convert CHECKPOINT --to safetensors|ringscope OUT [--heads N]
      Writes the model as safetensors or as a RingScope checkpoint (PyTorch zip format).)"},
    {"bench", R"(bench --family vit|owf|uit|ringformer --image-size S --patch P --hidden D --heads H
        --mlp M --depth T [--rank R] [--channels C] [--classes K] --batch B [--train]
        [--threads N] [--steps N] [--profile TRACE.json]
      Median milliseconds per inference (or training) step, the step's GFLOP and how close
      it runs to this machine's sgemm rate on the step's own products, as one JSON line;
      --profile writes one more step as a Chrome trace.)"},
    {"bench-analysis",
     R"(bench-analysis inference|mad|cka|levels|all CHECKPOINT --data SOURCE [--limit N] [--batch B]
        [--threads N] [--rounds R]
      Seconds (median of R rounds), images/s and peak resident memory of a plain inference
      pass, MAD, CKA (A x A) or the level analysis over a data source; `all` alternates the
      four and gives every analysis's cost relative to the inference pass.)"},
    {"train",
     R"(train [--family F] [model options as in bench] --data SOURCE [--val SOURCE | --holdout N]
        [--epochs E] [--batch B] [--lr L] [--warmup-epochs W] [--weight-decay X] [--adamw]
        [--label-smoothing S] [--no-augment] [--crop-scale MIN] [--seed S] [--patience P]
        [--limit N] [--val-limit N] [--resume CKPT] [--last CKPT] [--distributed] --out CKPT
      Trains a model (Adam, warm-up + cosine, clipping 1.0); saves the best epoch to CKPT and
      the latest to --last (default CKPT with .last before the extension), both as the
      published training container; --resume continues a saved run exactly; --distributed
      joins a data-parallel group from MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE.)"},
    {"evaluate", R"(evaluate CHECKPOINT --data SOURCE [--heads N] [--limit N] [--json]
      Accuracy, loss and confusion matrix on a labelled data source.)"},
    {"analyze attention",
     R"(analyze attention CHECKPOINT IMAGE --out DIR [--rollout] [--discard R] [--query T]
        [--fusion mean|max|min] [--heads N] [--colormap NAME] [--alpha A] [--per-panel-scale]
      Attention maps of every application and head over the image (or rollout).)"},
    {"analyze mad",
     R"(analyze mad CHECKPOINT [CHECKPOINT_B] --data SOURCE --out DIR [--limit N] [--renormalised]
      Mean attention distance per application and head over a data source.)"},
    {"analyze cka",
     R"(analyze cka CHECKPOINT [CHECKPOINT_B] --data SOURCE --out DIR [--kernel linear|rbf]
        [--estimator full|minibatch|token] [--feature flatten|cls|mean] [--threshold T]
        [--batch N] [--limit N]
      CKA between the applications of one model (A x A) or of two (also B x B and A x B).)"},
    {"analyze levels",
     R"(analyze levels CHECKPOINT [CHECKPOINT_B] --data SOURCE --out DIR [--limit N]
      Level signals (RingFormer low-rank maps, UiT encodings) and the depth dynamics.)"},
    {"analyze lens", R"(analyze lens CHECKPOINT [CHECKPOINT_B] --data SOURCE --out DIR [--limit N]
      Class lens: the head's class probabilities after every application.)"},
    {"analyze depth",
     R"(analyze depth CHECKPOINT [CHECKPOINT_B] --data SOURCE --out DIR [--max-iterations K]
        [--extend repeat-last|cycle|extend[,...]] [--exit-latent-step X] [--exit-cosine-gap X]
        [--exit-entropy-change X] [--exit-kl X] [--exit-same-argmax N] [--head-threshold X]
        [--limit N] [--batch N]
      Depth sweep K = 1..Kmax (default: the trained depth) under every policy beyond it (or
      those of --extend): accuracy, true-class probability, loss and rank after K; per
      application the latent step, 1 - cos, entropy change and KL of the class lens; where
      each exit rule stops each image (defaults: Huginn's 0.03, 1e-3, 1e-3, 1e-3, 5), its
      histogram and the adaptive-compute curve; each head's Jensen-Shannon change.)"},
    {"analyze attribution",
     R"(analyze attribution CHECKPOINT [CHECKPOINT_B] --data SOURCE --out DIR
        [--method gae|rollout|attention] [--class C] [--limit N] [--batch N]
      Which patches the decision used, per image: GAE (gradient-weighted attention relevance
      through every application, Chefer et al. 2021), attention rollout or raw attention,
      for the predicted class or class C; and what each application contributes.)"},
    {"analyze faithfulness",
     R"(analyze faithfulness CHECKPOINT [CHECKPOINT_B] --data SOURCE --out DIR
        [--methods attention,rollout,gae] [--steps K] [--limit N] [--batch N]
      Deletion and insertion tests of each attribution method: the predicted class's
      probability as the most relevant patches are replaced by the mean colour (or revealed on
      a mean-colour image), in K steps; the area under each curve.)"},
    {"soak",
     R"(soak CHECKPOINT... [--data SOURCE] [--images N] [--cycles M] [--every K] [--tolerance MIB] [--out DIR]
      Classifies N images (default 10000, one at a time, traced) with every checkpoint, then
      opens and closes the checkpoints M times (default 200); prints resident memory along the
      way as JSON (and, with --out, as arrays and figures in DIR). Exit status 2 when memory
      grew by more than MIB (default 32) after warm-up.)"},
};

const CommandHelp* findHelp(const std::string& name) {
    for (const CommandHelp& c : kCommands)
        if (name == c.name) return &c;
    return nullptr;
}

bool startsWith(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

bool opensCheckpoint(const std::string& name) {
    return name != "bench" && name != "train";
}

bool readsData(const CommandHelp& c) {
    return std::string(c.text).find("SOURCE") != std::string::npos;
}

const char* const kFooter =
    "Metrics and their exported names: docs/metrics.md; what is read and refused:\n"
    "docs/checkpoint-formats.md. Errors: exit status 1 and one line on stderr naming the file and\n"
    "the problem.\n";

} // namespace

std::string usageText() {
    std::string text =
        "usage: ringscope-cli COMMAND ...   (ringscope-cli COMMAND --help for one command)\n\n";
    for (const CommandHelp& c : kCommands)
        text += std::string("  ") + c.text + "\n";
    text += std::string("\n") + kModelOptionsHelp + "\n" + kSourceHelp +
            "\n  --version   print the version\n  --help      print this text\n" + kFooter;
    return text;
}

std::string commandHelpText(const std::string& name) {
    std::string text;
    for (const CommandHelp& c : kCommands) {
        if (name != c.name && !(name == "analyze" && startsWith(c.name, "analyze "))) continue;
        text += (text.empty() ? "usage: ringscope-cli " : "       ringscope-cli ") +
                std::string(c.text) + "\n";
    }
    if (text.empty()) return "";
    const CommandHelp* c = findHelp(name);
    const bool data = c ? readsData(*c) : name == "analyze";
    if (opensCheckpoint(name)) text += std::string("\n") + kModelOptionsHelp;
    if (data) text += std::string("\n") + kSourceHelp;
    if (startsWith(name, "analyze"))
        text +=
            "\nWrites numbers (.npy, long-format .csv, .json), figures (.png, .svg, .pdf; --width\n"
            "--height --dpi) and manifest.json into DIR. mad, cka, levels, lens, attribution and\n"
            "faithfulness also take --iterations K [--extend repeat-last|cycle|extend].\n";
    return text + "\n" + kFooter;
}

int runCliArgs(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    static const std::map<std::string, std::function<int(const Args&, std::ostream&)>> commands{
        {"info", infoCommand},
        {"run", runCommand},
        {"classify", classifyCommand},
        {"convert", convertCommand},
        {"bench", benchCommand},
        {"train", trainCommand},
        {"evaluate", evaluateCommand},
        {"analyze", analyzeCommand},
        {"bench-analysis", benchAnalysisCommand},
        {"soak", soakCommand},
    };
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        (args.empty() ? err : out) << usageText();
        return args.empty() ? 1 : 0;
    }
    if (args[0] == "--version") {
        out << "ringscope-cli " << ringscope::versionString() << "\n";
        return 0;
    }
    auto it = commands.find(args[0]);
    if (it == commands.end()) {
        err << "ringscope-cli: unknown command '" << args[0] << "' (see ringscope-cli --help)\n";
        return 1;
    }
    if (std::find_if(args.begin() + 1, args.end(), [](const std::string& a) {
            return a == "--help" || a == "-h";
        }) != args.end()) {
        // `analyze mad --help` is the help of that analysis; `analyze --help` lists them all.
        const bool analysis =
            args[0] == "analyze" && args.size() > 2 && findHelp("analyze " + args[1]);
        out << commandHelpText(analysis ? "analyze " + args[1] : args[0]);
        return 0;
    }
    try {
        configureThreads();
        return it->second(Args(args.begin() + 1, args.end()), out);
    } catch (const UsageError& e) {
        err << "ringscope-cli " << args[0] << ": usage error: " << e.message << "\n";
    } catch (const c10::Error& e) {
        err << "ringscope-cli " << args[0] << ": " << oneLine(e.what_without_backtrace()) << "\n";
    } catch (const std::bad_alloc&) {
        err << "ringscope-cli " << args[0] << ": out of memory\n";
    } catch (const std::exception& e) {
        err << "ringscope-cli " << args[0] << ": " << oneLine(e.what()) << "\n";
    } catch (...) {
        err << "ringscope-cli " << args[0] << ": unknown error\n";
    }
    return 1;
}

int runCli(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return runCliArgs(args, std::cout, std::cerr);
}

} // namespace ringscope::cli
