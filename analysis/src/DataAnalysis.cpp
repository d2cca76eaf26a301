#include "ringscope/analysis/DataAnalysis.h"

#include "ringscope/analysis/Convergence.h"
#include "ringscope/analysis/LevelSignals.h"
#include "ringscope/model/core/Error.h"

#include <cmath>
#include <functional>
#include <numeric>
#include <stdexcept>

namespace ringscope::analysis {

namespace {

/// Sum, sum of squares and count of a measure, per cell of a fixed shape.
struct Moments {
    torch::Tensor sum, sumSq;
    double count = 0;

    /// `values` [K..., M]: the last dimension holds M samples of each cell.
    void add(const torch::Tensor& values) {
        const torch::Tensor v = values.to(torch::kFloat64);
        if (!sum.defined()) {
            sum = torch::zeros(v.sizes().slice(0, v.dim() - 1), torch::kFloat64);
            sumSq = torch::zeros_like(sum);
        }
        sum += v.sum(-1);
        sumSq += (v * v).sum(-1);
        count += double(v.size(-1));
    }
    torch::Tensor mean() const { return sum / count; }
    torch::Tensor std() const {
        const torch::Tensor m = mean();
        return torch::sqrt((sumSq / count - m * m).clamp_min(0.0));
    }
};

/// Runs every batch through the models with tracing (each trace set up by `prepare(trace)`
/// first) and hands the batch and the traces to `fn`.
template <class Prepare, class Fn>
void streamTraced(const BatchStream& data, const std::vector<ModelInput>& models, RunReport& report,
                  const RunControl& control, Prepare&& prepare, Fn&& fn) {
    torch::NoGradGuard noGrad;
    // The first model's batch drives the loop; the others read the same examples.
    forEachBatch(data, models.front().spec, report, control, [&](int64_t i, const Batch& first) {
        std::vector<ForwardTrace> traces(models.size());
        for (size_t m = 0; m < models.size(); ++m) {
            prepare(traces[m]);
            models[m].model->forward(m == 0 ? first.images : data.batch(i, models[m].spec).images,
                                     models[m].forward, &traces[m]);
        }
        fn(first, traces);
    });
}

/// What a traced pass of an analysis keeps beyond the hidden states.
struct Keep {
    bool signals = false; ///< the RingFormer level signals
    /// Each application's maps: with none given, the pass drops them as they come, so that a
    /// batch's maps of every application are never held at once.
    std::function<void(const torch::Tensor&)> onMaps;
};

/// streamTraced() keeping what `keep` asks for.
template <class Fn>
void stream(const BatchStream& data, const std::vector<ModelInput>& models, const Keep& keep,
            RunReport& report, const RunControl& control, Fn&& fn) {
    streamTraced(
        data, models, report, control,
        [&keep](ForwardTrace& t) {
            t.recordSignals = keep.signals;
            t.onAttention = keep.onMaps ? keep.onMaps : [](const torch::Tensor&) {};
        },
        std::forward<Fn>(fn));
}

} // namespace

BatchStream::BatchStream(const DataSource& source, int64_t batchSize, int64_t limit)
    : source_(source), batchSize_(batchSize), total_(source.size()) {
    if (batchSize <= 0) throw std::invalid_argument("the batch size must be positive");
    if (limit >= 0) total_ = std::min(total_, limit);
    if (total_ <= 0) throw RingScopeError("data source " + source.spec + " holds no examples");
}

Batch BatchStream::batch(int64_t i, const InputSpec& spec) const {
    const int64_t start = i * batchSize_, count = std::min(batchSize_, total_ - start);
    if (count <= 0) throw std::out_of_range("batch index out of range");
    if (!source_.dataset) {
        Batch b;
        b.images = source_.npyBatch.narrow(0, start, count).to(torch::kFloat32).contiguous();
        if (b.images.dim() != 4 || b.images.size(1) != spec.channels ||
            b.images.size(2) != spec.size || b.images.size(3) != spec.size)
            throw RingScopeError(
                source_.spec + ": the batch is " + std::to_string(b.images.size(1)) + "x" +
                std::to_string(b.images.size(2)) + "x" + std::to_string(b.images.size(3)) +
                ", the model takes " + std::to_string(spec.channels) + "x" +
                std::to_string(spec.size) + "x" + std::to_string(spec.size));
        b.labels = torch::full({count}, -1, torch::kInt64);
        b.indices.resize(size_t(count));
        std::iota(b.indices.begin(), b.indices.end(), start);
        return b;
    }
    std::vector<int64_t> idx(static_cast<size_t>(count));
    std::iota(idx.begin(), idx.end(), start);
    return makeBatch(*source_.dataset, idx, spec);
}

void forEachBatch(const BatchStream& data, const InputSpec& spec, RunReport& report,
                  const RunControl& control, const std::function<void(int64_t, const Batch&)>& fn) {
    for (int64_t i = 0; i < data.batches(); ++i) {
        if (control.cancelled()) {
            report.cancelled = true;
            return;
        }
        const Batch b = data.batch(i, spec);
        report.skipped.insert(report.skipped.end(), b.skipped.begin(), b.skipped.end());
        if (b.images.size(0) > 0) {
            fn(i, b);
            report.examples += b.images.size(0);
        }
        if (control.progress)
            control.progress(std::min(data.total(), (i + 1) * data.batchSize()), data.total());
    }
}

MadRun madOverData(const ModelInput& model, const BatchStream& data, MadVariant variant,
                   const RunControl& control) {
    MadRun run;
    std::vector<std::vector<torch::Tensor>> perApp;
    const int64_t patch = model.model->config().patch,
                  prefix = model.model->config().prefixTokens();
    size_t app = 0; // the application whose maps come next in this batch's pass
    Keep keep;
    keep.onMaps = [&](const torch::Tensor& maps) {
        if (perApp.size() <= app) perApp.resize(app + 1);
        perApp[app++].push_back(meanAttentionDistance(maps, patch, variant, prefix));
    };
    stream(data, {model}, keep, run, control,
           [&](const Batch&, std::vector<ForwardTrace>&) { app = 0; });
    if (run.examples > 0) {
        std::vector<torch::Tensor> apps;
        for (auto& chunks : perApp)
            apps.push_back(torch::cat(chunks));
        run.mad = torch::stack(apps);
    }
    return run;
}

CkaRun ckaOverData(const ModelInput& a, const ModelInput& b, const BatchStream& data,
                   const CkaOptions& options, const RunControl& control) {
    CkaRun run;
    const bool self = b.model == nullptr;
    std::vector<ModelInput> models{a};
    if (!self) models.push_back(b);
    const int64_t appsA = a.model->applicationsFor(a.forward),
                  appsB = self ? appsA : b.model->applicationsFor(b.forward);
    CkaAccumulator acc(options, appsA, appsB, self);
    stream(data, models, Keep{}, run, control, [&](const Batch&, std::vector<ForwardTrace>& t) {
        if (self)
            acc.add(t[0].hidden);
        else
            acc.add(t[0].hidden, t[1].hidden);
    });
    run.skippedExamples = acc.skippedExamples();
    run.examples -= acc.skippedExamples();
    if (!run.cancelled) {
        if (acc.examples() == 0)
            throw RingScopeError("CKA needs minibatches of more than 3 readable examples; got " +
                                 std::to_string(run.skippedExamples) + " usable examples in all");
        run.cka = acc.result();
    }
    return run;
}

CkaTripleRun ckaTripleOverData(const ModelInput& a, const ModelInput& b, const BatchStream& data,
                               const CkaOptions& options, const RunControl& control) {
    CkaTripleRun run;
    const int64_t appsA = a.model->applicationsFor(a.forward),
                  appsB = b.model->applicationsFor(b.forward);
    CkaAccumulator aa(options, appsA, 0, true), bb(options, appsB, 0, true),
        ab(options, appsA, appsB);
    stream(data, {a, b}, Keep{}, run, control, [&](const Batch&, std::vector<ForwardTrace>& t) {
        addTriple(aa, bb, ab, t[0].hidden, t[1].hidden);
    });
    run.skippedExamples = ab.skippedExamples();
    run.examples -= ab.skippedExamples();
    if (!run.cancelled) {
        if (ab.examples() == 0)
            throw RingScopeError("CKA needs minibatches of more than 3 readable examples; got " +
                                 std::to_string(run.skippedExamples) + " usable examples in all");
        run.aa = aa.result();
        run.bb = bb.result();
        run.ab = ab.result();
    }
    return run;
}

LensRun lensOverData(const ModelInput& model, const BatchStream& data, const RunControl& control) {
    LensRun run;
    std::vector<torch::Tensor> probs, labels;
    stream(data, {model}, Keep{}, run, control, [&](const Batch& b, std::vector<ForwardTrace>& t) {
        probs.push_back(classLensProbabilities(*model.model, t[0]));
        labels.push_back(b.labels);
    });
    if (run.examples == 0) return run;
    run.probabilities = torch::cat(probs, 1);
    run.labels = torch::cat(labels);
    const torch::Tensor known = run.labels.ge(0);
    const int64_t nKnown = known.sum().item<int64_t>();
    run.accuracy = torch::full({run.probabilities.size(0)}, std::nan(""), torch::kFloat64);
    if (nKnown > 0) {
        const torch::Tensor pred = run.probabilities.argmax(-1); // [A, E]
        run.accuracy =
            (pred.eq(run.labels.unsqueeze(0)) & known.unsqueeze(0)).sum(1).to(torch::kFloat64) /
            double(nKnown);
    }
    return run;
}

LevelsRun levelsOverData(const ModelInput& model, const BatchStream& data,
                         const RunControl& control) {
    LevelsRun run;
    const Family family = model.model->config().family;
    run.family = familyName(family);
    Moments rel, cos, sigNorm, sigRatio, encRatio;
    torch::Tensor ratioPerToken, levelCos, encNorm;
    const bool ring = family == Family::RingFormer, uit = family == Family::UiT;
    stream(data, {model}, Keep{ring, {}}, run, control,
           [&](const Batch&, std::vector<ForwardTrace>& t) {
               const DepthDynamics d = depthDynamics(t[0]);
               rel.add(d.relativeUpdate);
               cos.add(d.cosine);
               if (ring) {
                   const RingSignals s = ringSignals(t[0]); // [4, T, B, N]
                   sigNorm.add(s.norms.flatten(2));
                   sigRatio.add(s.ratios.flatten(2));
                   const torch::Tensor tokenSum = s.ratios.sum(2); // [4, T, N]
                   ratioPerToken = ratioPerToken.defined() ? ratioPerToken + tokenSum : tokenSum;
                   const torch::Tensor cosSum = s.levelCosine.sum(-1); // [4, T, T]
                   levelCos = levelCos.defined() ? levelCos + cosSum : cosSum;
               }
               if (uit) {
                   const UitEncodings e = uitEncodings(t[0]);
                   encRatio.add(e.ratios.flatten(1));
                   encNorm = e.norms.mean(-1);
               }
           });
    if (run.examples == 0) return run;
    const double images = double(run.examples);
    run.relativeUpdateMean = rel.mean();
    run.relativeUpdateStd = rel.std();
    run.cosineMean = cos.mean();
    run.cosineStd = cos.std();
    if (ring) {
        run.signalNormMean = sigNorm.mean();
        run.signalNormStd = sigNorm.std();
        run.signalRatioMean = sigRatio.mean();
        run.signalRatioStd = sigRatio.std();
        run.signalRatioPerToken = ratioPerToken / images;
        run.levelCosine = levelCos / images;
    }
    if (uit) {
        run.encodingNorm = encNorm;
        run.encodingRatioMean = encRatio.mean();
        run.encodingRatioStd = encRatio.std();
    }
    return run;
}

} // namespace ringscope::analysis

