#include "ringscope/model/Trainer.h"

#include "ringscope/model/Checkpoint.h"
#include "ringscope/model/DataSource.h"
#include "ringscope/model/Error.h"
#include "ringscope/model/LoadedModel.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <numeric>
#include <random>

namespace ringscope {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

/// SplitMix64: a well-mixed per-sample seed from (seed, epoch, index).
uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/// A training batch, built on the loader thread only (it runs beside the model's own threads),
/// augmented per sample with a seed that depends only on (epoch seed, index).
Batch trainingBatch(const Dataset& data, const std::vector<int64_t>& indices, const InputSpec& spec,
                    const TrainOptions& o, uint64_t epochSeed) {
    SampleTransform augment;
    if (o.augment) {
        augment = [&](const cv::Mat& image, int64_t index) {
            return randomResizedCrop(image, int(spec.size), mix(epochSeed ^ mix(uint64_t(index))), o.augmentation);
        };
    }
    return makeBatch(data, indices, spec, augment, /*parallel=*/false);
}

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const std::vector<torch::Tensor>& params,
                                                       const TrainOptions& o) {
    if (o.adamw)
        return std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(o.lr).weight_decay(o.weightDecay));
    return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(o.lr).weight_decay(o.weightDecay));
}

void setLr(torch::optim::Optimizer& opt, double lr, bool adamw) {
    for (auto& group : opt.param_groups()) {
        if (adamw) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        else static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    }
}

void checkLabels(const Dataset& data, int64_t classes, const std::string& role) {
    const std::vector<int64_t> labels = data.labels();
    if (labels.empty()) throw RingScopeError(role + " set " + data.description() + " is empty");
    const auto [lo, hi] = std::minmax_element(labels.begin(), labels.end());
    if (*lo < 0) throw RingScopeError(role + " set " + data.description() + " has unlabelled images");
    if (*hi >= classes)
        throw RingScopeError(role + " set " + data.description() + " has " + std::to_string(*hi + 1) +
                             " classes, the model has " + std::to_string(classes));
}

} // namespace

nlohmann::json EpochRecord::toJson() const {
    nlohmann::json j = {{"epoch", epoch}, {"train_loss", trainLoss}, {"train_accuracy", trainAccuracy},
                        {"lr", lr}, {"seconds", seconds}, {"data_wait_share", dataWaitShare}};
    if (valAccuracy >= 0) {
        j["val_loss"] = valLoss;
        j["val_accuracy"] = valAccuracy;
    }
    return j;
}

double scheduledLr(double baseLr, int64_t step, int64_t warmup, int64_t total) {
    if (warmup > 0 && step < warmup) return baseLr * double(step + 1) / double(warmup);
    const double span = double(std::max<int64_t>(1, total - warmup));
    const double progress = std::min(1.0, double(step - warmup) / span);
    return baseLr * 0.5 * (1.0 + std::cos(M_PI * progress));
}

EvalResult evaluate(const VisionModel& model, const Dataset& data, const InputSpec& spec, int64_t batchSize,
                    const ProgressCallback& progress, const CancelCallback& cancel) {
    const int64_t classes = model.config().classes;
    checkLabels(data, classes, "evaluation");
    torch::NoGradGuard noGrad;
    EvalResult r;
    r.confusion = torch::zeros({classes, classes}, torch::kInt64);
    double lossSum = 0.0;
    int64_t correct = 0;
    const int64_t n = data.size();
    for (int64_t start = 0; start < n; start += batchSize) {
        if (cancel && cancel()) {
            r.cancelled = true;
            break;
        }
        std::vector<int64_t> idx(size_t(std::min(batchSize, n - start)));
        std::iota(idx.begin(), idx.end(), start);
        Batch b = makeBatch(data, idx, spec);
        r.skipped.insert(r.skipped.end(), b.skipped.begin(), b.skipped.end());
        if (b.images.size(0) == 0) continue;
        torch::Tensor logits = model.forward(b.images).logits;
        lossSum += torch::cross_entropy_loss(logits, b.labels, {}, at::Reduction::Sum).item<double>();
        torch::Tensor pred = logits.argmax(1);
        correct += pred.eq(b.labels).sum().item<int64_t>();
        r.confusion.index_put_({b.labels, pred}, torch::ones_like(pred), /*accumulate=*/true);
        r.count += b.images.size(0);
        if (progress) {
            TrainProgress p;
            p.step = start + int64_t(idx.size());
            p.totalSteps = n;
            p.accuracy = double(correct) / double(r.count);
            p.loss = lossSum / double(r.count);
            progress(p);
        }
    }
    if (r.count > 0) {
        r.loss = lossSum / double(r.count);
        r.accuracy = double(correct) / double(r.count);
    }
    return r;
}

