#include "ringscope/model/train/Trainer.h"

#include "ringscope/model/checkpoint/Checkpoint.h"
#include "ringscope/model/data/DataSource.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/LoadedModel.h"
#include "ringscope/model/nets/ParameterLayout.h"
#include "ringscope/model/train/BatchLanes.h"
#include "ringscope/model/train/FusedAdam.h"
#include "ringscope/model/train/Gradients.h"
#include "ringscope/model/train/ProcessGroup.h"
#include "ringscope/model/data/SubsetDataset.h"

#include <ATen/CPUGeneratorImpl.h>
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
            return randomResizedCrop(image, int(spec.size), mix(epochSeed ^ mix(uint64_t(index))),
                                     o.augmentation);
        };
    }
    return makeBatch(data, indices, spec, augment, /*parallel=*/false);
}

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const std::vector<torch::Tensor>& params,
                                                       const TrainOptions& o) {
    if (o.adamw)
        return std::make_unique<FusedAdamW>(
            params, torch::optim::AdamWOptions(o.lr).weight_decay(o.weightDecay));
    return std::make_unique<FusedAdam>(params,
                                       torch::optim::AdamOptions(o.lr).weight_decay(o.weightDecay));
}

void setLr(torch::optim::Optimizer& opt, double lr, bool adamw) {
    for (auto& group : opt.param_groups()) {
        if (adamw)
            static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        else
            static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    }
}

void checkLabels(const Dataset& data, int64_t classes, const std::string& role) {
    const std::vector<int64_t> labels = data.labels();
    if (labels.empty()) throw RingScopeError(role + " set " + data.description() + " is empty");
    const auto [lo, hi] = std::minmax_element(labels.begin(), labels.end());
    if (*lo < 0)
        throw RingScopeError(role + " set " + data.description() + " has unlabelled images");
    if (*hi >= classes)
        throw RingScopeError(role + " set " + data.description() + " has " +
                             std::to_string(*hi + 1) + " classes, the model has " +
                             std::to_string(classes));
}

} // namespace

nlohmann::json EpochRecord::toJson() const {
    nlohmann::json j = {
        {"epoch", epoch}, {"train_loss", trainLoss}, {"train_accuracy", trainAccuracy},
        {"lr", lr},       {"seconds", seconds},      {"data_wait_share", dataWaitShare}};
    if (valAccuracy >= 0) {
        j["val_loss"] = valLoss;
        j["val_accuracy"] = valAccuracy;
    }
    return j;
}

std::string lastCheckpointPathFor(const std::string& out) {
    const size_t slash = out.find_last_of('/');
    const size_t dot = out.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash) || dot == slash + 1)
        return out + ".last";
    return out.substr(0, dot) + ".last" + out.substr(dot);
}

double scheduledLr(double baseLr, int64_t step, int64_t warmup, int64_t total) {
    if (warmup > 0 && step < warmup) return baseLr * double(step + 1) / double(warmup);
    const double span = double(std::max<int64_t>(1, total - warmup));
    const double progress = std::min(1.0, double(step - warmup) / span);
    return baseLr * 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress));
}

