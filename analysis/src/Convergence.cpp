#include "ringscope/analysis/Convergence.h"

#include "ringscope/model/core/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ringscope::analysis {

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

torch::Tensor catColumns(const torch::Tensor& a, const torch::Tensor& b) {
    return a.defined() ? torch::cat({a, b}, -1) : b;
}

/// Mean over the labelled columns of [K, E] (NaN without any).
torch::Tensor labelledMean(const torch::Tensor& values, const torch::Tensor& known) {
    if (known.sum().item<int64_t>() == 0)
        return torch::full({values.size(0)}, kNaN, torch::kFloat64);
    return values.index({torch::indexing::Slice(), known}).mean(1);
}

/// Consecutive applications (ending at t) with the same argmax: [K, E] int64.
torch::Tensor argmaxRuns(const torch::Tensor& prediction) {
    torch::Tensor runs = torch::ones_like(prediction);
    for (int64_t t = 1; t < prediction.size(0); ++t)
        runs[t] = torch::where(prediction[t].eq(prediction[t - 1]), runs[t - 1] + 1,
                               torch::ones_like(runs[t]));
    return runs;
}

} // namespace

void ConvergenceMeasures::append(const ConvergenceMeasures& more) {
    latentStep = catColumns(latentStep, more.latentStep);
    cosineGap = catColumns(cosineGap, more.cosineGap);
    entropy = catColumns(entropy, more.entropy);
    entropyChange = catColumns(entropyChange, more.entropyChange);
    kl = catColumns(kl, more.kl);
    prediction = catColumns(prediction, more.prediction);
    trueProbability = catColumns(trueProbability, more.trueProbability);
    trueRank = catColumns(trueRank, more.trueRank);
    loss = catColumns(loss, more.loss);
    labels = catColumns(labels, more.labels);
}

torch::Tensor tokenLatentSteps(const torch::Tensor& embedded,
                               const std::vector<torch::Tensor>& hidden) {
    std::vector<torch::Tensor> steps;
    torch::Tensor previous = embedded.to(torch::kFloat64);
    for (const torch::Tensor& stream : hidden) {
        const torch::Tensor h = stream.to(torch::kFloat64);
        steps.push_back((h - previous).norm(2, -1) / h.norm(2, -1).clamp_min(1e-30));
        previous = h;
    }
    return torch::stack(steps);
}

ConvergenceMeasures convergenceOf(const torch::Tensor& embedded,
                                  const std::vector<torch::Tensor>& hidden,
                                  const std::vector<torch::Tensor>& lensLogits,
                                  const torch::Tensor& labels) {
    if (hidden.empty() || hidden.size() != lensLogits.size())
        throw std::invalid_argument("convergenceOf: one lens per application needed");
    const torch::Tensor known = labels.ge(0), target = labels.clamp_min(0).unsqueeze(1);
    const int64_t classes = lensLogits.front().size(-1);
    std::vector<torch::Tensor> gap, ent, dEnt, kl, pred, prob, rank, loss;
    torch::Tensor previous = embedded.to(torch::kFloat64);
    torch::Tensor previousLogP =
        torch::full({labels.size(0), classes}, -std::log(double(classes)), torch::kFloat64);
    torch::Tensor previousH =
        torch::full({labels.size(0)}, std::log(double(classes)), torch::kFloat64);
    for (size_t t = 0; t < hidden.size(); ++t) {
        const torch::Tensor h = hidden[t].to(torch::kFloat64);
        gap.push_back((1.0 - torch::cosine_similarity(h, previous, -1, 1e-30)).mean(-1));
        const torch::Tensor logits = lensLogits[t].to(torch::kFloat64);
        const torch::Tensor logP = torch::log_softmax(logits, -1), p = logP.exp();
        const torch::Tensor H = -(p * logP).sum(-1);
        ent.push_back(H);
        dEnt.push_back((H - previousH).abs());
        kl.push_back((p * (logP - previousLogP)).sum(-1).clamp_min(0.0));
        pred.push_back(logits.argmax(-1));
        const torch::Tensor trueLogP = logP.gather(1, target).squeeze(1);
        const torch::Tensor trueLogit = logits.gather(1, target);
        const torch::Tensor r = 1.0 + logits.gt(trueLogit).sum(-1).to(torch::kFloat64);
        prob.push_back(torch::where(known, trueLogP.exp(), torch::full_like(trueLogP, kNaN)));
        rank.push_back(torch::where(known, r, torch::full_like(r, kNaN)));
        loss.push_back(torch::where(known, -trueLogP, torch::full_like(trueLogP, kNaN)));
        previous = h;
        previousLogP = logP;
        previousH = H;
    }
    ConvergenceMeasures m;
    m.latentStep = tokenLatentSteps(embedded, hidden).mean(-1);
    m.cosineGap = torch::stack(gap);
    m.entropy = torch::stack(ent);
    m.entropyChange = torch::stack(dEnt);
    m.kl = torch::stack(kl);
    m.prediction = torch::stack(pred);
    m.trueProbability = torch::stack(prob);
    m.trueRank = torch::stack(rank);
    m.loss = torch::stack(loss);
    m.labels = labels.to(torch::kInt64);
    return m;
}

