#include "ringscope/analysis/Cka.h"

#include <cmath>
#include <stdexcept>

namespace ringscope::analysis {

namespace {

torch::Tensor zeroDiagonal(const torch::Tensor& k) {
    torch::Tensor z = k.clone();
    z.fill_diagonal_(0.0);
    return z;
}

torch::Tensor centred(const torch::Tensor& k) {
    torch::Tensor c = k - k.mean(0, true);
    return c - c.mean(1, true);
}

/// The unbiased HSIC_1 of every (i, j) pair of two lists of diagonal-free Gram matrices.
torch::Tensor pairwiseHsic(const std::vector<torch::Tensor>& ks,
                           const std::vector<torch::Tensor>& ls) {
    torch::Tensor out = torch::zeros({int64_t(ks.size()), int64_t(ls.size())}, torch::kFloat64);
    auto acc = out.accessor<double, 2>();
    for (size_t i = 0; i < ks.size(); ++i)
        for (size_t j = 0; j < ls.size(); ++j)
            acc[int64_t(i)][int64_t(j)] = unbiasedHsic(ks[i], ls[j]);
    return out;
}

torch::Tensor selfHsic(const std::vector<torch::Tensor>& ks) {
    torch::Tensor out = torch::zeros({int64_t(ks.size())}, torch::kFloat64);
    for (size_t i = 0; i < ks.size(); ++i)
        out[int64_t(i)] = unbiasedHsic(ks[i], ks[i]);
    return out;
}

} // namespace

std::string kernelName(CkaKernel k) {
    return k == CkaKernel::Linear ? "linear" : "rbf";
}

std::string estimatorName(CkaEstimator e) {
    switch (e) {
    case CkaEstimator::Full:
        return "full";
    case CkaEstimator::Minibatch:
        return "minibatch";
    case CkaEstimator::Token:
        return "token";
    }
    return "?";
}

std::string featureName(CkaFeature f) {
    switch (f) {
    case CkaFeature::Flatten:
        return "flatten";
    case CkaFeature::Cls:
        return "cls";
    case CkaFeature::Mean:
        return "mean";
    }
    return "?";
}

CkaKernel parseKernel(const std::string& s) {
    if (s == "linear") return CkaKernel::Linear;
    if (s == "rbf") return CkaKernel::Rbf;
    throw std::invalid_argument("unknown CKA kernel '" + s + "' (linear, rbf)");
}

CkaEstimator parseEstimator(const std::string& s) {
    if (s == "full") return CkaEstimator::Full;
    if (s == "minibatch") return CkaEstimator::Minibatch;
    if (s == "token") return CkaEstimator::Token;
    throw std::invalid_argument("unknown CKA estimator '" + s + "' (full, minibatch, token)");
}

CkaFeature parseFeature(const std::string& s) {
    if (s == "flatten") return CkaFeature::Flatten;
    if (s == "cls") return CkaFeature::Cls;
    if (s == "mean") return CkaFeature::Mean;
    throw std::invalid_argument("unknown CKA feature '" + s + "' (flatten, cls, mean)");
}

torch::Tensor ckaFeatures(const torch::Tensor& hidden, CkaFeature feature) {
    if (hidden.dim() != 3) throw std::invalid_argument("CKA expects hidden states [B, N, d]");
    torch::Tensor h = hidden.to(torch::kFloat64);
    switch (feature) {
    case CkaFeature::Flatten:
        return h.reshape({h.size(0), -1});
    case CkaFeature::Cls:
        return h.select(1, 0).contiguous();
    case CkaFeature::Mean:
        return h.mean(1);
    }
    return h;
}

torch::Tensor gramMatrix(const torch::Tensor& x, CkaKernel kernel, double rbfThreshold) {
    const torch::Tensor xd = x.to(torch::kFloat64);
    torch::Tensor dot = torch::matmul(xd, xd.t());
    if (kernel == CkaKernel::Linear) return dot;
    const torch::Tensor sq = dot.diagonal();
    torch::Tensor dist = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2.0 * dot).clamp_min(0.0);
    // Lower median of all n*n squared distances (zeros of the diagonal included).
    torch::Tensor sorted = std::get<0>(dist.reshape({-1}).sort());
    const double median = sorted[(sorted.numel() - 1) / 2].item<double>();
    if (!(median > 0)) return torch::ones_like(dist); // all examples identical
    return torch::exp(-dist / (2.0 * rbfThreshold * rbfThreshold * median));
}

double ckaFromGrams(const torch::Tensor& k, const torch::Tensor& l) {
    const torch::Tensor kc = centred(k.to(torch::kFloat64)), lc = centred(l.to(torch::kFloat64));
    const double kl = (kc * lc).sum().item<double>();
    const double kk = (kc * kc).sum().item<double>(), ll = (lc * lc).sum().item<double>();
    return kl / std::sqrt(kk * ll);
}

double unbiasedHsic(const torch::Tensor& k, const torch::Tensor& l) {
    const int64_t n = k.size(0);
    if (n <= 3) throw std::invalid_argument("the unbiased HSIC needs more than 3 examples");
    const torch::Tensor kt = zeroDiagonal(k.to(torch::kFloat64)),
                        lt = zeroDiagonal(l.to(torch::kFloat64));
    const double trace = (kt * lt).sum().item<double>(); // tr(K~ L~), both symmetric
    const double sumK = kt.sum().item<double>(), sumL = lt.sum().item<double>();
    const double cross = torch::dot(kt.sum(0), lt.sum(1)).item<double>(); // 1^T K~ L~ 1
    const double dn = double(n);
    return (trace + sumK * sumL / ((dn - 1) * (dn - 2)) - 2.0 / (dn - 2) * cross) / (dn * (dn - 3));
}