EvalResult evaluate(const VisionModel& model, const Dataset& data, const InputSpec& spec,
                    int64_t batchSize, const ProgressCallback& progress,
                    const CancelCallback& cancel, const ForwardOptions& forward) {
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
        torch::Tensor logits = model.forward(b.images, forward).logits;
        lossSum +=
            torch::cross_entropy_loss(logits, b.labels, {}, at::Reduction::Sum).item<double>();
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

nlohmann::json TrainOptions::toJson() const {
    return {{"epochs", epochs},
            {"batch_size", batchSize},
            {"lr", lr},
            {"weight_decay", weightDecay},
            {"adamw", adamw},
            {"warmup_epochs", warmupEpochs},
            {"clip_norm", clipNorm},
            {"label_smoothing", labelSmoothing},
            {"augment", augment},
            {"crop_scale", {augmentation.minScale, augmentation.maxScale}},
            {"horizontal_flip", augmentation.horizontalFlip},
            {"seed", seed},
            {"early_stop_patience", earlyStopPatience}};
}

TrainOptions TrainOptions::fromJson(const nlohmann::json& j, const TrainOptions& fallback) {
    TrainOptions o = fallback;
    if (!j.is_object()) return o;
    auto take = [&](const char* key, auto& field) {
        if (j.contains(key) && !j[key].is_null()) {
            try {
                field = j[key].get<std::decay_t<decltype(field)>>();
            } catch (const nlohmann::json::exception&) {
            }
        }
    };
    take("epochs", o.epochs);
    take("batch_size", o.batchSize);
    take("lr", o.lr);
    take("weight_decay", o.weightDecay);
    take("adamw", o.adamw);
    take("warmup_epochs", o.warmupEpochs);
    take("clip_norm", o.clipNorm);
    take("label_smoothing", o.labelSmoothing);
    take("augment", o.augment);
    take("horizontal_flip", o.augmentation.horizontalFlip);
    take("seed", o.seed);
    take("early_stop_patience", o.earlyStopPatience);
    if (j.contains("crop_scale") && j["crop_scale"].is_array() && j["crop_scale"].size() == 2 &&
        j["crop_scale"][0].is_number() && j["crop_scale"][1].is_number()) {
        o.augmentation.minScale = j["crop_scale"][0].get<double>();
        o.augmentation.maxScale = j["crop_scale"][1].get<double>();
    }
    return o;
}

namespace {

/// Adam or AdamW moments out of / into libtorch's optimizer, in parameter order.
template <class State>
std::vector<AdamMoments> exportMoments(torch::optim::Optimizer& opt,
                                       const std::vector<torch::Tensor>& params) {
    std::vector<AdamMoments> out(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
        auto it = opt.state().find(c10::guts::to_string(params[i].unsafeGetTensorImpl()));
        if (it == opt.state().end()) continue;
        const auto& s = static_cast<const State&>(*it->second);
        out[i] = {s.step(), s.exp_avg(), s.exp_avg_sq()};
    }
    return out;
}

template <class State>
void importMoments(torch::optim::Optimizer& opt, const std::vector<torch::Tensor>& params,
                   const std::vector<AdamMoments>& moments) {
    for (size_t i = 0; i < params.size(); ++i) {
        const AdamMoments& m = moments[i];
        if (!m.expAvg.defined()) continue;
        auto s = std::make_unique<State>();
        s->step(m.step);
        s->exp_avg(m.expAvg.clone());
        s->exp_avg_sq(m.expAvgSq.clone());
        opt.state()[c10::guts::to_string(params[i].unsafeGetTensorImpl())] = std::move(s);
    }
}

/// Checks that a saved optimizer state belongs to these parameters.
void checkResumable(const TrainingState& st, const std::vector<torch::Tensor>& params) {
    if (st.moments.size() != params.size())
        throw RingScopeError("cannot resume: the checkpoint's optimizer state covers " +
                             std::to_string(st.moments.size()) + " parameters, the model has " +
                             std::to_string(params.size()));
    for (size_t i = 0; i < params.size(); ++i) {
        const AdamMoments& m = st.moments[i];
        if (m.expAvg.defined() &&
            (!m.expAvg.sizes().equals(params[i].sizes()) || !m.expAvgSq.defined() ||
             !m.expAvgSq.sizes().equals(params[i].sizes())))
            throw RingScopeError("cannot resume: the optimizer state of parameter " +
                                 std::to_string(i) + " does not match its shape");
    }
}

/// The part of `indices` that `rank` of `world` processes trains on (contiguous, sizes differ
/// by at most one).
std::vector<int64_t> shardOf(const std::vector<int64_t>& indices, int rank, int world) {
    const size_t n = indices.size();
    const size_t lo = n * size_t(rank) / size_t(world), hi = n * size_t(rank + 1) / size_t(world);
    return std::vector<int64_t>(indices.begin() + std::ptrdiff_t(lo),
                                indices.begin() + std::ptrdiff_t(hi));
}

/// One training run: the optimizer, schedule, data order and checkpoints of train().
class TrainingRun {
public:
    TrainingRun(VisionModel& model, const Dataset& trainSet, const Dataset* valSet,
                const TrainOptions& o, ModelMetadata metadata, const ProgressCallback& progress,
                const CancelCallback& cancel)
        : model_(model), train_(trainSet), val_(valSet), o_(o), meta_(std::move(metadata)),
          progress_(progress), cancel_(cancel), rank_(o.group ? o.group->rank() : 0),
          world_(o.group ? o.group->worldSize() : 1) {
        const ModelConfig& c = model.config();
        checkLabels(trainSet, c.classes, "training");
        if (valSet) checkLabels(*valSet, c.classes, "validation");
        if (o.batchSize <= 0 || o.epochs <= 0)
            throw RingScopeError("batch size and epochs must be positive");
        meta_.config = c;
        meta_.extra["train_options"] = o.toJson();
        spec_ = meta_.inputSpec();
        params_ = model.trainableParameters();
        // Adam numbers every parameter of the published model, trainable or not (fixed
        // position tables are parameters without gradients), in state-dict order.
        for (const auto& spec : parameterLayout(c))
            numbered_.push_back(model.weights().at(spec.name));
        for (auto& p : params_)
            p.requires_grad_(true);
        optimizer_ = makeOptimizer(params_, o);
        n_ = trainSet.size();
        stepsPerEpoch_ = (n_ + o.batchSize - 1) / o.batchSize;
        total_ = stepsPerEpoch_ * o.epochs;
        warmup_ = int64_t(std::llround(o.warmupEpochs * double(stepsPerEpoch_)));
        if (o.resume) restore(*o.resume);
        if (o.group) synchroniseParameters();
    }

    ~TrainingRun() {
        for (auto& p : params_)
            p.requires_grad_(false);
    }

    TrainResult run() {
        started_ = Clock::now();
        stepsAtStart_ = result_.steps;
        for (int64_t epoch = result_.firstEpoch; epoch <= o_.epochs && !result_.cancelled;
             ++epoch) {
            EpochRecord rec;
            if (!runEpoch(epoch, rec) || !validate(rec)) {
                result_.cancelled = true;
                break;
            }
            finishEpoch(rec);
            if (o_.earlyStopPatience > 0 && sinceBest_ >= o_.earlyStopPatience) {
                result_.stoppedEarly = true;
                break;
            }
        }
        return result_;
    }

private:
    void restore(const TrainingState& st) {
        checkResumable(st, numbered_);
        if (o_.adamw)
            importMoments<torch::optim::AdamWParamState>(*optimizer_, numbered_, st.moments);
        else
            importMoments<torch::optim::AdamParamState>(*optimizer_, numbered_, st.moments);
        result_.steps = st.globalStep;
        result_.firstEpoch = st.epoch + 1;
        result_.bestAccuracy = st.bestAccuracy;
        // Best epoch and the early-stop count come from the history the checkpoint carries.
        if (meta_.history.is_array()) {
            for (const auto& e : meta_.history) {
                const double acc = e.value(val_ ? "val_accuracy" : "train_accuracy", -1.0);
                const int64_t ep = e.value("epoch", int64_t(0));
                if (ep > st.epoch) continue;
                if (acc >= st.bestAccuracy - 1e-12 && acc >= 0) result_.bestEpoch = ep;
            }
            if (result_.bestEpoch > 0) sinceBest_ = st.epoch - result_.bestEpoch;
        }
    }

    /// Every process starts from rank 0's parameters.
    void synchroniseParameters() {
        torch::NoGradGuard noGrad;
        std::vector<torch::Tensor> flat{torch::cat(flatViews(params_))};
        o_.group->broadcast(flat, 0);
        int64_t offset = 0;
        for (auto& p : params_) {
            p.copy_(flat[0].narrow(0, offset, p.numel()).view_as(p));
            offset += p.numel();
        }
    }

    static std::vector<torch::Tensor> flatViews(const std::vector<torch::Tensor>& ts) {
        std::vector<torch::Tensor> v;
        v.reserve(ts.size());
        for (const auto& t : ts)
            v.push_back(t.detach().reshape({-1}));
        return v;
    }

    /// Sums the gradients of all processes (each already scaled by its share of the batch).
    void sumGradients() {
        std::vector<torch::Tensor> grads;
        for (auto& p : params_) {
            if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
            grads.push_back(p.grad().reshape({-1}));
        }
        std::vector<torch::Tensor> flat{torch::cat(grads)};
        o_.group->allReduceSum(flat);
        int64_t offset = 0;
        for (auto& p : params_) {
            p.mutable_grad().copy_(flat[0].narrow(0, offset, p.numel()).view_as(p));
            offset += p.numel();
        }
    }

    /// Sums numbers over the group.
    std::vector<double> groupSum(std::vector<double> values) const {
        if (!o_.group) return values;
        std::vector<torch::Tensor> t{torch::tensor(values, torch::kFloat64)};
        o_.group->allReduceSum(t);
        const double* d = t[0].data_ptr<double>();
        return std::vector<double>(d, d + values.size());
    }

    TrainProgress progressAt(int64_t epoch, double lr) const {
        TrainProgress p;
        p.step = result_.steps;
        p.totalSteps = total_;
        p.epoch = epoch;
        p.epochs = o_.epochs;
        p.lr = lr;
        const int64_t done = std::max<int64_t>(1, result_.steps - stepsAtStart_);
        p.etaSeconds = secondsSince(started_) / double(done) * double(total_ - result_.steps);
        return p;
    }

    /// This process's indices of global batch `s` of an epoch's order.
    std::vector<int64_t> batchIndices(const std::vector<int64_t>& order, int64_t s,
                                      int64_t& globalCount) const {
        const auto b = order.begin() + s * o_.batchSize;
        std::vector<int64_t> global(b, b + std::min(o_.batchSize, n_ - s * o_.batchSize));
        globalCount = int64_t(global.size());
        return world_ > 1 ? shardOf(global, rank_, world_) : global;
    }

    bool runEpoch(int64_t epoch, EpochRecord& rec) {
        const auto epochStart = Clock::now();
        std::vector<int64_t> order(static_cast<size_t>(n_));
        std::iota(order.begin(), order.end(), 0);
        std::mt19937_64 shuffler(mix(o_.seed) ^ mix(uint64_t(epoch)));
        std::shuffle(order.begin(), order.end(), shuffler);
        // Dropout draws from this run's own generator, seeded per epoch: a resumed run repeats
        // it, and nothing else in the process draws from it.
        dropoutGenerator_ =
            at::make_generator<at::CPUGeneratorImpl>(mix(o_.seed ^ mix(uint64_t(epoch) + 0x5eed)));
        const uint64_t epochSeed = mix(o_.seed * 1000003ull + uint64_t(epoch));
        std::vector<int64_t> globalCounts(static_cast<size_t>(stepsPerEpoch_));
        auto load = [&](int64_t s) {
            return std::async(std::launch::async, trainingBatch, std::cref(train_),
                              batchIndices(order, s, globalCounts[size_t(s)]), std::cref(spec_),
                              std::cref(o_), epochSeed);
        };
        std::future<Batch> next = load(0);
        double lossSum = 0.0, waited = 0.0, lr = o_.lr;
        int64_t seen = 0, correct = 0;
        bool cancelled = false;
        for (int64_t s = 0; s < stepsPerEpoch_; ++s) {
            if (cancel_ && cancel_()) {
                cancelled = true;
                break;
            }
            const auto waitStart = Clock::now();
            Batch batch = next.get();
            waited += secondsSince(waitStart);
            if (s + 1 < stepsPerEpoch_) next = load(s + 1);
            lr = scheduledLr(o_.lr, result_.steps, warmup_, total_);
            const int64_t b = batch.images.size(0);
            if (b == 0 && !o_.group) continue;
            step(batch, globalCounts[size_t(s)], lr, lossSum, correct);
            seen += b;
            if (progress_ && seen > 0) {
                TrainProgress p = progressAt(epoch, lr);
                p.loss = lossSum / double(seen);
                p.accuracy = double(correct) / double(seen);
                p.imagesPerSecond =
                    double(seen * world_) / std::max(1e-9, secondsSince(epochStart));
                progress_(p);
            }
        }
        if (next.valid()) next.wait();
        if (cancelled) return false;
        const std::vector<double> sums = groupSum({lossSum, double(correct), double(seen)});
        if (sums[2] == 0) return false;
        rec.epoch = epoch;
        rec.trainLoss = sums[0] / sums[2];
        rec.trainAccuracy = sums[1] / sums[2];
        rec.lr = lr;
        rec.dataWaitShare = waited / std::max(1e-9, secondsSince(epochStart));
        epochStart_ = epochStart;
        return true;
    }

    /// One optimizer step on this process's part of a global batch of `globalCount` images.
    void step(const Batch& batch, int64_t globalCount, double lr, double& lossSum,
              int64_t& correct) {
        setLr(*optimizer_, lr, o_.adamw);
        clearGradients(params_);
        const int64_t b = batch.images.size(0);
        if (b > 0) {
            // The mean over the global batch is the sum of each process's share.
            LaneOptions lanes;
            lanes.labelSmoothing = o_.labelSmoothing;
            lanes.lossScale = world_ > 1 ? double(b) / double(globalCount) : 1.0;
            const TrainingPassResult pass = trainingPass(
                model_, batch.images, batch.labels, ForwardOptions{true, dropoutGenerator_}, lanes);
            lossSum += pass.loss * double(b);
            correct += pass.logits.argmax(1).eq(batch.labels).sum().item<int64_t>();
        }
        if (o_.group) sumGradients();
        if (o_.clipNorm > 0) clipGradientNorm(params_, o_.clipNorm);
        optimizer_->step();
        ++result_.steps;
    }

    /// Evaluates on the validation set (each process its share). False when cancelled.
    bool validate(EpochRecord& rec) {
        if (!val_) return true;
        std::unique_ptr<Dataset> shard;
        const Dataset* part = val_;
        if (world_ > 1) {
            std::vector<int64_t> all(size_t(val_->size()));
            std::iota(all.begin(), all.end(), 0);
            shard = std::make_unique<SubsetDataset>(*val_, shardOf(all, rank_, world_));
            part = shard.get();
        }
        EvalResult ev = part->size() > 0
                            ? evaluate(model_, *part, spec_, o_.evalBatchSize, {}, cancel_)
                            : EvalResult{};
        if (ev.cancelled) return false;
        const std::vector<double> sums =
            groupSum({ev.loss * double(ev.count), std::round(ev.accuracy * double(ev.count)),
                      double(ev.count)});
        if (sums[2] > 0) {
            rec.valLoss = sums[0] / sums[2];
            rec.valAccuracy = sums[1] / sums[2];
        }
        return true;
    }

    void finishEpoch(EpochRecord& rec) {
        rec.seconds = secondsSince(epochStart_); // training and validation
        result_.history.push_back(rec);
        meta_.history.push_back(rec.toJson());
        const double score = val_ ? rec.valAccuracy : rec.trainAccuracy;
        const bool improved = score > result_.bestAccuracy;
        if (improved) {
            result_.bestAccuracy = score;
            result_.bestEpoch = rec.epoch;
            sinceBest_ = 0;
        } else {
            ++sinceBest_;
        }
        if (rank_ == 0) save(rec.epoch, improved || !val_);
        if (progress_) {
            TrainProgress p = progressAt(rec.epoch, rec.lr);
            p.loss = rec.trainLoss;
            p.accuracy = rec.trainAccuracy;
            p.epochEnd = true;
            p.valLoss = rec.valLoss;
            p.valAccuracy = rec.valAccuracy;
            progress_(p);
        }
    }

    TrainingState snapshot(int64_t epoch) {
        TrainingState st;
        st.epoch = epoch;
        st.globalStep = result_.steps;
        st.bestAccuracy = result_.bestAccuracy;
        st.moments = o_.adamw ? exportMoments<torch::optim::AdamWParamState>(*optimizer_, numbered_)
                              : exportMoments<torch::optim::AdamParamState>(*optimizer_, numbered_);
        const double lr =
            scheduledLr(o_.lr, std::max<int64_t>(0, result_.steps - 1), warmup_, total_);
        st.group = {lr, o_.lr, 0.9, 0.999, 1e-8, o_.weightDecay, false};
        st.scheduler = {{"base_lrs", {o_.lr}},
                        {"last_epoch", result_.steps},
                        {"_step_count", result_.steps + 1},
                        {"verbose", false},
                        {"_get_lr_called_within_step", false},
                        {"_last_lr", {lr}},
                        {"lr_lambdas", {nullptr}}};
        return st;
    }

    void save(int64_t epoch, bool best) {
        if (o_.checkpointPath.empty() && o_.lastCheckpointPath.empty()) return;
        const TrainingState st = snapshot(epoch);
        const nlohmann::json meta = metadataForSave(model_, meta_);
        if (!o_.lastCheckpointPath.empty())
            saveTrainingCheckpoint(o_.lastCheckpointPath, model_.weights(), meta, st);
        if (best && !o_.checkpointPath.empty())
            saveTrainingCheckpoint(o_.checkpointPath, model_.weights(), meta, st);
    }

    VisionModel& model_;
    const Dataset& train_;
    const Dataset* val_;
    const TrainOptions& o_;
    ModelMetadata meta_;
    const ProgressCallback& progress_;
    const CancelCallback& cancel_;
    const int rank_, world_;
    InputSpec spec_;
    std::vector<torch::Tensor> params_;   // trainable, given to the optimizer
    std::vector<torch::Tensor> numbered_; // every parameter, numbered as torch.optim does
    std::unique_ptr<torch::optim::Optimizer> optimizer_;
    int64_t n_ = 0, stepsPerEpoch_ = 0, total_ = 0, warmup_ = 0, stepsAtStart_ = 0, sinceBest_ = 0;
    TrainResult result_;
    Clock::time_point started_, epochStart_;
    at::Generator dropoutGenerator_; ///< this run's own random source (dropout), seeded per epoch
};

} // namespace

TrainResult train(VisionModel& model, const Dataset& trainSet, const Dataset* valSet,
                  const TrainOptions& o, ModelMetadata metadata, const ProgressCallback& progress,
                  const CancelCallback& cancel) {
    TrainingRun run(model, trainSet, valSet, o, std::move(metadata), progress, cancel);
    return run.run();
}

} // namespace ringscope