TrainResult train(VisionModel& model, const Dataset& trainSet, const Dataset* valSet, const TrainOptions& o,
                  ModelMetadata metadata, const ProgressCallback& progress, const CancelCallback& cancel) {
    const ModelConfig& c = model.config();
    checkLabels(trainSet, c.classes, "training");
    if (valSet) checkLabels(*valSet, c.classes, "validation");
    if (o.batchSize <= 0 || o.epochs <= 0) throw RingScopeError("batch size and epochs must be positive");
    metadata.config = c;
    const InputSpec spec = metadata.inputSpec();

    std::vector<torch::Tensor> params = model.trainableParameters();
    for (auto& p : params) p.requires_grad_(true);
    auto optimizer = makeOptimizer(params, o);
    torch::manual_seed(o.seed);

    const int64_t n = trainSet.size();
    const int64_t stepsPerEpoch = (n + o.batchSize - 1) / o.batchSize;
    const int64_t total = stepsPerEpoch * o.epochs;
    const int64_t warmup = int64_t(std::llround(o.warmupEpochs * double(stepsPerEpoch)));
    TrainResult result;
    int64_t sinceBest = 0;
    const auto started = Clock::now();
    // The fields every progress report shares; the ETA extrapolates the time per step so far.
    auto progressAt = [&](int64_t epoch, double lr) {
        TrainProgress p;
        p.step = result.steps;
        p.totalSteps = total;
        p.epoch = epoch;
        p.epochs = o.epochs;
        p.lr = lr;
        p.etaSeconds = secondsSince(started) / double(std::max<int64_t>(1, result.steps)) *
                       double(total - result.steps);
        return p;
    };

    for (int64_t epoch = 1; epoch <= o.epochs && !result.cancelled; ++epoch) {
        const auto epochStart = Clock::now();
        std::vector<int64_t> order(static_cast<size_t>(n));
        std::iota(order.begin(), order.end(), 0);
        std::mt19937_64 shuffler(mix(o.seed) ^ mix(uint64_t(epoch)));
        std::shuffle(order.begin(), order.end(), shuffler);
        const uint64_t epochSeed = mix(o.seed * 1000003ull + uint64_t(epoch));
        auto slice = [&](int64_t s) {
            const auto b = order.begin() + s * o.batchSize;
            return std::vector<int64_t>(b, b + std::min(o.batchSize, n - s * o.batchSize));
        };
        std::future<Batch> next = std::async(std::launch::async, trainingBatch, std::cref(trainSet), slice(0),
                                             std::cref(spec), std::cref(o), epochSeed);
        double lossSum = 0.0, waited = 0.0;
        int64_t seen = 0, correct = 0;
        double lr = o.lr;
        for (int64_t s = 0; s < stepsPerEpoch; ++s) {
            if (cancel && cancel()) {
                result.cancelled = true;
                break;
            }
            const auto waitStart = Clock::now();
            Batch batch = next.get();
            waited += secondsSince(waitStart);
            if (s + 1 < stepsPerEpoch)
                next = std::async(std::launch::async, trainingBatch, std::cref(trainSet), slice(s + 1),
                                  std::cref(spec), std::cref(o), epochSeed);
            if (batch.images.size(0) == 0) continue;
            lr = scheduledLr(o.lr, result.steps, warmup, total);
            setLr(*optimizer, lr, o.adamw);
            optimizer->zero_grad();
            torch::Tensor logits = model.forward(batch.images, ForwardOptions{true}).logits;
            torch::Tensor loss = torch::cross_entropy_loss(logits, batch.labels, {}, at::Reduction::Mean, -100,
                                                           o.labelSmoothing);
            loss.backward();
            if (o.clipNorm > 0) torch::nn::utils::clip_grad_norm_(params, o.clipNorm);
            optimizer->step();
            ++result.steps;
            const int64_t b = batch.images.size(0);
            lossSum += loss.item<double>() * double(b);
            correct += logits.argmax(1).eq(batch.labels).sum().item<int64_t>();
            seen += b;
            if (progress) {
                TrainProgress p = progressAt(epoch, lr);
                p.loss = lossSum / double(seen);
                p.accuracy = double(correct) / double(seen);
                p.imagesPerSecond = double(seen) / std::max(1e-9, secondsSince(epochStart));
                progress(p);
            }
        }
        if (next.valid()) next.wait();
        if (result.cancelled || seen == 0) break;

        EpochRecord rec;
        rec.epoch = epoch;
        rec.trainLoss = lossSum / double(seen);
        rec.trainAccuracy = double(correct) / double(seen);
        rec.lr = lr;
        rec.dataWaitShare = waited / std::max(1e-9, secondsSince(epochStart));
        if (valSet) {
            EvalResult ev = evaluate(model, *valSet, spec, o.evalBatchSize, {}, cancel);
            if (ev.cancelled) {
                result.cancelled = true;
                break;
            }
            rec.valLoss = ev.loss;
            rec.valAccuracy = ev.accuracy;
        }
        rec.seconds = secondsSince(epochStart);
        result.history.push_back(rec);
        metadata.history.push_back(rec.toJson());

        const double score = valSet ? rec.valAccuracy : rec.trainAccuracy;
        const bool improved = score > result.bestAccuracy;
        if (improved) {
            result.bestAccuracy = score;
            result.bestEpoch = epoch;
            sinceBest = 0;
        } else {
            ++sinceBest;
        }
        if (!o.checkpointPath.empty() && (improved || !valSet))
            saveRingScopeCheckpoint(o.checkpointPath, model.weights(), metadataForSave(model, metadata));
        if (progress) {
            TrainProgress p = progressAt(epoch, lr);
            p.loss = rec.trainLoss;
            p.accuracy = rec.trainAccuracy;
            p.epochEnd = true;
            p.valLoss = rec.valLoss;
            p.valAccuracy = rec.valAccuracy;
            progress(p);
        }
        if (o.earlyStopPatience > 0 && sinceBest >= o.earlyStopPatience) {
            result.stoppedEarly = true;
            break;
        }
    }
    for (auto& p : params) p.requires_grad_(false);
    return result;
}

} // namespace ringscope