double linearCka(const torch::Tensor& x, const torch::Tensor& y) {
    const torch::Tensor xc = x.to(torch::kFloat64) - x.to(torch::kFloat64).mean(0, true);
    const torch::Tensor yc = y.to(torch::kFloat64) - y.to(torch::kFloat64).mean(0, true);
    return ckaFromGrams(torch::matmul(xc, xc.t()), torch::matmul(yc, yc.t()));
}

CkaAccumulator::CkaAccumulator(const CkaOptions& options, int64_t appsA, int64_t appsB, bool self)
    : options_(options), appsA_(appsA), appsB_(self ? appsA : appsB), self_(self) {
    if (appsA_ <= 0 || appsB_ <= 0)
        throw std::invalid_argument("CKA needs at least one application per model");
    cross_ = torch::zeros({appsA_, appsB_}, torch::kFloat64);
    selfA_ = torch::zeros({appsA_}, torch::kFloat64);
    selfB_ = torch::zeros({appsB_}, torch::kFloat64);
    featA_.resize(size_t(appsA_));
    featB_.resize(size_t(appsB_));
}

std::vector<torch::Tensor> CkaAccumulator::grams(const std::vector<torch::Tensor>& hidden) const {
    std::vector<torch::Tensor> g;
    g.reserve(hidden.size());
    for (const auto& h : hidden)
        g.push_back(
            gramMatrix(ckaFeatures(h, options_.feature), options_.kernel, options_.rbfThreshold));
    return g;
}

void CkaAccumulator::accumulate(const std::vector<torch::Tensor>& ga,
                                const std::vector<torch::Tensor>& gb) {
    cross_ += pairwiseHsic(ga, gb);
    selfA_ += selfHsic(ga);
    selfB_ += self_ ? selfHsic(ga) : selfHsic(gb);
}

void CkaAccumulator::add(const std::vector<torch::Tensor>& hiddenA,
                         const std::vector<torch::Tensor>& hiddenB) {
    const std::vector<torch::Tensor>& b = self_ ? hiddenA : hiddenB;
    if (int64_t(hiddenA.size()) != appsA_ || int64_t(b.size()) != appsB_)
        throw std::invalid_argument("CKA: expected " + std::to_string(appsA_) + " x " +
                                    std::to_string(appsB_) + " applications, got " +
                                    std::to_string(hiddenA.size()) + " x " +
                                    std::to_string(b.size()));
    const int64_t n = hiddenA.front().size(0);
    for (const auto& h : hiddenA)
        if (h.dim() != 3 || h.size(0) != n)
            throw std::invalid_argument("CKA: model A's hidden states differ in shape");
    for (const auto& h : b)
        if (h.dim() != 3 || h.size(0) != n)
            throw std::invalid_argument("CKA: the two models saw different numbers of examples (" +
                                        std::to_string(n) + " vs " +
                                        std::to_string(h.dim() == 3 ? h.size(0) : -1) + ")");
    switch (options_.estimator) {
    case CkaEstimator::Full:
        for (size_t a = 0; a < hiddenA.size(); ++a)
            featA_[a].push_back(ckaFeatures(hiddenA[a], options_.feature).to(torch::kFloat32));
        if (!self_)
            for (size_t a = 0; a < b.size(); ++a)
                featB_[a].push_back(ckaFeatures(b[a], options_.feature).to(torch::kFloat32));
        examples_ += n;
        break;
    case CkaEstimator::Minibatch: {
        if (n <= 3) {
            skipped_ += n;
            return;
        }
        const std::vector<torch::Tensor> ga = grams(hiddenA);
        accumulate(ga, self_ ? ga : grams(b));
        examples_ += n;
        break;
    }
    case CkaEstimator::Token:
        for (int64_t e = 0; e < n; ++e) {
            std::vector<torch::Tensor> ga, gb;
            for (const auto& h : hiddenA)
                ga.push_back(gramMatrix(h[e], options_.kernel, options_.rbfThreshold));
            if (!self_)
                for (const auto& h : b)
                    gb.push_back(gramMatrix(h[e], options_.kernel, options_.rbfThreshold));
            accumulate(ga, self_ ? ga : gb);
        }
        examples_ += n;
        break;
    }
}

torch::Tensor CkaAccumulator::result() const {
    if (examples_ == 0) throw std::logic_error("CKA: no examples were accumulated");
    if (options_.estimator == CkaEstimator::Full) {
        std::vector<torch::Tensor> ga, gb;
        for (const auto& chunks : featA_)
            ga.push_back(gramMatrix(torch::cat(chunks), options_.kernel, options_.rbfThreshold));
        if (!self_)
            for (const auto& chunks : featB_)
                gb.push_back(
                    gramMatrix(torch::cat(chunks), options_.kernel, options_.rbfThreshold));
        const std::vector<torch::Tensor>& g2 = self_ ? ga : gb;
        torch::Tensor out = torch::zeros({appsA_, appsB_}, torch::kFloat64);
        for (int64_t i = 0; i < appsA_; ++i)
            for (int64_t j = 0; j < appsB_; ++j)
                out[i][j] = ckaFromGrams(ga[size_t(i)], g2[size_t(j)]);
        return out;
    }
    return cross_ / torch::sqrt(selfA_.unsqueeze(1) * selfB_.unsqueeze(0));
}

} // namespace ringscope::analysis