DepthCurves depthCurves(const ConvergenceMeasures& m) {
    const torch::Tensor known = m.labels.ge(0);
    DepthCurves c;
    const int64_t labelled = known.sum().item<int64_t>();
    c.accuracy = labelled == 0 ? torch::full({m.applications()}, kNaN, torch::kFloat64)
                               : (m.prediction.eq(m.labels.unsqueeze(0)) & known.unsqueeze(0))
                                         .sum(1)
                                         .to(torch::kFloat64) /
                                     double(labelled);
    c.confidence = labelledMean(m.trueProbability, known);
    c.loss = labelledMean(m.loss, known);
    c.meanRank = labelledMean(m.trueRank, known);
    c.argmaxChanged = torch::full({m.applications()}, kNaN, torch::kFloat64);
    if (m.applications() > 1)
        c.argmaxChanged.narrow(0, 1, m.applications() - 1)
            .copy_(m.prediction.narrow(0, 1, m.applications() - 1)
                       .ne(m.prediction.narrow(0, 0, m.applications() - 1))
                       .to(torch::kFloat64)
                       .mean(1));
    return c;
}

std::string exitRuleName(ExitRule rule) {
    switch (rule) {
    case ExitRule::LatentStep:
        return "latent_step";
    case ExitRule::CosineGap:
        return "cosine_gap";
    case ExitRule::EntropyChange:
        return "entropy_change";
    case ExitRule::Kl:
        return "kl";
    case ExitRule::SameArgmax:
        return "same_argmax";
    }
    return "?";
}

double ExitThresholds::of(ExitRule rule) const {
    switch (rule) {
    case ExitRule::LatentStep:
        return latentStep;
    case ExitRule::CosineGap:
        return cosineGap;
    case ExitRule::EntropyChange:
        return entropyChange;
    case ExitRule::Kl:
        return kl;
    case ExitRule::SameArgmax:
        return double(sameArgmax);
    }
    return 0.0;
}

torch::Tensor exitDepths(const ConvergenceMeasures& m, ExitRule rule, double threshold) {
    const int64_t K = m.applications();
    torch::Tensor fires;
    switch (rule) {
    case ExitRule::LatentStep:
        fires = m.latentStep.lt(threshold);
        break;
    case ExitRule::CosineGap:
        fires = m.cosineGap.lt(threshold);
        break;
    case ExitRule::EntropyChange:
        fires = m.entropyChange.lt(threshold);
        break;
    case ExitRule::Kl:
        fires = m.kl.lt(threshold);
        break;
    case ExitRule::SameArgmax:
        fires = argmaxRuns(m.prediction).ge(int64_t(std::max(1.0, std::round(threshold))));
        break;
    }
    // The first application that fires (argmax returns the first of equal maxima), else K.
    const torch::Tensor first = fires.to(torch::kInt64).argmax(0) + 1;
    return torch::where(fires.any(0), first, torch::full_like(first, K));
}