namespace ringscope::analysis {

DepthRun depthOverData(const ModelInput& model, const BatchStream& data,
                       const RunControl& control) {
    DepthRun run;
    const VisionModel& net = *model.model;
    run.applications = net.applicationsFor(model.forward);
    torch::Tensor jsSum = torch::zeros(
        {std::max<int64_t>(run.applications - 1, 0), net.config().heads}, torch::kFloat64);
    int64_t queries = 0;
    torch::Tensor previousMaps;
    int64_t t = 0;
    const auto prepare = [&](ForwardTrace& trace) {
        trace.recordSignals = false;
        t = 0;
        previousMaps = torch::Tensor();
        trace.onAttention = [&](const torch::Tensor& maps) {
            if (previousMaps.defined()) jsSum[t - 1] += attentionJsSum(maps, previousMaps);
            previousMaps = maps;
            ++t;
        };
    };
    streamTraced(data, {model}, run, control, prepare,
                 [&](const Batch& b, std::vector<ForwardTrace>& traces) {
                     const ForwardTrace& trace = traces[0];
                     std::vector<torch::Tensor> lens;
                     for (const torch::Tensor& h : trace.hidden)
                         lens.push_back(net.classLens(h));
                     run.measures.append(
                         convergenceOf(trace.embedded, trace.hidden, lens, b.labels));
                     queries += b.images.size(0) * trace.embedded.size(1);
                 });
    run.headJs = queries > 0 ? jsSum / double(queries) : jsSum;
    return run;
}

} // namespace ringscope::analysis
