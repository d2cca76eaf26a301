#include "CliApp.h"

#include "CliArgs.h"
#include "Commands.h"

#include "ringscope/Version.h"
#include "ringscope/model/Runtime.h"

#include <c10/util/Exception.h>

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

std::string usageText() {
    return R"(usage: ringscope-cli COMMAND ...

  info CHECKPOINT [--heads N] [--json]
      Format, inferred architecture, parameters, metadata and training state of a checkpoint.
  run CHECKPOINT --input X.npy --out DIR [--heads N]
      Forward pass on a float32 batch [B,C,S,S]; writes DIR/logits.npy [B,C],
      DIR/encoded.npy [B,N,d] and DIR/attention.npy [A,B,H,N,N].
  classify CHECKPOINT IMAGE... [--heads N] [--top K] [--json]
      Top-K classes of images (PNG, JPEG, BMP, WebP; gray or colour).
  convert CHECKPOINT --to safetensors|ringscope OUT [--heads N]
      Writes the model as safetensors or as a RingScope checkpoint (PyTorch zip format).
  bench --family vit|owf|uit|ringformer --image-size S --patch P --hidden D --heads H
        --mlp M --depth T [--rank R] [--channels C] [--classes K] --batch B [--train]
        [--threads N] [--steps N]
      Median milliseconds per inference (or training) step, as one JSON line.
  bench-analysis mad|cka CHECKPOINT --data SOURCE [--limit N] [--batch B] [--threads N]
      Seconds, images/s and peak resident memory of MAD or CKA (A x A) over a data source.
  train [--family F] [model options as in bench] --data SOURCE [--val SOURCE | --holdout N]
        [--epochs E] [--batch B] [--lr L] [--warmup-epochs W] [--weight-decay X] [--adamw]
        [--label-smoothing S] [--no-augment] [--crop-scale MIN] [--seed S] [--patience P]
        [--limit N] [--val-limit N] [--resume CKPT] [--last CKPT] [--distributed] --out CKPT
      Trains a model (Adam, warm-up + cosine, clipping 1.0); saves the best epoch to CKPT and
      the latest to --last (default CKPT with .last before the extension), both as the
      published training container; --resume continues a saved run exactly; --distributed
      joins a data-parallel group from MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE.
  evaluate CHECKPOINT --data SOURCE [--heads N] [--limit N] [--json]
      Accuracy, loss and confusion matrix on a labelled data source.

  analyze attention CHECKPOINT IMAGE --out DIR [--rollout] [--discard R] [--query T]
        [--fusion mean|max|min] [--heads N] [--colormap NAME] [--alpha A] [--per-panel-scale]
  analyze mad CHECKPOINT [CHECKPOINT_B] --data SOURCE --out DIR [--limit N] [--renormalised]
  analyze cka CHECKPOINT [CHECKPOINT_B] --data SOURCE --out DIR [--kernel linear|rbf]
        [--estimator full|minibatch|token] [--feature flatten|cls|mean] [--batch N] [--limit N]
  analyze levels CHECKPOINT --data SOURCE --out DIR [--limit N]
  analyze lens CHECKPOINT --data SOURCE --out DIR [--limit N]
      Metrics of shared/spec/analysis.md: numbers (.npy, long-format .csv, .json), figures
      (.png, .svg, .pdf; --width --height --dpi) and manifest.json in DIR.

SOURCE: npy:FILE, folder:DIR, fashion-mnist[:test|train], idx:IMAGES,LABELS, cifar:DIR[:test|train]

  soak CHECKPOINT... [--data SOURCE] [--images N] [--cycles M] [--every K] [--tolerance MIB] [--out DIR]
      Classifies N images (default 10000, one at a time, traced) with every checkpoint, then
      opens and closes the checkpoints M times (default 200); prints resident memory along the
      way as JSON (and, with --out, as arrays and figures in DIR). Exit status 2 when memory
      grew by more than MIB (default 32) after warm-up.

  --version   print the version
  --help      print this text
Errors: exit status 1 and one line on stderr naming the file and the problem.
)";
}

int runCliArgs(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    static const std::map<std::string, std::function<int(const Args&, std::ostream&)>> commands{
        {"info", infoCommand},       {"run", runCommand},     {"classify", classifyCommand},
        {"convert", convertCommand}, {"bench", benchCommand},   {"train", trainCommand},
        {"evaluate", evaluateCommand}, {"analyze", analyzeCommand},
        {"bench-analysis", benchAnalysisCommand}, {"soak", soakCommand},
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