ExitOutcome exitOutcome(const ConvergenceMeasures& m, ExitRule rule, double threshold) {
    ExitOutcome o;
    const int64_t K = m.applications();
    o.depth = exitDepths(m, rule, threshold);
    o.meanApplications = o.depth.to(torch::kFloat64).mean().item<double>();
    const torch::Tensor atExit = m.prediction.gather(0, (o.depth - 1).unsqueeze(0)).squeeze(0);
    const torch::Tensor known = m.labels.ge(0), right = atExit.eq(m.labels) & known;
    const int64_t labelled = known.sum().item<int64_t>();
    o.accuracy = labelled == 0 ? kNaN : right.sum().item<double>() / double(labelled);
    const torch::Tensor outcome = torch::where(
        known, torch::where(right, torch::zeros_like(o.depth), torch::ones_like(o.depth)),
        torch::full_like(o.depth, 2));
    o.histogram = torch::zeros({K * 3}, torch::kInt64)
                      .index_add_(0, (o.depth - 1) * 3 + outcome, torch::ones_like(o.depth))
                      .view({K, 3});
    return o;
}

std::vector<double> adaptiveThresholds(ExitRule rule, const ExitThresholds& defaults,
                                       int64_t applications) {
    std::vector<double> out;
    if (rule == ExitRule::SameArgmax) {
        for (int64_t n = 1; n <= std::max<int64_t>(applications, 1); ++n)
            out.push_back(double(n));
        return out;
    }
    for (int k = -4; k <= 4; ++k)
        out.push_back(defaults.of(rule) * std::pow(10.0, k / 2.0));
    return out;
}

torch::Tensor adaptiveCurve(const ConvergenceMeasures& m, ExitRule rule,
                            const std::vector<double>& thresholds) {
    torch::Tensor curve = torch::empty({int64_t(thresholds.size()), 3}, torch::kFloat64);
    for (size_t i = 0; i < thresholds.size(); ++i) {
        const ExitOutcome o = exitOutcome(m, rule, thresholds[i]);
        curve[int64_t(i)][0] = thresholds[i];
        curve[int64_t(i)][1] = o.meanApplications;
        curve[int64_t(i)][2] = o.accuracy;
    }
    return curve;
}

torch::Tensor attentionJsSum(const torch::Tensor& current, const torch::Tensor& previous) {
    const torch::Tensor p = current.to(torch::kFloat32), q = previous.to(torch::kFloat32);
    const torch::Tensor mid = (p + q) * 0.5;
    const auto term = [&](const torch::Tensor& x) {
        return x * (x.clamp_min(1e-30).log() - mid.clamp_min(1e-30).log());
    };
    const torch::Tensor perRow = 0.5 * (term(p) + term(q)).sum(-1); // [B, H, N]
    return perRow.to(torch::kFloat64).clamp_min(0.0).sum(std::vector<int64_t>{0, 2});
}

torch::Tensor headSettling(const torch::Tensor& js, double threshold) {
    const int64_t pairs = js.size(0), heads = js.size(1), K = pairs + 1;
    torch::Tensor out = torch::full({heads}, int64_t(-1), torch::kInt64);
    if (pairs == 0) return out;
    const torch::Tensor changes = js.ge(threshold); // row i: application i + 2
    for (int64_t h = 0; h < heads; ++h) {
        int64_t last = -1;
        for (int64_t i = 0; i < pairs; ++i)
            if (changes[i][h].item<bool>()) last = i;
        const int64_t settles = last < 0 ? 1 : last + 2;
        out[h] = settles >= K ? -1 : settles;
    }
    return out;
}

} // namespace ringscope::analysis
