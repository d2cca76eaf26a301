#include <torch/types.h>

#include "jobs/DatasetRuns.h"

#include "document/ModelSession.h"

#include "ringscope/analysis/DataAnalysis.h"
#include "ringscope/analysis/LevelSignals.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/data/ImageTensor.h"
#include "ringscope/model/LoadedModel.h"

namespace ringscope::gui {

namespace {

Matrix toMatrix(const torch::Tensor& t) {
    Matrix m;
    m.rows = int(t.size(0));
    m.cols = int(t.size(1));
    const torch::Tensor c = t.to(torch::kFloat64).contiguous();
    m.values.assign(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
    return m;
}

analysis::ModelInput inputOf(const ModelSession& s) {
    return {s.loaded().model.get(), s.loaded().metadata.inputSpec()};
}

} // namespace

std::vector<MadResult> computeMad(const std::vector<const ModelSession*>& models,
                                  const MadRequest& request, const JobContext& job) {
    const DataSource source = openDataSource(request.data);
    const analysis::BatchStream stream(source, request.batch, request.limit);
    std::vector<MadResult> out;
    int index = 0;
    RunControl control = job; // the same type: one model's share of the bar
    control.progress = [&](int64_t done, int64_t total) {
        job.report(index * total + done, int64_t(models.size()) * total);
    };
    const auto variant =
        request.renormalised ? analysis::MadVariant::Renormalised : analysis::MadVariant::Published;
    for (const ModelSession* m : models) {
        const analysis::MadRun r = analysis::madOverData(inputOf(*m), stream, variant, control);
        if (r.cancelled) break;
        MadResult res;
        res.mean = toMatrix(r.mad.mean(1));
        res.std = toMatrix(r.mad.std(1, /*unbiased=*/false));
        res.examples = r.examples;
        res.skipped = r.skipped;
        out.push_back(std::move(res));
        ++index;
    }
    return out;
}

std::vector<Matrix> classifyImages(const std::vector<const ModelSession*>& models,
                                   const std::vector<std::shared_ptr<const cv::Mat>>& images,
                                   const JobContext& job) {
    std::vector<Matrix> out;
    const int64_t n = int64_t(images.size()), batch = 64;
    int64_t done = 0;
    torch::NoGradGuard noGrad;
    for (const ModelSession* m : models) {
        const InputSpec spec = m->loaded().metadata.inputSpec();
        std::vector<torch::Tensor> probs;
        for (int64_t start = 0; start < n; start += batch) {
            if (job.cancelled()) return out;
            std::vector<torch::Tensor> inputs;
            for (int64_t i = start; i < std::min(n, start + batch); ++i)
                inputs.push_back(preprocessImage(*images[size_t(i)], spec));
            probs.push_back(torch::softmax(
                m->loaded().model->forward(torch::stack(inputs)).logits.to(torch::kFloat64), -1));
            done += int64_t(inputs.size());
            job.report(done, n * int64_t(models.size()));
        }
        out.push_back(toMatrix(torch::cat(probs)));
    }
    return out;
}

LevelsResult computeLevels(const ModelSession& model, const LevelsRequest& request,
                           const JobContext& job) {
    const DataSource source = openDataSource(request.data);
    const analysis::BatchStream stream(source, request.batch, request.limit);
    const analysis::LevelsRun r = analysis::levelsOverData(inputOf(model), stream, job);
    LevelsResult out;
    if (r.cancelled || r.examples == 0) return out;
    out.family = r.family;
    out.examples = r.examples;
    out.dynamics = toMatrix(
        torch::stack({r.relativeUpdateMean, r.relativeUpdateStd, r.cosineMean, r.cosineStd}));
    if (r.signalRatioMean.defined()) {
        out.signalRatioMean = toMatrix(r.signalRatioMean);
        out.signalRatioStd = toMatrix(r.signalRatioStd);
        const analysis::LowRankSummary low = analysis::lowRankSummary(*model.loaded().model);
        out.lowRankNorm = toMatrix(low.frobenius);
        for (int s = 0; s < 4; ++s) {
            out.singularValues.push_back(toMatrix(low.singularValues[s]));
            out.levelCosine.push_back(toMatrix(r.levelCosine[s]));
            out.ratioPerToken.push_back(toMatrix(r.signalRatioPerToken[s]));
        }
    }
    if (r.encodingRatioMean.defined())
        out.encodingRatio = toMatrix(torch::stack({r.encodingRatioMean, r.encodingRatioStd}));
    return out;
}

CkaResult computeCka(const ModelSession& a, const ModelSession* b, const CkaRequest& request,
                     const JobContext& job) {
    analysis::CkaOptions o;
    o.kernel = analysis::parseKernel(request.kernel);
    o.estimator = analysis::parseEstimator(request.estimator);
    o.feature = analysis::parseFeature(request.feature);
    const DataSource source = openDataSource(request.data);
    const analysis::BatchStream stream(source, request.batch, request.limit);
    const RunControl& control = job;
    CkaResult result;
    if (!b) {
        const analysis::CkaRun r = analysis::ckaOverData(inputOf(a), {}, stream, o, control);
        result.examples = r.examples;
        result.skipped = r.skipped;
        if (!r.cancelled) result.aa = toMatrix(r.cka);
        return result;
    }
    const analysis::CkaTripleRun r =
        analysis::ckaTripleOverData(inputOf(a), inputOf(*b), stream, o, control);
    result.examples = r.examples;
    result.skipped = r.skipped;
    if (!r.cancelled) {
        result.aa = toMatrix(r.aa);
        result.bb = toMatrix(r.bb);
        result.ab = toMatrix(r.ab);
    }
    return result;
}

} // namespace ringscope::gui
